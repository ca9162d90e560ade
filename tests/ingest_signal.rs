//! The signal-export reader on fixtures shaped like what `sigexport` writes
//! (tests/fixtures/signal): a conversation folder with `chat.md` and `data.json` (JSON lines), and
//! a JSON array named after its chat.

mod common;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Event, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> config::Plan {
    common::fixture_plan(project, "signal", sources, &[])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"sig\"\ntool = \"signal\"\npath = \"{path}\"\n{extra}")
}

fn show(e: &Event) -> String {
    let o = |v: &Option<turnout::schema::Str>| v.map_or_else(|| "-".to_string(), String::from);
    format!(
        "{} {} {} {} name={} phone={} id={} ctx={} occ={}{}",
        e.origin,
        e.action,
        iso(e.ts),
        e.precision,
        o(&e.name),
        o(&e.phone),
        o(&e.external_id),
        o(&e.context),
        o(&e.occasion),
        if e.organizer { " organizer" } else { "" }
    )
}

fn quarantined(out: &ingest::Ingested) -> Vec<(u64, Option<&str>, &str)> {
    out.quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect()
}

#[test]
fn markdown_multiline_bodies_phones_empties_calls_and_old_minute_lines() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        &source("StoreTwelve/chat.md", "timezone = \"America/Los_Angeles\"\norganizers = [\"Me\"]\n"),
    );
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let (f, c) = ("StoreTwelve/chat.md", "ctx=StoreTwelve occ=-");
    assert_eq!(
        got,
        vec![
            format!("{f}:1 message_sent 2021-08-24T23:32:15Z second name=Rosa Martinez phone=- id=- {c}"),
            // sigexport writes your own messages as "Me": an organizer here
            format!("{f}:3 message_sent 2021-08-24T23:33:02Z second name=Me phone=- id=- {c} organizer"),
            // a quote and a two-line body continue the message opened on line 6
            format!("{f}:6 message_sent 2021-08-24T23:40:00Z second name=- phone=+1 415-555-0123 id=- {c}"),
            // an attachment-only message is a message
            format!("{f}:21 message_sent 2021-08-25T18:00:00Z second name=Lupe phone=- id=- {c}"),
            // older sigexport wrote no seconds
            format!("{f}:23 message_sent 2021-08-25T19:00:00Z minute name=Dana phone=- id=- {c}"),
        ]
    );
    assert_eq!(
        quarantined(&out),
        vec![(17, Some("sender"), "no_identifier"), (19, Some("date"), "bad_timestamp")]
    );
    let st = &out.files[0];
    assert_eq!((st.rows, st.events, st.skipped, st.quarantined), (9, 5, 2, 2));
    assert_eq!(st.notes["format"], "signal-export markdown");
    assert_eq!(
        st.notes["skipped_empty"],
        "1 message(s) with nothing in them (group updates, timer changes)"
    );
    assert_eq!(st.notes["skipped_calls"], "1 call record(s)");
    assert_eq!(st.notes["timezone"], "local times read in America/Los_Angeles");
    for r in &out.quarantine {
        assert!(
            !r.detail.contains("who is this") && !r.detail.contains("2021-13-25"),
            "{}",
            r.detail
        );
    }
}

#[test]
fn json_lines_with_a_broken_line_and_fractional_seconds() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("StoreTwelve/data.json", "timezone = \"America/Los_Angeles\"\n"));
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let (f, c) = ("StoreTwelve/data.json", "ctx=StoreTwelve occ=-");
    assert_eq!(
        got,
        vec![
            format!("{f}:1 message_sent 2021-08-24T23:32:15Z second name=Rosa Martinez phone=- id=- {c}"),
            format!("{f}:2 message_sent 2021-08-24T23:33:02Z second name=Me phone=- id=- {c}"),
            format!("{f}:3 message_sent 2021-08-24T23:40:00Z second name=- phone=+1 415-555-0123 id=- {c}"),
            format!("{f}:9 message_sent 2021-08-25T18:00:00Z second name=Lupe phone=- id=- {c}"),
            // a message deleted for everyone was still said
            format!("{f}:10 message_sent 2021-08-25T19:00:00Z second name=Dana phone=- id=- {c}"),
        ]
    );
    assert_eq!(
        quarantined(&out),
        vec![
            (6, Some("sender"), "no_identifier"),
            (7, None, "unreadable_record"),
            (8, Some("date"), "missing_timestamp"),
        ]
    );
    let st = &out.files[0];
    assert_eq!((st.rows, st.events, st.skipped, st.quarantined), (10, 5, 2, 3));
    assert_eq!(st.notes["format"], "signal-export JSON lines");
}

#[test]
fn json_array_named_after_its_chat_with_offsets_and_group_override() {
    let project = common::Project::empty();
    let plan1 = plan(&project, &source("exports/Warehouse.json", "timezone = \"Europe/Berlin\"\n"));
    let out = ingest::ingest(&plan1).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let f = "exports/Warehouse.json";
    assert_eq!(
        got,
        vec![
            // an offset is exact, whatever the source's zone
            format!("{f}:1 message_sent 2021-08-24T14:32:15Z second name=Rosa Martinez phone=- id=- ctx=Warehouse occ=-"),
            // naive: Berlin summer time
            format!("{f}:2 message_sent 2021-08-24T16:00:00Z second name=- phone=+49 151 23456789 id=- ctx=Warehouse occ=-"),
        ]
    );
    assert_eq!(
        quarantined(&out),
        vec![(3, None, "unreadable_record"), (4, Some("date"), "bad_timestamp")]
    );
    assert_eq!(out.files[0].notes["format"], "JSON array");

    let plan2 = plan(
        &project,
        &source(
            "exports/Warehouse.json",
            "timezone = \"Europe/Berlin\"\ngroup = \"Warehouse 3 (Signal)\"\n",
        ),
    );
    let out = ingest::ingest(&plan2).unwrap();
    assert!(out.events.iter().all(|e| e.context.as_deref() == Some("Warehouse 3 (Signal)")));
}

#[test]
fn a_zip_of_the_export_folder_names_each_chat_after_its_folder() {
    use std::io::Write;
    let project = common::Project::empty();
    let md = std::fs::read(common::repo().join("tests/fixtures/signal/StoreTwelve/chat.md")).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("signal-chats/StoreTwelve/chat.md", opts).unwrap();
    w.write_all(&md).unwrap();
    // the same messages again as JSON: not read twice
    let json = std::fs::read(common::repo().join("tests/fixtures/signal/StoreTwelve/data.json")).unwrap();
    w.start_file("signal-chats/StoreTwelve/data.json", opts).unwrap();
    w.write_all(&json).unwrap();
    w.start_file("signal-chats/StoreTwelve/index.html", opts).unwrap();
    w.write_all(b"<html></html>").unwrap();
    w.start_file("signal-chats/style.css", opts).unwrap();
    w.write_all(b"body {}").unwrap();
    project.write("in/signal.zip", w.finish().unwrap().into_inner());
    let pf = project.write(
        "pipelines/x.toml",
        "[pipeline]\nname = \"x\"\ntimezone = \"America/Los_Angeles\"\n\n[[source]]\nname = \"sig\"\ntool = \"signal\"\npath = \"in/signal.zip\"\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{ name = \"a\", when = { action = \"message_sent\" } }]\n",
    );
    let out = ingest::ingest(&config::load(&pf).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.files.len(), 1, "only chat.md is read");
    assert_eq!(out.files[0].file, "in/signal.zip!signal-chats/StoreTwelve/chat.md");
    assert_eq!(out.events.len(), 5);
    assert_eq!(out.events[0].origin, "in/signal.zip!signal-chats/StoreTwelve/chat.md:1");
    assert_eq!(out.events[0].context.as_deref(), Some("StoreTwelve"));
}

#[test]
fn a_file_without_messages_is_an_error_with_a_hint() {
    let project = common::Project::empty();
    project.write("in/notes.md", "# Meeting notes\n\n- bring flyers\n");
    let pf = project.write(
        "pipelines/x.toml",
        "[pipeline]\nname = \"x\"\ntimezone = \"UTC\"\n\n[[source]]\nname = \"sig\"\ntool = \"signal\"\npath = \"in/notes.md\"\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{ name = \"a\", when = { action = \"message_sent\" } }]\n",
    );
    let plan = config::load(&pf).unwrap();
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("in/notes.md:1:1: no line looks like a signal-export message"), "{err}");
    assert!(err.contains("hint: point the source's path at the chat.md or data.json"), "{err}");
    assert_eq!(ingest::preflight(&plan).len(), 1);
}

fn run(plan: &config::Plan, bytes: &[u8]) {
    let parser = ingest::parser_for(Tool::Signal).expect("signal is ready");
    let source = &plan.sources[0];
    let input = Input {
        plan,
        source,
        path: &source.files[0],
        shown: "fuzz/Chat/chat.md".to_string(),
        bytes,
    };
    let mut sink = Sink::new(source, &input.shown, bytes);
    let _ = parser.parse(&input, &mut sink);
    let _ = parser.preflight(&input);
}

fn fuzz_plan() -> (common::Project, config::Plan) {
    let project = common::Project::empty();
    let plan = plan(&project, &source("StoreTwelve/chat.md", ""));
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
    fn arbitrary_text_in_message_shape_never_panics(lines in proptest::collection::vec(
        prop_oneof![
            "\\[20[0-9]{2}-[0-9]{2}-[0-9]{2},? [0-9]{2}:[0-9]{2}(:[0-9]{2})?\\] .{0,20}",
            "\\{\"date\": .{0,12}, \"sender\": .{0,12}\\}",
            ".{0,30}",
        ],
        0..20,
    )) {
        let (_p, plan) = fuzz_plan();
        run(&plan, lines.join("\n").as_bytes());
        run(&plan, format!("[{}]", lines.join(",")).as_bytes());
    }

    #[test]
    fn mutated_exports_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..12),
    ) {
        let (_p, plan) = fuzz_plan();
        let file = ["StoreTwelve/chat.md", "StoreTwelve/data.json", "exports/Warehouse.json"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/signal").join(file)).unwrap();
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
}
