//! The run meter (src/meter.rs) on a stage that allocates: alone in its own test binary, so no
//! other test's allocations move the process's memory marks.

use turnout::meter::Meter;

#[test]
fn a_stage_that_allocates_shows_its_own_peak() {
    let mut m = Meter::start();
    m.lap("idle");
    // Touch 64 MiB, then free it: the next stage's peak must show it, the one after must not.
    let mut v = vec![1u8; 64 << 20];
    let mut acc = 0u64;
    for round in 0..8u8 {
        for b in v.iter_mut().step_by(4096) {
            *b = b.wrapping_add(round);
            acc += *b as u64;
        }
    }
    assert!(acc > 0);
    drop(v);
    m.lap("allocating");
    m.lap("after");
    let [idle, alloc, after] = [&m.stages[0], &m.stages[1], &m.stages[2]];
    if std::path::Path::new("/proc/self/status").exists() {
        assert!(alloc.peak_rss_mb >= idle.rss_mb + 60, "{alloc:?} vs {idle:?}");
        if after.peak_is_per_stage {
            assert!(after.peak_rss_mb + 32 < alloc.peak_rss_mb, "{after:?} vs {alloc:?}");
        }
    }
    assert_eq!(m.durations_ms().len(), 3);
}
