//! Where the funnels run: turnout's own code (the default), or Apache DataFusion / Apache
//! Ballista through the `turnout-scale-out` program (`turnout run --engine …`).
//!
//! Takes: the `--engine` text, the pipeline file, the `timeline.parquet` that `run` has just
//! written, the report period, and the run's persons and events. Gives: per funnel, every
//! person's stage fills as [`PersonFunnel`]s, and the organizing metrics' [`Tallies`]: what the
//! default engine computes from the events before the metrics and the report.
//! Promises: the scale-out engines run the same versioned SQL (`scale-out/sql/v1`), which the
//! differential tests hold equal to the default engine to the event; so `metrics.json` and the
//! report come out identical. A missing program or an engine failure is a clear error and
//! nothing is published.
//!
//! The scale-out engines live in their own program (the `scale-out/` crate) rather than behind a
//! feature of this one: built together with polars, DataFusion's shared dependencies get other
//! features and polars is compiled a second time (docs/scale-out.md).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Diagnostic, TurnoutError};
use crate::funnel::organizing::Tallies;
use crate::funnel::{Period, PersonFunnel};
use crate::identity::Person;
use crate::schema::Event;

/// The program that runs the SQL funnels (`cargo build --release` in `scale-out/`).
pub const PROGRAM: &str = "turnout-scale-out";

/// Where the funnels run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Engine {
    /// turnout's own funnel code, in this process.
    #[default]
    Turnout,
    /// DataFusion embedded (`datafusion`), Ballista in process (`ballista`) or a Ballista
    /// scheduler (`ballista://host:port`), through [`PROGRAM`].
    ScaleOut(String),
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "turnout" => Ok(Engine::Turnout),
            "datafusion" | "ballista" => Ok(Engine::ScaleOut(s.to_string())),
            _ if s
                .strip_prefix("ballista://")
                .is_some_and(|a| a.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())) =>
            {
                Ok(Engine::ScaleOut(s.to_string()))
            }
            _ => Err(format!(
                "unknown engine {s:?}: use turnout (the default), datafusion, ballista (in process) or ballista://HOST:PORT"
            )),
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Turnout => f.write_str("turnout"),
            Engine::ScaleOut(s) => f.write_str(s),
        }
    }
}

/// `TURNOUT_SCALE_OUT` if set, else [`PROGRAM`] beside this executable, else on `PATH`; or what
/// was looked for.
fn program() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("TURNOUT_SCALE_OUT") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("TURNOUT_SCALE_OUT is {}, which is not a file", p.display()))
        };
    }
    let beside = std::env::current_exe().map(|e| e.with_file_name(PROGRAM)).ok();
    if let Some(b) = beside.filter(|b| b.is_file()) {
        return Ok(b);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(PROGRAM))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{PROGRAM} is neither beside turnout nor on PATH"))
}

/// What a scale-out engine measured.
pub struct Measured {
    /// Per funnel, in the pipeline's order.
    pub people: Vec<Vec<PersonFunnel>>,
    pub tallies: Tallies,
}

/// Runs every funnel of `pipeline`, and the organizing metrics' counts for `period`, on `engine`
/// over `timeline`. `work` is where the program writes its answers (the owner-only work
/// folder: person ids are pseudonymous but personal).
#[allow(clippy::too_many_arguments)]
pub fn measure(
    engine: &str,
    pipeline: &Path,
    timeline: &Path,
    work: &Path,
    period: &Period,
    funnels: usize,
    persons: &[Person],
    events: &[Event],
) -> Result<Measured, TurnoutError> {
    let program = program().map_err(|why| {
        TurnoutError::Config(vec![Diagnostic::new(
            pipeline.display().to_string(),
            0,
            0,
            format!("--engine {engine} needs the {PROGRAM} program: {why}"),
        )
        .hint(format!(
            "build it with `cargo build --release` in scale-out/ and put {PROGRAM} beside turnout or on PATH, \
             or set TURNOUT_SCALE_OUT to its path; or drop --engine to use turnout's own engine"
        ))])
    })?;
    let (fills_path, tallies_path) = (work.join("scale-out-fills.tsv"), work.join("scale-out-organizing.json"));
    let _ = std::fs::remove_file(&fills_path);
    let _ = std::fs::remove_file(&tallies_path);
    let output = Command::new(&program)
        .arg(pipeline)
        .args(["--engine", engine, "--timeline"])
        .arg(timeline)
        .arg("--write-fills")
        .arg(&fills_path)
        .args(["--period", &period.start.to_string(), "--cutoff-us", &period.cutoff_us.to_string()])
        .arg("--write-organizing")
        .arg(&tallies_path)
        .output()
        .map_err(|e| TurnoutError::Internal(anyhow::anyhow!("cannot start {}: {e}", program.display())))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(TurnoutError::Internal(anyhow::anyhow!(
            "the {engine} engine failed ({}, {}); nothing was published:\n{}",
            program.display(),
            output.status,
            tail.join("\n")
        )));
    }
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map_err(|e| TurnoutError::Internal(anyhow::anyhow!("cannot read the engine's answer {}: {e}", p.display())))
    };
    let people = parse_fills(&read(&fills_path)?, funnels, persons, events)
        .map_err(|e| TurnoutError::Internal(anyhow::anyhow!("{}: {e}", fills_path.display())))?;
    let tallies: Tallies = serde_json::from_str(&read(&tallies_path)?)
        .map_err(|e| TurnoutError::Internal(anyhow::anyhow!("{}: {e}", tallies_path.display())))?;
    Ok(Measured { people, tallies })
}

/// Reads `funnel\tperson_id\tstage\tevent_id` rows (header first) into per-funnel
/// [`PersonFunnel`]s, ordered by person as the default engine gives them.
pub fn parse_fills(text: &str, funnels: usize, persons: &[Person], events: &[Event]) -> anyhow::Result<Vec<Vec<PersonFunnel>>> {
    let person_of: HashMap<&str, u32> = persons.iter().enumerate().map(|(i, p)| (p.id.as_str(), i as u32)).collect();
    let event_of: HashMap<u64, u32> = events.iter().enumerate().map(|(i, e)| (e.event_id, i as u32)).collect();
    let mut per: Vec<std::collections::BTreeMap<u32, Vec<(u32, u32)>>> = vec![Default::default(); funnels];
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "funnel\tperson_id\tstage\tevent_id")) => {}
        _ => anyhow::bail!("line 1: expected the header funnel, person_id, stage, event_id"),
    }
    for (n, line) in lines {
        let bad = |what: &str| anyhow::anyhow!("line {}: {what}", n + 1);
        let cols: Vec<&str> = line.split('\t').collect();
        let [f, p, s, e] = cols[..] else {
            return Err(bad("expected 4 tab-separated columns"));
        };
        let f: usize = f.parse().ok().filter(|&f| f < funnels).ok_or_else(|| bad("unknown funnel"))?;
        let p = *person_of.get(p).ok_or_else(|| bad("a person id this run does not have"))?;
        let s: u32 = s.parse().ok().filter(|&s| s >= 1).ok_or_else(|| bad("bad stage"))?;
        let e = e
            .parse::<u64>()
            .ok()
            .and_then(|e| event_of.get(&e).copied())
            .ok_or_else(|| bad("an event id this run does not have"))?;
        per[f].entry(p).or_default().push((s, e));
    }
    per.into_iter()
        .map(|m| {
            m.into_iter()
                .map(|(person, mut fills)| {
                    fills.sort_unstable();
                    if fills.iter().enumerate().any(|(k, &(s, _))| s as usize != k + 1) {
                        anyhow::bail!("person {}: the stages filled are not 1, 2, … in order", persons[person as usize].id);
                    }
                    Ok(PersonFunnel {
                        person,
                        fills: fills.into_iter().map(|(_, e)| e).collect(),
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_parse_and_bad_ones_say_what_is_allowed() {
        assert_eq!("turnout".parse::<Engine>(), Ok(Engine::Turnout));
        assert_eq!("datafusion".parse::<Engine>(), Ok(Engine::ScaleOut("datafusion".into())));
        assert_eq!(
            "ballista://127.0.0.1:50050".parse::<Engine>(),
            Ok(Engine::ScaleOut("ballista://127.0.0.1:50050".into()))
        );
        for bad in [
            "polars",
            "ballista://",
            "ballista://host",
            "ballista://:50050",
            "ballista://h:99999",
        ] {
            let e = bad.parse::<Engine>().unwrap_err();
            assert!(e.contains("ballista://HOST:PORT"), "{bad}: {e}");
        }
    }

    #[test]
    fn fills_from_the_engine_are_checked_against_the_run() {
        let persons = vec![Person {
            id: "P1".into(),
            organizer: false,
            first_seen: 0,
            events: 1,
            keys: 1,
        }];
        let head = "funnel\tperson_id\tstage\tevent_id\n";
        assert!(parse_fills(head, 1, &persons, &[]).unwrap()[0].is_empty());
        for (body, says) in [
            ("P1\t1\t5\n", "4 tab-separated"),
            ("1\tP1\t1\t5\n", "unknown funnel"),
            ("0\tP2\t1\t5\n", "person id this run does not have"),
            ("0\tP1\t0\t5\n", "bad stage"),
            ("0\tP1\t1\t5\n", "event id this run does not have"),
        ] {
            let e = parse_fills(&format!("{head}{body}"), 1, &persons, &[]).unwrap_err().to_string();
            assert!(e.contains(says) && e.starts_with("line 2"), "{body:?}: {e}");
        }
        assert!(parse_fills("person_id\n", 1, &persons, &[])
            .unwrap_err()
            .to_string()
            .contains("header"));
    }
}
