//! `turnout run`: the stages wired together, from exports to a published report.
//!
//! Takes: a pipeline path and a period choice. Gives: a published report folder, person-level
//! tables under `work/<pipeline>/` (pseudonymised, owner-only), and a [`RunOutcome`] with the
//! summary and the exit code. Promises: configuration and input problems are reported before
//! anything is written; the report is published atomically; the same inputs and pipeline give
//! the same report bytes (only `run.json` timings differ).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use serde_json::json;

use crate::config::{self, Plan};
use crate::error::{Diagnostic, ExitCode, Result, TurnoutError};
use crate::funnel::{self, Period};
use crate::privacy::Pseudonymizer;
use crate::report::{self, model};
use crate::{identity, ingest, tables, timeline, timeutil};

/// Which week to report on.
#[derive(Debug, Clone, Default)]
pub enum PeriodChoice {
    /// The last complete week of the data.
    #[default]
    Latest,
    /// An ISO week (`2026-W27`) or any date inside the wanted week.
    Named(String),
    /// The last complete week before this date.
    AsOf(NaiveDate),
}

#[derive(Debug)]
pub struct RunOutcome {
    pub report_dir: PathBuf,
    pub summary: String,
    pub exit: ExitCode,
    pub warnings: Vec<String>,
    pub model: model::ReportModel,
}

/// Share of a source's rows that may be quarantined before the run exits with code 1.
pub const MAX_QUARANTINE_SHARE: f64 = 0.05;

pub fn run(pipeline: &Path, choice: &PeriodChoice, progress: &dyn Fn(&str)) -> Result<RunOutcome> {
    let t0 = Instant::now();
    let mut timings: BTreeMap<&str, u128> = BTreeMap::new();
    let plan = config::load(pipeline)?;
    let pre = ingest::preflight(&plan);
    if !pre.is_empty() {
        return Err(TurnoutError::Input(pre));
    }
    timings.insert("config", t0.elapsed().as_millis());
    // One run per pipeline: the lock lives beside the reports and is released when `run` ends.
    let lock = crate::lock::RunLock::acquire(&plan.reports_dir()).map_err(|e| match e {
        crate::lock::LockError::Busy { path, pid } => TurnoutError::Busy(
            Diagnostic::new(
                plan.path.display().to_string(),
                0,
                0,
                format!("another turnout run of pipeline {:?} is in progress (process {pid})", plan.name),
            )
            .hint(format!(
                "wait for it to finish; if no turnout process is running, delete {}",
                path.display()
            )),
        ),
        crate::lock::LockError::Io(e) => TurnoutError::Internal(anyhow::anyhow!(
            "cannot create the run lock under {}: {e}",
            plan.reports_dir().display()
        )),
    })?;

    progress("reading exports");
    let t = Instant::now();
    let mut ing = ingest::ingest(&plan)?;
    timings.insert("ingest", t.elapsed().as_millis());
    let Some(cutoff) = ing.events.iter().map(|e| e.ts).max() else {
        return Err(TurnoutError::input(
            Diagnostic::new(
                plan.path.display().to_string(),
                0,
                0,
                "the inputs hold no usable rows: every row was blank or set aside",
            )
            .hint("run `turnout check` and look at the quarantine counts per file"),
        ));
    };
    let period = choose_period(&plan, choice, cutoff)?;

    progress("linking people");
    let t = Instant::now();
    let pseudo = Pseudonymizer::load_or_create(&plan.root).map_err(|e| {
        TurnoutError::Internal(anyhow::anyhow!(
            "cannot read or create the pseudonym key under {}: {e}",
            plan.root.join(".turnout").display()
        ))
    })?;
    let res = identity::resolve(&plan, &ing.events, &pseudo);
    // An attendance without a meetings-table entry joins the person's RSVP of the same day.
    let same_day = ingest::occasions::same_day_fallback(&plan, &mut ing.events, &res.person_of);
    timings.insert("identity", t.elapsed().as_millis());

    let t = Instant::now();
    let tl = timeline::build(&ing.events, &res);
    timings.insert("timeline", t.elapsed().as_millis());

    progress("measuring funnels");
    let t = Instant::now();
    let ctx = funnel::Context::from_events(&ing.events, plan.timezone);
    let mut metrics = Vec::new();
    let mut people_per_funnel = Vec::new();
    for f in &plan.funnels {
        let people = funnel::people_in(f, &ctx, &tl, &res.persons);
        metrics.push(funnel::metrics(f, &people, &ctx, &tl, &period, plan.report.cohort_weeks));
        people_per_funnel.push(people);
    }
    let organizing = funnel::organizing::compute(&ctx, &tl, &res.persons, &period, plan.report.cohort_weeks);
    timings.insert("funnel", t.elapsed().as_millis());

    progress("writing tables");
    let t = Instant::now();
    write_work_tables(&plan, &ing, &res, &tl, &people_per_funnel).map_err(TurnoutError::Internal)?;
    timings.insert("tables", t.elapsed().as_millis());

    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    for q in &ing.quarantine {
        *by_reason.entry(q.reason.clone()).or_default() += 1;
    }
    let m = model::build(&model::Inputs {
        pipeline: &plan.name,
        timezone: plan.timezone.name(),
        period: &period,
        min_cell: plan.report.min_cell,
        funnels: &metrics,
        organizing: &organizing,
        files: &ing.files,
        quarantine_by_reason: by_reason,
        identity: &res.stats,
    });

    let mut warnings = Vec::new();
    for s in &plan.sources {
        let (rows, bad): (u64, u64) = ing
            .files
            .iter()
            .filter(|f| f.source == s.name)
            .fold((0, 0), |(r, b), f| (r + f.rows, b + f.quarantined));
        if rows > 0 && bad as f64 / rows as f64 > MAX_QUARANTINE_SHARE {
            warnings.push(format!(
                "source {:?}: {} of {} rows set aside ({:.0}%, more than {:.0}%); see work/{}/quarantine.parquet",
                s.name,
                bad,
                rows,
                100.0 * bad as f64 / rows as f64,
                MAX_QUARANTINE_SHARE * 100.0,
                plan.name
            ));
        }
    }

    progress("publishing the report");
    let t = Instant::now();
    let run_json = json!({
        "turnout_version": env!("CARGO_PKG_VERSION"),
        "pipeline": { "name": plan.name, "path": plan.path.display().to_string(), "sha256": plan.hash },
        "period": period.label,
        "data_through": timeutil::iso(cutoff),
        // Files by label and hash only: a file name can name a person (work/<pipeline>/inputs.json maps them).
        "inputs": ing.files.iter().map(|f| json!({ "source": f.source, "file": model::file_label(&ing.files, f), "sha256": f.sha256, "bytes": f.bytes, "rows": f.rows, "events": f.events, "quarantined": f.quarantined, "skipped": f.skipped })).collect::<Vec<_>>(),
        "counts": { "events": ing.events.len(), "quarantined": ing.quarantine.len(), "persons": res.persons.len() },
        "occasions": { "meetings_table": ing.occasions, "same_day_fallback": same_day },
        "warnings": warnings,
        "recovered_stale_lock": lock.recovered,
        "durations_ms": timings,
    });
    let dir = report::publish(&plan.reports_dir(), &m, &run_json).map_err(TurnoutError::Internal)?;
    let _ = t;
    let summary = report::summary(&m);
    let exit = if warnings.is_empty() {
        ExitCode::Published
    } else {
        ExitCode::PublishedWithWarnings
    };
    Ok(RunOutcome {
        report_dir: dir,
        summary,
        exit,
        warnings,
        model: m,
    })
}

/// Picks the report week.
pub fn choose_period(plan: &Plan, choice: &PeriodChoice, cutoff_us: i64) -> Result<Period> {
    let ws = plan.week_start;
    let tz = plan.timezone;
    let last_complete_before = |d: NaiveDate| timeutil::week_start(d, ws) - Duration::days(7);
    let start = match choice {
        PeriodChoice::Latest => last_complete_before(timeutil::local_date(cutoff_us, tz) + Duration::days(1)),
        PeriodChoice::AsOf(d) => last_complete_before(*d),
        PeriodChoice::Named(s) => {
            if let Some(monday) = timeutil::parse_iso_week(s) {
                timeutil::week_start(monday, ws)
            } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                timeutil::week_start(d, ws)
            } else {
                return Err(TurnoutError::Config(vec![Diagnostic::new(
                    "--period",
                    0,
                    0,
                    format!("{s:?} is not a week"),
                )
                .hint("use an ISO week like 2026-W27 or a date inside the week like 2026-07-01")]));
            }
        }
    };
    Ok(Period::week(start, ws, tz, cutoff_us))
}

/// Person-level tables for audits and reuse: pseudonymised, owner-only, never in the report.
fn write_work_tables(
    plan: &Plan,
    ing: &ingest::Ingested,
    res: &identity::Resolution,
    tl: &timeline::Timeline,
    people: &[Vec<funnel::PersonFunnel>],
) -> anyhow::Result<()> {
    let dir = plan.work_dir();
    std::fs::create_dir_all(&dir)?;
    crate::privacy::owner_only(&dir)?;
    if let Some(parent) = dir.parent() {
        crate::privacy::owner_only(parent)?;
    }
    let pseudo = Pseudonymizer::load_or_create(&plan.root)?;
    let write = |name: &str, mut df: polars::prelude::DataFrame| -> anyhow::Result<()> {
        let tmp = dir.join(format!(".{name}.parquet.tmp"));
        tables::write_parquet(&mut df, &tmp)?;
        std::fs::rename(&tmp, dir.join(format!("{name}.parquet")))?;
        Ok(())
    };
    // Which report label is which file (the report names files only by label).
    let inputs: Vec<serde_json::Value> = ing
        .files
        .iter()
        .map(|f| serde_json::json!({ "label": crate::report::model::file_label(&ing.files, f), "file": f.file, "sha256": f.sha256 }))
        .collect();
    let tmp = dir.join(".inputs.json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&inputs)? + "\n")?;
    crate::privacy::owner_only(&tmp)?;
    std::fs::rename(&tmp, dir.join("inputs.json"))?;
    write("events", tables::events_frame(&ing.events, &plan.attributes, res, &pseudo)?)?;
    write("quarantine", tables::quarantine_frame(&ing.quarantine)?)?;
    write("persons", tables::persons_frame(res)?)?;
    write("links", tables::links_frame(res)?)?;
    write("timeline", tables::timeline_frame(&ing.events, &plan.attributes, res, tl, &pseudo)?)?;
    let mut all: Option<polars::prelude::DataFrame> = None;
    for (f, p) in plan.funnels.iter().zip(people) {
        let names: Vec<String> = f.stages.iter().map(|s| s.name.clone()).collect();
        let df = tables::funnel_people_frame(&f.name, &names, p, &ing.events, res)?;
        all = Some(match all {
            None => df,
            Some(mut a) => {
                a.vstack_mut(&df)?;
                a
            }
        });
    }
    if let Some(df) = all {
        write("funnel_people", df)?;
    }
    Ok(())
}
