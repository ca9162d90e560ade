//! The hostile-input corpus (tests/hostile/, see its README): each broken export, read beside a
//! good one, gives a clear error naming the file (and line and column where there is one) or a
//! counted quarantine with a reason — never a panic, never a silent drop.

mod common;

use serde_json::Value;

/// A project reading `data/*.csv` (the good file plus `files`) with the generic csv tool.
fn project(files: &[(&str, Vec<u8>)]) -> common::Project {
    let p = common::Project::empty();
    p.write(
        "data/good.csv",
        std::fs::read(common::repo().join("tests/hostile/good.csv")).unwrap(),
    );
    for (name, bytes) in files {
        p.write(&format!("data/{name}"), bytes);
    }
    p.write(
        "pipelines/h.toml",
        "[pipeline]\nname = \"h\"\ntimezone = \"UTC\"\n\n[[source]]\nname = \"sheets\"\ntool = \"csv\"\npath = \"data/*.csv\"\n\
         columns = { ts = \"Date\", name = \"Name\", phone = \"Phone\" }\naction = \"attended\"\nts_format = \"%Y-%m-%d\"\n\n\
         [[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{ name = \"a\", when = { action = \"attended\" } }]\n\n[report]\nmin_cell = 1\n",
    );
    p
}

fn corpus(name: &str) -> (&str, Vec<u8>) {
    (name, std::fs::read(common::repo().join("tests/hostile").join(name)).unwrap())
}

/// The run.json entry of `data/<name>`'s file (by label order: good.csv sorts after most).
fn file_stats(p: &common::Project, name: &str) -> Value {
    let run: Value = serde_json::from_str(&p.read("reports/h/latest/run.json")).unwrap();
    let inputs: Value = serde_json::from_str(&p.read("work/h/inputs.json")).unwrap();
    let label = inputs
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not among the inputs"))["label"]
        .clone();
    run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == label)
        .unwrap()
        .clone()
}

fn quarantine_reasons(p: &common::Project) -> Vec<String> {
    let df = turnout::tables::read_parquet(&p.path().join("work/h/quarantine.parquet")).unwrap();
    df.column("reason")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

#[test]
fn an_empty_file_is_noted_not_fatal() {
    let p = project(&[corpus("empty.csv")]);
    let out = p.turnout(&["run", "pipelines/h.toml"]);
    assert!(out.code <= 1, "{}", out.explain());
    let f = file_stats(&p, "empty.csv");
    assert_eq!((f["rows"].as_u64(), f["events"].as_u64()), (Some(0), Some(0)));
    assert_eq!(file_stats(&p, "good.csv")["events"], 2, "the good file still counts");
}

#[test]
fn an_unclosed_quote_sets_aside_the_rows_it_swallowed_and_counts_them() {
    for (name, kept) in [("truncated.csv", 1), ("unclosed-quote.csv", 0)] {
        let p = project(&[corpus(name)]);
        let out = p.turnout(&["run", "pipelines/h.toml"]);
        assert_eq!(out.code, 1, "{name}: over the 5% threshold: {}", out.explain());
        let f = file_stats(&p, name);
        assert_eq!(f["events"], kept, "{name}");
        assert_eq!(f["quarantined"], 1, "{name}");
        assert_eq!(quarantine_reasons(&p), ["unclosed_quote"], "{name}");
        assert!(out.stderr.contains("rows set aside"), "{}", out.explain());
    }
}

#[test]
fn utf16_is_read_and_ten_thousand_columns_and_a_64_mb_line_do_no_harm() {
    let mut wide = String::from("Date,Name,Phone");
    for i in 0..10_000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push_str("\n2026-07-05,Rosa Diaz,872-363-0100");
    wide.push_str(&",x".repeat(10_000));
    wide.push('\n');
    let long = format!("Date,Name,Phone\n2026-07-06,{},312-867-5309\n", "A".repeat(64 << 20));
    let p = project(&[
        corpus("utf16.csv"),
        ("wide.csv", wide.into_bytes()),
        ("long-line.csv", long.into_bytes()),
    ]);
    let out = p.turnout(&["run", "pipelines/h.toml"]);
    assert!(out.code <= 1, "{}", out.explain());
    assert_eq!(file_stats(&p, "utf16.csv")["events"], 1);
    assert_eq!(file_stats(&p, "wide.csv")["events"], 1);
    assert_eq!(file_stats(&p, "long-line.csv")["events"], 1);
    assert!(!out.stderr.contains("AAAA"), "cell values never reach messages");
}

#[test]
fn a_date_in_the_year_9999_is_set_aside_not_made_the_latest_week() {
    let p = project(&[corpus("year-9999.csv")]);
    let out = p.turnout(&["run", "pipelines/h.toml"]);
    assert!(out.code <= 1, "{}", out.explain());
    assert_eq!(file_stats(&p, "year-9999.csv")["quarantined"], 1);
    assert_eq!(quarantine_reasons(&p), ["bad_timestamp"]);
    let run: Value = serde_json::from_str(&p.read("reports/h/latest/run.json")).unwrap();
    assert!(run["period"].as_str().unwrap().starts_with("2026-"), "{}", run["period"]);
}

#[test]
fn broken_headers_and_binary_junk_are_errors_naming_the_file() {
    let p = project(&[corpus("duplicate-header.csv")]);
    let out = p.turnout(&["run", "pipelines/h.toml"]);
    assert_eq!(out.code, 3, "{}", out.explain());
    assert!(
        out.stderr
            .contains("data/duplicate-header.csv:1:3: the header has column \"Name\" more than once"),
        "{}",
        out.explain()
    );

    let p = project(&[corpus("binary-junk.csv")]);
    let out = p.turnout(&["run", "pipelines/h.toml"]);
    assert_eq!(out.code, 3, "{}", out.explain());
    assert!(out.stderr.contains("data/binary-junk.csv:1"), "{}", out.explain());
    assert!(out.stderr.contains("hint:"), "{}", out.explain());
    assert!(!p.path().join("reports/h").join("latest").exists(), "nothing published");
}

#[cfg(unix)]
#[test]
fn a_link_to_a_file_outside_the_project_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("payroll.csv");
    std::fs::write(&secret, "Date,Name,Phone\n2026-07-01,Boss,312-456-0199\n").unwrap();
    let p = project(&[]);
    std::os::unix::fs::symlink(&secret, p.path().join("data/linked.csv")).unwrap();
    let out = p.turnout(&["check", "pipelines/h.toml"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(
        out.stderr
            .contains("data/linked.csv (matched by \"data/*.csv\") links to a file outside the project folder"),
        "{}",
        out.explain()
    );
    assert!(
        !out.stderr.contains("payroll"),
        "the link's target is not printed: {}",
        out.explain()
    );
    // A link inside the project is fine.
    std::fs::remove_file(p.path().join("data/linked.csv")).unwrap();
    std::fs::write(p.path().join("inside.csv"), "Date,Name,Phone\n2026-07-03,Ana Ruiz,312-456-0142\n").unwrap();
    std::os::unix::fs::symlink(p.path().join("inside.csv"), p.path().join("data/linked.csv")).unwrap();
    let out = p.turnout(&["run", "pipelines/h.toml"]);
    assert!(out.code <= 1, "{}", out.explain());
}
