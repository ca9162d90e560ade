//! `[checks]`: data-quality thresholds publish the report but exit 1 with a plain warning.

mod common;

fn project(checks: &str, extra_rows: &str) -> common::Project {
    let p = common::Project::empty();
    p.write(
        "data/signups.csv",
        format!(
            "When,Name,Phone\n2026-07-13 10:00,Ana Ruiz,+1 312 456 0142\n2026-07-14 10:00,Luis Ortiz,773-294-3450\n2026-07-15 10:00,Rosa Diaz,872-363-0100\n{extra_rows}"
        ),
    );
    p.write("data/texts.csv", "When,Phone\n2026-06-01 09:00,+13124560142\n");
    let toml = format!(
        "[pipeline]\nname = \"t\"\ntimezone = \"UTC\"\n\n\
         [[source]]\nname = \"signups\"\ntool = \"csv\"\npath = \"data/signups.csv\"\ncolumns = {{ ts = \"When\", name = \"Name\", phone = \"Phone\" }}\naction = \"form_submitted\"\nts_format = \"%Y-%m-%d %H:%M\"\n\n\
         [[source]]\nname = \"texts\"\ntool = \"csv\"\npath = \"data/texts.csv\"\ncolumns = {{ ts = \"When\", phone = \"Phone\" }}\naction = \"text_received\"\nts_format = \"%Y-%m-%d %H:%M\"\n\n\
         [[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{{ name = \"a\", when = {{ action = \"form_submitted\" }} }}]\n\n\
         [report]\nmin_cell = 1\n\n{checks}"
    );
    p.write("pipelines/t.toml", toml);
    p
}

#[test]
fn each_threshold_warns_and_exits_1_but_publishes() {
    // The texts export's newest record is 6 weeks behind the sign-ups: stale (default 14 days).
    let p = project("", "");
    let out = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert_eq!(out.code, 1, "{}", out.explain());
    assert!(
        out.stderr.contains("source \"texts\": its newest record is 44 days older"),
        "{}",
        out.explain()
    );
    assert!(p.path().join("reports/t/2026-W29/index.html").is_file(), "published anyway");

    // Turned off, and nothing else is wrong: exit 0.
    let p = project("[checks]\nmax_days_behind = 0\n", "");
    let out = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert_eq!(out.code, 0, "{}", out.explain());

    // One bad row in four is 25% set aside, over a 10% threshold.
    let p = project(
        "[checks]\nmax_days_behind = 0\nmax_quarantined_share = 0.1\n",
        "yesterday,Bad Row,312-456-0199\n",
    );
    let out = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert_eq!(out.code, 1, "{}", out.explain());
    assert!(
        out.stderr
            .contains("source \"signups\": 1 of 4 rows set aside (25%, more than 10%)"),
        "{}",
        out.explain()
    );

    // A source expected every week with nothing in the reported week.
    let p = project("[checks]\nmax_days_behind = 0\nexpect_weekly = [\"texts\"]\n", "");
    let out = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert_eq!(out.code, 1, "{}", out.explain());
    assert!(out.stderr.contains("source \"texts\": no records in 2026-W29"), "{}", out.explain());
    let run: serde_json::Value = serde_json::from_str(&p.read("reports/t/2026-W29/run.json")).unwrap();
    assert_eq!(run["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn a_bad_checks_table_is_a_configuration_error() {
    let p = project("[checks]\nexpect_weekly = [\"whatsapp\"]\nmax_quarantined_share = 5\n", "");
    let out = p.turnout(&["check", "pipelines/t.toml"]);
    assert_eq!(out.code, 2, "{}", out.explain());
    assert!(
        out.stderr.contains("expect_weekly names \"whatsapp\", which is not a source"),
        "{}",
        out.explain()
    );
    assert!(
        out.stderr.contains("max_quarantined_share must be between 0 and 1"),
        "{}",
        out.explain()
    );
    assert!(out.stderr.contains("t.toml:"), "file:line:column: {}", out.explain());
}
