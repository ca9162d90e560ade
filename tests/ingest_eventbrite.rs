//! The Eventbrite reader on hand-written attendee reports shaped like Eventbrite's
//! (tests/fixtures/eventbrite): a US report (month first, two-digit years), a UK report with
//! event and check-in columns, and one whose day/month order nothing settles.

mod common;

use proptest::prelude::*;
use turnout::config::Plan;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Action, Channel, Precision, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> Plan {
    common::fixture_plan(project, "eventbrite", sources, &["worksite"])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"tickets\"\ntool = \"eventbrite\"\npath = \"{path}\"\n{extra}")
}

fn summary(out: &ingest::Ingested) -> Vec<(String, Action, String, Precision)> {
    out.events
        .iter()
        .map(|e| (e.origin.to_string(), e.action, iso(e.ts), e.precision))
        .collect()
}

fn row(origin: &str, action: Action, ts: &str, p: Precision) -> (String, Action, String, Precision) {
    (origin.to_string(), action, ts.to_string(), p)
}

fn quarantined(out: &ingest::Ingested) -> Vec<(u64, Option<String>, String)> {
    out.quarantine
        .iter()
        .map(|q| (q.line, q.column.clone(), q.reason.clone()))
        .collect()
}

#[test]
fn us_report_rsvps_check_ins_and_cancellations() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(
        &project,
        &source("attendees-us.csv", "columns = { worksite = \"Which store do you work at?\" }"),
    ))
    .unwrap();
    use Precision::Minute;
    assert_eq!(
        summary(&out),
        vec![
            // 11/29/24 22:28 in Chicago (CST, UTC-6)
            row("attendees-us.csv:2", Action::Rsvp, "2024-11-30T04:28:00Z", Minute),
            row("attendees-us.csv:3", Action::Rsvp, "2024-11-30T15:05:00Z", Minute),
            // checked in, but the report has no check-in or event time: at the order time
            row("attendees-us.csv:3", Action::Attended, "2024-11-30T15:05:00Z", Minute),
            row("attendees-us.csv:4", Action::Rsvp, "2024-12-01T20:10:00Z", Minute),
            row("attendees-us.csv:4", Action::RsvpCancelled, "2024-12-01T20:10:00Z", Minute),
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(rosa.email.as_deref(), Some("rosa.martinez@example.org"));
    assert_eq!(rosa.name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(rosa.phone.as_deref(), Some("(312) 555-0142"));
    assert_eq!(rosa.external_id.as_deref(), Some("1450001"), "Attendee #, not Order #");
    assert_eq!(
        rosa.attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 12".to_string())]
    );
    assert_eq!((rosa.tool, rosa.channel), (Tool::Eventbrite, Channel::Event));
    for e in &out.events {
        assert_eq!(
            e.context.as_deref(),
            Some("attendees-us"),
            "no event column, no group: the file name"
        );
        assert_eq!(e.occasion.as_deref(), Some("attendees-us"));
    }
    assert_eq!(
        out.events[3].attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 12, back room".to_string())]
    );
    assert_eq!(
        quarantined(&out),
        vec![
            (5, Some("Attendee Status".to_string()), "unmapped_status".to_string()),
            (6, Some("Order Date".to_string()), "missing_timestamp".to_string()),
            (7, Some("Order Date".to_string()), "bad_timestamp".to_string()),
            (8, None, "no_identifier".to_string()),
        ]
    );
    assert!(out
        .quarantine
        .iter()
        .all(|q| !q.detail.contains("Waitlisted") && !q.detail.contains("yesterday")));
    let f = &out.files[0];
    assert_eq!((f.rows, f.events, f.skipped, f.quarantined), (8, 5, 1, 4));
    assert_eq!(
        f.notes["date_order"],
        "mdy: 2 date(s) are only valid month first (a second field above 12)"
    );
    assert_eq!(
        f.notes["attended_time"],
        "no check-in time: 0 attendance(s) placed at the event start, 1 at the order time"
    );
    assert_eq!(
        f.notes["cancel_time"],
        "1 cancellation(s) placed at the order time: the report has no cancellation time"
    );
}

#[test]
fn group_names_the_event_when_the_report_does_not() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source("attendees-us.csv", "group = \"Store 12 meeting\""))).unwrap();
    assert!(out
        .events
        .iter()
        .all(|e| e.context.as_deref() == Some("Store 12 meeting") && e.occasion.as_deref() == Some("Store 12 meeting")));
}

#[test]
fn uk_report_with_event_id_check_in_times_and_source_timezone() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source("attendees-checkin-uk.csv", "timezone = \"Europe/London\""))).unwrap();
    use Precision::{Minute, Second};
    assert_eq!(
        summary(&out),
        vec![
            // 29/11/2024 22:28 in London (GMT)
            row("attendees-checkin-uk.csv:2", Action::Rsvp, "2024-11-29T22:28:00Z", Minute),
            row("attendees-checkin-uk.csv:3", Action::Rsvp, "2024-11-30T09:05:30Z", Second),
            // the check-in time
            row("attendees-checkin-uk.csv:3", Action::Attended, "2024-12-05T18:07:00Z", Minute),
            row("attendees-checkin-uk.csv:4", Action::Rsvp, "2024-12-01T14:10:00Z", Minute),
            // checked in without a check-in time: the event start
            row("attendees-checkin-uk.csv:4", Action::Attended, "2024-12-05T18:00:00Z", Minute),
        ]
    );
    for e in &out.events {
        assert_eq!(e.context.as_deref(), Some("Store 4 organising meeting"));
        assert_eq!(e.occasion.as_deref(), Some("987654321098"));
    }
    assert_eq!(out.events[0].phone.as_deref(), Some("07700 900142"));
    let f = &out.files[0];
    assert_eq!(f.notes["encoding"], "UTF-8 (BOM)");
    assert_eq!(
        f.notes["date_order"],
        "dmy: 2 date(s) are only valid day first (a first field above 12)"
    );
    assert_eq!(
        f.notes["attended_time"],
        "no check-in time: 1 attendance(s) placed at the event start, 0 at the order time"
    );
}

#[test]
fn undecidable_day_month_order_is_an_error_until_date_order_is_set() {
    let project = common::Project::empty();
    let err = ingest::ingest(&plan(&project, &source("attendees-ambiguous.csv", "")))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("attendees-ambiguous.csv:2:4: the dates read both month-first and day-first"),
        "{err}"
    );
    assert!(err.contains("set date_order = \"mdy\""), "{err}");

    let out = ingest::ingest(&plan(&project, &source("attendees-ambiguous.csv", "date_order = \"dmy\""))).unwrap();
    assert_eq!(
        summary(&out),
        vec![
            row("attendees-ambiguous.csv:2", Action::Rsvp, "2024-04-03T15:00:00Z", Precision::Minute),
            row("attendees-ambiguous.csv:3", Action::Rsvp, "2024-04-03T16:30:00Z", Precision::Minute),
            row(
                "attendees-ambiguous.csv:3",
                Action::Attended,
                "2024-04-10T23:00:00Z",
                Precision::Minute
            ),
        ]
    );
    // no event id: the event name and the local date of its start (a series has several)
    assert!(out
        .events
        .iter()
        .all(|e| e.occasion.as_deref() == Some("Spring kickoff 2024-04-10")));
    assert_eq!(out.files[0].notes["date_order"], "dmy (set in the pipeline)");
}

#[test]
fn a_csv_that_is_not_an_attendee_report_is_an_error() {
    let project = common::Project::empty();
    let p = plan(&project, &source("not-eventbrite.csv", ""));
    let problems = ingest::preflight(&p);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = problems[0].to_string();
    assert!(
        text.starts_with("not-eventbrite.csv:1: the header has no order date column"),
        "{text}"
    );
    assert!(text.contains("found columns: \"Name\", \"Email\", \"Ticket\""), "{text}");
    assert!(ingest::ingest(&p).is_err());
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
    let parser = ingest::parser_for(Tool::Eventbrite).expect("eventbrite is ready");
    let _ = parser.preflight(&input);
    let mut sink = Sink::new(source, "fuzz.csv", bytes);
    if parser.parse(&input, &mut sink).is_ok() {
        let s = &sink.stats;
        assert!(s.skipped + s.quarantined <= s.rows, "{s:?}");
        assert!(s.events <= 2 * s.rows, "{s:?}");
    }
}

fn fuzz_plan(order: bool) -> &'static Plan {
    static WITH: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();
    static WITHOUT: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();
    if order {
        WITH.get_or_init(|| plan(&common::Project::empty(), &source("attendees-us.csv", "date_order = \"mdy\"")))
    } else {
        WITHOUT.get_or_init(|| plan(&common::Project::empty(), &source("attendees-us.csv", "")))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), order in any::<bool>()) {
        parse_bytes(fuzz_plan(order), &bytes);
    }

    #[test]
    fn mutated_reports_never_panic(
        which in 0usize..3,
        order in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let name = ["attendees-us.csv", "attendees-checkin-uk.csv", "attendees-ambiguous.csv"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/eventbrite").join(name)).unwrap();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(keep);
        parse_bytes(fuzz_plan(order), &bytes);
    }

    #[test]
    fn any_date_text_parses_or_is_refused(s in "\\PC{0,30}") {
        if let Some(p) = turnout::ingest::eventbrite::parse_parts(&s) {
            let _ = p.resolve(turnout::config::DateOrder::Mdy, chrono_tz::UTC);
        }
    }
}
