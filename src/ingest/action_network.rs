//! Action Network exports (`tool = "action_network"`): activist lists and event attendee lists.
//!
//! **What the export looks like.** An activist export ("Download" on a list or report) is a CSV
//! of `uuid, first_name, last_name, email, zip_code, can2_phone` (or a custom `Phone`),
//! `can2_user_address, can2_user_city, can2_user_state, can2_user_tags` (", "-joined),
//! `can2_subscription_status, can2_sms_status` and the group's custom fields. An event attendee
//! export has the same person columns plus the event (`event_title`/`Event`, `event_id`), the
//! RSVP's time and often an `attended` mark.
//!
//! **Time.** Activist exports often carry no time at all. A row is placed at the first column
//! found among `created_date`, `created_at`, `Created At`, `date_created`, `signup_date`,
//! `Signup Date`, `Date Joined`, `Date Added`, `rsvp_date`, `RSVP Date`, `timestamp`; its format is
//! inferred per file (ISO with an offset, `… UTC`, or a local time in the source's `timezone`;
//! `date_order` settles day/month ambiguity). **An export with no such column is an error** at
//! preflight and parse, with a hint to add the created date to the export: without it people
//! cannot be placed in time, and guessing would invent conversions.
//!
//! **What becomes which event.**
//! - activist export: `can2_subscription_status` subscribed / bouncing / previous bounce →
//!   `email_subscribed` at the created time; unsubscribed / spam complaint / previous spam
//!   complaint → `email_unsubscribed` at `modified_date` when the export has it, else at the
//!   created time (noted: the export has no unsubscribe time). Without a status column every
//!   activist is `email_subscribed` (noted). Other values are quarantined (`unmapped_status`).
//! - attendee export: `rsvp` at the RSVP time (an RSVP `status` of declined → `declined`,
//!   cancelled → `rsvp_cancelled`, needs action → skipped); `attended` true/yes/1/x adds
//!   `attended` (sub-event 1) at the event's start column when present, else at the RSVP time
//!   (noted). occasion = `event_id`, else the event title, else `group`, else the file name;
//!   context = the event title, else `group`, else the file name.
//!
//! **Identifiers.** email, phone (`can2_phone`, `Phone`, `phone_number`), name = first + last,
//! external_id = `uuid`. `can2_user_tags` are counted in the note `tags` (events have no tag
//! column yet). Declared attributes map to custom-field headers with `columns`.
//!
//! `[[source]]` keys: `group`, `date_order`, `columns`.

use std::collections::BTreeSet;

use chrono_tz::Tz;

use crate::config::DateOrder;
use crate::error::Diagnostic;
use crate::schema::{Action, Str, Tool};

use super::table::{self, Table};
use super::text;
use super::timestamps::{self, Format, InferError};
use super::{Input, Parser, Sink};

pub struct ActionNetwork;

const TIME: &[&str] = &[
    "created_date",
    "created_at",
    "Created At",
    "Created",
    "date_created",
    "signup_date",
    "Signup Date",
    "Sign Up Date",
    "Date Joined",
    "join_date",
    "Date Added",
    "date_added",
    "rsvp_date",
    "RSVP Date",
    "timestamp",
];
const MODIFIED: &[&str] = &["modified_date", "modified_at", "updated_at", "Last Modified", "Modified Date"];
const EVENT_TITLE: &[&str] = &["event_title", "Event", "Event Title", "Event Name", "event_name"];
const EVENT_ID: &[&str] = &["event_id", "Event ID"];
const EVENT_START: &[&str] = &[
    "start_date",
    "Start Date",
    "event_start_date",
    "Event Start Date",
    "Event Date",
    "event_date",
];
const ATTENDED: &[&str] = &["attended", "Attended"];
const RSVP_STATUS: &[&str] = &["rsvp_status", "RSVP Status", "status", "Status"];
const EMAIL: &[&str] = &["email", "Email", "Email Address"];
const UUID: &[&str] = &["uuid", "UUID", "Activist ID"];
const PHONE: &[&str] = &["can2_phone", "Phone", "phone_number", "Phone Number", "can2_sms_phone"];

fn found(t: &Table) -> String {
    super::table::describe_header(&t.headers)
}

fn check(input: &Input, t: &Table) -> Result<(), Diagnostic> {
    if !t.has(EMAIL) && !t.has(UUID) && !t.has(PHONE) {
        return Err(Diagnostic::new(
            &input.shown,
            1,
            0,
            "not an Action Network export: the header has no uuid, email or phone column",
        )
        .hint(format!(
            "{}. Download the activist or attendee list from Action Network without removing its person columns",
            found(t)
        )));
    }
    if !t.has(TIME) {
        return Err(Diagnostic::new(
            &input.shown,
            1,
            0,
            "the Action Network export has no date column, so its people cannot be placed in time",
        )
        .hint(format!(
            "{}. Re-export with the created date included (a report with the \"created_date\" field, or the attendee list, which carries the RSVP time)",
            found(t)
        )));
    }
    Ok(())
}

/// A value with a trailing `UTC` zone word: the time without it, read in UTC.
fn split_utc(v: &str) -> (&str, bool) {
    let t = v.trim();
    if t.len() > 3 && t.is_char_boundary(t.len() - 3) && t[t.len() - 3..].eq_ignore_ascii_case("utc") {
        (t[..t.len() - 3].trim_end(), true)
    } else {
        (t, false)
    }
}

/// The order a chrono pattern writes day, month and year in.
fn pattern_order(p: &str) -> Option<DateOrder> {
    let d = p.find("%d")?;
    let m = p.find("%m")?;
    let y = p.find("%Y").or_else(|| p.find("%y"))?;
    if y < m && m < d {
        Some(DateOrder::Ymd)
    } else if d < m {
        Some(DateOrder::Dmy)
    } else {
        Some(DateOrder::Mdy)
    }
}

/// Infers a column's format; an ambiguous day/month order is settled by `date_order`.
fn infer(samples: &[&str], tz: Tz, order: Option<DateOrder>) -> Result<Format, InferError> {
    match timestamps::infer(samples, tz) {
        Err(InferError::Ambiguous(fs)) => match order {
            Some(o) => fs
                .iter()
                .find(|f| pattern_order(f) == Some(o))
                .and_then(|f| Format::from_chrono(f))
                .ok_or(InferError::Ambiguous(fs)),
            None => Err(InferError::Ambiguous(fs)),
        },
        other => other,
    }
}

/// A time column resolved for one file.
struct TimeCol {
    idx: usize,
    header: String,
    format: Format,
}

impl TimeCol {
    fn resolve(input: &Input, t: &Table, idx: usize) -> Result<Option<TimeCol>, Diagnostic> {
        let header = t.headers[idx].trim().to_string();
        let samples: Vec<&str> = t
            .rows
            .iter()
            .filter_map(|(_, r)| table::cell(r, Some(idx)))
            .map(|v| split_utc(v).0)
            .take(1000)
            .collect();
        if samples.is_empty() {
            return Ok(None);
        }
        match infer(&samples, input.source.timezone, input.source.date_order) {
            Ok(format) => Ok(Some(TimeCol { idx, header, format })),
            Err(InferError::Ambiguous(fs)) => Err(Diagnostic::new(
                &input.shown,
                2,
                idx + 1,
                format!(
                    "the dates in column {header:?} read both day-first and month-first ({})",
                    fs.join(" or ")
                ),
            )
            .hint(format!(
                "set date_order = \"mdy\" (US exports) or \"dmy\" in source {:?}",
                input.source.name
            ))),
            Err(InferError::NoFormat) => Err(Diagnostic::new(
                &input.shown,
                2,
                idx + 1,
                format!("no known date format fits the values in column {header:?}"),
            )
            .hint("re-export with ISO dates (2026-07-06 15:04:05) or check that the column holds dates")),
        }
    }

    fn parse(&self, v: &str, tz: Tz) -> Option<i64> {
        let (v, utc) = split_utc(v);
        self.format.parse(v, if utc { chrono_tz::UTC } else { tz })
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "t" | "yes" | "y" | "1" | "x" | "attended" | "checked in"
    )
}

fn file_stem(input: &Input) -> String {
    let shown = input.shown.rsplit('!').next().unwrap_or("");
    let name = shown.rsplit(['/', '\\']).next().unwrap_or("");
    name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name).to_string()
}

impl Parser for ActionNetwork {
    fn tool(&self) -> Tool {
        Tool::ActionNetwork
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["group", "date_order", "columns"]
    }

    fn reads_member(&self, name: &str) -> bool {
        name.to_ascii_lowercase().ends_with(".csv")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        // Only the header matters: drop rows that a 64 KiB head may have cut.
        let (text, _) = text::decode(input.bytes, None);
        let head = text.lines().next().unwrap_or("");
        check(input, &Table::read(head.as_bytes(), 0)).err().into_iter().collect()
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let Some(t) = super::table::open(input, sink, |t| check(input, t))? else {
            return Ok(());
        };
        let tz = input.source.timezone;
        let time_idx = t.find(TIME).expect("checked");
        let time = TimeCol::resolve(input, &t, time_idx)?;
        let modified = match t.find(MODIFIED) {
            Some(i) => TimeCol::resolve(input, &t, i)?,
            None => None,
        };
        let time_header = t.headers[time_idx].trim().to_string();
        if let Some(tc) = &time {
            sink.note("ts_column", format!("{:?} read as {}", tc.header, tc.format.describe()));
        }
        let attendee = t.has(EVENT_TITLE) || t.has(EVENT_ID) || t.has(ATTENDED);
        sink.note("kind", if attendee { "event attendees" } else { "activists" });

        let email = t.find(EMAIL);
        let uuid = t.find(UUID);
        let phone = t.find(PHONE);
        let first = t.find(&["first_name", "First Name"]);
        let last = t.find(&["last_name", "Last Name"]);
        let status = t.find(&["can2_subscription_status", "Subscription Status", "email_subscription_status"]);
        let status_header = status.map(|i| t.headers[i].trim().to_string());
        let rsvp_status = if attendee { t.find(RSVP_STATUS) } else { None };
        let rsvp_status_header = rsvp_status.map(|i| t.headers[i].trim().to_string());
        let event_title = t.find(EVENT_TITLE);
        let event_id = t.find(EVENT_ID);
        let attended = t.find(ATTENDED);
        let start = match t.find(EVENT_START).filter(|_| attendee) {
            Some(i) => TimeCol::resolve(input, &t, i)?,
            None => None,
        };
        let tags_col = t.find(&["can2_user_tags", "Tags"]);
        let mut attrs = Vec::new();
        let mut missing = Vec::new();
        for (a, header) in &input.source.attr_columns {
            match t.find(&[header.as_str()]) {
                Some(i) => attrs.push((*a, i)),
                None => missing.push(format!("{header:?}")),
            }
        }
        if !missing.is_empty() {
            sink.note("columns_missing", format!("not in this file (left empty): {}", missing.join(", ")));
        }
        if !attendee && status.is_none() {
            sink.note(
                "subscription_status",
                "no subscription status column: every activist is counted as subscribed at the created date",
            );
        }
        let fallback = input
            .source
            .group
            .clone()
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| file_stem(input));
        let n_attrs = input.plan.attributes.len();
        let mut unsub_at_created = 0u64;
        let mut attended_at_rsvp = 0u64;
        let mut tagged_rows = 0u64;
        let mut distinct_tags = BTreeSet::new();

        for (line, rec) in &t.rows {
            let line = *line;
            sink.stats.rows += 1;
            if table::is_blank(rec) {
                sink.stats.skipped += 1;
                continue;
            }
            // What happened.
            let action = if attendee {
                match table::cell(rec, rsvp_status).map(|s| s.to_lowercase()) {
                    None => Action::Rsvp,
                    Some(s) => match s.as_str() {
                        "accepted" | "yes" | "going" | "registered" | "confirmed" | "rsvp" | "rsvpd" | "attending" | "tentative" => {
                            Action::Rsvp
                        }
                        "declined" | "no" | "not going" => Action::Declined,
                        "cancelled" | "canceled" => Action::RsvpCancelled,
                        "needs action" | "needs_action" | "invited" => {
                            sink.stats.skipped += 1;
                            continue;
                        }
                        _ => {
                            let h = rsvp_status_header.as_deref().unwrap_or("status");
                            sink.quarantine(
                                line,
                                Some(h),
                                "unmapped_status",
                                format!("the value in column {h:?} is not an RSVP status turnout knows (accepted, declined, tentative, needs action, cancelled)"),
                            );
                            continue;
                        }
                    },
                }
            } else {
                match table::cell(rec, status).map(|s| s.to_lowercase()) {
                    None if status.is_none() => Action::EmailSubscribed,
                    None => {
                        let h = status_header.as_deref().unwrap_or("");
                        sink.quarantine(line, Some(h), "missing_status", format!("column {h:?} is empty"));
                        continue;
                    }
                    Some(s) => match s.as_str() {
                        "subscribed" | "bouncing" | "previous bounce" => Action::EmailSubscribed,
                        "unsubscribed" | "spam complaint" | "previous spam complaint" => Action::EmailUnsubscribed,
                        _ => {
                            let h = status_header.as_deref().unwrap_or("");
                            sink.quarantine(
                                line,
                                Some(h),
                                "unmapped_status",
                                format!("the value in column {h:?} is not a subscription status turnout knows (subscribed, unsubscribed, bouncing, spam complaint)"),
                            );
                            continue;
                        }
                    },
                }
            };
            // When.
            let created = match (table::cell(rec, Some(time_idx)), &time) {
                (None, _) | (_, None) => {
                    sink.quarantine(
                        line,
                        Some(&time_header),
                        "missing_timestamp",
                        format!("column {time_header:?} is empty"),
                    );
                    continue;
                }
                (Some(v), Some(tc)) => match tc.parse(v, tz) {
                    Some(ts) => (ts, tc.format.precision()),
                    None => {
                        sink.quarantine(
                            line,
                            Some(&time_header),
                            "bad_timestamp",
                            format!(
                                "the value in column {time_header:?} does not match the format {}",
                                tc.format.describe()
                            ),
                        );
                        continue;
                    }
                },
            };
            let (ts, precision) = if action == Action::EmailUnsubscribed {
                let m = modified.as_ref().and_then(|m| {
                    table::cell(rec, Some(m.idx))
                        .and_then(|v| m.parse(v, tz))
                        .map(|ts| (ts, m.format.precision()))
                });
                match m {
                    Some(m) => m,
                    None => {
                        unsub_at_created += 1;
                        created
                    }
                }
            } else {
                created
            };
            let mut e = sink.event(line, 0, ts, precision, action, n_attrs);
            e.email = table::cell(rec, email).map(Str::new);
            e.phone = table::cell(rec, phone).map(Str::new);
            e.external_id = table::cell(rec, uuid).map(Str::new);
            e.name = match (table::cell(rec, first), table::cell(rec, last)) {
                (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
                (Some(f), None) => Some(Str::new(f)),
                (None, Some(l)) => Some(Str::new(l)),
                (None, None) => None,
            };
            for (a, i) in &attrs {
                if let Some(slot) = e.attrs.get_mut(*a) {
                    *slot = table::cell(rec, Some(*i)).map(Str::new);
                }
            }
            if e.email.is_none() && e.phone.is_none() && e.external_id.is_none() && e.name.is_none() {
                sink.quarantine(
                    line,
                    None,
                    "no_identifier",
                    "the row has no email, phone, uuid or name: it cannot be attributed to anyone",
                );
                continue;
            }
            if let Some(v) = table::cell(rec, tags_col) {
                let tags: Vec<&str> = v.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
                if !tags.is_empty() {
                    tagged_rows += 1;
                    distinct_tags.extend(tags.into_iter().map(str::to_string));
                }
            }
            if attendee {
                let title = table::cell(rec, event_title);
                e.context = Some(Str::new(title.unwrap_or(fallback.as_str())));
                e.occasion = Some(Str::new(table::cell(rec, event_id).or(title).unwrap_or(fallback.as_str())));
            } else {
                e.context = input.source.group.as_deref().filter(|g| !g.is_empty()).map(Str::new);
            }
            let came = attendee && matches!(action, Action::Rsvp) && table::cell(rec, attended).is_some_and(truthy);
            if came {
                let at = start.as_ref().and_then(|s| {
                    table::cell(rec, Some(s.idx))
                        .and_then(|v| s.parse(v, tz))
                        .map(|ts| (ts, s.format.precision()))
                });
                let (ats, ap) = match at {
                    Some(a) => a,
                    None => {
                        attended_at_rsvp += 1;
                        (ts, precision)
                    }
                };
                let mut a = sink.event(line, 1, ats, ap, Action::Attended, n_attrs);
                a.email = e.email.clone();
                a.phone = e.phone.clone();
                a.name = e.name.clone();
                a.external_id = e.external_id.clone();
                a.context = e.context.clone();
                a.occasion = e.occasion.clone();
                a.attrs = e.attrs.clone();
                sink.push(e);
                sink.push(a);
            } else {
                sink.push(e);
            }
        }
        if unsub_at_created > 0 {
            sink.note(
                "unsubscribed_time",
                format!(
                    "{unsub_at_created} unsubscribe(s) placed at the created date: the export has no unsubscribe time{}",
                    if modified.is_some() {
                        " for them"
                    } else {
                        " (add modified_date to place them better)"
                    }
                ),
            );
        }
        if attended_at_rsvp > 0 {
            sink.note(
                "attended_time",
                format!("{attended_at_rsvp} attendance(s) placed at the RSVP time: the export has no event start time for them"),
            );
        }
        if tags_col.is_some() {
            sink.note(
                "tags",
                format!(
                    "{tagged_rows} row(s) carry tags ({} distinct); events have no tag column yet, so tags are not carried",
                    distinct_tags.len()
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_suffix() {
        assert_eq!(split_utc("2026-07-06 15:04:05 UTC"), ("2026-07-06 15:04:05", true));
        assert_eq!(split_utc("2026-07-06"), ("2026-07-06", false));
        assert_eq!(split_utc("ü"), ("ü", false));
    }

    #[test]
    fn pattern_orders() {
        assert_eq!(pattern_order("%m/%d/%Y %H:%M"), Some(DateOrder::Mdy));
        assert_eq!(pattern_order("%d/%m/%y"), Some(DateOrder::Dmy));
        assert_eq!(pattern_order("%Y-%m-%d"), Some(DateOrder::Ymd));
    }

    #[test]
    fn date_order_settles_ambiguity() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        assert!(matches!(infer(&["3/6/2026 10:00"], tz, None), Err(InferError::Ambiguous(_))));
        let f = infer(&["3/6/2026 10:00"], tz, Some(DateOrder::Dmy)).unwrap();
        assert_eq!(f.describe(), "%d/%m/%Y %H:%M");
    }
}
