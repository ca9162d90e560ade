//! The shared body of every fuzz target: one parser, one file's bytes, and the invariants that
//! must hold whatever the bytes are.
//!
//! Each target is a pipeline with one source of its tool, set up once in a temporary folder.
//! The bytes go through [`turnout::ingest::parse_file`], the same path `turnout run` takes (a zip
//! is opened and fed member by member for the parsers that read archives that way). A panic, an
//! abort, a hang or a memory blow-up is a finding; so is a broken invariant:
//! - the per-file statistics count exactly the events, identity records and quarantined rows
//!   returned;
//! - every event and quarantined row points back into the file it came from;
//! - every diagnostic of an unreadable file names that file and says how to fix it.

use std::path::PathBuf;
use std::sync::OnceLock;

use turnout::config::{self, Plan};

/// A target: the tool, the name the file is given (some parsers read the chat's name from it)
/// and the extra `[[source]]` keys the tool needs.
pub struct Target {
    pub tool: &'static str,
    pub file: &'static str,
    pub extra: &'static str,
}

fn plan_for(t: &Target) -> Plan {
    let dir: PathBuf = std::env::temp_dir().join(format!("turnout-fuzz-{}-{}", t.tool, std::process::id()));
    std::fs::create_dir_all(dir.join("pipelines")).expect("temp dir");
    std::fs::write(dir.join(t.file), b"").expect("placeholder input");
    let toml = format!(
        "[pipeline]\nname = \"fuzz\"\ntimezone = \"America/Chicago\"\nattributes = [\"role\"]\n\n\
         [[source]]\nname = \"src\"\ntool = \"{}\"\npath = {:?}\n{}\n\n\
         [[funnel]]\nname = \"f\"\nwindow = \"30d\"\nstages = [{{ name = \"a\", when = {{ action = \"attended\" }} }}]\n",
        t.tool, t.file, t.extra
    );
    let p = dir.join("pipelines").join("fuzz.toml");
    std::fs::write(&p, toml).expect("pipeline file");
    config::load(&p).unwrap_or_else(|e| panic!("the fuzz pipeline for {} is invalid: {e}", t.tool))
}

/// Parses `data` as one export of the target's tool and checks the invariants.
pub fn run(target: &Target, cell: &OnceLock<Plan>, data: &[u8]) {
    let plan = cell.get_or_init(|| plan_for(target));
    let source = &plan.sources[0];
    let path = &source.files[0];
    let shown = plan.shown(path);
    match turnout::ingest::parse_file(plan, source, path, &shown, data.to_vec()) {
        Ok(units) => {
            for u in &units {
                assert_eq!(u.stats.events as usize, u.events.len(), "events counted");
                assert_eq!(u.stats.quarantined as usize, u.quarantine.len(), "quarantined rows counted");
                assert!(u.stats.skipped as usize >= u.identities.len(), "identity records count as skipped");
                for e in &u.events {
                    assert!(e.origin.starts_with(&shown), "origin {} outside {shown}", e.origin);
                }
                for q in &u.quarantine {
                    assert!(q.file.starts_with(&shown), "quarantine file {} outside {shown}", q.file);
                    assert!(!q.reason.is_empty(), "a quarantined row without a reason");
                }
            }
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "an error without a diagnostic");
            for d in &diags {
                let text = d.to_string();
                assert!(text.contains(&shown), "diagnostic does not name the file: {text}");
            }
        }
    }
}

/// Declares a libFuzzer target for one tool.
#[macro_export]
macro_rules! target {
    ($tool:expr, $file:expr, $extra:expr) => {
        static PLAN: std::sync::OnceLock<turnout::config::Plan> = std::sync::OnceLock::new();
        static TARGET: $crate::Target = $crate::Target { tool: $tool, file: $file, extra: $extra };
        libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            $crate::run(&TARGET, &PLAN, data);
        });
    };
}
