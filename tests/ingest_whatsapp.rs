//! The WhatsApp chat export reader on fixtures shaped like real exports (tests/fixtures/whatsapp):
//! one fixture per phone-locale variant and per quirk of FORMATS.md.

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, Ingested, Input, Sink};
use turnout::schema::{Event, Precision, Tool};
use turnout::timeutil::iso;

fn fixtures() -> std::path::PathBuf {
    common::repo().join("tests/fixtures/whatsapp")
}

fn plan_at(project: &common::Project, root: &Path, sources: &str) -> config::Plan {
    let toml = format!(
        r#"[pipeline]
name = "fixtures"
timezone = "America/Chicago"
default_region = "US"
root = "{}"

{sources}

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

/// One whatsapp source over `path` (relative to the fixtures), with extra keys.
fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"chats\"\ntool = \"whatsapp\"\npath = \"{path}\"\n{extra}\n")
}

fn ingest_fixture(path: &str, extra: &str) -> Ingested {
    let project = common::Project::empty();
    let plan = plan_at(&project, &fixtures(), &source(path, extra));
    ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"))
}

/// `origin action who ts` for compact, exact comparisons.
fn show(e: &Event) -> String {
    let who = match (&e.name, &e.phone) {
        (Some(n), None) => format!("name={n}"),
        (None, Some(p)) => format!("phone={p}"),
        other => format!("BOTH OR NEITHER {other:?}"),
    };
    format!("{} {} {} {}", e.origin, e.action, who, iso(e.ts))
}

fn shown(out: &Ingested) -> Vec<String> {
    out.events.iter().map(show).collect()
}

fn stats(out: &Ingested) -> (u64, u64, u64, u64) {
    let f = &out.files[0];
    (f.rows, f.events, f.skipped, f.quarantined)
}

fn note<'a>(out: &'a Ingested, key: &str) -> &'a str {
    out.files[0]
        .notes
        .get(key)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no note {key:?}: {:?}", out.files[0].notes))
}

fn all_context(out: &Ingested, ctx: &str) {
    for e in &out.events {
        assert_eq!(e.context.as_deref(), Some(ctx), "{}", show(e));
        assert_eq!(e.occasion, None);
        assert_eq!(e.tool, Tool::Whatsapp);
        assert_eq!(e.source, "chats");
    }
}

#[test]
fn android_12h_us_with_system_lines_media_and_dst() {
    let f = "WhatsApp Chat with Store 12 Crew.txt";
    let out = ingest_fixture(f, "organizers = [\"Dana (organizer)\"]");
    assert_eq!(
        shown(&out),
        [
            "2 group_joined name=Dana (organizer) 2018-03-06T19:55:00Z",
            "3 group_added name=Rosa Martinez 2018-03-06T19:56:00Z",
            "3 group_added name=Bob K 2018-03-06T19:56:00Z",
            "3 group_added phone=+1 (312) 555-0142 2018-03-06T19:56:00Z",
            "4 message_sent name=Dana (organizer) 2018-03-06T19:58:00Z",
            "6 message_sent name=Rosa Martinez 2018-03-06T20:03:00Z",
            "7 message_sent phone=+1 (312) 555-0142 2018-03-07T15:15:00Z",
            "8 message_sent name=Bob K 2018-03-07T15:20:00Z",
            "9 group_joined name=Lupe 2018-03-07T18:30:00Z",
            "10 group_left name=Bob K 2018-03-08T06:05:00Z",
            // after the switch to daylight time on March 11: UTC-5
            "12 group_left name=Lupe 2018-03-13T15:01:00Z",
            "13 message_sent name=Rosa Martinez 2018-03-13T15:02:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Store 12 Crew");
    assert!(out.events.iter().all(|e| e.precision == Precision::Minute));
    let organizers: Vec<u64> = out.events.iter().filter(|e| e.organizer).map(|e| origin_line(e)).collect();
    assert_eq!(organizers, vec![2, 4]);
    // rows: 12 timestamped lines; skipped: the encryption notice and the icon change
    assert_eq!(stats(&out), (12, 12, 2, 0));
    assert_eq!(note(&out, "media"), "1");
    assert_eq!(note(&out, "deleted"), "1");
    assert_eq!(
        note(&out, "system"),
        "events: created 1, added 1, joined 1, left 1, removed 1; skipped: encryption 1, icon 1"
    );
    assert_eq!(
        note(&out, "date_order"),
        "mdy: 1 date(s) have a second field above 12, so it must be the day"
    );
    assert_eq!(note(&out, "format"), "android \"M/D/YY, H:MM AM - \" (12-hour clock)");
    assert_eq!(note(&out, "group"), "from the file name");
    assert_eq!(note(&out, "encoding"), "UTF-8");
    // sub-events of one line have distinct ids
    let ids: HashSet<u64> = out.events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), out.events.len());
}

fn origin_line(e: &Event) -> u64 {
    e.origin.line
}

#[test]
fn android_24h_european_german_system_lines() {
    let f = "WhatsApp-Chat mit Lager Nord.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/Berlin\"");
    assert_eq!(
        shown(&out),
        [
            "2 group_joined name=Jana 2018-06-13T19:25:00Z",
            "3 group_added name=Murat 2018-06-13T19:26:00Z",
            "3 group_added name=Eva 2018-06-13T19:26:00Z",
            "3 group_added name=Olek 2018-06-13T19:26:00Z",
            "4 message_sent name=Jana 2018-06-13T19:30:00Z",
            "5 message_sent name=Murat 2018-06-14T05:02:00Z",
            "6 group_joined name=Kai 2018-06-14T06:15:00Z",
            "7 group_left name=Olek 2018-06-15T17:40:00Z",
            "8 group_left name=Kai 2018-06-16T08:00:00Z",
            "11 message_sent name=Eva 2018-06-16T08:07:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Lager Nord");
    assert_eq!(stats(&out), (11, 10, 3, 0));
    assert_eq!(
        note(&out, "system"),
        "events: created 1, added 1, joined 1, left 1, removed 1; skipped: encryption 1, subject 1, exporter 1"
    );
    assert_eq!(note(&out, "media"), "1");
    assert_eq!(note(&out, "deleted"), "1");
    assert_eq!(
        note(&out, "date_order"),
        "dmy: 4 date(s) have a first field above 12, so it must be the day"
    );
    assert_eq!(note(&out, "format"), "android \"D.M.YY, H:MM - \" (24-hour clock)");
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const NIGHT_SHIFT: [&str; 10] = [
    "2 group_joined name=Dana 2018-03-06T18:55:12Z",
    "3 group_added name=Rosa Martinez 2018-03-06T18:55:40Z",
    "3 group_added name=~\u{202f}Kim 🌻 2018-03-06T18:55:40Z",
    "4 message_sent name=Dana 2018-03-06T18:57:03Z",
    "6 message_sent name=~\u{202f}Kim 🌻 2018-03-06T19:01:44Z",
    "7 message_sent name=Rosa Martinez 2018-03-06T19:02:10Z",
    "8 message_sent name=Rosa Martinez 2018-03-06T19:02:15Z",
    "10 group_joined name=Lupe 2018-03-14T12:00:05Z",
    "12 group_left name=Rosa Martinez 2018-03-15T23:45:30Z",
    "13 message_sent name=Dana 2018-03-15T23:46:02Z",
];

fn check_night_shift(out: &Ingested, origin_prefix: &str) {
    assert_eq!(shown(out), NIGHT_SHIFT.map(|s| format!("{origin_prefix}:{s}")));
    all_context(out, "Night Shift");
    assert!(out.events.iter().all(|e| e.precision == Precision::Second));
    // skipped: encryption, subject change, and one notice in no known wording
    assert_eq!(stats(out), (12, 10, 3, 0));
    assert_eq!(note(out, "media"), "2");
    assert_eq!(note(out, "deleted"), "1");
    assert_eq!(
        note(out, "system"),
        "events: created 1, added 1, joined 1, left 1; skipped: encryption 1, subject 1"
    );
    assert_eq!(
        note(out, "system_unrecognised"),
        "1 system line(s) in no known wording were skipped (lines 11)"
    );
    assert_eq!(note(out, "format"), "ios \"[M/D/YY, H:MM:SS AM] \" (12-hour clock)");
}

#[test]
fn ios_with_seconds_lrm_system_lines_and_narrow_spaces_unzipped_folder() {
    let out = ingest_fixture("WhatsApp Chat - Night Shift/_chat.txt", "timezone = \"America/New_York\"");
    check_night_shift(&out, "WhatsApp Chat - Night Shift/_chat.txt");
    assert_eq!(note(&out, "group"), "from the folder name");
}

#[test]
fn ios_zip_reads_only_the_chat_member_and_names_the_group_after_the_zip() {
    let project = common::Project::empty();
    let chat = std::fs::read(fixtures().join("WhatsApp Chat - Night Shift/_chat.txt")).unwrap();
    let zip = zip_of(&[
        ("_chat.txt", &chat),
        ("00000012-PHOTO-2018-03-06-14-02-15.jpg", b"\xff\xd8\xff\xe0 not really a jpeg"),
    ]);
    project.write("data/WhatsApp Chat - Night Shift.zip", zip);
    let plan = plan_at(&project, project.path(), &source("data/*.zip", "timezone = \"America/New_York\""));
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.files.len(), 1, "only _chat.txt is read");
    check_night_shift(&out, "data/WhatsApp Chat - Night Shift.zip!_chat.txt");
    assert_eq!(note(&out, "group"), "from the zip archive's name");
    assert!(ingest::preflight(&plan).is_empty());
}

#[test]
fn a_text_document_sent_in_the_chat_is_skipped_not_an_error() {
    let project = common::Project::empty();
    let chat = std::fs::read(fixtures().join("WhatsApp Chat with Store 12 Crew.txt")).unwrap();
    let zip = zip_of(&[
        ("WhatsApp Chat with Store 12 Crew.txt", &chat),
        ("Agenda.txt", b"1. Sign-in\n2. Updates from the stores\n"),
        ("IMG-20180306-WA0000.jpg", b"\xff\xd8\xff\xe0"),
    ]);
    project.write("data/WhatsApp Chat with Store 12 Crew.zip", zip);
    let plan = plan_at(&project, project.path(), &source("data/*.zip", ""));
    assert!(ingest::preflight(&plan).is_empty());
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<&str> = out.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "data/WhatsApp Chat with Store 12 Crew.zip!Agenda.txt",
            "data/WhatsApp Chat with Store 12 Crew.zip!WhatsApp Chat with Store 12 Crew.txt"
        ]
    );
    assert_eq!(out.files[0].events, 0);
    assert!(out.files[0].notes["skipped"].contains("no WhatsApp messages"));
    assert_eq!(out.events.len(), 12);
    assert!(out.events.iter().all(|e| e.context.as_deref() == Some("Store 12 Crew")));
    // a chat member that holds no messages is still an error
    let zip = zip_of(&[("_chat.txt", b"hello\n")]);
    project.write("bad/WhatsApp Chat - X.zip", zip);
    let plan = plan_at(&project, project.path(), &source("bad/*.zip", ""));
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("bad/WhatsApp Chat - X.zip!_chat.txt:1:1"), "{err}");
}

#[test]
fn finnish_klo_with_dotted_times_and_group_from_the_pipeline() {
    let f = "WhatsApp Chat with Kahvila.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/Helsinki\"\ngroup = \"Kahvila Helsinki\"");
    assert_eq!(
        shown(&out),
        [
            "1 message_sent name=Aino 2018-06-13T18:25:15Z",
            "2 message_sent name=Mikko 2018-06-13T18:26:02Z",
            "4 message_sent name=Ville 2018-06-14T05:05:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Kahvila Helsinki");
    assert_eq!(note(&out, "group"), "set by group in the pipeline");
    // a Finnish notice is in no known wording: skipped and reported, not a message from "Aino lisäsi Villen"
    assert_eq!(stats(&out), (4, 3, 1, 0));
    assert_eq!(
        note(&out, "system_unrecognised"),
        "1 system line(s) in no known wording were skipped (lines 3)"
    );
    assert_eq!(note(&out, "format"), "android \"D.M.YYYY klo H.MM.SS - \" (24-hour clock)");
    assert!(out.events.iter().all(|e| e.precision == Precision::Second));
}

#[test]
fn spaced_dotted_dates_with_a_trailing_dot() {
    let f = "WhatsApp Chat with Sindikat.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/Zagreb\"");
    assert_eq!(
        shown(&out),
        [
            "1 message_sent name=Ana 2018-06-13T19:25:15Z",
            "2 message_sent name=Ivo 2018-06-13T19:26:00Z",
            "3 message_sent name=Ana 2018-06-14T07:00:30Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    assert_eq!(note(&out, "format"), "android \"D. M. YYYY. H:MM:SS - \" (24-hour clock)");
    assert!(note(&out, "date_order").starts_with("dmy: "));
}

#[test]
fn year_first_bracketed_ignores_a_contradicting_date_order() {
    let f = "WhatsApp Chat - Tokyo Crew.txt";
    let out = ingest_fixture(f, "timezone = \"Asia/Tokyo\"\ndate_order = \"mdy\"");
    assert_eq!(
        shown(&out),
        [
            "2 message_sent name=Mei 2018-06-13T12:25:40Z",
            "3 message_sent name=Ken 2018-06-14T00:00:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Tokyo Crew");
    assert_eq!(
        note(&out, "date_order"),
        "ymd: the year comes first (date_order = \"mdy\" ignored: a four-digit first field is the year)"
    );
    assert_eq!(note(&out, "format"), "ios \"[YYYY/M/D, H:MM:SS] \" (24-hour clock)");
    assert_eq!(stats(&out), (3, 2, 1, 0));
}

#[test]
fn year_first_without_a_comma() {
    let f = "WhatsApp Chat with Lager Syd.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/Stockholm\"");
    assert_eq!(
        shown(&out),
        [
            "1 message_sent name=Sven 2019-01-01T11:00:00Z",
            "2 message_sent name=Greta 2019-01-01T11:03:00Z",
            "3 message_sent name=Sven 2019-01-02T07:15:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    assert_eq!(note(&out, "date_order"), "ymd: the year comes first");
    assert_eq!(note(&out, "format"), "android \"YYYY-M-D H:MM - \" (24-hour clock)");
}

#[test]
fn spanish_system_lines_with_p_m_and_no_break_spaces() {
    let f = "Chat de WhatsApp con Tienda 4.txt";
    let out = ingest_fixture(f, "timezone = \"America/Mexico_City\"");
    assert_eq!(
        shown(&out),
        [
            "2 group_joined name=Carmen 2022-02-01T16:02:00Z",
            "3 group_added name=Luis 2022-02-01T16:03:00Z",
            "3 group_added name=Ana 2022-02-01T16:03:00Z",
            "3 group_added phone=+52 1 55 1234 5678 2022-02-01T16:03:00Z",
            "4 message_sent name=Carmen 2022-02-01T16:05:00Z",
            "5 message_sent name=Luis 2022-02-15T21:45:00Z",
            "6 message_sent name=Ana 2022-02-15T21:50:00Z",
            "7 group_joined name=Pedro 2022-02-15T23:05:00Z",
            "8 group_left name=Luis 2022-02-17T02:00:00Z",
            "9 group_left name=Pedro 2022-02-17T02:10:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Tienda 4");
    assert_eq!(stats(&out), (11, 10, 3, 0));
    assert_eq!(
        note(&out, "system"),
        "events: created 1, added 1, joined 1, left 1, removed 1; skipped: encryption 1, subject 1, exporter 1"
    );
    assert_eq!(note(&out, "media"), "1");
    assert_eq!(note(&out, "deleted"), "1");
    assert_eq!(note(&out, "format"), "android \"D/M/YY H:MM AM - \" (12-hour clock)");
}

#[test]
fn portuguese_system_lines() {
    let f = "Conversa do WhatsApp com Loja 7.txt";
    let out = ingest_fixture(f, "timezone = \"America/Sao_Paulo\"");
    assert_eq!(
        shown(&out),
        [
            "2 group_joined name=Joana 2018-06-14T00:25:00Z",
            "3 group_added name=Paulo 2018-06-14T00:26:00Z",
            "3 group_added name=Rita 2018-06-14T00:26:00Z",
            "3 group_added name=Tiago 2018-06-14T00:26:00Z",
            "4 message_sent name=Joana 2018-06-14T00:30:00Z",
            "5 message_sent name=Paulo 2018-06-14T11:00:00Z",
            "6 group_joined name=Bia 2018-06-14T12:12:00Z",
            "7 group_left name=Tiago 2018-06-15T21:45:00Z",
            "8 group_left name=Bia 2018-06-16T13:00:00Z",
            "11 message_sent name=Rita 2018-06-16T13:03:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Loja 7");
    assert_eq!(stats(&out), (11, 10, 3, 0));
    assert_eq!(
        note(&out, "system"),
        "events: created 1, added 1, joined 1, left 1, removed 1; skipped: encryption 1, icon 1, exporter 1"
    );
    assert_eq!(note(&out, "media"), "1");
    assert_eq!(note(&out, "deleted"), "1");
}

#[test]
fn french_system_lines_and_the_a_before_the_time() {
    let f = "Discussion WhatsApp avec Atelier.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/Paris\"");
    assert_eq!(
        shown(&out),
        [
            "2 group_joined name=Claire 2018-06-13T19:25:00Z",
            "3 group_added name=Hugo 2018-06-13T19:26:00Z",
            "3 group_added name=Léa 2018-06-13T19:26:00Z",
            "3 group_added name=Sami 2018-06-13T19:26:00Z",
            "4 message_sent name=Claire 2018-06-13T19:30:00Z",
            "5 message_sent name=Hugo 2018-06-14T06:00:00Z",
            "6 group_joined name=Nora 2018-06-14T07:12:00Z",
            "7 group_left name=Sami 2018-06-15T16:45:00Z",
            "8 group_left name=Nora 2018-06-16T08:00:00Z",
            "11 message_sent name=Léa 2018-06-16T08:03:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Atelier");
    assert_eq!(stats(&out), (11, 10, 3, 0));
    assert_eq!(
        note(&out, "system"),
        "events: created 1, added 1, joined 1, left 1, removed 1; skipped: encryption 1, description 1, exporter 1"
    );
    assert_eq!(note(&out, "format"), "android \"D/M/YYYY à H:MM - \" (24-hour clock)");
}

#[test]
fn multi_line_messages_with_date_like_continuation_lines() {
    let f = "WhatsApp Chat with Agenda.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/London\"");
    // "1. Sign-in", "12/05 meeting moved", "14/06/2018 18:00 - doors open" (another shape),
    // "13/06/2018, 25:00 - …" (no such time) and an iOS-shaped line all stay message text.
    assert_eq!(
        shown(&out),
        [
            "1 message_sent name=Dana 2018-06-13T08:00:00Z",
            "10 message_sent name=Rosa 2018-06-13T08:05:00Z",
            "11 message_sent name=Rosa 2018-06-13T08:06:00Z",
            "13 message_sent name=Bob 2018-06-13T08:10:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    assert_eq!(stats(&out), (4, 4, 0, 0));
    assert_eq!(
        note(&out, "timestamp_like_text"),
        "3 line(s) start like a timestamp of another shape or an impossible date and were read as message text"
    );
    assert_eq!(note(&out, "system"), "events: none; skipped: none");
}

#[test]
fn out_of_order_lines_keep_their_own_times() {
    let f = "WhatsApp Chat with Late Shift.txt";
    let out = ingest_fixture(f, "");
    assert_eq!(
        shown(&out),
        [
            "1 message_sent name=Dana 2018-06-06T01:00:00Z",
            "2 message_sent name=Rosa 2018-06-06T13:10:00Z",
            "3 message_sent name=Bob 2018-06-05T03:00:00Z",
            "4 message_sent name=Dana 2018-06-07T14:00:00Z",
            "5 message_sent name=Rosa 2018-06-08T14:30:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    assert_eq!(
        note(&out, "date_order"),
        "dmy: the first field changes more often (4 vs 0 times), like a day"
    );
}

/// Runs the parser alone on one fixture file of `plan`'s first source (no ingest-level steps).
fn parse_fixture(plan: &config::Plan, rel: &str) -> Sink {
    let parser = ingest::parser_for(Tool::Whatsapp).unwrap();
    let source = &plan.sources[0];
    let path = fixtures().join(rel);
    let bytes = std::fs::read(&path).unwrap();
    let input = Input {
        plan,
        source,
        path: &path,
        shown: rel.to_string(),
        bytes: &bytes,
    };
    let mut sink = Sink::new(source, rel, &bytes);
    parser.parse(&input, &mut sink).unwrap_or_else(|d| panic!("{d}"));
    sink
}

#[test]
fn crlf_and_bom_read_like_lf_with_the_same_ids() {
    let project = common::Project::empty();
    let plan = plan_at(&project, &fixtures(), &source("*/WhatsApp Chat with Crew.txt", ""));
    let crlf = parse_fixture(&plan, "crlf/WhatsApp Chat with Crew.txt");
    let lf = parse_fixture(&plan, "lf/WhatsApp Chat with Crew.txt");
    assert_eq!(crlf.stats.notes["encoding"], "UTF-8 (BOM)");
    assert_eq!(lf.stats.notes["encoding"], "UTF-8");
    for (sink, d) in [(&crlf, "crlf"), (&lf, "lf")] {
        assert_eq!(
            sink.events.iter().map(show).collect::<Vec<_>>(),
            [
                "1 message_sent name=Dana 2019-01-01T05:58:00Z",
                "4 message_sent name=Rosa 2019-01-01T05:59:00Z",
                "5 message_sent name=Bob 2019-01-01T06:01:00Z",
            ]
            .map(|s| format!("{d}/WhatsApp Chat with Crew.txt:{s}"))
        );
    }
    // the same messages, whatever the line endings and the BOM: the same content ids...
    let ids = |s: &Sink| s.events.iter().map(|e| e.event_id).collect::<Vec<_>>();
    assert_eq!(ids(&crlf), ids(&lf));
    assert_eq!(ids(&crlf).iter().collect::<HashSet<_>>().len(), 3);
    // ...so ingest keeps each once per source
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(out.events.len(), 3);
    assert_eq!(out.files[1].skipped, 3);
}

#[test]
fn unsaved_contacts_are_phone_identifiers() {
    let f = "WhatsApp Chat with Phones.txt";
    let out = ingest_fixture(f, "organizers = [\"Dana (organizer)\", \"+1 312 555 0142\"]");
    assert_eq!(
        shown(&out),
        [
            "1 group_joined phone=+1 (312) 555-0142 2024-03-20T23:01:00Z",
            "2 message_sent phone=+1 (312) 555-0142 2024-03-20T23:02:00Z",
            // the bidi marks around the number are dropped
            "3 message_sent phone=+44 7123 456789 2024-03-20T23:05:00Z",
            "4 message_sent name=Dana (organizer) 2024-03-20T23:06:00Z",
            "5 group_added phone=+52 1 55 1234 5678 2024-03-20T23:07:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    // organizers match by phone (normalised) and by name
    let org: Vec<u64> = out.events.iter().filter(|e| e.organizer).map(origin_line).collect();
    assert_eq!(org, vec![1, 2, 4]);
}

#[test]
fn push_names_with_emoji_are_kept_as_written() {
    let f = "WhatsApp Chat - Store 9.txt";
    let out = ingest_fixture(f, "timezone = \"Europe/London\"");
    assert_eq!(
        shown(&out),
        [
            "2 group_joined name=~\u{202f}Kim 🌻 2024-03-20T18:01:30Z",
            "3 message_sent name=~\u{202f}Kim 🌻 2024-03-20T18:02:00Z",
            "4 message_sent name=~\u{202f}✨Luz✨ 2024-03-20T18:03:15Z",
            "5 message_sent name=María José 🇲🇽 2024-03-20T18:04:00Z",
        ]
        .map(|s| format!("{f}:{s}"))
    );
    all_context(&out, "Store 9");
    // identity strips the push-name prefix: the notice and the messages name one person
    let n = turnout::identity::normalize::name(out.events[0].name.as_deref().unwrap());
    assert_eq!(n, turnout::identity::normalize::name(out.events[1].name.as_deref().unwrap()));
    assert!(!n.contains('~'), "{n}");
}

#[test]
fn an_ambiguous_file_is_an_error_saying_how_to_set_date_order() {
    let project = common::Project::empty();
    let plan = plan_at(&project, &fixtures(), &source("WhatsApp Chat with Tiny Group.txt", ""));
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("WhatsApp Chat with Tiny Group.txt:1:1"), "{err}");
    assert!(err.contains("day/month or month/day"), "{err}");
    assert!(
        err.contains("date_order = \\\"dmy\\\"") || err.contains("date_order = \"dmy\""),
        "{err}"
    );
    assert!(err.contains("source \"chats\""), "{err}");
    // no personal data in the message
    assert!(!err.contains("Dana") && !err.contains("Meeting"), "{err}");

    // with the order set, the same file reads, either way, and the note says who decided
    let out = ingest_fixture("WhatsApp Chat with Tiny Group.txt", "date_order = \"dmy\"");
    assert_eq!(
        out.events.iter().map(|e| iso(e.ts)).collect::<Vec<_>>(),
        ["2018-06-03T18:55:00Z", "2018-06-03T18:57:00Z"]
    );
    assert_eq!(note(&out, "date_order"), "dmy: set by date_order in the pipeline");
    let out = ingest_fixture("WhatsApp Chat with Tiny Group.txt", "date_order = \"mdy\"");
    assert_eq!(
        out.events.iter().map(|e| iso(e.ts)).collect::<Vec<_>>(),
        ["2018-03-06T19:55:00Z", "2018-03-06T19:57:00Z"]
    );
}

#[test]
fn a_date_order_that_makes_impossible_dates_is_an_error() {
    let project = common::Project::empty();
    let plan = plan_at(
        &project,
        &fixtures(),
        &source("WhatsApp Chat with Store 12 Crew.txt", "date_order = \"dmy\""),
    );
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("WhatsApp Chat with Store 12 Crew.txt:11:1"), "{err}");
    assert!(err.contains("not valid dates when read as dmy"), "{err}");
}

#[test]
fn the_same_chat_exported_twice_overlapping_never_counts_a_message_twice() {
    let project = common::Project::empty();
    let plan = plan_at(&project, &fixtures(), &source("overlap/*.txt", ""));
    let first = parse_fixture(&plan, "overlap/WhatsApp Chat with Store 12.txt");
    let second = parse_fixture(&plan, "overlap/WhatsApp Chat with Store 12 (1).txt");
    // the first export holds one exact repeat of a line further up (line 7): skipped in the file
    assert_eq!(first.events.len(), 5);
    assert_eq!((first.stats.rows, first.stats.events, first.stats.skipped), (6, 5, 1));
    assert_eq!(
        first.stats.notes["duplicates_in_file"],
        "1 event(s) repeat an earlier one of this file exactly (same person, time and text) and were skipped"
    );
    assert_eq!(second.events.len(), 6);
    // both files name the same group (the browser's " (1)" is not part of it)
    assert!(first
        .events
        .iter()
        .chain(&second.events)
        .all(|e| e.context.as_deref() == Some("Store 12")));
    // the overlap (Rosa's two-line message, Bob, Lupe's join and Lupe's message) has equal ids
    let a: HashSet<u64> = first.events.iter().map(|e| e.event_id).collect();
    let shared: Vec<String> = second.events.iter().filter(|e| a.contains(&e.event_id)).map(show).collect();
    assert_eq!(
        shared,
        [
            "1 message_sent name=Rosa 2018-03-07T15:15:00Z",
            "3 message_sent name=Bob 2018-03-07T15:16:00Z",
            "4 group_joined name=Lupe 2018-03-13T15:00:00Z",
            "5 message_sent name=Lupe 2018-03-13T15:05:00Z",
        ]
        .map(|s| format!("overlap/WhatsApp Chat with Store 12 (1).txt:{s}"))
    );
    // ingest keeps one event per id and source: 7 distinct records in all
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(out.events.len(), 7);
    let ids: HashSet<u64> = out.events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 7);
}

#[test]
fn identical_messages_in_one_minute_stay_distinct_but_a_pasted_repeat_does_not() {
    // three photos in one minute, then the whole chat pasted again below itself
    let chat = "3/13/18, 10:05 AM - Lupe: <Media omitted>\n\
                3/13/18, 10:05 AM - Rosa: nice\n\
                3/13/18, 10:05 AM - Lupe: <Media omitted>\n\
                3/13/18, 10:05 AM - Lupe: <Media omitted>\n\
                3/13/18, 10:06 AM - Lupe: <Media omitted>\n";
    let project = common::Project::empty();
    project.write("chats/WhatsApp Chat with Store 12.txt", format!("{chat}{chat}"));
    let plan = plan_at(&project, project.path(), &source("chats/*.txt", ""));
    let out = ingest::ingest(&plan).unwrap();
    let lines: Vec<u64> = out.events.iter().map(origin_line).collect();
    assert_eq!(lines, vec![1, 2, 3, 4, 5]);
    assert_eq!(note(&out, "media"), "8");
    assert!(note(&out, "duplicates_in_file").starts_with("5 event(s)"));
    assert_eq!(stats(&out), (10, 5, 5, 0));
}

#[test]
fn local_times_in_the_dst_gap_and_overlap_follow_timeutil() {
    // Chicago: 2:30 AM on 2018-03-11 does not exist (moved to 3:00 CDT); 1:30 AM on 2018-11-04
    // happens twice (the earlier, CDT, is taken); the hours around them use the cached offset.
    let chat = "3/10/18, 11:59 PM - Rosa: before\n\
                3/11/18, 2:30 AM - Rosa: in the gap\n\
                3/11/18, 3:01 AM - Rosa: after\n\
                11/4/18, 12:59 AM - Bob: before\n\
                11/4/18, 1:30 AM - Bob: twice\n\
                11/4/18, 2:00 AM - Bob: after\n\
                11/13/18, 9:00 AM - Bob: later\n";
    let project = common::Project::empty();
    project.write("chats/WhatsApp Chat with DST.txt", chat);
    let plan = plan_at(&project, project.path(), &source("chats/*.txt", ""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(
        out.events.iter().map(|e| iso(e.ts)).collect::<Vec<_>>(),
        [
            "2018-03-11T05:59:00Z",
            "2018-03-11T08:00:00Z",
            "2018-03-11T08:01:00Z",
            "2018-11-04T05:59:00Z",
            "2018-11-04T06:30:00Z",
            "2018-11-04T08:00:00Z",
            "2018-11-13T15:00:00Z",
        ]
    );
}

#[test]
fn an_export_re_saved_as_windows_1252_is_decoded_and_said_so() {
    let chat = b"13/06/2018, 21:25 - Jos\xe9: Hola a todos\n14/06/2018, 08:00 - Zo\xeb: Hallo\n";
    let project = common::Project::empty();
    project.write("chats/WhatsApp Chat with Tienda.txt", chat);
    let plan = plan_at(&project, project.path(), &source("chats/*.txt", ""));
    let out = ingest::ingest(&plan).unwrap();
    let names: Vec<&str> = out.events.iter().map(|e| e.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["José", "Zoë"]);
    assert_eq!(note(&out, "encoding"), "windows-1252");
}

#[test]
fn ids_depend_on_the_source_and_the_text() {
    let project = common::Project::empty();
    let two = format!(
        "{}\n[[source]]\nname = \"other\"\ntool = \"whatsapp\"\npath = \"lf/WhatsApp Chat with Crew.txt\"\n",
        source("lf/WhatsApp Chat with Crew.txt", "")
    );
    let plan = plan_at(&project, &fixtures(), &two);
    let out = ingest::ingest(&plan).unwrap();
    let (a, b) = out.events.split_at(3);
    for (x, y) in a.iter().zip(b) {
        assert_ne!(x.event_id, y.event_id, "the source name is part of the id");
    }
    // and a second run gives the same ids
    let again = ingest::ingest(&plan).unwrap();
    assert_eq!(
        out.events.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        again.events.iter().map(|e| e.event_id).collect::<Vec<_>>()
    );
}

#[test]
fn a_file_that_is_not_an_export_is_an_error_and_a_preflight_problem() {
    let project = common::Project::empty();
    let plan = plan_at(&project, &fixtures(), &source("not-whatsapp.csv", ""));
    let problems = ingest::preflight(&plan);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].to_string().contains("not a WhatsApp chat export"), "{}", problems[0]);
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("not-whatsapp.csv:1:1"), "{err}");
    assert!(!err.contains("Rosa") && !err.contains("312"), "{err}");
}

#[test]
fn text_before_the_first_message_is_quarantined_once() {
    let project = common::Project::empty();
    let mut text = b"Exported by Dana\nfor the organizing committee\n\n".to_vec();
    text.extend(std::fs::read(fixtures().join("WhatsApp Chat with Store 12 Crew.txt")).unwrap());
    project.write("chats/WhatsApp Chat with Store 12 Crew.txt", text);
    let plan = plan_at(&project, project.path(), &source("chats/*.txt", ""));
    let out = ingest::ingest(&plan).unwrap();
    let q: Vec<(u64, &str)> = out.quarantine.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(q, vec![(1, "no_timestamp")]);
    assert!(!out.quarantine[0].detail.contains("Dana"));
    assert_eq!(stats(&out), (13, 12, 2, 1));
    assert_eq!(out.events[0].origin, "chats/WhatsApp Chat with Store 12 Crew.txt:5");
}

#[test]
fn validation_refuses_keys_the_tool_does_not_read() {
    let project = common::Project::empty();
    let toml = format!(
        "[pipeline]\nname = \"x\"\ntimezone = \"UTC\"\nroot = \"{}\"\n\n{}ts_format = \"%d\"\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{{ name = \"a\", when = {{ action = \"message_sent\" }} }}]\n",
        fixtures().display(),
        source("WhatsApp Chat with Lager Syd.txt", "")
    );
    let p = project.write("pipelines/x.toml", toml);
    let err = config::load(&p).unwrap_err().to_string();
    assert!(err.contains("key \"ts_format\" is not read by tool \"whatsapp\""), "{err}");
    assert!(err.contains("date_order, group"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Never panic

fn fuzz_plan() -> (common::Project, config::Plan) {
    let project = common::Project::empty();
    let plan = plan_at(&project, &fixtures(), &source("WhatsApp Chat with Lager Syd.txt", ""));
    (project, plan)
}

/// Runs the parser directly on `bytes`: it must return (events or a diagnostic), never panic,
/// and every event must be well-formed.
fn parse_bytes(plan: &config::Plan, name: &str, bytes: &[u8]) {
    let parser = ingest::parser_for(Tool::Whatsapp).unwrap();
    let source = &plan.sources[0];
    let path = plan.root.join(name);
    let input = Input {
        plan,
        source,
        path: &path,
        shown: name.to_string(),
        bytes,
    };
    let mut sink = Sink::new(source, name, bytes);
    let _ = parser.preflight(&input);
    if parser.parse(&input, &mut sink).is_ok() {
        for e in &sink.events {
            assert!(e.name.is_some() != e.phone.is_some(), "{e:?}");
            assert!(e.origin.to_string().starts_with(name));
        }
        assert_eq!(sink.stats.events as usize, sink.events.len());
    }
}

fn fixture_texts() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(std::fs::read(p).unwrap());
            }
        }
    }
    out.sort();
    out
}

const TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "/",
    ".",
    "-",
    ":",
    ", ",
    " - ",
    "] ",
    "[",
    "12",
    "31",
    "2018",
    "\u{200e}",
    "\u{feff}",
    "\u{202f}",
    "\u{a0}",
    " PM",
    " p. m.",
    " klo ",
    " à ",
    ": ",
    " added ",
    " left",
    " joined",
    "~ ",
    "+1 (312) 555-0142",
    "\"",
    "“",
    "\u{202a}",
    "\u{2013}",
];

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, usize),
    Delete(usize, usize),
    DupLine(usize),
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = b.len().max(1);
        match *e {
            Edit::Flip(i, v) => {
                if !b.is_empty() {
                    let i = i % n;
                    b[i] ^= v;
                }
            }
            Edit::Insert(i, t) => {
                let i = i % (b.len() + 1);
                let tok = TOKENS[t % TOKENS.len()].as_bytes();
                b.splice(i..i, tok.iter().copied());
            }
            Edit::Delete(i, len) => {
                let i = i % n;
                let j = (i + len % 16).min(b.len());
                if i < j {
                    b.drain(i..j);
                }
            }
            Edit::DupLine(i) => {
                let i = i % n;
                let start = b[..i.min(b.len())].iter().rposition(|&c| c == b'\n').map(|p| p + 1).unwrap_or(0);
                let end = b[start..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map(|p| start + p + 1)
                    .unwrap_or(b.len());
                let line = b[start..end].to_vec();
                b.splice(end..end, line);
            }
        }
    }
    b
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, v)| Edit::Flip(i, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, l)| Edit::Delete(i, l)),
        any::<usize>().prop_map(Edit::DupLine),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let (_p, plan) = fuzz_plan();
        parse_bytes(&plan, "WhatsApp Chat with X.txt", &bytes);
    }

    #[test]
    fn timestamp_shaped_noise_never_panics(parts in proptest::collection::vec(0usize..TOKENS.len(), 0..80)) {
        let (_p, plan) = fuzz_plan();
        let text: String = parts.iter().map(|&i| TOKENS[i]).collect();
        parse_bytes(&plan, "_chat.txt", text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(which in any::<usize>(), edits in proptest::collection::vec(edit(), 1..12)) {
        let (_p, plan) = fuzz_plan();
        let texts = fixture_texts();
        let base = texts[which % texts.len()].clone();
        parse_bytes(&plan, "WhatsApp Chat - Fuzz (2).txt", &apply(base, &edits));
    }
}
