//! The VAN / EveryAction parser on event participant exports (tests/fixtures/van): every event
//! status, unknown and missing statuses, month-first dates with and without evidence.

mod common;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, van::Van, Input, Parser, Sink};
use turnout::schema::{Action, Channel, Event, Precision, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> config::Plan {
    common::fixture_plan(project, "van", sources, &["role"])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"van\"\ntool = \"van\"\npath = \"{path}\"\n{extra}")
}

/// (line, action, ts, precision) of every event, in order.
fn summary(events: &[Event]) -> Vec<(u64, Action, String, Precision)> {
    events
        .iter()
        .map(|e| {
            let line = e.origin.line;
            (line, e.action, iso(e.ts), e.precision)
        })
        .collect()
}

#[test]
fn every_status_maps_and_unknown_statuses_are_quarantined() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("event-participants.csv", "columns = { role = \"Role\" }"));
    let out = ingest::ingest(&plan).unwrap();
    use Action::*;
    use Precision::{Day, Minute};
    let meeting = "2026-03-14T23:00:00Z"; // 3/14/2026 6:00 PM, CDT
    assert_eq!(
        summary(&out.events),
        vec![
            (2, Attended, meeting.into(), Minute),             // Completed: at the event
            (3, Attended, meeting.into(), Minute),             // Walk In
            (4, NoShow, meeting.into(), Minute),               // No Show
            (5, Declined, "2026-03-09T05:00:00Z".into(), Day), // at the status date
            (6, RsvpCancelled, "2026-03-12T05:00:00Z".into(), Day),
            (7, Rsvp, "2026-03-02T06:00:00Z".into(), Day), // Scheduled; CST before March 8
            (8, Rsvp, "2026-03-03T06:00:00Z".into(), Day), // Sched-Web
            (9, ContactAttempted, "2026-03-01T06:00:00Z".into(), Day), // Invited
            (10, ContactAttempted, "2026-03-04T06:00:00Z".into(), Day), // Left Msg
            (11, ContactAttempted, "2026-03-05T06:00:00Z".into(), Day), // Texted
            (12, Rsvp, meeting.into(), Minute),            // Tentative, no status date: event date
            (13, RsvpConfirmed, "2026-03-13T05:00:00Z".into(), Day), // Confirmed
            (14, RsvpConfirmed, "2026-03-14T05:00:00Z".into(), Day), // Conf Twice
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(rosa.tool, Tool::Van);
    assert_eq!(rosa.external_id.as_deref(), Some("van:100001"));
    assert_eq!(rosa.name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(rosa.email.as_deref(), Some("rosa.martinez@example.org"));
    assert_eq!(rosa.phone.as_deref(), Some("(312) 555-0142"));
    assert_eq!(rosa.context.as_deref(), Some("Store 12 workers meeting"));
    assert_eq!(
        rosa.attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Attendee".to_string())]
    );
    assert_eq!(
        out.events[11].attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Host".to_string())]
    );
    assert_eq!(rosa.origin, "event-participants.csv:2");
    for e in &out.events {
        assert_eq!(e.occasion.as_deref(), Some("van:4411@2026-03-14"), "{}", e.origin);
    }
    assert_eq!(out.events[9].channel, Channel::Sms, "Texted is a text");
    assert_eq!(out.events[8].channel, Channel::Other);
    assert_eq!(out.events[3].channel, Channel::Event);

    let q: Vec<(u64, Option<&str>, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(
        q,
        vec![
            (15, Some("Status"), "unknown_status"),
            (16, Some("Status"), "missing_status"),
            (18, Some("Event Date"), "bad_timestamp"),
        ]
    );
    assert!(!out.quarantine[0].detail.contains("Maybe Later"));
    let s = &out.files[0];
    assert_eq!((s.rows, s.events, s.quarantined, s.skipped), (17, 13, 3, 1));
    assert_eq!(
        s.notes["date_order"],
        "mdy: 21 date(s) have a second field above 12, so the month comes first"
    );
    assert_eq!(
        s.notes["statuses"],
        "attended=2, contact_attempted=3, declined=1, no_show=1, rsvp=3, rsvp_cancelled=1, rsvp_confirmed=2"
    );
    assert_eq!(
        s.notes["status_time"],
        "rsvp, cancellation, decline and contact statuses sit at their status date (9 row(s)), or at the event date where it is empty (1 row(s))"
    );
}

#[test]
fn dates_without_evidence_are_an_error_naming_date_order() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("participants-ambiguous.csv", ""));
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(
        err.contains("participants-ambiguous.csv:2:7: the dates in column \"Date\" read both"),
        "{err}"
    );
    assert!(err.contains("date_order = \"mdy\""), "{err}");
    assert!(err.contains("source \"van\""), "{err}");
    assert!(!err.contains("Martinez") && !err.contains("3/6/2026"), "{err}");
}

#[test]
fn date_order_override_and_worded_headers_without_event_id() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("participants-ambiguous.csv", "date_order = \"mdy\""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(
        summary(&out.events),
        vec![
            (2, Action::Attended, "2026-03-06T16:00:00Z".into(), Precision::Minute),
            // the status date's own time: 3/1/2026 9:02 PM CST
            (3, Action::Rsvp, "2026-03-02T03:02:00Z".into(), Precision::Minute),
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(rosa.external_id.as_deref(), Some("van:200001"));
    assert_eq!(rosa.name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(rosa.occasion.as_deref(), Some("van:Canvass kickoff@2026-03-06"));
    assert_eq!(out.events[1].phone.as_deref(), Some("312 555 0100"));
    assert_eq!(out.events[1].occasion, rosa.occasion);
    let s = &out.files[0];
    assert_eq!(s.notes["date_order"], "mdy: set in the pipeline (date_order)");
    assert_eq!(s.notes["delimiter"], "comma");

    // the same file read day-first: June 3
    let plan = self::plan(&project, &source("participants-ambiguous.csv", "date_order = \"dmy\""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(iso(out.events[0].ts), "2026-06-03T15:00:00Z");
    assert_eq!(out.events[0].occasion.as_deref(), Some("van:Canvass kickoff@2026-06-03"));
}

#[test]
fn missing_status_column_is_a_file_error() {
    let project = common::Project::empty();
    project.write("data/x.csv", "VANID,FirstName,Event Date\n1,Rosa,3/14/2026\n");
    let toml = r#"[pipeline]
name = "x"
timezone = "America/Chicago"

[[source]]
name = "van"
tool = "van"
path = "data/x.csv"

[[funnel]]
name = "f"
window = "30d"
stages = [{ name = "a", when = { action = "attended" } }]
"#;
    let plan = config::load(&project.write("pipelines/x.toml", toml)).unwrap_or_else(|e| panic!("{e}"));
    let pre = ingest::preflight(&plan);
    assert_eq!(pre.len(), 1);
    assert!(
        pre[0].to_string().starts_with("data/x.csv:1: the header has no status column"),
        "{}",
        pre[0]
    );
}

fn run_on(bytes: &[u8], date_order: bool) {
    use std::sync::OnceLock;
    static PLANS: OnceLock<(common::Project, config::Plan, config::Plan)> = OnceLock::new();
    let (_, a, b) = PLANS.get_or_init(|| {
        let project = common::Project::empty();
        let a = plan(&project, &source("event-participants.csv", ""));
        let b = plan(&project, &source("event-participants.csv", "date_order = \"dmy\""));
        (project, a, b)
    });
    let plan = if date_order { b } else { a };
    let src = &plan.sources[0];
    let input = Input {
        plan,
        source: src,
        path: &src.files[0],
        shown: "fuzz.csv".to_string(),
        bytes,
    };
    let mut sink = Sink::new(src, "fuzz.csv", bytes);
    match Van.parse(&input, &mut sink) {
        Ok(()) => assert!(sink.stats.rows >= sink.stats.quarantined),
        Err(d) => assert_eq!(d.file, "fuzz.csv"),
    }
    let _ = Van.preflight(&input);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), order in any::<bool>()) {
        run_on(&bytes, order);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..2,
        order in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
    ) {
        let name = ["event-participants.csv", "participants-ambiguous.csv"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/van").join(name)).unwrap();
        for (i, b) in edits {
            let k = i.index(bytes.len());
            bytes[k] = match b % 7 { 0 => b',', 1 => b'\n', 2 => b'"', 3 => b'/', 4 => b'1', 5 => b':', _ => b };
        }
        run_on(&bytes, order);
    }
}

#[test]
fn tab_delimited_text_export_with_times_in_the_date_columns() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("event-participants-tab.txt", ""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(
        summary(&out.events),
        vec![
            (2, Action::Attended, "2026-03-14T23:00:00Z".into(), Precision::Minute),
            (3, Action::RsvpConfirmed, "2026-03-13T21:45:00Z".into(), Precision::Minute),
        ]
    );
    assert_eq!(out.events[1].name.as_deref(), Some("Lupe"));
    assert_eq!(out.events[1].phone.as_deref(), Some("312-555-0199"));
    assert_eq!(out.events[1].external_id.as_deref(), Some("van:300002"));
    assert_eq!(out.events[1].occasion.as_deref(), Some("van:4411@2026-03-14"));
    let s = &out.files[0];
    assert_eq!(s.notes["delimiter"], "tab");
    assert_eq!(
        s.notes["status_time"],
        "rsvp, cancellation, decline and contact statuses sit at their status date (1 row(s))"
    );
}
