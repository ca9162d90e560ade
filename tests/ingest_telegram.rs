//! The Telegram Desktop reader on fixtures shaped like real `result.json` exports
//! (tests/fixtures/telegram): one chat, a full export with contacts, an HTML export by mistake.

mod common;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Event, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> config::Plan {
    common::fixture_plan(project, "telegram", sources, &[])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"tg\"\ntool = \"telegram\"\npath = \"{path}\"\n{extra}")
}

/// One event as a line: origin, action, UTC time, precision, identifiers, context.
fn show(e: &Event) -> String {
    let o = |v: &Option<turnout::schema::Str>| v.map_or_else(|| "-".to_string(), String::from);
    format!(
        "{} {} {} {} name={} id={} phone={} email={} ctx={} occ={}{}",
        e.origin,
        e.action,
        iso(e.ts),
        e.precision,
        o(&e.name),
        o(&e.external_id),
        o(&e.phone),
        o(&e.email),
        o(&e.context),
        o(&e.occasion),
        if e.organizer { " organizer" } else { "" }
    )
}

#[test]
fn single_chat_messages_service_actions_and_deleted_accounts() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("single-chat/result.json", ""));
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let c = "ctx=Store 12 Organizing occ=-";
    let f = "single-chat/result.json";
    assert_eq!(
        got,
        vec![
            // invite_members: one group_added per member, names only
            format!("{f}:2 group_added 2021-03-20T14:01:30Z second name=Rosa Martinez id=- phone=- email=- {c}"),
            format!("{f}:2 group_added 2021-03-20T14:01:30Z second name=Bob K 🔧 id=- phone=- email=- {c}"),
            format!("{f}:3 message_sent 2021-03-20T14:05:12Z second name=Rosa Martinez id=user2002 phone=- email=- {c}"),
            // text as an array of strings and entity objects
            format!("{f}:4 message_sent 2021-03-20T15:15:00Z second name=Bob K 🔧 id=user5005 phone=- email=- {c}"),
            format!("{f}:5 group_joined 2021-03-22T00:42:08Z second name=Lupe id=user3003 phone=- email=- {c}"),
            // deleted account: from is null, from_id kept
            format!("{f}:6 message_sent 2021-03-22T13:00:00Z second name=- id=user4004 phone=- email=- {c}"),
            // leaving is "X removed X": the actor's id is the member's
            format!("{f}:8 group_left 2021-03-23T17:00:00Z second name=Bob K 🔧 id=user5005 phone=- email=- {c}"),
            // no date_unixtime (older export): local wall time in the source's zone (CDT)
            format!("{f}:9 message_sent 2021-03-24T23:11:47Z second name=Lupe id=user3003 phone=- email=- {c}"),
            // invite_members of oneself = joining a public group
            format!("{f}:12 group_joined 2021-03-24T23:16:00Z second name=Mo Ali id=user6006 phone=- email=- {c}"),
            // a photo without caption is still a message
            format!("{f}:14 message_sent 2021-03-24T23:20:00Z second name=Rosa Martinez id=user2002 phone=- email=- {c}"),
        ]
    );
    let q: Vec<(u64, Option<&str>, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(
        q,
        vec![
            (7, Some("from"), "no_identifier"),
            (10, Some("date"), "bad_timestamp"),
            (13, Some("members"), "no_identifier"),
        ]
    );
    for r in &out.quarantine {
        assert_eq!(r.file, "single-chat/result.json");
        assert!(!r.detail.contains("24/03/2021") && !r.detail.contains("me too"), "{}", r.detail);
    }
    let st = &out.files[0];
    // line 15, a post by the group's linked channel, is nobody speaking
    assert_eq!((st.rows, st.events, st.skipped, st.quarantined), (15, 10, 3, 3));
    assert_eq!(st.notes["skipped"], "channel post: 1, create_group: 1, pin_message: 1");
    assert_eq!(
        st.notes["timestamps"],
        "8 from date_unixtime (UTC); 1 from date (local time, read in America/Chicago)"
    );
    assert_eq!(st.notes["chats"], "1");
    assert_eq!(st.notes["origins"], "line = the message's 1-based index in the chat's messages");
    assert!(!st.notes.contains_key("contacts"));
    // one record, several events: ids still distinct
    let mut ids: Vec<u64> = out.events.iter().map(|e| e.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), out.events.len());
}

#[test]
fn full_export_runs_lines_across_chats_and_takes_phones_from_contacts() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("full-export/result.json", "organizers = [\"Dana Organizer\"]\n"));
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let f = "full-export/result.json";
    assert_eq!(
        got,
        vec![
            // Rosa matches one contact by name; two contacts are called Sam Lee with different
            // numbers, so neither number is used
            format!("{f}:1 group_added 2021-04-01T23:00:00Z second name=Rosa Martinez id=- phone=+1 312 555 0142 email=- ctx=Store 12 Organizing occ=-"),
            format!("{f}:1 group_added 2021-04-01T23:00:00Z second name=Sam Lee id=- phone=- email=- ctx=Store 12 Organizing occ=-"),
            format!("{f}:2 message_sent 2021-04-01T23:05:00Z second name=Rosa Martinez id=user2002 phone=+1 312 555 0142 email=- ctx=Store 12 Organizing occ=-"),
            format!("{f}:3 message_sent 2021-04-01T23:06:00Z second name=Sam Lee id=user8008 phone=- email=- ctx=Store 12 Organizing occ=-"),
            // second chat: lines run on; the contact with a user_id matches by id, not name
            format!("{f}:4 message_sent 2021-04-02T14:00:00Z second name=Jojo id=user7007 phone=+1 312 555 0177 email=- ctx=direct chat occ=-"),
            format!("{f}:5 message_sent 2021-04-02T14:03:00Z second name=Dana Organizer id=user1001 phone=- email=- ctx=direct chat occ=- organizer"),
            // left chats are read after the chat list
            format!("{f}:6 group_joined 2021-04-03T12:30:00Z second name=Rosa Martinez id=user2002 phone=+1 312 555 0142 email=- ctx=Old Warehouse Group occ=-"),
        ]
    );
    assert_eq!(out.quarantine, vec![]);
    let st = &out.files[0];
    assert_eq!((st.rows, st.events, st.skipped, st.quarantined), (6, 7, 0, 0));
    assert_eq!(st.notes["chats"], "3");
    assert_eq!(st.notes["contacts"], "4 contact(s) with a phone number");
    assert_eq!(st.notes["phones_from_contacts"], "4 event(s) got a phone from the contact list");
    assert!(st.notes["origins"].starts_with("full export: line = the message's position counted across all chats"));
}

#[test]
fn html_export_is_refused_with_a_hint() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("html-export/messages.html", ""));
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(
        err.contains("html-export/messages.html:1:1: this is Telegram's HTML export"),
        "{err}"
    );
    assert!(err.contains("Machine-readable JSON"), "{err}");
    let pre = ingest::preflight(&plan);
    assert_eq!(pre.len(), 1, "{pre:?}");
}

#[test]
fn other_json_and_truncated_json_are_file_errors_with_position() {
    let project = common::Project::empty();
    project.write("in/other.json", r#"{"users": [{"id": 1}]}"#);
    project.write("in/cut.json", "{\n \"name\": \"Store 12\",\n \"messages\": [\n  {\"id\": 1,");
    let toml = |p: &str| {
        format!(
            "[pipeline]\nname = \"x\"\ntimezone = \"UTC\"\n\n[[source]]\nname = \"tg\"\ntool = \"telegram\"\npath = \"{p}\"\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{{ name = \"a\", when = {{ action = \"message_sent\" }} }}]\n"
        )
    };
    let pf = project.write("pipelines/x.toml", toml("in/other.json"));
    let err = ingest::ingest(&config::load(&pf).unwrap()).unwrap_err().to_string();
    assert!(err.contains("in/other.json:1:1: this JSON has neither `messages`"), "{err}");
    let pf = project.write("pipelines/x.toml", toml("in/cut.json"));
    let err = ingest::ingest(&config::load(&pf).unwrap()).unwrap_err().to_string();
    assert!(err.contains("in/cut.json:4:"), "{err}");
    assert!(err.contains("the JSON ends too early"), "{err}");
    // the unknown key is refused at validation: telegram reads no tool options
    let bad = project.write(
        "pipelines/y.toml",
        toml("in/other.json").replace("tool = \"telegram\"", "tool = \"telegram\"\ndate_order = \"dmy\""),
    );
    let err = config::load(&bad).unwrap_err().to_string();
    assert!(err.contains("key \"date_order\" is not read by tool \"telegram\""), "{err}");
}

#[test]
fn a_zipped_export_is_read_member_by_member() {
    use std::io::Write;
    let project = common::Project::empty();
    let json = std::fs::read(common::repo().join("tests/fixtures/telegram/single-chat/result.json")).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("ChatExport_2021-03-25/result.json", opts).unwrap();
    w.write_all(&json).unwrap();
    w.start_file("ChatExport_2021-03-25/photos/photo_1@24-03-2021_18-20-00.jpg", opts)
        .unwrap();
    w.write_all(b"\xff\xd8\xff").unwrap();
    project.write("in/export.zip", w.finish().unwrap().into_inner());
    let pf = project.write(
        "pipelines/x.toml",
        "[pipeline]\nname = \"x\"\ntimezone = \"America/Chicago\"\n\n[[source]]\nname = \"tg\"\ntool = \"telegram\"\npath = \"in/export.zip\"\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{ name = \"a\", when = { action = \"message_sent\" } }]\n",
    );
    let out = ingest::ingest(&config::load(&pf).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.events.len(), 10);
    assert_eq!(out.events[2].origin, "in/export.zip!ChatExport_2021-03-25/result.json:3");
    assert_eq!(out.files.len(), 1, "the photo is not read");
}

/// Runs the parser on arbitrary bytes: it must return, never panic.
fn run(plan: &config::Plan, bytes: &[u8]) {
    let parser = ingest::parser_for(Tool::Telegram).expect("telegram is ready");
    let source = &plan.sources[0];
    let input = Input {
        plan,
        source,
        path: &source.files[0],
        shown: "fuzz/result.json".to_string(),
        bytes,
    };
    let mut sink = Sink::new(source, &input.shown, bytes);
    let _ = parser.parse(&input, &mut sink);
    let _ = parser.preflight(&input);
}

fn fuzz_plan() -> (common::Project, config::Plan) {
    let project = common::Project::empty();
    let plan = plan(&project, &source("single-chat/result.json", ""));
    (project, plan)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let (_p, plan) = fuzz_plan();
        run(&plan, &bytes);
    }

    #[test]
    fn mutated_exports_never_panic(
        which in 0usize..2,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..12),
    ) {
        let (_p, plan) = fuzz_plan();
        let file = ["single-chat/result.json", "full-export/result.json"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/telegram").join(file)).unwrap();
        for (at, b, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = b,
                1 => bytes.insert(i, b),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        run(&plan, &bytes);
    }

    /// Structurally valid JSON with the wrong types in every field.
    #[test]
    fn wrong_types_never_panic(
        from in prop_oneof![Just("null"), Just("1"), Just("\"\""), Just("[]"), Just("{}"), Just("\"Rosa\"")],
        date in prop_oneof![Just("null"), Just("\"2021-03-20T09:00:00\""), Just("\"99999-01-01T00:00:00\""), Just("12"), Just("\"\"")],
        unix in prop_oneof![Just("null"), Just("\"1616248800\""), Just("\"-1\""), Just("1e400"), Just("\"9999999999999999999999\""), Just("[]")],
        kind in prop_oneof![Just("\"message\""), Just("\"service\""), Just("null"), Just("7")],
        members in prop_oneof![Just("null"), Just("[]"), Just("[null, 3, \"Rosa\"]"), Just("\"Rosa\"")],
        action in prop_oneof![Just("\"invite_members\""), Just("\"remove_members\""), Just("\"join_group_by_link\""), Just("5")],
    ) {
        let (_p, plan) = fuzz_plan();
        let msg = format!(
            r#"{{"name": "x", "messages": [{{"id": 1, "type": {kind}, "date": {date}, "date_unixtime": {unix}, "from": {from}, "from_id": {from}, "actor": {from}, "actor_id": {from}, "action": {action}, "members": {members}}}, 3, null]}}"#
        );
        run(&plan, msg.as_bytes());
        let full = format!(r#"{{"contacts": {{"list": [{{"first_name": {from}, "last_name": {from}, "phone_number": {from}, "user_id": {from}}}]}}, "chats": {{"list": [{}, 1]}}}}"#, &msg);
        run(&plan, full.as_bytes());
    }
}
