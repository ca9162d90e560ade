//! One run per pipeline at a time.
//!
//! Takes: the folder a pipeline writes to. Gives: a [`RunLock`] held for the run, removed when
//! dropped. Promises: a second run of the same pipeline fails at once with a clear message
//! naming the process that holds the lock; a lock left by a run that was killed (its process is
//! gone) is taken over, and the report says so. Also home of [`pause_point`], the test hook
//! the kill tests use to stop a run at a named point (inert unless its variable is set).

use std::io::Write;
use std::path::{Path, PathBuf};

pub struct RunLock {
    path: PathBuf,
    /// A stale lock from a dead run was replaced.
    pub recovered: bool,
}

#[derive(Debug)]
pub enum LockError {
    /// Another live run holds the lock.
    Busy {
        path: PathBuf,
        pid: u32,
    },
    Io(std::io::Error),
}

fn alive(pid: u32) -> bool {
    pid != 0 && Path::new(&format!("/proc/{pid}")).exists()
}

impl RunLock {
    pub fn acquire(dir: &Path) -> Result<RunLock, LockError> {
        std::fs::create_dir_all(dir).map_err(LockError::Io)?;
        let path = dir.join(".lock");
        let mut recovered = false;
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(LockError::Io)?;
                    f.sync_all().map_err(LockError::Io)?;
                    return Ok(RunLock { path, recovered });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid: u32 = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
                    if alive(pid) && pid != std::process::id() {
                        return Err(LockError::Busy { path, pid });
                    }
                    // The run that left it is gone: take it over.
                    let _ = std::fs::remove_file(&path);
                    recovered = true;
                }
                Err(e) => return Err(LockError::Io(e)),
            }
        }
        Err(LockError::Busy { path, pid: 0 })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = RunLock::acquire(dir.path()).unwrap();
        assert!(!a.recovered);
        // a live process (this one, pretending to be another run) holds it
        std::fs::write(dir.path().join(".lock"), "1\n").unwrap();
        match RunLock::acquire(dir.path()) {
            Err(LockError::Busy { pid, .. }) => assert_eq!(pid, 1),
            other => panic!("expected busy, got {:?}", other.err()),
        }
        drop(a);
        assert!(!dir.path().join(".lock").exists());
    }

    #[test]
    fn a_stale_lock_from_a_dead_run_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // pid far above pid_max: no such process
        std::fs::write(dir.path().join(".lock"), "4194999\n").unwrap();
        let l = RunLock::acquire(dir.path()).unwrap();
        assert!(l.recovered);
    }
}

/// Test hook for kill tests: when the environment variable `TURNOUT_TEST_PAUSE_AT` names this
/// point, the run writes the point's name to the file named by `TURNOUT_TEST_PAUSE_FILE` and
/// sleeps, so a test can kill it exactly there. Does nothing unless the variable is set.
pub fn pause_point(name: &str) {
    if std::env::var("TURNOUT_TEST_PAUSE_AT").as_deref() == Ok(name) {
        if let Ok(f) = std::env::var("TURNOUT_TEST_PAUSE_FILE") {
            let _ = std::fs::write(f, name);
        }
        std::thread::sleep(std::time::Duration::from_secs(300));
    }
}
