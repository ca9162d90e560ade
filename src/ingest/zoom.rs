//! Zoom participant reports (CSV): `tool = "zoom"`.
//!
//! The export: an optional preamble — `Meeting ID,Topic,Start Time,End Time,User Email,Duration
//! (Minutes),Participants`, one row, a blank row — then the participant table
//! `Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,…` with one row
//! per join. Header capitalisation and extra columns vary (`Name (original name)`, `User Name`,
//! `Email`, `Join time`, `In Waiting Room`). Times are the account's local wall time, 12 h
//! month-first (`11/19/2021 9:54:15 AM`), day-first (`19/11/2021 09:54:15`) or 24 h.
//!
//! What becomes which event: ONE `attended` per person per meeting, however often they rejoined,
//! at their first join, its origin the line of their first row. A person is their email when a
//! row has one (case ignored), else their name as written — the original name when the name
//! column reads `Shown (Original)`; rows without email join the email of the same name when
//! exactly one email goes with that name. Minutes are summed per person (Duration, else leave −
//! join) only to apply `min_minutes`; people below it are skipped with a note, and no minutes go
//! into the canonical event. Rejoin rows and waiting-room rows are counted as skipped. `occasion`
//! is `zoom:<meeting id>@YYYY-MM-DD`, the local date of the meeting's start (of the first join
//! without a preamble): a recurring meeting id is one occasion per local date (convention in
//! `occasions.rs`). Without a preamble the meeting id is the `group` key, else the number in a
//! `participants_<id>.csv` file name, else the file name. `context` is the topic, else `group`,
//! else the file name.
//!
//! Promises: the day/month order is decided per file from evidence (a field above 12, dates that
//! would go backwards in join order) or from `date_order`; a file without evidence is an error
//! naming that key. Reads `[[source]]` keys `date_order`, `group`, `min_minutes` and `columns`
//! (declared attributes only).

use std::collections::HashMap;

use crate::error::Diagnostic;
use crate::schema::{Action, Str, Tool};
use crate::timeutil;

use super::table::{self, header_key, Table};
use super::van::{attr_columns, file_order, file_stem, is_csv_member, order_error, Stamp};
use super::{text, Input, Parser, Sink};

pub struct Zoom;

const JOIN: &[&str] = &["Join Time", "Join", "Joined", "Join Date"];
const LEAVE: &[&str] = &["Leave Time", "Leave", "Left", "Leave Date"];
const NAME: &[&str] = &[
    "Name (Original Name)",
    "Name",
    "User Name",
    "Participant",
    "Participant Name",
    "Display Name",
];
const EMAIL: &[&str] = &["User Email", "Email", "Email Address", "Participant Email"];
const DURATION: &[&str] = &[
    "Duration (Minutes)",
    "Duration (Mins)",
    "Duration",
    "Time in Session (minutes)",
    "Total Duration (Minutes)",
];
const WAITING: &[&str] = &["In Waiting Room", "Waiting Room"];

/// How far into a file the participant header is looked for.
const HEADER_SEARCH: usize = 50;

/// The meeting summary above the participant table.
#[derive(Default)]
struct Preamble {
    meeting_id: Option<String>,
    topic: Option<String>,
    /// (line, raw start time)
    start: Option<(u64, String)>,
    end: Option<String>,
}

/// Where the participant table starts (1-based physical line of its header) and the preamble.
fn locate(bytes: &[u8]) -> (Option<u64>, Preamble) {
    let (text, _) = text::decode(bytes, None);
    let delimiter = text::detect_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut lines = text::LineCounter::new(&text);
    let mut pre = Preamble::default();
    let mut pre_header: Option<Vec<String>> = None;
    for (n, rec) in rdr.records().enumerate() {
        if n >= HEADER_SEARCH {
            break;
        }
        let Ok(rec) = rec else { continue };
        let line = rec.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
        let keys: Vec<String> = rec.iter().map(header_key).collect();
        let is = |names: &[&str]| names.iter().any(|n| keys.contains(&header_key(n)));
        if is(JOIN) {
            return (Some(line), pre);
        }
        if rec.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        match &pre_header {
            None if is(&["Meeting ID"]) => pre_header = Some(keys),
            Some(h) if pre.meeting_id.is_none() && pre.start.is_none() => {
                let get = |name: &str| {
                    h.iter()
                        .position(|k| *k == header_key(name))
                        .and_then(|i| rec.get(i))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_string)
                };
                pre.meeting_id = get("Meeting ID").map(|id| {
                    let digits: String = id.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
                    if digits.bytes().all(|b| b.is_ascii_digit()) {
                        digits
                    } else {
                        id
                    }
                });
                pre.topic = get("Topic");
                pre.start = get("Start Time").map(|s| (line, s));
                pre.end = get("End Time");
            }
            _ => {}
        }
    }
    (None, pre)
}

struct Cols {
    join: usize,
    leave: Option<usize>,
    name: Option<usize>,
    /// The name column reads `Shown (Original)`.
    original: bool,
    email: Option<usize>,
    duration: Option<usize>,
    waiting: Option<usize>,
    attrs: Vec<(usize, usize)>,
}

fn no_header(input: &Input) -> Diagnostic {
    Diagnostic::new(
        &input.shown,
        1,
        0,
        "no participant table found: expected a header with a \"Join Time\" column in the first lines",
    )
    .hint("export the meeting's participant report from Zoom (Reports → Usage → Participants → Export, with or without the meeting data) as CSV")
}

impl Cols {
    fn resolve(t: &Table, input: &Input) -> Result<Cols, Diagnostic> {
        let join = t.require(&input.shown, "join time", JOIN)?;
        let name = t.find(NAME);
        let email = t.find(EMAIL);
        if name.is_none() && email.is_none() {
            t.require(&input.shown, "participant (name or email)", &["Name (Original Name)", "User Email"])?;
        }
        let original = name.is_some_and(|i| t.headers[i].to_lowercase().contains("original"));
        let leave = t.find(LEAVE);
        let duration = t.find(DURATION);
        if input.source.min_minutes.is_some() && leave.is_none() && duration.is_none() {
            return Err(Diagnostic::new(
                &input.shown,
                1,
                0,
                "min_minutes is set but the participant table has neither a duration nor a leave time column",
            )
            .hint(format!(
                "export the report with \"Duration (Minutes)\", or remove min_minutes from source {:?} in {} (line {})",
                input.source.name,
                input.plan.path.display(),
                input.source.line
            )));
        }
        Ok(Cols {
            join,
            leave,
            name,
            original,
            email,
            duration,
            waiting: t.find(WAITING),
            attrs: attr_columns(t, input)?,
        })
    }
}

/// `Rosa M (Rosa Martinez)` → `Rosa Martinez` when the column holds original names.
fn person_name(v: &str, original: bool) -> String {
    let v = v.trim();
    if original && v.ends_with(')') {
        if let Some(open) = v.rfind(" (") {
            let inner = v[open + 2..v.len() - 1].trim();
            if !inner.is_empty() && !inner.contains('(') {
                return inner.to_string();
            }
        }
    }
    v.to_string()
}

/// One join row that will count for a person.
struct Join {
    line: u64,
    row: usize,
    ts: i64,
    precision: crate::schema::Precision,
    minutes: Option<f64>,
    email: Option<String>,
    name: Option<String>,
}

impl Parser for Zoom {
    fn tool(&self) -> Tool {
        Tool::Zoom
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["date_order", "group", "min_minutes", "columns"]
    }

    fn reads_member(&self, name: &str) -> bool {
        is_csv_member(name)
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        if text::decode(input.bytes, None).0.trim().is_empty() {
            return Vec::new();
        }
        let (Some(header_line), _) = locate(input.bytes) else {
            return vec![no_header(input)];
        };
        let t = Table::read(input.bytes, (header_line.max(1) - 1) as usize);
        match Cols::resolve(&t, input) {
            Ok(_) => Vec::new(),
            Err(d) => vec![d],
        }
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        if text::decode(input.bytes, None).0.trim().is_empty() {
            sink.note("empty", "the file has no header and no rows");
            return Ok(());
        }
        let (Some(header_line), pre) = locate(input.bytes) else {
            return Err(no_header(input));
        };
        let t = Table::read(input.bytes, (header_line.max(1) - 1) as usize);
        sink.note("encoding", t.encoding);
        sink.note("delimiter", text::delimiter_name(t.delimiter));
        sink.note(
            "preamble",
            if pre.meeting_id.is_some() || pre.start.is_some() {
                "meeting summary read (meeting id, topic, start time)"
            } else {
                "none: the meeting is named by the group key or the file name"
            },
        );
        let c = Cols::resolve(&t, input)?;
        for (line, why) in &t.broken {
            sink.stats.rows += 1;
            sink.quarantine(*line, None, "unreadable_row", why.clone());
        }
        let join_h = t.headers[c.join].clone();

        // Day/month order from every time in the file, in file order (joins are in time order).
        let mut stamps = Vec::new();
        let mut first_line = 0;
        for raw in pre.start.iter().map(|(_, s)| s.as_str()).chain(pre.end.iter().map(String::as_str)) {
            stamps.extend(Stamp::parse(raw));
        }
        for (line, rec) in &t.rows {
            for i in std::iter::once(Some(c.join)).chain(std::iter::once(c.leave)).flatten() {
                if let Some(s) = table::cell(rec, Some(i)).and_then(Stamp::parse) {
                    if first_line == 0 {
                        first_line = *line;
                    }
                    stamps.push(s);
                }
            }
        }
        let order = match file_order(&stamps, input.source.date_order, true) {
            Ok((o, why)) => {
                if !stamps.is_empty() {
                    sink.note("date_order", format!("{}: {why}", o.as_str()));
                }
                o
            }
            Err(e) => return Err(order_error(input, e, first_line, c.join, &join_h, "mdy")),
        };
        let tz = input.source.timezone;
        let ptz = input.plan.timezone;

        // Read the join rows.
        let mut joins: Vec<Join> = Vec::new();
        let (mut waiting_rows, mut unknown_minutes) = (0u64, 0u64);
        for (row, (line, rec)) in t.rows.iter().enumerate() {
            let line = *line;
            sink.stats.rows += 1;
            if table::is_blank(rec) {
                sink.stats.skipped += 1;
                continue;
            }
            if table::cell(rec, c.waiting).is_some_and(|v| v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true")) {
                waiting_rows += 1;
                sink.stats.skipped += 1;
                continue;
            }
            let email = table::cell(rec, c.email).map(str::to_string);
            let name = table::cell(rec, c.name)
                .map(|v| person_name(v, c.original))
                .filter(|n| !n.is_empty());
            if email.is_none() && name.is_none() {
                sink.quarantine(
                    line,
                    None,
                    "no_identifier",
                    "the row has no name and no email: it cannot be attributed to anyone",
                );
                continue;
            }
            let Some(raw) = table::cell(rec, Some(c.join)) else {
                sink.quarantine(line, Some(&join_h), "missing_timestamp", format!("column {join_h:?} is empty"));
                continue;
            };
            let Some((ts, precision)) = Stamp::parse(raw).and_then(|s| s.to_utc(order, tz).map(|ts| (ts, s.precision))) else {
                sink.quarantine(
                    line,
                    Some(&join_h),
                    "bad_timestamp",
                    format!(
                        "the value in column {join_h:?} is not a time like 11/19/2021 9:54:15 AM read as {}",
                        order.as_str()
                    ),
                );
                continue;
            };
            let minutes = table::cell(rec, c.duration)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|m| m.is_finite() && *m >= 0.0)
                .or_else(|| {
                    let leave = table::cell(rec, c.leave).and_then(Stamp::parse).and_then(|s| s.to_utc(order, tz))?;
                    (leave >= ts).then(|| ((leave - ts) as f64 / timeutil::US_PER_MIN as f64).ceil())
                });
            if minutes.is_none() {
                unknown_minutes += 1;
            }
            joins.push(Join {
                line,
                row,
                ts,
                precision,
                minutes,
                email,
                name,
            });
        }

        // Group joins into people: email first, then names that go with exactly one email.
        // (a set per name: a big meeting must not compare every email with every other)
        let mut name_emails: HashMap<String, std::collections::BTreeSet<String>> = HashMap::new();
        for j in &joins {
            if let (Some(e), Some(n)) = (&j.email, &j.name) {
                name_emails.entry(n.clone()).or_default().insert(e.to_lowercase());
            }
        }
        let mut people: Vec<Vec<usize>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (k, j) in joins.iter().enumerate() {
            let key = match (&j.email, &j.name) {
                (Some(e), _) => format!("e:{}", e.to_lowercase()),
                (None, Some(n)) => match name_emails.get(n).filter(|set| set.len() == 1).and_then(|set| set.first()) {
                    Some(only) => format!("e:{only}"),
                    None => format!("n:{n}"),
                },
                (None, None) => continue,
            };
            let p = *index.entry(key).or_insert_with(|| {
                people.push(Vec::new());
                people.len() - 1
            });
            people[p].push(k);
        }

        // The meeting instance.
        let first_join = joins.iter().map(|j| j.ts).min();
        let start = pre
            .start
            .as_ref()
            .and_then(|(_, s)| Stamp::parse(s))
            .and_then(|s| s.to_utc(order, tz));
        let stem = file_stem(&input.shown);
        let meeting_id = pre
            .meeting_id
            .clone()
            .or_else(|| input.source.group.clone())
            .or_else(|| {
                stem.strip_prefix("participants_")
                    .map(|r| r.split('_').next().unwrap_or(""))
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| stem.clone());
        let context = pre
            .topic
            .clone()
            .or_else(|| input.source.group.clone())
            .unwrap_or_else(|| stem.clone());
        let occasion = start
            .or(first_join)
            .map(|ts| format!("zoom:{meeting_id}@{}", timeutil::local_date(ts, ptz)))
            .unwrap_or_else(|| format!("zoom:{meeting_id}"));

        let n_attrs = input.plan.attributes.len();
        let (mut below, mut rejoins) = (0u64, 0u64);
        for members in &people {
            let rows: Vec<&Join> = members.iter().map(|&k| &joins[k]).collect();
            let total: f64 = rows.iter().filter_map(|j| j.minutes).sum();
            if let Some(min) = input.source.min_minutes {
                if total < min as f64 {
                    below += 1;
                    sink.stats.skipped += rows.len() as u64;
                    continue;
                }
            }
            rejoins += rows.len() as u64 - 1;
            sink.stats.skipped += rows.len() as u64 - 1;
            let first_row = rows[0];
            let earliest = rows.iter().min_by_key(|j| (j.ts, j.line)).unwrap_or(&first_row);
            let mut e = sink.event(first_row.line, 0, earliest.ts, earliest.precision, Action::Attended, n_attrs);
            e.email = rows.iter().find_map(|j| j.email.as_deref()).map(Str::new);
            e.name = rows.iter().find_map(|j| j.name.as_deref()).map(Str::new);
            e.context = Some(Str::new(&context));
            e.occasion = Some(Str::new(&occasion));
            if let Some((_, rec)) = t.rows.get(first_row.row) {
                for &(a, i) in &c.attrs {
                    e.attrs[a] = table::cell(rec, Some(i)).map(Str::new);
                }
            }
            sink.push(e);
        }
        sink.note(
            "people",
            format!("{} attendee(s) from {} join row(s)", sink.stats.events, joins.len()),
        );
        if rejoins > 0 {
            sink.note(
                "rejoins_merged",
                format!("{rejoins} extra join row(s) of people already counted (skipped)"),
            );
        }
        if let Some(min) = input.source.min_minutes {
            sink.note(
                "below_min_minutes",
                format!("{below} person(s) stayed under {min} minute(s) in total (their rows skipped)"),
            );
        }
        if waiting_rows > 0 {
            sink.note("waiting_room_rows", format!("{waiting_rows} row(s) in the waiting room (skipped)"));
        }
        if unknown_minutes > 0 {
            sink.note(
                "minutes_unknown",
                format!("{unknown_minutes} row(s) without a duration or leave time (counted as 0 minutes)"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_names() {
        assert_eq!(person_name("Rosa M (Rosa Martinez)", true), "Rosa Martinez");
        assert_eq!(person_name("Rosa M (Rosa Martinez)", false), "Rosa M (Rosa Martinez)");
        assert_eq!(person_name("Bob", true), "Bob");
        assert_eq!(person_name("(x)", true), "(x)");
    }

    #[test]
    fn preamble_is_found_above_the_participant_table() {
        let f = b"Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\r\n850 1234 5678,\"Town hall, July\",7/14/2026 5:58:02 PM,7/14/2026 7:31:40 PM,host@x.org,94,3\r\n\r\nName (Original Name),User Email,Join Time\r\nA,,7/14/2026 6:00:00 PM\r\n";
        let (line, pre) = locate(f);
        assert_eq!(line, Some(4));
        assert_eq!(pre.meeting_id.as_deref(), Some("85012345678"));
        assert_eq!(pre.topic.as_deref(), Some("Town hall, July"));
        assert_eq!(pre.start.map(|s| s.0), Some(2));
        let (line, pre) = locate(b"Name,Email,Join time\nA,,1/2/2026 10:00\n");
        assert_eq!(line, Some(1));
        assert!(pre.meeting_id.is_none());
        assert_eq!(locate(b"hello\nworld\n").0, None);
    }
}
