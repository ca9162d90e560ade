//! Eventbrite attendee reports (`tool = "eventbrite"`).
//!
//! **What the export looks like.** Reports → Attendee summary → Export CSV: one row per
//! attendee (ticket), `Order #,Order Date,First Name,Last Name,Email,Quantity,Price Tier,Ticket
//! Type,Attendee #,Group,Order Type,Currency,Total Paid,Fees Paid,Eventbrite Fees,Eventbrite
//! Payment Processing,Attendee Status,…` then the event's custom questions (`Cell Phone`, a
//! worksite question, …). Some reports add `Event Name`, `Event ID`, `Event Start Date` or a
//! check-in time. `Order Date` is local wall time in the event's zone (the source's `timezone`),
//! written in the exporting account's locale: `11/29/24 22:28` (US, month first),
//! `29/11/2024 22:28`, `2024-11-29 22:28:43`. Day/month order is inferred for the whole file
//! from every date it holds (a field above 12, dates going backwards, which field changes
//! faster) and can be set with `date_order`; a file with no evidence either way is an error
//! asking for `date_order`, never a guess.
//!
//! **What becomes which event.** Every attendee row → `rsvp` at the order time (sub-event 0).
//! `Attendee Status`:
//! - `Attending` (or empty): the `rsvp` only;
//! - `Checked In`: also `attended` (sub 1) at the check-in time column when there is one, else
//!   the event start, else the order time (counted in the note `attended_time`); a `Checked In`
//!   column saying yes/true does the same;
//! - `Not Attending`, `Cancelled`, `Refunded`, `Deleted`, `Transferred`: also `rsvp_cancelled`
//!   (sub 1) at the order time — the report has no cancellation time (noted);
//! - anything else is quarantined (`unmapped_status`).
//!
//! **Identifiers.** email, name = first + last, phone = `Cell Phone`/`Mobile Phone`/`Phone`/…,
//! external_id = `Attendee #` (identity prefixes the tool). context = `Event Name`, else the
//! source's `group`, else the file name; occasion = `Event ID`, else the context (plus the local
//! event date when the report has an event start column: a series' dates are distinct
//! meetings). Declared attributes map to question headers with `columns`.
//!
//! `[[source]]` keys: `date_order`, `group`, `columns`.

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::config::DateOrder;
use crate::error::Diagnostic;
use crate::schema::{Action, Precision, Str, Tool};
use crate::timeutil;

use super::dates;
use super::table::{self, Table};
use super::text;
use super::timestamps::{self, Format};
use super::{Input, Parser, Sink};

pub struct Eventbrite;

const ORDER_DATE: &[&str] = &["Order Date", "Order Time", "Date Ordered", "Purchase Date"];
const CHECKIN_TIME: &[&str] = &[
    "Check-In Date",
    "Checked In Date",
    "Check-In Time",
    "Checked In At",
    "Checked In Time",
];
const CHECKIN_FLAG: &[&str] = &["Checked In", "Check-In Status"];
const EVENT_NAME: &[&str] = &["Event Name", "Event Title", "Event"];
const EVENT_ID: &[&str] = &["Event ID"];
const EVENT_START: &[&str] = &["Event Start Date", "Event Start", "Event Date", "Event Start Time", "Start Date"];
const STATUS: &[&str] = &["Attendee Status", "Status"];
const PHONE: &[&str] = &["Cell Phone", "Mobile Phone", "Phone", "Phone Number", "Home Phone", "Work Phone"];

/// A date-time as written, before day/month order is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    pub a: u32,
    pub b: u32,
    pub c: u32,
    /// The first field has four digits (year first).
    pub year_first: bool,
    /// (hour 0-23, minute, second if written)
    pub time: Option<(u32, u32, Option<u32>)>,
}

/// Splits `11/29/24 22:28`, `2024-11-29 10:28:43 PM`, `29.11.2024` into numeric parts.
pub fn parse_parts(raw: &str) -> Option<Parts> {
    let v = timestamps::clean(raw);
    let v = v.trim();
    let (date, rest) = match v.find([' ', 'T']) {
        Some(i) => (&v[..i], v[i + 1..].trim()),
        None => (v, ""),
    };
    let fields: Vec<&str> = date.split(['/', '-', '.']).collect();
    if fields.len() != 3
        || fields
            .iter()
            .any(|f| f.is_empty() || f.len() > 4 || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let a: u32 = fields[0].parse().ok()?;
    let b: u32 = fields[1].parse().ok()?;
    let c: u32 = fields[2].parse().ok()?;
    let year_first = fields[0].len() == 4;
    let time = if rest.is_empty() {
        None
    } else {
        let lower = rest.to_ascii_lowercase();
        let (clock, pm) = if let Some(x) = lower.strip_suffix("pm").or_else(|| lower.strip_suffix("p.m.")) {
            (x.trim().to_string(), Some(true))
        } else if let Some(x) = lower.strip_suffix("am").or_else(|| lower.strip_suffix("a.m.")) {
            (x.trim().to_string(), Some(false))
        } else {
            (lower.clone(), None)
        };
        let t: Vec<&str> = clock.split(':').collect();
        if !(2..=3).contains(&t.len())
            || t.iter()
                .any(|x| x.is_empty() || x.len() > 2 || !x.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let mut h: u32 = t[0].parse().ok()?;
        let m: u32 = t[1].parse().ok()?;
        let s: Option<u32> = match t.get(2) {
            Some(x) => Some(x.parse().ok()?),
            None => None,
        };
        match pm {
            Some(true) if (1..=12).contains(&h) => h = if h == 12 { 12 } else { h + 12 },
            Some(false) if (1..=12).contains(&h) => h = if h == 12 { 0 } else { h },
            Some(_) => return None,
            None => {}
        }
        if h > 23 || m > 59 || s.is_some_and(|s| s > 59) {
            return None;
        }
        Some((h, m, s))
    };
    Some(Parts { a, b, c, year_first, time })
}

impl Parts {
    fn date(&self, order: DateOrder) -> Option<NaiveDate> {
        let order = if self.year_first { DateOrder::Ymd } else { order };
        if order != DateOrder::Ymd && (self.c >= 100 && self.c < 1000) {
            return None;
        }
        dates::make_date(order, self.a, self.b, self.c)
    }

    /// UTC microseconds of this local time in `tz`, with its precision.
    pub fn resolve(&self, order: DateOrder, tz: Tz) -> Option<(i64, Precision)> {
        let date = self.date(order)?;
        if !(1970..=2100).contains(&chrono::Datelike::year(&date)) {
            return None;
        }
        match self.time {
            None => Some((timeutil::local_midnight_us(date, tz), Precision::Day)),
            Some((h, m, s)) => {
                let t = NaiveTime::from_hms_opt(h, m, s.unwrap_or(0))?;
                let p = if s.is_some() { Precision::Second } else { Precision::Minute };
                Some((timeutil::local_to_utc_us(date.and_time(t), tz), p))
            }
        }
    }
}

/// Reads a time cell: ISO 8601 with an offset, or local parts in the file's order.
fn read_time(v: &str, order: DateOrder, tz: Tz) -> Option<(i64, Precision)> {
    if let Some(ts) = Format::Rfc3339.parse(v, tz) {
        return Some((ts, Precision::Second));
    }
    parse_parts(v)?.resolve(order, tz)
}

fn found(t: &Table) -> String {
    super::table::describe_header(&t.headers)
}

fn check(input: &Input, t: &Table) -> Result<(), Diagnostic> {
    t.require(&input.shown, "order date", ORDER_DATE).map_err(|d| {
        let h = d.hint.clone().unwrap_or_default();
        d.hint(format!(
            "{h} An Eventbrite attendee report (Reports → Attendee summary → Export) has \"Order Date\""
        ))
    })?;
    if !t.has(&["Email", "Attendee #", "First Name", "Last Name"]) {
        return Err(Diagnostic::new(
            &input.shown,
            1,
            0,
            "the Eventbrite report has no attendee columns (Email, Attendee #, First Name, Last Name)",
        )
        .hint(format!(
            "{}. Export the attendee summary report, not the orders or sales report",
            found(t)
        )));
    }
    Ok(())
}

/// Chooses the file's day/month order from every date it holds.
fn choose_order(input: &Input, t: &Table, cols: &[usize]) -> Result<(DateOrder, String), Diagnostic> {
    if let Some(o) = input.source.date_order {
        return Ok((o, format!("{} (set in the pipeline)", o.as_str())));
    }
    // Every date of the file counts as evidence of a field above 12; the order heuristics (dates
    // going backwards, the faster field) look at the order dates alone, which follow each other.
    let mut triples = Vec::new();
    let mut order_dates = Vec::new();
    let mut first_col = cols[0];
    for (_, rec) in &t.rows {
        for &c in cols {
            let Some(v) = table::cell(rec, Some(c)) else { continue };
            if Format::Rfc3339.parse(v, input.source.timezone).is_some() {
                continue;
            }
            if let Some(p) = parse_parts(v) {
                let valid = |o| p.date(o).is_some();
                if !p.year_first && (valid(DateOrder::Dmy) || valid(DateOrder::Mdy)) {
                    if triples.is_empty() {
                        first_col = c;
                    }
                    triples.push((p.a, p.b, p.c));
                    if c == cols[0] {
                        order_dates.push((p.a, p.b, p.c));
                    }
                }
            }
        }
    }
    if triples.is_empty() {
        // Year-first or ISO dates only: no day/month question to settle.
        return Ok((DateOrder::Ymd, "ymd: the year comes first".to_string()));
    }
    let valid = |o: DateOrder, &(a, b, c): &(u32, u32, u32)| dates::make_date(o, a, b, c).is_some();
    let only_dmy = triples
        .iter()
        .filter(|t| valid(DateOrder::Dmy, t) && !valid(DateOrder::Mdy, t))
        .count();
    let only_mdy = triples
        .iter()
        .filter(|t| valid(DateOrder::Mdy, t) && !valid(DateOrder::Dmy, t))
        .count();
    let ambiguous = |first_col: usize| {
        Diagnostic::new(
            &input.shown,
            2,
            first_col + 1,
            "the dates read both month-first and day-first, and nothing in the file settles which",
        )
        .hint(format!(
            "set date_order = \"mdy\" (US accounts: 11/29/24) or \"dmy\" (29/11/24) in source {:?}",
            input.source.name
        ))
    };
    match (only_dmy, only_mdy) {
        (0, 0) => match dates::infer(&order_dates, false) {
            Ok(c) => Ok((c.order, format!("{}: {}", c.order.as_str(), c.evidence))),
            Err(_) => Err(ambiguous(first_col)),
        },
        (d, 0) => Ok((
            DateOrder::Dmy,
            format!("dmy: {d} date(s) are only valid day first (a first field above 12)"),
        )),
        (0, m) => Ok((
            DateOrder::Mdy,
            format!("mdy: {m} date(s) are only valid month first (a second field above 12)"),
        )),
        (d, m) if d != m => {
            let (order, more, fewer) = if d > m { (DateOrder::Dmy, d, m) } else { (DateOrder::Mdy, m, d) };
            Ok((
                order,
                format!(
                    "{}: {more} date(s) are only valid that way and {fewer} only the other way (those are quarantined)",
                    order.as_str()
                ),
            ))
        }
        _ => Err(Diagnostic::new(
            &input.shown,
            2,
            first_col + 1,
            "as many dates are only valid month-first as only day-first",
        )
        .hint(format!(
            "check the file's dates, or set date_order = \"mdy\" or \"dmy\" in source {:?} (rows that do not fit are then quarantined)",
            input.source.name
        ))),
    }
}

fn file_stem(input: &Input) -> String {
    let shown = input.shown.rsplit('!').next().unwrap_or("");
    let name = shown.rsplit(['/', '\\']).next().unwrap_or("");
    name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name).to_string()
}

enum Status {
    Attending,
    CheckedIn,
    Cancelled,
}

fn status(v: Option<&str>) -> Option<Status> {
    let v = v.unwrap_or("").trim().to_lowercase();
    match v.as_str() {
        "" | "attending" => Some(Status::Attending),
        "checked in" | "checked-in" | "checkedin" | "attended" => Some(Status::CheckedIn),
        "not attending" | "cancelled" | "canceled" | "refunded" | "deleted" | "transferred" | "refunded/canceled"
        | "refunded/cancelled" => Some(Status::Cancelled),
        _ => None,
    }
}

fn yes(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "yes" | "y" | "true" | "1" | "checked in" | "x"
    )
}

impl Parser for Eventbrite {
    fn tool(&self) -> Tool {
        Tool::Eventbrite
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["date_order", "group", "columns"]
    }

    fn reads_member(&self, name: &str) -> bool {
        name.to_ascii_lowercase().ends_with(".csv")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let (text, _) = text::decode(input.bytes, None);
        let head = text.lines().next().unwrap_or("");
        check(input, &Table::read(head.as_bytes(), 0)).err().into_iter().collect()
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let Some(t) = super::table::open(input, sink, |t| check(input, t))? else {
            return Ok(());
        };
        let tz = input.source.timezone;
        let order_col = t.find(ORDER_DATE).expect("checked");
        let order_header = t.headers[order_col].trim().to_string();
        let checkin_time = t.find(CHECKIN_TIME);
        let checkin_flag = t.find(CHECKIN_FLAG);
        let start = t.find(EVENT_START);
        let time_cols: Vec<usize> = [Some(order_col), checkin_time, start].into_iter().flatten().collect();
        let (order, evidence) = choose_order(input, &t, &time_cols)?;
        sink.note("date_order", evidence);

        let email = t.find(&["Email", "Email Address"]);
        let first = t.find(&["First Name"]);
        let last = t.find(&["Last Name"]);
        let phone = t.find(PHONE);
        let attendee_no = t.find(&["Attendee #", "Attendee No", "Attendee ID"]);
        let status_col = t.find(STATUS);
        let status_header = status_col.map(|i| t.headers[i].trim().to_string());
        let event_name = t.find(EVENT_NAME);
        let event_id = t.find(EVENT_ID);
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
        let fallback = input
            .source
            .group
            .clone()
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| file_stem(input));
        let n_attrs = input.plan.attributes.len();
        let (mut attended_at_start, mut attended_at_order, mut cancelled) = (0u64, 0u64, 0u64);

        for (line, rec) in &t.rows {
            let line = *line;
            sink.stats.rows += 1;
            if table::is_blank(rec) {
                sink.stats.skipped += 1;
                continue;
            }
            let Some(st) = status(table::cell(rec, status_col)) else {
                let h = status_header.as_deref().unwrap_or("Attendee Status");
                sink.quarantine(
                    line,
                    Some(h),
                    "unmapped_status",
                    format!("the value in column {h:?} is not a status turnout knows (Attending, Checked In, Not Attending, Cancelled, Refunded)"),
                );
                continue;
            };
            let (ts, precision) = match table::cell(rec, Some(order_col)) {
                None => {
                    sink.quarantine(
                        line,
                        Some(&order_header),
                        "missing_timestamp",
                        format!("column {order_header:?} is empty"),
                    );
                    continue;
                }
                Some(v) => match read_time(v, order, tz) {
                    Some(x) => x,
                    None => {
                        sink.quarantine(
                            line,
                            Some(&order_header),
                            "bad_timestamp",
                            format!(
                                "the value in column {order_header:?} is not a date and time in {} order",
                                order.as_str()
                            ),
                        );
                        continue;
                    }
                },
            };
            let mut e = sink.event(line, 0, ts, precision, Action::Rsvp, n_attrs);
            e.email = table::cell(rec, email).map(Str::new);
            e.phone = table::cell(rec, phone).map(Str::new);
            e.external_id = table::cell(rec, attendee_no).map(Str::new);
            e.name = match (table::cell(rec, first), table::cell(rec, last)) {
                (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
                (Some(f), None) => Some(Str::new(f)),
                (None, Some(l)) => Some(Str::new(l)),
                (None, None) => None,
            };
            if e.email.is_none() && e.phone.is_none() && e.external_id.is_none() && e.name.is_none() {
                sink.quarantine(
                    line,
                    None,
                    "no_identifier",
                    "the row has no email, name, phone or attendee number: it cannot be attributed to anyone",
                );
                continue;
            }
            for (a, i) in &attrs {
                if let Some(slot) = e.attrs.get_mut(*a) {
                    *slot = table::cell(rec, Some(*i)).map(Str::new);
                }
            }
            let context = table::cell(rec, event_name).map(str::to_string).unwrap_or_else(|| fallback.clone());
            let start_at = table::cell(rec, start).and_then(|v| read_time(v, order, tz));
            e.occasion = Some(match table::cell(rec, event_id) {
                Some(id) => Str::new(id),
                None => match start_at {
                    Some((s, _)) => Str::new(&format!("{context} {}", timeutil::local_date(s, input.plan.timezone))),
                    None => Str::new(&context),
                },
            });
            e.context = Some(Str::new(&context));
            let flagged = table::cell(rec, checkin_flag).is_some_and(yes);
            let second = match st {
                Status::CheckedIn => Some(Action::Attended),
                Status::Attending if flagged => Some(Action::Attended),
                Status::Cancelled => Some(Action::RsvpCancelled),
                Status::Attending => None,
            };
            let Some(action) = second else {
                sink.push(e);
                continue;
            };
            let (sts, sp) = if action == Action::Attended {
                match table::cell(rec, checkin_time).and_then(|v| read_time(v, order, tz)) {
                    Some(x) => x,
                    None => match start_at {
                        Some(x) => {
                            attended_at_start += 1;
                            x
                        }
                        None => {
                            attended_at_order += 1;
                            (ts, precision)
                        }
                    },
                }
            } else {
                cancelled += 1;
                (ts, precision)
            };
            let mut s = sink.event(line, 1, sts, sp, action, n_attrs);
            s.email = e.email.clone();
            s.phone = e.phone.clone();
            s.name = e.name.clone();
            s.external_id = e.external_id.clone();
            s.context = e.context.clone();
            s.occasion = e.occasion.clone();
            s.attrs = e.attrs.clone();
            sink.push(e);
            sink.push(s);
        }
        if attended_at_start + attended_at_order > 0 {
            sink.note(
                "attended_time",
                format!(
                    "no check-in time: {attended_at_start} attendance(s) placed at the event start, {attended_at_order} at the order time"
                ),
            );
        }
        if cancelled > 0 {
            sink.note(
                "cancel_time",
                format!("{cancelled} cancellation(s) placed at the order time: the report has no cancellation time"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chicago() -> Tz {
        "America/Chicago".parse().unwrap()
    }

    #[test]
    fn parts_of_us_and_iso_dates() {
        let p = parse_parts("11/29/24 22:28").unwrap();
        assert_eq!((p.a, p.b, p.c, p.year_first, p.time), (11, 29, 24, false, Some((22, 28, None))));
        let (us, prec) = p.resolve(DateOrder::Mdy, chicago()).unwrap();
        assert_eq!(timeutil::iso(us), "2024-11-30T04:28:00Z");
        assert_eq!(prec, Precision::Minute);
        let p = parse_parts("2024-11-29 10:28:43 PM").unwrap();
        assert!(p.year_first);
        assert_eq!(p.time, Some((22, 28, Some(43))));
        assert_eq!(parse_parts("12/01/2024 12:05 am").unwrap().time, Some((0, 5, None)));
        assert_eq!(parse_parts("29.11.2024").unwrap().time, None);
        for bad in [
            "",
            "yesterday",
            "11/29",
            "11/29/24 25:00",
            "11/29/24 13:00 PM",
            "1/2/3/4",
            "١١/٢٩/٢٤",
        ] {
            assert!(parse_parts(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_two_digit_year_is_never_year_24() {
        let p = parse_parts("29/11/24").unwrap();
        let (us, _) = p.resolve(DateOrder::Dmy, chicago()).unwrap();
        assert_eq!(timeutil::iso(us), "2024-11-29T06:00:00Z");
        assert!(parse_parts("11/29/24").unwrap().resolve(DateOrder::Dmy, chicago()).is_none());
    }
}
