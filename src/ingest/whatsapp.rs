//! WhatsApp chat exports (`tool = "whatsapp"`).
//!
//! Takes: a chat export as WhatsApp writes it — a `.txt` file, or a `.zip` holding `_chat.txt`
//! (iOS) or `WhatsApp Chat with X.txt` plus media (Android "with media"); ingest opens the zip
//! and hands over every `.txt` member (one that is neither `_chat.txt` nor named like a chat and
//! holds no messages is a document sent in the chat: skipped with a note). Two line grammars:
//! - Android `DATE, TIME - AUTHOR: TEXT`; a system line has no `AUTHOR: ` part
//!   (`3/6/18, 1:55 p.m. - Dana added Rosa`).
//! - iOS `[DATE, TIME] AUTHOR: TEXT`, with seconds; a system line is attributed to the group (or
//!   has no author) and its text starts with U+200E (`[13/06/2018, 21:25:15] Crew: ‎Dana added Rosa`).
//!
//! Dates and times in every phone-locale variant seen in exports: `/` `.` `-` separated dates,
//! `13. 6. 2018.`, year first (`2018/06/13`, `2019-01-01`), with or without the comma, Finnish
//! `klo` and French `à` before the time, `:` or `.` in times, 12 h (`PM`, `p.m.`, `p. m.`) or
//! 24 h, seconds or not; U+202F, U+00A0, U+200E and BOMs where phones put them; LF or CRLF.
//! Lines need not be in time order; each record keeps its own time.
//!
//! Gives, per record (a timestamped line plus the lines that continue it):
//! - a message → one `message_sent` (media and deleted-message placeholders included; counted in
//!   the notes `media` and `deleted`);
//! - `X created group "Y"` → `group_joined` for X; `X added A, B and C` → `group_added` for each
//!   of A, B, C; `X joined using this group's invite link` → `group_joined`; `X left` →
//!   `group_left`; `X removed Y` → `group_left` for Y — in English, Spanish, Portuguese, German
//!   and French;
//! - encryption notices, subject / icon / description changes, other known notices and notices
//!   about the exporter ("You were added", "You left") → skipped on purpose, counted in the note
//!   `system`; system-looking lines no pattern knows → skipped, counted in the note
//!   `system_unrecognised` with their line numbers: never a fake message.
//!
//! Authors: a saved contact name or a `~ PushName` (kept as written) goes to `name`; a formatted
//! phone number (`+1 (312) 555-0142`) goes to `phone` with `name` empty. Context: the source's
//! `group`, else the group named by the file (`WhatsApp Chat with X.txt`, `WhatsApp Chat - X.zip`,
//! localised), else the file's own name. Timestamps are the exporting phone's wall time, read in
//! the source's timezone (DST-correct); precision minute, or second when the export has seconds.
//!
//! Promises:
//! - A line opens a record only when it carries the file's whole timestamp grammar (the same
//!   shape as the file's other timestamps, plus ` - ` or `] `), so `12/05 meeting moved` or
//!   `3. Bring your badge` inside a message stay message text.
//! - Day/month order is inferred per file ([`super::dates`]) or taken from `date_order`; the
//!   choice and its evidence are the note `date_order`; a file with no evidence is an error
//!   saying how to set `date_order`, never a guess.
//! - Event ids are content hashes of (source, group, author, local timestamp, text), so the same
//!   message in two overlapping exports gets the same id (ingest keeps one per source). Within
//!   one file, the k-th identical record of a run of records with one timestamp (three photos
//!   sent in one minute) is numbered into its id and stays; a repeat further away (a chat pasted
//!   twice) is skipped and counted (note `duplicates_in_file`).
//! - Streaming over the bytes: no per-line allocation beyond the events emitted, no regex; the
//!   encoding is decided on the first MiB (UTF-8; else UTF-16 with BOM or Windows-1252, decoded).
//! - Any input either parses or is a [`Diagnostic`]; nothing panics. No name, phone or message
//!   text ever goes into a note, a quarantine detail or a diagnostic.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::config::DateOrder;
use crate::error::Diagnostic;
use crate::schema::{Action, Event, Origin, Precision, Str, Tool};
use crate::timeutil;

use super::dates::{self, OrderError};
use super::{Input, Parser, Sink};

pub struct Whatsapp;

impl Parser for Whatsapp {
    fn tool(&self) -> Tool {
        Tool::Whatsapp
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["date_order", "group"]
    }

    fn reads_member(&self, name: &str) -> bool {
        let base = name.rsplit('/').next().unwrap_or(name);
        base == "_chat.txt" || base.to_ascii_lowercase().ends_with(".txt")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let (buf, _) = decode(input.bytes);
        if blank(&buf) {
            return Vec::new();
        }
        let mut pos = 0;
        for _ in 0..1000 {
            if pos >= buf.len() {
                break;
            }
            let (line, next) = next_line(&buf, pos);
            pos = next;
            if let Some(st) = stamp(strip_marks(line)) {
                if st.valid_some_order() {
                    return Vec::new();
                }
            }
        }
        if attachment_like(input) {
            return Vec::new();
        }
        vec![not_an_export(input)]
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let (buf, encoding) = decode(input.bytes);
        sink.note("encoding", encoding);
        if blank(&buf) {
            sink.note("empty", "the file has no messages");
            return Ok(());
        }
        let (group, group_how) = group_name(input);
        sink.note("group", group_how);
        let ctx = Ctx::new(
            sink,
            &input.source.name,
            group.as_deref(),
            input.plan.attributes.len(),
            input.source.timezone,
        );
        let configured = input.source.date_order;

        let mut lock = Lock {
            sig: None,
            order: configured,
        };
        let mut pass = run_pass(&ctx, &buf, &lock);
        if pass.headers == 0 {
            if attachment_like(input) {
                sink.note(
                    "skipped",
                    "this .txt member of the archive holds no WhatsApp messages (a document sent in the chat?)",
                );
                return Ok(());
            }
            return Err(not_an_export(input));
        }
        // The file's timestamp shape is the most frequent one; lines of another shape are text.
        if let Some(&(sig, n)) = pass.other_sigs.iter().max_by_key(|(_, n)| *n) {
            if n > pass.headers {
                lock.sig = Some(sig);
                pass = run_pass(&ctx, &buf, &lock);
            }
        }
        let Some(sig) = pass.sig else {
            return Err(not_an_export(input));
        };

        // Day/month order.
        let order_choice: (DateOrder, String);
        if sig.year_first() {
            let mut ev = "ymd: the year comes first".to_string();
            if let Some(o) = configured.filter(|o| *o != DateOrder::Ymd) {
                ev.push_str(&format!(
                    " (date_order = {:?} ignored: a four-digit first field is the year)",
                    o.as_str()
                ));
            }
            order_choice = (DateOrder::Ymd, ev);
        } else if let Some(o) = configured {
            order_choice = (o, format!("{}: set by date_order in the pipeline", o.as_str()));
        } else {
            match dates::infer(&pass.dates, false) {
                Ok(c) => order_choice = (c.order, format!("{}: {}", c.order.as_str(), c.evidence)),
                Err(OrderError::Ambiguous) => {
                    return Err(Diagnostic::new(
                        &input.shown,
                        pass.first_header_line as usize,
                        1,
                        format!(
                            "cannot tell whether the dates are day/month or month/day: {} distinct date(s), none with a field above 12, \
                             and neither reading puts them in a clearer order",
                            pass.dates.len()
                        ),
                    )
                    .hint(order_hint(input)));
                }
                Err(OrderError::Invalid) => {
                    // A few timestamp-like lines may be message text; the order that makes sense of
                    // all but a handful of dates wins, and those lines are read again as text.
                    let valid = |o: DateOrder| {
                        pass.dates
                            .iter()
                            .filter(|&&(a, b, c)| dates::make_date(o, a, b, c).is_some())
                            .count()
                    };
                    let (nd, nm) = (valid(DateOrder::Dmy), valid(DateOrder::Mdy));
                    let (best, n) = if nd >= nm { (DateOrder::Dmy, nd) } else { (DateOrder::Mdy, nm) };
                    let total = pass.dates.len();
                    if total - n > tolerated(total) || nd == nm {
                        return Err(Diagnostic::new(
                            &input.shown,
                            pass.first_header_line as usize,
                            1,
                            format!(
                                "the dates contradict each other: {nd} of {total} distinct date(s) make sense day first \
                                 and {nm} month first"
                            ),
                        )
                        .hint(order_hint(input)));
                    }
                    lock.sig = Some(sig);
                    lock.order = Some(best);
                    pass = run_pass(&ctx, &buf, &lock);
                    order_choice = (
                        best,
                        format!(
                            "{}: {n} of {total} distinct date(s) only make sense that way; {} timestamp-like line(s) \
                             that do not were read as message text",
                            best.as_str(),
                            pass.bad_date_lines
                        ),
                    );
                }
            }
        }
        let (order, evidence) = order_choice;
        if (configured.is_some() || sig.year_first()) && pass.bad_date_lines > tolerated(pass.headers as usize) as u64 {
            return Err(Diagnostic::new(
                &input.shown,
                pass.first_bad_date_line as usize,
                1,
                format!(
                    "{} timestamp(s) are not valid dates when read as {} (date_order in source {:?})",
                    pass.bad_date_lines,
                    order.as_str(),
                    input.source.name
                ),
            )
            .hint(format!(
                "check date_order in source {:?} in {} (line {}): \"dmy\" reads 13/06/2018, \"mdy\" 06/13/2018, \
                 \"ymd\" 2018/06/13; or remove it to infer the order",
                input.source.name,
                input.plan.path.display(),
                input.source.line
            )));
        }
        sink.note("date_order", evidence);
        sink.note("format", sig.describe(order));

        commit(pass, sink, order, input.source.timezone);
        Ok(())
    }
}

/// A `.txt` member of a zip that is neither `_chat.txt` nor named like a chat: exports with media
/// also hold the documents sent in the chat, and a text document among them is not an error.
fn attachment_like(input: &Input) -> bool {
    match input.shown.rsplit_once('!') {
        Some((_, member)) => {
            let base = member.rsplit('/').next().unwrap_or(member);
            base != "_chat.txt" && group_from_file_name(base).is_none()
        }
        None => false,
    }
}

/// How many contradicting timestamp-like lines are read as text rather than failing the file.
fn tolerated(total: usize) -> usize {
    (total / 100).max(2)
}

fn order_hint(input: &Input) -> String {
    format!(
        "set date_order = \"dmy\" (13/06/2018 is 13 June) or date_order = \"mdy\" (06/13/2018 is 13 June) in source {:?} in {} (line {})",
        input.source.name,
        input.plan.path.display(),
        input.source.line
    )
}

fn not_an_export(input: &Input) -> Diagnostic {
    Diagnostic::new(
        &input.shown,
        1,
        1,
        "no line starts with a WhatsApp timestamp: this is not a WhatsApp chat export",
    )
    .hint(format!(
        "point the path of source {:?} at the .txt (or .zip) files WhatsApp's \"Export chat\" writes, \
             e.g. \"WhatsApp Chat with Store 12.txt\"",
        input.source.name
    ))
}

// ---------------------------------------------------------------------------------------------
// Bytes and lines

/// The file's bytes as UTF-8 (borrowed when they already are) and the encoding's name.
///
/// WhatsApp writes UTF-8: the first MiB decides, so a 1 GB export is not validated twice. Bytes
/// further on that are not UTF-8 only ever reach names through a lossy conversion (U+FFFD).
fn decode(bytes: &[u8]) -> (Cow<'_, [u8]>, &'static str) {
    let (body, bom) = match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let head = &body[..body.len().min(HEAD_BYTES)];
    let head_ok = match std::str::from_utf8(head) {
        Ok(_) => true,
        // the head ends inside a character that goes on after it
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len() && body.len() > head.len(),
    };
    if head_ok {
        return (Cow::Borrowed(body), if bom { "UTF-8 (BOM)" } else { "UTF-8" });
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        let (text, enc) = super::text::decode(bytes, None);
        return (Cow::Owned(text.into_bytes()), enc);
    }
    // Mostly UTF-8 with a few broken bytes (a damaged file): replace them. Otherwise the bytes are
    // an 8-bit encoding (a file re-saved on Windows).
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut multibyte = 0usize;
    let mut invalid = 0usize;
    for chunk in body.utf8_chunks() {
        multibyte += chunk.valid().len() - chunk.valid().chars().count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    if multibyte > 0 && invalid * 20 <= multibyte {
        let text = String::from_utf8_lossy(body).into_owned();
        return (Cow::Owned(text.into_bytes()), "UTF-8 (invalid bytes replaced)");
    }
    let (text, enc) = super::text::decode(bytes, None);
    (Cow::Owned(text.into_bytes()), enc)
}

const BOM: &[u8] = "\u{feff}".as_bytes();
/// How much of a file decides its encoding.
const HEAD_BYTES: usize = 1 << 20;
const LRM: &[u8] = "\u{200e}".as_bytes();

fn blank(b: &[u8]) -> bool {
    b.iter().all(|c| c.is_ascii_whitespace())
}

/// The line starting at `pos` (without its `\n` or `\r\n`) and where the next one starts.
#[inline]
fn next_line(buf: &[u8], pos: usize) -> (&[u8], usize) {
    let end = find_nl(buf, pos).unwrap_or(buf.len());
    let mut line = &buf[pos..end];
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    (line, end + 1)
}

/// Position of the next `\n` at or after `from`, eight bytes at a time.
#[inline]
fn find_nl(h: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = LO * b'\n' as u64;
    let mut i = from;
    while i + 16 <= h.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&h[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ NL;
        let t = x.wrapping_sub(LO) & !x & HI;
        if t != 0 {
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        w.copy_from_slice(&h[i + 8..i + 16]);
        let x = u64::from_le_bytes(w) ^ NL;
        let t = x.wrapping_sub(LO) & !x & HI;
        if t != 0 {
            return Some(i + 8 + (t.trailing_zeros() / 8) as usize);
        }
        i += 16;
    }
    h.get(i..)?.iter().position(|&b| b == b'\n').map(|p| i + p)
}

/// Drops BOMs and left-to-right marks in front of a line.
#[inline]
fn strip_marks(mut l: &[u8]) -> &[u8] {
    while let Some(&b) = l.first() {
        if b == 0xEF && l.starts_with(BOM) {
            l = &l[3..];
        } else if b == 0xE2 && l.starts_with(LRM) {
            l = &l[3..];
        } else {
            break;
        }
    }
    l
}

/// Length of a space at `i`: ASCII space, U+00A0 or U+202F (0 if none).
#[inline]
fn space_at(l: &[u8], i: usize) -> usize {
    match l.get(i) {
        Some(b' ') => 1,
        Some(0xC2) if l.get(i + 1) == Some(&0xA0) => 2,
        Some(0xE2) if l.get(i + 1) == Some(&0x80) && l.get(i + 2) == Some(&0xAF) => 3,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps

/// The shape of a timestamp (everything but its numbers), packed in bits. A file uses one shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sig(u16);

const S_BRACKET: u16 = 1;
const S_DOT: u16 = 1 << 1;
const S_DASH: u16 = 1 << 2;
const S_SPACED: u16 = 1 << 3;
const S_TRAIL_DOT: u16 = 1 << 4;
const S_COMMA: u16 = 1 << 5;
const S_KLO: u16 = 1 << 6;
const S_TIME_DOT: u16 = 1 << 7;
const S_SECONDS: u16 = 1 << 8;
const S_AMPM: u16 = 1 << 9;
const S_YEAR_FIRST: u16 = 1 << 10;
const S_YEAR4: u16 = 1 << 11;
const S_A: u16 = 1 << 12;

impl Sig {
    fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    fn year_first(self) -> bool {
        self.has(S_YEAR_FIRST)
    }
    fn precision(self) -> Precision {
        if self.has(S_SECONDS) {
            Precision::Second
        } else {
            Precision::Minute
        }
    }
    /// `android "D/M/YY, H:MM AM - "`: the shape with the fields named by `order`.
    fn describe(self, order: DateOrder) -> String {
        let y = if self.has(S_YEAR4) { "YYYY" } else { "YY" };
        let (f1, f2, f3) = match order {
            DateOrder::Dmy => ("D", "M", y),
            DateOrder::Mdy => ("M", "D", y),
            DateOrder::Ymd => (y, "M", "D"),
        };
        let ds = if self.has(S_DOT) {
            "."
        } else if self.has(S_DASH) {
            "-"
        } else {
            "/"
        };
        let sp = if self.has(S_SPACED) { " " } else { "" };
        let ts = if self.has(S_TIME_DOT) { "." } else { ":" };
        let mut s = String::new();
        s.push_str(if self.has(S_BRACKET) { "ios \"[" } else { "android \"" });
        s.push_str(&format!("{f1}{ds}{sp}{f2}{ds}{sp}{f3}"));
        if self.has(S_TRAIL_DOT) {
            s.push('.');
        }
        if self.has(S_COMMA) {
            s.push(',');
        }
        s.push(' ');
        if self.has(S_KLO) {
            s.push_str("klo ");
        }
        if self.has(S_A) {
            s.push_str("à ");
        }
        s.push_str(&format!("H{ts}MM"));
        if self.has(S_SECONDS) {
            s.push_str(&format!("{ts}SS"));
        }
        if self.has(S_AMPM) {
            s.push_str(" AM");
        }
        s.push_str(if self.has(S_BRACKET) { "] \"" } else { " - \"" });
        s.push_str(if self.has(S_AMPM) { " (12-hour clock)" } else { " (24-hour clock)" });
        s
    }
}

/// One line's timestamp: the numbers as written, the shape, and where the body starts.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    a: u32,
    b: u32,
    c: u32,
    /// 0..=23
    hour: u32,
    minute: u32,
    second: u32,
    sig: Sig,
    body: usize,
}

impl Stamp {
    /// The local wall time as written, packed (fields in written order, hour on a 24-hour clock).
    fn raw(&self) -> u64 {
        (self.a as u64)
            | (self.b as u64) << 14
            | (self.c as u64) << 19
            | (self.hour as u64) << 33
            | (self.minute as u64) << 38
            | (self.second as u64) << 44
    }

    fn valid_in(&self, order: DateOrder) -> bool {
        dates::make_date(order, self.a, self.b, self.c).is_some()
    }

    fn valid_some_order(&self) -> bool {
        if self.sig.year_first() {
            self.valid_in(DateOrder::Ymd)
        } else {
            self.valid_in(DateOrder::Dmy) || self.valid_in(DateOrder::Mdy)
        }
    }
}

fn unpack(raw: u64) -> (u32, u32, u32, u32, u32, u32) {
    (
        (raw & 0x3fff) as u32,
        (raw >> 14 & 0x1f) as u32,
        (raw >> 19 & 0x3fff) as u32,
        (raw >> 33 & 0x1f) as u32,
        (raw >> 38 & 0x3f) as u32,
        (raw >> 44 & 0x3f) as u32,
    )
}

#[inline]
fn num(l: &[u8], i: &mut usize, max_digits: usize) -> Option<(u32, usize)> {
    let start = *i;
    let mut v = 0u32;
    while *i - start < max_digits {
        match l.get(*i) {
            Some(&d) if d.is_ascii_digit() => {
                v = v * 10 + (d - b'0') as u32;
                *i += 1;
            }
            _ => break,
        }
    }
    let n = *i - start;
    if n == 0 || l.get(*i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((v, n))
}

/// `AM`, `pm`, `a.m.`, `p. m.` (inner space may be U+00A0); returns whether it is PM.
#[inline]
fn am_pm(l: &[u8], i: &mut usize) -> Option<bool> {
    let pm = match l.get(*i)?.to_ascii_lowercase() {
        b'a' => false,
        b'p' => true,
        _ => return None,
    };
    let mut j = *i + 1;
    if l.get(j) == Some(&b'.') {
        j += 1;
        j += space_at(l, j);
    }
    if l.get(j)?.to_ascii_lowercase() != b'm' {
        return None;
    }
    j += 1;
    if l.get(j) == Some(&b'.') {
        j += 1;
    }
    *i = j;
    Some(pm)
}

/// Reads the full timestamp grammar at the start of `l` (marks already stripped), separator
/// included; `None` for anything else.
#[inline]
fn stamp(l: &[u8]) -> Option<Stamp> {
    let first = *l.first()?;
    if !(first.is_ascii_digit() || first == b'[') {
        return None;
    }
    let mut bits = 0u16;
    let mut i = 0;
    if first == b'[' {
        bits |= S_BRACKET;
        i = 1;
    }
    let (a, na) = num(l, &mut i, 4)?;
    let ds = *l.get(i)?;
    match ds {
        b'/' => {}
        b'.' => bits |= S_DOT,
        b'-' => bits |= S_DASH,
        _ => return None,
    }
    i += 1;
    let spaced = ds == b'.' && l.get(i) == Some(&b' ');
    if spaced {
        bits |= S_SPACED;
        i += 1;
    }
    let (b, nb) = num(l, &mut i, 2)?;
    if l.get(i) != Some(&ds) {
        return None;
    }
    i += 1;
    if spaced {
        if l.get(i) != Some(&b' ') {
            return None;
        }
        i += 1;
    }
    let (c, nc) = num(l, &mut i, 4)?;
    if na == 4 {
        if nc > 2 {
            return None;
        }
        bits |= S_YEAR_FIRST | S_YEAR4;
    } else {
        if na > 2 || !(nc == 2 || nc == 4) {
            return None;
        }
        if nc == 4 {
            bits |= S_YEAR4;
        }
    }
    let _ = nb;
    if ds == b'.' && l.get(i) == Some(&b'.') {
        bits |= S_TRAIL_DOT;
        i += 1;
    }
    if l.get(i) == Some(&b',') {
        bits |= S_COMMA;
        i += 1;
    }
    let sp = space_at(l, i);
    if sp == 0 {
        return None;
    }
    i += sp;
    if l[i..].starts_with(b"klo ") {
        bits |= S_KLO;
        i += 4;
    } else if l[i..].starts_with("à ".as_bytes()) {
        bits |= S_A;
        i += "à ".len();
    }
    let (h, _) = num(l, &mut i, 2)?;
    let tsep = *l.get(i)?;
    match tsep {
        b':' => {}
        b'.' => bits |= S_TIME_DOT,
        _ => return None,
    }
    i += 1;
    let (minute, nm) = num(l, &mut i, 2)?;
    if nm != 2 || minute > 59 {
        return None;
    }
    let mut second = 0;
    if l.get(i) == Some(&tsep) && l.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        let (s, ns) = num(l, &mut i, 2)?;
        if ns != 2 || s > 59 {
            return None;
        }
        second = s;
        bits |= S_SECONDS;
    }
    let save = i;
    i += space_at(l, i);
    let hour = match am_pm(l, &mut i) {
        Some(pm) => {
            bits |= S_AMPM;
            if !(1..=12).contains(&h) {
                return None;
            }
            (h % 12) + if pm { 12 } else { 0 }
        }
        None => {
            i = save;
            if h > 23 {
                return None;
            }
            h
        }
    };
    if bits & S_BRACKET != 0 {
        if l.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
        let sp = space_at(l, i);
        if sp == 0 && i < l.len() {
            return None;
        }
        i += sp;
    } else {
        let sp = space_at(l, i);
        if sp == 0 {
            return None;
        }
        i += sp;
        if l.get(i) == Some(&b'-') {
            i += 1;
        } else if l[i..].starts_with("\u{2013}".as_bytes()) {
            i += 3;
        } else {
            return None;
        }
        let sp = space_at(l, i);
        if sp == 0 {
            return None;
        }
        i += sp;
    }
    // Plausible dates only: the year is the 4-digit field, or the last one.
    let ok = if bits & S_YEAR_FIRST != 0 {
        (1..=12).contains(&b) && (1..=31).contains(&c)
    } else {
        (1..=31).contains(&a) && (1..=31).contains(&b) && (a <= 12 || b <= 12)
    };
    if !ok {
        return None;
    }
    Some(Stamp {
        a,
        b,
        c,
        hour,
        minute,
        second,
        sig: Sig(bits),
        body: i,
    })
}

// ---------------------------------------------------------------------------------------------
// One pass over the file

/// What a pass holds fixed: the file's timestamp shape and the date order, when known.
struct Lock {
    sig: Option<Sig>,
    order: Option<DateOrder>,
}

/// Fixed per file: what every event of it shares.
struct Ctx {
    /// One event made by [`Sink::event`]: every event of the file is stamped from it.
    template: Event,
    group: Option<Str>,
    /// A hasher already fed the source and group: event ids are content hashes.
    prefix: IdHash,
    tz: Tz,
}

impl Ctx {
    fn new(sink: &Sink, source: &str, group: Option<&str>, n_attrs: usize, tz: Tz) -> Self {
        let mut prefix = IdHash::default();
        prefix.update(source.as_bytes());
        prefix.update(&[0]);
        prefix.update(group.unwrap_or("").as_bytes());
        prefix.update(&[0]);
        let template = sink.event(1, 0, 0, Precision::Minute, Action::MessageSent, n_attrs);
        Ctx {
            template,
            group: group.map(Str::new),
            prefix,
            tz,
        }
    }

    /// The event [`Sink::event`] makes for `line`, with the content id instead of the positional
    /// one: built from the template, as `Sink::event` would build it but without hashing and
    /// formatting per message (a test checks both agree field for field).
    fn event(&self, line: u64, id: u64, precision: Precision, action: Action) -> Event {
        let t = &self.template;
        Event {
            event_id: id,
            ts: 0,
            precision,
            source: t.source,
            tool: t.tool,
            channel: action.default_channel(),
            action,
            email: None,
            phone: None,
            name: None,
            external_id: None,
            context: self.group,
            occasion: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            attrs: t.attrs.clone(),
            organizer: false,
            origin: Origin { file: t.origin.file, line },
        }
    }
}

/// Counts of system lines by what was done with them.
#[derive(Default)]
struct SysCounts {
    created: u64,
    added: u64,
    joined: u64,
    left: u64,
    removed: u64,
    encryption: u64,
    subject: u64,
    icon: u64,
    description: u64,
    exporter: u64,
    other: u64,
}

/// Everything one pass read; committed to the sink only once the date order is settled.
#[derive(Default)]
struct Pass {
    events: Vec<Event>,
    /// Local wall time of each event, packed ([`Stamp::raw`]).
    raw: Vec<u64>,
    /// Each event's id, side by side (sorted once to find exact repeats).
    ids: Vec<u64>,
    /// The date order as soon as one date settles it (or the pipeline, or a year-first shape
    /// does): from then on events get their time as they are made, and only the ones before
    /// (`first_timed`) and any that failed (`untimed`) are converted at the end.
    order_now: Option<DateOrder>,
    first_timed: usize,
    untimed: Vec<usize>,
    clock: Option<Clock>,
    sig: Option<Sig>,
    order: Option<DateOrder>,
    headers: u64,
    first_header_line: u64,
    /// Timestamps of other shapes, read as message text.
    other_sigs: Vec<(Sig, u64)>,
    /// Timestamps whose date does not exist in the locked order, read as message text.
    bad_date_lines: u64,
    first_bad_date_line: u64,
    /// Distinct consecutive dates as written, in file order (for order inference).
    dates: Vec<(u32, u32, u32)>,
    rows: u64,
    skipped: u64,
    quarantine: Vec<(u64, &'static str, &'static str)>,
    media: u64,
    deleted: u64,
    sys: SysCounts,
    unrecognised: u64,
    unrecognised_lines: Vec<u64>,
    /// Authors that iOS system notices were attributed to (the group's name as the phone shows it).
    system_authors: Vec<Vec<u8>>,
    /// The timestamp of the current run of records with one timestamp, and how often each content
    /// key occurred in it: the k-th identical record of a run (three photos sent in one minute)
    /// is a distinct event, while a copy of a record further away (the chat pasted twice, or the
    /// overlap of two exports) gets the same id as the original.
    run_raw: u64,
    /// Small runs (the usual few messages a minute) are counted here, larger ones in `run_keys`.
    run_small: Vec<(u64, u32)>,
    run_keys: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    /// Each author as written → (phone, name), as [`person`] reads it: a large group has
    /// thousands of members, too many for the interner's per-thread cache of recent texts, and
    /// every message would otherwise look its author up in the table of every text.
    authors: rustc_hash::FxHashMap<Vec<u8>, (Option<Str>, Option<Str>)>,
}

/// Keys that are already hashes are used as they are.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The id of a record with content key `key` at local time `raw` (see [`Pass::run_keys`]).
fn occurrence_id(p: &mut Pass, raw: u64, key: u64) -> u64 {
    if raw != p.run_raw {
        p.run_raw = raw;
        p.run_small.clear();
        if p.run_keys.capacity() > 1024 {
            p.run_keys = HashMap::default();
        } else if !p.run_keys.is_empty() {
            p.run_keys.clear();
        }
    }
    let k = if p.run_keys.is_empty() && p.run_small.len() < 16 {
        match p.run_small.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                p.run_small.push((key, 1));
                0
            }
        }
    } else {
        for (k, n) in p.run_small.drain(..) {
            p.run_keys.insert(k, n);
        }
        let n = p.run_keys.entry(key).or_insert(0);
        *n += 1;
        *n - 1
    };
    if k == 0 {
        key
    } else {
        let mut h = IdHash::default();
        h.update(&key.to_le_bytes());
        h.update(&k.to_le_bytes());
        h.finish()
    }
}

/// The record being read: continuation lines are added to it until the next timestamp.
enum Pending<'t> {
    /// Before the first timestamp.
    Start,
    /// Text before the first timestamp (quarantined once, at its first line).
    Orphan(u64),
    /// A record whose continuation lines do not matter (system lines, skipped records).
    Skip,
    Msg {
        line: u64,
        raw: u64,
        author: &'t [u8],
        hasher: IdHash,
        blanks: u32,
    },
}

fn run_pass(ctx: &Ctx, buf: &[u8], lock: &Lock) -> Pass {
    let mut p = Pass {
        sig: lock.sig,
        order: lock.order,
        run_raw: u64::MAX,
        ..Pass::default()
    };
    if let Some(s) = lock.sig {
        if s.year_first() {
            p.order = Some(DateOrder::Ymd);
        }
    }
    p.order_now = p.order;
    p.clock = Some(Clock::new(ctx.tz));
    // Sized once for an event a line (a message takes at least one; a notice naming several
    // people can make more, and then the vectors grow): a large export holds millions of
    // messages, and growing by doubling copied them and faulted fresh pages in at each step.
    // Capacity never written to is never faulted in.
    let lines = buf.iter().filter(|&&b| b == b'\n').count() + 1;
    p.events.reserve(lines);
    p.raw.reserve(lines);
    p.ids.reserve(lines);
    let mut pending = Pending::Start;
    let mut pos = 0;
    let mut line_no = 0u64;
    while pos < buf.len() {
        line_no += 1;
        let (line, next) = next_line(buf, pos);
        pos = next;
        let l = strip_marks(line);
        if let Some(st) = stamp(l) {
            if accept(&mut p, &st, line_no) {
                finish(ctx, &mut p, std::mem::replace(&mut pending, Pending::Skip));
                pending = open(ctx, &mut p, &st, &l[st.body..], line_no);
                continue;
            }
        }
        // A continuation line.
        match &mut pending {
            Pending::Start => {
                if !blank(l) {
                    p.rows += 1;
                    pending = Pending::Orphan(line_no);
                }
            }
            Pending::Orphan(_) | Pending::Skip => {}
            Pending::Msg { hasher, blanks, .. } => {
                if blank(line) {
                    *blanks += 1;
                } else {
                    for _ in 0..*blanks {
                        hasher.update(b"\n");
                    }
                    *blanks = 0;
                    hasher.update(b"\n");
                    hasher.update(line);
                }
            }
        }
    }
    finish(ctx, &mut p, pending);
    p
}

/// Whether a well-formed timestamp opens a record in this file (its shape and date fit).
#[inline]
fn accept(p: &mut Pass, st: &Stamp, line: u64) -> bool {
    match p.sig {
        None => {
            if !st.valid_some_order() {
                return false;
            }
            p.sig = Some(st.sig);
            if st.sig.year_first() {
                p.order = Some(DateOrder::Ymd);
                p.order_now = p.order;
                p.first_timed = p.events.len();
            }
        }
        Some(s) if s != st.sig => {
            match p.other_sigs.iter_mut().find(|(o, _)| *o == st.sig) {
                Some((_, n)) => *n += 1,
                None => p.other_sigs.push((st.sig, 1)),
            }
            return false;
        }
        Some(_) => {}
    }
    let ok = match p.order {
        Some(o) => st.valid_in(o),
        None => st.valid_some_order(),
    };
    if !ok {
        if p.bad_date_lines == 0 {
            p.first_bad_date_line = line;
        }
        p.bad_date_lines += 1;
        return false;
    }
    if p.order_now.is_none() {
        let (d, m) = (st.valid_in(DateOrder::Dmy), st.valid_in(DateOrder::Mdy));
        if d != m {
            p.order_now = Some(if d { DateOrder::Dmy } else { DateOrder::Mdy });
            p.first_timed = p.events.len();
        }
    }
    p.headers += 1;
    if p.first_header_line == 0 {
        p.first_header_line = line;
    }
    let d = (st.a, st.b, st.c);
    if p.dates.last() != Some(&d) {
        p.dates.push(d);
    }
    true
}

/// Where an author's name ends: the first `: ` (or a `:` closing the line).
#[inline]
fn author_end(body: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b':' && (i + 1 == body.len() || body[i + 1] == b' ') {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `b` holds a straight or curly double quote (`"` `“` `”` `„`).
fn has_quote(b: &[u8]) -> bool {
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'"' || (c == 0xE2 && b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0x9C..=0x9E))))
}

/// Opens the record of a timestamped line: decides what it is and, for system lines, emits now.
fn open<'t>(ctx: &Ctx, p: &mut Pass, st: &Stamp, body: &'t [u8], line: u64) -> Pending<'t> {
    p.rows += 1;
    let raw = st.raw();
    let sep = author_end(body);
    let system_looking = body.starts_with(LRM) || sep.is_none() || sep.is_some_and(|i| has_quote(&body[..i]));
    if system_looking {
        if system(ctx, p, raw, body, line) {
            return Pending::Skip;
        }
        match sep {
            Some(i) if !trim_marks_bytes(&body[..i]).is_empty() => {}
            _ => {
                unrecognised(p, line);
                return Pending::Skip;
            }
        }
    }
    let Some(i) = sep else {
        unrecognised(p, line);
        return Pending::Skip;
    };
    let author = trim_marks_bytes(&body[..i]);
    if author.is_empty() {
        unrecognised(p, line);
        return Pending::Skip;
    }
    let text = body.get(i + 2..).unwrap_or(&[]);
    let placeholder = placeholder(text);
    if text.starts_with(LRM) && placeholder.is_none() {
        // iOS: a notice attributed to the group (or, in a one-to-one chat, to the contact).
        if system(ctx, p, raw, text, line) {
            if !p.system_authors.iter().any(|a| a == author) && p.system_authors.len() < 16 {
                p.system_authors.push(author.to_vec());
            }
            return Pending::Skip;
        }
        let is_group = ctx.group.as_deref().is_some_and(|g| g.as_bytes() == author);
        if is_group || p.system_authors.iter().any(|a| a == author) {
            unrecognised(p, line);
            return Pending::Skip;
        }
    }
    match placeholder {
        Some(Placeholder::Media) => p.media += 1,
        Some(Placeholder::Deleted) => p.deleted += 1,
        None => {}
    }
    let mut hasher = ctx.prefix.clone();
    hasher.update(b"m");
    hasher.update(author);
    hasher.update(&[0]);
    hasher.update(&raw.to_le_bytes());
    hasher.update(&[st.sig.has(S_SECONDS) as u8]);
    hasher.update(text);
    Pending::Msg {
        line,
        raw,
        author,
        hasher,
        blanks: 0,
    }
}

fn unrecognised(p: &mut Pass, line: u64) {
    p.skipped += 1;
    p.unrecognised += 1;
    if p.unrecognised_lines.len() < 10 {
        p.unrecognised_lines.push(line);
    }
}

/// Adds an event, timed now when the date order is already known.
#[inline]
fn push_event(p: &mut Pass, mut e: Event, raw: u64, id: u64) {
    if let (Some(order), Some(clock)) = (p.order_now, p.clock.as_mut()) {
        match clock.utc(order, raw) {
            Some(ts) => e.ts = ts,
            None => p.untimed.push(p.events.len()),
        }
    }
    p.events.push(e);
    p.raw.push(raw);
    p.ids.push(id);
}

/// Closes a record: a message becomes an event.
fn finish(ctx: &Ctx, p: &mut Pass, pending: Pending) {
    match pending {
        Pending::Start | Pending::Skip => {}
        Pending::Orphan(line) => p.quarantine.push((
            line,
            "no_timestamp",
            "text before the first message: these lines do not start with a WhatsApp timestamp",
        )),
        Pending::Msg {
            line, raw, author, hasher, ..
        } => {
            let id = occurrence_id(p, raw, hasher.finish());
            let precision = p.sig.map(Sig::precision).unwrap_or(Precision::Minute);
            let mut e = ctx.event(line, id, precision, Action::MessageSent);
            let (phone, name) = match p.authors.get(author) {
                Some(&known) => known,
                None => {
                    let read = match std::str::from_utf8(author) {
                        Ok(a) => person(a),
                        Err(_) => person(&String::from_utf8_lossy(author)),
                    };
                    p.authors.insert(author.to_vec(), read);
                    read
                }
            };
            (e.phone, e.name) = (phone, name);
            push_event(p, e, raw, id);
        }
    }
}

/// A stable, streaming 64-bit hash of an event's content (MurmurHash64A's mixing over
/// little-endian words, the length folded in at the end): the same on every machine and run,
/// and cheap enough for millions of messages.
#[derive(Clone, Default)]
struct IdHash {
    h: u64,
    tail: u64,
    tail_len: u32,
    len: u64,
}

const MURMUR_M: u64 = 0xc6a4_a793_5bd1_e995;

impl IdHash {
    #[inline]
    fn word(&mut self, w: u64) {
        let mut k = w.wrapping_mul(MURMUR_M);
        k ^= k >> 47;
        k = k.wrapping_mul(MURMUR_M);
        self.h = (self.h ^ k).wrapping_mul(MURMUR_M);
    }

    #[inline]
    fn update(&mut self, mut b: &[u8]) {
        self.len += b.len() as u64;
        while self.tail_len != 0 {
            let Some((&x, rest)) = b.split_first() else { return };
            self.tail |= (x as u64) << (8 * self.tail_len);
            self.tail_len += 1;
            b = rest;
            if self.tail_len == 8 {
                let w = self.tail;
                self.word(w);
                self.tail = 0;
                self.tail_len = 0;
            }
        }
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        for &x in chunks.remainder() {
            self.tail |= (x as u64) << (8 * self.tail_len);
            self.tail_len += 1;
        }
    }

    fn finish(&self) -> u64 {
        let mut h = self.h ^ self.len.wrapping_mul(MURMUR_M);
        if self.tail_len > 0 {
            h = (h ^ self.tail).wrapping_mul(MURMUR_M);
        }
        h ^= h >> 47;
        h = h.wrapping_mul(MURMUR_M);
        h ^ (h >> 47)
    }
}

/// Converts every event's local wall time in the settled order and hands them to the sink.
fn commit(pass: Pass, sink: &mut Sink, order: DateOrder, tz: Tz) {
    let Pass {
        events,
        raw,
        ids,
        order_now,
        first_timed,
        untimed,
        rows,
        skipped,
        quarantine,
        media,
        deleted,
        sys,
        unrecognised,
        unrecognised_lines,
        bad_date_lines,
        other_sigs,
        ..
    } = pass;
    sink.stats.rows += rows;
    let mut skipped = skipped;
    for (line, reason, detail) in quarantine {
        sink.quarantine(line, None, reason, detail);
    }
    let mut events = events;
    let mut clock = Clock::new(tz);
    let mut bad = Vec::new();
    let todo: Box<dyn Iterator<Item = usize>> = if order_now == Some(order) {
        Box::new((0..first_timed.min(events.len())).chain(untimed))
    } else {
        Box::new(0..events.len())
    };
    for i in todo {
        let (Some(&r), Some(e)) = (raw.get(i), events.get_mut(i)) else {
            continue;
        };
        match clock.utc(order, r) {
            Some(ts) => e.ts = ts,
            None => bad.push(i), // unreachable for accepted lines (their date is valid); kept safe
        }
    }
    if !bad.is_empty() {
        bad.sort_unstable();
        bad.dedup();
        for &i in &bad {
            let line = events[i].origin.line;
            sink.quarantine(
                line,
                None,
                "bad_timestamp",
                format!("the date does not exist when read as {}", order.as_str()),
            );
        }
        let mut i = 0;
        events.retain(|_| {
            i += 1;
            bad.binary_search(&(i - 1)).is_err()
        });
    }
    // Exact repeats within the file (the same chat pasted twice into it): one sort of the ids
    // finds them; only then does a pass in file order drop all but the first of each.
    let mut duplicates = 0u64;
    let mut ids = if bad.is_empty() {
        ids
    } else {
        events.iter().map(|e| e.event_id).collect()
    };
    radix_sort(&mut ids);
    if ids.windows(2).any(|w| w[0] == w[1]) {
        let dup: HashSet<u64> = ids.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        let mut first = HashSet::new();
        let keep: Vec<bool> = events
            .iter()
            .map(|e| !dup.contains(&e.event_id) || first.insert(e.event_id))
            .collect();
        duplicates = keep.iter().filter(|k| !**k).count() as u64;
        // a record's events are contiguous and share their origin: it is skipped when none is left
        let mut i = 0;
        while i < events.len() {
            let mut j = i + 1;
            while j < events.len() && events[j].origin == events[i].origin {
                j += 1;
            }
            if keep[i..j].iter().all(|k| !k) {
                skipped += 1;
            }
            i = j;
        }
        let mut k = keep.iter();
        events.retain(|_| *k.next().unwrap_or(&true));
    }
    drop(ids);
    sink.stats.skipped += skipped;
    // What `Sink::push` does for each event, without moving a million events one by one.
    sink.stats.events += events.len() as u64;
    if sink.events.is_empty() {
        sink.events = events;
    } else {
        sink.events.append(&mut events);
    }
    sink.note("media", media.to_string());
    if deleted > 0 {
        sink.note("deleted", deleted.to_string());
    }
    if duplicates > 0 {
        sink.note(
            "duplicates_in_file",
            format!("{duplicates} event(s) repeat an earlier one of this file exactly (same person, time and text) and were skipped"),
        );
    }
    let mut events_part = Vec::new();
    for (n, what) in [
        (sys.created, "created"),
        (sys.added, "added"),
        (sys.joined, "joined"),
        (sys.left, "left"),
        (sys.removed, "removed"),
    ] {
        if n > 0 {
            events_part.push(format!("{what} {n}"));
        }
    }
    let mut skipped_part = Vec::new();
    for (n, what) in [
        (sys.encryption, "encryption"),
        (sys.subject, "subject"),
        (sys.icon, "icon"),
        (sys.description, "description"),
        (sys.exporter, "exporter"),
        (sys.other, "other"),
    ] {
        if n > 0 {
            skipped_part.push(format!("{what} {n}"));
        }
    }
    let show = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    sink.note("system", format!("events: {}; skipped: {}", show(events_part), show(skipped_part)));
    if unrecognised > 0 {
        let lines: Vec<String> = unrecognised_lines.iter().map(u64::to_string).collect();
        let more = if unrecognised > unrecognised_lines.len() as u64 {
            ", …"
        } else {
            ""
        };
        sink.note(
            "system_unrecognised",
            format!(
                "{unrecognised} system line(s) in no known wording were skipped (lines {}{more})",
                lines.join(", ")
            ),
        );
    }
    let other: u64 = other_sigs.iter().map(|(_, n)| n).sum::<u64>() + bad_date_lines;
    if other > 0 {
        sink.note(
            "timestamp_like_text",
            format!("{other} line(s) start like a timestamp of another shape or an impossible date and were read as message text"),
        );
    }
}

/// Sorts 64-bit ids, 11 bits at a time (six passes over two buffers): several times faster than
/// a comparison sort on the millions of uniform ids of a large export.
fn radix_sort(v: &mut Vec<u64>) {
    if v.len() < 1 << 14 {
        v.sort_unstable();
        return;
    }
    const BITS: u32 = 11;
    const PASSES: usize = 6;
    let mut counts = vec![[0usize; 1 << BITS]; PASSES];
    for &x in v.iter() {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[(x >> (pass as u32 * BITS)) as usize & ((1 << BITS) - 1)] += 1;
        }
    }
    let mut other = vec![0u64; v.len()];
    for (pass, c) in counts.iter_mut().enumerate() {
        let mut sum = 0;
        for n in c.iter_mut() {
            let here = *n;
            *n = sum;
            sum += here;
        }
        for &x in v.iter() {
            let d = (x >> (pass as u32 * BITS)) as usize & ((1 << BITS) - 1);
            other[c[d]] = x;
            c[d] += 1;
        }
        std::mem::swap(v, &mut other);
    }
}

/// Local wall time → UTC, caching the zone's offset per local hour (exact: zones change offset
/// at most once an hour, and an hour with a change is converted minute by minute).
struct Clock {
    tz: Tz,
    /// The local date and hour last converted (packed like [`Stamp::raw`]).
    key: u64,
    date: Option<NaiveDate>,
    /// UTC seconds at the start of that local hour, when the hour has one unambiguous offset.
    hour_start: Option<i64>,
}

impl Clock {
    fn new(tz: Tz) -> Self {
        Clock {
            tz,
            key: u64::MAX,
            date: None,
            hour_start: None,
        }
    }

    fn utc(&mut self, order: DateOrder, raw: u64) -> Option<i64> {
        let (a, b, c, h, mi, s) = unpack(raw);
        let key = (raw & 0x1_ffff_ffff) | (h as u64) << 33;
        if key != self.key {
            self.key = key;
            self.date = dates::make_date(order, a, b, c);
            self.hour_start = self.date.and_then(|d| {
                let start = d.and_hms_opt(h, 0, 0)?;
                let offset = self.hour_offset(start, d.and_hms_opt(h, 59, 59)?)?;
                Some(start.and_utc().timestamp() - offset)
            });
        }
        let date = self.date?;
        if mi > 59 || s > 59 {
            return None;
        }
        match self.hour_start {
            Some(start) => Some((start + (mi * 60 + s) as i64) * timeutil::US_PER_SEC),
            None => Some(timeutil::local_to_utc_us(date.and_hms_opt(h, mi, s)?, self.tz)),
        }
    }

    /// The offset in seconds when it is the same and unambiguous all hour long.
    fn hour_offset(&self, start: NaiveDateTime, end: NaiveDateTime) -> Option<i64> {
        let o1 = self.tz.from_local_datetime(&start).single()?.offset().fix().local_minus_utc();
        let o2 = self.tz.from_local_datetime(&end).single()?.offset().fix().local_minus_utc();
        (o1 == o2).then_some(o1 as i64)
    }
}

// ---------------------------------------------------------------------------------------------
// People

/// Bidirectional marks and invisible characters phones put around names and numbers.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn trim_marks(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || is_mark(c))
}

/// [`trim_marks`] on bytes (only the ASCII space and the 3-byte marks, which is what occurs).
fn trim_marks_bytes(mut b: &[u8]) -> &[u8] {
    loop {
        if let Some(r) = b.strip_prefix(b" ") {
            b = r;
        } else if b.first() == Some(&0xE2) && b.len() >= 3 && is_mark_bytes(&b[..3]) {
            b = &b[3..];
        } else {
            break;
        }
    }
    loop {
        if let Some(r) = b.strip_suffix(b" ") {
            b = r;
        } else if b.len() >= 3 && is_mark_bytes(&b[b.len() - 3..]) {
            b = &b[..b.len() - 3];
        } else {
            break;
        }
    }
    b
}

fn is_mark_bytes(b: &[u8]) -> bool {
    std::str::from_utf8(b).ok().and_then(|s| s.chars().next()).is_some_and(is_mark)
}

/// An author or a person named in a notice: a formatted phone number goes to `phone`, anything
/// else (contact name, `~ PushName`) to `name`, as written.
fn set_person(e: &mut Event, raw: &str) {
    match person(raw) {
        (Some(phone), _) => e.phone = Some(phone),
        (None, name) => e.name = name,
    }
}

/// Who a sender as written is: (a phone, none) when it is a number, else (none, a name).
fn person(raw: &str) -> (Option<Str>, Option<Str>) {
    let s = trim_marks(raw);
    if s.starts_with('+') {
        let mut digits = 0;
        let phone_like = s.chars().all(|c| {
            if c.is_ascii_digit() {
                digits += 1;
                true
            } else {
                matches!(c, '+' | ' ' | '(' | ')' | '-' | '.' | '\u{a0}' | '\u{202f}') || is_mark(c)
            }
        });
        if phone_like && (7..=15).contains(&digits) {
            let phone = if s.chars().any(is_mark) {
                Str::new(&s.chars().filter(|c| !is_mark(*c)).collect::<String>())
            } else {
                Str::new(s)
            };
            return (Some(phone), None);
        }
    }
    (None, Some(Str::new(s)))
}

// ---------------------------------------------------------------------------------------------
// Placeholders

enum Placeholder {
    Media,
    Deleted,
}

const MEDIA_SUFFIXES: &[&str] = &[
    " omitted",
    " omitida",
    " omitido",
    " ocultada",
    " ocultado",
    " oculta",
    " oculto",
    " weggelassen",
    " absente",
    " omis",
    " omise",
    " (file attached)",
    " (archivo adjunto)",
    " (arquivo anexado)",
    " (Datei angehängt)",
    " (fichier joint)",
    " (pièce jointe)",
];

const MEDIA_BRACKETED: &[&str] = &[
    "<Media omitted>",
    "<Multimedia omitido>",
    "<Multimedia omitida>",
    "<Archivo omitido>",
    "<Mídia oculta>",
    "<Arquivo de mídia oculto>",
    "<Medien ausgeschlossen>",
    "<Medien weggelassen>",
    "<Médias omis>",
    "<Fichier omis>",
];

const MEDIA_ATTACHED: &[&str] = &[
    "<attached: ",
    "<adjunto: ",
    "<anexado: ",
    "<Anhang: ",
    "<pièce jointe : ",
    "<pièce jointe: ",
];

const DELETED: &[&str] = &[
    "This message was deleted",
    "You deleted this message",
    "Se eliminó este mensaje",
    "Eliminaste este mensaje",
    "Este mensaje fue eliminado",
    "Mensaje eliminado",
    "Esta mensagem foi apagada",
    "Essa mensagem foi apagada",
    "Mensagem apagada",
    "Você apagou esta mensagem",
    "Apagou esta mensagem",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht",
    "Ce message a été supprimé",
    "Vous avez supprimé ce message",
];

/// Whether a message's first line is a media or deleted-message placeholder (any language above).
/// It runs on every message: the last word decides whether a full comparison is worth making.
fn placeholder(text: &[u8]) -> Option<Placeholder> {
    if text.len() > 160 {
        return None;
    }
    let t = trim_ws_marks_bytes(text);
    if t.first() == Some(&b'<') {
        if MEDIA_BRACKETED.iter().any(|m| t.eq_ignore_ascii_case(m.as_bytes()))
            || MEDIA_ATTACHED.iter().any(|m| t.starts_with(m.as_bytes()))
        {
            return Some(Placeholder::Media);
        }
        return None;
    }
    let mut d = t;
    while let [rest @ .., b'.'] = d {
        d = rest;
    }
    let last = &d[d.iter().rposition(|&b| b == b' ')? + 1..];
    let media_word = matches!(
        last,
        b"omitted"
            | b"omitida"
            | b"omitido"
            | b"ocultada"
            | b"ocultado"
            | b"oculta"
            | b"oculto"
            | b"weggelassen"
            | b"absente"
            | b"omis"
            | b"omise"
            | b"attached)"
            | b"adjunto)"
            | b"anexado)"
            | b"joint)"
            | b"jointe)"
    ) || last == "angehängt)".as_bytes();
    if media_word {
        return (t.len() <= 100 && MEDIA_SUFFIXES.iter().any(|m| t.ends_with(m.as_bytes()))).then_some(Placeholder::Media);
    }
    let deleted_word = matches!(last, b"deleted" | b"message" | b"mensaje" | b"eliminado" | b"apagada" | b"mensagem")
        || last == "gelöscht".as_bytes()
        || last == "supprimé".as_bytes();
    (deleted_word && DELETED.iter().any(|m| d == m.as_bytes())).then_some(Placeholder::Deleted)
}

/// [`trim_marks_bytes`] plus tabs and no-break spaces at the ends.
fn trim_ws_marks_bytes(mut b: &[u8]) -> &[u8] {
    loop {
        let t = trim_marks_bytes(b);
        let t = t.strip_prefix(b"\t").or_else(|| t.strip_prefix("\u{a0}".as_bytes())).unwrap_or(t);
        let t = t.strip_suffix(b"\t").or_else(|| t.strip_suffix("\u{a0}".as_bytes())).unwrap_or(t);
        if t.len() == b.len() {
            return t;
        }
        b = t;
    }
}

// ---------------------------------------------------------------------------------------------
// System notices

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// About the exporter ("You were added", "You left"): who that is, the export does not say.
    Exporter,
    Subject,
    Icon,
    Description,
    Created,
    Joined,
    Added,
    Removed,
    Left,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Es,
    Pt,
    De,
    Fr,
}

use Kind::*;
use Lang::*;

/// Notice wordings, tried in order: `{p}` is the person (or, for added/removed, the list of
/// people) the event is about, `{x}` any non-empty text (the actor), `{*}` any text. The last
/// literal must end the notice; the others match at their first occurrence.
const TEMPLATES: &[(Kind, Lang, &str)] = &[
    // about the exporter
    (Exporter, En, "You were added"),
    (Exporter, En, "{x} added you"),
    (Exporter, En, "You joined{*}"),
    (Exporter, En, "You left"),
    (Exporter, En, "You were removed"),
    (Exporter, En, "{x} removed you"),
    (Exporter, En, "You created group {*}"),
    (Exporter, En, "You created this group"),
    (Exporter, Es, "Te añadieron"),
    (Exporter, Es, "Te agregaron"),
    (Exporter, Es, "Se te añadió{*}"),
    (Exporter, Es, "Se te agregó{*}"),
    (Exporter, Es, "{x} te añadió"),
    (Exporter, Es, "{x} te agregó"),
    (Exporter, Es, "Te uniste{*}"),
    (Exporter, Es, "Saliste"),
    (Exporter, Es, "Saliste {*}"),
    (Exporter, Es, "{x} te eliminó"),
    (Exporter, Es, "{x} te expulsó"),
    (Exporter, Es, "Creaste el grupo {*}"),
    (Exporter, Es, "Creaste este grupo"),
    (Exporter, Pt, "Você foi adicionad{*}"),
    (Exporter, Pt, "{x} adicionou você"),
    (Exporter, Pt, "Você entrou{*}"),
    (Exporter, Pt, "Você saiu{*}"),
    (Exporter, Pt, "Você foi removid{*}"),
    (Exporter, Pt, "{x} removeu você"),
    (Exporter, Pt, "Você criou {*}"),
    (Exporter, De, "Du wurdest hinzugefügt"),
    (Exporter, De, "{x} hat dich hinzugefügt"),
    (Exporter, De, "Du bist {*}beigetreten"),
    (Exporter, De, "Du hast die Gruppe verlassen"),
    (Exporter, De, "Du wurdest entfernt"),
    (Exporter, De, "{x} hat dich entfernt"),
    (Exporter, De, "Du hast die Gruppe {*} erstellt"),
    (Exporter, De, "Du hast diese Gruppe erstellt"),
    (Exporter, Fr, "Vous avez été ajouté{*}"),
    (Exporter, Fr, "{x} vous a ajouté{*}"),
    (Exporter, Fr, "Vous avez rejoint{*}"),
    (Exporter, Fr, "Vous êtes parti{*}"),
    (Exporter, Fr, "Vous avez quitté{*}"),
    (Exporter, Fr, "Vous avez été retiré{*}"),
    (Exporter, Fr, "{x} vous a retiré{*}"),
    (Exporter, Fr, "Vous avez créé {*}"),
    // group settings (before the membership wordings they could fall into)
    (Subject, En, "{x} changed the subject {*}"),
    (Subject, En, "{x} changed the group name {*}"),
    (Subject, Es, "{x} cambió el asunto {*}"),
    (Subject, Es, "{x} cambió el nombre del grupo {*}"),
    (Subject, Es, "Cambiaste el asunto {*}"),
    (Subject, Es, "Cambiaste el nombre del grupo {*}"),
    (Subject, Pt, "{x} mudou o assunto {*}"),
    (Subject, Pt, "{x} mudou o nome {*}"),
    (Subject, Pt, "{x} alterou o nome {*}"),
    (Subject, Pt, "{x} alterou o assunto {*}"),
    (Subject, De, "{x} hat den Betreff {*}"),
    (Subject, De, "{x} hat den Gruppennamen {*}"),
    (Subject, Fr, "{x} a modifié le sujet {*}"),
    (Subject, Fr, "{x} a changé le sujet {*}"),
    (Subject, Fr, "{x} a modifié le nom {*}"),
    (Subject, Fr, "{x} a changé le nom {*}"),
    (Subject, Fr, "Vous avez modifié le sujet {*}"),
    (Subject, Fr, "Vous avez changé le sujet {*}"),
    (Icon, En, "{x} changed this group's icon"),
    (Icon, En, "{x} deleted this group's icon"),
    (Icon, En, "{x} removed this group's icon"),
    (Icon, En, "{x} changed the group icon"),
    (Icon, Es, "{x} cambió el ícono{*}"),
    (Icon, Es, "{x} cambió el icono{*}"),
    (Icon, Es, "{x} cambió la imagen{*}"),
    (Icon, Es, "{x} cambió la foto{*}"),
    (Icon, Es, "{x} eliminó el ícono{*}"),
    (Icon, Es, "{x} eliminó el icono{*}"),
    (Icon, Es, "{x} eliminó la imagen{*}"),
    (Icon, Es, "{x} eliminó la foto{*}"),
    (Icon, Es, "Cambiaste el ícono{*}"),
    (Icon, Es, "Cambiaste la imagen{*}"),
    (Icon, Es, "Cambiaste la foto{*}"),
    (Icon, Pt, "{x} mudou a imagem{*}"),
    (Icon, Pt, "{x} alterou a imagem{*}"),
    (Icon, Pt, "{x} apagou a imagem{*}"),
    (Icon, Pt, "{x} removeu a imagem{*}"),
    (Icon, Pt, "{x} mudou o ícone{*}"),
    (Icon, De, "{x} hat das Gruppenbild {*}"),
    (Icon, De, "{x} hat das Gruppenfoto {*}"),
    (Icon, Fr, "{x} a changé l'icône{*}"),
    (Icon, Fr, "{x} a modifié l'icône{*}"),
    (Icon, Fr, "{x} a supprimé l'icône{*}"),
    (Icon, Fr, "{x} a changé la photo{*}"),
    (Icon, Fr, "{x} a modifié la photo{*}"),
    (Icon, Fr, "{x} a supprimé la photo{*}"),
    (Icon, Fr, "Vous avez changé l'icône{*}"),
    (Icon, Fr, "Vous avez modifié l'icône{*}"),
    (Icon, Fr, "Vous avez supprimé l'icône{*}"),
    (Description, En, "{x} changed the group description"),
    (Description, En, "{x} deleted the group description"),
    (Description, Es, "{x} cambió la descripción{*}"),
    (Description, Es, "{x} eliminó la descripción{*}"),
    (Description, Es, "Cambiaste la descripción{*}"),
    (Description, Pt, "{x} mudou a descrição{*}"),
    (Description, Pt, "{x} alterou a descrição{*}"),
    (Description, Pt, "{x} apagou a descrição{*}"),
    (Description, De, "{x} hat die Gruppenbeschreibung {*}"),
    (Description, Fr, "{x} a modifié la description{*}"),
    (Description, Fr, "{x} a changé la description{*}"),
    (Description, Fr, "{x} a supprimé la description{*}"),
    (Description, Fr, "Vous avez modifié la description{*}"),
    // membership
    (Created, En, "{p} created group {*}"),
    (Created, En, "{p} created this group"),
    (Created, Es, "{p} creó el grupo {*}"),
    (Created, Es, "{p} creó este grupo"),
    (Created, Pt, "{p} criou o grupo {*}"),
    (Created, Pt, "{p} criou este grupo"),
    (Created, De, "{p} hat die Gruppe {*} erstellt"),
    (Created, De, "{p} hat diese Gruppe erstellt"),
    (Created, Fr, "{p} a créé le groupe {*}"),
    (Created, Fr, "{p} a créé ce groupe"),
    (Joined, En, "{p} joined using this group's invite link"),
    (Joined, En, "{p} joined using an invite link"),
    (Joined, En, "{p} joined from the community"),
    (Joined, En, "{p} joined"),
    (Joined, Es, "{p} se unió{*}"),
    (Joined, Pt, "{p} entrou"),
    (Joined, Pt, "{p} entrou {*}"),
    (Joined, De, "{p} ist {*}beigetreten"),
    (Joined, Fr, "{p} a rejoint{*}"),
    (Added, En, "{p} was added"),
    (Added, En, "{p} were added"),
    (Added, En, "{x} added {p}"),
    (Added, Es, "Añadiste a {p}"),
    (Added, Es, "Agregaste a {p}"),
    (Added, Es, "Se añadió a {p}"),
    (Added, Es, "Se agregó a {p}"),
    (Added, Es, "{x} añadió a {p}"),
    (Added, Es, "{x} agregó a {p}"),
    (Added, Pt, "{p} foi adicionado"),
    (Added, Pt, "{p} foi adicionada"),
    (Added, Pt, "{p} foram adicionados"),
    (Added, Pt, "{x} adicionou {p}"),
    (Added, De, "{p} wurde hinzugefügt"),
    (Added, De, "{p} wurden hinzugefügt"),
    (Added, De, "{x} hat {p} hinzugefügt"),
    (Added, Fr, "Vous avez ajouté {p}"),
    (Added, Fr, "{p} a été ajouté{*}"),
    (Added, Fr, "{x} a ajouté {p}"),
    (Removed, En, "{p} was removed"),
    (Removed, En, "{p} were removed"),
    (Removed, En, "{x} removed {p}"),
    (Removed, Es, "Eliminaste a {p}"),
    (Removed, Es, "Se eliminó a {p}"),
    (Removed, Es, "{x} eliminó a {p}"),
    (Removed, Es, "{x} expulsó a {p}"),
    (Removed, Pt, "{p} foi removido"),
    (Removed, Pt, "{p} foi removida"),
    (Removed, Pt, "{p} foram removidos"),
    (Removed, Pt, "{x} removeu {p}"),
    (Removed, De, "{p} wurde entfernt"),
    (Removed, De, "{p} wurden entfernt"),
    (Removed, De, "{x} hat {p} entfernt"),
    (Removed, Fr, "Vous avez retiré {p}"),
    (Removed, Fr, "{p} a été retiré{*}"),
    (Removed, Fr, "{x} a retiré {p}"),
    (Removed, Fr, "{x} a exclu {p}"),
    (Left, En, "{p} left"),
    (Left, Es, "{p} salió del grupo"),
    (Left, Es, "{p} salió"),
    (Left, Pt, "{p} saiu"),
    (Left, Pt, "{p} saiu {*}"),
    (Left, De, "{p} hat die Gruppe verlassen"),
    (Left, De, "{p} ist ausgetreten"),
    (Left, Fr, "{p} est parti{*}"),
    (Left, Fr, "{p} a quitté{*}"),
];

/// For each whole word a wording needs, the wordings (indices into [`TEMPLATES`]) needing it:
/// a notice is tried only against the wordings one of its words selects, in table order.
fn template_index() -> &'static HashMap<&'static str, Vec<usize>> {
    static INDEX: std::sync::OnceLock<HashMap<&'static str, Vec<usize>>> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (i, &(_, _, pat)) in TEMPLATES.iter().enumerate() {
            if let Some(w) = key_word(pat) {
                index.entry(w).or_default().push(i);
            }
        }
        index
    })
}

/// The longest word of a wording that stands whole in every notice it matches: inside a literal
/// piece, with a space or the wording's start or end on both sides.
fn key_word(pat: &'static str) -> Option<&'static str> {
    let mut best: Option<&'static str> = None;
    let mut rest = pat;
    let mut at_start = true;
    loop {
        let brace = rest.find('{');
        let lit = &rest[..brace.unwrap_or(rest.len())];
        let at_end = brace.is_none();
        let words: Vec<&'static str> = lit.split(' ').collect();
        for (j, w) in words.iter().enumerate() {
            let left = j > 0 || at_start;
            let right = j + 1 < words.len() || at_end;
            if left && right && !w.is_empty() && best.is_none_or(|b| w.len() > b.len()) {
                best = Some(w);
            }
        }
        match brace {
            None => return best,
            Some(i) => {
                rest = rest.get(i + 3..)?;
                at_start = false;
            }
        }
    }
}

/// The wordings worth trying on a notice, in table order.
fn candidates(text: &str) -> impl Iterator<Item = (Kind, Lang, &'static str)> {
    let index = template_index();
    let mut idx: Vec<usize> = text.split(' ').filter_map(|w| index.get(w)).flatten().copied().collect();
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(|i| TEMPLATES[i])
}

/// Encryption notices, matched in lower case anywhere in the notice.
const ENCRYPTION: &[&str] = &[
    "end-to-end encrypt",
    "end-to-end encryption",
    "de extremo a extremo",
    "ende-zu-ende",
    "de bout en bout",
    "de ponta a ponta",
];

/// Other notices known to carry no membership change, matched in lower case anywhere.
const OTHER_KNOWN: &[&str] = &[
    "security code",
    "código de seguridad",
    "código de segurança",
    "sicherheitsnummer",
    "code de sécurité",
    "changed their phone number",
    "changed to +",
    "cambió su número",
    "cambió a +",
    "mudou de número",
    "mudou seu número",
    "telefonnummer",
    "de numéro",
    "disappearing message",
    "mensajes temporales",
    "mensagens temporárias",
    "selbstlöschende",
    "messages éphémères",
    "now an admin",
    "no longer an admin",
    "ahora es admin",
    "ahora eres admin",
    "agora é admin",
    "jetzt admin",
    "maintenant admin",
    "settings",
    "configuración",
    "configurações",
    "einstellungen",
    "paramètres",
    "missed voice call",
    "missed video call",
    "missed group",
    "llamada perdida",
    "chamada de voz perdida",
    "chamada de vídeo perdida",
    "verpasster",
    "appel vocal manqué",
    "appel vidéo manqué",
    "pinned a message",
    "fijó un mensaje",
    "fixou uma mensagem",
    "angeheftet",
    "a épinglé",
    "community",
    "comunidad",
    "comunidade",
    "communauté",
    "blocked this contact",
    "bloqueaste",
    "desbloqueaste",
    "business account",
    "cuenta comercial",
    "conta comercial",
];

/// Reads a system notice; emits its events and returns true when it is one we know.
fn system(ctx: &Ctx, p: &mut Pass, raw: u64, body: &[u8], line: u64) -> bool {
    let text = normalise_notice(&String::from_utf8_lossy(body));
    let lower = text.to_lowercase();
    if ENCRYPTION.iter().any(|m| lower.contains(m)) {
        p.sys.encryption += 1;
        p.skipped += 1;
        return true;
    }
    for (kind, lang, pat) in candidates(&text) {
        let Some(cap) = match_pat(pat, &text) else { continue };
        let people: Vec<&str> = match (kind, cap) {
            (Added | Removed, Some(c)) => split_list(c, lang),
            (_, Some(c)) => vec![c.trim()],
            (_, None) => Vec::new(),
        };
        if people.iter().any(|s| !plausible_person(s)) {
            continue; // e.g. "added this group to the community \"X\"": not a person
        }
        let action = match kind {
            Exporter => {
                p.sys.exporter += 1;
                p.skipped += 1;
                return true;
            }
            Subject | Icon | Description => {
                match kind {
                    Subject => p.sys.subject += 1,
                    Icon => p.sys.icon += 1,
                    _ => p.sys.description += 1,
                }
                p.skipped += 1;
                return true;
            }
            Created => Action::GroupJoined,
            Joined => Action::GroupJoined,
            Added => Action::GroupAdded,
            Removed | Left => Action::GroupLeft,
        };
        let people: Vec<&str> = people.into_iter().filter(|s| !is_exporter_word(s)).collect();
        if people.is_empty() {
            // `Dana added you`-style lists that name only the exporter
            p.sys.exporter += 1;
            p.skipped += 1;
            return true;
        }
        let precision = p.sig.map(Sig::precision).unwrap_or(Precision::Minute);
        for person in people {
            let mut h = ctx.prefix.clone();
            h.update(b"s");
            h.update(action.as_str().as_bytes());
            h.update(&[0]);
            h.update(person.as_bytes());
            h.update(&[0]);
            h.update(&raw.to_le_bytes());
            h.update(text.as_bytes());
            let id = occurrence_id(p, raw, h.finish());
            let mut e = ctx.event(line, id, precision, action);
            set_person(&mut e, person);
            push_event(p, e, raw, id);
        }
        match kind {
            Created => p.sys.created += 1,
            Joined => p.sys.joined += 1,
            Added => p.sys.added += 1,
            Removed => p.sys.removed += 1,
            _ => p.sys.left += 1,
        }
        return true;
    }
    if OTHER_KNOWN.iter().any(|m| lower.contains(m)) {
        p.sys.other += 1;
        p.skipped += 1;
        return true;
    }
    let _ = line;
    false
}

/// A notice with invisible marks removed, no-break spaces made plain and quotes and apostrophes
/// straightened, so one wording matches every platform's rendering of it. (U+202F stays: it is
/// part of push names such as `~\u{202f}Kim`, which must read the same as in message lines.)
fn normalise_notice(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in trim_marks(s).chars() {
        match c {
            c if is_mark(c) => {}
            '\u{a0}' => out.push(' '),
            '\u{2019}' | '\u{2018}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{ab}' | '\u{bb}' => out.push('"'),
            c => out.push(c),
        }
    }
    out.truncate(out.trim_end().len());
    out
}

fn plausible_person(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.chars().count() <= 60 && !s.contains('"') && !s.contains(": ")
}

fn is_exporter_word(s: &str) -> bool {
    matches!(
        s.trim().to_lowercase().as_str(),
        "you" | "ti" | "tú" | "te" | "você" | "voce" | "dich" | "du" | "vous" | "toi"
    )
}

/// Splits `A, B and C` (or `y`, `e`, `und`, `et`) into names.
fn split_list(s: &str, lang: Lang) -> Vec<&str> {
    let conj: &[&str] = match lang {
        En => &[" and "],
        Es => &[" y ", " e "],
        Pt => &[" e "],
        De => &[" und "],
        Fr => &[" et "],
    };
    let lead: &[&str] = match lang {
        En => &["and "],
        Es => &["y ", "e "],
        Pt => &["e "],
        De => &["und "],
        Fr => &["et "],
    };
    let mut out = Vec::new();
    for piece in s.split(", ") {
        let mut piece = piece.trim();
        for l in lead {
            if let Some(r) = piece.strip_prefix(l) {
                piece = r;
            }
        }
        let mut rest = piece;
        loop {
            let hit = conj.iter().filter_map(|c| rest.find(c).map(|i| (i, c.len()))).min();
            match hit {
                Some((i, n)) => {
                    out.push(&rest[..i]);
                    rest = &rest[i + n..];
                }
                None => {
                    out.push(rest);
                    break;
                }
            }
        }
    }
    out.into_iter()
        .map(|s| {
            let s = s.trim();
            if lang == Es {
                s.strip_prefix("a ").unwrap_or(s)
            } else {
                s
            }
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Matches `text` against a wording (see [`TEMPLATES`]); `Some(capture of {p})` on a match.
fn match_pat<'s>(pat: &str, text: &'s str) -> Option<Option<&'s str>> {
    let t = text.as_bytes();
    let mut pos = 0usize;
    let mut hole: Option<u8> = None;
    let mut cap = None;
    let mut rest = pat;
    loop {
        let brace = rest.find('{');
        let lit = &rest[..brace.unwrap_or(rest.len())];
        let last = brace.is_none();
        match hole.take() {
            Some(h) => {
                let min = usize::from(h != b'*');
                let start = if last {
                    if !text.ends_with(lit) {
                        return None;
                    }
                    t.len() - lit.len()
                } else {
                    pos + min + find_bytes(t.get(pos + min..)?, lit.as_bytes())?
                };
                if start < pos + min {
                    return None;
                }
                if h == b'p' {
                    cap = Some(text.get(pos..start)?);
                }
                pos = start + lit.len();
            }
            None => {
                if !t.get(pos..)?.starts_with(lit.as_bytes()) {
                    return None;
                }
                pos += lit.len();
            }
        }
        match brace {
            None => return (pos == t.len()).then_some(cap),
            Some(i) => {
                hole = Some(*rest.as_bytes().get(i + 1)?);
                rest = rest.get(i + 3..)?;
            }
        }
    }
}

fn find_bytes(h: &[u8], n: &[u8]) -> Option<usize> {
    if n.is_empty() {
        return Some(0);
    }
    h.windows(n.len()).position(|w| w == n)
}

// ---------------------------------------------------------------------------------------------
// Group name

const NAME_PREFIXES: &[&str] = &[
    "WhatsApp Chat with ",
    "WhatsApp Chat - ",
    "WhatsApp Chat – ",
    "WhatsApp Chat mit ",
    "WhatsApp-Chat mit ",
    "WhatsApp-Chat - ",
    "Chat de WhatsApp con ",
    "Chat de WhatsApp - ",
    "Chat do WhatsApp com ",
    "Conversa do WhatsApp com ",
    "Conversa do WhatsApp - ",
    "Discussion WhatsApp avec ",
    "Discussion WhatsApp - ",
    "Chat WhatsApp avec ",
];

/// The group named by an export's file name (`WhatsApp Chat with X.txt` → `X`), without the
/// ` (1)` a browser adds to a second download.
fn group_from_file_name(file: &str) -> Option<String> {
    let stem = match file.rsplit_once('.') {
        Some((s, ext)) if ext.eq_ignore_ascii_case("txt") || ext.eq_ignore_ascii_case("zip") => s,
        _ => file,
    };
    let name = NAME_PREFIXES.iter().find_map(|p| stem.strip_prefix(p))?;
    let name = strip_copy_suffix(name).trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn strip_copy_suffix(s: &str) -> &str {
    if let Some(open) = s.rfind(" (") {
        let inner = &s[open + 2..];
        if let Some(d) = inner.strip_suffix(')') {
            if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) {
                return &s[..open];
            }
        }
    }
    s
}

/// The context of a file's events and how it was found (the note `group`, without the name).
fn group_name(input: &Input) -> (Option<String>, &'static str) {
    if let Some(g) = input.source.group.as_deref().filter(|g| !g.is_empty()) {
        return (Some(g.to_string()), "set by group in the pipeline");
    }
    let file_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let outer = file_name(input.path);
    let member = input
        .shown
        .rsplit_once('!')
        .map(|(_, m)| m.rsplit('/').next().unwrap_or(m).to_string());
    if let Some(m) = &member {
        if let Some(g) = group_from_file_name(m) {
            return (Some(g), "from the file name");
        }
        if let Some(g) = group_from_file_name(&outer) {
            return (Some(g), "from the zip archive's name");
        }
    } else {
        if let Some(g) = group_from_file_name(&outer) {
            return (Some(g), "from the file name");
        }
        // An unzipped iOS export: `WhatsApp Chat - X/_chat.txt`.
        if outer == "_chat.txt" {
            if let Some(g) = input.path.parent().map(file_name).and_then(|d| group_from_file_name(&d)) {
                return (Some(g), "from the folder name");
            }
        }
    }
    let fallback = member.as_deref().filter(|m| *m != "_chat.txt").unwrap_or(&outer);
    let stem = fallback.rsplit_once('.').map(|(s, _)| s).unwrap_or(fallback);
    let stem = strip_copy_suffix(stem).trim();
    if stem.is_empty() {
        (None, "unknown: set group in the pipeline")
    } else {
        (
            Some(stem.to_string()),
            "the file name names no group the WhatsApp way; its stem is used (set group in the pipeline to name it)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> Option<(u32, u32, u32, u32, u32, u32, &str)> {
        let l = strip_marks(s.as_bytes());
        stamp(l).map(|t| {
            (
                t.a,
                t.b,
                t.c,
                t.hour,
                t.minute,
                t.second,
                std::str::from_utf8(&l[t.body..]).unwrap(),
            )
        })
    }

    #[test]
    fn every_timestamp_variant() {
        assert_eq!(st("3/6/18, 1:55 p.m. - Rosa: hi"), Some((3, 6, 18, 13, 55, 0, "Rosa: hi")));
        assert_eq!(st("03-06-2018, 01.55 PM - Rosa: hi"), Some((3, 6, 2018, 13, 55, 0, "Rosa: hi")));
        assert_eq!(st("13.06.18 21.25.15 - Rosa: hi"), Some((13, 6, 18, 21, 25, 15, "Rosa: hi")));
        assert_eq!(st("[06.13.18 21:25:15] Rosa: hi"), Some((6, 13, 18, 21, 25, 15, "Rosa: hi")));
        assert_eq!(st("13.6.2018 klo 21.25.15 - Rosa: hi"), Some((13, 6, 2018, 21, 25, 15, "Rosa: hi")));
        assert_eq!(st("13. 6. 2018. 21:25:15 - Rosa: hi"), Some((13, 6, 2018, 21, 25, 15, "Rosa: hi")));
        assert_eq!(st("[2018/06/13, 21:25:15] Rosa: hi"), Some((2018, 6, 13, 21, 25, 15, "Rosa: hi")));
        assert_eq!(st("2019-01-01 12:00 - Rosa: hi"), Some((2019, 1, 1, 12, 0, 0, "Rosa: hi")));
        assert_eq!(st("13/06/2018 à 21:25 - Rosa: hi"), Some((13, 6, 2018, 21, 25, 0, "Rosa: hi")));
        assert_eq!(st("12/31/19, 12:05\u{202f}AM - Rosa: hi"), Some((12, 31, 19, 0, 5, 0, "Rosa: hi")));
        assert_eq!(st("1/2/19, 12:05 p.\u{a0}m. - Rosa: hi"), Some((1, 2, 19, 12, 5, 0, "Rosa: hi")));
        assert_eq!(
            st("\u{200e}[1/2/19, 9:05:01\u{202f}PM] Rosa: hi"),
            Some((1, 2, 19, 21, 5, 1, "Rosa: hi"))
        );
        assert_eq!(st("\u{feff}1/2/19, 09:05 - x"), Some((1, 2, 19, 9, 5, 0, "x")));
    }

    #[test]
    fn date_like_text_is_not_a_timestamp() {
        for s in [
            "12/05 meeting moved",
            "3. Bring your badge",
            "12/05/2024 is the date",
            "12/05/2024, 10:00 see you",
            "1/2/19, 25:00 - x",
            "1/2/19, 13:00 PM - x",
            "1/2/19, 9:5 - x",
            "1/2/19 9:05 -x",
            "13/13/19, 9:05 - x",
            "123/1/19, 9:05 - x",
            "2019-13-01 12:00 - x",
            "[1/2/19, 9:05:01 Rosa: hi",
            "",
            "[",
            "1",
        ] {
            assert_eq!(st(s), None, "{s:?}");
        }
    }

    #[test]
    fn templates_capture_the_person() {
        assert_eq!(match_pat("{x} added {p}", "Dana added Rosa and Bob"), Some(Some("Rosa and Bob")));
        assert_eq!(match_pat("{p} left", "Rosa left"), Some(Some("Rosa")));
        assert_eq!(match_pat("{p} left", "Rosa left early"), None);
        assert_eq!(
            match_pat("{x} hat {p} hinzugefügt", "Max hat Anna und Eva hinzugefügt"),
            Some(Some("Anna und Eva"))
        );
        assert_eq!(match_pat("{p} ist {*}beigetreten", "Eva ist beigetreten"), Some(Some("Eva")));
        assert_eq!(match_pat("You were added", "You were added"), Some(None));
        assert_eq!(match_pat("{p} se unió{*}", "se unió"), None);
        assert_eq!(split_list("Rosa, Bob y a Ana", Es), vec!["Rosa", "Bob", "Ana"]);
        assert_eq!(split_list("Rosa, Bob, and Ana", En), vec!["Rosa", "Bob", "Ana"]);
        assert_eq!(split_list("+1 (312) 555-0142", En), vec!["+1 (312) 555-0142"]);
    }

    #[test]
    fn every_wording_has_a_key_word_that_selects_it() {
        for &(kind, _, pat) in TEMPLATES {
            let w = key_word(pat).unwrap_or_else(|| panic!("{pat:?} has no whole word"));
            assert!(template_index()[w].iter().any(|&i| TEMPLATES[i].2 == pat), "{pat:?} {kind:?}");
        }
        assert_eq!(key_word("{x} added {p}"), Some("added"));
        assert_eq!(key_word("{p} a été ajouté{*}"), Some("été"));
        assert_eq!(key_word("{p} ist {*}beigetreten"), Some("ist"));
        let c: Vec<&str> = candidates("Dana added Rosa").map(|t| t.2).collect();
        assert_eq!(
            c,
            vec![
                "You were added",
                "{x} added you",
                "{p} was added",
                "{p} were added",
                "{x} added {p}"
            ]
        );
    }

    #[test]
    fn group_names_from_file_names() {
        assert_eq!(group_from_file_name("WhatsApp Chat with Store 12.txt").as_deref(), Some("Store 12"));
        assert_eq!(
            group_from_file_name("WhatsApp Chat - Store 12 (1).zip").as_deref(),
            Some("Store 12")
        );
        assert_eq!(
            group_from_file_name("Chat de WhatsApp con Tienda 4.txt").as_deref(),
            Some("Tienda 4")
        );
        assert_eq!(
            group_from_file_name("WhatsApp-Chat mit Lager Nord.txt").as_deref(),
            Some("Lager Nord")
        );
        assert_eq!(
            group_from_file_name("Conversa do WhatsApp com Loja 7.txt").as_deref(),
            Some("Loja 7")
        );
        assert_eq!(group_from_file_name("notes.txt"), None);
    }

    #[test]
    fn stamped_events_are_what_sink_event_makes() {
        let source = crate::config::SourcePlan {
            name: "chats".into(),
            tool: Tool::Whatsapp,
            pattern: "*.txt".into(),
            files: Vec::new(),
            organizers: Vec::new(),
            timezone: chrono_tz::UTC,
            region: phonenumber::country::Id::US,
            csv: None,
            attr_columns: Vec::new(),
            date_order: None,
            group: None,
            min_minutes: None,
            line: 1,
        };
        let sink = Sink::new(&source, "data/WhatsApp Chat with X.zip!_chat.txt", b"bytes");
        for n_attrs in [0, 2] {
            let ctx = Ctx::new(&sink, "chats", Some("X"), n_attrs, chrono_tz::UTC);
            for (line, action) in [
                (1, Action::MessageSent),
                (7, Action::GroupAdded),
                (10_000_000_001, Action::GroupLeft),
            ] {
                let made = ctx.event(line, 42, Precision::Second, action);
                let mut want = sink.event(line, 3, 0, Precision::Second, action, n_attrs);
                want.event_id = 42;
                want.context = Some("X".into());
                assert_eq!(made, want);
            }
        }
    }

    #[test]
    fn radix_sort_sorts() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut v: Vec<u64> = (0..50_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 7 == 0 {
                    i
                } else {
                    x
                }
            })
            .collect();
        let mut w = v.clone();
        radix_sort(&mut v);
        w.sort_unstable();
        assert_eq!(v, w);
    }

    #[test]
    fn newline_search_matches_a_plain_scan() {
        let text = b"0123456789abcdef\n0123\n456789abcdefghijklmnop\nq";
        let mut expect = Vec::new();
        for (i, b) in text.iter().enumerate() {
            if *b == b'\n' {
                expect.push(i);
            }
        }
        let mut got = Vec::new();
        let mut from = 0;
        while let Some(i) = find_nl(text, from) {
            got.push(i);
            from = i + 1;
        }
        assert_eq!(got, expect);
    }
}
