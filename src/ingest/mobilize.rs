//! Mobilize attendance / participation exports: `tool = "mobilize"`.
//!
//! The export: a CSV with one row per participation (a person signed up for one timeslot of one
//! event). No public spec exists for the dashboard CSV, so both spellings are read: the names of
//! Mobilize's participation data (`id, created_date, modified_date, event_id, event_title,
//! event_type, timeslot_id, timeslot_start_date, timeslot_end_date, status, attended, given_name,
//! family_name, email_address, phone_number, postal_code, utm_source, …`) and their worded
//! dashboard forms (`First name`, `Last name`, `Email`, `Phone`, `Zip`, `Event`, `Event ID`,
//! `Timeslot ID`, `Timeslot start`, `Status`, `Attended`, `Created`, `Signup date`, …). Times are
//! ISO 8601 with an offset, or unix seconds (both may appear; naive ISO times are read in the
//! source's zone and noted).
//!
//! What becomes which event, per row: `status` REGISTERED → `rsvp`, CONFIRMED → `rsvp_confirmed`,
//! at `created_date`; CANCELLED → the `rsvp` the person made (at `created_date`) and
//! `rsvp_cancelled` at `modified_date` (at `created_date` when there is none). `attended` true →
//! `attended` at the timeslot start (sub 1; when the meeting happened, even for a walk-in whose
//! row was created after the start); false → `no_show` at the timeslot start (a value is only
//! written once the timeslot has started); empty → not marked yet, no attendance event (counted
//! in the `attendance_unmarked` note). A row with no status but a marked attendance gives the
//! attendance only. `context` is the event title; `occasion` is
//! `mobilize:<event_id>:<timeslot_id>@YYYY-MM-DD` (the timeslot's local start date, per the
//! convention in `occasions.rs`; `mobilize:<event_id>:<HHMM>@YYYY-MM-DD` when the export has no
//! timeslot id); utm_source, utm_medium and utm_campaign are kept.
//!
//! Promises: a row either gives its events or is quarantined whole (unknown status, unreadable
//! `attended`, missing or bad timestamp, no identifier); no cell value appears in a message.
//! Reads the `[[source]]` key `columns` (declared attributes only).

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;

use crate::error::Diagnostic;
use crate::schema::{Action, Precision, Str, Tool};
use crate::timeutil;

use super::table::{self, Table};
use super::timestamps;
use super::van::{attr_columns, is_csv_member, is_empty};
use super::{text, Input, Parser, Sink};

pub struct Mobilize;

const CREATED: &[&str] = &[
    "created_date",
    "Created",
    "Created date",
    "Created at",
    "Signup date",
    "Sign up date",
    "Signed up",
    "Date created",
    "Signup created",
];
const MODIFIED: &[&str] = &[
    "modified_date",
    "Modified",
    "Modified date",
    "Last modified",
    "Updated",
    "Updated at",
    "Last updated",
];
const EVENT_ID: &[&str] = &["event_id", "Event ID"];
const EVENT_TITLE: &[&str] = &["event_title", "Event", "Event title", "Event name"];
const TIMESLOT_ID: &[&str] = &["timeslot_id", "Timeslot ID", "Shift ID"];
const TIMESLOT_START: &[&str] = &[
    "timeslot_start_date",
    "Timeslot start",
    "Timeslot start date",
    "Timeslot start time",
    "Shift start",
    "Shift start time",
    "Timeslot",
    "Event start",
    "Event date",
    "Start date",
    "Start",
];
const STATUS: &[&str] = &["status", "Status", "RSVP status", "Signup status"];
const ATTENDED: &[&str] = &["attended", "Attended", "Did attend"];
const GIVEN: &[&str] = &["given_name", "First name", "First"];
const FAMILY: &[&str] = &["family_name", "Last name", "Last"];
const EMAIL: &[&str] = &["email_address", "Email", "Email address"];
const PHONE: &[&str] = &["phone_number", "Phone", "Phone number", "Mobile", "Mobile number"];
const UTM_SOURCE: &[&str] = &["utm_source", "UTM source"];
const UTM_MEDIUM: &[&str] = &["utm_medium", "UTM medium"];
const UTM_CAMPAIGN: &[&str] = &["utm_campaign", "UTM campaign"];

struct Cols {
    created: usize,
    modified: Option<usize>,
    event_id: Option<usize>,
    event_title: Option<usize>,
    timeslot_id: Option<usize>,
    start: Option<usize>,
    status: usize,
    attended: Option<usize>,
    given: Option<usize>,
    family: Option<usize>,
    email: Option<usize>,
    phone: Option<usize>,
    utm: [Option<usize>; 3],
    attrs: Vec<(usize, usize)>,
    /// Machine names (`created_date`) or worded dashboard names (`Created`).
    worded: bool,
}

impl Cols {
    fn resolve(t: &Table, input: &Input) -> Result<Cols, Diagnostic> {
        let file = &input.shown;
        let status = t.require(file, "status", STATUS)?;
        let created = t.require(file, "created date", CREATED)?;
        let event_id = t.find(EVENT_ID);
        let event_title = t.find(EVENT_TITLE);
        if event_id.is_none() && event_title.is_none() {
            t.require(file, "event", &["event_id", "event_title", "Event ID", "Event"])?;
        }
        let attended = t.find(ATTENDED);
        let start = t.find(TIMESLOT_START);
        if attended.is_some() && start.is_none() {
            // attendance sits at the timeslot start: without it, it has no time
            t.require(file, "timeslot start (needed with an attended column)", TIMESLOT_START)?;
        }
        let c = Cols {
            created,
            modified: t.find(MODIFIED),
            event_id,
            event_title,
            timeslot_id: t.find(TIMESLOT_ID),
            start,
            status,
            attended,
            given: t.find(GIVEN),
            family: t.find(FAMILY),
            email: t.find(EMAIL),
            phone: t.find(PHONE),
            utm: [t.find(UTM_SOURCE), t.find(UTM_MEDIUM), t.find(UTM_CAMPAIGN)],
            attrs: attr_columns(t, input)?,
            worded: t.find(&["created_date"]).is_none(),
        };
        if c.given.is_none() && c.family.is_none() && c.email.is_none() && c.phone.is_none() {
            t.require(
                file,
                "person (name, email or phone)",
                &["given_name", "email_address", "phone_number", "First name", "Email", "Phone"],
            )?;
        }
        Ok(c)
    }
}

/// How a time was written, for the `time_format` note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Offset,
    Unix,
    Naive,
}

/// Reads a Mobilize time: ISO 8601 with an offset, unix seconds (or milliseconds), or a naive
/// ISO time in the source's zone. Precision: second (minute for a naive `HH:MM`).
fn parse_time(raw: &str, tz: Tz) -> Option<(i64, Precision, Kind)> {
    let v = timestamps::clean(raw);
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.') && v.bytes().filter(|b| *b == b'.').count() <= 1 {
        let int_digits = v.split('.').next().unwrap_or("").len();
        let secs = if int_digits >= 12 {
            // milliseconds
            let ms: f64 = v.parse().ok()?;
            format!("{}", (ms / 1000.0).floor() as i64)
        } else {
            v.clone()
        };
        return timestamps::Format::UnixSeconds
            .parse(&secs, tz)
            .map(|t| (t, Precision::Second, Kind::Unix));
    }
    if let Some(t) = timestamps::Format::Rfc3339.parse(&v, tz) {
        return Some((t, Precision::Second, Kind::Offset));
    }
    for p in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&v, p) {
            use chrono::Datelike;
            if !(1970..=2100).contains(&t.year()) {
                return None;
            }
            let us = t.timestamp_micros();
            return Some((us - us.rem_euclid(timeutil::US_PER_SEC), Precision::Second, Kind::Offset));
        }
    }
    for (p, precision) in [
        ("%Y-%m-%d %H:%M:%S%.f", Precision::Second),
        ("%Y-%m-%dT%H:%M:%S%.f", Precision::Second),
        ("%Y-%m-%d %H:%M", Precision::Minute),
        ("%Y-%m-%dT%H:%M", Precision::Minute),
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&v, p) {
            use chrono::Datelike;
            if !(1970..=2100).contains(&n.year()) {
                return None;
            }
            let us = timeutil::local_to_utc_us(n, tz);
            return Some((us - us.rem_euclid(timeutil::US_PER_SEC), precision, Kind::Naive));
        }
    }
    None
}

/// `attended`: Some(Some(bool)) marked, Some(None) not marked yet, None unreadable.
fn attended_value(v: Option<&str>) -> Option<Option<bool>> {
    let Some(v) = v else { return Some(None) };
    let k: String = v.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    match k.as_str() {
        "true" | "t" | "yes" | "y" | "1" | "attended" | "present" => Some(Some(true)),
        "false" | "f" | "no" | "n" | "0" | "noshow" | "didnotattend" | "notattended" | "absent" => Some(Some(false)),
        "" | "null" | "none" | "unknown" | "notmarked" | "unmarked" => Some(None),
        _ => None,
    }
}

fn status_action(v: &str) -> Option<Action> {
    let k: String = v.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    Some(match k.as_str() {
        "registered" => Action::Rsvp,
        "confirmed" => Action::RsvpConfirmed,
        "cancelled" | "canceled" => Action::RsvpCancelled,
        _ => return None,
    })
}

impl Parser for Mobilize {
    fn tool(&self) -> Tool {
        Tool::Mobilize
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["columns"]
    }

    fn reads_member(&self, name: &str) -> bool {
        is_csv_member(name)
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let t = Table::read(input.bytes, 0);
        if is_empty(&t) {
            return Vec::new();
        }
        match Cols::resolve(&t, input) {
            Ok(_) => Vec::new(),
            Err(d) => vec![d],
        }
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let t = Table::read(input.bytes, 0);
        sink.note("encoding", t.encoding);
        sink.note("delimiter", text::delimiter_name(t.delimiter));
        if is_empty(&t) {
            sink.note("empty", "the file has no header and no rows");
            return Ok(());
        }
        let c = Cols::resolve(&t, input)?;
        sink.note(
            "headers",
            if c.worded {
                "worded dashboard names (First name, Email, Timeslot start, …)"
            } else {
                "Mobilize participation field names (given_name, email_address, timeslot_start_date, …)"
            },
        );
        if c.attended.is_none() {
            sink.note("attendance", "the export has no attended column: RSVPs only");
        }
        for (line, why) in &t.broken {
            sink.stats.rows += 1;
            sink.quarantine(*line, None, "unreadable_row", why.clone());
        }
        let tz = input.source.timezone;
        let ptz = input.plan.timezone;
        let n_attrs = input.plan.attributes.len();
        let h = |i: usize| t.headers[i].clone();
        let mut kinds = std::collections::BTreeSet::new();
        let (mut unmarked, mut walk_ins) = (0u64, 0u64);

        'rows: for (line, rec) in &t.rows {
            let line = *line;
            sink.stats.rows += 1;
            if table::is_blank(rec) {
                sink.stats.skipped += 1;
                continue;
            }
            // status (empty is allowed when attendance is marked)
            let status = match table::cell(rec, Some(c.status)) {
                None => None,
                Some(v) => match status_action(v) {
                    Some(a) => Some(a),
                    None => {
                        sink.quarantine(
                            line,
                            Some(&h(c.status)),
                            "unknown_status",
                            format!(
                                "the value in column {:?} is not a Mobilize status (REGISTERED, CONFIRMED, CANCELLED)",
                                h(c.status)
                            ),
                        );
                        continue;
                    }
                },
            };
            let attended = match attended_value(table::cell(rec, c.attended)) {
                Some(a) => a,
                None => {
                    let col = h(c.attended.unwrap_or(0));
                    sink.quarantine(
                        line,
                        Some(&col),
                        "bad_attended",
                        format!("the value in column {col:?} is not true, false or empty"),
                    );
                    continue;
                }
            };
            if status.is_none() && attended.is_none() {
                sink.quarantine(
                    line,
                    Some(&h(c.status)),
                    "missing_status",
                    format!("column {:?} is empty and attendance is not marked", h(c.status)),
                );
                continue;
            }
            // identifiers
            let email = table::cell(rec, c.email);
            let phone = table::cell(rec, c.phone);
            let name = match (table::cell(rec, c.given), table::cell(rec, c.family)) {
                (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
                (Some(f), None) => Some(Str::new(f)),
                (None, Some(l)) => Some(Str::new(l)),
                (None, None) => None,
            };
            if email.is_none() && phone.is_none() && name.is_none() {
                sink.quarantine(
                    line,
                    None,
                    "no_identifier",
                    "the row has no email, phone or name: it cannot be attributed to anyone",
                );
                continue;
            }
            // times
            let mut read = |col: Option<usize>, required: bool| -> Result<Option<(i64, Precision)>, ()> {
                let Some(i) = col else { return Ok(None) };
                match table::cell(rec, Some(i)) {
                    None if required => {
                        sink.quarantine(line, Some(&h(i)), "missing_timestamp", format!("column {:?} is empty", h(i)));
                        Err(())
                    }
                    None => Ok(None),
                    Some(v) => match parse_time(v, tz) {
                        Some((ts, p, k)) => {
                            kinds.insert(k);
                            Ok(Some((ts, p)))
                        }
                        None => {
                            sink.quarantine(
                                line,
                                Some(&h(i)),
                                "bad_timestamp",
                                format!(
                                    "the value in column {:?} is not an ISO 8601 time with an offset or unix seconds",
                                    h(i)
                                ),
                            );
                            Err(())
                        }
                    },
                }
            };
            let Ok(created) = read(Some(c.created), status.is_some()) else {
                continue 'rows;
            };
            let Ok(start) = read(c.start, attended.is_some()) else {
                continue 'rows;
            };
            let Ok(modified) = read(c.modified, false) else { continue 'rows };

            // the occasion: event + timeslot, dated by the timeslot's local start
            let event = table::cell(rec, c.event_id).or_else(|| table::cell(rec, c.event_title));
            let Some(event) = event else {
                let col = h(c.event_id.or(c.event_title).unwrap_or(0));
                sink.quarantine(line, Some(&col), "missing_event", format!("column {col:?} is empty"));
                continue;
            };
            let slot = table::cell(rec, c.timeslot_id)
                .map(str::to_string)
                .or_else(|| start.map(|(ts, _)| timeutil::utc(ts).with_timezone(&ptz).format("%H%M").to_string()));
            let mut occasion = format!("mobilize:{event}");
            if let Some(s) = slot {
                occasion.push(':');
                occasion.push_str(&s);
            }
            if let Some((ts, _)) = start {
                occasion.push('@');
                occasion.push_str(&timeutil::local_date(ts, ptz).to_string());
            }

            let make = |sink: &Sink, sub: u32, ts: i64, p: Precision, action: Action| {
                let mut e = sink.event(line, sub, ts, p, action, n_attrs);
                e.email = email.map(Str::new);
                e.phone = phone.map(Str::new);
                e.name = name.clone();
                e.context = table::cell(rec, c.event_title).map(Str::new);
                e.occasion = Some(Str::new(&occasion));
                e.utm_source = table::cell(rec, c.utm[0]).map(Str::new);
                e.utm_medium = table::cell(rec, c.utm[1]).map(Str::new);
                e.utm_campaign = table::cell(rec, c.utm[2]).map(Str::new);
                for &(a, i) in &c.attrs {
                    e.attrs[a] = table::cell(rec, Some(i)).map(Str::new);
                }
                e
            };
            let mut out = Vec::new();
            if let (Some(action), Some((cts, cp))) = (status, created) {
                match action {
                    Action::RsvpCancelled => {
                        out.push(make(sink, 0, cts, cp, Action::Rsvp));
                        let (mts, mp) = modified.filter(|(m, _)| *m >= cts).unwrap_or((cts, cp));
                        out.push(make(sink, 2, mts, mp, Action::RsvpCancelled));
                    }
                    a => out.push(make(sink, 0, cts, cp, a)),
                }
            }
            match (attended, start) {
                (Some(true), Some((sts, sp))) => {
                    if created.is_some_and(|(cts, _)| cts > sts) {
                        walk_ins += 1;
                    }
                    out.push(make(sink, 1, sts, sp, Action::Attended));
                }
                (Some(false), Some((sts, sp))) => out.push(make(sink, 1, sts, sp, Action::NoShow)),
                (None, _) if c.attended.is_some() => unmarked += 1,
                _ => {}
            }
            for e in out {
                sink.push(e);
            }
        }
        if !kinds.is_empty() {
            let names: Vec<String> = kinds
                .iter()
                .map(|k| match k {
                    Kind::Offset => "ISO 8601 with offset".to_string(),
                    Kind::Unix => "unix seconds".to_string(),
                    Kind::Naive => format!("ISO 8601 without offset, read in {}", tz.name()),
                })
                .collect();
            sink.note("time_format", names.join(" + "));
        }
        if c.attended.is_some() {
            sink.note("attendance_unmarked", unmarked.to_string());
        }
        if walk_ins > 0 {
            sink.note("walk_ins", format!("{walk_ins} row(s) created after their timeslot started"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_offset_unix_and_naive() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let iso = |v: &str| parse_time(v, tz).map(|(t, p, k)| (timeutil::iso(t), p, k));
        assert_eq!(
            iso("2026-07-14T18:00:00-05:00"),
            Some(("2026-07-14T23:00:00Z".into(), Precision::Second, Kind::Offset))
        );
        assert_eq!(iso("2026-07-14 18:00:00-0500").map(|x| x.0), Some("2026-07-14T23:00:00Z".into()));
        assert_eq!(
            iso("1784070000"),
            Some(("2026-07-14T23:00:00Z".into(), Precision::Second, Kind::Unix))
        );
        assert_eq!(iso("1784070000000").map(|x| x.0), Some("2026-07-14T23:00:00Z".into()));
        assert_eq!(
            iso("2026-07-14 18:00"),
            Some(("2026-07-14T23:00:00Z".into(), Precision::Minute, Kind::Naive))
        );
        assert_eq!(iso("next week"), None);
        assert_eq!(iso("1.2.3"), None);
    }

    #[test]
    fn attended_values() {
        assert_eq!(attended_value(Some("True")), Some(Some(true)));
        assert_eq!(attended_value(Some("false")), Some(Some(false)));
        assert_eq!(attended_value(None), Some(None));
        assert_eq!(attended_value(Some("maybe")), None);
    }
}
