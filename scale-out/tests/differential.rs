//! Differential tests: the SQL funnels (sql/v1, ordered and unordered) on DataFusion with one and several partitions and
//! on Ballista standalone (scheduler + executor in process, several partitions so that stages
//! shuffle) against turnout's own funnel code, on the shipped demo and on random timelines full
//! of ties, mixed precisions, repeated predicates, shared occasions and organizers.
//!
//! The demo test reads `work/demo/timeline.parquet` and `work/demo/funnel_people.parquet` as
//! `turnout run` (the default engine) wrote them: `.ci/run` runs the demo first.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeZone;
use datafusion::arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use turnout::config::{Breakdown, Dim, FunnelPlan, Order, Predicate, StagePlan};
use turnout::engine::PersonAnswer;
use turnout::funnel::{organizing, Period};
use turnout::schema::Action;
use turnout_scale_out::{
    funnel_answers, funnel_fills, organizing_tallies, reference_answers, reference_fills, reference_tallies, register_timeline, session,
    Engine, Fill,
};

/// DataFusion with one and four partitions; Ballista standalone with `ballista_partitions`.
fn engines(ballista_partitions: usize) -> Vec<Engine> {
    vec![
        Engine::DataFusion { partitions: 1 },
        Engine::DataFusion { partitions: 4 },
        Engine::Standalone {
            partitions: ballista_partitions,
        },
    ]
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_demo_funnels_are_identical_on_every_engine() {
    turnout_scale_out::runtime().unwrap().block_on(demo())
}

async fn demo() {
    let root = repo();
    let timeline = root.join("work/demo/timeline.parquet");
    assert!(
        timeline.is_file(),
        "{} is missing: run the demo first (`cargo run --release -- run` in the repository root)",
        timeline.display()
    );
    let plan = turnout::config::load(&root.join("pipelines/demo.toml")).unwrap_or_else(|e| panic!("{e}"));
    let written = written_funnel_people(&root.join("work/demo/funnel_people.parquet"));
    let work = tempfile::tempdir().unwrap();
    for engine in engines(4) {
        let ctx = session(&engine).await.unwrap();
        register_timeline(&ctx, &timeline).await.unwrap();
        for (i, f) in plan.funnels.iter().enumerate() {
            let reference = reference_fills(&timeline, plan.timezone, f).unwrap();
            assert!(
                reference.len() > 500,
                "the demo funnel {:?} has few fills: {}",
                f.name,
                reference.len()
            );
            // The reference is turnout's funnel code; what `turnout run` wrote must be the same.
            let from_run: Vec<Fill> = written.iter().filter(|(n, _)| n == &f.name).map(|(_, x)| x.clone()).collect();
            assert_eq!(from_run, reference, "funnel_people.parquet vs turnout's funnel code, {}", f.name);
            let sql = funnel_fills(&ctx, plan.timezone.name(), f, &work.path().join(format!("{i}")))
                .await
                .unwrap();
            assert_same(&reference, &sql, &format!("demo funnel {:?} on {engine:?}", f.name));
            // The facts the metrics need (fill times, breakdown values), and so the metrics.
            let attrs = &plan.attributes;
            let answers = funnel_answers(&ctx, f, attrs, &sql, &work.path().join(format!("{i}")))
                .await
                .unwrap();
            let expected = reference_answers(&timeline, plan.timezone, f, attrs).unwrap();
            assert!(expected.iter().any(|a| a.facts.values.iter().any(Option::is_some)) || f.breakdowns.is_empty());
            assert_same_answers(&expected, &answers, f, &format!("demo funnel {:?} on {engine:?}", f.name));
        }
        // The organizing metrics, for the week that `turnout run` reported, with the data's
        // cut-off (the latest event).
        let metrics: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("reports/demo/latest/metrics.json")).unwrap()).unwrap();
        let start = metrics["period_start"].as_str().unwrap().parse().unwrap();
        let period = Period::week(start, plan.week_start, plan.timezone, max_ts(&ctx).await);
        let reference = reference_tallies(&timeline, &period, plan.report.cohort_weeks).unwrap();
        assert!(reference.occasions.len() > 5 && reference.attenders.len() > 50, "{reference:?}");
        let sql = organizing_tallies(&ctx, &period, plan.report.cohort_weeks).await.unwrap();
        assert_same_tallies(
            &reference,
            &sql,
            &period,
            plan.report.cohort_weeks,
            &format!("demo organizing metrics on {engine:?}"),
        );
    }
}

async fn max_ts(ctx: &datafusion::prelude::SessionContext) -> i64 {
    use datafusion::arrow::array::AsArray;
    let b = ctx
        .sql("SELECT max(arrow_cast(ts, 'Int64')) AS m FROM timeline")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    b[0].column(0).as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(0)
}

/// The same per-person facts, and the same published funnel metrics from them.
fn assert_same_answers(expected: &[PersonAnswer], got: &[PersonAnswer], f: &FunnelPlan, what: &str) {
    if expected != got {
        let diff: Vec<_> = expected.iter().zip(got).filter(|(a, b)| a != b).take(3).collect();
        panic!(
            "{what}: {} people from turnout's engine, {} from SQL; first differences: {diff:?}",
            expected.len(),
            got.len()
        );
    }
    let tz = chrono_tz::America::Chicago;
    let period = Period::week(
        chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
        chrono::Weekday::Mon,
        tz,
        i64::MAX / 2,
    );
    let facts = |a: &[PersonAnswer]| a.iter().map(|x| x.facts.clone()).collect::<Vec<_>>();
    let a = serde_json::to_value(turnout::funnel::aggregate::metrics_of(f, &facts(expected), &period, 4)).unwrap();
    let b = serde_json::to_value(turnout::funnel::aggregate::metrics_of(f, &facts(got), &period, 4)).unwrap();
    assert_eq!(a, b, "{what}: funnel metrics");
}

/// The same tallies (occasions and attenders in any order), and the same published metrics.
fn assert_same_tallies(reference: &organizing::Tallies, sql: &organizing::Tallies, period: &Period, weeks: usize, what: &str) {
    let sorted = |t: &organizing::Tallies| {
        let mut o: Vec<String> = t.occasions.iter().map(|x| format!("{x:?}")).collect();
        let mut a: Vec<String> = t.attenders.iter().map(|x| format!("{x:?}")).collect();
        o.sort();
        a.sort();
        (o, a, t.new.clone(), t.active.clone())
    };
    let (r, s) = (sorted(reference), sorted(sql));
    assert_eq!(r.2, s.2, "{what}: new people per week");
    assert_eq!(r.3, s.3, "{what}: active people per week");
    assert_eq!(r.0, s.0, "{what}: show-rate counts per occasion");
    assert_eq!(r.1, s.1, "{what}: first attenders");
    let a = serde_json::to_value(organizing::assemble(reference.clone(), period, weeks)).unwrap();
    let b = serde_json::to_value(organizing::assemble(sql.clone(), period, weeks)).unwrap();
    assert_eq!(a, b, "{what}: the published metrics");
}

#[test]
fn random_timelines_give_identical_fills_on_every_engine() {
    turnout_scale_out::runtime().unwrap().block_on(random())
}

async fn random() {
    let tz = chrono_tz::America::Chicago;
    let work = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Ballista with two partitions here (four in the demo test), so that every step shuffles.
    let mut sessions = Vec::new();
    for engine in engines(2) {
        sessions.push((engine.clone(), session(&engine).await.unwrap()));
    }
    let (mut nonempty, mut shows, mut backs, mut valued) = (0, 0, 0, 0);
    for case in 0..12 {
        let path = work.path().join(format!("timeline-{case}.parquet"));
        write_random_timeline(&path, &mut rng, tz);
        // Three random funnels, each ordered and unordered.
        let funnels: Vec<FunnelPlan> = (0..3)
            .map(|j| random_funnel(&mut rng, j))
            .flat_map(|f| {
                let mut u = f.clone();
                u.order = Order::Unordered;
                [f, u]
            })
            .collect();
        // A report week inside the data, and a cut-off that leaves some repeat windows open.
        let period = Period::week(
            chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + chrono::Duration::days(7 * rng.below(3) as i64),
            chrono::Weekday::Mon,
            tz,
            tz.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap().timestamp() * 1_000_000 + rng.below(40) as i64 * 86_400_000_000,
        );
        let weeks = 1 + rng.below(6) as usize;
        for (engine, ctx) in &sessions {
            register_timeline(ctx, &path).await.unwrap();
            let what = format!("case {case} organizing metrics on {engine:?}");
            let reference = reference_tallies(&path, &period, weeks).unwrap();
            shows += reference.occasions.iter().filter(|o| o.marked && o.standing > 0).count();
            backs += reference.attenders.iter().filter(|a| a.came_back[0]).count();
            let sql = organizing_tallies(ctx, &period, weeks).await.unwrap();
            assert_same_tallies(&reference, &sql, &period, weeks, &what);
            for (j, f) in funnels.iter().enumerate() {
                let reference = reference_fills(&path, tz, f).unwrap();
                nonempty += usize::from(reference.iter().any(|x| x.1 >= 3));
                let sql = funnel_fills(ctx, tz.name(), f, &work.path().join(format!("w-{case}-{j}")))
                    .await
                    .unwrap();
                let what = format!("case {case} funnel {j} {:?} on {engine:?}", f.stages);
                assert_same(&reference, &sql, &what);
                let attrs = ["worksite".to_string()];
                let dir = work.path().join(format!("w-{case}-{j}"));
                let answers = funnel_answers(ctx, f, &attrs, &sql, &dir).await.unwrap();
                let expected = reference_answers(&path, tz, f, &attrs).unwrap();
                valued += expected.iter().filter(|a| a.facts.values.iter().flatten().count() >= 2).count();
                assert_same_answers(&expected, &answers, f, &what);
            }
        }
    }
    assert!(nonempty > 40, "the random funnels should mostly reach stage 3: {nonempty}");
    assert!(valued > 200, "the random breakdowns should often find values: {valued}");
    assert!(
        shows > 50 && backs > 50,
        "the random timelines should have show rates and repeat attendance: {shows} {backs}"
    );
}

fn assert_same(reference: &[Fill], sql: &[Fill], what: &str) {
    if reference == sql {
        return;
    }
    let a: BTreeSet<_> = reference.iter().collect();
    let b: BTreeSet<_> = sql.iter().collect();
    let missing: Vec<_> = a.difference(&b).take(5).collect();
    let extra: Vec<_> = b.difference(&a).take(5).collect();
    panic!(
        "{what}: {} fills from turnout's engine, {} from SQL\n  only turnout's: {missing:?}\n  only SQL's: {extra:?}",
        reference.len(),
        sql.len()
    );
}

/// (funnel, fill) rows of a `funnel_people.parquet`.
fn written_funnel_people(path: &Path) -> Vec<(String, Fill)> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{UInt32Type, UInt64Type};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for b in ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap() {
        let b = b.unwrap();
        let s = |n: &str| datafusion::arrow::compute::cast(b.column_by_name(n).unwrap(), &DataType::Utf8).unwrap();
        let (funnel, person) = (s("funnel"), s("person_id"));
        let stage = b.column_by_name("stage").unwrap().as_primitive::<UInt32Type>();
        let event = b.column_by_name("event_id").unwrap().as_primitive::<UInt64Type>();
        for i in 0..b.num_rows() {
            out.push((
                funnel.as_string::<i32>().value(i).to_string(),
                (person.as_string::<i32>().value(i).to_string(), stage.value(i), event.value(i)),
            ));
        }
    }
    out.sort();
    out
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const ACTIONS: [Action; 10] = [
    Action::GroupJoined,
    Action::MessageSent,
    Action::Rsvp,
    Action::Attended,
    Action::EmailOpened,
    Action::RsvpConfirmed,
    Action::RsvpCancelled,
    Action::Declined,
    Action::NoShow,
    Action::FormSubmitted,
];

/// A timeline as `turnout run` writes it: grouped by person, ordered by (ts, event_id) within a
/// person, times at the start of their precision interval (local midnight for days).
fn write_random_timeline(path: &Path, rng: &mut Rng, tz: chrono_tz::Tz) {
    let base = tz.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap().timestamp() * 1_000_000;
    let mut rows: Vec<(String, i64, u64, &str, Action, &str, Option<&str>, Option<&str>, bool)> = Vec::new();
    let mut next_id = 1u64;
    for p in 0..150 {
        let person = format!("p{:04}", rng.below(10_000) * 1000 + p);
        let organizer = rng.below(30) == 0;
        // Some people have bursts of alike events (many messages, repeated check-ins): more
        // of one kind than any matching needs.
        let burst = rng.below(5) == 0;
        let n = if burst { 20 + rng.below(30) } else { rng.below(14) };
        let mut evs = Vec::new();
        for _ in 0..n {
            // A few distinct days and minutes, so that ties and same-day comparisons are common
            // (the span crosses the March DST change in Chicago).
            let day = rng.below(if burst { 4 } else { 20 }) as i64;
            let (prec, ts) = match rng.below(3) {
                0 => {
                    let local = tz
                        .timestamp_micros(base + day * 86_400_000_000 + 12 * 3_600_000_000)
                        .unwrap()
                        .date_naive()
                        .and_hms_opt(0, 0, 0)
                        .unwrap();
                    ("day", tz.from_local_datetime(&local).earliest().unwrap().timestamp() * 1_000_000)
                }
                1 => (
                    "minute",
                    base + day * 86_400_000_000 + rng.below(4) as i64 * 6 * 3_600_000_000 + rng.below(3) as i64 * 60_000_000,
                ),
                _ => (
                    "second",
                    base + day * 86_400_000_000 + rng.below(4) as i64 * 6 * 3_600_000_000 + rng.below(90) as i64 * 1_000_000,
                ),
            };
            let action = if burst && rng.below(4) != 0 {
                ACTIONS[3]
            } else {
                *rng.pick(&ACTIONS)
            };
            let source = *rng.pick(&["groups", "events"]);
            let context = *rng.pick(&[None, Some("Store 1"), Some("Store 2"), Some(" "), Some(" Store 1"), Some("\t")]);
            let occasion = *rng.pick(&[None, None, Some("m1"), Some("m2")]);
            next_id += 1 + rng.below(3);
            let id = if rng.below(2) == 0 { next_id } else { u64::MAX / 2 - next_id };
            evs.push((
                person.clone(),
                ts,
                id,
                prec,
                action,
                source,
                context,
                occasion,
                organizer && rng.below(3) == 0,
            ));
        }
        evs.sort_by_key(|e| (e.1, e.2));
        rows.extend(evs);
    }
    // Persons in a shuffled but grouped order.
    let schema = Arc::new(Schema::new(vec![
        Field::new("seq", DataType::UInt32, false),
        Field::new("event_id", DataType::UInt64, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("ts_precision", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("tool", DataType::Utf8, false),
        Field::new("channel", DataType::Utf8, false),
        Field::new("action", DataType::Utf8, false),
        Field::new("context", DataType::Utf8, true),
        Field::new("occasion", DataType::Utf8, true),
        Field::new("organizer", DataType::Boolean, false),
        Field::new("person_id", DataType::Utf8, false),
        Field::new("utm_source", DataType::Utf8, true),
        Field::new("worksite", DataType::Utf8, true),
    ]));
    let mut seq = Vec::new();
    let mut last: Option<&str> = None;
    let mut k = 0u32;
    for r in &rows {
        if last != Some(r.0.as_str()) {
            k = 0;
        }
        seq.push(k);
        k += 1;
        last = Some(r.0.as_str());
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(seq)),
        Arc::new(UInt64Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
        Arc::new(TimestampMicrosecondArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>()).with_timezone("UTC")),
        Arc::new(StringArray::from(rows.iter().map(|r| r.3).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|r| r.5).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|_| "csv").collect::<Vec<_>>())),
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.4.default_channel().as_str()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(rows.iter().map(|r| r.4.as_str()).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|r| r.6).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|r| r.7).collect::<Vec<_>>())),
        Arc::new(BooleanArray::from(rows.iter().map(|r| r.8).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>())),
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| [None, Some("fb"), Some("email"), Some(" ")][(r.2 % 4) as usize])
                .collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| [None, None, Some("Store 1"), Some(""), Some("Store 9")][(r.2 % 5) as usize])
                .collect::<Vec<_>>(),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    // Several row groups, so that partitions split the file.
    for off in (0..batch.num_rows()).step_by(97) {
        w.write(&batch.slice(off, 97.min(batch.num_rows() - off))).unwrap();
        w.flush().unwrap();
    }
    w.close().unwrap();
}

/// A few breakdowns: first touch and at a random stage, over columns that are sometimes blank.
fn breakdowns(rng: &mut Rng, stages: usize) -> Vec<Breakdown> {
    let dims = [
        Dim::Context,
        Dim::Attr(0),
        Dim::UtmSource,
        Dim::Channel,
        Dim::Source,
        Dim::UtmCampaign,
    ];
    (0..3)
        .map(|i| {
            let dim = *rng.pick(&dims);
            let at_stage = (rng.below(2) == 0).then(|| rng.below(stages as u64) as usize);
            Breakdown {
                label: format!("b{i}"),
                dim,
                at_stage,
            }
        })
        .collect()
}

fn random_funnel(rng: &mut Rng, j: usize) -> FunnelPlan {
    let acts = |xs: &[Action]| Predicate {
        actions: Some(xs.iter().copied().collect()),
        ..Predicate::default()
    };
    let pool = vec![
        acts(&[Action::GroupJoined, Action::MessageSent]),
        acts(&[Action::MessageSent]),
        acts(&[Action::Rsvp]),
        acts(&[Action::Attended]),
        acts(&[Action::Attended]),
        Predicate {
            sources: Some(["events".to_string()].into()),
            ..Predicate::default()
        },
        Predicate {
            contexts: Some(["Store 1".to_string()].into()),
            actions: Some([Action::MessageSent, Action::Attended].into()),
            ..Predicate::default()
        },
        Predicate::default(),
    ];
    let n = 2 + rng.below(4) as usize;
    let stages = (0..n)
        .map(|k| StagePlan {
            name: format!("s{k}"),
            // Repeat the previous stage's predicate now and then ("came back").
            when: if k > 0 && rng.below(4) == 0 {
                pool[3].clone()
            } else {
                rng.pick(&pool).clone()
            },
        })
        .collect();
    let window_us = *rng.pick(&[90 * 60_000_000i64, 86_400_000_000, 7 * 86_400_000_000, 30 * 86_400_000_000]);
    FunnelPlan {
        name: format!("f{j}"),
        window_us,
        window_text: format!("{window_us}us"),
        order: Order::Ordered,
        breakdowns: breakdowns(rng, n),
        stages,
    }
}
