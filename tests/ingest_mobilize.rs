//! The Mobilize parser on fixtures shaped like its participation exports (tests/fixtures/mobilize):
//! machine field names and worded dashboard headers, ISO offsets and unix seconds, attendance
//! marked true / false / not yet, walk-ins, cancellations.

mod common;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, mobilize::Mobilize, Input, Parser, Sink};
use turnout::schema::{Action, Event, Precision, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> config::Plan {
    common::fixture_plan(project, "mobilize", sources, &["worksite"])
}

fn source(path: &str) -> String {
    format!("[[source]]\nname = \"rsvps\"\ntool = \"mobilize\"\npath = \"{path}\"")
}

/// (origin, action, ts, precision) of every event, in order.
fn summary(events: &[Event]) -> Vec<(String, Action, String, Precision)> {
    events
        .iter()
        .map(|e| (e.origin.to_string(), e.action, iso(e.ts), e.precision))
        .collect()
}

fn row(origin: &str, action: Action, ts: &str) -> (String, Action, String, Precision) {
    (origin.to_string(), action, ts.to_string(), Precision::Second)
}

#[test]
fn machine_headers_with_offsets_every_status_and_attendance_state() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("participations-machine.csv"));
    let out = ingest::ingest(&plan).unwrap();
    let f = "participations-machine.csv";
    assert_eq!(
        summary(&out.events),
        vec![
            row(&format!("{f}:2"), Action::Rsvp, "2026-07-09T00:22:03Z"),
            // attended: at the timeslot start, when the meeting happened
            row(&format!("{f}:2"), Action::Attended, "2026-07-14T23:00:00Z"),
            row(&format!("{f}:3"), Action::RsvpConfirmed, "2026-07-09T13:00:00Z"),
            row(&format!("{f}:3"), Action::NoShow, "2026-07-14T23:00:00Z"),
            // cancelled: the RSVP at created_date, the cancellation at modified_date
            row(&format!("{f}:4"), Action::Rsvp, "2026-07-10T11:30:00Z"),
            row(&format!("{f}:4"), Action::RsvpCancelled, "2026-07-12T15:30:00Z"),
            // attended empty: not marked yet, no attendance event
            row(&format!("{f}:5"), Action::Rsvp, "2026-07-11T17:00:00Z"),
            // a walk-in created 40 minutes after the start: still rsvp + attended at the start
            row(&format!("{f}:6"), Action::Rsvp, "2026-07-14T23:40:00Z"),
            row(&format!("{f}:6"), Action::Attended, "2026-07-14T23:00:00Z"),
            row(&format!("{f}:9"), Action::Rsvp, "2026-07-15T12:00:00Z"),
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(rosa.tool, Tool::Mobilize);
    assert_eq!(rosa.email.as_deref(), Some("rosa.martinez@example.org"));
    assert_eq!(rosa.phone.as_deref(), Some("(312) 555-0142"));
    assert_eq!(rosa.name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(rosa.external_id, None);
    assert_eq!(rosa.context.as_deref(), Some("Store 12 workers meeting"));
    assert_eq!(rosa.occasion.as_deref(), Some("mobilize:605112:8100006@2026-07-14"));
    assert_eq!(
        (rosa.utm_source.as_deref(), rosa.utm_medium.as_deref(), rosa.utm_campaign.as_deref()),
        (Some("whatsapp"), Some("group"), Some("store12"))
    );
    // every event of one row shares the row's identifiers and occasion
    assert_eq!(out.events[1].occasion, rosa.occasion);
    assert_eq!(out.events[1].email, rosa.email);
    assert_ne!(out.events[0].event_id, out.events[1].event_id);
    // empty email, a name without family name, a phone only
    let lupe = &out.events[6];
    assert_eq!(
        (lupe.email.as_deref(), lupe.name.as_deref(), lupe.phone.as_deref()),
        (None, Some("Lupe"), Some("312-555-0199"))
    );
    let dee = &out.events[8];
    assert_eq!(
        (dee.email.as_deref(), dee.name.as_deref(), dee.phone.as_deref()),
        (None, Some("Dee Walker"), None)
    );
    // another event, its title quoted with a comma
    let pb = &out.events[9];
    assert_eq!(pb.context.as_deref(), Some("Phone bank, Pilsen"));
    assert_eq!(pb.occasion.as_deref(), Some("mobilize:605200:8100100@2026-07-16"));

    let q: Vec<(u64, Option<&str>, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(
        q,
        vec![
            (7, Some("status"), "unknown_status"),
            (10, Some("created_date"), "bad_timestamp"),
            (11, None, "no_identifier"),
        ]
    );
    for r in &out.quarantine {
        assert!(
            !r.detail.contains("WAITLISTED") && !r.detail.contains("last tuesday"),
            "{}",
            r.detail
        );
    }
    let s = &out.files[0];
    assert_eq!((s.rows, s.events, s.quarantined, s.skipped), (10, 10, 3, 1));
    assert_eq!(s.notes["attendance_unmarked"], "3");
    assert_eq!(s.notes["walk_ins"], "1 row(s) created after their timeslot started");
    assert_eq!(s.notes["time_format"], "ISO 8601 with offset");
    assert!(
        s.notes["headers"].starts_with("Mobilize participation field names"),
        "{}",
        s.notes["headers"]
    );
}

#[test]
fn unix_seconds_mixed_with_offsets_and_crlf() {
    let project = common::Project::empty();
    let plan = plan(&project, &source("participations-unix.csv"));
    let out = ingest::ingest(&plan).unwrap();
    let f = "participations-unix.csv";
    assert_eq!(
        summary(&out.events),
        vec![
            row(&format!("{f}:2"), Action::Rsvp, "2026-07-06T15:04:05Z"),
            row(&format!("{f}:2"), Action::Attended, "2026-07-14T23:00:00Z"),
            // no modified_date: the cancellation sits at created_date
            row(&format!("{f}:3"), Action::Rsvp, "2026-07-07T14:00:00Z"),
            row(&format!("{f}:3"), Action::RsvpCancelled, "2026-07-07T14:00:00Z"),
            row(&format!("{f}:4"), Action::RsvpConfirmed, "2026-07-09T16:45:30Z"),
            row(&format!("{f}:4"), Action::NoShow, "2026-07-14T23:00:00Z"),
        ]
    );
    for e in &out.events {
        assert_eq!(e.occasion.as_deref(), Some("mobilize:605112:8100006@2026-07-14"));
    }
    let kim = &out.events[5];
    assert_eq!((kim.email.as_deref(), kim.phone.as_deref()), (None, Some("+13125550177")));
    assert_eq!(kim.utm_source.as_deref(), Some("facebook"));
    let s = &out.files[0];
    assert_eq!(s.notes["time_format"], "ISO 8601 with offset + unix seconds");
    assert_eq!(s.notes["attendance_unmarked"], "1");
    assert!(!s.notes.contains_key("walk_ins"));
    assert_eq!((s.rows, s.events, s.quarantined, s.skipped), (3, 6, 0, 0));
}

#[test]
fn worded_dashboard_headers_with_bom_and_an_attribute() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        &format!(
            "{}\ncolumns = {{ worksite = \"What store do you work at?\" }}",
            source("attendance-worded.csv")
        ),
    );
    let out = ingest::ingest(&plan).unwrap();
    let f = "attendance-worded.csv";
    assert_eq!(
        summary(&out.events),
        vec![
            row(&format!("{f}:2"), Action::Rsvp, "2026-07-09T00:22:03Z"),
            row(&format!("{f}:2"), Action::Attended, "2026-07-14T23:00:00Z"),
            row(&format!("{f}:3"), Action::RsvpConfirmed, "2026-07-09T16:15:00Z"),
            row(&format!("{f}:3"), Action::NoShow, "2026-07-14T23:00:00Z"),
            row(&format!("{f}:4"), Action::Rsvp, "2026-07-10T11:30:00Z"),
            row(&format!("{f}:4"), Action::RsvpCancelled, "2026-07-10T11:30:00Z"),
        ]
    );
    let jose = &out.events[2];
    assert_eq!(jose.name.as_deref(), Some("José Núñez"));
    assert_eq!((jose.email.as_deref(), jose.phone.as_deref()), (None, Some("312.555.0123")));
    assert_eq!(
        jose.attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 31".to_string())]
    );
    assert_eq!(
        out.events[0].attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 12".to_string())]
    );
    assert_eq!(
        out.events[4].attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![None]
    );
    assert_eq!(out.events[0].occasion.as_deref(), Some("mobilize:605112:8100006@2026-07-14"));
    assert_eq!(out.events[0].context.as_deref(), Some("Store 12 workers meeting"));
    assert_eq!(out.events[0].utm_campaign.as_deref(), Some("store12"));
    let s = &out.files[0];
    assert_eq!(s.notes["encoding"], "UTF-8 (BOM)");
    assert!(s.notes["headers"].starts_with("worded dashboard names"), "{}", s.notes["headers"]);
    assert_eq!(s.notes["attendance_unmarked"], "1");
    assert_eq!(out.quarantine, vec![]);
}

#[test]
fn a_file_that_is_not_a_mobilize_export_names_the_missing_column() {
    let project = common::Project::empty();
    project.write("data/other.csv", "Name,Phone,Date\nRosa,312,7/14/2026\n");
    let plan = {
        let toml = r#"[pipeline]
name = "x"
timezone = "America/Chicago"

[[source]]
name = "rsvps"
tool = "mobilize"
path = "data/other.csv"

[[funnel]]
name = "f"
window = "30d"
stages = [{ name = "a", when = { action = "attended" } }]
"#;
        config::load(&project.write("pipelines/x.toml", toml)).unwrap_or_else(|e| panic!("{e}"))
    };
    let pre = ingest::preflight(&plan);
    assert_eq!(pre.len(), 1, "{pre:?}");
    let text = pre[0].to_string();
    assert!(text.starts_with("data/other.csv:1: the header has no status column"), "{text}");
    assert!(text.contains("found columns: \"Name\", \"Phone\", \"Date\""), "{text}");
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("data/other.csv:1"), "{err}");
}

#[test]
fn event_ids_are_stable_across_runs() {
    let project = common::Project::empty();
    let p = plan(&project, &source("participations-machine.csv"));
    let a: Vec<u64> = ingest::ingest(&p).unwrap().events.iter().map(|e| e.event_id).collect();
    let b: Vec<u64> = ingest::ingest(&p).unwrap().events.iter().map(|e| e.event_id).collect();
    assert_eq!(a, b);
    let mut u = a.clone();
    u.sort();
    u.dedup();
    assert_eq!(u.len(), a.len());
}

fn run_on(bytes: &[u8]) {
    use std::sync::OnceLock;
    static PLAN: OnceLock<(common::Project, config::Plan)> = OnceLock::new();
    let (_, plan) = PLAN.get_or_init(|| {
        let project = common::Project::empty();
        let p = plan(&project, &source("participations-machine.csv"));
        (project, p)
    });
    let src = &plan.sources[0];
    let input = Input {
        plan,
        source: src,
        path: &src.files[0],
        shown: "fuzz.csv".to_string(),
        bytes,
    };
    let mut sink = Sink::new(src, "fuzz.csv", bytes);
    match Mobilize.parse(&input, &mut sink) {
        Ok(()) => {
            assert!(sink.stats.rows >= sink.stats.quarantined);
            for e in &sink.events {
                assert!(e.origin.to_string().starts_with("fuzz.csv:"));
            }
        }
        Err(d) => assert_eq!(d.file, "fuzz.csv"),
    }
    let _ = Mobilize.preflight(&input);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        run_on(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let name = ["participations-machine.csv", "participations-unix.csv", "attendance-worded.csv"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/mobilize").join(name)).unwrap();
        for (i, b) in edits {
            let k = i.index(bytes.len());
            // mostly structural characters, sometimes anything
            bytes[k] = match b % 6 { 0 => b',', 1 => b'\n', 2 => b'"', 3 => b'\r', 4 => b'9', _ => b };
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(bytes.len() / 2));
        run_on(&bytes);
    }
}
