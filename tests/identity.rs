//! Identity resolution end to end on small exports: the over-merge guard, probable name links
//! (accepted and refused), overrides, stable ids across runs, and the demo's evaluation.

mod common;

use turnout::config::Plan;
use turnout::identity::{self, Inputs, Resolution};
use turnout::privacy::Pseudonymizer;

/// A project with a chat-like source (`chat.csv`: display names are handles within a group),
/// a sign-in source (`signin.csv`) and a texting-like source (`texts.csv`: phone only), plus
/// `identity` as the `[identity]` table's body.
fn project(chat: &str, signin: &str, texts: &str, identity: &str) -> (common::Project, Plan) {
    project_with(chat, signin, texts, identity, &[])
}

/// [`project`] with extra files written before the pipeline is loaded. Chat rows are
/// `date,author,group`; an author starting with `+` is shown by number (the phone column).
fn project_with(chat: &str, signin: &str, texts: &str, identity: &str, files: &[(&str, &str)]) -> (common::Project, Plan) {
    let p = common::Project::empty();
    let chat: String = chat
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            match f[1].starts_with('+') {
                true => format!("{},,{},{}\n", f[0], f[1], f[2]),
                false => format!("{},{},,{}\n", f[0], f[1], f[2]),
            }
        })
        .collect();
    p.write("data/chat.csv", format!("When,Author,Phone,Group\n{chat}"));
    for (rel, text) in files {
        p.write(rel, text);
    }
    p.write("data/signin.csv", format!("Date,Name,Phone,Email,Meeting\n{signin}"));
    p.write("data/texts.csv", format!("When,Phone\n{texts}"));
    let toml = format!(
        r#"[pipeline]
name = "t"
timezone = "America/Chicago"
default_region = "US"

[[source]]
name = "groups"
tool = "csv"
path = "data/chat.csv"
columns = {{ ts = "When", name = "Author", phone = "Phone", context = "Group" }}
action = "message_sent"
name_is_handle = true
ts_format = "%Y-%m-%d"

[[source]]
name = "sheets"
tool = "csv"
path = "data/signin.csv"
columns = {{ ts = "Date", name = "Name", phone = "Phone", email = "Email", context = "Meeting" }}
action = "attended"
ts_format = "%Y-%m-%d"

[[source]]
name = "texting"
tool = "csv"
path = "data/texts.csv"
columns = {{ ts = "When", phone = "Phone" }}
action = "text_received"
ts_format = "%Y-%m-%d"

[identity]
{identity}

[[funnel]]
name = "f"
window = "30d"
stages = [{{ name = "a", when = {{ action = "attended" }} }}]
"#
    );
    let path = p.write("pipelines/t.toml", toml);
    let plan = turnout::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (p, plan)
}

fn key() -> Pseudonymizer {
    Pseudonymizer::new(b"test-key-0123456789abcdef")
}

fn resolve(plan: &Plan, previous: Option<&identity::PreviousIds>) -> (turnout::ingest::Ingested, Resolution) {
    let ing = turnout::ingest::ingest(plan).unwrap_or_else(|e| panic!("{e}"));
    let overrides = turnout::run::load_overrides(plan).unwrap_or_else(|e| panic!("{e}"));
    let res = identity::resolve_with(
        plan,
        &Inputs {
            events: &ing.events,
            identities: &ing.identities,
            overrides: &overrides,
            previous,
            phones: None,
            ..Default::default()
        },
        &key(),
    );
    (ing, res)
}

/// Identity given the phones ingest normalised while matching organizers (as `turnout run`
/// does) links exactly as identity on its own, and reuses those phones.
#[test]
fn phones_normalised_by_ingest_are_reused_with_the_same_result() {
    let p = common::Project::demo();
    let plan = turnout::config::load(&p.path().join("pipelines/demo.toml")).unwrap();
    let mut ing = turnout::ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let overrides = turnout::run::load_overrides(&plan).unwrap_or_else(|e| panic!("{e}"));
    let from_ingest = std::mem::take(&mut ing.phones);
    assert!(
        from_ingest.parsed > 100,
        "the demo's organizers are matched by phone: {from_ingest:?}"
    );
    let parsed_by_ingest = from_ingest.parsed;
    let phones = std::cell::RefCell::new(from_ingest);
    let inputs = |phones| Inputs {
        events: &ing.events,
        identities: &ing.identities,
        overrides: &overrides,
        previous: None,
        phones,
        ..Default::default()
    };
    let alone = identity::resolve_with(&plan, &inputs(None), &key());
    let fresh = std::cell::RefCell::new(Default::default());
    let _ = identity::resolve_with(&plan, &inputs(Some(&fresh)), &key());
    let shared = identity::resolve_with(&plan, &inputs(Some(&phones)), &key());
    // Identity alone validates every distinct phone; with ingest's memo, only those ingest
    // did not meet.
    let parsed_alone = fresh.borrow().parsed;
    let parsed_shared = phones.borrow().parsed - parsed_by_ingest;
    assert!(
        parsed_shared < parsed_alone,
        "identity parsed {parsed_shared} phones with ingest's memo, {parsed_alone} alone"
    );
    assert_eq!(alone.person_of, shared.person_of);
    assert_eq!(alone.norm_phone, shared.norm_phone);
    assert_eq!(alone.key_tokens, shared.key_tokens);
    assert_eq!(
        alone.persons.iter().map(|x| &x.id).collect::<Vec<_>>(),
        shared.persons.iter().map(|x| &x.id).collect::<Vec<_>>()
    );
}

/// The person of the event whose origin ends with `file:line`.
fn who(ing: &turnout::ingest::Ingested, res: &Resolution, file: &str, line: u64) -> u32 {
    let suffix = format!("{file}:{line}");
    let i = ing
        .events
        .iter()
        .position(|e| e.origin.to_string().ends_with(&suffix))
        .unwrap_or_else(|| panic!("no event from {suffix}"));
    res.person_of[i]
}

const PROBABLE: &str = "names = \"probable\"\nworksite_pattern = \"Store \\\\d+\"";

#[test]
fn a_family_phone_is_flagged_and_splits_by_name_instead_of_linking() {
    let signin = "2026-07-07,María López,773-294-3450,,Store 12 workers meeting\n\
                  2026-07-07,José López,(773) 294-3450,jose.lopez@gmail.com,Store 12 workers meeting\n\
                  2026-07-21,Maria Lopez,7732943450,,Store 12 workers meeting\n\
                  2026-07-21,Jose Lopez,,jose.lopez@gmail.com,Store 12 workers meeting\n";
    let texts = "2026-07-01,+1 773 294 3450\n";
    let (_p, plan) = project("", signin, texts, "");
    let (ing, res) = resolve(&plan, None);
    let maria = who(&ing, &res, "signin.csv", 2);
    let jose = who(&ing, &res, "signin.csv", 3);
    assert_ne!(maria, jose, "two names on one phone are two people");
    assert_eq!(maria, who(&ing, &res, "signin.csv", 4), "accents do not make a third name");
    assert_eq!(jose, who(&ing, &res, "signin.csv", 5), "José's email still links him");
    let text = who(&ing, &res, "texts.csv", 2);
    assert!(
        text != maria && text != jose,
        "a text to the shared phone is nobody's in particular"
    );
    assert_eq!(res.stats.flagged_keys_by_kind.get("phone"), Some(&1));

    // a limit of two names per key lets the phone link again
    let (_p, plan) = project("", signin, texts, "max_names_per_key = 2");
    let (ing, res) = resolve(&plan, None);
    assert_eq!(who(&ing, &res, "signin.csv", 2), who(&ing, &res, "signin.csv", 3));
    assert!(res.stats.flagged_keys_by_kind.is_empty());
}

#[test]
fn an_organizer_signing_others_in_does_not_merge_them() {
    // The organizer wrote her own email for three people at the door.
    let signin = "2026-07-07,Dana Whitfield,,dana@northsideworkers.org,Store 12 workers meeting\n\
                  2026-07-07,Rosa Martinez,,dana@northsideworkers.org,Store 12 workers meeting\n\
                  2026-07-07,Tomasz Nowak,,dana@northsideworkers.org,Store 12 workers meeting\n\
                  2026-07-07,Tomek Nowak,312-456-0142,,Store 12 workers meeting\n";
    let (_p, plan) = project("", signin, "", "");
    let (ing, res) = resolve(&plan, None);
    let people: Vec<u32> = (2..=4).map(|l| who(&ing, &res, "signin.csv", l)).collect();
    assert!(people[0] != people[1] && people[1] != people[2] && people[0] != people[2]);
    assert_eq!(res.stats.flagged_keys_by_kind.get("email"), Some(&1));
}

#[test]
fn a_display_name_joins_the_one_person_with_that_name_at_that_store() {
    let chat = "2026-07-01,Bob Kowalski,Store 12 Halsted workers\n\
                2026-07-02,Bob Kowalski,Store 12 Halsted workers\n";
    let signin = "2026-07-07,Robert Kowalski,312-456-0142,,Store 12 workers meeting\n";
    let (_p, plan) = project(chat, signin, "", PROBABLE);
    let (ing, res) = resolve(&plan, None);
    let bob = who(&ing, &res, "chat.csv", 2);
    assert_eq!(bob, who(&ing, &res, "chat.csv", 3), "one display name in one chat");
    assert_eq!(bob, who(&ing, &res, "signin.csv", 2), "nickname + same family + same store");
    assert_eq!(res.stats.probable_links, 1);
    let link = res.links.iter().find(|l| l.score.is_some()).expect("a probable link");
    assert_eq!(link.evidence, Some("same worksite"));
    assert!((link.score.unwrap() - (0.6 * 0.9 + 0.4)).abs() < 1e-9, "{link:?}");
    assert_eq!(link.rule, "probable: name and corroboration");

    // with names = "off" nothing joins on a name
    let (_p, plan) = project(chat, signin, "", "names = \"off\"");
    let (ing, res) = resolve(&plan, None);
    assert_ne!(who(&ing, &res, "chat.csv", 2), who(&ing, &res, "signin.csv", 2));
}

#[test]
fn probable_links_are_refused_without_corroboration_agreement_or_uniqueness() {
    // another store: no corroboration
    let chat = "2026-07-01,Bob Kowalski,Store 12 Halsted workers\n";
    let signin = "2026-07-07,Robert Kowalski,312-456-0142,,Store 31 workers meeting\n";
    let (_p, plan) = project(chat, signin, "", PROBABLE);
    let (ing, res) = resolve(&plan, None);
    assert_ne!(who(&ing, &res, "chat.csv", 2), who(&ing, &res, "signin.csv", 2));
    assert_eq!(res.stats.probable_links, 0);

    // two Robert Kowalskis at store 12 with different phones: ambiguous
    let signin2 = "2026-07-07,Robert Kowalski,312-456-0142,,Store 12 workers meeting\n\
                   2026-07-07,Robert Kowalski,773-294-3450,,Store 12 workers meeting\n";
    let (_p, plan) = project(chat, signin2, "", PROBABLE);
    let (ing, res) = resolve(&plan, None);
    let bob = who(&ing, &res, "chat.csv", 2);
    assert!(bob != who(&ing, &res, "signin.csv", 2) && bob != who(&ing, &res, "signin.csv", 3));
    assert_eq!(res.stats.probable_refused_ambiguous, 1);

    // a first name alone, or a first name and an initial, is not enough at the default threshold
    for shown in ["Bob", "Bob K."] {
        let chat = format!("2026-07-01,{shown},Store 12 Halsted workers\n");
        let (_p, plan) = project(&chat, signin, "", PROBABLE);
        let signin12 = "2026-07-07,Robert Kowalski,312-456-0142,,Store 12 workers meeting\n";
        std::fs::write(
            plan.root.join("data/signin.csv"),
            format!("Date,Name,Phone,Email,Meeting\n{signin12}"),
        )
        .unwrap();
        let (ing, res) = resolve(&plan, None);
        assert_ne!(who(&ing, &res, "chat.csv", 2), who(&ing, &res, "signin.csv", 2), "{shown}");
        assert_eq!(res.stats.probable_refused_weak, 1, "{shown}");
    }

    // a different given name with the same family name never agrees
    let chat = "2026-07-01,Ana Kowalski,Store 12 Halsted workers\n";
    let signin12 = "2026-07-07,Robert Kowalski,312-456-0142,,Store 12 workers meeting\n";
    let (_p, plan) = project(chat, signin12, "", PROBABLE);
    let (ing, res) = resolve(&plan, None);
    assert_ne!(who(&ing, &res, "chat.csv", 2), who(&ing, &res, "signin.csv", 2));

    // the candidate is already in that chat (shown by number): the display name is someone else
    let chat = "2026-07-01,Robert Kowalski,Store 12 Halsted workers\n\
                2026-07-02,+1 312 456 0142,Store 12 Halsted workers\n";
    let (_p, plan) = project(chat, signin12, "", PROBABLE);
    let (ing, res) = resolve(&plan, None);
    assert_ne!(who(&ing, &res, "chat.csv", 2), who(&ing, &res, "signin.csv", 2));
    assert_eq!(res.stats.probable_links, 0);

    // a common name: another known Robert Kowalski works at store 31, so the one at store 12
    // may not be the only one there either
    let chat = "2026-07-01,Bob Kowalski,Store 12 Halsted workers\n";
    let signin = "2026-07-07,Robert Kowalski,312-456-0142,,Store 12 workers meeting\n\
                  2026-07-09,Robert Kowalski,773-294-3450,,Store 31 workers meeting\n";
    let (_p, plan) = project(chat, signin, "", PROBABLE);
    let (ing, res) = resolve(&plan, None);
    assert_ne!(who(&ing, &res, "chat.csv", 2), who(&ing, &res, "signin.csv", 2));
    assert_eq!(res.stats.probable_refused_ambiguous, 1);
}

#[test]
fn overrides_join_and_separate_over_every_rule() {
    let signin = "2026-07-07,Rosa Martinez,312-456-0142,,Store 12 workers meeting\n\
                  2026-07-21,Rosa Martinez,,rosa.m@gmail.com,Store 12 workers meeting\n\
                  2026-07-21,Rosa M,773-294-3450,shared@gmail.com,Store 12 workers meeting\n\
                  2026-07-28,Rosa Martinez,312-867-5309,shared@gmail.com,Store 12 workers meeting\n";
    let chat = "2026-07-01,Dana (organizer),Store 12 Halsted workers\n";
    let signin_dana = format!("{signin}2026-07-07,Dana Whitfield,,dana@northsideworkers.org,Store 12 workers meeting\n");
    let overrides = "# identity overrides\n\
                     a,b,relation\n\
                     (312) 456-0142,Rosa.M@Gmail.com,same\n\
                     phone:773-294-3450,+1 312 867 5309,different\n\
                     name:groups:Dana (organizer),dana@northsideworkers.org,same\n\
                     nobody@example.org,+1 312 456 0199,same\n";
    let (_p, plan) = project_with(
        chat,
        &signin_dana,
        "",
        "overrides = \"data/same-person.csv\"",
        &[("data/same-person.csv", overrides)],
    );
    let (ing, res) = resolve(&plan, None);
    assert_eq!(
        who(&ing, &res, "signin.csv", 2),
        who(&ing, &res, "signin.csv", 3),
        "same: phone and email"
    );
    assert_ne!(
        who(&ing, &res, "signin.csv", 4),
        who(&ing, &res, "signin.csv", 5),
        "different wins over a shared email"
    );
    assert_eq!(
        who(&ing, &res, "chat.csv", 2),
        who(&ing, &res, "signin.csv", 6),
        "a display name joins an email"
    );
    assert_eq!(res.stats.overrides_same, 2);
    assert_eq!(res.stats.overrides_different, 1);
    assert_eq!(res.stats.overrides_unmatched, 1);
    assert!(res.stats.conflicts >= 1, "the shared email's join was refused");
}

#[test]
fn a_bad_overrides_row_is_an_error_naming_line_and_column() {
    let (p, _) = project("", "", "", "");
    p.write(
        "data/same-person.csv",
        "a,b,relation\nrosa@x.org,+1 312 456 0142,same\nrosa@x.org,call me,same\nrosa@x.org,id:nosuchtool:1,maybe\n",
    );
    let toml = std::fs::read_to_string(p.path().join("pipelines/t.toml"))
        .unwrap()
        .replace("[identity]\n", "[identity]\noverrides = \"data/same-person.csv\"\n");
    p.write("pipelines/t.toml", toml);
    let out = p.turnout(&["check", "pipelines/t.toml"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(out.stderr.contains("data/same-person.csv:3:12"), "{}", out.explain());
    assert!(
        out.stderr.contains("data/same-person.csv:4:28: relation must be same or different"),
        "{}",
        out.explain()
    );
    assert!(
        !out.stderr.contains("call me"),
        "identifiers never appear in messages: {}",
        out.explain()
    );
}

#[test]
fn ids_stay_when_exports_are_added_and_changes_are_counted() {
    // Week 1: Rosa known by phone only; Ana and Luis separately by email and phone.
    let week1 = "2026-07-07,Rosa Martinez,312-456-0142,,Store 12 workers meeting\n\
                 2026-07-07,Ana Ruiz,,ana.ruiz@gmail.com,Store 12 workers meeting\n\
                 2026-07-07,Ana Ruiz,773-294-3450,,Store 12 workers meeting\n";
    let (p, plan) = project("", week1, "", "");
    let (ing1, r1) = resolve(&plan, None);
    let id = |ing: &turnout::ingest::Ingested, r: &Resolution, line| r.persons[who(ing, r, "signin.csv", line) as usize].id.clone();
    let rosa1 = id(&ing1, &r1, 2);
    let (ana_a, ana_b) = (id(&ing1, &r1, 3), id(&ing1, &r1, 4));
    assert_ne!(ana_a, ana_b, "not linked yet");
    let previous: identity::PreviousIds = r1
        .key_tokens
        .iter()
        .map(|(t, p)| (t.clone(), r1.persons[*p as usize].id.clone()))
        .collect();

    // Week 2 adds Rosa's email (it sorts before her phone) and a row linking Ana's two keys.
    let week2 = format!(
        "{week1}2026-07-14,Rosa Martinez,312-456-0142,rosa.m@gmail.com,Store 12 workers meeting\n\
         2026-07-14,Ana Ruiz,773-294-3450,ana.ruiz@gmail.com,Store 12 workers meeting\n\
         2026-07-14,Luis Ortiz,872-555-0100,luis@x.org,Store 12 workers meeting\n"
    );
    p.write("data/signin.csv", format!("Date,Name,Phone,Email,Meeting\n{week2}"));
    let (ing2, r2) = resolve(&plan, Some(&previous));
    assert_eq!(id(&ing2, &r2, 2), rosa1, "Rosa keeps her id though her smallest key changed");
    let ana = id(&ing2, &r2, 3);
    assert_eq!(ana, id(&ing2, &r2, 4));
    assert!(ana == ana_a || ana == ana_b, "a merged person keeps one of the two ids");
    assert_eq!(r2.stats.ids_merged, 1);
    assert_eq!(r2.stats.ids_kept, 2);
    assert_eq!(r2.stats.ids_new, 1, "Luis");
    assert!(r2.stats.has_previous_ids);

    // Without the previous ids, Rosa's id would have followed her new smallest key.
    let (ing3, r3) = resolve(&plan, None);
    assert_ne!(id(&ing3, &r3, 2), rosa1);
}

#[test]
fn the_run_keeps_ids_across_weeks_through_person_keys() {
    let p = common::Project::demo();
    let out = p.turnout(&["run", "--quiet"]);
    assert!(out.code <= 1, "{}", out.explain());
    let keys = turnout::tables::read_person_keys(&p.path().join("work/demo/person_keys.parquet")).unwrap();
    assert!(keys.len() > 3000, "every key of every person: {}", keys.len());
    let out = p.turnout(&["run", "--quiet"]);
    assert!(out.code <= 1, "{}", out.explain());
    let again = turnout::tables::read_person_keys(&p.path().join("work/demo/person_keys.parquet")).unwrap();
    assert_eq!(keys, again, "same inputs, same ids");
    let metrics = p.read("reports/demo/latest/metrics.json");
    let m: serde_json::Value = serde_json::from_str(&metrics).unwrap();
    let ids = &m["quality"]["identity"]["ids"];
    assert_eq!(ids["changed"], 0, "{ids}");
    assert_eq!(ids["new"], 0, "{ids}");
}

/// A damaged `person_keys.parquet` (read on a thread of its own while identity runs) costs
/// the week its ids, with a warning that says so: never the run.
#[test]
fn a_damaged_previous_keys_file_is_a_warning_not_a_failed_run() {
    let p = common::Project::demo();
    assert!(p.turnout(&["run", "--quiet"]).code <= 1);
    p.write("work/demo/person_keys.parquet", "not parquet at all");
    let out = p.turnout(&["run", "--quiet"]);
    assert!(out.code <= 1, "{}", out.explain());
    let run: serde_json::Value = serde_json::from_str(&p.read("reports/demo/latest/run.json")).unwrap();
    let warned = run["warnings"].as_array().unwrap().iter().any(|w| {
        let w = w.as_str().unwrap_or("");
        w.contains("cannot read the previous run's person ids") && w.contains("person_keys.parquet")
    });
    assert!(warned, "{}", run["warnings"]);
    // And the file is whole again for next week.
    assert!(
        turnout::tables::read_person_keys(&p.path().join("work/demo/person_keys.parquet"))
            .unwrap()
            .len()
            > 3000
    );
}

#[test]
fn the_demo_resolves_with_high_precision_and_the_recall_names_add() {
    let root = common::repo();
    let plan = turnout::config::load(&root.join("pipelines/demo.toml")).unwrap();
    let truth = identity::evaluate::read_truth(&root.join("data/demo/ground_truth.csv"), "data/demo/").unwrap();
    let (ing, res) = resolve(&plan, None);
    let e = identity::evaluate::evaluate(&ing.events, &res, &truth);
    assert_eq!(e.unmatched_records, 0, "every record has a truth row");
    assert!(e.precision() >= 0.995, "precision {:.4}", e.precision());
    assert!(e.recall() >= 0.85, "recall {:.4}", e.recall());

    // Names off: fewer links, so probable links are what bring the recall.
    let mut off = plan.clone();
    off.identity.probable_names = false;
    let ing_off = turnout::ingest::ingest(&off).unwrap();
    let res_off = identity::resolve_with(
        &off,
        &Inputs {
            events: &ing_off.events,
            identities: &ing_off.identities,
            ..Default::default()
        },
        &key(),
    );
    let e_off = identity::evaluate::evaluate(&ing_off.events, &res_off, &truth);
    assert!(e.recall() > e_off.recall() + 0.05, "{:.4} vs {:.4}", e.recall(), e_off.recall());
}

/// Identity resolves distinct records, not events (a member's messages in one group are one
/// record for it): every record repeated three times links exactly as the records once, and
/// every per-record count is three times as large.
#[test]
fn repeated_records_link_as_one_and_count_as_many() {
    let p = common::Project::demo();
    let plan = turnout::config::load(&p.path().join("pipelines/demo.toml")).unwrap();
    let ing = turnout::ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let overrides = turnout::run::load_overrides(&plan).unwrap_or_else(|e| panic!("{e}"));
    let three = |v: &[turnout::schema::Event]| v.iter().flat_map(|e| [e.clone(), e.clone(), e.clone()]).collect::<Vec<_>>();
    let (thrice, identities_thrice) = (three(&ing.events), three(&ing.identities));
    let resolve = |events, identities| {
        identity::resolve_with(
            &plan,
            &Inputs {
                events,
                identities,
                overrides: &overrides,
                previous: None,
                phones: None,
                ..Default::default()
            },
            &key(),
        )
    };
    let (once, three) = (resolve(&ing.events, &ing.identities), resolve(&thrice, &identities_thrice));
    assert!(once.persons.len() > 1000, "the demo has people: {}", once.persons.len());
    let ids = |r: &Resolution| r.persons.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&once), ids(&three));
    for (i, &p) in once.person_of.iter().enumerate() {
        assert_eq!(&three.person_of[3 * i..3 * i + 3], &[p, p, p], "event {i}");
    }
    for (a, b) in once.persons.iter().zip(&three.persons) {
        assert_eq!(
            (a.events * 3, a.first_seen, a.keys, a.organizer),
            (b.events, b.first_seen, b.keys, b.organizer)
        );
    }
    assert_eq!(once.key_tokens, three.key_tokens);
    assert_eq!(once.links.len(), three.links.len());
    for (a, b) in once.links.iter().zip(&three.links) {
        assert_eq!((a.person, &a.key, &a.other_key, a.rule), (b.person, &b.key, &b.other_key, b.rule));
        assert_eq!(a.records * 3, b.records, "{a:?}");
    }
    let (s1, s3) = (&once.stats, &three.stats);
    assert_eq!(s1.records * 3, s3.records);
    assert_eq!(s1.conflicts * 3, s3.conflicts);
    for (reason, n) in &s1.rejected_by_reason {
        assert_eq!(s3.rejected_by_reason[reason], n * 3, "{reason}");
    }
    assert!(!s1.rejected_by_reason.is_empty(), "the demo has an invalid phone or email");
    assert_eq!(
        (&s1.links_by_rule, &s1.keys_by_kind, s1.probable_links, s1.ambiguous_display_names),
        (&s3.links_by_rule, &s3.keys_by_kind, s3.probable_links, s3.ambiguous_display_names)
    );
    for (i, e) in ing.events.iter().enumerate() {
        assert_eq!(once.norm_phone[i], three.norm_phone[3 * i], "{}", e.origin);
        assert_eq!(once.norm_email[i], three.norm_email[3 * i + 2], "{}", e.origin);
    }
}
