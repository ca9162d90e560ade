//! The Slack export reader. tests/fixtures/slack/export holds an export's files unzipped (so they
//! can be read in review); the tests zip them the way Slack does (with and without a top folder)
//! and also read them unzipped.

mod common;

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Event, Tool};
use turnout::timeutil::iso;

fn fixtures() -> std::path::PathBuf {
    common::repo().join("tests/fixtures/slack")
}

fn pipeline(project: &common::Project, root: &Path, path: &str, extra: &str) -> config::Plan {
    let toml = format!(
        r#"[pipeline]
name = "fixtures"
timezone = "America/Chicago"
root = "{}"

[[source]]
name = "slack"
tool = "slack"
path = "{path}"
{extra}

[[funnel]]
name = "f"
window = "30d"
stages = [{{ name = "a", when = {{ action = "message_sent" }} }}]
"#,
        root.display()
    );
    let p = project.write("pipelines/fixtures.toml", toml);
    config::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

/// Every file under `dir`, sorted, as (path relative to `dir` with `/`, bytes).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A zip of the fixture export, members under `prefix`, with folder entries like Slack's.
fn export_zip(prefix: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let mut dirs = std::collections::BTreeSet::new();
    for (name, bytes) in files(&fixtures().join("export")) {
        if let Some((d, _)) = name.rsplit_once('/') {
            if dirs.insert(d.to_string()) {
                w.add_directory(format!("{prefix}{d}/"), opts).unwrap();
            }
        }
        w.start_file(format!("{prefix}{name}"), opts).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn show(e: &Event) -> String {
    let o = |v: &Option<turnout::schema::Str>| v.map_or_else(|| "-".to_string(), String::from);
    format!(
        "{} {} {} {} id={} name={} email={} phone={} ctx={} occ={}{}",
        e.origin,
        e.action,
        iso(e.ts),
        e.precision,
        o(&e.external_id),
        o(&e.name),
        o(&e.email),
        o(&e.phone),
        o(&e.context),
        o(&e.occasion),
        if e.organizer { " organizer" } else { "" }
    )
}

/// The events of the fixture export, with `at(member)` giving the origin prefix of a day file.
fn expected(at: impl Fn(&str) -> String) -> Vec<String> {
    let rosa = "id=U01ROSA name=Rosa Martinez email=rosa.m@example.org phone=+1 312 555 0142";
    let bob = "id=U02BOB name=Bob K email=- phone=-";
    let g17 = at("general/2016-01-17.json");
    let g18 = at("general/2016-01-18.json");
    let dm = at("mpdm-rosa--bob-1/2016-01-19.json");
    let s18 = at("store-12/2016-01-18.json");
    vec![
        format!("{g17}:1 group_joined 2016-01-17T00:00:21Z second {rosa} ctx=general occ=-"),
        format!("{g17}:2 message_sent 2016-01-17T00:01:40Z second {rosa} ctx=general occ=-"),
        // a thread reply also sent to the channel is the person speaking
        format!("{g17}:6 message_sent 2016-01-17T00:08:20Z second {bob} ctx=general occ=-"),
        // joined with an inviter: added by someone else
        format!("{g18}:1 group_added 2016-01-18T00:00:00Z second {bob} ctx=general occ=-"),
        format!("{g18}:2 group_left 2016-01-18T01:00:00Z second {rosa} ctx=general occ=-"),
        // not in users.json: the name the message carries
        format!("{g18}:3 message_sent 2016-01-18T02:00:00Z second id=U07NEW name=Newt Salas email=- phone=- ctx=general occ=-"),
        // group DMs are not named after their members
        format!("{dm}:1 message_sent 2016-01-19T17:00:00Z second {bob} ctx=group DM occ=-"),
        format!("{s18}:1 message_sent 2016-01-18T03:00:00Z second id=U03DANA name=Dana Organizer email=dana@example.org phone=(312) 555-0100 ctx=store-12 occ=- organizer"),
        // a file upload without subtype is a message
        format!("{s18}:2 message_sent 2016-01-18T03:01:00Z second {rosa} ctx=store-12 occ=-"),
    ]
}

#[test]
fn export_zip_joins_leaves_messages_and_users() {
    let project = common::Project::empty();
    project.write("in/export.zip", export_zip(""));
    let plan = pipeline(&project, project.path(), "in/export.zip", "organizers = [\"Dana Organizer\"]");
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    // inside the archive a group-DM folder (named after its members) shows as "group DM"
    assert_eq!(
        got,
        expected(|m| format!("in/export.zip!{}", m.replace("mpdm-rosa--bob-1", "group DM")))
    );
    let q: Vec<(&str, u64, Option<&str>, &str, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.file.as_str(), r.line, r.column.as_deref(), r.reason.as_str(), r.detail.as_str()))
        .collect();
    assert_eq!(
        q,
        vec![
            (
                "in/export.zip",
                7,
                Some("user"),
                "no_identifier",
                "message 7 of general/2016-01-17.json has no user id"
            ),
            (
                "in/export.zip",
                8,
                Some("ts"),
                "bad_timestamp",
                "message 8 of general/2016-01-17.json has no ts like \"1452988821.000002\""
            ),
            (
                "in/export.zip",
                0,
                None,
                "unreadable_file",
                "store-12/2016-01-19.json is not valid JSON (line 4, column 22)"
            ),
        ]
    );
    assert_eq!(out.files.len(), 1, "the archive is one unit");
    let st = &out.files[0];
    assert_eq!((st.rows, st.events, st.skipped, st.quarantined), (15, 9, 3, 3));
    assert_eq!(st.notes["users"], "4 user(s) in users.json");
    assert_eq!(st.notes["day_files"], "5 day file(s) in 3 channel folder(s)");
    assert_eq!(st.notes["skipped"], "bot: 1, bot_message: 1, channel_topic: 1");
    // one id per message across day files, although each file numbers its messages from 1
    let mut ids: Vec<u64> = out.events.iter().map(|e| e.event_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), out.events.len());
}

#[test]
fn export_zip_with_a_top_folder() {
    let project = common::Project::empty();
    project.write("in/Acme Slack export Jan 17 2016.zip", export_zip("Acme Slack export Jan 17 2016/"));
    let plan = pipeline(&project, project.path(), "in/*.zip", "");
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.events.len(), 9);
    assert_eq!(
        out.events[0].origin,
        "in/Acme Slack export Jan 17 2016.zip!Acme Slack export Jan 17 2016/general/2016-01-17.json:1"
    );
    assert_eq!(out.events[0].email.as_deref(), Some("rosa.m@example.org"));
    assert_eq!(out.files[0].notes["users"], "4 user(s) in Acme Slack export Jan 17 2016/users.json");
}

#[test]
fn unzipped_export_reads_day_files_with_users_from_two_folders_up() {
    let project = common::Project::empty();
    let plan = pipeline(&project, &fixtures(), "export/**/*.json", "organizers = [\"Dana Organizer\"]");
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    assert_eq!(got, expected(|m| format!("export/{m}")));
    let q: Vec<(&str, u64, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.file.as_str(), r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        q,
        vec![
            ("export/general/2016-01-17.json", 7, "no_identifier"),
            ("export/general/2016-01-17.json", 8, "bad_timestamp"),
            ("export/store-12/2016-01-19.json", 0, "unreadable_file"),
        ]
    );
    let notes: Vec<(&str, Option<&String>, Option<&String>)> = out
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.notes.get("reference"), f.notes.get("users")))
        .collect();
    let reference = "a workspace reference file: read together with the channel day files".to_string();
    let users = "4 user(s) in ../users.json".to_string();
    assert_eq!(
        notes,
        vec![
            ("export/channels.json", Some(&reference), None),
            ("export/general/2016-01-17.json", None, Some(&users)),
            ("export/general/2016-01-18.json", None, Some(&users)),
            ("export/mpdm-rosa--bob-1/2016-01-19.json", None, Some(&users)),
            ("export/mpims.json", Some(&reference), None),
            ("export/store-12/2016-01-18.json", None, Some(&users)),
            ("export/store-12/2016-01-19.json", None, Some(&users)),
            ("export/users.json", Some(&reference), None),
        ]
    );
}

#[test]
fn not_a_slack_export_is_a_file_error() {
    let project = common::Project::empty();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("notes.txt", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"hello").unwrap();
    project.write("in/other.zip", w.finish().unwrap().into_inner());
    project.write("in/members.csv", "name,email\n");
    project.write("in/broken.zip", b"PK\x03\x04 not really a zip");
    for (path, want) in [
        ("in/other.zip", "in/other.zip: this is not a Slack export: it holds no users.json"),
        (
            "in/members.csv",
            "in/members.csv: this is not a Slack export: it is neither a zip archive nor",
        ),
        ("in/broken.zip", "in/broken.zip: cannot read the zip archive"),
    ] {
        let plan = pipeline(&project, project.path(), path, "");
        let err = ingest::ingest(&plan).unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
        assert!(err.contains("hint: "), "{err}");
        assert_eq!(ingest::preflight(&plan).len(), 1, "{path}");
    }
}

fn run(plan: &config::Plan, bytes: &[u8]) {
    let parser = ingest::parser_for(Tool::Slack).expect("slack is ready");
    let source = &plan.sources[0];
    let input = Input {
        plan,
        source,
        path: &source.files[0],
        shown: "fuzz/export.zip".to_string(),
        bytes,
    };
    let mut sink = Sink::new(source, &input.shown, bytes);
    let _ = parser.parse(&input, &mut sink);
    let _ = parser.preflight(&input);
}

fn fuzz_plan() -> (common::Project, config::Plan) {
    let project = common::Project::empty();
    let plan = pipeline(&project, &fixtures(), "export/general/2016-01-17.json", "");
    (project, plan)
}

/// A zip whose members are the fixture's, each possibly mutated.
fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let (_p, plan) = fuzz_plan();
        run(&plan, &bytes);
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend_from_slice(&bytes);
        run(&plan, &zipped);
    }

    #[test]
    fn mutated_members_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..16),
    ) {
        let (_p, plan) = fuzz_plan();
        let mut members = files(&fixtures().join("export"));
        for (m, at, b, op) in edits {
            let k = m.index(members.len());
            let bytes = &mut members[k].1;
            if bytes.is_empty() { continue; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = b,
                1 => bytes.insert(i, b),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        run(&plan, &zip_of(&members));
        // and the day file alone, as if unzipped
        run(&plan, &members[1].1);
    }

    #[test]
    fn wrong_types_never_panic(
        user in prop_oneof![Just("null"), Just("1"), Just("\"\""), Just("[]"), Just("\"U01ROSA\"")],
        ts in prop_oneof![Just("null"), Just("\"1452988821.000002\""), Just("\".\""), Just("1e300"), Just("-5"), Just("\"99999999999999999999.1\"")],
        subtype in prop_oneof![Just("null"), Just("\"channel_join\""), Just("\"channel_leave\""), Just("3"), Just("\"x y\"")],
        inviter in prop_oneof![Just("null"), Just("\"U01ROSA\""), Just("{}")],
    ) {
        let (_p, plan) = fuzz_plan();
        let day = format!(r#"[{{"type": "message", "user": {user}, "ts": {ts}, "subtype": {subtype}, "inviter": {inviter}, "user_profile": {user}}}, 1, null, []]"#);
        let users = format!(r#"[{{"id": {user}, "real_name": {user}, "profile": {user}, "is_bot": {user}}}, 2]"#);
        run(&plan, &zip_of(&[("users.json".into(), users.into_bytes()), ("general/2016-01-17.json".into(), day.clone().into_bytes())]));
        run(&plan, day.as_bytes());
    }
}
