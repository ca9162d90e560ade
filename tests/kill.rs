//! A run killed (SIGKILL) at several points leaves the previous report and `latest` intact, and
//! the next run succeeds and cleans up. The run is stopped at a named point by the test hook
//! `TURNOUT_TEST_PAUSE_AT` (see `lock::pause_point`), then killed.
#![cfg(unix)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `turnout run` paused at `point`, waits until it is there, and kills it.
fn kill_at(p: &common::Project, point: &str, args: &[&str]) {
    let marker = p.path().join(format!("paused-{point}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_turnout"))
        .args(["run", "--quiet"])
        .args(args)
        .current_dir(p.path())
        .env("TURNOUT_KEY", "test-key-0123456789abcdef")
        .env("TURNOUT_TEST_PAUSE_AT", point)
        .env("TURNOUT_TEST_PAUSE_FILE", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended before reaching {point}: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "never reached {point}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

fn snapshot(p: &common::Project, period: &str) -> (String, String, std::path::PathBuf) {
    let dir = p.path().join("reports/demo");
    (
        p.read(&format!("reports/demo/{period}/index.html")),
        p.read(&format!("reports/demo/{period}/metrics.json")),
        std::fs::canonicalize(dir.join("latest")).unwrap(),
    )
}

#[test]
fn a_killed_run_leaves_the_previous_report_and_the_next_run_succeeds() {
    let p = common::Project::demo();
    let out = p.turnout(&["run", "--quiet", "--period", "2026-W41"]);
    assert!(out.code <= 1, "{}", out.explain());
    let before = snapshot(&p, "2026-W41");

    // Killed while re-publishing the same week, at every stage, including between moving the old
    // report aside and moving the new one in.
    for point in ["ingested", "tables", "staged", "swapped-out"] {
        kill_at(&p, point, &["--period", "2026-W41"]);
        let next = p.turnout(&["run", "--quiet", "--period", "2026-W41"]);
        assert!(next.code <= 1, "after a kill at {point}: {}", next.explain());
        assert_eq!(snapshot(&p, "2026-W41"), before, "after a kill at {point} and a re-run");
        let leftovers: Vec<String> = std::fs::read_dir(p.path().join("reports/demo"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.') && n != ".lock")
            .collect();
        assert!(leftovers.is_empty(), "after a kill at {point}: {leftovers:?}");
    }

    // Killed while publishing a new week: the last published week stays whole and `latest`.
    for point in ["staged", "swapped-out"] {
        kill_at(&p, point, &["--period", "2026-W42"]);
        assert_eq!(snapshot(&p, "2026-W41"), before, "a kill at {point} touches nothing published");
        assert!(!p.path().join("reports/demo/2026-W42").exists(), "no half report at {point}");
    }
    let next = p.turnout(&["run", "--quiet", "--period", "2026-W42"]);
    assert!(next.code <= 1, "{}", next.explain());
    assert!(p.path().join("reports/demo/2026-W42/index.html").is_file());
    assert!(
        p.read("reports/demo/index.html").contains("2026-W41"),
        "the index still lists the older week"
    );
}

#[test]
fn a_report_moved_aside_by_a_killed_run_comes_back_even_when_another_week_runs_next() {
    let p = common::Project::demo();
    assert!(p.turnout(&["run", "--quiet", "--period", "2026-W41"]).code <= 1);
    let before = snapshot(&p, "2026-W41");
    kill_at(&p, "swapped-out", &["--period", "2026-W41"]);
    assert!(
        !p.path().join("reports/demo/2026-W41").exists(),
        "killed in the window: W41 is aside"
    );
    let next = p.turnout(&["run", "--quiet", "--period", "2026-W40"]);
    assert!(next.code <= 1, "{}", next.explain());
    let (html, metrics, _) = snapshot(&p, "2026-W41");
    assert_eq!((html, metrics), (before.0, before.1), "W41 was put back, not deleted");
}

#[test]
fn an_internal_failure_exits_4_and_leaves_the_previous_report() {
    let p = common::Project::demo();
    assert!(p.turnout(&["run", "--quiet", "--period", "2026-W41"]).code <= 1);
    let before = snapshot(&p, "2026-W41");
    // The work folder replaced by a file: the person-level tables cannot be written (root
    // ignores permissions, so a file in the way is the portable way to make a write fail).
    std::fs::remove_dir_all(p.path().join("work/demo")).unwrap();
    std::fs::write(p.path().join("work/demo"), "in the way").unwrap();
    let out = p.turnout(&["run", "--quiet", "--period", "2026-W41"]);
    assert_eq!(out.code, 4, "{}", out.explain());
    assert!(out.stderr.starts_with("error: "), "{}", out.explain());
    assert_eq!(snapshot(&p, "2026-W41"), before, "nothing published over the previous report");
    std::fs::remove_file(p.path().join("work/demo")).unwrap();
    let again = p.turnout(&["run", "--quiet", "--period", "2026-W41"]);
    assert!(again.code <= 1, "{}", again.explain());
}
