//! The organizers' action lists: who is on each, and that they stay private (owner-only, never
//! in or linked from the report, written only when the pipeline asks).

mod common;

fn project(action_lists: bool) -> common::Project {
    let p = common::Project::empty();
    p.write(
        "data/signups.csv",
        "When,Name,Phone\n\
         2026-07-13 10:00,Ana Ruiz,+1 312 456 0142\n\
         2026-07-14 10:00,Luis Ortiz,773-294-3450\n\
         2026-07-19 20:00,Rosa Diaz,872-363-0100\n\
         2026-06-20 10:00,Maria Lopez,312-867-5309\n",
    );
    p.write(
        "data/texts.csv",
        "When,Phone\n\
         2026-07-14 09:00,+13124560142\n\
         2026-07-17 09:00,7732943450\n\
         2026-07-20 12:00,3128675309\n",
    );
    p.write(
        "data/rsvps.csv",
        "When,Name,Phone,Meeting\n\
         2026-07-13 11:00,Ana Ruiz,312-456-0142,store12@2026-07-16\n\
         2026-07-14 11:00,Luis Ortiz,773-294-3450,store12@2026-07-16\n\
         2026-07-15 11:00,Ana Ruiz,312-456-0142,store12@2026-07-23\n\
         2026-07-15 11:00,Luis Ortiz,773-294-3450,store12@2026-07-23\n",
    );
    p.write(
        "data/confirms.csv",
        "When,Phone,Meeting\n2026-07-18 11:00,773-294-3450,store12@2026-07-23\n",
    );
    p.write(
        "data/attended.csv",
        "When,Name,Phone,Meeting\n\
         2026-07-16 18:30,Luis Ortiz,773-294-3450,store12@2026-07-16\n\
         2026-06-25 18:30,Maria Lopez,312-867-5309,store12@2026-06-25\n",
    );
    let source = |name: &str, action: &str, cols: &str| {
        format!(
            "[[source]]\nname = \"{name}\"\ntool = \"csv\"\npath = \"data/{name}.csv\"\ncolumns = {{ {cols} }}\naction = \"{action}\"\nts_format = \"%Y-%m-%d %H:%M\"\n\n"
        )
    };
    let mut toml = String::from("[pipeline]\nname = \"t\"\ntimezone = \"UTC\"\ndefault_region = \"US\"\n\n");
    toml += &source("signups", "form_submitted", "ts = \"When\", name = \"Name\", phone = \"Phone\"");
    toml += &source("texts", "text_received", "ts = \"When\", phone = \"Phone\"");
    toml += &source(
        "rsvps",
        "rsvp",
        "ts = \"When\", name = \"Name\", phone = \"Phone\", occasion = \"Meeting\"",
    );
    toml += &source(
        "confirms",
        "rsvp_confirmed",
        "ts = \"When\", phone = \"Phone\", occasion = \"Meeting\"",
    );
    toml += &source(
        "attended",
        "attended",
        "ts = \"When\", name = \"Name\", phone = \"Phone\", occasion = \"Meeting\"",
    );
    toml += "[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{ name = \"Signed up\", when = { action = \"form_submitted\" } }, { name = \"Came\", when = { action = \"attended\" } }]\n\n";
    toml += &format!("[report]\nmin_cell = 1\naction_lists = {action_lists}\n");
    p.write("pipelines/t.toml", toml);
    p
}

fn names(p: &common::Project, list: &str) -> Vec<String> {
    let text = p.read(&format!("restricted/t/2026-W29/{list}"));
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["person_id", "name", "phone", "email", "detail"]
    );
    rdr.records().map(|r| r.unwrap()[1].to_string()).collect()
}

#[test]
fn each_list_holds_the_people_to_follow_up() {
    let p = project(true);
    let out = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert!(out.code <= 1, "{}", out.explain());
    assert!(out.stdout.contains("Action lists for organizers"), "{}", out.explain());
    // Luis was first texted 3 days after signing up; Ana the next morning; Rosa signed up less
    // than 48 hours before the data ends (too early to say); Maria is not new this week.
    assert_eq!(names(&p, "new-not-contacted.csv"), ["Luis Ortiz"]);
    // Ana never confirmed the 23rd; Luis did.
    assert_eq!(names(&p, "rsvps-not-confirmed.csv"), ["Ana Ruiz"]);
    // Attendance was taken on the 16th: Ana RSVP'd and did not come.
    assert_eq!(names(&p, "no-shows.csv"), ["Ana Ruiz"]);
    // Maria came once, 25 days before the data ends; Luis's only meeting was 4 days ago.
    assert_eq!(names(&p, "came-once.csv"), ["Maria Lopez"]);
    let rows = p.read("restricted/t/2026-W29/came-once.csv");
    assert!(
        rows.contains("'+13128675309"),
        "phones in E.164, neutralised for spreadsheets: {rows}"
    );
    assert!(rows.contains("came on 2026-06-25, 25 days ago"), "{rows}");
}

#[cfg(unix)]
#[test]
fn lists_are_owner_only_never_in_the_report_and_only_on_request() {
    use std::os::unix::fs::PermissionsExt;
    let p = project(true);
    let out = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert!(out.code <= 1, "{}", out.explain());
    let mode = |rel: &str| std::fs::metadata(p.path().join(rel)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("restricted"), 0o700);
    assert_eq!(mode("restricted/t"), 0o700);
    assert_eq!(mode("restricted/t/2026-W29"), 0o700);
    for f in ["new-not-contacted.csv", "rsvps-not-confirmed.csv", "no-shows.csv", "came-once.csv"] {
        assert_eq!(mode(&format!("restricted/t/2026-W29/{f}")), 0o600, "{f}");
    }
    // Nothing in the report names anyone or points at the lists.
    for rel in ["index.html", "summary.md", "metrics.json", "run.json"] {
        let text = p.read(&format!("reports/t/2026-W29/{rel}"));
        for secret in ["restricted", "Ana Ruiz", "Luis", "4560142", "2943450"] {
            assert!(!text.contains(secret), "{rel} mentions {secret:?}");
        }
    }
    // A re-run replaces the week's lists whole.
    let again = p.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert!(again.code <= 1, "{}", again.explain());
    assert_eq!(names(&p, "no-shows.csv"), ["Ana Ruiz"]);

    let q = project(false);
    let out = q.turnout(&["run", "pipelines/t.toml", "--period", "2026-W29"]);
    assert!(out.code <= 1, "{}", out.explain());
    assert!(!q.path().join("restricted").exists(), "no lists unless the pipeline asks");
    assert!(!out.stdout.contains("Action lists"));
}
