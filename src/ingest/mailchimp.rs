//! Mailchimp audience exports (`tool = "mailchimp"`).
//!
//! **What the export looks like.** "Export audience" gives a zip of up to three CSVs:
//! `subscribed_members_export_<id>.csv`, `unsubscribed_members_export_<id>.csv` and
//! `cleaned_members_export_<id>.csv` (the source may also point at the CSVs themselves; every
//! `.csv` member of the zip is read). Columns: the audience's merge-field labels first
//! (`Email Address`, `First Name`, `Last Name`, custom fields such as `Phone Number` or
//! `Worksite`), then `MEMBER_RATING, OPTIN_TIME, OPTIN_IP, CONFIRM_TIME, CONFIRM_IP, LATITUDE,
//! LONGITUDE, GMTOFF, DSTOFF, TIMEZONE, CC, REGION, LAST_CHANGED, LEID, EUID, NOTES`, sometimes
//! `TAGS`; the unsubscribed file adds `UNSUB_TIME, UNSUB_CAMPAIGN_TITLE, …`, the cleaned file
//! `CLEAN_TIME, …`. Which file is which is told by its header (`UNSUB_TIME` → unsubscribed,
//! `CLEAN_TIME` → cleaned), not its name; a file named `nonsubscribed…`/`transactional…`
//! (contacts who never joined the list) is read as non-subscribed.
//!
//! **What becomes which event.** Times like `2016-04-18 13:51:14` are UTC whatever the
//! source's `timezone` (Mailchimp writes them so), read to the second.
//! - every member row → `email_subscribed` at `OPTIN_TIME`, or `CONFIRM_TIME` when that is
//!   empty, or `LAST_CHANGED` when both are (counted in the note `subscribed_time`); a row with
//!   none of the three is quarantined (`missing_timestamp`);
//! - unsubscribed file: also `email_unsubscribed` at `UNSUB_TIME` (sub-event 1);
//! - cleaned file (hard bounces): `email_subscribed` only — a bounce is not the member's action —
//!   counted in the note `cleaned`;
//! - non-subscribed file: rows skipped on purpose (they never subscribed), noted.
//!
//! **Identifiers.** email = `Email Address`; phone = `Phone Number`/`Phone`/`Mobile`/`SMS Phone
//! Number`; name = `First Name` + `Last Name`; external_id = `LEID` (Mailchimp's member id, the
//! `web_id`: unique in the account and kept when a member changes address; identity prefixes it
//! with the tool). `EUID` is not used: it follows the address, so it adds nothing to email.
//! context = the source's `group` (name the audience there), else `Mailchimp audience`.
//! Declared attributes map to merge-field labels: `columns = { worksite = "Worksite" }`.
//! `TAGS` (`"retail, store-12"` or `"retail","store-12"`) are parsed and counted in the note
//! `tags`; the canonical event has no tag column yet, so they go nowhere else.
//!
//! **Promises.** A file without `Email Address` or without any of the time columns is not an
//! audience export: an error naming the file and the columns found. Row problems (no email, bad
//! times) are quarantined with line and column; values never appear in messages.
//!
//! `[[source]]` keys: `group`, `columns`.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDateTime};

use crate::error::Diagnostic;
use crate::schema::{Action, Precision, Str, Tool};
use crate::timeutil;

use super::table::{self, Table};
use super::text;
use super::{Input, Parser, Sink};

pub struct Mailchimp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Subscribed,
    Unsubscribed,
    Cleaned,
    NonSubscribed,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Subscribed => "subscribed",
            Kind::Unsubscribed => "unsubscribed",
            Kind::Cleaned => "cleaned",
            Kind::NonSubscribed => "non-subscribed",
        }
    }
}

const EMAIL: &[&str] = &["Email Address", "Email", "E-mail", "EMAIL"];
const OPTIN: &[&str] = &["OPTIN_TIME"];
const CONFIRM: &[&str] = &["CONFIRM_TIME"];
const LAST_CHANGED: &[&str] = &["LAST_CHANGED"];

/// The header record of `text` as a [`Table`] (rows are streamed separately).
fn header_table(text: &str, delimiter: u8) -> Table {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::ByteRecord::new();
    let end = match rdr.read_byte_record(&mut rec) {
        Ok(_) => (rdr.position().byte() as usize).min(text.len()),
        Err(_) => 0,
    };
    Table::read(&text.as_bytes()[..end], 0)
}

fn found(t: &Table) -> String {
    super::table::describe_header(&t.headers)
}

/// The member file's name (the zip member's or the file's), lower-cased.
fn file_name(input: &Input) -> String {
    let shown = input.shown.rsplit('!').next().unwrap_or("");
    shown.rsplit(['/', '\\']).next().unwrap_or("").to_lowercase()
}

fn kind(input: &Input, t: &Table) -> Kind {
    if t.has(&["UNSUB_TIME"]) {
        Kind::Unsubscribed
    } else if t.has(&["CLEAN_TIME"]) {
        Kind::Cleaned
    } else {
        let name = file_name(input);
        if name.contains("nonsubscribed") || name.contains("non_subscribed") || name.contains("transactional") {
            Kind::NonSubscribed
        } else {
            Kind::Subscribed
        }
    }
}

/// Header checks shared by preflight and parse.
fn check(input: &Input, t: &Table) -> Result<(), Diagnostic> {
    t.require(&input.shown, "email", EMAIL).map_err(|d| {
        let h = d.hint.clone().unwrap_or_default();
        d.hint(format!(
            "{h} A Mailchimp audience export starts with the \"Email Address\" merge field"
        ))
    })?;
    if !t.has(OPTIN) && !t.has(CONFIRM) && !t.has(LAST_CHANGED) {
        return Err(Diagnostic::new(
            &input.shown,
            1,
            0,
            "not a Mailchimp audience export: the header has none of OPTIN_TIME, CONFIRM_TIME, LAST_CHANGED",
        )
        .hint(format!(
            "{}. Export the audience from Mailchimp (Audience → All contacts → Export Audience) and point the source at the zip or its CSVs",
            found(t)
        )));
    }
    Ok(())
}

/// `2016-04-18 13:51:14` read byte by byte (the shape of every Mailchimp time column).
fn fixed_utc(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + (c - b'0') as u32))
    };
    let (y, mo, d, h, mi, s) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let t = date.and_hms_opt(h, mi, s)?;
    let us = t.and_utc().timestamp_micros();
    sane(us).then_some(us)
}

/// Reads a Mailchimp time (`2016-04-18 13:51:14`, UTC) to UTC microseconds and its precision.
pub fn parse_utc(v: &str) -> Option<(i64, Precision)> {
    let v = v.trim();
    if let Some(us) = fixed_utc(v) {
        return Some((us, Precision::Second));
    }
    for (pattern, precision) in [
        ("%Y-%m-%d %H:%M:%S", Precision::Second),
        ("%Y-%m-%dT%H:%M:%S", Precision::Second),
        ("%Y-%m-%d %H:%M", Precision::Minute),
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, pattern) {
            let us = t.and_utc().timestamp_micros();
            return sane(us).then_some((us, precision));
        }
    }
    let t = DateTime::parse_from_rfc3339(v).ok()?;
    let us = t.timestamp_micros();
    let us = us - us.rem_euclid(timeutil::US_PER_SEC);
    sane(us).then_some((us, Precision::Second))
}

fn sane(us: i64) -> bool {
    // 1970-01-01 .. 2100-01-01
    (0..4_102_444_800 * timeutil::US_PER_SEC).contains(&us)
}

/// Splits a TAGS cell: `retail, store-12` or `"retail","store-12"`.
pub fn tags(v: &str) -> Vec<String> {
    v.split(',')
        .map(|t| t.trim().trim_matches('"').trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

struct Layout {
    kind: Kind,
    email: usize,
    phone: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    leid: Option<usize>,
    optin: Option<(usize, String)>,
    confirm: Option<(usize, String)>,
    last_changed: Option<(usize, String)>,
    unsub: Option<(usize, String)>,
    tags: Option<usize>,
    attrs: Vec<(usize, usize)>,
}

#[derive(Default)]
struct Counts {
    confirm_time: u64,
    last_changed: u64,
    cleaned: u64,
    tagged_rows: u64,
    tags: BTreeSet<String>,
}

impl Parser for Mailchimp {
    fn tool(&self) -> Tool {
        Tool::Mailchimp
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["group", "columns"]
    }

    fn reads_member(&self, name: &str) -> bool {
        name.to_ascii_lowercase().ends_with(".csv")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let (text, _) = text::decode(input.bytes, None);
        let t = header_table(&text, text::detect_delimiter(&text));
        check(input, &t).err().into_iter().collect()
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let (text, encoding) = text::decode(input.bytes, None);
        let delimiter = text::detect_delimiter(&text);
        sink.note("encoding", encoding);
        sink.note("delimiter", text::delimiter_name(delimiter));
        if text.trim().is_empty() {
            sink.note("empty", "the file has no header and no rows");
            return Ok(());
        }
        let t = header_table(&text, delimiter);
        check(input, &t)?;
        let kind = kind(input, &t);
        sink.note("kind", kind.as_str());
        sink.note("timezone", "Mailchimp times are UTC (the source's timezone is not applied)");
        let with_header = |names: &[&str]| t.find(names).map(|i| (i, t.headers[i].trim().to_string()));
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
        let layout = Layout {
            kind,
            email: t.find(EMAIL).expect("checked"),
            phone: t.find(&["Phone Number", "Phone", "Mobile", "Mobile Phone", "SMS Phone Number", "PHONE"]),
            first: t.find(&["First Name", "FNAME"]),
            last: t.find(&["Last Name", "LNAME"]),
            leid: t.find(&["LEID"]),
            optin: with_header(OPTIN),
            confirm: with_header(CONFIRM),
            last_changed: with_header(LAST_CHANGED),
            unsub: with_header(&["UNSUB_TIME"]),
            tags: t.find(&["TAGS"]),
            attrs,
        };
        let context = input
            .source
            .group
            .clone()
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| "Mailchimp audience".to_string());
        let n_attrs = input.plan.attributes.len();
        let mut counts = Counts::default();
        // About one event per row; member rows average well over 150 bytes.
        sink.events.reserve(text.len() / 160);

        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut lines = text::LineCounter::new(&text);
        let mut rec = csv::StringRecord::new();
        let mut last_err_at = None;
        loop {
            let line = match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => rec.position().map(|p| lines.line_at(p.byte())).unwrap_or(0),
                Err(e) => {
                    let at = e.position().map(|p| p.byte());
                    if at.is_some() && at == last_err_at {
                        break;
                    }
                    last_err_at = at;
                    sink.stats.rows += 1;
                    let line = at.map(|b| lines.line_at(b)).unwrap_or(0);
                    sink.quarantine(line, None, "unreadable_row", "the CSV reader could not read this row");
                    continue;
                }
            };
            sink.stats.rows += 1;
            if table::is_blank(&rec) || layout.kind == Kind::NonSubscribed {
                sink.stats.skipped += 1;
                continue;
            }
            let Some(email) = table::cell(&rec, Some(layout.email)) else {
                sink.quarantine(
                    line,
                    t.headers.get(layout.email).map(|h| h.trim()),
                    "no_identifier",
                    "the row has no email address",
                );
                continue;
            };
            // When the member subscribed: OPTIN_TIME, else CONFIRM_TIME, else LAST_CHANGED.
            let mut when = None;
            let mut bad = None;
            for (col, fallback) in [(&layout.optin, 0), (&layout.confirm, 1), (&layout.last_changed, 2)] {
                let Some((i, h)) = col else { continue };
                if let Some(v) = table::cell(&rec, Some(*i)) {
                    match parse_utc(v) {
                        Some(t) => when = Some((t, fallback)),
                        None => bad = Some(h.clone()),
                    }
                    break;
                }
            }
            let ((ts, precision), fallback) = match (when, bad) {
                (Some(w), _) => w,
                (None, Some(h)) => {
                    sink.quarantine(
                        line,
                        Some(&h),
                        "bad_timestamp",
                        format!("the value in column {h:?} is not a time like 2016-04-18 13:51:14"),
                    );
                    continue;
                }
                (None, None) => {
                    sink.quarantine(
                        line,
                        None,
                        "missing_timestamp",
                        "OPTIN_TIME, CONFIRM_TIME and LAST_CHANGED are all empty: no time to place the subscription at",
                    );
                    continue;
                }
            };
            match fallback {
                1 => counts.confirm_time += 1,
                2 => counts.last_changed += 1,
                _ => {}
            }
            let mut e = sink.event(line, 0, ts, precision, Action::EmailSubscribed, n_attrs);
            e.email = Some(Str::new(email));
            e.phone = table::cell(&rec, layout.phone).map(Str::new);
            e.name = match (table::cell(&rec, layout.first), table::cell(&rec, layout.last)) {
                (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
                (Some(f), None) => Some(Str::new(f)),
                (None, Some(l)) => Some(Str::new(l)),
                (None, None) => None,
            };
            e.external_id = table::cell(&rec, layout.leid).map(Str::new);
            e.context = Some(Str::new(&context));
            for (a, i) in &layout.attrs {
                if let Some(slot) = e.attrs.get_mut(*a) {
                    *slot = table::cell(&rec, Some(*i)).map(Str::new);
                }
            }
            if let Some(v) = table::cell(&rec, layout.tags) {
                let tags = tags(v);
                if !tags.is_empty() {
                    counts.tagged_rows += 1;
                    counts.tags.extend(tags);
                }
            }
            match layout.kind {
                Kind::Unsubscribed => {
                    let (i, h) = layout.unsub.as_ref().expect("unsubscribed files have UNSUB_TIME");
                    let unsub = match table::cell(&rec, Some(*i)) {
                        None => Err(("missing_timestamp", format!("column {h:?} is empty"))),
                        Some(v) => parse_utc(v).ok_or((
                            "bad_timestamp",
                            format!("the value in column {h:?} is not a time like 2016-04-18 13:51:14"),
                        )),
                    };
                    match unsub {
                        Ok((uts, up)) => {
                            let mut u = sink.event(line, 1, uts, up, Action::EmailUnsubscribed, n_attrs);
                            u.email = e.email.clone();
                            u.phone = e.phone.clone();
                            u.name = e.name.clone();
                            u.external_id = e.external_id.clone();
                            u.context = e.context.clone();
                            u.attrs = e.attrs.clone();
                            sink.push(e);
                            sink.push(u);
                        }
                        Err((reason, detail)) => {
                            // The subscription still happened; only the unsubscribe cannot be placed.
                            sink.push(e);
                            sink.quarantine(line, Some(h), reason, detail);
                        }
                    }
                }
                Kind::Cleaned => {
                    counts.cleaned += 1;
                    sink.push(e);
                }
                _ => sink.push(e),
            }
        }
        if counts.confirm_time + counts.last_changed > 0 {
            sink.note(
                "subscribed_time",
                format!(
                    "{} row(s) without OPTIN_TIME placed at CONFIRM_TIME; {} without either placed at LAST_CHANGED",
                    counts.confirm_time, counts.last_changed
                ),
            );
        }
        if layout.kind == Kind::Cleaned {
            sink.note(
                "cleaned",
                format!(
                    "{} bounced address(es): subscribed events only, no unsubscribe (a bounce is not the member's action)",
                    counts.cleaned
                ),
            );
        }
        if layout.kind == Kind::NonSubscribed {
            sink.note("non_subscribed", "contacts who never subscribed to the list: rows skipped");
        }
        if layout.tags.is_some() {
            sink.note(
                "tags",
                format!(
                    "{} row(s) carry tags ({} distinct); events have no tag column yet, so tags are not carried",
                    counts.tagged_rows,
                    counts.tags.len()
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
    fn times_are_utc() {
        let (us, p) = parse_utc("2016-04-18 13:51:14").unwrap();
        assert_eq!(timeutil::iso(us), "2016-04-18T13:51:14Z");
        assert_eq!(p, Precision::Second);
        assert!(parse_utc("18/04/2016").is_none());
        assert!(parse_utc("2016-02-30 13:51:14").is_none());
        assert!(parse_utc("1969-12-31 23:59:59").is_none());
        assert_eq!(parse_utc("2016-04-18T13:51:14").map(|t| t.0), Some(us));
        assert_eq!(parse_utc("2016-04-18 13:51").unwrap().1, Precision::Minute);
        assert!(parse_utc("").is_none());
    }

    #[test]
    fn tag_cells() {
        assert_eq!(tags("retail, store-12"), vec!["retail", "store-12"]);
        assert_eq!(tags("\"retail\",\"store 12\""), vec!["retail", "store 12"]);
        assert!(tags(" ").is_empty());
    }
}
