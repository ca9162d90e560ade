//! `turnout-scale-out`: a pipeline's funnels over its `timeline.parquet` on DataFusion or
//! Ballista, checked against turnout's own engine.
//!
//!   turnout-scale-out [PIPELINE] [--engine datafusion|ballista|ballista://HOST:PORT]
//!                     [--timeline PATH] [--check] [--write-fills FILE]
//!
//! PIPELINE defaults to pipelines/demo.toml; the timeline to work/<pipeline>/timeline.parquet
//! (written by `turnout run`). Prints each funnel's stage counts and the time taken; with
//! `--check`, also computes the fills with turnout's own funnel code and exits 1 unless every
//! fill is identical. With `--write-fills`, writes every fill as `funnel\tperson_id\tstage\t
//! event_id` rows (funnel = its index in the pipeline): how `turnout run --engine …` gets them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use turnout_scale_out::{funnel_fills, reference_fills, register_timeline, session, Engine};

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
    let mut write_fills: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--engine" => engine = args.next().context("--engine needs a value")?.parse().map_err(anyhow::Error::msg)?,
            "--timeline" => timeline = Some(PathBuf::from(args.next().context("--timeline needs a path")?)),
            "--check" => check = true,
            "--write-fills" => write_fills = Some(PathBuf::from(args.next().context("--write-fills needs a path")?)),
            "-h" | "--help" => {
                println!(
                    "usage: turnout-scale-out [PIPELINE] [--engine datafusion|ballista|ballista://HOST:PORT] [--timeline PATH] [--check] [--write-fills FILE]"
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
    let mut tsv = String::from("funnel\tperson_id\tstage\tevent_id\n");
    for (i, f) in plan.funnels.iter().enumerate() {
        let t = Instant::now();
        let fills = funnel_fills(&ctx, plan.timezone.name(), f, &work.join(format!("funnel-{i}"))).await?;
        let secs = t.elapsed().as_secs_f64();
        let counts: Vec<usize> = (1..=f.stages.len())
            .map(|k| fills.iter().filter(|x| x.1 as usize == k).count())
            .collect();
        println!("{}: {counts:?} in {secs:.2} s", f.name);
        for (person, stage, event) in &fills {
            tsv.push_str(&format!("{i}\t{person}\t{stage}\t{event}\n"));
        }
        if check {
            let t = Instant::now();
            let reference = reference_fills(&timeline, plan.timezone, f)?;
            let ok = reference == fills;
            same &= ok;
            println!(
                "  turnout's engine: {} ({} fills, {:.2} s)",
                if ok { "identical" } else { "DIFFERENT" },
                reference.len(),
                t.elapsed().as_secs_f64()
            );
        }
    }
    if let Some(path) = write_fills {
        // Aside, then renamed: a reader never sees half a file.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, tsv).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if same { 0 } else { 1 })
}
