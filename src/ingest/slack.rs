//! Slack workspace exports (`tool = "slack"`): the export zip, or its unzipped day files.
//!
//! Takes: the zip Slack's "Export data" gives (`users.json`, `channels.json`, one folder per
//! channel holding `YYYY-MM-DD.json` arrays of messages `{type, user, text, ts, subtype, …}`;
//! a top folder around it all is fine). The whole archive is read at once (`expands_zip` is
//! false): every channel needs `users.json`. A path may also point at the unzipped files: a day
//! file then reads `users.json` from two folders up, and `users.json`, `channels.json` and the
//! other reference files are passed over with a note.
//! Gives: per message, by `subtype`: none, `thread_broadcast`, `file_share` or `me_message` →
//! `message_sent`; `channel_join` / `group_join` → `group_joined` (`group_added` when the message
//! names an `inviter` other than the joiner); `channel_leave` / `group_leave` → `group_left`.
//! Every other subtype (`bot_message`, `channel_topic`, `channel_purpose`, `pinned_item`, …),
//! messages from bots (`bot_id` without `user`, `USLACKBOT`, users marked `is_bot`) and records
//! that are not messages are skipped on purpose and tallied in the `skipped` note.
//! People: `external_id` = the Slack user id (`U024BE7LH`); `name` = `real_name` (else
//! `profile.real_name`, else the message's `user_profile.real_name`), `email` = `profile.email`,
//! `phone` = `profile.phone`, from `users.json`. Context: the channel (its folder's name);
//! group DMs (`mpdm-alice--bob-1`) are `group DM`, so that member handles do not become context.
//! Time: `ts` (`"1452988821.000002"`, UTC seconds) at second precision. No occasion.
//! Origins: `export.zip!general/2016-01-17.json:<n>` with n the message's 1-based index in its
//! day file. The Sink builds origins from the archive's name, so the parser sets `origin` itself;
//! event ids hash (archive, n, member number) — the member's position among the archive's sorted
//! members is passed as `sub` — so two day files never share an id. Quarantined rows carry the
//! archive as file, the index as line and the day file in the detail.
//! Promises: an archive without `users.json`, `channels.json` or any day file is an error naming
//! it and how to export; a day file that is not JSON is quarantined (`unreadable_file`, line 0),
//! not fatal; a message without a readable `ts` is `bad_timestamp`, one without a user
//! `no_identifier`. Message text is never read. Never panics on any input.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::Diagnostic;
use crate::schema::{Action, Origin, Precision, Str, Tool};
use crate::timeutil;

use super::archive;
use super::{Input, Parser, Sink};

pub struct Slack;

/// Files at the top of an export that describe the workspace rather than hold messages.
const REFERENCE_FILES: &[&str] = &[
    "users.json",
    "channels.json",
    "groups.json",
    "dms.json",
    "mpims.json",
    "integration_logs.json",
    "canvases.json",
    "org_users.json",
    "huddles.json",
    "lists.json",
    "file_conversations.json",
];

impl Parser for Slack {
    fn tool(&self) -> Tool {
        Tool::Slack
    }

    fn expands_zip(&self) -> bool {
        false
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        if !archive::is_zip(input.bytes) {
            return match loose_kind(input) {
                Ok(_) => Vec::new(),
                Err(d) => vec![d],
            };
        }
        match archive::members(input.bytes) {
            Ok(members) => match Layout::of(&members) {
                Ok(_) => Vec::new(),
                Err(msg) => vec![not_slack(&input.shown, &msg)],
            },
            Err(e) => vec![zip_error(&input.shown, &e)],
        }
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let mut st = State {
            n_attrs: input.plan.attributes.len(),
            users: HashMap::new(),
            skipped: BTreeMap::new(),
        };
        if !archive::is_zip(input.bytes) {
            return st.loose(input, sink);
        }
        let members = archive::members(input.bytes).map_err(|e| zip_error(&input.shown, &e))?;
        let layout = Layout::of(&members).map_err(|msg| not_slack(&input.shown, &msg))?;
        match layout.users {
            Some(i) => {
                let (name, bytes) = &members[i];
                st.users = read_users(bytes).map_err(|e| {
                    Diagnostic::new(
                        format!("{}!{name}", input.shown),
                        e.line(),
                        e.column(),
                        "users.json is not valid JSON",
                    )
                    .hint("export the workspace again; without users.json people could only be told apart by user id")
                })?;
                sink.note("users", format!("{} user(s) in {name}", st.users.len()));
            }
            None => sink.note("users", "no users.json in the archive: people are identified by Slack user id only"),
        }
        sink.note(
            "day_files",
            format!("{} day file(s) in {} channel folder(s)", layout.days.len(), layout.channels),
        );
        sink.note("origins", "archive!channel/YYYY-MM-DD.json:<message index in the day file>");
        for (mi, channel) in &layout.days {
            let (name, bytes) = &members[*mi];
            st.day_file(sink, bytes, channel, Some(name), *mi as u32, &input.shown);
        }
        st.tally(sink);
        Ok(())
    }
}

fn zip_error(shown: &str, e: &str) -> Diagnostic {
    Diagnostic::new(shown, 0, 0, format!("cannot read the zip archive: {e}"))
        .hint("download the export again from Slack (Workspace settings > Import/Export data > Export)")
}

fn not_slack(shown: &str, msg: &str) -> Diagnostic {
    Diagnostic::new(shown, 0, 0, format!("this is not a Slack export: {msg}")).hint(
        "point the source's path at the zip Slack's export gives (Workspace settings > Import/Export data > Export); it holds users.json, channels.json and one folder per channel",
    )
}

/// Where things are in an archive: the users file and the day files (member index, channel).
struct Layout {
    users: Option<usize>,
    days: Vec<(usize, String)>,
    channels: usize,
}

impl Layout {
    fn of(members: &[(String, Vec<u8>)]) -> Result<Layout, String> {
        let mut users: Option<usize> = None;
        let mut has_channels = false;
        let mut days = Vec::new();
        for (i, (name, _)) in members.iter().enumerate() {
            let (dir, base) = match name.rsplit_once('/') {
                Some((d, b)) => (Some(d), b),
                None => (None, name.as_str()),
            };
            if base == "users.json" {
                // the shallowest users.json is the workspace's
                if users.is_none_or(|u| members[u].0.len() > name.len()) {
                    users = Some(i);
                }
            } else if base == "channels.json" || base == "groups.json" {
                has_channels = true;
            } else if is_day_file(base) {
                if let Some(dir) = dir {
                    let channel = dir.rsplit('/').next().unwrap_or(dir);
                    if !channel.is_empty() {
                        days.push((i, channel.to_string()));
                    }
                }
            }
        }
        if users.is_none() && !has_channels && days.is_empty() {
            return Err("it holds no users.json, no channels.json and no channel/YYYY-MM-DD.json day file".to_string());
        }
        let mut channels: Vec<&str> = days.iter().map(|(_, c)| c.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        let channels = channels.len();
        Ok(Layout { users, days, channels })
    }
}

/// `2016-01-17.json`
fn is_day_file(base: &str) -> bool {
    let b = base.as_bytes();
    b.len() == 15
        && base.ends_with(".json")
        && b[..10]
            .iter()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// What a file outside a zip is: a day file, or a reference file passed over.
enum Loose {
    Day,
    Reference,
}

fn loose_kind(input: &Input) -> Result<Loose, Diagnostic> {
    let base = input.path.file_name().and_then(|s| s.to_str()).unwrap_or("");
    if is_day_file(base) {
        Ok(Loose::Day)
    } else if REFERENCE_FILES.contains(&base) {
        Ok(Loose::Reference)
    } else {
        Err(not_slack(
            &input.shown,
            "it is neither a zip archive nor an unzipped channel/YYYY-MM-DD.json day file",
        ))
    }
}

/// A user's identifiers from users.json.
#[derive(Default, Clone)]
struct User {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    bot: bool,
}

fn text_at(o: &Map<String, Value>, path: &[&str]) -> Option<String> {
    let mut v = o.get(path[0])?;
    for k in &path[1..] {
        v = v.get(k)?;
    }
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn read_users(bytes: &[u8]) -> Result<HashMap<String, User>, serde_json::Error> {
    let v: Value = serde_json::from_slice(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))?;
    let mut out = HashMap::new();
    for u in v.as_array().into_iter().flatten().filter_map(Value::as_object) {
        let Some(id) = text_at(u, &["id"]) else { continue };
        let user = User {
            name: text_at(u, &["real_name"]).or_else(|| text_at(u, &["profile", "real_name"])),
            email: text_at(u, &["profile", "email"]),
            phone: text_at(u, &["profile", "phone"]),
            bot: u.get("is_bot").and_then(Value::as_bool) == Some(true) || id == "USLACKBOT",
        };
        out.insert(id, user);
    }
    Ok(out)
}

struct State {
    n_attrs: usize,
    users: HashMap<String, User>,
    skipped: BTreeMap<String, u64>,
}

impl State {
    fn skip(&mut self, sink: &mut Sink, why: &str) {
        sink.stats.skipped += 1;
        *self.skipped.entry(why.to_string()).or_insert(0) += 1;
    }

    fn tally(&self, sink: &mut Sink) {
        if !self.skipped.is_empty() {
            let t: Vec<String> = self.skipped.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            sink.note("skipped", t.join(", "));
        }
    }

    /// A file outside a zip (the export unzipped).
    fn loose(&mut self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        match loose_kind(input)? {
            Loose::Reference => {
                sink.note("reference", "a workspace reference file: read together with the channel day files");
                Ok(())
            }
            Loose::Day => {
                let channel_dir = input.path.parent();
                let channel = channel_dir
                    .and_then(|p| p.file_name())
                    .and_then(|s| s.to_str())
                    .unwrap_or("")
                    .to_string();
                let users_path = channel_dir.and_then(Path::parent).map(|p| p.join("users.json"));
                match users_path.as_deref().map(std::fs::read) {
                    Some(Ok(bytes)) => match read_users(&bytes) {
                        Ok(u) => {
                            self.users = u;
                            sink.note("users", format!("{} user(s) in ../users.json", self.users.len()));
                        }
                        Err(_) => sink.note(
                            "users",
                            "../users.json is not valid JSON: people are identified by Slack user id only",
                        ),
                    },
                    _ => sink.note(
                        "users",
                        "no ../users.json next to the channel folder: people are identified by Slack user id only",
                    ),
                }
                self.day_file(sink, input.bytes, &channel, None, 0, &input.shown);
                self.tally(sink);
                Ok(())
            }
        }
    }

    /// One `channel/YYYY-MM-DD.json`. `member` is its path inside the archive (None outside one).
    fn day_file(&mut self, sink: &mut Sink, bytes: &[u8], channel: &str, member: Option<&str>, sub: u32, shown: &str) {
        // Group-DM folders are named after their members' handles: never show them.
        let private = channel.starts_with("mpdm-");
        let masked: Option<String> = member.map(|m| {
            if private {
                format!("group DM/{}", m.rsplit('/').next().unwrap_or(""))
            } else {
                m.to_string()
            }
        });
        let member = masked.as_deref();
        let place = member.unwrap_or("the day file");
        let v: Value = match serde_json::from_slice(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)) {
            Ok(v) => v,
            Err(e) => {
                sink.stats.rows += 1;
                sink.quarantine(
                    0,
                    None,
                    "unreadable_file",
                    format!("{place} is not valid JSON (line {}, column {})", e.line(), e.column()),
                );
                return;
            }
        };
        let Some(messages) = v.as_array() else {
            sink.stats.rows += 1;
            sink.quarantine(0, None, "unreadable_file", format!("{place} is not a JSON array of messages"));
            return;
        };
        let context = if channel.starts_with("mpdm-") {
            "group DM".to_string()
        } else {
            channel.to_string()
        };
        for (j, m) in messages.iter().enumerate() {
            let line = j as u64 + 1;
            sink.stats.rows += 1;
            self.message(sink, line, sub, m, &context, member, shown, place);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn message(&mut self, sink: &mut Sink, line: u64, sub: u32, m: &Value, context: &str, member: Option<&str>, shown: &str, place: &str) {
        let Some(m) = m.as_object() else {
            sink.quarantine(
                line,
                None,
                "unreadable_record",
                format!("message {line} of {place} is not a JSON object"),
            );
            return;
        };
        if m.get("type").and_then(Value::as_str).is_some_and(|t| t != "message") {
            self.skip(sink, "not a message");
            return;
        }
        let user = m.get("user").and_then(Value::as_str).map(str::trim).filter(|u| !u.is_empty());
        let subtype = m.get("subtype").and_then(Value::as_str);
        let action = match subtype {
            None | Some("thread_broadcast") | Some("file_share") | Some("me_message") => Action::MessageSent,
            Some("channel_join") | Some("group_join") => {
                let inviter = m.get("inviter").and_then(Value::as_str).filter(|i| !i.is_empty());
                if inviter.is_some() && inviter != user {
                    Action::GroupAdded
                } else {
                    Action::GroupJoined
                }
            }
            Some("channel_leave") | Some("group_leave") => Action::GroupLeft,
            Some(other) => {
                let label = if other.len() <= 40 && other.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    other
                } else {
                    "(other subtype)"
                };
                self.skip(sink, label);
                return;
            }
        };
        let Some(user) = user else {
            if m.contains_key("bot_id") {
                self.skip(sink, "bot");
            } else {
                sink.quarantine(
                    line,
                    Some("user"),
                    "no_identifier",
                    format!("message {line} of {place} has no user id"),
                );
            }
            return;
        };
        let known = self.users.get(user).cloned().unwrap_or_default();
        if known.bot || user == "USLACKBOT" {
            self.skip(sink, "bot");
            return;
        }
        let Some(ts) = m.get("ts").and_then(slack_ts) else {
            sink.quarantine(
                line,
                Some("ts"),
                "bad_timestamp",
                format!("message {line} of {place} has no ts like \"1452988821.000002\""),
            );
            return;
        };
        let mut e = sink.event(line, sub, ts, Precision::Second, action, self.n_attrs);
        e.external_id = Some(Str::new(user));
        e.name = known
            .name
            .or_else(|| text_at(m, &["user_profile", "real_name"]))
            .as_deref()
            .map(Str::new);
        e.email = known.email.as_deref().map(Str::new);
        e.phone = known.phone.as_deref().map(Str::new);
        e.context = Some(Str::new(context));
        if let Some(member) = member {
            e.origin = Origin::new(&format!("{shown}!{member}"), line);
        }
        sink.push(e);
    }
}

/// `"1452988821.000002"` → µs at the second.
fn slack_ts(v: &Value) -> Option<i64> {
    let secs: i64 = match v {
        Value::String(s) => s.trim().split('.').next()?.parse().ok()?,
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite())?.floor() as i64,
        _ => return None,
    };
    (0..4_102_444_800).contains(&secs).then_some(secs * timeutil::US_PER_SEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_file_names() {
        assert!(is_day_file("2016-01-17.json"));
        assert!(!is_day_file("users.json"));
        assert!(!is_day_file("2016-1-17.json"));
        assert!(!is_day_file("2016-01-17.jsonx"));
    }

    #[test]
    fn ts_values() {
        assert_eq!(slack_ts(&Value::from("1452988821.000002")), Some(1_452_988_821_000_000));
        assert_eq!(slack_ts(&Value::from("1452988821")), Some(1_452_988_821_000_000));
        assert_eq!(slack_ts(&Value::from("x.1")), None);
        assert_eq!(slack_ts(&Value::from("-1.0")), None);
        assert_eq!(slack_ts(&Value::from(1e300)), None);
    }
}
