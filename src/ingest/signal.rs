//! Signal chats exported with signal-export (`tool = "signal"`): `chat.md` or `data.json`.
//!
//! Takes: what `sigexport` writes per conversation folder (`<Chat>/chat.md`, `<Chat>/data.json`),
//! alone or in a zip (members ending in `.md`, `.json` or `.jsonl` are read, except `data.json`:
//! sigexport writes the same messages to the `chat.md` beside it). Markdown: a message
//! opens with `[YYYY-MM-DD HH:MM:SS] Sender: body` (older versions: no seconds, or a comma after
//! the date); every other line (quotes `> …`, reactions `(- … -)`, attachments, blank lines, a
//! body's later lines) continues the message before it. JSON: objects `{date, sender, body,
//! quote, sticker, reactions, attachments, …}`, as JSON lines (what sigexport writes) or as one
//! JSON array; `date` is `2021-08-24T16:32:15.123000` (or with an offset).
//! Gives: `message_sent` per message, at the second (minute for the old markdown without
//! seconds). Times are the exporting machine's wall time and are read in the source's
//! `timezone`; a JSON date with an offset is exact. The sender is the person: a sender written as
//! a phone number (`+1 415-555-0123`) goes to `phone`, anything else to `name`; sigexport writes
//! your own messages as `Me` (declare `organizers = ["Me"]`).
//! Context: the source's `group` when set; else the file name without extension, unless that is
//! sigexport's generic `chat` / `data` (/ `index`, `messages`), in which case the conversation
//! folder's name (sigexport names the folder after the chat, keeping letters and digits only).
//! Origins: markdown and JSON lines give the physical line where the message starts; a JSON array
//! gives the element's 1-based index.
//! Skipped on purpose (counted, noted): messages with nothing in them (sigexport writes group
//! updates and timer changes as messages with an empty body) and call records (`Incoming voice
//! call (accepted, 3m 2s)`, `Missed video call`, …), which are not someone speaking up.
//! Quarantined: a message without a sender (`No-Sender`, `None`: a contact sigexport could not
//! name) as `no_identifier`, an unreadable date as `bad_timestamp`, a JSON line that is not an
//! object as `unreadable_record`. A file with no message at all is an error. Message text is
//! read only to tell those cases apart and never leaves this module.

use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::Value;

use crate::error::Diagnostic;
use crate::schema::{Action, Precision, Str, Tool};
use crate::timeutil;

use super::text;
use super::{Input, Parser, Sink};

pub struct Signal;

/// File stems sigexport uses for every conversation: the folder names the chat instead.
const GENERIC_STEMS: &[&str] = &["chat", "data", "index", "messages", "result"];

impl Parser for Signal {
    fn tool(&self) -> Tool {
        Tool::Signal
    }

    fn accepts(&self) -> &'static [&'static str] {
        &["group"]
    }

    fn reads_member(&self, name: &str) -> bool {
        // sigexport writes every chat twice, as chat.md and data.json: read the markdown only.
        let n = name.to_ascii_lowercase();
        let base = n.rsplit('/').next().unwrap_or(&n);
        n.ends_with(".md") || (base != "data.json" && (n.ends_with(".json") || n.ends_with(".jsonl")))
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let (text, _) = text::decode(input.bytes, None);
        match kind(&text) {
            Kind::Empty | Kind::JsonArray | Kind::JsonLines => Vec::new(),
            Kind::Markdown => {
                // Only the head may be here: one message line is enough to recognise the export.
                if text.lines().any(|l| header(l).is_some()) {
                    Vec::new()
                } else {
                    vec![no_messages(input)]
                }
            }
        }
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let (text, encoding) = text::decode(input.bytes, None);
        sink.note("encoding", encoding);
        let context = context(input);
        let mut st = State {
            tz: input.source.timezone,
            n_attrs: input.plan.attributes.len(),
            context,
            empty: 0,
            calls: 0,
        };
        match kind(&text) {
            Kind::Empty => {
                sink.note("empty", "the file has no messages");
                return Ok(());
            }
            Kind::Markdown => {
                sink.note("format", "signal-export markdown");
                st.markdown(input, sink, &text)?;
            }
            Kind::JsonLines => {
                sink.note("format", "signal-export JSON lines");
                st.json_lines(sink, &text);
            }
            Kind::JsonArray => {
                sink.note("format", "JSON array");
                let v: Value = serde_json::from_str(&text).map_err(|e| super::telegram::json_error(&input.shown, &e))?;
                let Some(items) = v.as_array() else {
                    return Err(no_messages(input));
                };
                for (i, item) in items.iter().enumerate() {
                    st.json_record(sink, i as u64 + 1, item);
                }
            }
        }
        if st.empty > 0 {
            sink.note(
                "skipped_empty",
                format!("{} message(s) with nothing in them (group updates, timer changes)", st.empty),
            );
        }
        if st.calls > 0 {
            sink.note("skipped_calls", format!("{} call record(s)", st.calls));
        }
        sink.note("timezone", format!("local times read in {}", input.source.timezone.name()));
        Ok(())
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Empty,
    Markdown,
    JsonLines,
    JsonArray,
}

fn kind(text: &str) -> Kind {
    let t = text.trim_start();
    if t.is_empty() {
        return Kind::Empty;
    }
    if t.starts_with('{') {
        return Kind::JsonLines;
    }
    if let Some(rest) = t.strip_prefix('[') {
        if matches!(rest.trim_start().chars().next(), Some('{') | Some(']') | None) {
            return Kind::JsonArray;
        }
    }
    Kind::Markdown
}

fn no_messages(input: &Input) -> Diagnostic {
    Diagnostic::new(
        &input.shown,
        1,
        1,
        "no line looks like a signal-export message `[YYYY-MM-DD HH:MM:SS] Sender: text`",
    )
    .hint("point the source's path at the chat.md or data.json files sigexport writes per conversation (e.g. path = \"signal/*/chat.md\")")
}

/// The group the file is about (see the module header).
fn context(input: &Input) -> Option<String> {
    if let Some(g) = input.source.group.as_ref().filter(|g| !g.is_empty()) {
        return Some(g.clone());
    }
    // For a zip member the path inside the archive says which chat it is.
    let member = input.shown.rsplit_once('!').map(|(_, m)| m);
    let path = member.map(Path::new).unwrap_or(input.path);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").trim();
    if !stem.is_empty() && !GENERIC_STEMS.contains(&stem.to_ascii_lowercase().as_str()) {
        return Some(stem.to_string());
    }
    let folder = path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).map(str::trim);
    match folder {
        Some(f) if !f.is_empty() => Some(f.to_string()),
        _ if !stem.is_empty() => Some(stem.to_string()),
        _ => None,
    }
}

/// A message line's parts: the local time, its precision, and what follows `] `.
fn header(line: &str) -> Option<(Option<NaiveDateTime>, Precision, &str)> {
    let line = line.trim_start_matches(['\u{feff}', '\u{200e}']);
    let inner = line.strip_prefix('[')?;
    let close = inner.find(']')?;
    let stamp = &inner[..close];
    // Shape first: `YYYY-MM-DD[,] HH:MM[:SS]`, so a link such as `[photo.jpg](…)` is no header.
    let b = stamp.as_bytes();
    let shape = |pat: &[u8]| b.len() == pat.len() && b.iter().zip(pat).all(|(c, p)| if *p == b'9' { c.is_ascii_digit() } else { c == p });
    let (fmt, precision) = if shape(b"9999-99-99 99:99:99") {
        ("%Y-%m-%d %H:%M:%S", Precision::Second)
    } else if shape(b"9999-99-99, 99:99:99") {
        ("%Y-%m-%d, %H:%M:%S", Precision::Second)
    } else if shape(b"9999-99-99 99:99") {
        ("%Y-%m-%d %H:%M", Precision::Minute)
    } else if shape(b"9999-99-99, 99:99") {
        ("%Y-%m-%d, %H:%M", Precision::Minute)
    } else {
        return None;
    };
    let rest = inner[close + 1..].strip_prefix(' ').unwrap_or(&inner[close + 1..]);
    let naive = NaiveDateTime::parse_from_str(stamp, fmt)
        .ok()
        .filter(|n| (1970..=2100).contains(&n.year()));
    Some((naive, precision, rest))
}

/// `Sender: body` → (sender, body); `Sender:` with nothing after it has an empty body.
fn split_sender(rest: &str) -> Option<(&str, &str)> {
    if let Some(i) = rest.find(": ") {
        return Some((&rest[..i], &rest[i + 2..]));
    }
    let t = rest.trim_end();
    t.strip_suffix(':').map(|s| (s, ""))
}

/// Who a sender is: a phone number written as one, else a display name.
pub(crate) fn looks_like_phone(s: &str) -> bool {
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{200e}' || c == '\u{202a}' || c == '\u{202c}');
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && s.chars().next().is_some_and(|c| c == '+' || c == '(' || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_digit() || " +-().\u{a0}\u{202f}".contains(c))
}

/// sigexport's own call records (`create._format_call`): not a message.
fn is_call(body: &str) -> bool {
    let b = body.trim();
    let rest = ["Incoming ", "Outgoing ", "Missed "].iter().find_map(|p| b.strip_prefix(p));
    let Some(rest) = rest else { return false };
    let rest = rest.strip_prefix("voice ").or_else(|| rest.strip_prefix("video ")).unwrap_or(rest);
    match rest.strip_prefix("call") {
        Some("") => true,
        Some(tail) => tail.starts_with(" (") && tail.ends_with(')') && !tail.contains('\n'),
        None => false,
    }
}

struct State {
    tz: Tz,
    n_attrs: usize,
    context: Option<String>,
    empty: u64,
    calls: u64,
}

impl State {
    fn markdown(&mut self, input: &Input, sink: &mut Sink, text: &str) -> Result<(), Diagnostic> {
        // (line, header parts, body lines)
        struct Open<'t> {
            line: u64,
            naive: Option<NaiveDateTime>,
            precision: Precision,
            rest: &'t str,
            body: String,
        }
        let mut open: Option<Open> = None;
        let mut preamble = 0u64;
        let mut seen = false;
        for (i, raw) in text.split('\n').enumerate() {
            let l = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some((naive, precision, rest)) = header(l) {
                if let Some(o) = open.take() {
                    self.md_message(sink, o.line, o.naive, o.precision, o.rest, &o.body);
                }
                seen = true;
                open = Some(Open {
                    line: i as u64 + 1,
                    naive,
                    precision,
                    rest,
                    body: String::new(),
                });
            } else if let Some(o) = open.as_mut() {
                o.body.push('\n');
                o.body.push_str(l);
            } else if !l.trim().is_empty() {
                preamble += 1;
            }
        }
        if let Some(o) = open.take() {
            self.md_message(sink, o.line, o.naive, o.precision, o.rest, &o.body);
        }
        if !seen {
            return Err(no_messages(input));
        }
        if preamble > 0 {
            sink.note("preamble", format!("{preamble} line(s) before the first message were ignored"));
        }
        Ok(())
    }

    fn md_message(&mut self, sink: &mut Sink, line: u64, naive: Option<NaiveDateTime>, precision: Precision, rest: &str, more: &str) {
        sink.stats.rows += 1;
        let Some((sender, first)) = split_sender(rest) else {
            sink.quarantine(line, Some("sender"), "no_identifier", "the message line has no `Sender: ` part");
            return;
        };
        let body_empty = first.trim().is_empty() && more.trim().is_empty();
        if body_empty {
            self.empty += 1;
            sink.stats.skipped += 1;
            return;
        }
        if more.trim().is_empty() && is_call(first) {
            self.calls += 1;
            sink.stats.skipped += 1;
            return;
        }
        let Some(naive) = naive else {
            sink.quarantine(
                line,
                Some("date"),
                "bad_timestamp",
                "the date in brackets is not a real date and time",
            );
            return;
        };
        let mut us = timeutil::local_to_utc_us(naive, self.tz);
        us -= us.rem_euclid(timeutil::US_PER_SEC);
        self.push(sink, line, us, precision, sender);
    }

    fn push(&mut self, sink: &mut Sink, line: u64, ts: i64, precision: Precision, sender: &str) {
        let sender = sender.trim();
        if sender.is_empty() || sender == "No-Sender" || sender == "None" {
            sink.quarantine(
                line,
                Some("sender"),
                "no_identifier",
                "the message has no sender (sigexport could not name the contact)",
            );
            return;
        }
        let mut e = sink.event(line, 0, ts, precision, Action::MessageSent, self.n_attrs);
        if looks_like_phone(sender) {
            e.phone = Some(Str::new(sender));
        } else {
            e.name = Some(Str::new(sender));
        }
        e.context = self.context.as_deref().map(Str::new);
        sink.push(e);
    }

    fn json_lines(&mut self, sink: &mut Sink, text: &str) {
        // sigexport writes one object per line; a file re-indented by hand is a stream of
        // objects over several lines: read it as a stream when it is one, line by line otherwise.
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let mut records = Vec::new();
        let mut lines = text::LineCounter::new(text);
        let mut start = 0usize;
        let mut whole = true;
        while let Some(r) = stream.next() {
            match r {
                Ok(v) => {
                    let at = text[start..].find(|c: char| !c.is_whitespace()).map_or(start, |k| start + k);
                    records.push((lines.line_at(at as u64), v));
                    start = stream.byte_offset();
                }
                Err(_) => {
                    whole = false;
                    break;
                }
            }
        }
        if whole {
            for (line, v) in records {
                self.json_record(sink, line, &v);
            }
            return;
        }
        for (i, raw) in text.split('\n').enumerate() {
            let l = raw.trim();
            if l.is_empty() {
                continue;
            }
            let line = i as u64 + 1;
            match serde_json::from_str::<Value>(l) {
                Ok(v) => self.json_record(sink, line, &v),
                Err(_) => {
                    sink.stats.rows += 1;
                    sink.quarantine(line, None, "unreadable_record", "the line is not a JSON object");
                }
            }
        }
    }

    fn json_record(&mut self, sink: &mut Sink, line: u64, v: &Value) {
        sink.stats.rows += 1;
        let Some(o) = v.as_object() else {
            sink.quarantine(line, None, "unreadable_record", "the record is not a JSON object");
            return;
        };
        let body = o.get("body").and_then(Value::as_str).unwrap_or("");
        let filled = |k: &str| match o.get(k) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(m)) => !m.is_empty(),
            Some(_) => true,
        };
        if body.trim().is_empty() && !filled("attachments") && !filled("sticker") && !filled("quote") && !filled("deleted") {
            self.empty += 1;
            sink.stats.skipped += 1;
            return;
        }
        if o.get("call").and_then(Value::as_bool) == Some(true) || (!filled("attachments") && is_call(body)) {
            self.calls += 1;
            sink.stats.skipped += 1;
            return;
        }
        let Some((ts, precision)) = o.get("date").and_then(|d| json_date(d, self.tz)) else {
            let (reason, detail) = if o.get("date").is_none_or(Value::is_null) {
                ("missing_timestamp", "the record has no date")
            } else {
                ("bad_timestamp", "date is not a time like 2021-08-24T16:32:15")
            };
            sink.quarantine(line, Some("date"), reason, detail);
            return;
        };
        let sender = o.get("sender").and_then(Value::as_str).unwrap_or("");
        self.push(sink, line, ts, precision, sender);
    }
}

/// A JSON `date`: ISO with an offset (exact), naive ISO (local), or epoch milliseconds/seconds.
fn json_date(v: &Value, tz: Tz) -> Option<(i64, Precision)> {
    let sane = |us: i64| (0..4_102_444_800 * timeutil::US_PER_SEC).contains(&us);
    let us = match v {
        Value::Number(n) => {
            let x = n.as_f64()?;
            // sigexport's raw timestamps are milliseconds
            let secs = if x > 1e11 { x / 1000.0 } else { x };
            if !(0.0..4_102_444_800.0).contains(&secs) {
                return None;
            }
            secs.floor() as i64 * timeutil::US_PER_SEC
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                t.timestamp_micros()
            } else {
                let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                    .or_else(|| {
                        ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
                            .iter()
                            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                    })?;
                if !(1970..=2100).contains(&naive.year()) {
                    return None;
                }
                timeutil::local_to_utc_us(naive, tz)
            }
        }
        _ => return None,
    };
    if !sane(us) {
        return None;
    }
    Some((us - us.rem_euclid(timeutil::US_PER_SEC), Precision::Second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_need_the_whole_shape() {
        let (n, p, rest) = header("[2021-08-24 16:32:15] Rosa: hi").unwrap();
        assert_eq!(n.unwrap().to_string(), "2021-08-24 16:32:15");
        assert_eq!((p, rest), (Precision::Second, "Rosa: hi"));
        assert_eq!(header("[2021-08-24 16:32] Rosa: hi").unwrap().1, Precision::Minute);
        assert!(header("[2021-08-24, 16:32:15] Rosa: hi").is_some());
        assert!(header("[photo.jpg](./media/photo.jpg)").is_none());
        assert!(header("[2021-8-24 16:32:15] Rosa: hi").is_none());
        // the right shape with an impossible date still opens a message (to be quarantined)
        let (n, _, _) = header("[2021-13-45 16:32:15] Rosa: hi").unwrap();
        assert!(n.is_none());
    }

    #[test]
    fn senders_and_phones() {
        assert_eq!(split_sender("Rosa M: hi: there"), Some(("Rosa M", "hi: there")));
        assert_eq!(split_sender("Rosa M:   "), Some(("Rosa M", "  ")));
        assert_eq!(split_sender("Rosa M:"), Some(("Rosa M", "")));
        assert_eq!(split_sender("no colon"), None);
        assert!(looks_like_phone("+1 415-555-0123"));
        assert!(looks_like_phone("+447123456789"));
        assert!(!looks_like_phone("Rosa"));
        assert!(!looks_like_phone("Store 12"));
        assert!(!looks_like_phone("2021"));
    }

    #[test]
    fn call_records() {
        assert!(is_call("Incoming voice call (accepted, 3m 2s)  "));
        assert!(is_call("Missed video call"));
        assert!(is_call("Outgoing call"));
        assert!(!is_call("Incoming call me later please"));
        assert!(!is_call("Missed the meeting"));
    }
}
