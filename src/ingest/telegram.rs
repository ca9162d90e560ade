//! Telegram Desktop exports (`tool = "telegram"`): the machine-readable JSON `result.json`.
//!
//! Takes: `result.json` from "Export chat history" (one chat: `{name, type, id, messages: [...]}`)
//! or from "Export Telegram data" (everything: `{contacts: {list: [...]}, chats: {list: [...]},
//! left_chats: {list: [...]}, ...}`), alone or inside a zip (members ending in `.json` are read).
//! Gives, per message (`type: "message"`): `message_sent` for its author (`from` as the name,
//! `from_id` such as `user123` as the external id); per service message (`type: "service"`):
//! `join_group_by_link` / `join_group_by_request` → `group_joined` for the `actor`;
//! `invite_members` → `group_added` for each of `members` (display names only), or `group_joined`
//! when the only member is the actor (someone joining a public group); `remove_members` →
//! `group_left` for each member (leaving is "X removed X"); `create_group` and every other
//! service action are skipped on purpose and tallied in the `skipped` note, as are posts by a
//! channel (`from_id` `channel…`: a channel's own posts, or ones auto-forwarded into its linked
//! group), which are nobody speaking. Context is
//! the chat's name (`chat <id>` for a chat without one); no occasion (messages are not meetings).
//! Time: `date_unixtime` (UTC seconds, a string) when present, else `date` (wall time of the
//! exporting machine, no offset) read in the source's `timezone`; second precision either way.
//! Phones: the full export's contact list carries phone numbers. Contacts alone emit nothing; an
//! event whose person matches exactly one contact gets that contact's `phone_number` — by
//! `from_id`/`actor_id` when the contact has a `user_id`, else by display name equal (after name
//! folding) to the contact's `first_name last_name`. A name shared by contacts with different
//! numbers sets no phone.
//! Origins: JSON has no useful lines, so `line` is the message's 1-based index in its chat; in a
//! full export the index runs on across chats (chats in file order, then left chats) so that every
//! message has its own line and event id. The `origins` note says which.
//! Promises: message text is never read; a message whose author has neither name nor id (a
//! deleted account) is quarantined `no_identifier`; an unreadable timestamp is `bad_timestamp`; a
//! file that is not this JSON (an HTML export, another tool's JSON, truncated JSON) is an error
//! with file, line, column and a hint. Never panics on any input.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use crate::error::Diagnostic;
use crate::identity::normalize;
use crate::schema::{Action, Precision, Str, Tool};
use crate::timeutil;

use super::{Input, Parser, Sink};

pub struct Telegram;

impl Parser for Telegram {
    fn tool(&self) -> Tool {
        Tool::Telegram
    }

    fn reads_member(&self, name: &str) -> bool {
        name.to_ascii_lowercase().ends_with(".json")
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        // Preflight may see only the head of a large file: judge the shape when the JSON is
        // whole, and otherwise only that it is JSON at all.
        let bytes = strip_bom(input.bytes);
        if let Some(d) = not_json(&input.shown, bytes) {
            return vec![d];
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => match chats(&input.shown, &v) {
                Ok(_) => Vec::new(),
                Err(d) => vec![d],
            },
            Err(_) => Vec::new(),
        }
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let bytes = strip_bom(input.bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            sink.note("empty", "the file is empty");
            return Ok(());
        }
        if let Some(d) = not_json(&input.shown, bytes) {
            return Err(d);
        }
        let root: Value = serde_json::from_slice(bytes).map_err(|e| json_error(&input.shown, &e))?;
        let (full, chats) = chats(&input.shown, &root)?;
        let contacts = Contacts::read(&root);
        if full {
            sink.note("contacts", format!("{} contact(s) with a phone number", contacts.with_phone));
            sink.note(
                "origins",
                "full export: line = the message's position counted across all chats (chats in file order, then left chats)",
            );
        } else {
            sink.note("origins", "line = the message's 1-based index in the chat's messages");
        }
        sink.note("chats", chats.len().to_string());

        let mut st = State {
            tz: input.source.timezone,
            n_attrs: input.plan.attributes.len(),
            contacts,
            unix: 0,
            local: 0,
            phones_set: 0,
            skipped: BTreeMap::new(),
        };
        let mut line = 0u64;
        for chat in &chats {
            let context = chat_name(chat);
            let Some(messages) = chat.get("messages").and_then(Value::as_array) else {
                continue;
            };
            for m in messages {
                line += 1;
                sink.stats.rows += 1;
                st.message(sink, line, m, context.as_deref());
            }
        }
        let mut ts_note = Vec::new();
        if st.unix > 0 {
            ts_note.push(format!("{} from date_unixtime (UTC)", st.unix));
        }
        if st.local > 0 {
            ts_note.push(format!("{} from date (local time, read in {})", st.local, st.tz.name()));
        }
        if !ts_note.is_empty() {
            sink.note("timestamps", ts_note.join("; "));
        }
        if full {
            sink.note(
                "phones_from_contacts",
                format!("{} event(s) got a phone from the contact list", st.phones_set),
            );
        }
        if !st.skipped.is_empty() {
            let tally: Vec<String> = st.skipped.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            sink.note("skipped", tally.join(", "));
        }
        Ok(())
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// An error when the bytes are plainly not JSON (Telegram's default HTML export, a text file).
fn not_json(shown: &str, bytes: &[u8]) -> Option<Diagnostic> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    match first {
        b'{' => None,
        b'<' => Some(
            Diagnostic::new(shown, 1, 1, "this is Telegram's HTML export, not the machine-readable JSON one").hint(
                "in Telegram Desktop, export again with Format: \"Machine-readable JSON\" and point the source's path at result.json",
            ),
        ),
        _ => Some(
            Diagnostic::new(
                shown,
                1,
                1,
                "this is not a Telegram Desktop JSON export (it does not start with `{`)",
            )
            .hint("point the source's path at the result.json written by Telegram Desktop's export (Format: \"Machine-readable JSON\")"),
        ),
    }
}

pub(crate) fn json_error(shown: &str, e: &serde_json::Error) -> Diagnostic {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "the JSON ends too early (a truncated file, or an export that had not finished?)",
        Category::Syntax => "the file is not valid JSON",
        Category::Data => "the JSON does not have the expected shape",
        Category::Io => "the file could not be read",
    };
    Diagnostic::new(shown, e.line(), e.column(), what)
        .hint("export the chat again; if the file was edited by hand, check it with a JSON validator")
}

/// The chats of an export: `(is_full_export, chats)`.
fn chats<'v>(shown: &str, root: &'v Value) -> Result<(bool, Vec<&'v Map<String, Value>>), Diagnostic> {
    let Some(obj) = root.as_object() else {
        return Err(not_telegram(shown));
    };
    let list = |key: &str| -> Option<Vec<&'v Map<String, Value>>> {
        let l = obj.get(key)?.get("list")?.as_array()?;
        Some(l.iter().filter_map(Value::as_object).collect())
    };
    if let Some(mut all) = list("chats") {
        all.extend(list("left_chats").unwrap_or_default());
        return Ok((true, all));
    }
    if obj.get("messages").is_some_and(Value::is_array) {
        return Ok((false, vec![obj]));
    }
    if obj.contains_key("contacts") || obj.contains_key("personal_information") {
        // A full export made without the chats ticked: contacts alone emit nothing.
        return Ok((true, Vec::new()));
    }
    Err(not_telegram(shown))
}

fn not_telegram(shown: &str) -> Diagnostic {
    Diagnostic::new(shown, 1, 1, "this JSON has neither `messages` (one chat) nor `chats.list` (a full export)").hint(
        "point the source's path at the result.json of a Telegram Desktop export (Export chat history, or Settings > Advanced > Export Telegram data, Format: \"Machine-readable JSON\")",
    )
}

fn chat_name(chat: &Map<String, Value>) -> Option<String> {
    // A one-to-one chat is named after the other person: never use that as a context.
    if matches!(
        chat.get("type").and_then(Value::as_str),
        Some("personal_chat" | "bot_chat" | "saved_messages")
    ) {
        return Some("direct chat".to_string());
    }
    match chat.get("name").and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() => Some(n.to_string()),
        _ => chat.get("id").and_then(scalar).map(|id| format!("chat {id}")),
    }
}

/// A non-empty string or a number, as text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The full export's contact list, as lookups from person to phone number.
struct Contacts {
    /// folded `first last` → phone; `None` when contacts with that name disagree.
    by_name: HashMap<String, Option<String>>,
    /// `user<id>` → phone, for contacts that carry a `user_id`.
    by_id: HashMap<String, Option<String>>,
    with_phone: usize,
}

impl Contacts {
    fn read(root: &Value) -> Contacts {
        let mut c = Contacts {
            by_name: HashMap::new(),
            by_id: HashMap::new(),
            with_phone: 0,
        };
        let Some(list) = root.get("contacts").and_then(|x| x.get("list")).and_then(Value::as_array) else {
            return c;
        };
        fn add(map: &mut HashMap<String, Option<String>>, key: String, phone: &str) {
            map.entry(key)
                .and_modify(|p| {
                    if p.as_deref() != Some(phone) {
                        *p = None;
                    }
                })
                .or_insert_with(|| Some(phone.to_string()));
        }
        for contact in list.iter().filter_map(Value::as_object) {
            let Some(phone) = contact
                .get("phone_number")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|p| !p.is_empty())
            else {
                continue;
            };
            c.with_phone += 1;
            let part = |k: &str| contact.get(k).and_then(Value::as_str).unwrap_or("").trim().to_string();
            let full = format!("{} {}", part("first_name"), part("last_name"));
            let key = normalize::name(&full);
            if !key.is_empty() {
                add(&mut c.by_name, key, phone);
            }
            if let Some(id) = contact.get("user_id").and_then(scalar) {
                let id = if id.starts_with("user") { id } else { format!("user{id}") };
                add(&mut c.by_id, id, phone);
            }
        }
        c
    }

    fn phone(&self, name: Option<&str>, id: Option<&str>) -> Option<String> {
        if let Some(p) = id.and_then(|id| self.by_id.get(id)) {
            return p.clone();
        }
        let key = normalize::name(name?);
        self.by_name.get(&key).cloned().flatten()
    }
}

struct State {
    tz: chrono_tz::Tz,
    n_attrs: usize,
    contacts: Contacts,
    unix: u64,
    local: u64,
    phones_set: u64,
    skipped: BTreeMap<String, u64>,
}

/// One person a record is about.
struct Who {
    name: Option<String>,
    id: Option<String>,
}

impl State {
    fn message(&mut self, sink: &mut Sink, line: u64, m: &Value, context: Option<&str>) {
        let Some(m) = m.as_object() else {
            sink.quarantine(line, None, "unreadable_record", "the message is not a JSON object");
            return;
        };
        let kind = m.get("type").and_then(Value::as_str).unwrap_or("message");
        // Work out who and what first, then the time, so skipped records need no timestamp.
        let people: Vec<(Action, Who)> = match kind {
            "message" => {
                let who = Who {
                    name: m.get("from").and_then(scalar),
                    id: m.get("from_id").and_then(scalar),
                };
                if who.id.as_deref().is_some_and(|id| id.starts_with("channel")) {
                    // a post by a channel (or one auto-forwarded into a linked group): no person
                    sink.stats.skipped += 1;
                    *self.skipped.entry("channel post".to_string()).or_insert(0) += 1;
                    return;
                }
                if who.name.is_none() && who.id.is_none() {
                    sink.quarantine(
                        line,
                        Some("from"),
                        "no_identifier",
                        "the message has no author name and no author id (a deleted account?)",
                    );
                    return;
                }
                vec![(Action::MessageSent, who)]
            }
            "service" => {
                let action = m.get("action").and_then(Value::as_str).unwrap_or("");
                let actor = || Who {
                    name: m.get("actor").and_then(scalar),
                    id: m.get("actor_id").and_then(scalar),
                };
                match action {
                    "join_group_by_link" | "join_group_by_request" => {
                        let who = actor();
                        if who.name.is_none() && who.id.is_none() {
                            sink.quarantine(
                                line,
                                Some("actor"),
                                "no_identifier",
                                "the join has no actor name and no actor id (a deleted account?)",
                            );
                            return;
                        }
                        vec![(Action::GroupJoined, who)]
                    }
                    "invite_members" | "remove_members" => {
                        let Some(members) = m.get("members").and_then(Value::as_array) else {
                            sink.quarantine(
                                line,
                                Some("members"),
                                "unreadable_record",
                                format!("the {action} service message has no `members` list"),
                            );
                            return;
                        };
                        let actor = actor();
                        let mut out = Vec::new();
                        for (j, member) in members.iter().enumerate() {
                            let Some(name) = scalar(member) else {
                                sink.quarantine(
                                    line,
                                    Some("members"),
                                    "no_identifier",
                                    format!("member {} of the {action} service message has no name (a deleted account?)", j + 1),
                                );
                                out.push(None);
                                continue;
                            };
                            let is_actor = actor.name.as_deref() == Some(name.as_str());
                            let act = match (action, is_actor && members.len() == 1) {
                                ("invite_members", true) => Action::GroupJoined,
                                ("invite_members", false) => Action::GroupAdded,
                                _ => Action::GroupLeft,
                            };
                            let id = if is_actor { actor.id.clone() } else { None };
                            out.push(Some((act, Who { name: Some(name), id })));
                        }
                        if out.is_empty() {
                            sink.stats.skipped += 1;
                            *self.skipped.entry(format!("{action} without members")).or_insert(0) += 1;
                            return;
                        }
                        // Keep each member's position as its `sub`, so event ids stay put.
                        return self.emit_members(sink, line, m, context, out);
                    }
                    other => {
                        sink.stats.skipped += 1;
                        *self.skipped.entry(action_label(other)).or_insert(0) += 1;
                        return;
                    }
                }
            }
            _ => {
                sink.stats.skipped += 1;
                *self.skipped.entry("(not a message)".to_string()).or_insert(0) += 1;
                return;
            }
        };
        let Some(ts) = self.timestamp(sink, line, m) else { return };
        for (sub, (action, who)) in people.into_iter().enumerate() {
            self.push(sink, line, sub as u32, ts, action, who, context);
        }
    }

    fn emit_members(
        &mut self,
        sink: &mut Sink,
        line: u64,
        m: &Map<String, Value>,
        context: Option<&str>,
        members: Vec<Option<(Action, Who)>>,
    ) {
        if members.iter().all(Option::is_none) {
            return;
        }
        let Some(ts) = self.timestamp(sink, line, m) else { return };
        for (sub, member) in members.into_iter().enumerate() {
            if let Some((action, who)) = member {
                self.push(sink, line, sub as u32, ts, action, who, context);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, sink: &mut Sink, line: u64, sub: u32, ts: i64, action: Action, who: Who, context: Option<&str>) {
        let mut e = sink.event(line, sub, ts, Precision::Second, action, self.n_attrs);
        e.phone = self.contacts.phone(who.name.as_deref(), who.id.as_deref()).as_deref().map(Str::new);
        if e.phone.is_some() {
            self.phones_set += 1;
        }
        e.name = who.name.as_deref().map(Str::new);
        e.external_id = who.id.as_deref().map(Str::new);
        e.context = context.map(Str::new);
        sink.push(e);
    }

    /// `date_unixtime` when present and readable, else `date` as local wall time.
    fn timestamp(&mut self, sink: &mut Sink, line: u64, m: &Map<String, Value>) -> Option<i64> {
        if let Some(us) = m.get("date_unixtime").and_then(unix_seconds) {
            self.unix += 1;
            return Some(us);
        }
        let Some(date) = m.get("date").and_then(Value::as_str) else {
            sink.quarantine(
                line,
                Some("date"),
                "missing_timestamp",
                "the message has neither date_unixtime nor date",
            );
            return None;
        };
        match local_date(date, self.tz) {
            Some(us) => {
                self.local += 1;
                Some(us)
            }
            None => {
                sink.quarantine(
                    line,
                    Some("date"),
                    "bad_timestamp",
                    "date is not a time like 2021-03-24T18:11:47 (and there is no readable date_unixtime)",
                );
                None
            }
        }
    }
}

/// A service action name for the tally: Telegram's constants are `snake_case`; anything else is
/// not echoed (it could be anything).
fn action_label(a: &str) -> String {
    if a.is_empty() {
        "(no action)".to_string()
    } else if a.len() <= 40 && a.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        a.to_string()
    } else {
        "(other)".to_string()
    }
}

/// `"1616609507"` (or a number) → µs, within 1970–2100.
fn unix_seconds(v: &Value) -> Option<i64> {
    let secs: i64 = match v {
        Value::String(s) => s.trim().parse().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    (0..4_102_444_800).contains(&secs).then_some(secs * timeutil::US_PER_SEC)
}

/// `2021-03-24T18:11:47` (local wall time of the exporting machine) → µs in `tz`.
fn local_date(s: &str, tz: chrono_tz::Tz) -> Option<i64> {
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    if !(1970..=2100).contains(&chrono::Datelike::year(&naive)) {
        return None;
    }
    Some(timeutil::local_to_utc_us(naive, tz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_as_string_or_number_in_range() {
        assert_eq!(unix_seconds(&Value::from("1616609507")), Some(1_616_609_507_000_000));
        assert_eq!(unix_seconds(&Value::from(0)), Some(0));
        assert_eq!(unix_seconds(&Value::from("-5")), None);
        assert_eq!(unix_seconds(&Value::from("99999999999")), None);
        assert_eq!(unix_seconds(&Value::from("soon")), None);
    }

    #[test]
    fn action_labels_never_echo_free_text() {
        assert_eq!(action_label("pin_message"), "pin_message");
        assert_eq!(action_label("Rosa Martinez"), "(other)");
        assert_eq!(action_label(""), "(no action)");
    }
}
