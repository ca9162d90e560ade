//! Where the funnels run: turnout's own code (the default), or Apache DataFusion / Apache
//! Ballista through the `turnout-scale-out` program (`turnout run --engine …`).
//!
//! Takes: the `--engine` text, the pipeline file, the `timeline.parquet` that `run` has just
//! written, the report period, and the run's persons and events. Gives: per funnel, every
//! person's stage fills as [`PersonFunnel`]s with their [`PersonFacts`], and the organizing
//! metrics' [`Tallies`]: everything the default engine reads off the events before it computes
//! the metrics and the report.
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
use serde::{Deserialize, Serialize};

use crate::funnel::aggregate::PersonFacts;
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

/// What the scale-out program answers (`--write-answer`, JSON): per funnel and person, the
/// events that filled the stages and the [`PersonFacts`] the metrics need; and the organizing
/// metrics' [`Tallies`]. Written by `scale-out/`, read here: one definition for both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// Per funnel, in the pipeline's order.
    pub funnels: Vec<Vec<PersonAnswer>>,
    pub organizing: Tallies,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonAnswer {
    /// The person id (`person_id` of the timeline).
    pub person: String,
    /// Event ids of the fills, entry first.
    pub events: Vec<u64>,
    pub facts: PersonFacts,
}

/// What a scale-out engine measured, in this run's terms.
pub struct Measured {
    /// Per funnel, in the pipeline's order, ordered by person as the default engine gives them.
    pub people: Vec<Vec<PersonFunnel>>,
    /// The same people's facts, in the same order.
    pub facts: Vec<Vec<PersonFacts>>,
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
    let answer_path = work.join("scale-out-answer.json");
    let _ = std::fs::remove_file(&answer_path);
    let output = Command::new(&program)
        .arg(pipeline)
        .args(["--engine", engine, "--timeline"])
        .arg(timeline)
        .args(["--period", &period.start.to_string(), "--cutoff-us", &period.cutoff_us.to_string()])
        .arg("--write-answer")
        .arg(&answer_path)
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
    let text = std::fs::read_to_string(&answer_path)
        .map_err(|e| TurnoutError::Internal(anyhow::anyhow!("cannot read the engine's answer {}: {e}", answer_path.display())))?;
    let answer: Answer = serde_json::from_str(&text)
        .map_err(|e| TurnoutError::Internal(anyhow::anyhow!("{}: not an answer from {PROGRAM}: {e}", answer_path.display())))?;
    from_answer(answer, funnels, persons, events).map_err(|e| TurnoutError::Internal(anyhow::anyhow!("{}: {e}", answer_path.display())))
}

/// Maps an [`Answer`] onto this run's persons and events; refuses one that does not fit them.
pub fn from_answer(answer: Answer, funnels: usize, persons: &[Person], events: &[Event]) -> anyhow::Result<Measured> {
    if answer.funnels.len() != funnels {
        anyhow::bail!("{} funnels in the answer, {funnels} in the pipeline", answer.funnels.len());
    }
    let person_of: HashMap<&str, u32> = persons.iter().enumerate().map(|(i, p)| (p.id.as_str(), i as u32)).collect();
    let event_of: HashMap<u64, u32> = events.iter().enumerate().map(|(i, e)| (e.event_id, i as u32)).collect();
    let (mut people, mut facts) = (Vec::new(), Vec::new());
    for (f, answers) in answer.funnels.into_iter().enumerate() {
        let mut rows: Vec<(PersonFunnel, PersonFacts)> = Vec::with_capacity(answers.len());
        for a in answers {
            let what = |x: &str| anyhow::anyhow!("funnel {f}: {x}");
            let person = *person_of
                .get(a.person.as_str())
                .ok_or_else(|| what("a person id this run does not have"))?;
            let fills = a
                .events
                .iter()
                .map(|e| event_of.get(e).copied())
                .collect::<Option<Vec<u32>>>()
                .ok_or_else(|| what("an event id this run does not have"))?;
            if fills.is_empty() || fills.len() != a.facts.fills.len() {
                return Err(what("a person whose fills and facts do not match"));
            }
            rows.push((PersonFunnel { person, fills }, a.facts));
        }
        rows.sort_by_key(|r| r.0.person);
        if rows.windows(2).any(|w| w[0].0.person == w[1].0.person) {
            anyhow::bail!("funnel {f}: a person answered twice");
        }
        let (p, x): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        people.push(p);
        facts.push(x);
    }
    Ok(Measured {
        people,
        facts,
        tallies: answer.organizing,
    })
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
    fn an_answer_that_does_not_fit_the_run_is_refused() {
        let persons = vec![Person {
            id: "P1".into(),
            organizer: false,
            first_seen: 0,
            events: 1,
            keys: 1,
        }];
        let person = |id: &str, events: Vec<u64>, fills: usize| PersonAnswer {
            person: id.into(),
            events,
            facts: PersonFacts {
                fills: vec![(0, crate::schema::Precision::Second); fills],
                values: vec![],
            },
        };
        let answer = |funnels: Vec<Vec<PersonAnswer>>| Answer {
            funnels,
            organizing: Tallies {
                occasions: vec![],
                attenders: vec![],
                new: vec![],
                active: vec![],
            },
        };
        let m = from_answer(answer(vec![vec![]]), 1, &persons, &[]).unwrap();
        assert!(m.people[0].is_empty() && m.facts[0].is_empty());
        for (a, funnels, says) in [
            (answer(vec![vec![]]), 2, "1 funnels in the answer, 2 in the pipeline"),
            (answer(vec![vec![person("P2", vec![], 0)]]), 1, "person id this run does not have"),
            (answer(vec![vec![person("P1", vec![5], 1)]]), 1, "event id this run does not have"),
            (answer(vec![vec![person("P1", vec![], 0)]]), 1, "fills and facts do not match"),
        ] {
            let e = from_answer(a, funnels, &persons, &[]).err().expect(says).to_string();
            assert!(e.contains(says), "{says}: {e}");
        }
    }
}
