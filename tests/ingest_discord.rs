//! The DiscordChatExporter CSV reader on fixtures shaped like its exports in several locales
//! (tests/fixtures/discord): en-US month-first with CRLF and a multi-line message, de-DE
//! day-first with seconds and a BOM, a file whose order cannot be told, ISO with offsets, and the
//! old `dd-MMM-yy` default.

mod common;

use proptest::prelude::*;
use turnout::config;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::{Event, Tool};
use turnout::timeutil::iso;

fn plan(project: &common::Project, path: &str, extra: &str) -> config::Plan {
    let fixtures = common::repo().join("tests/fixtures/discord");
    let toml = format!(
        r#"[pipeline]
name = "fixtures"
timezone = "America/Chicago"
root = "{}"

[[source]]
name = "discord"
tool = "discord"
path = "{path}"
{extra}

[[funnel]]
name = "f"
window = "30d"
stages = [{{ name = "a", when = {{ action = "message_sent" }} }}]
"#,
        fixtures.display()
    );
    let p = project.write("pipelines/fixtures.toml", toml);
    config::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

fn show(e: &Event) -> String {
    let o = |v: &Option<turnout::schema::Str>| v.map_or_else(|| "-".to_string(), String::from);
    format!(
        "{} {} {} {} id={} name={} phone={} ctx={} occ={}{}",
        e.origin,
        e.action,
        iso(e.ts),
        e.precision,
        o(&e.external_id),
        o(&e.name),
        o(&e.phone),
        o(&e.context),
        o(&e.occasion),
        if e.organizer { " organizer" } else { "" }
    )
}

const EN_US: &str = "Workers United - general [884712345678901234].csv";

#[test]
fn en_us_month_first_crlf_multiline_and_system_messages() {
    let project = common::Project::empty();
    // brackets are glob syntax: DiscordChatExporter file names need a wildcard in `path`
    let plan = plan(&project, "Workers United*.csv", "");
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let c = "ctx=Workers United - general occ=-";
    assert_eq!(
        got,
        vec![
            format!("{EN_US}:2 message_sent 2021-11-19T15:54:00Z minute id=884700000000000001 name=rosa.m phone=- {c}"),
            // the quoted message runs over lines 3 and 4
            format!("{EN_US}:3 message_sent 2021-11-19T16:02:00Z minute id=884700000000000002 name=bobk phone=- {c}"),
            format!("{EN_US}:5 group_joined 2021-11-19T16:05:00Z minute id=884700000000000003 name=lupe_g phone=- {c}"),
            // attachment only; 7:30 PM CST is the next day in UTC
            format!("{EN_US}:7 message_sent 2021-11-21T01:30:00Z minute id=884700000000000001 name=rosa.m phone=- {c}"),
            // .NET writes U+202F before AM; 12:05 AM is just after midnight
            format!("{EN_US}:10 message_sent 2021-11-21T06:05:00Z minute id=884700000000000005 name=Deleted User phone=- {c}"),
        ]
    );
    let q: Vec<(u64, Option<&str>, &str)> = out
        .quarantine
        .iter()
        .map(|r| (r.line, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(q, vec![(8, None, "no_identifier"), (9, Some("Date"), "bad_timestamp")]);
    for r in &out.quarantine {
        assert!(!r.detail.contains("11/32") && !r.detail.contains("ghost"), "{}", r.detail);
    }
    let st = &out.files[0];
    assert_eq!((st.rows, st.events, st.skipped, st.quarantined), (8, 5, 1, 2));
    assert!(st.notes["date_order"].starts_with("mdy: "), "{}", st.notes["date_order"]);
    assert!(st.notes["date_order"].contains("above 12"), "{}", st.notes["date_order"]);
    assert_eq!(st.notes["date_format"], "numeric, local");
    assert_eq!(st.notes["skipped_system"], "pin: 1");
    assert_eq!(st.notes["encoding"], "UTF-8");
}

#[test]
fn de_day_first_with_seconds_bom_and_source_timezone() {
    let project = common::Project::empty();
    let plan = plan(&project, "de-channel.csv", "timezone = \"Europe/Berlin\"");
    let out = ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let c = "ctx=de-channel occ=-";
    assert_eq!(
        got,
        vec![
            format!("de-channel.csv:2 message_sent 2021-11-19T08:54:15Z second id=884700000000000011 name=jonas phone=- {c}"),
            format!("de-channel.csv:3 message_sent 2021-11-19T17:03:00Z second id=884700000000000012 name=mia phone=- {c}"),
            format!("de-channel.csv:4 message_sent 2021-12-02T07:00:05Z second id=884700000000000011 name=jonas phone=- {c}"),
        ]
    );
    let st = &out.files[0];
    assert!(st.notes["date_order"].starts_with("dmy: "), "{}", st.notes["date_order"]);
    assert_eq!(st.notes["encoding"], "UTF-8 (BOM)");
    assert_eq!(st.notes["timezone"], "local times read in Europe/Berlin");
}

#[test]
fn ambiguous_order_is_an_error_naming_date_order_until_it_is_set() {
    let project = common::Project::empty();
    let plan1 = plan(&project, "ambiguous.csv", "");
    let err = ingest::ingest(&plan1).unwrap_err().to_string();
    assert!(
        err.contains("ambiguous.csv:2:3: the dates in column \"Date\" are ambiguous"),
        "{err}"
    );
    assert!(err.contains("hint: set date_order = \"dmy\""), "{err}");
    assert!(err.contains("in source \"discord\""), "{err}");
    assert!(!err.contains("03/04/2021"), "no cell values in messages: {err}");

    let plan2 = plan(&project, "ambiguous.csv", "date_order = \"dmy\"\ngroup = \"Organizing Committee\"");
    let out = ingest::ingest(&plan2).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    let c = "ctx=Organizing Committee occ=-";
    assert_eq!(
        got,
        vec![
            // 3 April, CDT
            format!("ambiguous.csv:2 message_sent 2021-04-03T15:00:00Z minute id=884700000000000021 name=ana phone=- {c}"),
            format!("ambiguous.csv:3 message_sent 2021-04-03T16:15:00Z minute id=884700000000000022 name=luis phone=- {c}"),
        ]
    );
    assert_eq!(out.files[0].notes["date_order"], "dmy (set in the pipeline)");

    let plan3 = plan(&project, "ambiguous.csv", "date_order = \"mdy\"");
    let out = ingest::ingest(&plan3).unwrap();
    assert_eq!(iso(out.events[0].ts), "2021-03-04T16:00:00Z"); // 4 March, CST
}

#[test]
fn iso_with_offset_and_old_month_name_format() {
    let project = common::Project::empty();
    let out = ingest::ingest(&plan(&project, "iso.csv", "")).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    assert_eq!(
        got,
        vec![
            "iso.csv:2 message_sent 2021-11-19T08:54:15Z second id=884700000000000031 name=kim phone=- ctx=iso occ=-",
            "iso.csv:3 message_sent 2021-11-19T09:00:00Z second id=884700000000000032 name=lee phone=- ctx=iso occ=-",
        ]
    );
    assert_eq!(out.files[0].notes["date_format"], "ISO 8601 with offset");
    assert!(!out.files[0].notes.contains_key("date_order"));

    let out = ingest::ingest(&plan(&project, "old-dateformat.csv", "")).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = out.events.iter().map(show).collect();
    assert_eq!(
        got,
        vec![
            "old-dateformat.csv:2 message_sent 2021-11-19T15:54:00Z minute id=884700000000000041 name=sam#1234 phone=- ctx=old-dateformat occ=-",
            "old-dateformat.csv:3 message_sent 2021-11-20T19:15:00Z minute id=884700000000000042 name=alex#0001 phone=- ctx=old-dateformat occ=-",
        ]
    );
}

#[test]
fn missing_columns_are_file_errors_listing_what_was_found() {
    let project = common::Project::empty();
    project.write("in/export.csv", "Author,Date,Content\n\"rosa\",\"11/19/2021 9:54 AM\",\"hi\"\n");
    let pf = project.write(
        "pipelines/x.toml",
        "[pipeline]\nname = \"x\"\ntimezone = \"UTC\"\n\n[[source]]\nname = \"d\"\ntool = \"discord\"\npath = \"in/export.csv\"\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{ name = \"a\", when = { action = \"message_sent\" } }]\n",
    );
    let plan = config::load(&pf).unwrap();
    let err = ingest::ingest(&plan).unwrap_err().to_string();
    assert!(err.contains("in/export.csv:1: the header has no author id column"), "{err}");
    assert!(err.contains("found columns: \"Author\", \"Date\", \"Content\""), "{err}");
    assert!(err.contains("--format Csv"), "{err}");
    let pre = ingest::preflight(&plan);
    assert_eq!(pre.len(), 1, "{pre:?}");
}

fn run(plan: &config::Plan, bytes: &[u8]) {
    let parser = ingest::parser_for(Tool::Discord).expect("discord is ready");
    let source = &plan.sources[0];
    let input = Input {
        plan,
        source,
        path: &source.files[0],
        shown: "fuzz/export.csv".to_string(),
        bytes,
    };
    let mut sink = Sink::new(source, &input.shown, bytes);
    let _ = parser.parse(&input, &mut sink);
    let _ = parser.preflight(&input);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let project = common::Project::empty();
        let plan = plan(&project, "iso.csv", "");
        run(&plan, &bytes);
    }

    #[test]
    fn arbitrary_dates_never_panic(dates in proptest::collection::vec(
        prop_oneof![
            "[0-9]{1,5}[/.-] ?[0-9]{1,5}[/.-] ?[0-9]{1,5}\\.?,? [0-9]{1,3}[:.][0-9]{1,3}([:.][0-9]{1,3})?( ?[AaPp]\\.? ?[Mm]\\.?)?",
            "[0-9]{1,2}-[A-Za-z]{3}-[0-9]{2} [0-9]{1,2}:[0-9]{2} [AP]M",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([+-][0-9]{2}:[0-9]{2}|Z)",
            ".{0,24}",
        ],
        1..12,
    ), order in prop_oneof![Just(""), Just("date_order = \"dmy\""), Just("date_order = \"mdy\""), Just("date_order = \"ymd\"")]) {
        let project = common::Project::empty();
        let plan = plan(&project, "iso.csv", order);
        let mut csv = String::from("AuthorID,Author,Date,Content,Attachments,Reactions\n");
        for d in &dates {
            csv.push_str(&format!("\"1\",\"a\",\"{}\",\"\",\"\",\"\"\n", d.replace('"', "\"\"")));
        }
        run(&plan, csv.as_bytes());
    }

    #[test]
    fn mutated_exports_never_panic(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..12),
    ) {
        let project = common::Project::empty();
        let plan = plan(&project, "iso.csv", "");
        let file = [EN_US, "de-channel.csv", "ambiguous.csv", "iso.csv", "old-dateformat.csv"][which];
        let mut bytes = std::fs::read(common::repo().join("tests/fixtures/discord").join(file)).unwrap();
        for (at, b, op) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = b,
                1 => bytes.insert(i, b),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        run(&plan, &bytes);
    }
}
