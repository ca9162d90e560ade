//! Funnel benchmark: turnout's ordered funnel on a Parquet timeline, for comparison with DuckDB
//! computing the same funnel from the same file (bench/funnel.sh runs both).
//!
//! `bench_funnel gen --people N --events M --out DIR` writes DIR/timeline.parquet: N people, about
//! M events each (group joins, messages, texts, RSVPs, attendance) over 16 weeks, whole seconds,
//! in turnout's timeline schema. `bench_funnel run DIR` reads it back and runs the 4-stage funnel
//! (in a group → spoke up → RSVP'd → came, 30 days) with the report's metrics over it (cohorts,
//! time to convert) beside the organizing measures, as `turnout run` does, printing stage counts
//! and timings as JSON.

use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;

use turnout::config::{FunnelPlan, Order, Predicate, StagePlan};
use turnout::funnel;
use turnout::schema::{col, Action};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const START_S: i64 = 1_782_691_200; // 2026-06-29 00:00 UTC

fn gen(people: usize, events: usize, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut rng = Rng(7);
    let ids: Vec<String> = (0..people).map(|p| format!("P{p:08}")).collect();
    let cap = people * events;
    let (mut person, mut seq, mut event_id, mut ts) = (
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
    );
    let (mut action, mut channel, mut source, mut tool) = (
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
        Vec::with_capacity(cap),
    );
    let mut evs: Vec<(i64, u64, Action)> = Vec::with_capacity(events * 2);
    for (p, id) in ids.iter().enumerate() {
        evs.clear();
        let entry = START_S + rng.below(16 * 7 * 86_400) as i64;
        let n = 1 + rng.below(2 * events as u64 - 1) as usize;
        for k in 0..n {
            let a = if k == 0 {
                if rng.below(10) < 7 {
                    Action::GroupJoined
                } else {
                    Action::TextReceived
                }
            } else {
                match rng.below(100) {
                    0..=54 => Action::MessageSent,
                    55..=74 => Action::TextReceived,
                    75..=82 => Action::TextSent,
                    83..=90 => Action::Rsvp,
                    91..=96 => Action::Attended,
                    _ => Action::EmailSubscribed,
                }
            };
            let t = if k == 0 { entry } else { entry + rng.below(60 * 86_400) as i64 };
            evs.push((t, rng.next(), a));
        }
        evs.sort_by_key(|e| (e.0, e.1));
        for (k, (t, eid, a)) in evs.iter().enumerate() {
            person.push(id.as_str());
            seq.push(k as u32);
            event_id.push(*eid);
            ts.push(t * 1_000_000);
            action.push(a.as_str());
            channel.push(a.default_channel().as_str());
            let (s, tl) = match a.default_channel().as_str() {
                "messaging" => ("store-groups", "whatsapp"),
                "sms" => ("texting", "spoke"),
                "email" => ("email-list", "mailchimp"),
                _ => ("rsvps", "mobilize"),
            };
            source.push(s);
            tool.push(tl);
        }
        let _ = p;
    }
    let n = person.len();
    let null = |name: &str| Column::full_null(name.into(), n, &DataType::String);
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new(col::SEQ.into(), seq),
            Column::new(col::EVENT_ID.into(), event_id),
            Int64Chunked::from_vec(col::TS.into(), ts)
                .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
                .into_series()
                .into_column(),
            Column::new(col::TS_PRECISION.into(), vec!["second"; n]),
            Column::new(col::SOURCE.into(), source),
            Column::new(col::TOOL.into(), tool),
            Column::new(col::CHANNEL.into(), channel),
            Column::new(col::ACTION.into(), action),
            null(col::EMAIL),
            null(col::PHONE),
            null(col::NAME),
            null(col::EXTERNAL_ID),
            null(col::CONTEXT),
            null(col::OCCASION),
            null(col::UTM_SOURCE),
            null(col::UTM_MEDIUM),
            null(col::UTM_CAMPAIGN),
            Column::new(col::ORGANIZER.into(), vec![false; n]),
            Column::new(col::ORIGIN.into(), vec!["bench"; n]),
            Column::new(col::PERSON_ID.into(), person),
        ],
    )?;
    let path = out.join("timeline.parquet");
    ParquetWriter::new(std::fs::File::create(&path)?).finish(&mut df)?;
    println!(
        "{{\"rows\": {n}, \"people\": {people}, \"path\": {:?}}}",
        path.display().to_string()
    );
    Ok(())
}

fn pred(a: &[Action]) -> Predicate {
    Predicate {
        actions: Some(a.iter().copied().collect()),
        ..Default::default()
    }
}

fn run(dir: &Path) -> anyhow::Result<()> {
    let tz: chrono_tz::Tz = "UTC".parse()?;
    let t0 = Instant::now();
    let (ctx, tl, persons) =
        turnout::tables::read_timeline(&dir.join("timeline.parquet"), tz, &turnout::tables::TimelineColumns::default())?;
    let read = t0.elapsed().as_secs_f64();
    let plan = FunnelPlan {
        name: "bench".into(),
        window_us: 30 * 86_400 * 1_000_000,
        window_text: "30d".into(),
        order: Order::Ordered,
        breakdowns: vec![],
        stages: vec![
            StagePlan {
                name: "In a group".into(),
                when: pred(&[Action::GroupJoined, Action::GroupAdded]),
            },
            StagePlan {
                name: "Spoke up".into(),
                when: pred(&[Action::MessageSent]),
            },
            StagePlan {
                name: "RSVP'd".into(),
                when: pred(&[Action::Rsvp, Action::RsvpConfirmed]),
            },
            StagePlan {
                name: "Came".into(),
                when: pred(&[Action::Attended]),
            },
        ],
    };
    // As `turnout run` measures them: the funnel and its metrics on one thread, the organizing
    // measures on the other (src/run.rs).
    let t1 = Instant::now();
    let cutoff = ctx.ts.iter().copied().max().unwrap_or(0);
    let week = chrono::NaiveDate::from_ymd_opt(2026, 10, 12).expect("a date");
    let period = funnel::Period::week(week, chrono::Weekday::Mon, tz, cutoff);
    let ((counts, compute, m, funnel_metrics_s), (o, organizing_s)) = std::thread::scope(|sc| {
        let (plan, ctx, tl, persons, period) = (&plan, &ctx, &tl, &persons, &period);
        let funnel = sc.spawn(move || {
            let t = Instant::now();
            let people = funnel::people_in(plan, ctx, tl, persons);
            let counts: Vec<usize> = (0..plan.stages.len())
                .map(|k| people.iter().filter(|p| p.fills.len() > k).count())
                .collect();
            let compute = t.elapsed().as_secs_f64();
            // and the metrics a report publishes over it: cohorts, time to convert
            let t = Instant::now();
            let m = funnel::metrics(plan, &people, ctx, tl, period, 12);
            (counts, compute, m, t.elapsed().as_secs_f64())
        });
        let t = Instant::now();
        let o = funnel::organizing::compute(ctx, tl, persons, period, 12);
        let organizing = (o, t.elapsed().as_secs_f64());
        (funnel.join().expect("the funnel thread does not panic"), organizing)
    });
    let measured_s = t1.elapsed().as_secs_f64();
    eprintln!("funnel metrics {funnel_metrics_s:.3}s, organizing {organizing_s:.3}s (side by side)");
    std::hint::black_box((&m, &o));
    println!(
        "{{\"rows\": {}, \"people\": {}, \"counts\": {:?}, \"read_s\": {:.3}, \"funnel_s\": {:.3}, \"metrics_s\": {:.3}, \"organizing_s\": {:.3}, \"measured_s\": {:.3}, \"total_s\": {:.3}}}",
        ctx.len(),
        persons.len(),
        counts,
        read,
        compute,
        funnel_metrics_s,
        organizing_s,
        measured_s,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    match args.get(1).map(String::as_str) {
        Some("gen") => gen(
            get("--people", "100000").parse()?,
            get("--events", "30").parse()?,
            &PathBuf::from(get("--out", "target/bench-funnel")),
        ),
        Some("run") => run(&PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "target/bench-funnel".into()))),
        _ => anyhow::bail!("usage: bench_funnel gen --people N --events M --out DIR | bench_funnel run DIR"),
    }
}
