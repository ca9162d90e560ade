//! Spoke peer-to-peer texting exports (`tool = "spoke"`).
//!
//! **What the export looks like.** "Export Data" on a Spoke campaign mails two CSVs: the
//! *contacts* file (one row per campaign contact: texter columns, the contact's cell, names, zip,
//! opt-out flag, message status, custom fields, `question[…]` answers, tags) and the *messages*
//! file (one row per text: `campaign_contact_id, campaign_id, user_number, contact_number,
//! is_from_contact, send_status, attempted_at, text, error_code`). Exports from before late 2020
//! spell the same columns `contact[cell]`, `contact[firstName]`, `texter[cell]`, `contactNumber`,
//! `isFromContact`, `sendStatus`, `attemptedAt`, `campaignId`, `campaign` (the title), …; both
//! spellings are read. A source's files may be either kind: each file's kind is told from its
//! header (`is_from_contact` → messages, a contact `cell` column → contacts). Texter columns
//! (`texter[cell]`, `texterFirst`, …) are never read: rows are about the contact.
//!
//! **What becomes which event** (the member's point of view):
//! - messages, `is_from_contact` true → `text_sent` (the member replied: two-way contact);
//! - messages, `is_from_contact` false → `text_received` (the texter's text reached the member),
//!   except `send_status` ERROR, NOT_ATTEMPTED, QUEUED or PAUSED: the member never got it, so the
//!   row is skipped on purpose and counted per status in the note `not_delivered`;
//! - a member's reply that is only an opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
//!   QUIT, REVOKE, OPT OUT, ALTO, PARAR, BAJA, …; case, spaces and punctuation ignored) is also an
//!   `opted_out` at the same time (sub-event 1). Opt-outs must be honoured downstream.
//! - contacts rows carry no time in any Spoke version, so they cannot become canonical events:
//!   they are counted as skipped with the note `contacts` ("identifiers only"), and the number
//!   of opted-out contacts is noted. If a contacts file does carry `updated_at`, an opted-out
//!   contact becomes `opted_out` at that time (the contact's last update) and the note says so.
//!
//! **Identifiers.** phone = `contact_number` (messages) / the contact's `cell` (contacts);
//! external_id = `campaign_contact_id` (messages) / `id` (contacts): the same campaign-contact
//! id in both files, so a contact's rows link across the two files (identity prefixes it with
//! the tool name). The contacts file's own `external_id` column (the id of the uploaded list,
//! e.g. a VAN id) is not used: one namespace per tool must not mix two kinds of ids.
//! context = the campaign title when the file has one, else the source's `group`, else
//! `Spoke campaign <campaign_id>`. Texts have no occasion.
//!
//! **Promises.** `attempted_at` is ISO 8601 with `Z` or an offset, read to the second; a row
//! whose time is missing or unreadable, or whose `is_from_contact` is not a boolean, is
//! quarantined with its line and column. CRLF, BOM and Windows-1252 files read like any CSV.
//! Message text, phones and names never appear in notes or diagnostics.
//!
//! `[[source]]` keys: `group` (campaign name when the file has no title) and `columns`
//! (declared attributes → contact custom-field headers, e.g. `{ worksite = "worksite" }`).

use std::collections::BTreeMap;

use crate::error::Diagnostic;
use crate::schema::{Action, Event, Precision, Str, Tool};

use super::table::{self, header_key, Table};
use super::text;
use super::timestamps::Format;
use super::{Input, Parser, Sink};

pub struct Spoke;

/// Send statuses of outgoing texts the member never received.
const NOT_DELIVERED: &[&str] = &["ERROR", "NOT_ATTEMPTED", "QUEUED", "PAUSED"];

/// Whole-message opt-out keywords (carrier keywords and common Spanish, Portuguese, French and
/// German forms), compared after upper-casing and dropping spaces, dashes and punctuation.
const STOP_WORDS: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "STOPP",
    "ALTO",
    "PARAR",
    "PARE",
    "BAJA",
    "CANCELAR",
    "DETENER",
    "SAIR",
    "ARRET",
    "ARRÊT",
];

const IS_FROM_CONTACT: &[&str] = &["is_from_contact", "isFromContact"];
const CONTACT_CELL: &[&str] = &["cell", "contact[cell]"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Messages,
    Contacts,
}

/// Column positions of one file, texter columns excluded.
struct Columns {
    headers: Vec<String>,
    keys: Vec<String>,
    texter: Vec<bool>,
}

impl Columns {
    fn new(t: &Table) -> Columns {
        let keys: Vec<String> = t.headers.iter().map(|h| header_key(h)).collect();
        let texter = t.headers.iter().map(|h| h.trim().to_lowercase().starts_with("texter")).collect();
        Columns {
            headers: t.headers.clone(),
            keys,
            texter,
        }
    }

    /// The first non-texter column matching any of `names` (in order of preference).
    fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| {
            let k = header_key(n);
            (0..self.keys.len()).find(|&i| !self.texter[i] && self.keys[i] == k)
        })
    }

    fn header(&self, i: usize) -> String {
        self.headers.get(i).map(|h| h.trim().to_string()).unwrap_or_default()
    }

    fn kind(&self) -> Option<Kind> {
        if self.find(IS_FROM_CONTACT).is_some() {
            Some(Kind::Messages)
        } else if self.find(CONTACT_CELL).is_some() {
            Some(Kind::Contacts)
        } else {
            None
        }
    }

    fn found(&self) -> String {
        super::table::describe_header(&self.headers)
    }
}

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

fn not_spoke(input: &Input, cols: &Columns) -> Diagnostic {
    Diagnostic::new(
        &input.shown,
        1,
        0,
        "not a Spoke export: the header has neither is_from_contact (messages file) nor a contact cell column (contacts file)",
    )
    .hint(format!(
        "{}. Point the source at the files from Spoke's \"Export Data\" (campaign contacts and messages CSVs)",
        cols.found()
    ))
}

/// Required columns of a file of `kind`, as diagnostics.
fn check(input: &Input, cols: &Columns, kind: Kind) -> Vec<Diagnostic> {
    let required: &[(&str, &[&str])] = match kind {
        Kind::Messages => &[
            ("attempted_at (time of the text)", &["attempted_at", "attemptedAt"]),
            ("contact_number", &["contact_number", "contactNumber"]),
        ],
        Kind::Contacts => &[],
    };
    required
        .iter()
        .filter(|(_, names)| cols.find(names).is_none())
        .map(|(what, names)| {
            Diagnostic::new(
                &input.shown,
                1,
                0,
                format!(
                    "the Spoke messages file has no {what} column (expected one of: {})",
                    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
                ),
            )
            .hint(format!(
                "{}. Re-export the messages CSV from Spoke without editing its header",
                cols.found()
            ))
        })
        .collect()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" => Some(true),
        "false" | "f" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// Whether a member's whole reply is an opt-out keyword.
pub fn is_opt_out(text: &str) -> bool {
    if text.len() > 40 {
        return false;
    }
    let folded: String = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect();
    !folded.is_empty() && STOP_WORDS.contains(&folded.as_str())
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as u32;
    }
    Some(n)
}

/// `2026-07-06T15:04:05.123Z` / `…+02:00` read byte by byte (the shape every Spoke export
/// writes), truncated to the second; anything else goes to the general RFC 3339 reader.
pub fn iso_seconds(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, sec) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match &b[i..] {
        [b'Z'] | [b'z'] => 0i64,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let (oh, om) = (digits(&[*oh1, *oh2])?, digits(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = (oh * 3600 + om * 60) as i64;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let month_days = [
        31,
        if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1970..=2100).contains(&y) || !(1..=12).contains(&mo) || d == 0 || d > month_days[mo as usize - 1] || h > 23 || mi > 59 || sec > 59
    {
        return None;
    }
    let secs = days_from_civil(y as i64, mo, d) * 86_400 + (h * 3600 + mi * 60 + sec) as i64 - offset;
    (secs >= 0).then_some(secs * 1_000_000)
}

/// Per-file column positions used while reading rows.
struct Layout {
    kind: Kind,
    phone: Option<usize>,
    ext: Option<usize>,
    ts: Option<(usize, String)>,
    from_contact: Option<(usize, String)>,
    status: Option<usize>,
    text: Option<usize>,
    title: Option<usize>,
    campaign_id: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    opt_out: Option<usize>,
    attrs: Vec<(usize, usize)>,
}

impl Spoke {
    fn layout(input: &Input, cols: &Columns, kind: Kind, sink: &mut Sink) -> Layout {
        let mut missing = Vec::new();
        let mut attrs = Vec::new();
        for (a, header) in &input.source.attr_columns {
            match cols.find(&[header.as_str()]) {
                Some(i) => attrs.push((*a, i)),
                None => missing.push(format!("{:?}", header)),
            }
        }
        if !missing.is_empty() {
            sink.note("columns_missing", format!("not in this file (left empty): {}", missing.join(", ")));
        }
        let with_header = |i: Option<usize>| i.map(|i| (i, cols.header(i)));
        match kind {
            Kind::Messages => Layout {
                kind,
                phone: cols.find(&["contact_number", "contactNumber"]),
                ext: cols.find(&["campaign_contact_id", "campaignContactId"]),
                ts: with_header(cols.find(&["attempted_at", "attemptedAt"])),
                from_contact: with_header(cols.find(IS_FROM_CONTACT)),
                status: cols.find(&["send_status", "sendStatus"]),
                text: cols.find(&["text"]),
                title: cols.find(&["campaign_title", "campaignTitle", "campaign"]),
                campaign_id: cols.find(&["campaign_id", "campaignId"]),
                first: None,
                last: None,
                opt_out: None,
                attrs,
            },
            Kind::Contacts => Layout {
                kind,
                phone: cols.find(CONTACT_CELL),
                ext: cols.find(&["id", "campaign_contact_id", "campaignContactId"]),
                ts: with_header(cols.find(&["updated_at", "updatedAt"])),
                from_contact: None,
                status: None,
                text: None,
                title: cols.find(&["campaign_title", "campaignTitle", "campaign"]),
                campaign_id: cols.find(&["campaign_id", "campaignId"]),
                first: cols.find(&["first_name", "firstName", "contact[firstName]"]),
                last: cols.find(&["last_name", "lastName", "contact[lastName]"]),
                opt_out: cols.find(&["optedOut", "optOut", "is_opted_out", "isOptedOut"]),
                attrs,
            },
        }
    }
}

impl Parser for Spoke {
    fn tool(&self) -> Tool {
        Tool::Spoke
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["group", "columns"]
    }

    fn reads_member(&self, name: &str) -> bool {
        name.to_ascii_lowercase().ends_with(".csv")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let (text, _) = text::decode(input.bytes, None);
        let delimiter = text::detect_delimiter(&text);
        let cols = Columns::new(&header_table(&text, delimiter));
        match cols.kind() {
            Some(kind) => check(input, &cols, kind),
            None => vec![not_spoke(input, &cols)],
        }
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
        let cols = Columns::new(&header_table(&text, delimiter));
        let kind = cols.kind().ok_or_else(|| not_spoke(input, &cols))?;
        if let Some(d) = check(input, &cols, kind).into_iter().next() {
            return Err(d);
        }
        sink.note(
            "kind",
            match kind {
                Kind::Messages => "messages",
                Kind::Contacts => "contacts",
            },
        );
        let layout = Spoke::layout(input, &cols, kind, sink);
        let mut state = State::default();
        if kind == Kind::Messages {
            // About one event per row; rows average well over 100 bytes.
            sink.events.reserve(text.len() / 120);
        }

        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut lines = text::LineCounter::new(&text);
        let mut rec = csv::StringRecord::new();
        let mut last_err_at = None;
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = rec.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
                    sink.stats.rows += 1;
                    if table::is_blank(&rec) {
                        sink.stats.skipped += 1;
                        continue;
                    }
                    match kind {
                        Kind::Messages => message(input, sink, &layout, &rec, line, &mut state),
                        Kind::Contacts => contact(input, sink, &layout, &rec, line, &mut state),
                    }
                }
                Err(e) => {
                    let at = e.position().map(|p| p.byte());
                    if at.is_some() && at == last_err_at {
                        break; // no progress: stop rather than loop
                    }
                    last_err_at = at;
                    let line = at.map(|b| lines.line_at(b)).unwrap_or(0);
                    sink.stats.rows += 1;
                    sink.quarantine(line, None, "unreadable_row", "the CSV reader could not read this row");
                }
            }
        }
        state.notes(sink, &layout);
        Ok(())
    }
}

#[derive(Default)]
struct State {
    not_delivered: BTreeMap<String, u64>,
    opt_outs: u64,
    contacts: u64,
    opted_out_contacts: u64,
    last_context: Option<(String, Option<Str>)>,
}

impl State {
    fn notes(&self, sink: &mut Sink, layout: &Layout) {
        if !self.not_delivered.is_empty() {
            let parts: Vec<String> = self.not_delivered.iter().map(|(s, n)| format!("{s}: {n}")).collect();
            sink.note(
                "not_delivered",
                format!("{} (skipped: the member never got these texts)", parts.join(", ")),
            );
        }
        if layout.kind == Kind::Messages {
            sink.note(
                "opt_outs",
                format!(
                    "{} repl(ies) that are only an opt-out keyword (STOP, …) became opted_out",
                    self.opt_outs
                ),
            );
        }
        if layout.kind == Kind::Contacts {
            match &layout.ts {
                None => {
                    sink.note(
                        "contacts",
                        format!(
                            "{} contact row(s): the contacts CSV has no timestamps, identifiers only (skipped as events, used to link people); events come from the messages CSV",
                            self.contacts
                        ),
                    );
                    if layout.opt_out.is_some() {
                        sink.note(
                            "opted_out_contacts",
                            format!(
                                "{} contact(s) marked opted out; with no time here, opt-outs are read from STOP replies in the messages CSV",
                                self.opted_out_contacts
                            ),
                        );
                    }
                }
                Some((_, h)) => {
                    sink.note(
                        "contacts",
                        format!(
                            "{} contact row(s); {} opted-out contact(s) became opted_out at column {h:?} (the contact's last update, not the exact opt-out time); other rows are identifiers only (skipped as events, used to link people)",
                            self.contacts, self.opted_out_contacts
                        ),
                    );
                }
            }
        }
    }
}

/// The campaign a row belongs to: its title, the source's `group`, or the campaign id. The last
/// one is kept, since consecutive rows are nearly always of one campaign.
fn context(input: &Input, layout: &Layout, rec: &csv::StringRecord, last: &mut Option<(String, Option<Str>)>) -> Option<Str> {
    if let Some(t) = table::cell(rec, layout.title) {
        return Some(Str::new(t));
    }
    if let Some(g) = input.source.group.as_deref().filter(|g| !g.is_empty()) {
        return Some(Str::new(g));
    }
    let id = table::cell(rec, layout.campaign_id)?;
    match last {
        Some((k, v)) if k == id => *v,
        _ => {
            let v = Some(Str::new(&format!("Spoke campaign {id}")));
            *last = Some((id.to_string(), v));
            v
        }
    }
}

fn fill(input: &Input, layout: &Layout, rec: &csv::StringRecord, e: &mut Event, state: &mut State) {
    e.phone = table::cell(rec, layout.phone).map(Str::new);
    e.external_id = table::cell(rec, layout.ext).map(Str::new);
    e.context = context(input, layout, rec, &mut state.last_context);
    for (a, i) in &layout.attrs {
        if let Some(slot) = e.attrs.get_mut(*a) {
            *slot = table::cell(rec, Some(*i)).map(Str::new);
        }
    }
}

fn message(input: &Input, sink: &mut Sink, layout: &Layout, rec: &csv::StringRecord, line: u64, state: &mut State) {
    let (fi, fh) = layout.from_contact.as_ref().expect("messages have is_from_contact");
    let from_contact = match table::cell(rec, Some(*fi)).and_then(parse_bool) {
        Some(b) => b,
        None => {
            sink.quarantine(line, Some(fh), "bad_value", format!("column {fh:?} must be true or false"));
            return;
        }
    };
    if !from_contact {
        if let Some(s) = table::cell(rec, layout.status) {
            let s = s.to_ascii_uppercase();
            if NOT_DELIVERED.contains(&s.as_str()) {
                *state.not_delivered.entry(s).or_default() += 1;
                sink.stats.skipped += 1;
                return;
            }
        }
    }
    let (ti, th) = layout.ts.as_ref().expect("checked: messages have attempted_at");
    let ts = match table::cell(rec, Some(*ti)) {
        None => {
            sink.quarantine(line, Some(th), "missing_timestamp", format!("column {th:?} is empty"));
            return;
        }
        Some(v) => match iso_seconds(v).or_else(|| Format::Rfc3339.parse(v, input.source.timezone)) {
            Some(ts) => ts,
            None => {
                sink.quarantine(
                    line,
                    Some(th),
                    "bad_timestamp",
                    format!("the value in column {th:?} is not an ISO 8601 time with Z or an offset"),
                );
                return;
            }
        },
    };
    let n_attrs = input.plan.attributes.len();
    let action = if from_contact { Action::TextSent } else { Action::TextReceived };
    let mut e = sink.event(line, 0, ts, Precision::Second, action, n_attrs);
    fill(input, layout, rec, &mut e, state);
    if e.phone.is_none() && e.external_id.is_none() {
        sink.quarantine(
            line,
            None,
            "no_identifier",
            "the row has no contact_number or campaign_contact_id: it cannot be attributed to anyone",
        );
        return;
    }
    let stop = from_contact && table::cell(rec, layout.text).is_some_and(is_opt_out);
    if stop {
        let mut o = sink.event(line, 1, ts, Precision::Second, Action::OptedOut, n_attrs);
        o.phone = e.phone.clone();
        o.external_id = e.external_id.clone();
        o.context = e.context.clone();
        o.attrs = e.attrs.clone();
        sink.push(e);
        sink.push(o);
        state.opt_outs += 1;
    } else {
        sink.push(e);
    }
}

fn contact(input: &Input, sink: &mut Sink, layout: &Layout, rec: &csv::StringRecord, line: u64, state: &mut State) {
    state.contacts += 1;
    let opted_out = table::cell(rec, layout.opt_out).and_then(parse_bool).unwrap_or(false);
    if opted_out {
        state.opted_out_contacts += 1;
    }
    let Some((ti, th)) = layout.ts.as_ref().filter(|_| opted_out) else {
        // No time: the row still says whose cell this is (names, custom fields) for identity.
        let mut e = sink.event(line, 0, 0, Precision::Day, Action::TextReceived, input.plan.attributes.len());
        fill(input, layout, rec, &mut e, state);
        e.name = contact_name(layout, rec);
        if e.phone.is_some() || e.external_id.is_some() {
            sink.identity_only(e);
        } else {
            sink.stats.skipped += 1;
        }
        return;
    };
    let ts = match table::cell(rec, Some(*ti)) {
        None => {
            sink.quarantine(line, Some(th), "missing_timestamp", format!("column {th:?} is empty"));
            return;
        }
        Some(v) => {
            let parsed = Format::Rfc3339
                .parse(v, input.source.timezone)
                .or_else(|| Format::from_chrono("%Y-%m-%d %H:%M:%S%.f").and_then(|f| f.parse(v, input.source.timezone)));
            match parsed {
                Some(ts) => ts,
                None => {
                    sink.quarantine(
                        line,
                        Some(th),
                        "bad_timestamp",
                        format!("the value in column {th:?} is not an ISO 8601 time"),
                    );
                    return;
                }
            }
        }
    };
    let mut e = sink.event(line, 0, ts, Precision::Second, Action::OptedOut, input.plan.attributes.len());
    fill(input, layout, rec, &mut e, state);
    e.name = contact_name(layout, rec);
    if e.phone.is_none() && e.external_id.is_none() && e.name.is_none() {
        sink.quarantine(
            line,
            None,
            "no_identifier",
            "the row has no cell, id or name: it cannot be attributed to anyone",
        );
        return;
    }
    sink.push(e);
}

fn contact_name(layout: &Layout, rec: &csv::StringRecord) -> Option<Str> {
    match (table::cell(rec, layout.first), table::cell(rec, layout.last)) {
        (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
        (Some(f), None) => Some(Str::new(f)),
        (None, Some(l)) => Some(Str::new(l)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opt_out_keywords_are_whole_replies_only() {
        for s in [
            "STOP",
            "stop",
            " Stop. ",
            "STOP ALL",
            "stopall",
            "Unsubscribe!",
            "alto",
            "Parar",
            "opt-out",
            "arrêt",
        ] {
            assert!(is_opt_out(s), "{s}");
        }
        for s in ["I can't stop by Tuesday", "stopping", "end of shift at 5", "", "👍", "no"] {
            assert!(!is_opt_out(s), "{s}");
        }
    }

    #[test]
    fn fast_iso_agrees_with_the_general_reader() {
        let tz: chrono_tz::Tz = "America/Chicago".parse().unwrap();
        for v in [
            "2026-07-06T15:04:05.123Z",
            "2026-07-06T15:04:05Z",
            "2026-07-07T01:02:03-05:00",
            "2024-02-29T23:59:59.999999+05:30",
            "1970-01-01T00:00:00Z",
            "2100-12-31T23:59:59Z",
        ] {
            assert_eq!(iso_seconds(v), Format::Rfc3339.parse(v, tz), "{v}");
            assert!(iso_seconds(v).is_some(), "{v}");
        }
        for v in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-07-06T24:00:00Z",
            "2026-07-06T15:04:05",
            "2026-07-06T15:04:05.Z",
            "1969-12-31T23:59:59Z",
            "2026-07-06T15:04:05+5:00",
            "２０２６-07-06T15:04:05Z",
        ] {
            assert_eq!(iso_seconds(v), None, "{v}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool(" f "), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn texter_columns_are_never_the_contact() {
        let t = Table::read(b"texter[firstName],texter[cell],contact[firstName],contact[cell]\n", 0);
        let c = Columns::new(&t);
        assert_eq!(c.find(CONTACT_CELL), Some(3));
        assert_eq!(c.find(&["first_name", "contact[firstName]"]), Some(2));
        assert_eq!(c.kind(), Some(Kind::Contacts));
    }
}
