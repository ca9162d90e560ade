//! Occasions across tools (src/ingest/occasions.rs): the meetings table, the same-day fallback
//! after identity, and the meeting-date convention the tool parsers follow.

mod common;

use turnout::ingest::occasions;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use turnout::config::{MeetingKey, Plan};
use turnout::ingest;
use turnout::schema::{Action, Channel, Event, Precision, Tool};

use occasions::{apply_meetings, meeting_date, same_day_fallback, FallbackStats, OccasionStats};

/// A project with three sources (Mobilize RSVPs, Zoom reports, typed-up sign-in sheets) copied
/// from the parser fixtures, and an optional meetings table.
fn project(meetings: Option<&str>) -> (common::Project, Plan) {
    let p = common::Project::empty();
    let fx = common::repo().join("tests/fixtures");
    p.write(
        "data/mobilize/rsvps.csv",
        std::fs::read(fx.join("mobilize/participations-machine.csv")).unwrap(),
    );
    p.write(
        "data/zoom/participants.csv",
        std::fs::read(fx.join("zoom/participants-preamble-12h.csv")).unwrap(),
    );
    p.write(
        "data/signin/store12.csv",
        "Name,Email,Date,Meeting\nRosa Martinez,rosa.martinez@example.org,7/14/2026,Store 12 sign-in\n",
    );
    let meetings_key = match meetings {
        Some(m) => {
            p.write("data/meetings.csv", m);
            "meetings = \"data/meetings.csv\"\n"
        }
        None => "",
    };
    let toml = format!(
        r#"[pipeline]
name = "occ"
timezone = "America/Chicago"
{meetings_key}
[[source]]
name = "rsvps"
tool = "mobilize"
path = "data/mobilize/*.csv"

[[source]]
name = "zoom"
tool = "zoom"
path = "data/zoom/*.csv"

[[source]]
name = "sheets"
tool = "csv"
path = "data/signin/*.csv"
columns = {{ name = "Name", email = "Email", ts = "Date", context = "Meeting" }}
action = "attended"

[[funnel]]
name = "f"
window = "30d"
stages = [{{ name = "a", when = {{ action = "attended" }} }}]
"#
    );
    let path = p.write("pipelines/occ.toml", toml);
    let plan = turnout::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (p, plan)
}

fn ev(source: &str, action: Action, occasion: Option<&str>, ts: &str) -> Event {
    let ts = chrono::DateTime::parse_from_rfc3339(ts).unwrap().timestamp_micros();
    Event {
        event_id: 0,
        ts,
        precision: Precision::Second,
        source: source.into(),
        tool: Tool::Csv,
        channel: Channel::Event,
        action,
        email: None,
        phone: None,
        name: None,
        external_id: None,
        context: None,
        occasion: occasion.map(Into::into),
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
        attrs: Vec::new().into(),
        organizer: false,
        origin: turnout::schema::Origin::new(source, 1),
    }
}

fn occs(events: &[Event]) -> Vec<Option<&str>> {
    events.iter().map(|e| e.occasion.as_deref()).collect()
}

const MOB: &str = "mobilize:605112:8100006@2026-07-14";
const ZOOM: &str = "zoom:85012345678@2026-07-14";

#[test]
fn the_meetings_table_maps_each_sources_key_and_reports_rows_that_matched_nothing() {
    let (_p, plan) = project(Some(
        "source,key,meeting\n\
         rsvps,mobilize:605112:8100006@2026-07-14,Store 12 meeting 2026-07-14\n\
         zoom,zoom:85012345678@2026-07-14,Store 12 meeting 2026-07-14\n\
         zoom,zoom:85012345678@2026-07-21,Store 12 meeting 2026-07-21\n\
         sheets,Store 12 sign-in 2026-07-14,Store 12 meeting 2026-07-14\n\
         rsvps,mobilize:605112:8100006@2026-07-14,Some other name\n",
    ));
    assert_eq!(plan.meetings.len(), 5);
    // ingest applies the table itself and reports what it mapped
    let mut ing = ingest::ingest(&plan).unwrap();
    let stats = ing.occasions.clone();
    // applying it again changes nothing: mapped keys are meeting names, not source keys
    let before: Vec<Option<turnout::schema::Str>> = ing.events.iter().map(|e| e.occasion).collect();
    assert_eq!(apply_meetings(&plan, &mut ing.events).mapped, 0);
    // every Mobilize event of timeslot 8100006 (9 of 10), every Zoom attendance (4), the sheet (1)
    let by_source = |s: &str| {
        ing.events
            .iter()
            .filter(|e| e.source == s && e.occasion.as_deref() == Some("Store 12 meeting 2026-07-14"))
            .count()
    };
    assert_eq!((by_source("rsvps"), by_source("zoom"), by_source("sheets")), (9, 4, 1));
    assert_eq!(stats.mapped, 14);
    assert_eq!(stats.unmatched_rows, BTreeMap::from([("zoom".to_string(), 1)]));
    assert_eq!(stats.duplicate_rows, 1, "the repeated rsvps row: the first one wins");
    assert!(stats.unknown_source_rows.is_empty());
    // the phone bank on another timeslot is not in the table: untouched
    let pb = ing
        .events
        .iter()
        .position(|e| e.context.as_deref() == Some("Phone bank, Pilsen"))
        .unwrap();
    assert_eq!(ing.events[pb].occasion, before[pb]);
    assert_eq!(ing.events[pb].occasion.as_deref(), Some("mobilize:605200:8100100@2026-07-16"));
}

#[test]
fn keys_match_only_for_their_own_source_and_unknown_sources_are_counted() {
    let (_p, mut plan) = project(None);
    plan.meetings = vec![
        // a Zoom key listed under the rsvps source does not map Zoom events
        MeetingKey {
            source: "rsvps".into(),
            key: ZOOM.into(),
            meeting: "M".into(),
        },
        MeetingKey {
            source: "ghost".into(),
            key: MOB.into(),
            meeting: "M".into(),
        },
    ];
    let mut events = vec![
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:00:00Z"),
        ev("rsvps", Action::Rsvp, Some(MOB), "2026-07-09T00:00:00Z"),
    ];
    let stats = apply_meetings(&plan, &mut events);
    assert_eq!(occs(&events), vec![Some(ZOOM), Some(MOB)]);
    assert_eq!(
        stats,
        OccasionStats {
            mapped: 0,
            unmatched_rows: BTreeMap::from([("rsvps".to_string(), 1)]),
            unknown_source_rows: BTreeMap::from([("ghost".to_string(), 1)]),
            duplicate_rows: 0,
        }
    );
    // no table: nothing happens
    plan.meetings.clear();
    assert_eq!(apply_meetings(&plan, &mut events), OccasionStats::default());
}

#[test]
fn an_unmapped_attendance_takes_the_persons_one_rsvp_occasion_of_that_day() {
    let (_p, plan) = project(None);
    let mut events = vec![
        ev("rsvps", Action::Rsvp, Some(MOB), "2026-07-09T00:22:03Z"), // 0: person 0, RSVP'd days before
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:01:15Z"), // 1: person 0
        ev(
            "sheets",
            Action::Attended,
            Some("Store 12 sign-in 2026-07-14"),
            "2026-07-14T05:00:00Z",
        ), // 2: person 0
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:03:40Z"), // 3: person 1, no RSVP
        ev("sheets", Action::NoShow, None, "2026-07-14T23:30:00Z"),   // 4: person 0, no occasion: dated by ts (local 7/14)
        ev(
            "zoom",
            Action::Attended,
            Some("zoom:85012345678@2026-07-21"),
            "2026-07-21T23:00:00Z",
        ), // 5: person 0, another day
    ];
    let person_of = [0, 0, 0, 1, 0, 0];
    let stats = same_day_fallback(&plan, &mut events, &person_of);
    assert_eq!(
        occs(&events),
        vec![
            Some(MOB),
            Some(MOB),
            Some(MOB),
            Some(ZOOM),
            Some(MOB),
            Some("zoom:85012345678@2026-07-21")
        ]
    );
    assert_eq!(
        stats,
        FallbackStats {
            attendances: 5,
            rewritten: 3,
            mapped_by_table: 0,
            already_matched: 0,
            ambiguous: 0,
            no_rsvp_that_day: 2,
        }
    );
}

#[test]
fn two_rsvps_the_same_day_are_ambiguous_and_nothing_is_rewritten() {
    let (_p, plan) = project(None);
    let morning = "mobilize:605112:8100001@2026-07-14";
    let mut events = vec![
        ev("rsvps", Action::RsvpConfirmed, Some(morning), "2026-07-01T12:00:00Z"),
        ev("rsvps", Action::Rsvp, Some(MOB), "2026-07-02T12:00:00Z"),
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:01:15Z"),
    ];
    let stats = same_day_fallback(&plan, &mut events, &[7, 7, 7]);
    assert_eq!(events[2].occasion.as_deref(), Some(ZOOM));
    assert_eq!((stats.ambiguous, stats.rewritten), (1, 0));

    // an rsvp and its cancellation of ONE occasion are one candidate, not two
    let mut events = vec![
        ev("rsvps", Action::Rsvp, Some(MOB), "2026-07-02T12:00:00Z"),
        ev("rsvps", Action::RsvpCancelled, Some(MOB), "2026-07-10T12:00:00Z"),
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:01:15Z"),
    ];
    let stats = same_day_fallback(&plan, &mut events, &[7, 7, 7]);
    assert_eq!(events[2].occasion.as_deref(), Some(MOB));
    assert_eq!(stats.rewritten, 1);
}

#[test]
fn another_persons_rsvp_the_same_day_is_never_taken() {
    let (_p, plan) = project(None);
    let mut events = vec![
        ev("rsvps", Action::Rsvp, Some(MOB), "2026-07-09T00:00:00Z"),
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:01:15Z"),
    ];
    let stats = same_day_fallback(&plan, &mut events, &[1, 2]);
    assert_eq!(occs(&events), vec![Some(MOB), Some(ZOOM)]);
    assert_eq!((stats.rewritten, stats.no_rsvp_that_day), (0, 1));
}

#[test]
fn mapped_matched_same_source_and_undated_rsvps_are_left_alone() {
    let (_p, mut plan) = project(None);
    plan.meetings = vec![MeetingKey {
        source: "zoom".into(),
        key: ZOOM.into(),
        meeting: "Town hall".into(),
    }];
    let mut events = vec![
        ev("rsvps", Action::Rsvp, Some(MOB), "2026-07-09T00:00:00Z"),
        ev("zoom", Action::Attended, Some(ZOOM), "2026-07-14T23:01:15Z"),
        // Mobilize's own attendance already names its RSVP's occasion
        ev("rsvps", Action::Attended, Some(MOB), "2026-07-14T23:00:00Z"),
        // Mobilize's attendance of another timeslot that day: the tool knows which; not rewritten
        ev(
            "rsvps",
            Action::Attended,
            Some("mobilize:605112:8100009@2026-07-14"),
            "2026-07-14T15:00:00Z",
        ),
        // an RSVP whose key carries no date never matches by date
        ev("sheets", Action::Rsvp, Some("9001"), "2026-07-14T12:00:00Z"),
        ev("sheets", Action::Attended, Some("zoom-less 2026-07-20"), "2026-07-20T23:00:00Z"),
    ];
    apply_meetings(&plan, &mut events);
    assert_eq!(events[1].occasion.as_deref(), Some("Town hall"));
    let stats = same_day_fallback(&plan, &mut events, &[0, 0, 0, 0, 0, 0]);
    assert_eq!(
        occs(&events),
        vec![
            Some(MOB),
            Some("Town hall"),
            Some(MOB),
            Some("mobilize:605112:8100009@2026-07-14"),
            Some("9001"),
            Some("zoom-less 2026-07-20")
        ]
    );
    assert_eq!(
        stats,
        FallbackStats {
            attendances: 4,
            rewritten: 0,
            mapped_by_table: 1,
            already_matched: 1,
            ambiguous: 0,
            no_rsvp_that_day: 2,
        }
    );
    // a person index shorter than the events (a caller's bug) never panics
    let stats = same_day_fallback(&plan, &mut events, &[0]);
    assert_eq!(stats.attendances, 0);
}

#[test]
fn after_identity_a_zoom_attendance_joins_the_mobilize_rsvp_of_the_same_person() {
    let (_p, plan) = project(None);
    let mut ing = ingest::ingest(&plan).unwrap();
    apply_meetings(&plan, &mut ing.events);
    let pseudo = turnout::privacy::Pseudonymizer::new(b"test-key-0123456789abcdef");
    let res = turnout::identity::resolve(&plan, &ing.events, &pseudo);
    let stats = same_day_fallback(&plan, &mut ing.events, &res.person_of);
    let rosa_zoom = ing
        .events
        .iter()
        .find(|e| e.source == "zoom" && e.name.as_deref() == Some("Rosa Martinez"))
        .unwrap();
    // linked by email (Rosa.Martinez@… in Zoom, rosa.martinez@… in Mobilize): one meeting
    assert_eq!(rosa_zoom.occasion.as_deref(), Some(MOB));
    let rosa_sheet = ing.events.iter().find(|e| e.source == "sheets").unwrap();
    assert_eq!(rosa_sheet.occasion.as_deref(), Some(MOB));
    // Bob K has no email in Zoom: not linked to Mobilize's Bob, his occasion stays Zoom's
    let bob = ing
        .events
        .iter()
        .find(|e| e.source == "zoom" && e.name.as_deref() == Some("Bob K"))
        .unwrap();
    assert_eq!(bob.occasion.as_deref(), Some(ZOOM));
    assert_eq!(stats.rewritten, 2);
}

#[test]
fn every_occasion_the_three_parsers_write_carries_its_meeting_date() {
    let (_p, plan) = project(None);
    let ing = ingest::ingest(&plan).unwrap();
    for e in &ing.events {
        let o = e.occasion.as_deref().unwrap();
        let d = meeting_date(o).unwrap_or_else(|| panic!("{o} has no meeting date"));
        if matches!(e.action, Action::Attended | Action::NoShow) {
            // the meeting date is the attendance's own local date
            assert_eq!(d, turnout::timeutil::local_date(e.ts, plan.timezone), "{o}");
        }
    }
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(meeting_date("van:4411@2026-03-14"), Some(d("2026-03-14")));
    assert_eq!(meeting_date(&occasions::dated("zoom:850", d("2026-07-14"))), Some(d("2026-07-14")));
}
