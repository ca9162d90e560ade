//! `turnout run --engine datafusion|ballista` publishes the same report as the default engine:
//! every file under `reports/` and `restricted/` byte for byte (`run.json` aside, which records
//! the engine and the timings), and the same `funnel_people` table.
//!
//! Runs the real `turnout` binary (`TURNOUT_BIN`, which `.ci/run` sets after building it) on a
//! copy of the shipped demo, with this crate's `turnout-scale-out` as the engine program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file under `dir` (relative path → bytes), `run.json` left out; `latest` is a link.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let e = e.unwrap();
            let path = e.path();
            let ty = e.file_type().unwrap();
            if ty.is_symlink() {
                out.insert(
                    path.strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read_link(&path).unwrap().display().to_string().into_bytes(),
                );
            } else if ty.is_dir() {
                walk(root, &path, out);
            } else if e.file_name() != "run.json" {
                out.insert(
                    path.strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn run(project: &Path, engine: &str) -> (BTreeMap<String, Vec<u8>>, serde_json::Value) {
    let bin = std::env::var("TURNOUT_BIN").unwrap_or_else(|_| {
        panic!("set TURNOUT_BIN to the turnout binary (`cargo build --release` in the repository root; .ci/run does both)")
    });
    let out = Command::new(&bin)
        .args(["run", "--quiet", "--engine", engine])
        .current_dir(project)
        .env("TURNOUT_KEY", "test-key-0123456789abcdef")
        .env("TURNOUT_SCALE_OUT", env!("CARGO_BIN_EXE_turnout-scale-out"))
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    assert!(
        out.status.success(),
        "turnout run --engine {engine}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all = files(&project.join("reports"));
    for (k, v) in files(&project.join("restricted")) {
        all.insert(format!("restricted/{k}"), v);
    }
    let fp = std::fs::read(project.join("work/demo/funnel_people.parquet")).unwrap();
    all.insert("work/demo/funnel_people.parquet".into(), fp);
    let latest = std::fs::read_link(project.join("reports/demo/latest")).unwrap();
    let run_json = std::fs::read_to_string(project.join("reports/demo").join(latest).join("run.json")).unwrap();
    (all, serde_json::from_str(&run_json).unwrap())
}

#[test]
fn turnout_run_publishes_the_same_report_on_every_engine() {
    let project = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("pipelines"), &project.path().join("pipelines"));
    copy_dir(&repo().join("data/demo"), &project.path().join("data/demo"));
    let (reference, run_json) = run(project.path(), "turnout");
    assert_eq!(run_json["engine"], "turnout");
    assert!(reference.keys().any(|k| k.ends_with("metrics.json")), "{:?}", reference.keys());
    assert!(reference.len() > 20, "{:?}", reference.keys());
    for engine in ["datafusion", "ballista"] {
        let (got, run_json) = run(project.path(), engine);
        assert_eq!(run_json["engine"], engine);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            reference.keys().collect::<Vec<_>>(),
            "the same files on {engine}"
        );
        for (name, bytes) in &reference {
            assert!(&got[name] == bytes, "{name} differs on {engine}");
        }
    }
}
