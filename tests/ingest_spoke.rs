//! The Spoke reader on hand-written exports shaped like Spoke's (tests/fixtures/spoke): the
//! modern and pre-2021 spellings of both the messages and the contacts CSV.

mod common;

use proptest::prelude::*;
use turnout::config::{self, Plan};
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Action, Precision, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, sources: &str) -> Plan {
    common::fixture_plan(project, "spoke", sources, &["worksite"])
}

fn source(path: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"texts\"\ntool = \"spoke\"\npath = \"{path}\"\n{extra}")
}

/// (origin, action, UTC time) of every event.
fn summary(out: &ingest::Ingested) -> Vec<(String, Action, String)> {
    out.events.iter().map(|e| (e.origin.to_string(), e.action, iso(e.ts))).collect()
}

fn quarantined(out: &ingest::Ingested) -> Vec<(u64, Option<String>, String)> {
    out.quarantine
        .iter()
        .map(|q| (q.line, q.column.clone(), q.reason.clone()))
        .collect()
}

fn row(origin: &str, action: Action, ts: &str) -> (String, Action, String) {
    (origin.to_string(), action, ts.to_string())
}

#[test]
fn modern_messages_replies_deliveries_skips_and_stop() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source("messages-modern.csv", ""))).unwrap();
    assert_eq!(
        summary(&out),
        vec![
            row("messages-modern.csv:2", Action::TextReceived, "2026-07-06T15:04:05Z"),
            row("messages-modern.csv:3", Action::TextSent, "2026-07-06T15:20:41Z"),
            // a text whose body spans lines 5-6 starts on line 5
            row("messages-modern.csv:5", Action::TextReceived, "2026-07-06T15:04:12Z"),
            // " Stop " is the member's reply and their opt-out
            row("messages-modern.csv:7", Action::TextSent, "2026-07-06T16:00:00Z"),
            row("messages-modern.csv:7", Action::OptedOut, "2026-07-06T16:00:00Z"),
            // an offset other than Z; "Can't stop by Tuesday" is not an opt-out
            row("messages-modern.csv:14", Action::TextSent, "2026-07-07T06:02:03Z"),
        ]
    );
    let rosa = &out.events[0];
    assert_eq!(
        rosa.phone.as_deref(),
        Some("+13125550142"),
        "the contact, never the texter's number"
    );
    assert_eq!(rosa.external_id.as_deref(), Some("101"));
    assert_eq!(rosa.context.as_deref(), Some("Spoke campaign 7"));
    assert_eq!(rosa.occasion, None);
    assert_eq!(rosa.name, None);
    assert_eq!(rosa.precision, Precision::Second);
    assert_eq!(rosa.tool, Tool::Spoke);
    assert_eq!(rosa.channel, turnout::schema::Channel::Sms);
    assert_eq!(out.events[4].phone.as_deref(), Some("+13125550144"));
    assert_eq!(out.events[4].external_id.as_deref(), Some("103"));
    assert_ne!(out.events[3].event_id, out.events[4].event_id);
    // no phone, but the campaign contact id still attributes the reply
    assert_eq!(out.events[5].phone, None);
    assert_eq!(out.events[5].external_id.as_deref(), Some("109"));

    assert_eq!(
        quarantined(&out),
        vec![
            (10, Some("is_from_contact".to_string()), "bad_value".to_string()),
            (11, Some("attempted_at".to_string()), "bad_timestamp".to_string()),
            (15, Some("attempted_at".to_string()), "missing_timestamp".to_string()),
        ]
    );
    for q in &out.quarantine {
        assert!(!q.detail.contains("maybe") && !q.detail.contains("yesterday"), "{}", q.detail);
    }
    let f = &out.files[0];
    // 13 records: 5 with events, 5 skipped (4 never delivered + 1 blank), 3 quarantined
    assert_eq!((f.rows, f.events, f.skipped, f.quarantined), (13, 6, 5, 3));
    assert_eq!(f.notes["kind"], "messages");
    assert_eq!(
        f.notes["not_delivered"],
        "ERROR: 1, NOT_ATTEMPTED: 1, PAUSED: 1, QUEUED: 1 (skipped: the member never got these texts)"
    );
    assert!(f.notes["opt_outs"].starts_with("1 "), "{}", f.notes["opt_outs"]);
    for v in f.notes.values() {
        assert!(!v.contains("Rosa") && !v.contains("+1312"), "{v}");
    }
}

#[test]
fn pre_2021_messages_with_camel_case_headers_and_group_context() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source("messages-2019.csv", "group = \"Austin store outreach\""))).unwrap();
    assert_eq!(
        summary(&out),
        vec![
            row("messages-2019.csv:2", Action::TextReceived, "2019-10-02T22:15:00Z"),
            row("messages-2019.csv:3", Action::TextSent, "2019-10-02T22:31:07Z"),
            row("messages-2019.csv:3", Action::OptedOut, "2019-10-02T22:31:07Z"),
            row("messages-2019.csv:4", Action::TextReceived, "2019-10-02T22:15:04Z"),
        ]
    );
    for e in &out.events {
        assert_eq!(e.context.as_deref(), Some("Austin store outreach"));
        assert_eq!(e.external_id, None, "old exports have no campaign contact id");
        assert_ne!(e.phone.as_deref(), Some("+15125550199"), "texter[cell] is never the contact");
        assert_eq!(e.email, None, "texter[email] is never the contact's");
        assert_eq!(e.name, None);
    }
    assert_eq!(out.events[0].phone.as_deref(), Some("+15125550161"));
    assert_eq!(out.files[0].rows, 3);
}

#[test]
fn contacts_without_time_are_identifiers_only_and_noted() {
    let project = common::Project::empty();
    for (file, rows, opted_out) in [("contacts-modern.csv", 3, 1), ("contacts-2019.csv", 2, 1)] {
        let out = ingest::ingest(&plan(&project, &source(file, "columns = { worksite = \"worksite\" }"))).unwrap();
        assert!(out.events.is_empty(), "{file}: no time, no events");
        assert!(out.quarantine.is_empty(), "{file}");
        let f = &out.files[0];
        assert_eq!((f.rows, f.skipped, f.events), (rows, rows, 0), "{file}");
        assert_eq!(f.notes["kind"], "contacts");
        assert_eq!(
            f.notes["contacts"],
            format!(
                "{rows} contact row(s): the contacts CSV has no timestamps, identifiers only (skipped as events, used to link people); events come from the messages CSV"
            )
        );
        // every contact row is kept for identity, with the contact's cell, name and custom field
        assert_eq!(out.identities.len() as u64, rows, "{file}");
        assert!(out.identities.iter().all(|r| r.phone.is_some() && r.name.is_some()), "{file}");
        assert!(out.identities.iter().any(|r| r.attrs[0].is_some()), "{file}: worksite kept");
        assert!(
            f.notes["opted_out_contacts"].starts_with(&format!("{opted_out} contact(s) marked opted out")),
            "{file}: {}",
            f.notes["opted_out_contacts"]
        );
        assert!(
            !f.notes.contains_key("columns_missing"),
            "{file}: contact[worksite] is found as worksite"
        );
    }
}

#[test]
fn contacts_with_updated_at_give_opt_outs_that_link_to_messages() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(
        &project,
        &source("contacts-updated-at.csv", "columns = { worksite = \"worksite\" }"),
    ))
    .unwrap();
    assert_eq!(
        summary(&out),
        vec![row("contacts-updated-at.csv:2", Action::OptedOut, "2026-07-06T16:00:02Z")]
    );
    let lupe = &out.events[0];
    assert_eq!(lupe.name.as_deref(), Some("Lupe Reyes"));
    assert_eq!(lupe.phone.as_deref(), Some("+13125550144"));
    assert_eq!(
        lupe.attrs.iter().map(|a| a.map(String::from)).collect::<Vec<_>>(),
        vec![Some("Store 12".to_string())]
    );
    assert_eq!(
        quarantined(&out),
        vec![
            (4, None, "no_identifier".to_string()),
            (5, Some("updated_at".to_string()), "missing_timestamp".to_string()),
        ]
    );
    let f = &out.files[0];
    assert_eq!((f.rows, f.events, f.skipped, f.quarantined), (4, 1, 1, 2));
    assert!(f.notes["contacts"].contains("the contact's last update"), "{}", f.notes["contacts"]);

    // The contacts file's id and the messages file's campaign_contact_id are one key.
    let msgs = ingest::ingest(&plan(&project, &source("messages-modern.csv", ""))).unwrap();
    let reply = msgs.events.iter().find(|e| e.origin == "messages-modern.csv:7").unwrap();
    assert_eq!(reply.external_id, lupe.external_id);
}

#[test]
fn a_source_can_hold_both_files_and_each_is_told_by_its_header() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, &source("*-modern.csv", ""))).unwrap();
    let kinds: Vec<(&str, &str)> = out.files.iter().map(|f| (f.file.as_str(), f.notes["kind"].as_str())).collect();
    assert_eq!(
        kinds,
        vec![("contacts-modern.csv", "contacts"), ("messages-modern.csv", "messages")]
    );
    assert_eq!(out.events.len(), 6);
}

#[test]
fn a_file_that_is_not_a_spoke_export_is_an_error_with_the_columns_found() {
    let project = common::Project::empty();
    let p = plan(&project, &source("not-spoke.csv", ""));
    let problems = ingest::preflight(&p);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = problems[0].to_string();
    assert!(text.starts_with("not-spoke.csv:1: not a Spoke export"), "{text}");
    assert!(text.contains("found columns: \"Name\", \"Phone\", \"Date\""), "{text}");
    let err = ingest::ingest(&p).unwrap_err().to_string();
    assert!(err.contains("not-spoke.csv:1: not a Spoke export"), "{err}");
    assert!(!err.contains("312-555"), "{err}");
}

#[test]
fn messages_without_attempted_at_are_refused_at_preflight() {
    let project = common::Project::empty();
    project.write(
        "m.csv",
        "campaign_contact_id,contact_number,is_from_contact,text\n1,+13125550142,true,hi\n",
    );
    let toml = format!(
        "[pipeline]\nname = \"p\"\ntimezone = \"UTC\"\n\n{}\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{{ name = \"a\", when = {{ action = \"text_sent\" }} }}]\n",
        source("m.csv", "")
    );
    let p = config::load(&project.write("pipelines/p.toml", toml)).unwrap_or_else(|e| panic!("{e}"));
    let problems = ingest::preflight(&p);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("attempted_at"), "{}", problems[0]);
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
    let parser = ingest::parser_for(Tool::Spoke).expect("spoke is ready");
    let _ = parser.preflight(&input);
    let mut sink = Sink::new(source, "fuzz.csv", bytes);
    if parser.parse(&input, &mut sink).is_ok() {
        // every record is an event row, skipped or quarantined; at most two events per record
        let s = &sink.stats;
        assert!(s.skipped + s.quarantined <= s.rows, "{s:?}");
        assert!(s.events <= 2 * s.rows, "{s:?}");
    }
}

/// One plan for every fuzz case (its pipeline file is not needed once loaded).
fn fuzz_plan() -> &'static Plan {
    static PLAN: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();
    PLAN.get_or_init(|| plan(&common::Project::empty(), &source("messages-modern.csv", "")))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::repo().join("tests/fixtures/spoke").join(name)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        parse_bytes(fuzz_plan(), &bytes);
    }

    #[test]
    fn mutated_exports_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = fixture(["messages-modern.csv", "messages-2019.csv", "contacts-modern.csv", "contacts-updated-at.csv"][which]);
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(bytes.len() / 2));
        parse_bytes(fuzz_plan(), &bytes);
    }
}
