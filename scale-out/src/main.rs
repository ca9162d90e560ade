//! `turnout-scale-out`: a pipeline's funnels and organizing metrics over its `timeline.parquet`
//! on DataFusion or Ballista, checked against turnout's own engine. `turnout run --engine …`
//! runs it.
//!
//!   turnout-scale-out [PIPELINE] [--engine datafusion|ballista|ballista://HOST:PORT]
//!                     [--timeline PATH] [--check]
//!                     [--period YYYY-MM-DD [--cutoff-us N] [--write-answer FILE]]
//!
//! PIPELINE defaults to pipelines/demo.toml; the timeline to work/<pipeline>/timeline.parquet
//! (written by `turnout run`). Prints each funnel's stage counts and the time taken. With
//! `--period` (the report week's first day) it also counts the organizing metrics for that week
//! (`--cutoff-us`: the data's cut-off, default the latest event). `--check` computes the same
//! with turnout's own code and exits 1 unless every fill, fact and count is identical.
//! `--write-answer` writes everything as the JSON [`turnout::engine::Answer`] that turnout reads.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use turnout_scale_out::{
    funnel_answers, funnel_fills, organizing_tallies, reference_answers, reference_tallies, register_timeline, same_tallies, session,
    Engine,
};

fn main() {
    let result = turnout_scale_out::runtime()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run()));
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}

async fn run() -> Result<i32> {
    let mut args = std::env::args().skip(1);
    let (mut pipeline, mut engine, mut timeline, mut check) = (None, Engine::DataFusion { partitions: 2 }, None, false);
    let (mut period_start, mut cutoff_us, mut write_answer): (Option<chrono::NaiveDate>, Option<i64>, Option<PathBuf>) = (None, None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--engine" => engine = args.next().context("--engine needs a value")?.parse().map_err(anyhow::Error::msg)?,
            "--timeline" => timeline = Some(PathBuf::from(args.next().context("--timeline needs a path")?)),
            "--check" => check = true,
            "--period" => {
                let v = args.next().context("--period needs the week's first day, YYYY-MM-DD")?;
                period_start = Some(v.parse().with_context(|| format!("--period {v:?} is not a YYYY-MM-DD date"))?);
            }
            "--cutoff-us" => {
                let v = args.next().context("--cutoff-us needs microseconds since 1970")?;
                cutoff_us = Some(v.parse().with_context(|| format!("--cutoff-us {v:?} is not a number"))?);
            }
            "--write-answer" => write_answer = Some(PathBuf::from(args.next().context("--write-answer needs a path")?)),
            "-h" | "--help" => {
                println!(
                    "usage: turnout-scale-out [PIPELINE] [--engine datafusion|ballista|ballista://HOST:PORT] [--timeline PATH] [--check] [--period YYYY-MM-DD [--cutoff-us N] [--write-answer FILE]]"
                );
                return Ok(0);
            }
            _ if a.starts_with('-') => bail!("unknown option {a}"),
            _ => pipeline = Some(PathBuf::from(a)),
        }
    }
    let pipeline = pipeline.unwrap_or_else(|| PathBuf::from("pipelines/demo.toml"));
    let plan = turnout::config::load(&pipeline).map_err(|e| anyhow::anyhow!("{e}"))?;
    let timeline = timeline.unwrap_or_else(|| plan.work_dir().join("timeline.parquet"));
    if !timeline.is_file() {
        bail!(
            "{} does not exist: run `turnout run {}` first",
            timeline.display(),
            pipeline.display()
        );
    }
    let timeline = std::fs::canonicalize(&timeline)?;
    std::fs::create_dir_all(plan.work_dir())?;
    let work = std::fs::canonicalize(plan.work_dir())?.join("scale-out");
    let t = Instant::now();
    let ctx = session(&engine).await?;
    register_timeline(&ctx, &timeline).await?;
    println!("engine: {engine:?} (session in {:.2} s)", t.elapsed().as_secs_f64());
    let mut same = true;
    let attributes: Vec<String> = plan.attributes.iter().map(|a| a.to_string()).collect();
    let mut funnels = Vec::new();
    for (i, f) in plan.funnels.iter().enumerate() {
        let t = Instant::now();
        let dir = work.join(format!("funnel-{i}"));
        let fills = funnel_fills(&ctx, plan.timezone.name(), f, &dir).await?;
        let answers = funnel_answers(&ctx, f, &attributes, &fills, &dir).await?;
        let secs = t.elapsed().as_secs_f64();
        let counts: Vec<usize> = (1..=f.stages.len())
            .map(|k| fills.iter().filter(|x| x.1 as usize == k).count())
            .collect();
        println!("{}: {counts:?} in {secs:.2} s", f.name);
        if check {
            let t = Instant::now();
            let reference = reference_answers(&timeline, plan.timezone, f, &attributes)?;
            let ok = reference == answers;
            same &= ok;
            println!(
                "  turnout's engine: {} ({} people, {} fills with their times and breakdown values, {:.2} s)",
                if ok { "identical" } else { "DIFFERENT" },
                reference.len(),
                reference.iter().map(|a| a.events.len()).sum::<usize>(),
                t.elapsed().as_secs_f64()
            );
        }
        funnels.push(answers);
    }
    let organizing = match period_start {
        None => None,
        Some(start) => {
            let cutoff = match cutoff_us {
                Some(c) => c,
                None => latest_event(&ctx).await?,
            };
            let period = turnout::funnel::Period::week(start, plan.week_start, plan.timezone, cutoff);
            let weeks = plan.report.cohort_weeks;
            let t = Instant::now();
            let tallies = organizing_tallies(&ctx, &period, weeks).await?;
            println!(
                "organizing {}: {} occasions, {} first attenders, new people per week {:?} in {:.2} s",
                period.label,
                tallies.occasions.len(),
                tallies.attenders.len(),
                tallies.new,
                t.elapsed().as_secs_f64()
            );
            if check {
                let reference = reference_tallies(&timeline, &period, weeks)?;
                let ok = same_tallies(&reference, &tallies);
                same &= ok;
                println!("  turnout's engine: {}", if ok { "identical" } else { "DIFFERENT" });
            }
            Some(tallies)
        }
    };
    if let Some(path) = write_answer {
        let organizing = organizing.context("--write-answer needs --period (the report week's first day)")?;
        let answer = turnout::engine::Answer { funnels, organizing };
        write_aside(&path, serde_json::to_string(&answer)?.as_bytes())?;
    }
    Ok(if same { 0 } else { 1 })
}

/// Writes `bytes` aside, then renames: a reader never sees half a file.
fn write_aside(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The latest event's time in the registered timeline (the data's cut-off).
async fn latest_event(ctx: &datafusion::prelude::SessionContext) -> Result<i64> {
    use datafusion::arrow::array::{Array, AsArray};
    let b = ctx
        .sql("SELECT max(arrow_cast(ts, 'Int64')) AS m FROM timeline")
        .await?
        .collect()
        .await?;
    let c = b
        .first()
        .context("no result")?
        .column(0)
        .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
    if c.is_empty() || c.is_null(0) {
        bail!("the timeline is empty");
    }
    Ok(c.value(0))
}
