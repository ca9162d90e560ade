//! The real binary on the shipped demo and on broken inputs.

mod common;

use common::Project;

fn metrics(p: &Project) -> serde_json::Value {
    serde_json::from_str(&p.read("reports/demo/latest/metrics.json")).unwrap()
}

#[test]
fn demo_run_publishes_a_whole_report() {
    let p = Project::demo();
    let out = p.turnout(&["run"]);
    assert_eq!(out.code, 0, "{}", out.explain());
    assert!(out.stdout.contains("Report: "), "{}", out.explain());
    let m = metrics(&p);
    let period = m["period"].as_str().unwrap().to_string();
    let dir = p.path().join("reports/demo").join(&period);
    for f in [
        "index.html",
        "summary.md",
        "metrics.json",
        "run.json",
        "charts/funnel-group-to-meeting.svg",
        "charts/funnel-group-to-meeting.png",
        "charts/cohorts-group-to-meeting.svg",
        "tables/funnel-group-to-meeting.csv",
        "tables/quality.csv",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}\n{}", out.explain());
    }
    // latest points at the period
    assert_eq!(
        std::fs::read_link(p.path().join("reports/demo/latest")).unwrap().to_str().unwrap(),
        period
    );
    // run.json meters every stage, in order, for the benchmark harness
    let run: serde_json::Value = serde_json::from_str(&p.read(&format!("reports/demo/{period}/run.json"))).unwrap();
    let stages: Vec<&str> = run["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["config", "ingest", "identity", "timeline", "funnel", "tables", "report_model"]
    );
    for s in run["stages"].as_array().unwrap() {
        assert_eq!(run["durations_ms"][s["stage"].as_str().unwrap()], s["wall_ms"], "{s}");
        assert!(s["peak_rss_mb"].as_u64().unwrap() >= s["rss_mb"].as_u64().unwrap(), "{s}");
    }
    // PNG is a PNG
    let png = std::fs::read(dir.join("charts/funnel-group-to-meeting.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // published counts never rise down the funnel, and the summary printed matches summary.md
    for f in m["funnels"].as_array().unwrap() {
        let counts: Vec<u64> = f["stages"].as_array().unwrap().iter().filter_map(|s| s["count"].as_u64()).collect();
        assert!(counts.len() >= 3, "{f}");
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
        for s in f["stages"].as_array().unwrap().iter().skip(1) {
            if let Some(r) = s["rate_from_previous"].as_object() {
                let v = r["value"].as_f64().unwrap();
                assert!(r["low"].as_f64().unwrap() <= v && v <= r["high"].as_f64().unwrap());
            }
        }
    }
    assert!(out.stdout.contains(p.read(&format!("reports/demo/{period}/summary.md")).trim()));
    // every section is there
    let html = p.read(&format!("reports/demo/{period}/index.html"));
    for id in [
        "id=\"headline\"",
        "id=\"funnel-0\"",
        "id=\"cohorts-0\"",
        "id=\"quality\"",
        "id=\"identity\"",
        "id=\"method\"",
        "<svg",
    ] {
        assert!(html.contains(id), "index.html lacks {id}");
    }
    assert!(!html.contains("<script"), "the report needs no script");
    // input files are named by label, never by path (a file name can name a person)
    for f in ["index.html", "run.json", "metrics.json", "tables/quality.csv", "summary.md"] {
        assert!(
            !p.read(&format!("reports/demo/{period}/{f}")).contains("data/demo"),
            "{f} names an input path"
        );
    }
    assert!(
        p.read("work/demo/inputs.json").contains("data/demo/"),
        "the owner-only map keeps the paths"
    );
    // person-level tables are written owner-only, outside the report
    for t in ["events", "persons", "links", "timeline", "funnel_people", "quarantine"] {
        let path = p.path().join(format!("work/demo/{t}.parquet"));
        assert!(path.is_file(), "missing {t}.parquet");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o077,
            0,
            "{t}.parquet is readable by others"
        );
    }
}

#[test]
fn same_inputs_give_byte_identical_reports() {
    let p = Project::demo();
    let a = p.turnout(&["run", "pipelines/demo.toml", "--quiet"]);
    assert_eq!(a.code, 0, "{}", a.explain());
    let period = metrics(&p)["period"].as_str().unwrap().to_string();
    let dir = p.path().join("reports/demo").join(&period);
    let snapshot = |dir: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for sub in ["", "charts", "tables"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let e = e.unwrap();
                if e.path().is_file() && e.file_name() != "run.json" {
                    files.push((
                        format!("{sub}/{}", e.file_name().to_string_lossy()),
                        std::fs::read(e.path()).unwrap(),
                    ));
                }
            }
        }
        files.sort();
        files
    };
    let first = snapshot(&dir);
    let b = p.turnout(&["run", "pipelines/demo.toml", "--quiet"]);
    assert_eq!(b.code, 0, "{}", b.explain());
    assert!(b.stdout.is_empty(), "--quiet prints nothing: {}", b.stdout);
    let second = snapshot(&dir);
    assert_eq!(first.len(), second.len());
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(x.0, y.0);
        assert!(x.1 == y.1, "{} differs between two runs on the same inputs", x.0);
    }
}

/// Emails and phone digits from every demo input cell.
fn demo_identifiers(p: &Project) -> (Vec<String>, Vec<String>) {
    let mut emails = Vec::new();
    let mut phones = Vec::new();
    let mut stack = vec![p.path().join("data/demo")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().unwrap() == "ground_truth.csv" {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for cell in text.split([',', ';', '\n', '\r', '"']) {
                let c = cell.trim();
                if c.contains('@') && c.contains('.') {
                    emails.push(c.to_lowercase());
                }
                let digits: String = c.chars().filter(|ch| ch.is_ascii_digit()).collect();
                let looks_like_phone = c.chars().all(|ch| ch.is_ascii_digit() || " ()+-.".contains(ch));
                // a North American number: 10 digits, or 11 starting with the country code 1
                // (an 11-digit Zoom meeting id is not a phone)
                if looks_like_phone && (digits.len() == 10 || digits.len() == 11 && digits.starts_with('1')) {
                    phones.push(digits[digits.len() - 10..].to_string());
                }
            }
        }
    }
    emails.sort();
    emails.dedup();
    phones.sort();
    phones.dedup();
    (emails, phones)
}

#[test]
fn no_raw_identifier_reaches_the_report_or_the_person_tables() {
    let p = Project::demo();
    let out = p.turnout(&["run"]);
    assert_eq!(out.code, 0, "{}", out.explain());
    let (emails, phones) = demo_identifiers(&p);
    assert!(emails.len() > 100 && phones.len() > 100, "the demo should be full of identifiers");
    let mut texts = vec![out.stdout.clone(), out.stderr.clone()];
    let mut stack = vec![p.path().join("reports"), p.path().join("work")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_symlink() {
                continue;
            }
            if path.is_dir() {
                // The parsed-file cache holds the exports' raw identifiers by design (DESIGN.md
                // §7: caches, owner-only; tests/incremental.rs checks the permissions).
                if path.ends_with("work/demo/cache") {
                    continue;
                }
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "parquet") {
                texts.extend(turnout::tables::string_cells(&path).unwrap());
            } else if path.extension().is_none_or(|x| x != "png") {
                texts.push(String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned());
            }
        }
    }
    let all = texts.join("\n").to_lowercase();
    for e in &emails {
        assert!(!all.contains(e.as_str()), "an input email appears in the outputs");
    }
    let digits_only: String = all.chars().map(|c| if c.is_ascii_digit() { c } else { ' ' }).collect();
    for ph in &phones {
        assert!(!digits_only.contains(ph.as_str()), "an input phone number appears in the outputs");
    }
}

#[test]
fn check_passes_on_the_demo_and_writes_nothing() {
    let p = Project::demo();
    let out = p.turnout(&["check", "pipelines/demo.toml"]);
    assert_eq!(out.code, 0, "{}", out.explain());
    assert!(out.stdout.contains("is valid"), "{}", out.explain());
    assert!(out.stdout.contains("every input's header matches"), "{}", out.explain());
    assert!(!p.path().join("reports").exists() && !p.path().join("work").exists());
}

#[test]
fn a_broken_pipeline_gets_every_problem_with_file_and_line() {
    let p = Project::empty();
    p.write("data/sheet.csv", "Name,Phone,Date\nRosa,3124560142,7/14/2026\n");
    let bad = r#"[pipeline]
name = "broken"
timezone = "America/Chicag"

[[source]]
name = "sheets"
tool = "whatsap"
path = "data/sheet.csv"

[[source]]
name = "more"
tool = "csv"
path = "data/nothing-here/*.csv"
columns = { name = "Name", ts = "Date", shoe_size = "Size" }
action = "attended"

[[funnel]]
name = "f"
window = "1 month"
stages = []
"#;
    p.write("pipelines/broken.toml", bad);
    let out = p.turnout(&["check", "pipelines/broken.toml"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    let e = &out.stderr;
    for (line, what) in [
        (3, "is not an IANA time zone"),
        (7, "unknown tool \"whatsap\""),
        (13, "matches no files"),
        (14, "\"shoe_size\" is neither"),
        (19, "calendar months"),
        (20, "the funnel has no stages"),
    ] {
        assert!(
            e.contains(&format!("pipelines/broken.toml:{line}:")) && e.contains(what),
            "expected line {line}: {what}\n{}",
            out.explain()
        );
    }
    assert!(e.contains("hint:"), "{}", out.explain());
    assert!(e.contains("6 problem(s)"), "{}", out.explain());
}

#[test]
fn a_typo_in_a_key_is_refused_with_its_line() {
    let p = Project::empty();
    p.write(
        "pipelines/typo.toml",
        "[pipeline]\nname = \"t\"\ntimezone = \"UTC\"\ntimezon = \"UTC\"\n",
    );
    let out = p.turnout(&["check", "pipelines/typo.toml"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(out.stderr.contains("pipelines/typo.toml:4:1"), "{}", out.explain());
    assert!(out.stderr.contains("unknown field"), "{}", out.explain());
}

#[test]
fn an_input_missing_a_mapped_column_is_an_input_error() {
    let p = Project::empty();
    p.write("data/sheet.csv", "Full name,Phone,Date\nRosa,3124560142,7/14/2026\n");
    p.write(
        "pipelines/p.toml",
        r#"[pipeline]
name = "p"
timezone = "America/Chicago"

[[source]]
name = "sheets"
tool = "csv"
path = "data/sheet.csv"
columns = { name = "Name", phone = "Phone", ts = "Date" }
action = "attended"

[[funnel]]
name = "f"
window = "30d"
stages = [{ name = "Came", when = { action = "attended" } }]
"#,
    );
    let out = p.turnout(&["run", "pipelines/p.toml"]);
    assert_eq!(out.code, 3, "{}", out.explain());
    assert!(
        out.stderr.contains("data/sheet.csv:1: the header has no column \"Name\""),
        "{}",
        out.explain()
    );
    assert!(!p.path().join("reports/p").exists(), "nothing is published on an input error");
}

#[test]
fn a_bad_period_is_a_usage_error() {
    let p = Project::demo();
    let out = p.turnout(&["run", "--period", "last week"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(out.stderr.contains("2026-W27"), "{}", out.explain());
}

#[test]
fn a_failed_run_leaves_the_previous_report_intact() {
    let p = Project::demo();
    let first = p.turnout(&["run"]);
    assert_eq!(first.code, 0, "{}", first.explain());
    let period = metrics(&p)["period"].as_str().unwrap().to_string();
    let before = p.read(&format!("reports/demo/{period}/index.html"));
    // corrupt an input: a mapped column disappears
    let sheet = std::fs::read_dir(p.path().join("data/demo/signin"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&sheet, "Nombre,Telefono\nx,y\n").unwrap();
    let second = p.turnout(&["run"]);
    assert_eq!(second.code, 3, "{}", second.explain());
    assert_eq!(p.read(&format!("reports/demo/{period}/index.html")), before);
    assert_eq!(
        std::fs::read_link(p.path().join("reports/demo/latest")).unwrap().to_str().unwrap(),
        period
    );
}

#[test]
fn a_scale_out_engine_that_is_missing_or_fails_publishes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::demo();
    // An engine name that does not exist is a usage error that lists the engines.
    let out = p.turnout(&["run", "--engine", "spark"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(out.stderr.contains("ballista://HOST:PORT"), "{}", out.explain());
    // The scale-out program is not installed: a configuration error with the fix, no report.
    let missing = p.path().join("no-such-program");
    let out = p.turnout_env(
        &["run", "--engine", "datafusion"],
        &[("TURNOUT_SCALE_OUT", missing.to_str().unwrap())],
    );
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(
        out.stderr.contains("turnout-scale-out") && out.stderr.contains("hint: build it"),
        "{}",
        out.explain()
    );
    assert!(!p.path().join("reports/demo/latest").exists(), "{}", out.explain());

    let first = p.turnout(&["run"]);
    assert_eq!(first.code, 0, "{}", first.explain());
    let period = metrics(&p)["period"].as_str().unwrap().to_string();
    let before = p.read(&format!("reports/demo/{period}/index.html"));
    // The engine fails (a cluster that cannot be reached), or answers with fills that do not
    // belong to this run: an internal error that says so, and the previous report stays.
    let fake = |name: &str, body: &str| {
        let path = p.write(name, format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.to_str().unwrap().to_string()
    };
    let unreachable = fake(
        "unreachable.sh",
        "echo 'error: cannot reach the Ballista scheduler at df://127.0.0.1:1' >&2; exit 2",
    );
    // Arguments: PIPELINE --engine E --timeline T --period P --cutoff-us C --write-answer OUT
    let stranger = fake(
        "stranger.sh",
        r#"echo '{"funnels":[[{"person":"nobody","events":[7],"facts":{"fills":[[0,"Second"]],"values":[]}}],[],[]],"organizing":{"occasions":[],"attenders":[],"new":[],"active":[]}}' > "${11}""#,
    );
    for (program, says) in [
        (&unreachable, "cannot reach the Ballista scheduler"),
        (&stranger, "a person id this run does not have"),
    ] {
        let out = p.turnout_env(&["run", "--engine", "ballista://127.0.0.1:1"], &[("TURNOUT_SCALE_OUT", program)]);
        assert_eq!(out.code, 4, "{}", out.explain());
        assert!(out.stderr.contains(says), "{}", out.explain());
        assert_eq!(p.read(&format!("reports/demo/{period}/index.html")), before);
    }
    let out = p.turnout_env(
        &["run", "--engine", "ballista://127.0.0.1:1"],
        &[("TURNOUT_SCALE_OUT", &unreachable)],
    );
    assert!(out.stderr.contains("nothing was published"), "{}", out.explain());
}

#[test]
fn a_second_run_of_the_same_pipeline_fails_clearly_and_a_stale_lock_is_recovered() {
    let p = Project::demo();
    // a live process (pid 1) holds the lock
    p.write("reports/demo/.lock", "1\n");
    let out = p.turnout(&["run"]);
    assert_eq!(out.code, 5, "{}", out.explain());
    assert!(
        out.stderr
            .contains("another turnout run of pipeline \"demo\" is in progress (process 1)"),
        "{}",
        out.explain()
    );
    assert!(out.stderr.contains("hint:"), "{}", out.explain());
    assert!(!p.path().join("reports/demo/latest").exists());
    // the run that held it died: its lock is taken over
    p.write("reports/demo/.lock", "4194999\n");
    let out = p.turnout(&["run"]);
    assert_eq!(out.code, 0, "{}", out.explain());
    let run: serde_json::Value = serde_json::from_str(&p.read("reports/demo/latest/run.json")).unwrap();
    assert_eq!(run["recovered_stale_lock"], true);
    assert!(!p.path().join("reports/demo/.lock").exists(), "released after the run");
}

#[test]
fn the_index_lists_every_published_week_newest_first() {
    let p = Project::demo();
    assert_eq!(p.turnout(&["run", "--period", "2026-W40"]).code, 0);
    assert_eq!(p.turnout(&["run", "--period", "2026-W41"]).code, 0);
    let index = p.read("reports/demo/index.html");
    let w41 = index.find("href=\"2026-W41/index.html\"").expect("W41 listed");
    let w40 = index.find("href=\"2026-W40/index.html\"").expect("W40 listed");
    assert!(w41 < w40, "newest first");
    assert!(index.contains("href=\"latest/index.html\""));
    assert_eq!(
        std::fs::read_link(p.path().join("reports/demo/latest")).unwrap().to_str().unwrap(),
        "2026-W41"
    );
}

#[test]
fn hostile_text_from_exports_is_escaped_in_html_and_neutralised_in_csv() {
    let p = Project::empty();
    // group titles from an export: markup, a spreadsheet formula, emoji
    let mut rows = String::from("Name,Phone,Date,Group\n");
    for i in 0..12 {
        rows.push_str(&format!("Person {i},31245601{i:02},7/14/2026,<script>alert(1)</script>\n"));
        rows.push_str(&format!(
            "Other {i},77345602{i:02},7/15/2026,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n"
        ));
        rows.push_str(&format!("Third {i},87245603{i:02},7/16/2026,Tienda 🌮 & Co\n"));
    }
    p.write("data/sheet.csv", rows);
    p.write(
        "pipelines/p.toml",
        r#"[pipeline]
name = "p"
timezone = "America/Chicago"

[[source]]
name = "sheets"
tool = "csv"
path = "data/sheet.csv"
columns = { name = "Name", phone = "Phone", ts = "Date", context = "Group" }
action = "attended"
ts_format = "%m/%d/%Y"

[[funnel]]
name = "Came <b>twice</b>"
window = "30d"
breakdowns = ["context"]
stages = [{ name = "Came", when = { action = "attended" } }, { name = "=cmd|' /C calc'!A0", when = { action = "attended" } }]

[report]
min_cell = 1
"#,
    );
    let out = p.turnout(&["run", "pipelines/p.toml", "--period", "2026-W29"]);
    assert_eq!(out.code, 0, "{}", out.explain());
    let dir = "reports/p/2026-W29";
    let html = p.read(&format!("{dir}/index.html"));
    assert!(!html.contains("<script>alert"), "raw markup from an export reached the page");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the group title is shown, escaped"
    );
    assert!(!html.contains("<b>twice</b>") && html.contains("&lt;b&gt;twice&lt;/b&gt;"));
    assert!(html.contains("Tienda 🌮 &amp; Co"));
    for entry in std::fs::read_dir(p.path().join(dir).join("tables")).unwrap() {
        let path = entry.unwrap().path();
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
        for rec in rdr.records() {
            for cell in rec.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@']),
                    "{}: a cell a spreadsheet would run: {cell}",
                    path.display()
                );
            }
        }
    }
    let breakdown = p.read(&format!("{dir}/tables/cohorts-came-b-twice-b.csv"));
    assert!(breakdown.contains("'=cmd"), "the stage name is kept, neutralised: {breakdown}");
    // every SVG chart is still well-formed enough to inline: no raw markup from the data
    for entry in std::fs::read_dir(p.path().join(dir).join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let svg = std::fs::read_to_string(&path).unwrap();
            assert!(!svg.contains("<b>") && !svg.contains("<script"), "{}", path.display());
        }
    }
    let metrics: serde_json::Value = serde_json::from_str(&p.read(&format!("{dir}/metrics.json"))).unwrap();
    let buckets = metrics["funnels"][0]["breakdowns"][0]["buckets"].as_array().unwrap();
    assert!(
        buckets.iter().any(|b| b["value"] == "<script>alert(1)</script>"),
        "metrics.json keeps the raw value (it is JSON, not HTML)"
    );
}
