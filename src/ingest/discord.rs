//! Discord channels exported with DiscordChatExporter as CSV (`tool = "discord"`).
//!
//! Takes: `AuthorID,Author,Date,Content,Attachments,Reactions`, every field quoted, one row per
//! message (a multi-line message spans several physical lines), UTF-8 with or without BOM, alone
//! or in a zip (members ending in `.csv`). `Date` is written in the exporting machine's locale
//! and, unless the export used `--utc`, its local time: `11/19/2021 9:54 AM`, `19/11/2021 09:54`,
//! `19.11.2021 09:54:15`, `2021/11/19 9:54`, `19-Nov-21 09:54 AM` (old versions), or ISO 8601
//! with an offset when a custom `--dateformat` asks for one.
//! Gives: `message_sent` per row, for `AuthorID` (external id) and `Author` (name). Rows that are
//! DiscordChatExporter's own wording of a system message: `Joined the server.` → `group_joined`,
//! `Left the group.` → `group_left`; pins, thread starts, calls, renames, icon changes and group
//! DM adds/removes are skipped on purpose (counted, `skipped_system` note).
//! Context: the source's `group` when set, else the file name without extension and without the
//! channel id DiscordChatExporter appends (`Union - general [8847…].csv` → `Union - general`).
//! Time: numeric dates are read day-first or month-first per file: the source's `date_order` when
//! set, else inferred from all the file's dates (a field above 12, which field changes faster,
//! dates that would go backwards; see `dates.rs`) and noted; a file with no evidence either way is
//! an error whose hint names `date_order`. A four-digit first field is year first. Local times
//! are read in the source's `timezone`; ISO dates with an offset are exact. Precision is the
//! second when the value has seconds, else the minute.
//! Promises: a missing AuthorID, Author or Date column is an error listing the columns found;
//! blank rows are skipped; a row without author id or name is `no_identifier`, a date that does
//! not read is `bad_timestamp`. Message text is only compared with the system wordings above and
//! never leaves this module. Never panics on any input.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use crate::config::DateOrder;
use crate::error::Diagnostic;
use crate::schema::{Action, Precision, Str, Tool};
use crate::timeutil;

use super::dates::{self, OrderError};
use super::table::{self, Table};
use super::timestamps;
use super::{Input, Parser, Sink};

pub struct Discord;

const AUTHOR_ID: &[&str] = &["AuthorID", "Author ID"];
const AUTHOR: &[&str] = &["Author"];
const DATE: &[&str] = &["Date"];
const CONTENT: &[&str] = &["Content"];

impl Parser for Discord {
    fn tool(&self) -> Tool {
        Tool::Discord
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["date_order", "group"]
    }

    fn reads_member(&self, name: &str) -> bool {
        name.to_ascii_lowercase().ends_with(".csv")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let t = Table::read(input.bytes, 0);
        if t.headers.is_empty() {
            return Vec::new();
        }
        [("author id", AUTHOR_ID), ("author", AUTHOR), ("date", DATE)]
            .iter()
            .filter_map(|(what, names)| t.require(&input.shown, what, names).err())
            .map(hint_export)
            .collect()
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let t = Table::read(input.bytes, 0);
        sink.note("encoding", t.encoding);
        if t.headers.iter().all(|h| h.is_empty()) {
            sink.note("empty", "the file has no header and no rows");
            return Ok(());
        }
        let id_col = t.require(&input.shown, "author id", AUTHOR_ID).map_err(hint_export)?;
        let author_col = t.require(&input.shown, "author", AUTHOR).map_err(hint_export)?;
        let date_col = t.require(&input.shown, "date", DATE).map_err(hint_export)?;
        let content_col = t.find(CONTENT);
        let date_header = t.headers.get(date_col).cloned().unwrap_or_else(|| "Date".to_string());

        for (line, why) in &t.broken {
            sink.stats.rows += 1;
            sink.quarantine(*line, None, "unreadable_row", why.clone());
        }

        // Read every date's shape first: the day/month order is decided per file.
        let raw: Vec<Option<Raw>> = t
            .rows
            .iter()
            .map(|(_, r)| table::cell(r, Some(date_col)).and_then(Raw::read))
            .collect();
        let ambiguous: Vec<(u32, u32, u32)> = raw
            .iter()
            .flatten()
            .filter_map(|r| match r {
                Raw::Numeric {
                    a,
                    b,
                    c,
                    year_first: false,
                    ..
                } => Some((*a, *b, *c)),
                _ => None,
            })
            .collect();
        let order = match input.source.date_order {
            Some(o) => {
                sink.note("date_order", format!("{} (set in the pipeline)", o.as_str()));
                Some(o)
            }
            None if ambiguous.is_empty() => None,
            None => {
                // Dates that are valid in neither order are quarantined row by row below.
                let usable: Vec<(u32, u32, u32)> = ambiguous
                    .iter()
                    .copied()
                    .filter(|&(a, b, c)| {
                        dates::make_date(DateOrder::Dmy, a, b, c).is_some() || dates::make_date(DateOrder::Mdy, a, b, c).is_some()
                    })
                    .collect();
                match dates::infer(&usable, false) {
                    Ok(choice) => {
                        sink.note("date_order", format!("{}: {}", choice.order.as_str(), choice.evidence));
                        Some(choice.order)
                    }
                    Err(e) => {
                        let first = t
                            .rows
                            .iter()
                            .zip(&raw)
                            .find(|(_, r)| matches!(r, Some(Raw::Numeric { year_first: false, .. })))
                            .map(|((l, _), _)| *l)
                            .unwrap_or(2);
                        let why = match e {
                            OrderError::Ambiguous => "every date reads the same day-first or month-first, so the order cannot be told",
                            OrderError::Invalid => "some dates only make sense day-first and others only month-first",
                        };
                        return Err(Diagnostic::new(
                            &input.shown,
                            first as usize,
                            date_col + 1,
                            format!("the dates in column {date_header:?} are ambiguous: {why}"),
                        )
                        .hint(format!(
                            "set date_order = \"dmy\" (19/11/2021) or date_order = \"mdy\" (11/19/2021) in source {:?} of {} (line {})",
                            input.source.name,
                            input.plan.path.display(),
                            input.source.line
                        )));
                    }
                }
            }
        };
        let kinds: Vec<&str> = {
            let mut k: Vec<&str> = raw.iter().flatten().map(Raw::kind).collect();
            k.sort_unstable();
            k.dedup();
            k
        };
        if !kinds.is_empty() {
            sink.note("date_format", kinds.join(", "));
        }
        sink.note("timezone", format!("local times read in {}", input.source.timezone.name()));

        let context = context(input).as_deref().map(Str::new);
        let n_attrs = input.plan.attributes.len();
        let tz = input.source.timezone;
        let mut skipped_system: BTreeMap<&'static str, u64> = BTreeMap::new();
        for ((line, rec), raw) in t.rows.iter().zip(&raw) {
            let line = *line;
            sink.stats.rows += 1;
            if table::is_blank(rec) {
                sink.stats.skipped += 1;
                continue;
            }
            let action = match table::cell(rec, content_col).map(system_message) {
                Some(Some(System::Action(a))) => a,
                Some(Some(System::Skip(what))) => {
                    sink.stats.skipped += 1;
                    *skipped_system.entry(what).or_insert(0) += 1;
                    continue;
                }
                _ => Action::MessageSent,
            };
            let id = table::cell(rec, Some(id_col));
            let name = table::cell(rec, Some(author_col));
            if id.is_none() && name.is_none() {
                sink.quarantine(line, None, "no_identifier", "the row has no AuthorID and no Author");
                continue;
            }
            let Some(raw) = raw else {
                let (reason, detail) = if table::cell(rec, Some(date_col)).is_none() {
                    ("missing_timestamp", format!("column {date_header:?} is empty"))
                } else {
                    (
                        "bad_timestamp",
                        format!("the value in column {date_header:?} is not a date and time DiscordChatExporter writes"),
                    )
                };
                sink.quarantine(line, Some(&date_header), reason, detail);
                continue;
            };
            let Some((ts, precision)) = raw.resolve(order, tz) else {
                sink.quarantine(
                    line,
                    Some(&date_header),
                    "bad_timestamp",
                    format!(
                        "the value in column {date_header:?} is not a real date read as {}",
                        order.map(DateOrder::as_str).unwrap_or("written")
                    ),
                );
                continue;
            };
            let mut e = sink.event(line, 0, ts, precision, action, n_attrs);
            e.external_id = id.map(Str::new);
            e.name = name.map(Str::new);
            e.context = context;
            sink.push(e);
        }
        if !skipped_system.is_empty() {
            let t: Vec<String> = skipped_system.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            sink.note("skipped_system", t.join(", "));
        }
        Ok(())
    }
}

fn hint_export(d: Diagnostic) -> Diagnostic {
    let found = d.hint.clone().unwrap_or_default();
    d.hint(format!(
        "{found} DiscordChatExporter's CSV starts with AuthorID,Author,Date,Content,Attachments,Reactions: export the channel again with --format Csv"
    ))
}

/// The group the file is about (see the module header).
fn context(input: &Input) -> Option<String> {
    if let Some(g) = input.source.group.as_ref().filter(|g| !g.is_empty()) {
        return Some(g.clone());
    }
    let member = input.shown.rsplit_once('!').map(|(_, m)| m);
    let path = member.map(Path::new).unwrap_or(input.path);
    let stem = path.file_stem().and_then(|s| s.to_str())?.trim();
    let stem = match stem.strip_suffix(']').and_then(|s| s.rsplit_once(" [")) {
        Some((name, id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !name.trim().is_empty() => name.trim(),
        _ => stem,
    };
    // A direct-message export is named after the other person: never use that as a context.
    if stem.starts_with("Direct Messages - ") {
        return Some("direct message".to_string());
    }
    (!stem.is_empty()).then(|| stem.to_string())
}

enum System {
    Action(Action),
    Skip(&'static str),
}

/// DiscordChatExporter's fixed English wording of system notifications (`GetFallbackContent`).
fn system_message(content: &str) -> Option<System> {
    let c = content.trim();
    Some(match c {
        "Joined the server." => System::Action(Action::GroupJoined),
        "Left the group." => System::Action(Action::GroupLeft),
        "Pinned a message." => System::Skip("pin"),
        "Started a thread." => System::Skip("thread started"),
        "Changed the channel icon." => System::Skip("channel icon"),
        "Changed the channel name." | "Added a recipient." | "Removed a recipient." => System::Skip("group DM change"),
        _ if c.starts_with("Started a call that lasted ") && c.ends_with(" minutes.") => System::Skip("call"),
        _ if c.starts_with("Changed the channel name: ") => System::Skip("channel name"),
        _ if c.starts_with("Added ") && c.ends_with(" to the group.") => System::Skip("group DM change"),
        _ if c.starts_with("Removed ") && c.ends_with(" from the group.") => System::Skip("group DM change"),
        _ => return None,
    })
}

/// A Date value's shape, before the file's day/month order is known.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    /// ISO 8601 with an offset: an instant.
    Exact(i64),
    /// A month written as a name (`19-Nov-21 09:54 AM`): no order question.
    Named(NaiveDateTime, Precision),
    /// Three numbers then a time of day.
    Numeric {
        a: u32,
        b: u32,
        c: u32,
        year_first: bool,
        time: NaiveTime,
        precision: Precision,
    },
}

impl Raw {
    fn kind(&self) -> &'static str {
        match self {
            Raw::Exact(_) => "ISO 8601 with offset",
            Raw::Named(..) => "day-month name-year (dd-MMM-yy)",
            Raw::Numeric { year_first: true, .. } => "numeric, year first",
            Raw::Numeric { .. } => "numeric, local",
        }
    }

    fn read(v: &str) -> Option<Raw> {
        let v = timestamps::clean(v);
        if let Ok(t) = DateTime::parse_from_rfc3339(&v) {
            return Some(Raw::Exact(t.timestamp_micros()));
        }
        for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z"] {
            if let Ok(t) = DateTime::parse_from_str(&v, f) {
                return Some(Raw::Exact(t.timestamp_micros()));
            }
        }
        for (f, p) in [
            ("%d-%b-%y %I:%M %p", Precision::Minute),
            ("%d-%b-%Y %I:%M %p", Precision::Minute),
            ("%d-%b-%y %H:%M", Precision::Minute),
            ("%d-%b-%y %I:%M:%S %p", Precision::Second),
            ("%d %b %Y %H:%M", Precision::Minute),
        ] {
            if let Ok(n) = NaiveDateTime::parse_from_str(&v, f) {
                return Some(Raw::Named(n, p));
            }
        }
        numeric(&v)
    }

    /// UTC µs and precision, given the file's order; None for an impossible date.
    fn resolve(&self, order: Option<DateOrder>, tz: chrono_tz::Tz) -> Option<(i64, Precision)> {
        let sane = |y: i32| (1970..=2100).contains(&y);
        let (naive, precision) = match self {
            Raw::Exact(us) => {
                let y = timeutil::utc(*us).year();
                return sane(y).then(|| (us - us.rem_euclid(timeutil::US_PER_SEC), Precision::Second));
            }
            Raw::Named(n, p) => (*n, *p),
            Raw::Numeric {
                a,
                b,
                c,
                year_first,
                time,
                precision,
            } => {
                let date: NaiveDate = if *year_first {
                    dates::make_date(DateOrder::Ymd, *a, *b, *c)?
                } else {
                    dates::make_date(order?, *a, *b, *c)?
                };
                (date.and_time(*time), *precision)
            }
        };
        if !sane(naive.year()) {
            return None;
        }
        let us = timeutil::local_to_utc_us(naive, tz);
        Some((us - us.rem_euclid(timeutil::US_PER_SEC), precision))
    }
}

/// `11/19/2021 9:54 AM`, `19.11.2021 09:54:15`, `2021/11/19 9:54`, `19. 11. 2021. 9:54`,
/// `2021-11-19T09:54`: three numbers separated by `/`, `.` or `-` (spaces allowed after), an
/// optional `,` or `T`, then `H:MM[:SS]` (`.` also separates time fields) and an optional
/// AM/PM marker (`AM`, `pm`, `a.m.`, `p. m.`).
fn numeric(v: &str) -> Option<Raw> {
    let mut s = Scanner { s: v.as_bytes(), i: 0 };
    let (a, a_digits) = s.number()?;
    s.date_sep()?;
    let (b, _) = s.number()?;
    s.date_sep()?;
    let (c, _) = s.number()?;
    s.eat(b'.');
    s.eat(b',');
    if !s.eat(b'T') && !s.spaces() {
        return None;
    }
    let (h, _) = s.number()?;
    if !(s.eat(b':') || s.eat(b'.')) {
        return None;
    }
    let (m, m_digits) = s.number()?;
    if m_digits != 2 {
        return None;
    }
    let mut sec = None;
    let save = s.i;
    if s.eat(b':') || s.eat(b'.') {
        match s.number() {
            Some((x, 2)) => sec = Some(x),
            _ => s.i = save,
        }
    }
    s.spaces();
    let rest: String = std::str::from_utf8(&s.s[s.i..])
        .ok()?
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect::<String>()
        .to_ascii_lowercase();
    let h = match rest.as_str() {
        "" => h,
        "am" | "a" if (1..=12).contains(&h) => h % 12,
        "pm" | "p" if (1..=12).contains(&h) => h % 12 + 12,
        _ => return None,
    };
    let time = NaiveTime::from_hms_opt(h, m, sec.unwrap_or(0))?;
    let precision = if sec.is_some() { Precision::Second } else { Precision::Minute };
    Some(Raw::Numeric {
        a,
        b,
        c,
        year_first: a_digits == 4,
        time,
        precision,
    })
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    /// Up to four digits: (value, digit count).
    fn number(&mut self) -> Option<(u32, usize)> {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() && self.i - start < 4 {
            self.i += 1;
        }
        let n = self.i - start;
        if n == 0 || (self.i < self.s.len() && self.s[self.i].is_ascii_digit()) {
            return None;
        }
        let digits = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some((digits.parse().ok()?, n))
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn spaces(&mut self) -> bool {
        let start = self.i;
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
        self.i > start
    }

    fn date_sep(&mut self) -> Option<()> {
        if self.eat(b'/') || self.eat(b'.') || self.eat(b'-') {
            self.spaces();
            Some(())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: &str) -> (u32, u32, u32, bool, String, Precision) {
        match Raw::read(v) {
            Some(Raw::Numeric {
                a,
                b,
                c,
                year_first,
                time,
                precision,
            }) => (a, b, c, year_first, time.to_string(), precision),
            other => panic!("{v}: {other:?}"),
        }
    }

    #[test]
    fn locale_dates() {
        assert_eq!(
            num("11/19/2021 9:54 AM"),
            (11, 19, 2021, false, "09:54:00".into(), Precision::Minute)
        );
        assert_eq!(num("11/19/2021 12:05\u{202f}AM").4, "00:05:00");
        assert_eq!(num("11/19/2021 12:05 PM").4, "12:05:00");
        assert_eq!(num("19/11/2021 21:54").4, "21:54:00");
        assert_eq!(
            num("19.11.2021 09:54:15"),
            (19, 11, 2021, false, "09:54:15".into(), Precision::Second)
        );
        assert_eq!(num("2021/11/19 9:54").3, true);
        assert_eq!(num("19. 11. 2021. 9:54").0, 19);
        assert_eq!(num("19-11-2021 9.54").4, "09:54:00");
        assert_eq!(num("2021-11-19 9:54 p. m.").4, "21:54:00");
        assert!(Raw::read("19/11/2021").is_none());
        assert!(Raw::read("13:00 19/11/2021").is_none());
        assert!(Raw::read("11/19/2021 13:54 PM").is_none());
        assert!(Raw::read("11/19/2021 9:54 tomorrow").is_none());
        assert!(Raw::read("111111/19/2021 9:54").is_none());
    }

    #[test]
    fn exact_and_named() {
        assert!(matches!(Raw::read("2021-11-19T09:54:15.123+01:00"), Some(Raw::Exact(_))));
        assert!(matches!(Raw::read("19-Nov-21 09:54 AM"), Some(Raw::Named(_, Precision::Minute))));
    }

    #[test]
    fn system_wordings() {
        assert!(matches!(
            system_message("Joined the server."),
            Some(System::Action(Action::GroupJoined))
        ));
        assert!(matches!(
            system_message("Started a call that lasted 12 minutes."),
            Some(System::Skip("call"))
        ));
        assert!(system_message("Joined the server. Hi all!").is_none());
    }
}
