//! The command line: `turnout run`, `check`, `evaluate`, `forget`, `demo`.
//!
//! Takes: arguments. Gives: a process exit code (see `error::ExitCode`). Promises: the usage
//! text is the documentation; errors print every problem with file:line:column and a hint, plus
//! the cause chain for internal failures; progress (a spinner) goes to stderr only on a
//! terminal, so cron mail stays quiet; `--log-format json` turns stages, warnings and errors
//! into one JSON object per line; the summary goes to stdout; no log line holds an identifier.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::{ExitCode, TurnoutError};

/// `println!` that treats a closed stdout (`turnout run | head`) as a normal end, not a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}
use crate::run::PeriodChoice;

#[derive(Debug, Parser)]
#[command(
    name = "turnout",
    version,
    about = "From the group chat to the meeting: conversion along a campaign's ladder of engagement, from the exports organizing tools already produce."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// How to write logs on stderr: `text` (a progress spinner on a terminal, warnings and
    /// errors as plain lines) or `json` (one JSON object per line: each stage with its duration,
    /// warnings and errors; for log collectors). Logs never hold phones, emails or names.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the exports, link people, measure the funnels and publish the weekly report.
    Run {
        /// Pipeline file. Default: pipelines/demo.toml (the shipped demo).
        pipeline: Option<PathBuf>,
        /// Week to report: ISO week (2026-W27) or a date inside it. Default: the last complete week of the data.
        #[arg(long, conflicts_with = "as_of")]
        period: Option<String>,
        /// Report the last complete week before this date (YYYY-MM-DD).
        #[arg(long)]
        as_of: Option<String>,
        /// No progress or summary output (errors still go to stderr).
        #[arg(long, short)]
        quiet: bool,
        /// Parse every export again instead of reusing the parsed-file cache (work/<pipeline>/cache).
        #[arg(long)]
        rebuild: bool,
        /// Where the funnels run: turnout (default, this process), datafusion (embedded),
        /// ballista (in process) or ballista://HOST:PORT (a Ballista cluster). The last three
        /// need the turnout-scale-out program (see docs/scale-out.md); results are identical.
        #[arg(long, default_value = "turnout", value_parser = |s: &str| s.parse::<crate::engine::Engine>())]
        engine: crate::engine::Engine,
    },
    /// Validate a pipeline file and peek at its inputs (files found, headers match); writes nothing.
    Check {
        /// Pipeline file. Default: pipelines/demo.toml.
        pipeline: Option<PathBuf>,
    },
    /// Measure identity resolution against a ground truth (`turnout demo` writes one):
    /// pairwise precision and recall. Reads the exports and links people; publishes nothing.
    Evaluate {
        /// Pipeline file. Default: pipelines/demo.toml.
        pipeline: Option<PathBuf>,
        /// Ground-truth CSV (`file,line,person_id`), files relative to its folder.
        #[arg(long, default_value = "data/demo/ground_truth.csv")]
        truth: PathBuf,
        /// Also list up to this many split and merged true persons by record origin (file:line).
        #[arg(long, default_value_t = 0)]
        show_errors: usize,
    },
    /// Erase a person (by email or phone) from every person-level table, action list and cache.
    /// Published reports hold aggregates only and stay; remove the person from the exports too.
    Forget {
        /// Emails or phone numbers of the person.
        #[arg(required = true)]
        identifiers: Vec<String>,
        /// Pipeline file. Default: pipelines/demo.toml.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// Generate the synthetic demo campaign's exports (deterministic from the seed).
    Demo {
        /// Output folder.
        #[arg(long, default_value = "data/demo")]
        out: PathBuf,
        /// Number of people.
        #[arg(long, default_value_t = 3000)]
        people: usize,
        /// Number of weeks.
        #[arg(long, default_value_t = 16)]
        weeks: u32,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Everyday group chatter: messages a week from each member who has spoken up, on
        /// average (0: the campaign's story alone). `--weeks 52 --chatter 2` is about 30 events
        /// a person, the volume of a year of a large union.
        #[arg(long, default_value_t = 0)]
        chatter: u32,
    },
}

pub fn main_with(cli: Cli) -> ExitCode {
    let command = cli.command.unwrap_or(Command::Run {
        pipeline: None,
        period: None,
        as_of: None,
        quiet: false,
        rebuild: false,
        engine: crate::engine::Engine::Turnout,
    });
    let json = cli.log_format == LogFormat::Json;
    if json {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .with_current_span(false)
            .try_init();
    }
    match dispatch(command, json) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e, json);
            e.exit_code()
        }
    }
}

fn report_error(e: &TurnoutError, json: bool) {
    if json {
        let causes: Vec<String> = match e {
            TurnoutError::Internal(err) => err.chain().skip(1).map(|c| c.to_string()).collect(),
            _ => Vec::new(),
        };
        tracing::error!(exit_code = e.exit_code() as i32, causes = ?causes, "{e}");
        return;
    }
    match e {
        TurnoutError::Internal(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  cause: {cause}");
            }
        }
        other => eprintln!("error: {other}"),
    }
}

fn dispatch(command: Command, json: bool) -> Result<ExitCode, TurnoutError> {
    match command {
        Command::Run {
            pipeline,
            period,
            as_of,
            quiet,
            rebuild,
            engine,
        } => {
            let pipeline = pipeline.unwrap_or_else(crate::config::default_pipeline);
            let choice = match (period, as_of) {
                (Some(p), _) => PeriodChoice::Named(p),
                (None, Some(d)) => PeriodChoice::AsOf(chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                    TurnoutError::Config(vec![
                        crate::error::Diagnostic::new("--as-of", 0, 0, format!("{d:?} is not a date")).hint("write the date as YYYY-MM-DD")
                    ])
                })?),
                (None, None) => PeriodChoice::Latest,
            };
            // A spinner on a terminal; nothing under cron (no terminal) or --quiet; JSON events
            // with --log-format json.
            let spinner = (!quiet && !json && std::io::stderr().is_terminal()).then(|| {
                let pb = indicatif::ProgressBar::new_spinner();
                pb.set_style(indicatif::ProgressStyle::with_template("{spinner} turnout: {msg} ({elapsed})").expect("a valid template"));
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
                pb
            });
            let started = std::time::Instant::now();
            let last = std::cell::RefCell::new((String::new(), std::time::Instant::now()));
            let progress = |s: &str| {
                let mut l = last.borrow_mut();
                if json && !l.0.is_empty() {
                    tracing::info!(stage = %l.0, ms = l.1.elapsed().as_millis() as u64, "stage done");
                }
                *l = (s.to_string(), std::time::Instant::now());
                if json {
                    tracing::info!(stage = %s, "stage started");
                }
                if let Some(pb) = &spinner {
                    pb.set_message(s.to_string());
                }
            };
            let result = crate::run::run_with(&pipeline, &choice, &crate::run::RunOptions { rebuild, engine }, &progress);
            if let Some(pb) = &spinner {
                pb.finish_and_clear();
            }
            let out = result?;
            if json {
                let l = last.borrow();
                tracing::info!(stage = %l.0, ms = l.1.elapsed().as_millis() as u64, "stage done");
            }
            for w in &out.warnings {
                if json {
                    tracing::warn!("{w}");
                } else {
                    eprintln!("warning: {w}");
                }
            }
            if json {
                tracing::info!(
                    period = %out.model.period,
                    exit_code = out.exit as i32,
                    warnings = out.warnings.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "report published"
                );
            }
            if !quiet {
                say!("{}", out.summary.trim_end());
                say!();
                say!("Report: {}", out.report_dir.join("index.html").display());
                if let Some(a) = &out.action_lists {
                    let parts: Vec<String> = a.counts.iter().map(|(f, n)| format!("{f}: {n}")).collect();
                    say!(
                        "Action lists for organizers (they name people: keep them private): {} ({})",
                        a.dir.display(),
                        parts.join(", ")
                    );
                }
            }
            Ok(out.exit)
        }
        Command::Check { pipeline } => {
            let pipeline = pipeline.unwrap_or_else(crate::config::default_pipeline);
            let plan = crate::config::load(&pipeline)?;
            let overrides = crate::run::load_overrides(&plan)?;
            let problems = crate::ingest::preflight(&plan);
            say!(
                "{}: pipeline {:?} is valid ({} sources, {} funnels)",
                pipeline.display(),
                plan.name,
                plan.sources.len(),
                plan.funnels.len()
            );
            for s in &plan.sources {
                let bytes: u64 = s.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
                say!(
                    "  source {:?} ({}): {} file(s), {} bytes, from {}",
                    s.name,
                    s.tool,
                    s.files.len(),
                    bytes,
                    s.pattern
                );
            }
            if plan.identity.overrides.is_some() {
                say!("  identity overrides: {} pair(s), every row readable", overrides.len());
            }
            if problems.is_empty() {
                say!("  every input's header matches its mapping");
                Ok(ExitCode::Published)
            } else {
                Err(TurnoutError::Input(problems))
            }
        }
        Command::Evaluate {
            pipeline,
            truth,
            show_errors,
        } => {
            let pipeline = pipeline.unwrap_or_else(crate::config::default_pipeline);
            let out = crate::run::evaluate_identity(&pipeline, &truth, show_errors)?;
            say!("{}", out.trim_end());
            Ok(ExitCode::Published)
        }
        Command::Forget { identifiers, pipeline } => {
            let pipeline = pipeline.unwrap_or_else(crate::config::default_pipeline);
            let plan = crate::config::load(&pipeline)?;
            let lock = crate::lock::RunLock::acquire(&plan.reports_dir()).map_err(|_| {
                TurnoutError::Busy(
                    crate::error::Diagnostic::new(plan.path.display().to_string(), 0, 0, "a run of this pipeline is in progress")
                        .hint("wait for it to finish, then forget"),
                )
            })?;
            let done = crate::forget::forget(&plan, &identifiers)?;
            drop(lock);
            if done.persons == 0 {
                say!(
                    "no person with that identifier in the last run's tables; the parsed-file cache was cleared ({} entries)",
                    done.cache_entries
                );
            } else {
                say!(
                    "forgot {} person(s): {} row(s) from {} table(s) in {}, {} action-list row(s), {} cache entrie(s); recorded in forget.log without who",
                    done.persons,
                    done.rows,
                    done.tables,
                    plan.work_dir().display(),
                    done.list_rows,
                    done.cache_entries
                );
            }
            say!(
                "The exports under the pipeline's sources still hold this person: remove them there too, or the next run reads them again."
            );
            Ok(ExitCode::Published)
        }
        Command::Demo {
            out,
            people,
            weeks,
            seed,
            chatter,
        } => {
            let opts = crate::demo::DemoOptions {
                people,
                weeks,
                seed,
                chatter,
            };
            let s = crate::demo::generate(&out, &opts).map_err(TurnoutError::Internal)?;
            say!(
                "wrote {} records for {} people in {} files under {}",
                s.records,
                s.people,
                s.files.len(),
                out.display()
            );
            Ok(ExitCode::Published)
        }
    }
}
