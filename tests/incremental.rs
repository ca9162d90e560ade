//! Incremental runs: unchanged exports are not parsed again, changed ones are, `--rebuild`
//! parses everything, and a cached run publishes the same report as a fresh one.

mod common;

use serde_json::Value;

fn run_json(p: &common::Project) -> Value {
    serde_json::from_str(&p.read("reports/demo/latest/run.json")).unwrap()
}

/// (cached inputs, all inputs)
fn cached(v: &Value) -> (usize, usize) {
    let inputs = v["inputs"].as_array().unwrap();
    (inputs.iter().filter(|f| f["cached"] == true).count(), inputs.len())
}

#[test]
fn a_second_run_parses_nothing_and_a_changed_file_is_parsed_again() {
    let p = common::Project::demo();
    let first = p.turnout(&["run", "--quiet"]);
    assert!(first.code <= 1, "{}", first.explain());
    let (c, n) = cached(&run_json(&p));
    assert_eq!(c, 0, "nothing cached on a first run");
    assert!(n > 50);
    let fresh = p.read("reports/demo/latest/index.html");
    let fresh_metrics = p.read("reports/demo/latest/metrics.json");

    let second = p.turnout(&["run", "--quiet"]);
    assert!(second.code <= 1, "{}", second.explain());
    assert_eq!(cached(&run_json(&p)), (n, n), "an unchanged export is not parsed again");
    assert_eq!(
        p.read("reports/demo/latest/index.html"),
        fresh,
        "cached and fresh runs publish the same report"
    );
    assert_eq!(p.read("reports/demo/latest/metrics.json"), fresh_metrics);

    // Change one export: only it is parsed again.
    let path = p.path().join("data/demo/mailchimp/subscribed_members_export.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&text.lines().nth(1).unwrap().replacen('@', "+new@", 1));
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let third = p.turnout(&["run", "--quiet"]);
    assert!(third.code <= 1, "{}", third.explain());
    let v = run_json(&p);
    assert_eq!(cached(&v), (n - 1, n));
    let changed: Vec<&Value> = v["inputs"].as_array().unwrap().iter().filter(|f| f["cached"] == false).collect();
    assert_eq!(changed[0]["source"], "email-list");

    // --rebuild parses everything, and the cache holds one entry per input (old ones pruned).
    let fourth = p.turnout(&["run", "--quiet", "--rebuild"]);
    assert!(fourth.code <= 1, "{}", fourth.explain());
    assert_eq!(cached(&run_json(&p)), (0, n));
    let entries = std::fs::read_dir(p.path().join("work/demo/cache")).unwrap().count();
    // One entry per file (each demo zip holds one chat), the changed file's old entry pruned.
    assert_eq!(entries, n);
}

#[test]
fn a_changed_reader_option_is_not_served_from_the_cache() {
    let p = common::Project::demo();
    assert!(p.turnout(&["run", "--quiet"]).code <= 1);
    // Zoom reports read day-first instead of month-first: every Zoom file must be parsed again.
    let toml = p
        .read("pipelines/demo.toml")
        .replace("date_order = \"mdy\"", "date_order = \"dmy\"");
    p.write("pipelines/demo.toml", toml);
    let out = p.turnout(&["run", "--quiet"]);
    // Day-first Zoom times may be refused or read differently; either way they were re-read.
    let v: Value = serde_json::from_str(&p.read("reports/demo/latest/run.json")).unwrap_or(Value::Null);
    if out.code <= 1 {
        let zoom: Vec<&Value> = v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["source"] == "zoom-check-ins")
            .collect();
        assert!(!zoom.is_empty());
        assert!(zoom.iter().all(|f| f["cached"] == false), "{zoom:?}");
    } else {
        assert_eq!(out.code, 3, "{}", out.explain());
    }
}

#[cfg(unix)]
#[test]
fn the_cache_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let p = common::Project::demo();
    assert!(p.turnout(&["run", "--quiet"]).code <= 1);
    let dir = p.path().join("work/demo/cache");
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        assert_eq!(e.metadata().unwrap().permissions().mode() & 0o777, 0o600, "{:?}", e.path());
    }
}
