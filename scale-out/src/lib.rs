//! turnout's event-level funnel as versioned SQL (`sql/v1/*.sql`), run unchanged by Apache
//! DataFusion embedded or by Apache Ballista (in-process "standalone", or a remote scheduler).
//!
//! Takes: a pipeline (its timezone and funnels) and the `timeline.parquet` that `turnout run`
//! writes. Gives: per funnel, every person's stage fills (person id, stage, event id): the
//! `funnel_people` table, from which the counts and metrics follow.
//! Promises: the same fills as turnout's own engine (`turnout::funnel::people_in`), to the event;
//! `tests/differential.rs` checks it on the demo and on random timelines.
//!
//! The funnel is a sequence of relational steps (DESIGN.md §9): `events.sql` prepares each event
//! (truncated times, occasion); the stage predicates, which are the pipeline's data, become one
//! generated `stage_events` table; `entry.sql` picks each person's entry; `step.sql`, once per
//! stage, picks the next fill. Each step's result (one row per person still in the funnel) is
//! written to Parquet and read back by the next step, so a step's plan never grows and any
//! executor can read it. An unordered funnel is the entry step, then `unordered.sql` picks each
//! person's candidate events (cut to what an exact matching can use), and the matching itself,
//! a small search per person, runs on the client with turnout's own code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Int64Type, UInt64Type};
use datafusion::prelude::*;
use turnout::config::Dim;
use turnout::config::{FunnelPlan, Order, Predicate};
use turnout::engine::PersonAnswer;
use turnout::funnel::aggregate::PersonFacts;
use turnout::funnel::{organizing, Period};
use turnout::schema::col;

pub const EVENTS_SQL: &str = include_str!("../sql/v1/events.sql");
pub const ENTRY_SQL: &str = include_str!("../sql/v1/entry.sql");
pub const STEP_SQL: &str = include_str!("../sql/v1/step.sql");
pub const UNORDERED_SQL: &str = include_str!("../sql/v1/unordered.sql");
pub const SHOW_RATE_SQL: &str = include_str!("../sql/v1/show_rate.sql");
pub const ATTENDERS_SQL: &str = include_str!("../sql/v1/attenders.sql");
pub const WEEKS_SQL: &str = include_str!("../sql/v1/weeks.sql");
pub const FACTS_SQL: &str = include_str!("../sql/v1/facts.sql");
pub const FIRST_TOUCH_SQL: &str = include_str!("../sql/v1/first_touch.sql");
pub const AT_STAGE_SQL: &str = include_str!("../sql/v1/at_stage.sql");

/// A tokio runtime whose threads have room for DataFusion's and Ballista's recursive plan
/// handling (Ballista's plan (de)serialisation overflows the default 2 MiB stacks in debug
/// builds).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(64 << 20)
        .enable_all()
        .build()
}

/// Where the SQL runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// DataFusion in this process, with this many partitions.
    DataFusion { partitions: usize },
    /// Ballista's scheduler and executor in this process (shuffles between stages are real).
    Standalone { partitions: usize },
    /// A Ballista scheduler, e.g. `df://127.0.0.1:50050`.
    Remote(String),
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "datafusion" => Ok(Engine::DataFusion { partitions: 2 }),
            "ballista" | "ballista-standalone" => Ok(Engine::Standalone { partitions: 4 }),
            _ if s.starts_with("ballista://") || s.starts_with("df://") => {
                Ok(Engine::Remote(format!("df://{}", s.split("://").nth(1).unwrap_or(""))))
            }
            _ => Err(format!(
                "unknown engine {s:?}: use datafusion, ballista (in-process) or ballista://host:port"
            )),
        }
    }
}

/// Ballista's session settings: the static distributed planner. Ballista 55's adaptive query
/// planner (its default) leaves some steps unfinished when their input is split over several
/// partitions (the process sits idle, or a cluster runs tens of thousands of tiny tasks);
/// with the static planner the same steps finish, identical to turnout's engine
/// (docs/scale-out.md). `TURNOUT_BALLISTA_AQE=1` turns the adaptive planner back on.
fn ballista_config() -> SessionConfig {
    use ballista::prelude::*;
    let aqe = std::env::var("TURNOUT_BALLISTA_AQE").is_ok_and(|v| v == "1");
    SessionConfig::new_with_ballista()
        .set_str("ballista.planner.adaptive.enabled", if aqe { "true" } else { "false" })
        // Plain strings rather than string views: results and shuffles cross the network as
        // Arrow IPC, where a view batch carries the whole buffers it points into. This alone
        // did not do it (turnout's files say "view" in their Arrow schema): `register_parquet`
        // gives every table plain strings.
        .set_bool("datafusion.execution.parquet.schema_force_view_types", false)
}

/// A session on `engine`.
pub async fn session(engine: &Engine) -> Result<SessionContext> {
    use ballista::prelude::*;
    use datafusion::execution::SessionStateBuilder;
    Ok(match engine {
        Engine::DataFusion { partitions } => SessionContext::new_with_config(SessionConfig::new().with_target_partitions(*partitions)),
        Engine::Standalone { partitions } => {
            let state = SessionStateBuilder::new()
                .with_default_features()
                .with_config(
                    ballista_config()
                        .with_target_partitions(*partitions)
                        .with_ballista_standalone_parallelism(2),
                )
                .build();
            SessionContext::standalone_with_state(state).await?
        }
        Engine::Remote(url) => {
            let state = SessionStateBuilder::new()
                .with_default_features()
                .with_config(ballista_config().with_target_partitions(4))
                .build();
            SessionContext::remote_with_state(url, state)
                .await
                .with_context(|| format!("cannot reach the Ballista scheduler at {url}"))?
        }
    })
}

/// One fill: the person, the stage (1-based) and the event that filled it.
pub type Fill = (String, u32, u64);

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn in_list<T>(column: &str, set: &Option<BTreeSet<T>>, text: impl Fn(&T) -> String) -> Option<String> {
    set.as_ref().map(|s| {
        if s.is_empty() {
            "FALSE".to_string()
        } else {
            format!("{column} IN ({})", s.iter().map(|v| quote(&text(v))).collect::<Vec<_>>().join(", "))
        }
    })
}

/// A stage predicate as a SQL condition over `events` (the pipeline's data, not logic).
pub fn predicate_sql(p: &Predicate) -> String {
    let parts: Vec<String> = [
        in_list("action", &p.actions, |a| a.as_str().to_string()),
        in_list("source", &p.sources, |s| s.clone()),
        in_list("tool", &p.tools, |t| t.as_str().to_string()),
        in_list("channel", &p.channels, |c| c.as_str().to_string()),
        in_list("context", &p.contexts, |c| c.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "TRUE".into()
    } else {
        parts.join(" AND ")
    }
}

fn fill_sql(template: &str, tz: &str, window_us: i64, k: usize, same: &[usize]) -> String {
    let same = if same.is_empty() {
        "0".to_string()
    } else {
        same.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
    };
    template
        .replace("{same}", &same)
        .replace("{tz}", &tz.replace('\'', "''"))
        .replace("{window_us}", &window_us.to_string())
        .replace("{k}", &k.to_string())
}

async fn register_sql(ctx: &SessionContext, name: &str, sql: &str) -> Result<()> {
    let _ = ctx.deregister_table(name);
    let df = ctx.sql(sql).await.with_context(|| format!("planning {name}"))?;
    ctx.register_table(name, df.into_view())?;
    Ok(())
}

/// `events.sql` for the registered timeline in zone `tz`. The local day of each event comes
/// from the zone's UTC offsets over the timeline's time range, as turnout's own
/// [`LocalDays`](turnout::funnel::context::LocalDays) finds them, written into the SQL as one
/// `CASE` on the time: arithmetic per row instead of formatting a zoned date per row (which
/// took most of a 30M-row funnel's time).
async fn events_sql(ctx: &SessionContext, tz: &str) -> Result<String> {
    let zone: chrono_tz::Tz = tz.parse().map_err(|e| anyhow::anyhow!("time zone {tz}: {e}"))?;
    let (lo, hi) = time_range(ctx).await?;
    let days = turnout::funnel::context::LocalDays::new(zone, lo, hi);
    let Some((spans, _, _)) = days.spans() else {
        bail!("the timeline's times span more than 200 years; check its ts column (turnout writes 1970–2100)");
    };
    let offset = match spans {
        [(_, o)] => o.to_string(),
        _ => {
            let whens: String = spans
                .windows(2)
                .map(|w| format!(" WHEN ts_us < {} THEN {}", w[1].0, w[0].1))
                .collect();
            format!("CASE{whens} ELSE {} END", spans[spans.len() - 1].1)
        }
    };
    Ok(EVENTS_SQL.replace("{local_us}", &format!("(ts_us + {offset})")))
}

/// The earliest and latest time in the registered timeline, in µs (0 and 0 when it is empty).
async fn time_range(ctx: &SessionContext) -> Result<(i64, i64)> {
    let sql = "SELECT min(arrow_cast(ts, 'Int64')) AS lo, max(arrow_cast(ts, 'Int64')) AS hi FROM timeline";
    let b = ctx.sql(sql).await?.collect().await?;
    let b = b.first().context("no result")?;
    let (lo, hi) = (b.column(0).as_primitive::<Int64Type>(), b.column(1).as_primitive::<Int64Type>());
    if lo.is_empty() || lo.is_null(0) {
        return Ok((0, 0));
    }
    Ok((lo.value(0), hi.value(0)))
}

/// Registers a Parquet file as table `name`, its text columns as plain strings. turnout's files
/// say "string view" in their Arrow schema (polars writes them so), and a batch of views crossing
/// the network as Arrow IPC carries every buffer it points into: the sorted candidates of an
/// unordered funnel came to the client at ~15 KB a row (10 GB for 678k rows), against ~40 bytes
/// as plain strings.
async fn register_parquet(ctx: &SessionContext, name: &str, path: &Path) -> Result<()> {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let _ = ctx.deregister_table(name);
    let url = path.to_str().context("path is not UTF-8")?;
    let reading = || format!("reading {}", path.display());
    let found = ctx.read_parquet(url, ParquetReadOptions::default()).await.with_context(reading)?;
    let plain = Schema::new(
        found
            .schema()
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8View | DataType::LargeUtf8 => Field::new(f.name(), DataType::Utf8, f.is_nullable()),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    );
    ctx.register_parquet(name, url, ParquetReadOptions::default().schema(&plain))
        .await
        .with_context(reading)?;
    Ok(())
}

/// Writes batches to one Parquet file (the client side of a step: its result is per person).
fn write_batches(path: &Path, batches: &[RecordBatch]) -> Result<()> {
    let Some(first) = batches.first() else { bail!("no batches") };
    let file = std::fs::File::create(path)?;
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, first.schema(), None)?;
    for b in batches {
        w.write(b)?;
    }
    w.close()?;
    Ok(())
}

/// Runs the ordered funnel `f` over the registered `timeline` table. `work` is a scratch folder
/// for the steps' Parquet files (shared with the executors when the engine is a cluster).
pub async fn funnel_fills(ctx: &SessionContext, tz: &str, f: &FunnelPlan, work: &Path) -> Result<Vec<Fill>> {
    std::fs::create_dir_all(work)?;
    register_sql(ctx, "events", &events_sql(ctx, tz).await?).await?;
    register_sql(ctx, "organizers", "SELECT DISTINCT person_id FROM timeline WHERE organizer").await?;
    let stages: Vec<String> = f
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "SELECT CAST({} AS BIGINT) AS stage, * FROM events WHERE {}",
                i + 1,
                predicate_sql(&s.when)
            )
        })
        .collect();
    register_sql(ctx, "stage_events", &stages.join("\nUNION ALL\n")).await?;

    let fills_dir = work.join("fills");
    let _ = std::fs::remove_dir_all(&fills_dir);
    std::fs::create_dir_all(&fills_dir)?;
    let mut out: Vec<Fill> = Vec::new();
    let mut all: Vec<RecordBatch> = Vec::new();
    // Ordered: one relational step per stage. Unordered: the entry step, then every person's
    // candidate events in one query, matched on the client.
    let steps = match f.order {
        Order::Ordered => f.stages.len(),
        Order::Unordered => 1,
    };
    for k in 1..=steps {
        let sql = if k == 1 { ENTRY_SQL } else { STEP_SQL };
        let what = format!("stage {k} of funnel {:?}", f.name);
        let batches = run_step(ctx, &what, &fill_sql(sql, tz, f.window_us, k, &same_predicate(f, k))).await?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        for b in &batches {
            let person = b.column_by_name("person_id").context("person_id")?;
            let person = datafusion::arrow::compute::cast(person, &datafusion::arrow::datatypes::DataType::Utf8)?;
            let person = person.as_string::<i32>();
            let event = b.column_by_name("event_id").context("event_id")?.as_primitive::<UInt64Type>();
            let stage = b.column_by_name("stage").context("stage")?.as_primitive::<Int64Type>();
            for i in 0..b.num_rows() {
                out.push((person.value(i).to_string(), stage.value(i) as u32, event.value(i)));
            }
        }
        if rows == 0 {
            break;
        }
        // New files under new names each step (a cluster may cache a folder's listing): the
        // frontier, and every fill so far.
        let step: PathBuf = fills_dir.join(format!("frontier-{k:03}.parquet"));
        write_batches(&step, &batches)?;
        all.extend(batches);
        let so_far: PathBuf = fills_dir.join(format!("fills-to-{k:03}.parquet"));
        write_batches(&so_far, &all)?;
        register_parquet(ctx, "frontier", &step).await?;
        register_parquet(ctx, "fills", &so_far).await?;
    }
    if f.order == Order::Unordered && !out.is_empty() {
        let sql = UNORDERED_SQL.replace("{n}", &f.stages.len().to_string());
        let batches = run_step(ctx, &format!("stages 2 and later of funnel {:?}", f.name), &sql).await?;
        let tz: chrono_tz::Tz = tz.parse().map_err(|e| anyhow::anyhow!("time zone {tz}: {e}"))?;
        out = turnout_fills(&batches, tz, f)?;
    }
    out.sort();
    Ok(out)
}

/// Runs one step's SQL to completion. A step that does not finish is an error, not a hang (an
/// unattended run must end): Ballista 55 has been seen to stall on small inputs split over
/// several partitions.
async fn run_step(ctx: &SessionContext, what: &str, sql: &str) -> Result<Vec<RecordBatch>> {
    let started = std::time::Instant::now();
    let df = ctx.sql(sql).await.with_context(|| format!("planning {what}"))?;
    let batches = tokio::time::timeout(step_timeout(), df.collect())
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "{what} did not finish within {} s on this engine; \
                 set TURNOUT_SCALE_OUT_STEP_TIMEOUT (seconds) for very large inputs, or run with fewer partitions",
                step_timeout().as_secs()
            )
        })?
        .with_context(|| format!("running {what}"))?;
    if std::env::var_os("TURNOUT_SCALE_OUT_TRACE").is_some() {
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let bytes: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
        eprintln!(
            "{what}: {rows} rows in {} batches ({} MB in memory), {:.2} s",
            batches.len(),
            bytes >> 20,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(batches)
}

/// The timeline column a breakdown reads.
fn dim_column(dim: Dim, attributes: &[String]) -> Option<String> {
    Some(
        match dim {
            Dim::Channel => col::CHANNEL,
            Dim::Tool => col::TOOL,
            Dim::Source => col::SOURCE,
            Dim::Context => col::CONTEXT,
            Dim::UtmSource => col::UTM_SOURCE,
            Dim::UtmMedium => col::UTM_MEDIUM,
            Dim::UtmCampaign => col::UTM_CAMPAIGN,
            Dim::Attr(a) => attributes.get(a)?.as_str(),
        }
        .to_string(),
    )
}

/// Per person in `fills` (one funnel's, from [`funnel_fills`]): the events that filled the
/// stages and the [`PersonFacts`] the funnel metrics need — each fill's time and precision
/// (`facts.sql`) and each breakdown's value (`first_touch.sql`, `at_stage.sql`). Sorted by person.
pub async fn funnel_answers(
    ctx: &SessionContext,
    f: &FunnelPlan,
    attributes: &[String],
    fills: &[Fill],
    work: &Path,
) -> Result<Vec<PersonAnswer>> {
    use datafusion::arrow::array::{Int64Array, StringArray, UInt64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::collections::HashMap;
    std::fs::create_dir_all(work)?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Utf8, false),
        Field::new("stage", DataType::Int64, false),
        Field::new("event_id", DataType::UInt64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(fills.iter().map(|x| x.0.as_str()))),
            Arc::new(Int64Array::from_iter_values(fills.iter().map(|x| x.1 as i64))),
            Arc::new(UInt64Array::from_iter_values(fills.iter().map(|x| x.2))),
        ],
    )?;
    let path = work.join("all-fills.parquet");
    write_batches(&path, &[batch])?;
    register_parquet(ctx, "all_fills", &path).await?;

    // Each person's fills in stage order, with the event's time and precision.
    let mut by_person: HashMap<String, Vec<(u32, u64, i64, turnout::schema::Precision)>> = HashMap::new();
    for b in run_step(ctx, &format!("fill times of funnel {:?}", f.name), FACTS_SQL).await? {
        let text = |n: &str| -> Result<Arc<dyn Array>> {
            Ok(datafusion::arrow::compute::cast(
                b.column_by_name(n).with_context(|| format!("column {n}"))?,
                &DataType::Utf8,
            )?)
        };
        let int = |n: &str| -> Result<Arc<dyn Array>> {
            Ok(datafusion::arrow::compute::cast(
                b.column_by_name(n).with_context(|| format!("column {n}"))?,
                &DataType::Int64,
            )?)
        };
        let (person, prec, stage, ts) = (text("person_id")?, text("ts_precision")?, int("stage")?, int("ts_us")?);
        let event = b.column_by_name("event_id").context("event_id")?.as_primitive::<UInt64Type>();
        for i in 0..b.num_rows() {
            let p: turnout::schema::Precision = prec.as_string::<i32>().value(i).parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            by_person.entry(person.as_string::<i32>().value(i).to_string()).or_default().push((
                stage.as_primitive::<Int64Type>().value(i) as u32,
                event.value(i),
                ts.as_primitive::<Int64Type>().value(i),
                p,
            ));
        }
    }

    // Each breakdown's value per person (none when the timeline has no such column).
    let timeline = ctx.table("timeline").await?;
    let mut values: Vec<HashMap<String, String>> = Vec::new();
    for b in &f.breakdowns {
        let mut m = HashMap::new();
        if let Some(column) = dim_column(b.dim, attributes).filter(|c| timeline.schema().has_column_with_unqualified_name(c)) {
            let quoted = format!("\"{}\"", column.replace('"', "\"\""));
            let sql = match b.at_stage {
                None => FIRST_TOUCH_SQL.replace("{column}", &quoted),
                Some(k) => AT_STAGE_SQL.replace("{column}", &quoted).replace("{stage}", &(k + 1).to_string()),
            };
            for batch in run_step(ctx, &format!("breakdown {:?} of funnel {:?}", b.label, f.name), &sql).await? {
                let person = datafusion::arrow::compute::cast(batch.column_by_name("person_id").context("person_id")?, &DataType::Utf8)?;
                let value = datafusion::arrow::compute::cast(batch.column_by_name("value").context("value")?, &DataType::Utf8)?;
                for i in 0..batch.num_rows() {
                    m.insert(
                        person.as_string::<i32>().value(i).to_string(),
                        value.as_string::<i32>().value(i).to_string(),
                    );
                }
            }
        }
        values.push(m);
    }

    let mut out: Vec<PersonAnswer> = by_person
        .into_iter()
        .map(|(person, mut rows)| {
            rows.sort_unstable_by_key(|r| r.0);
            let v = values.iter().map(|m| m.get(&person).cloned()).collect();
            PersonAnswer {
                events: rows.iter().map(|r| r.1).collect(),
                facts: PersonFacts {
                    fills: rows.iter().map(|r| (r.2, r.3)).collect(),
                    values: v,
                },
                person,
            }
        })
        .collect();
    out.sort_by(|a, b| a.person.cmp(&b.person));
    Ok(out)
}

/// The reference for [`funnel_answers`]: turnout's own funnel code and
/// [`turnout::funnel::aggregate::facts`] over the same timeline file. Sorted by person.
pub fn reference_answers(timeline: &Path, tz: chrono_tz::Tz, f: &FunnelPlan, attributes: &[String]) -> Result<Vec<PersonAnswer>> {
    let (ctx, tl, persons) = read_context(timeline, tz, attributes)?;
    let people = turnout::funnel::people_in(f, &ctx, &tl, &persons);
    let facts = turnout::funnel::aggregate::facts(f, &people, &ctx, &tl);
    let mut out: Vec<PersonAnswer> = people
        .iter()
        .zip(facts)
        .map(|(p, facts)| PersonAnswer {
            person: persons[p.person as usize].id.clone(),
            events: p.fills.iter().map(|&e| ctx.event_id[e as usize]).collect(),
            facts,
        })
        .collect();
    out.sort_by(|a, b| a.person.cmp(&b.person));
    Ok(out)
}

/// The tallies behind the organizing metrics (show rate per occasion, repeat attendance, first
/// digital touch to first meeting, new and active people per week) over the registered
/// `timeline`, counted by `show_rate.sql`, `attenders.sql` and `weeks.sql`. turnout's
/// [`organizing::assemble`] makes the published metrics from them, as for its own engine.
pub async fn organizing_tallies(ctx: &SessionContext, period: &Period, weeks: usize) -> Result<organizing::Tallies> {
    use turnout::schema::{Action, Channel, Precision};
    let tz = period.tz.name();
    register_sql(ctx, "events", &events_sql(ctx, tz).await?).await?;
    register_sql(ctx, "organizers", "SELECT DISTINCT person_id FROM timeline WHERE organizer").await?;
    register_sql(
        ctx,
        "members",
        "SELECT e.* FROM events e LEFT JOIN organizers o ON o.person_id = e.person_id WHERE o.person_id IS NULL",
    )
    .await?;
    let ints = |b: &RecordBatch, name: &str| -> Result<Arc<dyn Array>> {
        let c = b.column_by_name(name).with_context(|| format!("column {name}"))?;
        Ok(datafusion::arrow::compute::cast(c, &datafusion::arrow::datatypes::DataType::Int64)?)
    };
    let prec = |p: i64| match p {
        0 => Precision::Second,
        1 => Precision::Minute,
        _ => Precision::Day,
    };

    let mut occasions = Vec::new();
    for b in run_step(ctx, "show rate", SHOW_RATE_SQL).await? {
        let name = datafusion::arrow::compute::cast(
            b.column_by_name("name").context("name")?,
            &datafusion::arrow::datatypes::DataType::Utf8,
        )?;
        let name = name.as_string::<i32>();
        let cols: Vec<Arc<dyn Array>> = [
            "first_ts",
            "marked",
            "standing",
            "standing_attended",
            "no_shows",
            "declined",
            "cancelled",
            "walk_ins",
        ]
        .iter()
        .map(|c| ints(&b, c))
        .collect::<Result<_>>()?;
        let v = |c: usize, i: usize| cols[c].as_primitive::<Int64Type>().value(i);
        for i in 0..b.num_rows() {
            occasions.push(organizing::OccasionTally {
                name: name.value(i).to_string(),
                first_ts: v(0, i),
                marked: v(1, i) != 0,
                standing: v(2, i) as u64,
                standing_attended: v(3, i) as u64,
                no_shows: v(4, i) as u64,
                declined: v(5, i) as u64,
                cancelled: v(6, i) as u64,
                walk_ins: v(7, i) as u64,
            });
        }
    }

    let digital: Vec<String> = Channel::ALL
        .iter()
        .filter(|c| organizing::is_digital(**c))
        .map(|c| quote(c.as_str()))
        .collect();
    let sql = ATTENDERS_SQL
        .replace("{tz}", &tz.replace('\'', "''"))
        .replace("{digital}", &digital.join(", "));
    let mut attenders = Vec::new();
    for b in run_step(ctx, "repeat attendance", &sql).await? {
        let cols: Vec<Arc<dyn Array>> = ["first_ts", "first_prec", "back30", "back60", "digital_ts", "digital_prec"]
            .iter()
            .map(|c| ints(&b, c))
            .collect::<Result<_>>()?;
        let a = |c: usize| cols[c].as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            attenders.push(organizing::AttenderTally {
                first: (a(0).value(i), prec(a(1).value(i))),
                came_back: [a(2).value(i) != 0, a(3).value(i) != 0],
                digital: (!a(4).is_null(i)).then(|| (a(4).value(i), prec(a(5).value(i)))),
            });
        }
    }

    // Weeks as days since 1970-01-01 (Date32), [start, end).
    const CE_TO_UNIX_DAYS: i32 = 719_163;
    let periods = period.last_weeks(weeks.max(5));
    let values: Vec<String> = periods
        .iter()
        .enumerate()
        .map(|(w, p)| {
            use chrono::Datelike;
            format!(
                "({w}, {}, {})",
                p.start.num_days_from_ce() - CE_TO_UNIX_DAYS,
                p.end.num_days_from_ce() - CE_TO_UNIX_DAYS
            )
        })
        .collect();
    let active: Vec<String> = Action::ALL
        .iter()
        .filter(|a| organizing::is_active(**a))
        .map(|a| quote(a.as_str()))
        .collect();
    let sql = WEEKS_SQL
        .replace("{weeks}", &values.join(", "))
        .replace("{active}", &active.join(", "));
    let (mut new, mut act) = (vec![0u64; periods.len()], vec![0u64; periods.len()]);
    for b in run_step(ctx, "new and active people", &sql).await? {
        let cols: Vec<Arc<dyn Array>> = ["week", "new_people", "active_people"]
            .iter()
            .map(|c| ints(&b, c))
            .collect::<Result<_>>()?;
        let a = |c: usize| cols[c].as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let w = a(0).value(i) as usize;
            new[w] = a(1).value(i) as u64;
            act[w] = a(2).value(i) as u64;
        }
    }
    Ok(organizing::Tallies {
        occasions,
        attenders,
        new,
        active: act,
    })
}

/// Whether two [`organizing::Tallies`] hold the same counts (occasions and attenders in any
/// order: engines list them in their own order, and the metrics do not depend on it).
pub fn same_tallies(a: &organizing::Tallies, b: &organizing::Tallies) -> bool {
    let sorted = |t: &organizing::Tallies| {
        let mut o: Vec<String> = t.occasions.iter().map(|x| format!("{x:?}")).collect();
        let mut at: Vec<String> = t.attenders.iter().map(|x| format!("{x:?}")).collect();
        o.sort();
        at.sort();
        (o, at)
    };
    a.new == b.new && a.active == b.active && sorted(a) == sorted(b)
}

/// The reference: turnout's own [`organizing::tally`] over the same timeline file.
pub fn reference_tallies(timeline: &Path, period: &Period, weeks: usize) -> Result<organizing::Tallies> {
    let (ctx, tl, persons) = read_context(timeline, period.tz, &[])?;
    Ok(organizing::tally(&ctx, &tl, &persons, period, weeks))
}

/// How long one step may take (`TURNOUT_SCALE_OUT_STEP_TIMEOUT` seconds, default 1800).
fn step_timeout() -> std::time::Duration {
    let secs = std::env::var("TURNOUT_SCALE_OUT_STEP_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1800);
    std::time::Duration::from_secs(secs)
}

/// The earlier stages (1-based) whose predicate is stage `k`'s.
fn same_predicate(f: &FunnelPlan, k: usize) -> Vec<usize> {
    (1..k).filter(|&j| f.stages[j - 1].when == f.stages[k - 1].when).collect()
}

/// Registers a timeline Parquet file as `timeline`.
pub async fn register_timeline(ctx: &SessionContext, path: &Path) -> Result<()> {
    register_parquet(ctx, "timeline", path).await
}

/// The reference: turnout's own funnel code (`turnout::funnel::people_in`, what `turnout run`
/// uses) over the same timeline file, read in file order with DataFusion's Parquet reader.
pub fn reference_fills(timeline: &Path, tz: chrono_tz::Tz, f: &FunnelPlan) -> Result<Vec<Fill>> {
    let (ctx, tl, persons) = read_context(timeline, tz, &[])?;
    Ok(fills_of(f, &ctx, &tl, &persons))
}

/// turnout's own funnel code (`turnout::funnel::people_in`) over rows in the timeline's columns
/// (the candidate rows `unordered.sql` picked: the client side of an unordered funnel).
fn turnout_fills(batches: &[RecordBatch], tz: chrono_tz::Tz, f: &FunnelPlan) -> Result<Vec<Fill>> {
    let (ctx, tl, persons) = context_of(batches, tz, &[])?;
    Ok(fills_of(f, &ctx, &tl, &persons))
}

/// A timeline as turnout's funnel code takes it: the events' context, the timeline, the persons.
type Loaded = (
    turnout::funnel::Context,
    turnout::timeline::Timeline,
    Vec<turnout::identity::Person>,
);

/// A timeline Parquet file, in file order, as turnout's funnel [`Context`](turnout::funnel::Context).
fn read_context(timeline: &Path, tz: chrono_tz::Tz, attributes: &[String]) -> Result<Loaded> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(timeline).with_context(|| format!("opening {}", timeline.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>()?;
    context_of(&batches, tz, attributes)
}

/// Rows in the timeline's columns, grouped by person and in time order within a person, as
/// turnout's funnel context, timeline and persons.
fn context_of(batches: &[RecordBatch], tz: chrono_tz::Tz, attributes: &[String]) -> Result<Loaded> {
    use turnout::funnel::context::{Context, Row};
    use turnout::schema::{Action, Channel, Precision, Tool};
    let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut ctx = Context::with_capacity(tz, n, attributes.len());
    let mut ids: Vec<String> = Vec::new();
    let mut persons: Vec<turnout::identity::Person> = Vec::new();
    let mut offsets = vec![0usize];
    let text = |b: &RecordBatch, name: &str| -> Result<Arc<dyn Array>> {
        let c = b.column_by_name(name).with_context(|| format!("column {name}"))?;
        Ok(datafusion::arrow::compute::cast(c, &datafusion::arrow::datatypes::DataType::Utf8)?)
    };
    let mut row = 0usize;
    for b in batches {
        let person = text(b, "person_id")?;
        let person = person.as_string::<i32>();
        let ts = datafusion::arrow::compute::cast(
            b.column_by_name("ts").context("ts")?,
            &datafusion::arrow::datatypes::DataType::Int64,
        )?;
        let ts = ts.as_primitive::<Int64Type>();
        let event = b.column_by_name("event_id").context("event_id")?.as_primitive::<UInt64Type>();
        let (prec, action, channel, tool, source) = (
            text(b, "ts_precision")?,
            text(b, "action")?,
            text(b, "channel")?,
            text(b, "tool")?,
            text(b, "source")?,
        );
        let (context, occasion) = (text(b, "context")?, text(b, "occasion")?);
        // Optional columns: UTM (when a source has them) and the pipeline's attributes.
        let optional = |name: &str| -> Result<Option<Arc<dyn Array>>> {
            match b.column_by_name(name) {
                Some(_) => Ok(Some(text(b, name)?)),
                None => Ok(None),
            }
        };
        let utm = [optional(col::UTM_SOURCE)?, optional(col::UTM_MEDIUM)?, optional(col::UTM_CAMPAIGN)?];
        let attrs = attributes.iter().map(|a| optional(a)).collect::<Result<Vec<_>>>()?;
        let organizer = b.column_by_name("organizer").context("organizer")?.as_boolean();
        let s = |a: &Arc<dyn Array>, i: usize| -> Option<String> {
            let a = a.as_string::<i32>();
            (!a.is_null(i)).then(|| a.value(i).to_string())
        };
        for i in 0..b.num_rows() {
            let p = person.value(i);
            if ids.last().map(String::as_str) != Some(p) {
                if !ids.is_empty() {
                    offsets.push(row);
                }
                ids.push(p.to_string());
                persons.push(turnout::identity::Person {
                    id: p.to_string(),
                    organizer: false,
                    first_seen: ts.value(i),
                    events: 0,
                    keys: 0,
                });
            }
            let person = persons.last_mut().expect("pushed");
            person.events += 1;
            person.organizer |= organizer.value(i);
            let parse = |v: Option<String>, what: &str| v.with_context(|| format!("row {row}: {what} is empty"));
            let action: Action = parse(s(&action, i), "action")?.parse().map_err(|_| anyhow::anyhow!("action"))?;
            let (src, ctxv, occ) = (parse(s(&source, i), "source")?, s(&context, i), s(&occasion, i));
            let utm_v: Vec<Option<String>> = utm.iter().map(|c| c.as_ref().and_then(|c| s(c, i))).collect();
            let attr_v: Vec<Option<String>> = attrs.iter().map(|c| c.as_ref().and_then(|c| s(c, i))).collect();
            let attr_refs: Vec<Option<&str>> = attr_v.iter().map(|v| v.as_deref()).collect();
            ctx.push(&Row {
                ts: ts.value(i),
                precision: parse(s(&prec, i), "precision")?
                    .parse::<Precision>()
                    .map_err(|_| anyhow::anyhow!("precision"))?,
                action,
                channel: parse(s(&channel, i), "channel")?
                    .parse::<Channel>()
                    .map_err(|_| anyhow::anyhow!("channel"))?,
                tool: parse(s(&tool, i), "tool")?.parse::<Tool>().map_err(|_| anyhow::anyhow!("tool"))?,
                event_id: event.value(i),
                source: &src,
                context: ctxv.as_deref(),
                occasion: occ.as_deref(),
                utm: [utm_v[0].as_deref(), utm_v[1].as_deref(), utm_v[2].as_deref()],
                attrs: &attr_refs,
            });
            row += 1;
        }
    }
    if !ids.is_empty() {
        offsets.push(row);
    }
    ctx.finish();
    let tl = turnout::timeline::Timeline {
        order: (0..row as u32).collect(),
        offsets,
    };
    Ok((ctx, tl, persons))
}

fn fills_of(
    f: &FunnelPlan,
    ctx: &turnout::funnel::Context,
    tl: &turnout::timeline::Timeline,
    persons: &[turnout::identity::Person],
) -> Vec<Fill> {
    let people = turnout::funnel::people_in(f, ctx, tl, persons);
    let event_ids = &ctx.event_id;
    let mut out: Vec<Fill> = people
        .iter()
        .flat_map(|p| {
            let id = &persons[p.person as usize].id;
            p.fills
                .iter()
                .enumerate()
                .map(move |(k, &e)| (id.clone(), k as u32 + 1, event_ids[e as usize]))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{StringViewArray, UInt64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    /// Local days in `events.sql` (UTC plus the zone's offset, from a `CASE` over the offset
    /// changes) against turnout's own, for times around midnight on both sides of two
    /// daylight-saving changes and over a year.
    #[tokio::test]
    async fn local_days_in_sql_are_turnouts_across_offset_changes() {
        use chrono::TimeZone;
        use datafusion::arrow::array::{BooleanArray, StringArray, TimestampMicrosecondArray};
        let tz = chrono_tz::America::Chicago;
        let mut ts: Vec<i64> = Vec::new();
        for (y, m, d) in [
            (2026, 3, 7),
            (2026, 3, 8),
            (2026, 3, 9),
            (2026, 11, 1),
            (2026, 11, 2),
            (2027, 3, 14),
        ] {
            let midnight = tz.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().timestamp_micros();
            for minutes in [-61, -60, -1, 0, 1, 59, 60, 61, 23 * 60 + 59] {
                ts.push(midnight + minutes * 60_000_000);
            }
        }
        let n = ts.len();
        let text = |v: &str| Arc::new(StringArray::from(vec![v; n])) as Arc<dyn Array>;
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8, false),
            Field::new("event_id", DataType::UInt64, false),
            Field::new(
                "ts",
                DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("ts_precision", DataType::Utf8, false),
            Field::new("action", DataType::Utf8, false),
            Field::new("source", DataType::Utf8, false),
            Field::new("tool", DataType::Utf8, false),
            Field::new("channel", DataType::Utf8, false),
            Field::new("context", DataType::Utf8, true),
            Field::new("occasion", DataType::Utf8, true),
            Field::new("organizer", DataType::Boolean, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                text("P1"),
                Arc::new(UInt64Array::from((0..n as u64).collect::<Vec<_>>())),
                Arc::new(TimestampMicrosecondArray::from(ts.clone()).with_timezone("UTC")),
                text("second"),
                text("attended"),
                text("data/x.csv"),
                text("csv"),
                text("in_person"),
                text("Store 12"),
                Arc::new(StringArray::from(vec![None::<&str>; n])),
                Arc::new(BooleanArray::from(vec![false; n])),
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeline.parquet");
        write_batches(&path, &[batch]).unwrap();
        let ctx = SessionContext::new();
        register_timeline(&ctx, &path).await.unwrap();
        let sql = format!(
            "SELECT ts_us, t_d FROM ({}) ORDER BY ts_us",
            events_sql(&ctx, tz.name()).await.unwrap()
        );
        let rows = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let days = turnout::funnel::context::LocalDays::new(tz, ts[0], ts[n - 1]);
        let mut checked = 0;
        for b in &rows {
            let (t, d) = (b.column(0).as_primitive::<Int64Type>(), b.column(1).as_primitive::<Int64Type>());
            for i in 0..b.num_rows() {
                // turnout counts days from 0001-01-01, the SQL from 1970-01-01.
                assert_eq!(d.value(i) + 719_163, days.day(t.value(i)) as i64, "local day of {}", t.value(i));
                checked += 1;
            }
        }
        assert_eq!(checked, n);
    }

    /// A file whose Arrow schema says "string view" (as polars writes turnout's timeline) is
    /// registered with plain strings, so no batch of views crosses the network; the values are
    /// unchanged.
    #[tokio::test]
    async fn parquet_text_is_registered_as_plain_strings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("views.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8View, false),
            Field::new("event_id", DataType::UInt64, false),
            Field::new("context", DataType::Utf8View, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringViewArray::from(vec!["P-000001", "P-000002"])),
                Arc::new(UInt64Array::from(vec![7, 9])),
                Arc::new(StringViewArray::from(vec![Some("a rather long context that is not inlined"), None])),
            ],
        )
        .unwrap();
        write_batches(&path, &[batch]).unwrap();
        let ctx = SessionContext::new();
        let url = path.to_str().unwrap();
        // DataFusion on its own reads the columns as views: what the registration must undo.
        let found = ctx.read_parquet(url, ParquetReadOptions::default()).await.unwrap();
        assert_eq!(
            found.schema().field_with_name(None, "person_id").unwrap().data_type(),
            &DataType::Utf8View
        );

        register_parquet(&ctx, "t", path.as_path()).await.unwrap();
        let t = ctx.table("t").await.unwrap();
        for (name, ty) in [
            ("person_id", DataType::Utf8),
            ("event_id", DataType::UInt64),
            ("context", DataType::Utf8),
        ] {
            assert_eq!(t.schema().field_with_name(None, name).unwrap().data_type(), &ty, "{name}");
        }
        let rows = ctx
            .sql("SELECT person_id, context FROM t ORDER BY event_id")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let person = rows[0].column(0).as_string::<i32>();
        let context = rows[0].column(1).as_string::<i32>();
        assert_eq!((person.value(0), person.value(1)), ("P-000001", "P-000002"));
        assert_eq!(context.value(0), "a rather long context that is not inlined");
        assert!(context.is_null(1));
    }
}
