//! `turnout forget`: a person leaves every person-level table, action list and cache, and the
//! record of it names nobody.

mod common;

use std::collections::HashSet;

#[test]
fn forget_removes_every_trace_from_person_level_outputs_and_caches() {
    let p = common::Project::demo();
    let out = p.turnout(&["run", "--quiet"]);
    assert!(out.code <= 1, "{}", out.explain());

    // Someone with an email on the list and other records: the first Mailchimp subscriber.
    let audience = p.read("data/demo/mailchimp/subscribed_members_export.csv");
    let raw_email = audience.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    let email = turnout::identity::normalize::email(&raw_email).unwrap();
    let key = turnout::privacy::Pseudonymizer::new(b"test-key-0123456789abcdef");
    let token = key.token("email", &email);
    let work = p.path().join("work/demo");
    let keys = turnout::tables::read_person_keys(&work.join("person_keys.parquet")).unwrap();
    let person = keys.get(&token).expect("the subscriber is a person").clone();
    let person_tokens: HashSet<&String> = keys.iter().filter(|(_, v)| **v == person).map(|(k, _)| k).collect();
    let events_before = turnout::tables::string_cells(&work.join("events.parquet")).unwrap();
    let rows_before = events_before.iter().filter(|c| **c == person).count();
    assert!(rows_before >= 1);

    let out = p.turnout(&["forget", &raw_email]);
    assert_eq!(out.code, 0, "{}", out.explain());
    assert!(out.stdout.contains("forgot 1 person(s)"), "{}", out.explain());
    assert!(out.stdout.contains("remove them there too"), "{}", out.explain());
    assert!(
        !out.stdout.contains(&email) && !out.stdout.contains(&person),
        "the command names nobody"
    );

    // No table under work/ holds the person's id or any of their keyed identifiers.
    for e in std::fs::read_dir(&work).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "parquet") {
            let cells = turnout::tables::string_cells(&path).unwrap();
            assert!(!cells.contains(&person), "{} still holds the person", path.display());
            for t in &person_tokens {
                assert!(!cells.contains(t), "{} still holds one of their identifiers", path.display());
            }
        }
    }
    // Other people are still there.
    let events_after = turnout::tables::string_cells(&work.join("events.parquet")).unwrap();
    assert!(events_after.len() > events_before.len() / 2);
    // The cache (raw rows) is gone; the action lists do not name them.
    assert!(!work.join("cache").exists());
    let mut stack = vec![p.path().join("restricted")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    !text.contains(&person) && !text.to_lowercase().contains(&email),
                    "{}",
                    path.display()
                );
            }
        }
    }
    // The log says what was done, not to whom.
    let log = p.read("work/demo/forget.log");
    assert!(log.contains("forgot 1 person(s)"), "{log}");
    assert!(!log.contains(&email) && !log.contains(&person) && !log.contains(&token), "{log}");

    // Forgetting again finds nobody; a malformed identifier is refused without echoing it.
    let again = p.turnout(&["forget", &raw_email]);
    assert_eq!(again.code, 0, "{}", again.explain());
    assert!(again.stdout.contains("no person with that identifier"), "{}", again.explain());
    let bad = p.turnout(&["forget", "call-me-maybe-12"]);
    assert_eq!(bad.code, 2, "{}", bad.explain());
    assert!(!bad.stderr.contains("call-me-maybe"), "{}", bad.explain());
}
