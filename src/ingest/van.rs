//! VAN / EveryAction event participant exports: `tool = "van"`.
//!
//! The export: a CSV with one row per person per event signup, headers varying by committee and
//! by the export format chosen — `VANID` or `Van ID`, `First`/`FirstName`, `Last`/`LastName`,
//! `Email`, `Cell Phone`/`Phone`, `Event`/`Event Name`, `Event ID`, `Event Date`/`Date` (with or
//! without a time), `Start Time`, `Status`, `Status Date`/`Last Updated`, `Role`, `Shift`, … Dates
//! are numeric and usually US month-first (`3/14/2026`, `3/14/2026 6:00 PM`).
//!
//! What becomes which event (one per row, by `Status`): Completed and Walk In → `attended`;
//! No Show → `no_show`; Declined (told us) → `declined`; Cancelled → `rsvp_cancelled`; Scheduled,
//! Sched-Web and Tentative → `rsvp`; Confirmed and Conf Twice → `rsvp_confirmed`; Invited, Left
//! Msg and Texted → `contact_attempted` (Texted on the sms channel). Attendance and no-shows sit at
//! the event's date and start time; every other status at its status date when the export has one
//! (else at the event date; the `status_time` note says which). `external_id` is `van:` + VANID;
//! `occasion` is `van:<event id>@YYYY-MM-DD` (else the event name, the source's `group`, or the
//! file name in place of the id), the meeting's local date per the convention in `occasions.rs`.
//!
//! Promises: headers match tolerantly; the day/month order is decided for the whole file from
//! evidence only (a field above 12; VAN rows are not in time order, so nothing else counts) or
//! from `date_order`, and a file with no evidence is an error naming that key; an unknown status
//! is quarantined as `unknown_status`, never guessed. Reads `[[source]]` keys `date_order`,
//! `group` and `columns` (declared attributes only).
//!
//! This module also holds the numeric date-time reader shared with the Zoom parser ([`Stamp`]).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::config::DateOrder;
use crate::error::Diagnostic;
use crate::schema::{Action, Channel, Precision, Str, Tool};
use crate::timeutil;

use super::dates::{self, OrderError};
use super::table::{self, Table};
use super::timestamps;
use super::{text, Input, Parser, Sink};

pub struct Van;

const VANID: &[&str] = &[
    "VANID",
    "Van ID",
    "VAN ID",
    "VoterFile VANID",
    "MyCampaign VANID",
    "myc_van_id",
    "vanid",
];
const FIRST: &[&str] = &["FirstName", "First", "First Name"];
const LAST: &[&str] = &["LastName", "Last", "Last Name"];
const NAME: &[&str] = &["Name", "Full Name", "Contact Name"];
const EMAIL: &[&str] = &["Email", "Email Address", "PreferredEmail", "Preferred Email"];
const PHONES: &[&str] = &[
    "Cell Phone",
    "CellPhone",
    "Cell",
    "Mobile Phone",
    "Phone",
    "Preferred Phone",
    "Home Phone",
];
const EVENT: &[&str] = &["Event", "Event Name", "EventName"];
const EVENT_ID: &[&str] = &["Event ID", "EventID", "Event Id"];
const EVENT_DATE: &[&str] = &["Event Date", "Date", "Event Start Date", "Start Date", "EventDate"];
const START_TIME: &[&str] = &["Start Time", "Event Start Time", "StartTime", "Time"];
const STATUS: &[&str] = &["Status", "Event Status", "Attendance Status"];
const STATUS_DATE: &[&str] = &["Status Date", "Last Updated", "Date Updated", "Status Changed", "StatusDate"];

/// Column positions in one file.
struct Cols {
    vanid: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    name: Option<usize>,
    email: Option<usize>,
    phones: Vec<usize>,
    event: Option<usize>,
    event_id: Option<usize>,
    event_date: usize,
    start_time: Option<usize>,
    status: usize,
    status_date: Option<usize>,
    /// (attribute index, column)
    attrs: Vec<(usize, usize)>,
}

impl Cols {
    fn resolve(t: &Table, input: &Input) -> Result<Cols, Diagnostic> {
        let file = &input.shown;
        let status = t.require(file, "status", STATUS)?;
        let event_date = t.require(file, "event date", EVENT_DATE)?;
        let cols = Cols {
            vanid: t.find(VANID),
            first: t.find(FIRST),
            last: t.find(LAST),
            name: t.find(NAME),
            email: t.find(EMAIL),
            phones: PHONES.iter().filter_map(|p| t.find(&[p])).collect(),
            event: t.find(EVENT),
            event_id: t.find(EVENT_ID),
            event_date,
            start_time: t.find(START_TIME),
            status,
            status_date: t.find(STATUS_DATE),
            attrs: attr_columns(t, input)?,
        };
        if cols.vanid.is_none()
            && cols.first.is_none()
            && cols.last.is_none()
            && cols.name.is_none()
            && cols.email.is_none()
            && cols.phones.is_empty()
        {
            t.require(
                file,
                "person (VANID, name, email or phone)",
                &["VANID", "Van ID", "FirstName", "LastName", "Email", "Cell Phone"],
            )?;
        }
        Ok(cols)
    }
}

/// The source's declared attribute columns (`columns = { worksite = "Store" }`), resolved.
pub(crate) fn attr_columns(t: &Table, input: &Input) -> Result<Vec<(usize, usize)>, Diagnostic> {
    let mut out = Vec::new();
    for (attr, header) in &input.source.attr_columns {
        let what = format!(
            "{:?} column (mapped to attribute {:?} in source {:?})",
            header,
            input.plan.attributes.get(*attr).map(String::as_str).unwrap_or("?"),
            input.source.name
        );
        let i = t.require(&input.shown, &what, &[header.as_str()])?;
        out.push((*attr, i));
    }
    Ok(out)
}

/// A status in the export, normalised: lower case, letters and digits only.
fn status_key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// VAN's event statuses and what they are for the person.
fn status_action(s: &str) -> Option<Action> {
    Some(match status_key(s).as_str() {
        "completed" | "walkin" | "walkins" => Action::Attended,
        "noshow" => Action::NoShow,
        "declined" => Action::Declined,
        "cancelled" | "canceled" => Action::RsvpCancelled,
        "scheduled" | "schedweb" | "scheduledweb" | "tentative" => Action::Rsvp,
        "confirmed" | "conftwice" | "confirmedtwice" => Action::RsvpConfirmed,
        "invited" | "leftmsg" | "leftmessage" | "texted" => Action::ContactAttempted,
        _ => return None,
    })
}

/// Whether an action happens at the meeting itself (else it happens when the status was set).
fn at_meeting(a: Action) -> bool {
    matches!(a, Action::Attended | Action::NoShow)
}

impl Parser for Van {
    fn tool(&self) -> Tool {
        Tool::Van
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["date_order", "group", "columns"]
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
        for (line, why) in &t.broken {
            sink.stats.rows += 1;
            sink.quarantine(*line, None, "unreadable_row", why.clone());
        }
        let date_header = t.headers[c.event_date].clone();
        let status_date_header = c.status_date.map(|i| t.headers[i].clone());

        // The day/month order, for the whole file, from every event and status date.
        let mut samples = Vec::new();
        let mut first_line = 0;
        for (line, rec) in &t.rows {
            for i in std::iter::once(Some(c.event_date)).chain(std::iter::once(c.status_date)).flatten() {
                if let Some(s) = table::cell(rec, Some(i)).and_then(Stamp::parse) {
                    if first_line == 0 {
                        first_line = *line;
                    }
                    samples.push(s);
                }
            }
        }
        let order = match file_order(&samples, input.source.date_order, false) {
            Ok((o, why)) => {
                if !samples.is_empty() {
                    sink.note("date_order", format!("{}: {why}", o.as_str()));
                }
                o
            }
            Err(e) => return Err(order_error(input, e, first_line, c.event_date, &date_header, "mdy")),
        };

        let tz = input.source.timezone;
        let n_attrs = input.plan.attributes.len();
        let group = input.source.group.clone();
        let stem = file_stem(&input.shown);
        let mut per_action: BTreeMap<&'static str, u64> = BTreeMap::new();
        let (mut at_status_date, mut at_event_date) = (0u64, 0u64);

        for (line, rec) in &t.rows {
            let line = *line;
            sink.stats.rows += 1;
            if table::is_blank(rec) {
                sink.stats.skipped += 1;
                continue;
            }
            let status_h = &t.headers[c.status];
            let action = match table::cell(rec, Some(c.status)) {
                None => {
                    sink.quarantine(line, Some(status_h), "missing_status", format!("column {status_h:?} is empty"));
                    continue;
                }
                Some(s) => match status_action(s) {
                    Some(a) => a,
                    None => {
                        sink.quarantine(
                            line,
                            Some(status_h),
                            "unknown_status",
                            format!(
                                "the value in column {status_h:?} is not a VAN event status (known: Scheduled, Sched-Web, Invited, Left Msg, Texted, Tentative, Confirmed, Conf Twice, Completed, Walk In, No Show, Declined, Cancelled)"
                            ),
                        );
                        continue;
                    }
                },
            };
            let vanid = table::cell(rec, c.vanid);
            let email = table::cell(rec, c.email);
            let phone = c.phones.iter().find_map(|&i| table::cell(rec, Some(i)));
            let name = match (table::cell(rec, c.first), table::cell(rec, c.last)) {
                (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
                (Some(f), None) => Some(Str::new(f)),
                (None, Some(l)) => Some(Str::new(l)),
                (None, None) => table::cell(rec, c.name).map(Str::new),
            };
            if vanid.is_none() && email.is_none() && phone.is_none() && name.is_none() {
                sink.quarantine(
                    line,
                    None,
                    "no_identifier",
                    "the row has no VANID, email, phone or name: it cannot be attributed to anyone",
                );
                continue;
            }
            // The meeting: event date, with the start time when the date has none.
            let Some(raw_date) = table::cell(rec, Some(c.event_date)) else {
                sink.quarantine(
                    line,
                    Some(&date_header),
                    "missing_timestamp",
                    format!("column {date_header:?} is empty"),
                );
                continue;
            };
            let Some(mut stamp) = Stamp::parse(raw_date) else {
                sink.quarantine(
                    line,
                    Some(&date_header),
                    "bad_timestamp",
                    format!("the value in column {date_header:?} is not a date like 3/14/2026 or 3/14/2026 6:00 PM"),
                );
                continue;
            };
            if stamp.time.is_none() {
                if let Some(raw_time) = table::cell(rec, c.start_time) {
                    match parse_time(&timestamps::clean(raw_time)) {
                        Some((hms, p)) => {
                            stamp.time = Some(hms);
                            stamp.precision = p;
                        }
                        None => {
                            let h = &t.headers[c.start_time.unwrap_or(0)];
                            sink.quarantine(
                                line,
                                Some(h),
                                "bad_timestamp",
                                format!("the value in column {h:?} is not a time like 6:00 PM or 18:00"),
                            );
                            continue;
                        }
                    }
                }
            }
            let Some(meeting_ts) = stamp.to_utc(order, tz) else {
                sink.quarantine(
                    line,
                    Some(&date_header),
                    "bad_timestamp",
                    format!("the value in column {date_header:?} is not a valid date read as {}", order.as_str()),
                );
                continue;
            };
            let (ts, precision) = if at_meeting(action) {
                (meeting_ts, stamp.precision)
            } else {
                match table::cell(rec, c.status_date) {
                    None => {
                        at_event_date += 1;
                        (meeting_ts, stamp.precision)
                    }
                    Some(v) => {
                        let h = status_date_header.as_deref().unwrap_or("Status Date");
                        match Stamp::parse(v).and_then(|s| s.to_utc(order, tz).map(|ts| (ts, s.precision))) {
                            Some(x) => {
                                at_status_date += 1;
                                x
                            }
                            None => {
                                sink.quarantine(
                                    line,
                                    Some(h),
                                    "bad_timestamp",
                                    format!("the value in column {h:?} is not a date like 3/10/2026 read as {}", order.as_str()),
                                );
                                continue;
                            }
                        }
                    }
                }
            };
            let meeting_date = match stamp.precision {
                Precision::Day => stamp
                    .date(order)
                    .unwrap_or_else(|| timeutil::local_date(meeting_ts, input.plan.timezone)),
                _ => timeutil::local_date(meeting_ts, input.plan.timezone),
            };
            let event_name = table::cell(rec, c.event).map(str::to_string).or_else(|| group.clone());
            let instance = table::cell(rec, c.event_id)
                .map(str::to_string)
                .or_else(|| event_name.clone())
                .unwrap_or_else(|| stem.clone());

            let mut e = sink.event(line, 0, ts, precision, action, n_attrs);
            if status_key(table::cell(rec, Some(c.status)).unwrap_or("")) == "texted" {
                e.channel = Channel::Sms;
            }
            e.external_id = vanid.map(|v| Str::new(&format!("van:{v}")));
            e.email = email.map(Str::new);
            e.phone = phone.map(Str::new);
            e.name = name;
            e.context = event_name.as_deref().map(Str::new);
            e.occasion = Some(Str::new(&format!("van:{instance}@{meeting_date}")));
            for &(a, i) in &c.attrs {
                e.attrs[a] = table::cell(rec, Some(i)).map(Str::new);
            }
            *per_action.entry(action.as_str()).or_default() += 1;
            sink.push(e);
        }
        if !per_action.is_empty() {
            sink.note(
                "statuses",
                per_action.iter().map(|(a, n)| format!("{a}={n}")).collect::<Vec<_>>().join(", "),
            );
        }
        if at_status_date + at_event_date > 0 {
            let how = match (c.status_date.is_some(), at_event_date) {
                (false, _) => format!(
                    "rsvp, cancellation, decline and contact statuses sit at the event date: the export has no status date column ({at_event_date} row(s))"
                ),
                (true, 0) => format!("rsvp, cancellation, decline and contact statuses sit at their status date ({at_status_date} row(s))"),
                (true, n) => format!(
                    "rsvp, cancellation, decline and contact statuses sit at their status date ({at_status_date} row(s)), or at the event date where it is empty ({n} row(s))"
                ),
            };
            sink.note("status_time", how);
        }
        Ok(())
    }
}

pub(crate) fn is_empty(t: &Table) -> bool {
    t.headers.iter().all(|h| h.is_empty()) && t.rows.is_empty()
}

pub(crate) fn is_csv_member(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".csv") || n.ends_with(".txt") || n.ends_with(".tsv")
}

/// The file name without folders, archive and extension (`exports/participants_850.csv` →
/// `participants_850`; `a.zip!x/y.csv` → `y`).
pub(crate) fn file_stem(shown: &str) -> String {
    let last = shown.rsplit('!').next().unwrap_or(shown);
    let base = last.rsplit(['/', '\\']).next().unwrap_or(last);
    match base.rfind('.') {
        Some(i) if i > 0 => base[..i].to_string(),
        _ => base.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Numeric dates with an optional time, day/month order decided per file (shared with Zoom).

/// A numeric date (three fields, order not yet known) with an optional wall time, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub a: u32,
    pub b: u32,
    pub c: u32,
    /// The first field has four digits: the year comes first, whatever the file's order.
    pub year_first: bool,
    /// (hour, minute, second) on a 24 h clock.
    pub time: Option<(u32, u32, u32)>,
    pub precision: Precision,
}

impl Stamp {
    /// Reads `3/14/2026`, `11/19/2021 9:54:15 AM`, `19/11/2021 09:54:15`, `2021-11-19 09:54`,
    /// `13.06.2018 21:25`, `3/14/26, 6:00 p.m.`. `None` for anything else.
    pub fn parse(raw: &str) -> Option<Stamp> {
        let v = timestamps::clean(raw);
        let v = v.trim();
        let end = v.find(|c: char| c.is_whitespace() || c == 'T' || c == ',').unwrap_or(v.len());
        let (date, rest) = v.split_at(end);
        let rest = rest.trim_start_matches(|c: char| c == 'T' || c == ',' || c.is_whitespace());
        let fields: Vec<&str> = date.split(['/', '-', '.']).collect();
        if fields.len() != 3
            || fields
                .iter()
                .any(|f| f.is_empty() || f.len() > 4 || !f.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let year_first = fields[0].len() == 4;
        let ok_widths = if year_first {
            fields[1].len() <= 2 && fields[2].len() <= 2
        } else {
            fields[0].len() <= 2 && fields[1].len() <= 2 && (fields[2].len() == 2 || fields[2].len() == 4)
        };
        if !ok_widths {
            return None;
        }
        let n = |s: &str| s.parse::<u32>().ok();
        let (a, b, c) = (n(fields[0])?, n(fields[1])?, n(fields[2])?);
        let (time, precision) = if rest.is_empty() {
            (None, Precision::Day)
        } else {
            let (t, p) = parse_time(rest)?;
            (Some(t), p)
        };
        Some(Stamp {
            a,
            b,
            c,
            year_first,
            time,
            precision,
        })
    }

    /// The calendar date under the file's order (a year-first stamp is always year-first).
    pub fn date(&self, order: DateOrder) -> Option<NaiveDate> {
        let order = if self.year_first { DateOrder::Ymd } else { order };
        let d = dates::make_date(order, self.a, self.b, self.c)?;
        use chrono::Datelike;
        (1970..=2100).contains(&d.year()).then_some(d)
    }

    /// UTC microseconds of the wall time in `tz` (DST-safe), at the start of its precision.
    pub fn to_utc(&self, order: DateOrder, tz: Tz) -> Option<i64> {
        let d = self.date(order)?;
        let (h, m, s) = self.time.unwrap_or((0, 0, 0));
        let t = NaiveTime::from_hms_opt(h, m, s)?;
        Some(timeutil::local_to_utc_us(d.and_time(t), tz))
    }
}

/// Reads a wall time: `9:54:15 AM`, `09:54:15`, `6:00 PM`, `18:00`, `6 PM`, `1:55 p.m.`,
/// `21.25.15`, with optional fractional seconds. Gives (h, m, s) on a 24 h clock and the precision.
pub(crate) fn parse_time(s: &str) -> Option<((u32, u32, u32), Precision)> {
    let lower = s.trim().to_ascii_lowercase();
    let mut body = lower.as_str();
    let mut meridiem = None;
    for (suffix, pm) in [
        ("a.m.", false),
        ("p.m.", true),
        ("am", false),
        ("pm", true),
        ("a. m.", false),
        ("p. m.", true),
    ] {
        if let Some(x) = body.strip_suffix(suffix) {
            body = x.trim_end();
            meridiem = Some(pm);
            break;
        }
    }
    let sep = if body.contains(':') { ':' } else { '.' };
    let parts: Vec<&str> = body.split(sep).collect();
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            p.parse().ok()
        }
    };
    let (h, m, sec, precision) = match parts.as_slice() {
        [h] if meridiem.is_some() => (num(h)?, 0, 0, Precision::Minute),
        [h, m] => (num(h)?, num(m)?, 0, Precision::Minute),
        [h, m, s] => {
            // fractional seconds are cut (only with ':' separators: `09:54:15.120`)
            let s = if sep == ':' { s.split('.').next().unwrap_or("") } else { s };
            (num(h)?, num(m)?, num(s)?, Precision::Second)
        }
        [h, m, s, frac] if sep == '.' && frac.bytes().all(|b| b.is_ascii_digit()) => (num(h)?, num(m)?, num(s)?, Precision::Second),
        _ => return None,
    };
    if m > 59 || sec > 59 {
        return None;
    }
    let h = match meridiem {
        None if h <= 23 => h,
        None => return None,
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(false) => h % 12,
        Some(true) => h % 12 + 12,
    };
    Some(((h, m, sec), precision))
}

/// Decides a file's day/month order from its stamps (in file order), or takes the pipeline's.
/// `in_time_order`: the rows are in time order, so dates going backwards and the faster-changing
/// field count as evidence (dates.rs); otherwise only a field above 12 does. Dates that read the
/// same both ways (every day equals its month) need no evidence.
pub(crate) fn file_order(stamps: &[Stamp], forced: Option<DateOrder>, in_time_order: bool) -> Result<(DateOrder, String), OrderError> {
    if let Some(o) = forced {
        return Ok((o, "set in the pipeline (date_order)".to_string()));
    }
    let samples: Vec<(u32, u32, u32)> = stamps
        .iter()
        .filter(|s| !s.year_first)
        .map(|s| (s.a, s.b, s.c))
        // dates no order can read are quarantined row by row, they are not evidence
        .filter(|&(a, b, c)| dates::make_date(DateOrder::Dmy, a, b, c).is_some() || dates::make_date(DateOrder::Mdy, a, b, c).is_some())
        .collect();
    if samples.is_empty() {
        return Ok(if stamps.is_empty() {
            (DateOrder::Mdy, "no dates to read".to_string())
        } else {
            (DateOrder::Ymd, "the year comes first".to_string())
        });
    }
    if samples.iter().all(|&(a, b, _)| a == b) {
        return Ok((
            DateOrder::Mdy,
            "every date reads the same either way (day equals month)".to_string(),
        ));
    }
    let valid = |o: DateOrder| samples.iter().all(|&(a, b, c)| dates::make_date(o, a, b, c).is_some());
    match (valid(DateOrder::Dmy), valid(DateOrder::Mdy)) {
        (false, false) => Err(OrderError::Invalid),
        (true, false) => {
            let n = samples.iter().filter(|d| d.0 > 12).count();
            Ok((
                DateOrder::Dmy,
                format!("{n} date(s) have a first field above 12, so the day comes first"),
            ))
        }
        (false, true) => {
            let n = samples.iter().filter(|d| d.1 > 12).count();
            Ok((
                DateOrder::Mdy,
                format!("{n} date(s) have a second field above 12, so the month comes first"),
            ))
        }
        (true, true) if in_time_order => dates::infer(&samples, false).map(|c| (c.order, c.evidence)),
        (true, true) => Err(OrderError::Ambiguous),
    }
}

/// The file error for a day/month order that cannot be decided.
pub(crate) fn order_error(input: &Input, e: OrderError, line: u64, col: usize, header: &str, suggest: &str) -> Diagnostic {
    let msg = match e {
        OrderError::Ambiguous => format!(
            "the dates in column {header:?} read both as month/day and as day/month (no day above 12), so their order cannot be told"
        ),
        OrderError::Invalid => {
            format!("the dates in column {header:?} contradict each other: some only read as month/day, others only as day/month")
        }
    };
    Diagnostic::new(&input.shown, line as usize, col + 1, msg).hint(format!(
        "set date_order = \"{suggest}\" (3/14/2026 = March 14) or date_order = \"{}\" (14/3/2026) in source {:?} in {} (line {})",
        if suggest == "mdy" { "dmy" } else { "mdy" },
        input.source.name,
        input.plan.path.display(),
        input.source.line
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_read_the_usual_shapes() {
        let s = Stamp::parse("11/19/2021 9:54:15 AM").unwrap();
        assert_eq!(
            (s.a, s.b, s.c, s.time, s.precision),
            (11, 19, 2021, Some((9, 54, 15)), Precision::Second)
        );
        let s = Stamp::parse("19/11/2021 21:54").unwrap();
        assert_eq!((s.time, s.precision), (Some((21, 54, 0)), Precision::Minute));
        let s = Stamp::parse("3/14/2026").unwrap();
        assert_eq!((s.time, s.precision), (None, Precision::Day));
        assert_eq!(Stamp::parse("2021-11-19 12:05:00 AM").unwrap().time, Some((0, 5, 0)));
        assert_eq!(Stamp::parse("3/14/26, 12:30 p.m.").unwrap().time, Some((12, 30, 0)));
        assert!(Stamp::parse("2021-11-19").unwrap().year_first);
        for bad in [
            "",
            "yesterday",
            "3/14",
            "3/14/2026 25:00",
            "3/14/2026 13:00 PM",
            "123/1/2026",
            "3/14/2026 6:61",
        ] {
            assert_eq!(Stamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn order_needs_evidence_when_rows_are_not_in_time_order() {
        let st = |s: &str| Stamp::parse(s).unwrap();
        let amb = [st("3/6/2026"), st("3/5/2026"), st("3/7/2026")];
        assert_eq!(file_order(&amb, None, false), Err(OrderError::Ambiguous));
        assert_eq!(file_order(&amb, Some(DateOrder::Dmy), false).unwrap().0, DateOrder::Dmy);
        let us = [st("3/6/2026"), st("3/14/2026")];
        assert_eq!(file_order(&us, None, false).unwrap().0, DateOrder::Mdy);
        assert_eq!(file_order(&[st("3/3/2026")], None, false).unwrap().0, DateOrder::Mdy);
        assert_eq!(file_order(&[st("2026-03-14")], None, false).unwrap().0, DateOrder::Ymd);
    }

    #[test]
    fn statuses() {
        assert_eq!(status_action("Sched-Web"), Some(Action::Rsvp));
        assert_eq!(status_action(" walk in "), Some(Action::Attended));
        assert_eq!(status_action("Left Msg"), Some(Action::ContactAttempted));
        assert_eq!(status_action("No Show"), Some(Action::NoShow));
        assert_eq!(status_action("Conf Twice"), Some(Action::RsvpConfirmed));
        assert_eq!(status_action("Maybe"), None);
    }

    #[test]
    fn stems() {
        assert_eq!(file_stem("exports/participants_850.csv"), "participants_850");
        assert_eq!(file_stem("a.zip!x/y.csv"), "y");
        assert_eq!(file_stem("noext"), "noext");
    }
}
