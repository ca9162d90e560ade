//! The Action Network reader on hand-written exports shaped like Action Network's
//! (tests/fixtures/action_network): an activist report with dates, the plain activist download
//! without any, and an event attendee list.

mod common;

use proptest::prelude::*;
use turnout::config::Plan;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Action, Precision, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> Plan {
    common::fixture_plan(project, "action_network", sources, &["worksite"])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"an\"\ntool = \"action_network\"\npath = \"{path}\"\n{extra}")
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
fn activists_with_created_dates_subscribe_or_unsubscribe() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(
        &project,
        &source("activists-created.csv", "columns = { worksite = \"Worksite\" }"),
    ))
    .unwrap();
    assert_eq!(
        summary(&out),
        vec![
            row("activists-created.csv:2", Action::EmailSubscribed, "2026-06-30T14:22:10Z"),
            // unsubscribed: placed at modified_date, the record's last change
            row("activists-created.csv:3", Action::EmailUnsubscribed, "2026-07-05T20:15:00Z"),
            // bouncing is still subscribed
            row("activists-created.csv:4", Action::EmailSubscribed, "2026-07-01T08:30:00Z"),
            // spam complaint without a modified date: at the created date
            row("activists-created.csv:8", Action::EmailUnsubscribed, "2026-07-02T11:00:00Z"),
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(rosa.external_id.as_deref(), Some("1f0c6a8e-3b7d-4e2a-9c51-7d2b8f4e6a10"));
    assert_eq!(rosa.email.as_deref(), Some("rosa.martinez@example.org"));
    assert_eq!(rosa.phone.as_deref(), Some("(312) 555-0142"));
    assert_eq!(rosa.name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(
        rosa.attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 12".to_string())]
    );
    assert_eq!(rosa.precision, Precision::Second);
    assert_eq!(rosa.tool, Tool::ActionNetwork);
    assert_eq!((rosa.context.as_deref(), rosa.occasion.as_deref()), (None, None));
    assert_eq!(
        quarantined(&out),
        vec![
            (5, Some("can2_subscription_status".to_string()), "unmapped_status".to_string()),
            (6, Some("created_date".to_string()), "missing_timestamp".to_string()),
            (7, None, "no_identifier".to_string()),
        ]
    );
    assert!(out.quarantine.iter().all(|q| !q.detail.contains("mystery")));
    let f = &out.files[0];
    assert_eq!((f.rows, f.events, f.skipped, f.quarantined), (7, 4, 0, 3));
    assert_eq!(f.notes["kind"], "activists");
    assert_eq!(f.notes["ts_column"], "\"created_date\" read as %Y-%m-%d %H:%M:%S%.f");
    assert_eq!(
        f.notes["unsubscribed_time"],
        "1 unsubscribe(s) placed at the created date: the export has no unsubscribe time for them"
    );
    assert_eq!(
        f.notes["tags"],
        "2 row(s) carry tags (2 distinct); events have no tag column yet, so tags are not carried"
    );
}

#[test]
fn an_export_without_any_date_column_is_refused_with_a_hint() {
    let project = common::Project::empty();
    let p = plan(&project, &source("activists-no-date.csv", ""));
    let problems = ingest::preflight(&p);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = problems[0].to_string();
    assert!(
        text.starts_with("activists-no-date.csv:1: the Action Network export has no date column"),
        "{text}"
    );
    assert!(text.contains("hint:") && text.contains("created_date"), "{text}");
    let err = ingest::ingest(&p).unwrap_err().to_string();
    assert!(err.contains("activists-no-date.csv:1"), "{err}");
    assert!(!err.contains("rosa.martinez"), "{err}");
}

#[test]
fn attendees_with_ambiguous_dates_need_date_order() {
    let project = common::Project::empty();
    let err = ingest::ingest(&plan(&project, &source("attendees.csv", "")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("attendees.csv:2:10: the dates in column \"created_date\" read both day-first and month-first"),
        "{err}"
    );
    assert!(
        err.contains("date_order = \\\"mdy\\\"") || err.contains("date_order = \"mdy\""),
        "{err}"
    );
}

#[test]
fn attendees_rsvp_and_attend_their_event() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source("attendees.csv", "date_order = \"mdy\""))).unwrap();
    assert_eq!(
        summary(&out),
        vec![
            // local Chicago wall times (CDT, UTC-5)
            row("attendees.csv:2", Action::Rsvp, "2026-07-06T15:15:00Z"),
            row("attendees.csv:2", Action::Attended, "2026-07-09T23:00:00Z"),
            row("attendees.csv:3", Action::Rsvp, "2026-07-09T02:40:00Z"),
            row("attendees.csv:4", Action::Rsvp, "2026-07-09T23:20:00Z"),
            // no start time on this row: attended at the RSVP time
            row("attendees.csv:4", Action::Attended, "2026-07-09T23:20:00Z"),
        ]
    );
    for e in &out.events {
        assert_eq!(e.context.as_deref(), Some("Store 12 workers meeting"));
        assert_eq!(e.occasion.as_deref(), Some("a7c3e9f1-0b2d-4e6f-8a1c-3d5e7f9a1b2c"));
        assert_eq!(e.precision, Precision::Minute);
    }
    let f = &out.files[0];
    assert_eq!(f.notes["kind"], "event attendees");
    assert_eq!(
        f.notes["attended_time"],
        "1 attendance(s) placed at the RSVP time: the export has no event start time for them"
    );
}

fn parse_bytes(plan: &Plan, bytes: &[u8]) {
    let source = &plan.sources[0];
    let input = Input {
        plan,
        source,
        path: &source.files[0],
        shown: "fuzz.csv".to_string(),
        bytes,
    };
    let parser = ingest::parser_for(Tool::ActionNetwork).expect("action_network is ready");
    let _ = parser.preflight(&input);
    let mut sink = Sink::new(source, "fuzz.csv", bytes);
    if parser.parse(&input, &mut sink).is_ok() {
        let s = &sink.stats;
        assert!(s.skipped + s.quarantined <= s.rows, "{s:?}");
        assert!(s.events <= 2 * s.rows, "{s:?}");
    }
}

fn fuzz_plan() -> &'static Plan {
    static PLAN: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();
    PLAN.get_or_init(|| plan(&common::Project::empty(), &source("activists-created.csv", "date_order = \"dmy\"")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        parse_bytes(fuzz_plan(), &bytes);
    }

    #[test]
    fn mutated_exports_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let name = ["activists-created.csv", "activists-no-date.csv", "attendees.csv"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/action_network").join(name)).unwrap();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(keep);
        parse_bytes(fuzz_plan(), &bytes);
    }
}
