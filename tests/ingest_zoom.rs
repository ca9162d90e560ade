//! The Zoom parser on participant reports (tests/fixtures/zoom): with and without the meeting
//! preamble, rejoins, original names, waiting-room rows, 12 h month-first and 24 h day-first
//! times, min_minutes, and a file whose day/month order cannot be told.

mod common;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, zoom::Zoom, Input, Parser, Sink};
use turnout::schema::{Action, Event, Precision, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> config::Plan {
    common::fixture_plan(project, "zoom", sources, &[])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"zoom\"\ntool = \"zoom\"\npath = \"{path}\"\n{extra}")
}

/// (origin, ts, name, email) of every event, in order; every event must be an attendance.
fn summary(events: &[Event]) -> Vec<(String, String, Option<String>, Option<String>)> {
    events
        .iter()
        .map(|e| {
            assert_eq!(e.action, Action::Attended);
            assert_eq!(e.tool, Tool::Zoom);
            (e.origin.to_string(), iso(e.ts), e.name.map(String::from), e.email.map(String::from))
        })
        .collect()
}

fn ev(origin: &str, ts: &str, name: Option<&str>, email: Option<&str>) -> (String, String, Option<String>, Option<String>) {
    (origin.into(), ts.into(), name.map(Into::into), email.map(Into::into))
}

const PRE: &str = "participants-preamble-12h.csv";

#[test]
fn preamble_12h_month_first_one_attendance_per_person_however_often_they_rejoin() {
    let project = common::Project::empty();
    let plan = plan(&project, &source(PRE, "organizers = [\"Dana Organizer\"]"));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(
        summary(&out.events),
        vec![
            ev(
                &format!("{PRE}:5"),
                "2026-07-14T22:58:02Z",
                Some("Dana Organizer"),
                Some("dana.organizer@example.org")
            ),
            // three rows (lines 6, 8, 12 — the last without email, same original name): one event,
            // at the first join, origin the first row
            ev(
                &format!("{PRE}:6"),
                "2026-07-14T23:01:15Z",
                Some("Rosa Martinez"),
                Some("Rosa.Martinez@example.org")
            ),
            // no email: the name as written is the identifier; two rows, one event
            ev(&format!("{PRE}:7"), "2026-07-14T23:03:40Z", Some("Bob K"), None),
            ev(&format!("{PRE}:9"), "2026-07-14T23:45:00Z", Some("iPhone de Lupe"), None),
        ]
    );
    for e in &out.events {
        assert_eq!(e.occasion.as_deref(), Some("zoom:85012345678@2026-07-14"));
        assert_eq!(e.context.as_deref(), Some("Store 12 workers meeting, July"));
        assert_eq!(e.precision, Precision::Second);
        assert_eq!(e.phone, None);
    }
    assert!(out.events[0].organizer, "declared organizers are flagged");
    assert!(!out.events[1].organizer);
    let q: Vec<(u64, Option<&str>, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(q, vec![(14, None, "no_identifier"), (15, Some("Join Time"), "bad_timestamp")]);
    let s = &out.files[0];
    // 11 rows: 4 events, 2 quarantined, 5 skipped (3 rejoins, 1 waiting room, 1 blank)
    assert_eq!((s.rows, s.events, s.quarantined, s.skipped), (11, 4, 2, 5));
    assert_eq!(s.notes["people"], "4 attendee(s) from 7 join row(s)");
    assert_eq!(s.notes["rejoins_merged"], "3 extra join row(s) of people already counted (skipped)");
    assert_eq!(s.notes["waiting_room_rows"], "1 row(s) in the waiting room (skipped)");
    assert_eq!(
        s.notes["date_order"],
        "mdy: 19 date(s) have a second field above 12, so the month comes first"
    );
    assert!(s.notes["preamble"].starts_with("meeting summary read"));
    assert!(!s.notes.contains_key("below_min_minutes"));
}

#[test]
fn min_minutes_drops_people_below_the_total_not_below_one_join() {
    let project = common::Project::empty();
    // Rosa's first join lasted 19 minutes, her total is 77; Lupe stayed 5 minutes
    let plan = plan(&project, &source(PRE, "min_minutes = 20"));
    let out = ingest::ingest(&plan).unwrap();
    let who: Vec<Option<&str>> = out.events.iter().map(|e| e.name.as_deref()).collect();
    assert_eq!(who, vec![Some("Dana Organizer"), Some("Rosa Martinez"), Some("Bob K")]);
    let s = &out.files[0];
    assert_eq!((s.rows, s.events, s.quarantined, s.skipped), (11, 3, 2, 6));
    assert_eq!(
        s.notes["below_min_minutes"],
        "1 person(s) stayed under 20 minute(s) in total (their rows skipped)"
    );
    assert_eq!(s.notes["people"], "3 attendee(s) from 7 join row(s)");
}

#[test]
fn no_preamble_24h_day_first_meeting_id_from_the_file_name() {
    let project = common::Project::empty();
    let f = "participants_85098765432.csv";
    let plan = plan(&project, &source(f, ""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(
        summary(&out.events),
        vec![
            ev(
                &format!("{f}:2"),
                "2026-07-21T23:02:11Z",
                Some("Rosa Martinez"),
                Some("rosa.martinez@example.org")
            ),
            ev(&format!("{f}:3"), "2026-07-21T23:05:00Z", Some("José Núñez"), None),
        ]
    );
    for e in &out.events {
        assert_eq!(e.occasion.as_deref(), Some("zoom:85098765432@2026-07-21"));
        assert_eq!(e.context.as_deref(), Some("participants_85098765432"));
    }
    let s = &out.files[0];
    assert_eq!(
        s.notes["date_order"],
        "dmy: 6 date(s) have a first field above 12, so the day comes first"
    );
    assert!(s.notes["preamble"].starts_with("none"));
    assert_eq!((s.rows, s.events, s.quarantined, s.skipped), (3, 2, 0, 1));

    // with a group key: it names the meeting and is the context
    let plan = self::plan(&project, &source(f, "group = \"Weekly check-in\""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(out.events[0].occasion.as_deref(), Some("zoom:Weekly check-in@2026-07-21"));
    assert_eq!(out.events[0].context.as_deref(), Some("Weekly check-in"));
}

#[test]
fn ambiguous_day_month_is_an_error_with_a_hint_then_date_order_decides() {
    let project = common::Project::empty();
    let f = "recurring-ambiguous.csv";
    let plan = plan(&project, &source(f, ""));
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(
        err.contains("recurring-ambiguous.csv:2:3: the dates in column \"Join Time\" read both"),
        "{err}"
    );
    assert!(err.contains("hint: set date_order = \"mdy\""), "{err}");
    assert!(!err.contains("Rosa"), "{err}");

    let plan = self::plan(&project, &source(f, "date_order = \"dmy\"\nmin_minutes = 10"));
    let out = ingest::ingest(&plan).unwrap();
    // 3 June (CDT); Bob's 7 minutes are under the threshold
    assert_eq!(
        summary(&out.events),
        vec![ev(
            &format!("{f}:2"),
            "2026-06-03T23:00:05Z",
            Some("Rosa Martinez"),
            Some("rosa.martinez@example.org")
        )]
    );
    assert_eq!(out.events[0].occasion.as_deref(), Some("zoom:recurring-ambiguous@2026-06-03"));
    let s = &out.files[0];
    assert_eq!(s.notes["date_order"], "dmy: set in the pipeline (date_order)");
    assert_eq!((s.rows, s.events, s.skipped), (2, 1, 1));

    // read month-first it is another day of the same recurring meeting: another occasion
    let plan = self::plan(&project, &source(f, "date_order = \"mdy\""));
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(out.events[0].occasion.as_deref(), Some("zoom:recurring-ambiguous@2026-03-06"));
    assert_eq!(iso(out.events[0].ts), "2026-03-07T00:00:05Z");
    assert_eq!(out.events.len(), 2);
}

#[test]
fn a_file_without_a_participant_table_is_refused() {
    let project = common::Project::empty();
    project.write("data/summary.csv", "Meeting ID,Topic,Start Time\n850,Town hall,7/14/2026 6:00 PM\n");
    let toml = r#"[pipeline]
name = "x"
timezone = "America/Chicago"

[[source]]
name = "zoom"
tool = "zoom"
path = "data/summary.csv"

[[funnel]]
name = "f"
window = "30d"
stages = [{ name = "a", when = { action = "attended" } }]
"#;
    let plan = config::load(&project.write("pipelines/x.toml", toml)).unwrap_or_else(|e| panic!("{e}"));
    let pre = ingest::preflight(&plan);
    assert_eq!(pre.len(), 1);
    assert!(
        pre[0].to_string().starts_with("data/summary.csv:1: no participant table found"),
        "{}",
        pre[0]
    );
    assert!(ingest::ingest(&plan).is_err());
}

fn run_on(bytes: &[u8], variant: usize) {
    use std::sync::OnceLock;
    static PLANS: OnceLock<(common::Project, Vec<config::Plan>)> = OnceLock::new();
    let (_, plans) = PLANS.get_or_init(|| {
        let project = common::Project::empty();
        let v = vec![
            plan(&project, &source(PRE, "")),
            plan(&project, &source(PRE, "date_order = \"dmy\"\nmin_minutes = 15")),
        ];
        (project, v)
    });
    let plan = &plans[variant % plans.len()];
    let src = &plan.sources[0];
    let input = Input {
        plan,
        source: src,
        path: &src.files[0],
        shown: "fuzz.csv".to_string(),
        bytes,
    };
    let mut sink = Sink::new(src, "fuzz.csv", bytes);
    match Zoom.parse(&input, &mut sink) {
        Ok(()) => {
            assert!(sink.stats.rows >= sink.stats.quarantined);
            assert!(sink.stats.events + sink.stats.quarantined + sink.stats.skipped <= sink.stats.rows);
        }
        Err(d) => assert_eq!(d.file, "fuzz.csv"),
    }
    let _ = Zoom.preflight(&input);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), variant in 0usize..2) {
        run_on(&bytes, variant);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..3,
        variant in 0usize..2,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
    ) {
        let name = [PRE, "participants_85098765432.csv", "recurring-ambiguous.csv"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/zoom").join(name)).unwrap();
        for (i, b) in edits {
            let k = i.index(bytes.len());
            bytes[k] = match b % 7 { 0 => b',', 1 => b'\n', 2 => b'"', 3 => b'/', 4 => b'1', 5 => b':', _ => b };
        }
        run_on(&bytes, variant);
    }
}
