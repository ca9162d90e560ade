//! Logs: `--log-format json` writes one JSON object per line (stages with durations, warnings,
//! errors), and no log line, in either format, holds an identifier from the inputs.

mod common;

use serde_json::Value;

/// Emails and phone numbers (last 10 digits) from the demo's Mailchimp and Spoke exports.
fn identifiers(p: &common::Project) -> (Vec<String>, Vec<String>) {
    let mut emails = Vec::new();
    for line in p.read("data/demo/mailchimp/subscribed_members_export.csv").lines().skip(1) {
        emails.push(line.split(',').next().unwrap().trim().to_lowercase());
    }
    let mut phones = Vec::new();
    for line in p.read("data/demo/spoke/messages.csv").lines().skip(1) {
        let digits: String = line.split(',').nth(3).unwrap_or("").chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 10 {
            phones.push(digits[digits.len() - 10..].to_string());
        }
    }
    (emails, phones)
}

#[test]
fn json_logs_are_one_object_per_line_with_every_stage_and_no_identifier() {
    let p = common::Project::demo();
    // A bad row with an email in it: it must be counted, never quoted.
    let path = p.path().join("data/demo/signin/2026-07-07-store-12-halsted.csv");
    let mut sheet = std::fs::read(&path).unwrap();
    sheet.extend_from_slice(b"Secret Person,312-456-0199,secret.person@example.org,not a date,Store 12 workers meeting\n");
    std::fs::write(&path, sheet).unwrap();

    let out = p.turnout(&["--log-format", "json", "run"]);
    assert!(out.code <= 1, "{}", out.explain());
    let events: Vec<Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let stages: Vec<&str> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "stage done")
        .map(|e| e["fields"]["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "reading exports",
            "linking people",
            "measuring funnels",
            "writing tables",
            "publishing the report"
        ]
    );
    assert!(events.iter().all(|e| e["timestamp"].is_string() && e["level"].is_string()));
    let done = events
        .iter()
        .find(|e| e["fields"]["message"] == "report published")
        .expect("a final event");
    assert_eq!(done["fields"]["exit_code"], out.code);

    let (emails, phones) = identifiers(&p);
    assert!(emails.len() > 100 && phones.len() > 100);
    let all = format!("{}\n{}", out.stdout, out.stderr).to_lowercase();
    for e in emails.iter().chain(std::iter::once(&"secret.person@example.org".to_string())) {
        assert!(!all.contains(e.as_str()), "an email reached the logs");
    }
    let digits: String = all.chars().map(|c| if c.is_ascii_digit() { c } else { ' ' }).collect();
    for ph in phones.iter().chain(std::iter::once(&"3124560199".to_string())) {
        assert!(!digits.contains(ph.as_str()), "a phone number reached the logs");
    }
    assert!(!all.contains("secret person"), "a name reached the logs");
}

#[test]
fn an_error_is_a_json_event_with_its_exit_code() {
    let p = common::Project::demo();
    let out = p.turnout(&["--log-format", "json", "run", "pipelines/missing.toml"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.explain());
    let e: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(e["level"], "ERROR");
    assert_eq!(e["fields"]["exit_code"], 2);
    assert!(e["fields"]["message"].as_str().unwrap().contains("pipelines/missing.toml"));
}
