//! The demo's published report: snapshots of metrics.json, summary.md and every SVG chart (so
//! any change to a published number or drawing shows up in review), and a structural check of
//! index.html (well-formed, every section and chart present, nothing fetched from the network,
//! no script).
//!
//! Snapshots live in tests/snapshots/; after an intended change, review and accept them with
//! `INSTA_UPDATE=always cargo test --release --test report` (or `cargo insta review`).

mod common;

use std::collections::BTreeMap;

/// Runs the shipped demo once in a temp project and returns its report files by relative path.
fn demo_report() -> (common::Project, BTreeMap<String, Vec<u8>>) {
    let p = common::Project::demo();
    let out = p.turnout(&["run", "--quiet"]);
    assert!(out.code <= 1, "{}", out.explain());
    let dir = p.path().join("reports/demo/latest");
    let mut files = BTreeMap::new();
    for sub in ["", "charts", "tables"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                let rel = if sub.is_empty() {
                    e.file_name().to_string_lossy().into_owned()
                } else {
                    format!("{sub}/{}", e.file_name().to_string_lossy())
                };
                files.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    (p, files)
}

fn text(files: &BTreeMap<String, Vec<u8>>, rel: &str) -> String {
    String::from_utf8(files.get(rel).unwrap_or_else(|| panic!("{rel} missing")).clone()).unwrap()
}

#[test]
fn metrics_summary_and_charts_match_their_snapshots() {
    let (_p, files) = demo_report();
    insta::assert_snapshot!("metrics.json", text(&files, "metrics.json"));
    insta::assert_snapshot!("summary.md", text(&files, "summary.md"));
    let svgs: Vec<&String> = files.keys().filter(|k| k.ends_with(".svg")).collect();
    assert!(svgs.len() >= 10, "{svgs:?}");
    for rel in svgs {
        let name = rel.trim_start_matches("charts/").replace('.', "_");
        insta::assert_snapshot!(name, text(&files, rel));
    }
}

/// A minimal HTML reader: tags in order, with the attributes' raw text. Fails on anything it
/// cannot read (an unclosed tag, a stray `<`).
fn tags(html: &str) -> Vec<(bool, String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        if after.starts_with("!--") {
            let end = after.find("-->").expect("a comment is closed");
            rest = &after[end + 3..];
            continue;
        }
        if after.starts_with('!') {
            let end = after.find('>').expect("a doctype is closed");
            rest = &after[end + 1..];
            continue;
        }
        let end = after.find('>').expect("every tag is closed");
        let inner = &after[..end];
        assert!(!inner.contains('<'), "a stray < inside a tag: {inner:?}");
        let closing = inner.starts_with('/');
        let body = inner.trim_start_matches('/');
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
            .collect();
        assert!(!name.is_empty(), "a tag without a name: <{inner}>; raw text must be escaped");
        let attrs = body[name.len()..].trim_end_matches('/').to_string();
        let self_closing = inner.ends_with('/');
        out.push((closing, name.to_ascii_lowercase(), attrs));
        if self_closing {
            let n = out.last().unwrap().1.clone();
            out.push((true, n, String::new()));
        }
        rest = &after[end + 1..];
    }
    out
}

const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link", "col", "wbr"];

#[test]
fn index_html_is_well_formed_complete_and_self_contained() {
    let (_p, files) = demo_report();
    let html = text(&files, "index.html");
    // Style blocks hold CSS, not markup.
    let no_style = {
        let mut s = String::new();
        let mut rest = html.as_str();
        while let Some(i) = rest.find("<style>") {
            s.push_str(&rest[..i]);
            let end = rest[i..].find("</style>").expect("style closed");
            rest = &rest[i + end + "</style>".len()..];
        }
        s.push_str(rest);
        s
    };
    let mut stack: Vec<String> = Vec::new();
    let mut ids = Vec::new();
    let mut svgs = 0;
    for (closing, name, attrs) in tags(&no_style) {
        if let Some(i) = attrs.find("id=\"") {
            ids.push(attrs[i + 4..].split('"').next().unwrap().to_string());
        }
        assert_ne!(name, "script", "no JavaScript");
        assert_ne!(name, "iframe");
        for a in ["src=\"http", "href=\"http", "url(http", "xlink:href=\"http"] {
            assert!(!attrs.contains(a), "nothing fetched from the network: <{name} {attrs}>");
        }
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            let open = stack.pop().unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else {
            if name == "svg" {
                svgs += 1;
            }
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    // Every section a strategist looks for.
    for id in [
        "funnel-0",
        "cohorts-0",
        "timing-0",
        "breakdown-0-0",
        "funnel-1",
        "funnel-2",
        "attendance",
        "repeat",
        "first-meeting",
        "weeks",
        "quality",
        "identity",
        "method",
    ] {
        assert!(ids.iter().any(|i| i == id), "section {id} missing; ids: {ids:?}");
    }
    // Every chart written is inlined: funnel, cohorts, timing and breakdowns per funnel, weeks.
    let charts = files.keys().filter(|k| k.starts_with("charts/") && k.ends_with(".svg")).count();
    assert_eq!(svgs, charts, "each chart's SVG is inlined once");
    let pngs = files.keys().filter(|k| k.starts_with("charts/") && k.ends_with(".png")).count();
    assert_eq!(pngs, charts, "each chart also as PNG");
    // Plain words, and the finding in the funnel titles.
    assert!(html.contains("How to read this"));
    assert!(html.contains("the biggest loss is between"));
}
