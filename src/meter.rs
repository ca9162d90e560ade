//! Meter: wall time, CPU time and peak memory of each stage of a run, for `run.json` and the
//! benchmark harness (`bench/run.sh`).
//!
//! CPU time is the process's user + system time (`getrusage`), so it counts every thread of the
//! stage. Peak memory is the resident set's high-water mark over the stage alone: the kernel's
//! mark (`VmHWM`) is reset when a stage starts (`/proc/self/clear_refs`). Where that is not
//! available (not Linux, or a restricted /proc) the peak is the process's peak so far, and the
//! fields say so. The reset also lowers what a parent sees as the process's maximum RSS
//! (`/usr/bin/time`'s `%M`): that becomes the peak after the last stage, so the run's peak is
//! the largest of the stages' (as `bench/run.sh` computes it).

use std::time::Instant;

/// One finished stage.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stage {
    pub stage: &'static str,
    pub wall_ms: u128,
    pub cpu_ms: u128,
    /// Peak resident memory during the stage, MiB (see `peak_is_per_stage`).
    pub peak_rss_mb: u64,
    /// Resident memory when the stage ended, MiB.
    pub rss_mb: u64,
    /// False when the high-water mark could not be reset: the peak is then the run's so far.
    pub peak_is_per_stage: bool,
}

pub struct Meter {
    wall: Instant,
    cpu_us: u128,
    reset: bool,
    pub stages: Vec<Stage>,
}

fn cpu_us() -> u128 {
    // SAFETY: getrusage writes the struct it is given and nothing else.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0;
    }
    let us = |t: libc::timeval| t.tv_sec as u128 * 1_000_000 + t.tv_usec as u128;
    us(ru.ru_utime) + us(ru.ru_stime)
}

/// (resident now, high-water mark) in KiB, from /proc/self/status.
fn rss_kib() -> (u64, u64) {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else {
        return (0, 0);
    };
    let field = |name: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

impl Meter {
    pub fn start() -> Meter {
        Meter {
            wall: Instant::now(),
            cpu_us: cpu_us(),
            reset: reset_peak(),
            stages: Vec::new(),
        }
    }

    /// Ends the current stage under `name` and starts the next.
    pub fn lap(&mut self, name: &'static str) {
        let (rss, hwm) = rss_kib();
        let cpu = cpu_us();
        self.stages.push(Stage {
            stage: name,
            wall_ms: self.wall.elapsed().as_millis(),
            cpu_ms: cpu.saturating_sub(self.cpu_us) / 1000,
            peak_rss_mb: hwm.max(rss) / 1024,
            rss_mb: rss / 1024,
            peak_is_per_stage: self.reset,
        });
        self.wall = Instant::now();
        self.cpu_us = cpu;
        self.reset = reset_peak();
    }

    /// Wall milliseconds per stage, as `run.json`'s `durations_ms` has always given them.
    pub fn durations_ms(&self) -> std::collections::BTreeMap<&'static str, u128> {
        self.stages.iter().map(|s| (s.stage, s.wall_ms)).collect()
    }
}
