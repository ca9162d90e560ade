//! The Mailchimp audience reader on hand-written exports shaped like Mailchimp's
//! (tests/fixtures/mailchimp): the subscribed, unsubscribed, cleaned and non-subscribed CSVs, on
//! their own and zipped together as "Export Audience" delivers them.

mod common;

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use turnout::config::{self, Plan};
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Action, Channel, Precision, Tool};
use turnout::timeutil::iso;

const SUBSCRIBED: &str = "subscribed_members_export_3f2a1b9c0d.csv";
const UNSUBSCRIBED: &str = "unsubscribed_members_export_3f2a1b9c0d.csv";
const CLEANED: &str = "cleaned_members_export_3f2a1b9c0d.csv";
const NONSUBSCRIBED: &str = "nonsubscribed_members_export_3f2a1b9c0d.csv";

fn fixtures() -> std::path::PathBuf {
    common::repo().join("tests/fixtures/mailchimp")
}

fn plan_at(project: &common::Project, root: &Path, sources: &str) -> Plan {
    let toml = format!(
        r#"[pipeline]
name = "fixtures"
timezone = "America/Chicago"
root = "{}"
attributes = ["worksite"]

{sources}

[[funnel]]
name = "f"
window = "30d"
stages = [{{ name = "a", when = {{ action = "email_subscribed" }} }}]
"#,
        root.display()
    );
    let p = project.write("pipelines/fixtures.toml", toml);
    config::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

fn plan(project: &common::Project, sources: &str) -> Plan {
    plan_at(project, &fixtures(), sources)
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"list\"\ntool = \"mailchimp\"\npath = \"{path}\"\n{extra}")
}

fn summary(out: &ingest::Ingested) -> Vec<(String, Action, String)> {
    out.events.iter().map(|e| (e.origin.to_string(), e.action, iso(e.ts))).collect()
}

fn row(origin: &str, action: Action, ts: &str) -> (String, Action, String) {
    (origin.to_string(), action, ts.to_string())
}

fn quarantined(out: &ingest::Ingested) -> Vec<(u64, Option<String>, String)> {
    out.quarantine
        .iter()
        .map(|q| (q.line, q.column.clone(), q.reason.clone()))
        .collect()
}

#[test]
fn subscribed_file_places_each_member_at_optin_then_confirm_then_last_changed() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source(SUBSCRIBED, "columns = { worksite = \"Worksite\" }"))).unwrap();
    let f = format!("{SUBSCRIBED}:");
    assert_eq!(
        summary(&out),
        vec![
            // UTC as written, although the pipeline's zone is America/Chicago
            row(&format!("{f}2"), Action::EmailSubscribed, "2016-04-18T13:51:14Z"),
            // no OPTIN_TIME: CONFIRM_TIME
            row(&format!("{f}3"), Action::EmailSubscribed, "2026-07-01T09:00:00Z"),
            // neither: LAST_CHANGED; its quoted note spans lines 4-5
            row(&format!("{f}4"), Action::EmailSubscribed, "2026-07-02T10:00:00Z"),
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(rosa.email.as_deref(), Some("rosa.martinez@example.org"));
    assert_eq!(rosa.name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(rosa.phone.as_deref(), Some("(312) 555-0142"));
    assert_eq!(rosa.external_id.as_deref(), Some("123456789"), "LEID, not EUID");
    assert_eq!(rosa.context.as_deref(), Some("Mailchimp audience"));
    assert_eq!(
        rosa.attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 12".to_string())]
    );
    assert_eq!(rosa.precision, Precision::Second);
    assert_eq!((rosa.tool, rosa.channel), (Tool::Mailchimp, Channel::Email));
    assert_eq!(rosa.occasion, None);
    assert_eq!(out.events[1].phone, None);
    assert_eq!(out.events[2].name.as_deref(), Some("Lupe"));

    assert_eq!(
        quarantined(&out),
        vec![
            (6, Some("Email Address".to_string()), "no_identifier".to_string()),
            (7, Some("OPTIN_TIME".to_string()), "bad_timestamp".to_string()),
            (8, None, "missing_timestamp".to_string()),
        ]
    );
    for q in &out.quarantine {
        assert!(
            !q.detail.contains("04/18/2016") && !q.detail.contains("example.org"),
            "{}",
            q.detail
        );
    }
    let s = &out.files[0];
    assert_eq!((s.rows, s.events, s.skipped, s.quarantined), (7, 3, 1, 3));
    assert_eq!(s.notes["encoding"], "UTF-8 (BOM)");
    assert_eq!(s.notes["kind"], "subscribed");
    assert_eq!(
        s.notes["subscribed_time"],
        "1 row(s) without OPTIN_TIME placed at CONFIRM_TIME; 1 without either placed at LAST_CHANGED"
    );
    assert_eq!(
        s.notes["tags"],
        "2 row(s) carry tags (2 distinct); events have no tag column yet, so tags are not carried"
    );
    assert!(s.notes.values().all(|v| !v.contains("retail")), "tag names are not in notes");
}

#[test]
fn unsubscribed_file_gives_the_subscribe_then_the_unsubscribe() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source(UNSUBSCRIBED, "group = \"Retail workers list\""))).unwrap();
    let f = format!("{UNSUBSCRIBED}:");
    assert_eq!(
        summary(&out),
        vec![
            row(&format!("{f}2"), Action::EmailSubscribed, "2026-06-01T12:00:00Z"),
            row(&format!("{f}2"), Action::EmailUnsubscribed, "2026-07-03T18:30:00Z"),
            row(&format!("{f}3"), Action::EmailSubscribed, "2026-06-02T12:00:00Z"),
        ]
    );
    let (sub, unsub) = (&out.events[0], &out.events[1]);
    assert!(unsub.ts > sub.ts, "the unsubscribe comes after the subscribe");
    assert_ne!(sub.event_id, unsub.event_id);
    assert_eq!(unsub.email.as_deref(), Some("kim@example.org"));
    assert_eq!(unsub.external_id, sub.external_id);
    assert_eq!(unsub.context.as_deref(), Some("Retail workers list"));
    assert_eq!(unsub.channel, Channel::Email);
    // Sam's unsubscribe has no time: the subscription stands, the unsubscribe is quarantined.
    assert_eq!(
        quarantined(&out),
        vec![(3, Some("UNSUB_TIME".to_string()), "missing_timestamp".to_string())]
    );
    assert_eq!(out.files[0].notes["kind"], "unsubscribed");
}

#[test]
fn cleaned_addresses_are_subscriptions_without_an_unsubscribe() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source(CLEANED, ""))).unwrap();
    assert_eq!(
        summary(&out),
        vec![row(&format!("{CLEANED}:2"), Action::EmailSubscribed, "2025-11-20T16:45:00Z")]
    );
    let s = &out.files[0];
    assert_eq!(s.notes["kind"], "cleaned");
    assert_eq!(
        s.notes["cleaned"],
        "1 bounced address(es): subscribed events only, no unsubscribe (a bounce is not the member's action)"
    );
}

#[test]
fn non_subscribed_contacts_are_skipped_on_purpose() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source(NONSUBSCRIBED, ""))).unwrap();
    assert!(out.events.is_empty());
    let s = &out.files[0];
    assert_eq!((s.rows, s.skipped), (1, 1));
    assert_eq!(s.notes["kind"], "non-subscribed");
}

#[test]
fn the_audience_zip_reads_every_csv_member() {
    let project = common::Project::empty();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in [SUBSCRIBED, UNSUBSCRIBED, CLEANED] {
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&std::fs::read(fixtures().join(name)).unwrap()).unwrap();
    }
    w.start_file("README.txt", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"not a member file").unwrap();
    let bytes = w.finish().unwrap().into_inner();
    project.write("data/audience_export.zip", bytes);
    let out = ingest::ingest(&plan_at(&project, project.path(), &source("data/audience_export.zip", ""))).unwrap();
    let files: Vec<(&str, &str)> = out.files.iter().map(|f| (f.file.as_str(), f.notes["kind"].as_str())).collect();
    assert_eq!(
        files,
        vec![
            ("data/audience_export.zip!cleaned_members_export_3f2a1b9c0d.csv", "cleaned"),
            ("data/audience_export.zip!subscribed_members_export_3f2a1b9c0d.csv", "subscribed"),
            (
                "data/audience_export.zip!unsubscribed_members_export_3f2a1b9c0d.csv",
                "unsubscribed"
            ),
        ]
    );
    assert_eq!(out.events.len(), 1 + 3 + 3);
    assert_eq!(
        out.events[1].origin,
        "data/audience_export.zip!subscribed_members_export_3f2a1b9c0d.csv:2"
    );
    let unsub = out.events.iter().find(|e| e.action == Action::EmailUnsubscribed).unwrap();
    assert_eq!(iso(unsub.ts), "2026-07-03T18:30:00Z");
}

#[test]
fn a_csv_that_is_not_an_audience_export_is_an_error() {
    let project = common::Project::empty();
    let p = plan(&project, &source("not-mailchimp.csv", ""));
    let problems = ingest::preflight(&p);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = problems[0].to_string();
    assert!(
        text.starts_with("not-mailchimp.csv:1: not a Mailchimp audience export: the header has none of OPTIN_TIME"),
        "{text}"
    );
    assert!(text.contains("found columns: \"Email Address\", \"Name\", \"Signed up\""), "{text}");
    let err = ingest::ingest(&p).unwrap_err().to_string();
    assert!(err.contains("not-mailchimp.csv:1"), "{err}");
    assert!(!err.contains("rosa@"), "{err}");
}

fn parse_bytes(plan: &Plan, name: &str, bytes: &[u8]) {
    let source = &plan.sources[0];
    let input = Input {
        plan,
        source,
        path: &source.files[0],
        shown: name.to_string(),
        bytes,
    };
    let parser = ingest::parser_for(Tool::Mailchimp).expect("mailchimp is ready");
    let _ = parser.preflight(&input);
    let mut sink = Sink::new(source, name, bytes);
    if parser.parse(&input, &mut sink).is_ok() {
        let s = &sink.stats;
        assert!(s.skipped <= s.rows, "{s:?}");
        assert!(s.events <= 2 * s.rows, "{s:?}");
    }
}

fn fuzz_plan() -> &'static Plan {
    static PLAN: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();
    PLAN.get_or_init(|| {
        plan(
            &common::Project::empty(),
            &source(SUBSCRIBED, "columns = { worksite = \"Worksite\" }"),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        parse_bytes(fuzz_plan(), "x.csv", &bytes);
    }

    #[test]
    fn mutated_exports_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let name = [SUBSCRIBED, UNSUBSCRIBED, CLEANED][which];
        let mut bytes = std::fs::read(fixtures().join(name)).unwrap();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(keep);
        parse_bytes(fuzz_plan(), name, &bytes);
    }
}
