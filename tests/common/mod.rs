//! Test helpers: a temp project folder, the real binary, everything shown on failure.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Project {
    pub dir: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub cmd: String,
}

impl Output {
    pub fn explain(&self) -> String {
        format!(
            "command: {}\nexit: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.cmd, self.code, self.stdout, self.stderr
        )
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Project {
    pub fn empty() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A project holding a copy of the shipped demo: pipelines/ and data/demo/.
    pub fn demo() -> Project {
        let p = Project::empty();
        copy_dir(&repo().join("pipelines"), &p.path().join("pipelines"));
        copy_dir(&repo().join("data/demo"), &p.path().join("data/demo"));
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    /// Runs the real binary in this folder.
    pub fn turnout(&self, args: &[&str]) -> Output {
        self.turnout_env(args, &[])
    }

    /// [`Project::turnout`] with extra environment variables.
    pub fn turnout_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let bin = env!("CARGO_BIN_EXE_turnout");
        let out = Command::new(bin)
            .args(args)
            .current_dir(self.path())
            .env("TURNOUT_KEY", "test-key-0123456789abcdef")
            .envs(env.iter().copied())
            .output()
            .expect("run turnout");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            cmd: format!("(cd {} && turnout {})", self.path().display(), args.join(" ")),
        }
    }
}

/// A plan over the fixtures in `tests/fixtures/<dir>`: a pipeline file in `project` whose root is
/// that folder, holding `sources` (TOML `[[source]]` tables), the declared `attributes`, and a
/// one-stage funnel (ingest tests do not look at it).
pub fn fixture_plan(project: &Project, dir: &str, sources: &str, attributes: &[&str]) -> turnout::config::Plan {
    let fixtures = repo().join("tests/fixtures").join(dir);
    let attrs = if attributes.is_empty() {
        String::new()
    } else {
        format!(
            "attributes = [{}]\n",
            attributes.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
        )
    };
    let toml = format!(
        "[pipeline]\nname = \"fixtures\"\ntimezone = \"America/Chicago\"\nroot = \"{}\"\n{attrs}\n{sources}\n\n[[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{{ name = \"a\", when = {{ action = \"attended\" }} }}]\n",
        fixtures.display()
    );
    let p = project.write("pipelines/fixtures.toml", toml);
    turnout::config::load(&p).unwrap_or_else(|e| panic!("{e}"))
}
