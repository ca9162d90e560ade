//! The generic CSV reader on fixtures shaped like real spreadsheet exports (tests/fixtures/csv).

mod common;

use turnout::config;
use turnout::ingest;
use turnout::schema::{Action, Precision};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> config::Plan {
    common::fixture_plan(project, "csv", sources, &["worksite"])
}

#[test]
fn sign_in_sheet_with_bom_crlf_trailing_columns_and_blank_row() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        r#"[[source]]
name = "sheets"
tool = "csv"
path = "signin-bom-crlf.csv"
columns = { name = "Name", phone = "Phone", email = "Email", ts = "Date", context = "Meeting" }
action = "attended""#,
    );
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(out.quarantine, vec![]);
    assert_eq!(out.events.len(), 3);
    let f = &out.files[0];
    assert_eq!((f.rows, f.events, f.skipped, f.quarantined), (4, 3, 1, 0));
    assert_eq!(f.notes["encoding"], "UTF-8 (BOM)");
    assert_eq!(f.notes["delimiter"], "comma");
    assert_eq!(f.notes["ts_format"], "%m/%d/%Y");

    let rosa = &out.events[0];
    assert_eq!(rosa.name.as_deref(), Some("MARTINEZ, Rosa"));
    assert_eq!(rosa.phone.as_deref(), Some("(312) 456-0142"));
    assert_eq!(rosa.email, None);
    assert_eq!(rosa.action, Action::Attended);
    assert_eq!(rosa.precision, Precision::Day);
    assert_eq!(iso(rosa.ts), "2026-07-14T05:00:00Z"); // local midnight, CDT
    assert_eq!(rosa.context.as_deref(), Some("Store 12 workers meeting"));
    assert_eq!(rosa.occasion.as_deref(), Some("Store 12 workers meeting 2026-07-14"));
    assert_eq!(rosa.origin, "signin-bom-crlf.csv:2");

    assert_eq!(out.events[1].email.as_deref(), Some("Bob.K@Gmail.com"));
    assert_eq!(out.events[1].origin, "signin-bom-crlf.csv:3");
    assert_eq!(out.events[2].name.as_deref(), Some("Lupe"));
    assert_eq!(out.events[2].phone, None);
}

#[test]
fn windows_1252_semicolons_and_day_first_dates() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        r#"[[source]]
name = "sheets"
tool = "csv"
path = "signin-1252-semicolon.csv"
columns = { name = "Name", phone = "Phone", email = "Email", ts = "Date", worksite = "Meeting" }
action = "attended""#,
    );
    let out = ingest::ingest(&plan).unwrap();
    assert_eq!(out.events.len(), 2);
    let f = &out.files[0];
    assert_eq!(f.notes["encoding"], "windows-1252");
    assert_eq!(f.notes["delimiter"], "semicolon");
    assert_eq!(f.notes["ts_format"], "%d.%m.%Y");
    assert_eq!(out.events[0].name.as_deref(), Some("José Núñez"));
    assert_eq!(out.events[1].name.as_deref(), Some("Zoë Brandt"));
    assert_eq!(iso(out.events[0].ts), "2026-07-21T05:00:00Z");
    assert_eq!(
        out.events[0].attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 31 workers meeting".to_string())]
    );
}

#[test]
fn mapped_statuses_and_every_bad_row_quarantined_with_line_and_column() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        r#"[[source]]
name = "rsvps"
tool = "csv"
path = "rsvps-mapped.csv"
columns = { first_name = "given_name", last_name = "family_name", email = "email_address", phone = "phone_number", ts = "created_date", context = "event_title", occasion = "timeslot_id" }
action = { column = "status", map = { REGISTERED = "rsvp", CONFIRMED = "rsvp_confirmed", CANCELLED = "rsvp_cancelled" } }"#,
    );
    let out = ingest::ingest(&plan).unwrap();
    let got: Vec<(String, Action, String)> = out.events.iter().map(|e| (e.origin.to_string(), e.action, iso(e.ts))).collect();
    assert_eq!(
        got,
        vec![
            ("rsvps-mapped.csv:2".to_string(), Action::Rsvp, "2026-07-09T00:22:03Z".to_string()),
            // status " confirmed " matches CONFIRMED; its quoted note spans lines 3-4
            (
                "rsvps-mapped.csv:3".to_string(),
                Action::RsvpConfirmed,
                "2026-07-09T13:00:00Z".to_string()
            ),
            (
                "rsvps-mapped.csv:9".to_string(),
                Action::RsvpCancelled,
                "2026-07-10T11:30:00Z".to_string()
            ),
        ]
    );
    assert_eq!(out.events[0].name.as_deref(), Some("Rosa Martinez"));
    assert_eq!(out.events[0].occasion.as_deref(), Some("9001"));
    let q: Vec<(u64, Option<&str>, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(
        q,
        vec![
            (5, Some("status"), "unmapped_action"),
            (6, Some("created_date"), "bad_timestamp"),
            (7, Some("created_date"), "missing_timestamp"),
            (8, None, "no_identifier"),
        ]
    );
    // reasons never carry the cell's value
    for r in &out.quarantine {
        assert!(
            !r.detail.contains("WAITLISTED") && !r.detail.contains("last tuesday"),
            "{}",
            r.detail
        );
    }
    let f = &out.files[0];
    assert_eq!((f.rows, f.events, f.quarantined, f.skipped), (7, 3, 4, 0));
}

#[test]
fn missing_mapped_column_names_file_line_and_found_headers() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        r#"[[source]]
name = "sheets"
tool = "csv"
path = "signin-bom-crlf.csv"
columns = { name = "Full name", ts = "Date" }
action = "attended""#,
    );
    let problems = ingest::preflight(&plan);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = problems[0].to_string();
    assert!(
        text.starts_with("signin-bom-crlf.csv:1: the header has no column \"Full name\""),
        "{text}"
    );
    assert!(
        text.contains("found columns: \"Name\", \"Phone\", \"Email\", \"Date\", \"Meeting\""),
        "{text}"
    );
    let err = ingest::ingest(&plan).unwrap_err();
    assert!(err.to_string().contains("signin-bom-crlf.csv:1"), "{err}");
}

#[test]
fn skip_when_counts_rows_skipped_on_purpose() {
    let project = common::Project::empty();
    let plan = plan(
        &project,
        r#"[[source]]
name = "rsvps"
tool = "csv"
path = "rsvps-mapped.csv"
columns = { email = "email_address", phone = "phone_number", ts = "created_date" }
action = { column = "status", map = { REGISTERED = "rsvp", CONFIRMED = "rsvp_confirmed" }, skip = ["waitlisted"] }
skip_when = { column = "status", values = ["cancelled"] }"#,
    );
    let out = ingest::ingest(&plan).unwrap();
    let f = &out.files[0];
    // 7 rows: 2 events; skipped: 2 cancelled + 1 waitlisted; quarantined: bad ts, no identifier
    assert_eq!((f.rows, f.events, f.skipped, f.quarantined), (7, 2, 3, 2));
}

#[test]
fn event_ids_are_stable_and_distinct() {
    let project = common::Project::empty();
    let src = r#"[[source]]
name = "sheets"
tool = "csv"
path = "signin-bom-crlf.csv"
columns = { name = "Name", phone = "Phone", ts = "Date" }
action = "attended""#;
    let a = ingest::ingest(&plan(&project, src)).unwrap();
    let b = ingest::ingest(&plan(&project, src)).unwrap();
    let ids: Vec<u64> = a.events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, b.events.iter().map(|e| e.event_id).collect::<Vec<_>>());
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), ids.len());
}
