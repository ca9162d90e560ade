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
    /// The organizers' action lists, when the pipeline asks for them.
    pub action_lists: Option<crate::actions::Written>,
}

/// Options of `turnout run` beyond the period.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Parse every export again instead of using the parsed-file cache.
    pub rebuild: bool,
    /// Where the funnels run (`--engine`); the results are the same on every engine.
    pub engine: crate::engine::Engine,
}

pub fn run(pipeline: &Path, choice: &PeriodChoice, progress: &dyn Fn(&str)) -> Result<RunOutcome> {
    run_with(pipeline, choice, &RunOptions::default(), progress)
}

pub fn run_with(pipeline: &Path, choice: &PeriodChoice, opts: &RunOptions, progress: &dyn Fn(&str)) -> Result<RunOutcome> {
    let mut meter = crate::meter::Meter::start();
    let plan = config::load(pipeline)?;
    let pre = ingest::preflight(&plan);
    if !pre.is_empty() {
        return Err(TurnoutError::Input(pre));
    }
    let overrides = load_overrides(&plan)?;
    meter.lap("config");
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
    let cache = ingest::CacheOptions {
        dir: plan.work_dir().join("cache"),
        rebuild: opts.rebuild,
    };
    if let Some(parent) = cache.dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| TurnoutError::Internal(anyhow::anyhow!("cannot create {}: {e}", parent.display())))?;
        crate::privacy::owner_only(parent).map_err(|e| TurnoutError::Internal(e.into()))?;
    }
    let mut ing = ingest::ingest_with(&plan, Some(&cache))?;
    crate::lock::pause_point("ingested");
    meter.lap("ingest");
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
    let pseudo = Pseudonymizer::load_or_create(&plan.root).map_err(|e| {
        TurnoutError::Internal(anyhow::anyhow!(
            "cannot read or create the pseudonym key under {}: {e}",
            plan.root.join(".turnout").display()
        ))
    })?;
    let mut warnings = Vec::new();
    // The previous run's ids are read on a thread of their own while identity's first steps
    // run (a second or so at a million members), and waited for where they are needed.
    let keys_path = plan.work_dir().join("person_keys.parquet");
    let phones = std::cell::RefCell::new(std::mem::take(&mut ing.phones));
    let unreadable = std::cell::Cell::new(false);
    let res = std::thread::scope(|sc| {
        let reading = std::sync::Mutex::new(keys_path.is_file().then(|| sc.spawn(|| tables::read_person_keys(&keys_path))));
        let read: std::sync::OnceLock<Option<identity::PreviousIds>> = std::sync::OnceLock::new();
        let pending = || {
            read.get_or_init(|| {
                let reader = reading.lock().unwrap_or_else(|p| p.into_inner()).take()?;
                match reader.join().unwrap_or_else(|p| std::panic::resume_unwind(p)) {
                    Ok(m) => Some(m),
                    Err(_) => {
                        unreadable.set(true);
                        None
                    }
                }
            })
            .as_ref()
        };
        identity::resolve_with(
            &plan,
            &identity::Inputs {
                events: &ing.events,
                identities: &ing.identities,
                overrides: &overrides,
                previous_pending: Some(&pending),
                phones: Some(&phones),
                ..Default::default()
            },
            &pseudo,
        )
    });
    if unreadable.get() {
        warnings.push(format!(
            "cannot read the previous run's person ids ({}): people get new ids this week; delete the file if it is damaged",
            keys_path.display()
        ));
    }
    // An attendance without a meetings-table entry joins the person's RSVP of the same day.
    let same_day = ingest::occasions::same_day_fallback(&plan, &mut ing.events, &res.person_of);
    meter.lap("identity");

    // The default engine's funnel columns (about 60 bytes an event) are built alongside the
    // timeline, on the other core: both only read the events. They live only while the funnels
    // are measured.
    let (tl, ctx) = std::thread::scope(|sc| {
        let ctx = matches!(opts.engine, crate::engine::Engine::Turnout)
            .then(|| sc.spawn(|| funnel::Context::from_events(&ing.events, plan.timezone)));
        let tl = timeline::build(&ing.events, &res);
        (tl, ctx.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
    });
    meter.lap("timeline");

    // The default engine measures the funnels, then writes the tables; a scale-out engine reads
    // the timeline table, so there the tables come first.
    let table_steps;
    let (metrics, organizing) = match &opts.engine {
        crate::engine::Engine::Turnout => {
            progress("measuring funnels");
            let ctx = ctx.expect("built with the timeline for the default engine");
            // Each funnel, and the organizing measures, on a thread of its own: they only read
            // the context and the timeline. Results are collected in plan order.
            let (people, measured) = std::thread::scope(|sc| {
                let (ctx, tl, persons, period) = (&ctx, &tl, &res.persons, &period);
                let weeks = plan.report.cohort_weeks;
                let funnels: Vec<_> = plan
                    .funnels
                    .iter()
                    .map(|f| {
                        sc.spawn(move || {
                            let people = funnel::people_in(f, ctx, tl, persons);
                            let metrics = funnel::metrics(f, &people, ctx, tl, period, weeks);
                            (people, metrics)
                        })
                    })
                    .collect();
                let organizing = funnel::organizing::compute(ctx, tl, persons, period, weeks);
                let join = |h: std::thread::ScopedJoinHandle<'_, _>| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                let (people, metrics): (Vec<_>, Vec<_>) = funnels.into_iter().map(join).unzip();
                (people, (metrics, organizing))
            });
            drop(ctx);
            meter.lap("funnel");
            progress("writing tables");
            table_steps = write_work_tables(&plan, &ing, &res, &tl, Some(people.as_slice())).map_err(TurnoutError::Internal)?;
            crate::lock::pause_point("tables");
            meter.lap("tables");
            measured
        }
        crate::engine::Engine::ScaleOut(engine) => {
            progress("writing tables");
            table_steps = write_work_tables(&plan, &ing, &res, &tl, None).map_err(TurnoutError::Internal)?;
            crate::lock::pause_point("tables");
            meter.lap("tables");
            progress(&format!("measuring funnels on {engine}"));
            let m = crate::engine::measure(
                engine,
                &plan.path,
                &plan.work_dir().join("timeline.parquet"),
                &plan.work_dir(),
                &period,
                plan.funnels.len(),
                &res.persons,
                &ing.events,
            )?;
            let people = m.people;
            // The metrics from the engine's facts and counts, by turnout's own arithmetic.
            let measured = (
                plan.funnels
                    .iter()
                    .zip(&m.facts)
                    .map(|(f, x)| funnel::aggregate::metrics_of(f, x, &period, plan.report.cohort_weeks))
                    .collect::<Vec<_>>(),
                funnel::organizing::assemble(m.tallies, &period, plan.report.cohort_weeks),
            );
            write_funnel_people(&plan, &ing, &res, &people).map_err(TurnoutError::Internal)?;
            meter.lap("funnel");
            measured
        }
    };

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

    warnings.extend(quality_warnings(&plan, &ing, &period));

    meter.lap("report_model");
    progress("publishing the report");
    let run_json = json!({
        "turnout_version": env!("CARGO_PKG_VERSION"),
        "pipeline": { "name": plan.name, "path": plan.path.display().to_string(), "sha256": plan.hash },
        "period": period.label,
        "data_through": timeutil::iso(cutoff),
        // Files by label and hash only: a file name can name a person (work/<pipeline>/inputs.json maps them).
        "inputs": ing.files.iter().map(|f| json!({ "source": f.source, "file": model::file_label(&ing.files, f), "sha256": f.sha256, "bytes": f.bytes, "rows": f.rows, "events": f.events, "quarantined": f.quarantined, "skipped": f.skipped, "cached": f.cached })).collect::<Vec<_>>(),
        "counts": { "events": ing.events.len(), "quarantined": ing.quarantine.len(), "persons": res.persons.len() },
        "person_ids": { "previous_run": res.stats.has_previous_ids, "kept": res.stats.ids_kept, "new": res.stats.ids_new, "merged": res.stats.ids_merged, "split": res.stats.ids_split },
        "occasions": { "meetings_table": ing.occasions, "same_day_fallback": same_day },
        "warnings": warnings,
        "recovered_stale_lock": lock.recovered,
        "engine": opts.engine.to_string(),
        "durations_ms": meter.durations_ms(),
        // Per stage: wall and CPU time, the stage's own peak resident memory (see `meter`).
        "stages": meter.stages,
        // Identity's steps, cumulative milliseconds (for profiling large runs).
        "identity_steps_ms": res.timings.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        // The person-level tables' steps, cumulative milliseconds (same purpose).
        "table_steps_ms": table_steps.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
    });
    let dir = report::publish(&plan.reports_dir(), &m, &run_json).map_err(TurnoutError::Internal)?;
    // Person-level lists for organizers, only when asked for: never in or linked from the report.
    let action_lists = crate::actions::write(&plan, &period, &ing.events, &res, &tl).map_err(|e| {
        TurnoutError::Internal(e.context(format!("cannot write the action lists under {}", plan.restricted_dir().display())))
    })?;
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
        action_lists,
    })
}

/// `turnout evaluate`: ingest and identity only, scored against a ground truth. Returns the
/// printed text. Error listings name records by origin (`file:line`), never by identifier.
pub fn evaluate_identity(pipeline: &Path, truth: &Path, show_errors: usize) -> Result<String> {
    use std::fmt::Write;
    let plan = config::load(pipeline)?;
    let pre = ingest::preflight(&plan);
    if !pre.is_empty() {
        return Err(TurnoutError::Input(pre));
    }
    let overrides = load_overrides(&plan)?;
    let ing = ingest::ingest(&plan)?;
    let pseudo = Pseudonymizer::load_or_create(&plan.root).map_err(|e| TurnoutError::Internal(e.into()))?;
    let t = Instant::now();
    let res = identity::resolve_with(
        &plan,
        &identity::Inputs {
            events: &ing.events,
            identities: &ing.identities,
            overrides: &overrides,
            ..Default::default()
        },
        &pseudo,
    );
    let took = t.elapsed();
    // Origins are shown relative to the project root; the truth names files relative to its folder.
    let folder = truth.parent().unwrap_or(Path::new(""));
    let folder = folder.strip_prefix(&plan.root).unwrap_or(folder);
    let prefix = match folder.to_string_lossy().replace('\\', "/") {
        f if f.is_empty() => String::new(),
        f => format!("{f}/"),
    };
    let truth_map = identity::evaluate::read_truth(truth, &prefix).map_err(TurnoutError::Internal)?;
    let e = identity::evaluate::evaluate(&ing.events, &res, &truth_map);
    let mut s = String::new();
    let _ = writeln!(s, "identity of pipeline {:?} against {}", plan.name, truth.display());
    let _ = writeln!(
        s,
        "  records: {} matched to truth, {} on lines naming several people (left out), {} without a truth row",
        e.records, e.multi_person_records, e.unmatched_records
    );
    let _ = writeln!(s, "  persons: {} true, {} resolved", e.true_persons, e.predicted_persons);
    let _ = writeln!(
        s,
        "  pairs: {} true, {} linked, {} correct",
        e.true_pairs, e.predicted_pairs, e.correct_pairs
    );
    let _ = writeln!(
        s,
        "  precision {:.4}  recall {:.4}  (resolution took {:.2?})",
        e.precision(),
        e.recall(),
        took
    );
    if show_errors > 0 {
        let (split, merged) = identity::evaluate::errors(&ing.events, &res, &truth_map);
        let _ = writeln!(
            s,
            "  {} true persons split, {} resolved persons merging several:",
            split.len(),
            merged.len()
        );
        for (t, ix) in split.iter().take(show_errors) {
            // Each fragment: its sources and which identifiers its records carry (e email, p phone, n name, x tool id).
            let mut frags: BTreeMap<u32, BTreeMap<String, u32>> = BTreeMap::new();
            for &i in ix {
                let e = &ing.events[i];
                let flags: String = [
                    (e.email.is_some(), 'e'),
                    (e.phone.is_some(), 'p'),
                    (e.name.is_some(), 'n'),
                    (e.external_id.is_some(), 'x'),
                ]
                .iter()
                .filter(|f| f.0)
                .map(|f| f.1)
                .collect();
                *frags
                    .entry(res.person_of[i])
                    .or_default()
                    .entry(format!("{}:{flags}", e.source))
                    .or_default() += 1;
            }
            let parts: Vec<String> = frags
                .values()
                .map(|m| m.iter().map(|(k, n)| format!("{k}x{n}")).collect::<Vec<_>>().join(","))
                .collect();
            let _ = writeln!(s, "    split {t}: [{}]", parts.join("] ["));
        }
        for (p, ix) in merged.iter().take(show_errors) {
            let parts: Vec<String> = ix.iter().map(|&i| ing.events[i].origin.to_string()).collect();
            let rules: Vec<String> = res
                .links
                .iter()
                .filter(|l| l.person == *p && l.score.is_some())
                .map(|l| format!("{:.3}/{}", l.score.unwrap_or(0.0), l.evidence.unwrap_or("")))
                .collect();
            let _ = writeln!(s, "    merged #{p} ({}): {}", rules.join(","), parts.join(" "));
        }
    }
    Ok(s)
}

/// The pipeline's identity overrides (none without `[identity] overrides`); a bad row is a
/// configuration error naming its line and column.
pub fn load_overrides(plan: &Plan) -> Result<Vec<identity::Override>> {
    match &plan.identity.overrides {
        None => Ok(Vec::new()),
        Some(p) => identity::overrides::load(plan, p).map_err(TurnoutError::Config),
    }
}

/// The pipeline's `[checks]`: a source with too many rows set aside, a source whose newest
/// record is far behind the others, a source expected every week with nothing in the reported
/// week. Each is a warning (the report is published; the run exits 1). No personal data.
pub fn quality_warnings(plan: &Plan, ing: &ingest::Ingested, period: &Period) -> Vec<String> {
    let c = &plan.checks;
    let mut out = Vec::new();
    let newest_all = ing.events.iter().map(|e| e.ts).max().unwrap_or(0);
    // Per source (by interned name): its newest record and whether it has one in the week; one
    // pass over the events, not one per source.
    let mut by_source: rustc_hash::FxHashMap<u32, (i64, bool)> = Default::default();
    for e in &ing.events {
        let s = by_source.entry(e.source.id()).or_insert((i64::MIN, false));
        s.0 = s.0.max(e.ts);
        s.1 |= e.ts >= period.start_us && e.ts < period.end_us;
    }
    let of_source = |name: &str| by_source.get(&crate::schema::Str::new(name).id()).copied();
    for s in &plan.sources {
        let (rows, bad): (u64, u64) = ing
            .files
            .iter()
            .filter(|f| f.source == s.name)
            .fold((0, 0), |(r, b), f| (r + f.rows, b + f.quarantined));
        if rows > 0 && bad as f64 / rows as f64 > c.max_quarantined_share {
            out.push(format!(
                "source {:?}: {} of {} rows set aside ({:.0}%, more than {:.0}%); see work/{}/quarantine.parquet",
                s.name,
                bad,
                rows,
                100.0 * bad as f64 / rows as f64,
                c.max_quarantined_share * 100.0,
                plan.name
            ));
        }
        let newest = of_source(&s.name).map(|x| x.0);
        if c.max_days_behind > 0 {
            if let Some(n) = newest {
                let behind = (newest_all - n) / 86_400_000_000;
                if behind > c.max_days_behind as i64 {
                    out.push(format!(
                        "source {:?}: its newest record is {behind} days older than the newest of any source (more than {}); is its export up to date?",
                        s.name, c.max_days_behind
                    ));
                }
            }
        }
        if c.expect_weekly.contains(&s.name) {
            let in_week = of_source(&s.name).is_some_and(|x| x.1);
            if !in_week {
                out.push(format!(
                    "source {:?}: no records in {} although [checks] expect_weekly lists it; was this week's export dropped in?",
                    s.name, period.label
                ));
            }
        }
    }
    out
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

/// Writes a work table as `<work>/<name>.parquet` (aside, then renamed into place).
fn write_table(plan: &Plan, name: &str, mut df: polars::prelude::DataFrame) -> anyhow::Result<()> {
    let dir = plan.work_dir();
    let tmp = dir.join(format!(".{name}.parquet.tmp"));
    tables::write_parquet(&mut df, &tmp)?;
    std::fs::rename(&tmp, dir.join(format!("{name}.parquet")))?;
    Ok(())
}

/// Person-level tables for audits and reuse: pseudonymised, owner-only, never in the report;
/// with `people`, the funnels' fills per person too. Gives each step's cumulative milliseconds
/// (`run.json`'s `table_steps_ms`).
fn write_work_tables(
    plan: &Plan,
    ing: &ingest::Ingested,
    res: &identity::Resolution,
    tl: &timeline::Timeline,
    people: Option<&[Vec<funnel::PersonFunnel>]>,
) -> anyhow::Result<Vec<(&'static str, u128)>> {
    let clock = Instant::now();
    let mut steps = Vec::new();
    let mut lap = |name: &'static str| steps.push((name, clock.elapsed().as_millis()));
    let dir = plan.work_dir();
    std::fs::create_dir_all(&dir)?;
    crate::privacy::owner_only(&dir)?;
    if let Some(parent) = dir.parent() {
        crate::privacy::owner_only(parent)?;
    }
    let pseudo = Pseudonymizer::load_or_create(&plan.root)?;
    let write = |name: &str, df: polars::prelude::DataFrame| write_table(plan, name, df);
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
    let rows = tables::EventRows::new(&ing.events, &plan.attributes, res, &pseudo);
    lap("tokens");
    let (events_tmp, timeline_tmp) = (dir.join(".events.parquet.tmp"), dir.join(".timeline.parquet.tmp"));
    // The smaller tables are written on a thread of their own meanwhile: the event tables'
    // builder and two encoders leave part of a core idle. An event table's failure is reported
    // first.
    let (events, small) = std::thread::scope(|sc| {
        let small = sc.spawn(|| -> anyhow::Result<u128> {
            write("quarantine", tables::quarantine_frame(&ing.quarantine)?)?;
            write("persons", tables::persons_frame(res)?)?;
            write("links", tables::links_frame(res)?)?;
            write("person_keys", tables::person_keys_frame(res)?)?;
            if let Some(people) = people {
                write_funnel_people(plan, ing, res, people)?;
            }
            Ok(clock.elapsed().as_millis())
        });
        let events = rows.write(tl, &events_tmp, &timeline_tmp).map(|()| clock.elapsed().as_millis());
        (events, small.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    });
    let events = events?;
    std::fs::rename(&events_tmp, dir.join("events.parquet"))?;
    std::fs::rename(&timeline_tmp, dir.join("timeline.parquet"))?;
    let small = small?;
    // Each step's end, in the order they ended.
    let mut ends = [("events_and_timeline", events), ("persons_links_keys_funnel_people", small)];
    ends.sort_by_key(|(_, ms)| *ms);
    steps.extend(ends);
    Ok(steps)
}

/// Every funnel's fills per person (`funnel_people.parquet`), pseudonymised like the tables.
fn write_funnel_people(
    plan: &Plan,
    ing: &ingest::Ingested,
    res: &identity::Resolution,
    people: &[Vec<funnel::PersonFunnel>],
) -> anyhow::Result<()> {
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
        write_table(plan, "funnel_people", df)?;
    }
    Ok(())
}
