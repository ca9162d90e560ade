//! `tables::read_timeline`: a `timeline.parquet` written by `turnout run` read back into the
//! funnel's columns, checked against a row-by-row reading of the same file (each cell fetched
//! on its own and pushed through `Context::push`), and the funnels and metrics over both.

mod common;

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use turnout::funnel::context::Row;
use turnout::funnel::{self, organizing, Context, Period};
use turnout::schema::{col, Action, Channel, Precision, Tool};
use turnout::tables::{read_timeline, TimelineColumns};

/// The brute-force reading: every cell on its own, every row through `Context::push`. Gives the
/// context and each row's person id.
fn row_by_row(path: &Path, tz: chrono_tz::Tz, attributes: &[String]) -> (Context, Vec<String>) {
    let df = turnout::tables::read_parquet(path).unwrap();
    let cell = |name: &str, i: usize| -> Option<String> {
        match df.column(name).ok()?.get(i).unwrap() {
            AnyValue::Null => None,
            AnyValue::String(s) => Some(s.to_string()),
            AnyValue::StringOwned(s) => Some(s.to_string()),
            other => panic!("{name} row {i}: {other:?}"),
        }
    };
    let mut ctx = Context::with_capacity(tz, df.height(), attributes.len());
    let mut people = Vec::new();
    for i in 0..df.height() {
        let ts = match df.column(col::TS).unwrap().get(i).unwrap() {
            AnyValue::Datetime(v, TimeUnit::Microseconds, _) => v,
            other => panic!("ts row {i}: {other:?}"),
        };
        let event_id = match df.column(col::EVENT_ID).unwrap().get(i).unwrap() {
            AnyValue::UInt64(v) => v,
            other => panic!("event_id row {i}: {other:?}"),
        };
        let action: Action = cell(col::ACTION, i).unwrap().parse().unwrap();
        let source = cell(col::SOURCE, i).unwrap_or_default();
        let (context, occasion) = (cell(col::CONTEXT, i), cell(col::OCCASION, i));
        let utm = [cell(col::UTM_SOURCE, i), cell(col::UTM_MEDIUM, i), cell(col::UTM_CAMPAIGN, i)];
        let attrs: Vec<Option<String>> = attributes.iter().map(|a| cell(a, i)).collect();
        let attr_refs: Vec<Option<&str>> = attrs.iter().map(|a| a.as_deref()).collect();
        ctx.push(&Row {
            ts,
            precision: cell(col::TS_PRECISION, i).unwrap().parse::<Precision>().unwrap(),
            action,
            channel: cell(col::CHANNEL, i).unwrap().parse::<Channel>().unwrap(),
            tool: cell(col::TOOL, i).unwrap().parse::<Tool>().unwrap(),
            event_id,
            source: &source,
            context: context.as_deref(),
            occasion: occasion.as_deref(),
            utm: [utm[0].as_deref(), utm[1].as_deref(), utm[2].as_deref()],
            attrs: &attr_refs,
        });
        people.push(cell(col::PERSON_ID, i).unwrap());
    }
    ctx.finish();
    (ctx, people)
}

/// Everything a funnel reads of row `i`, with interned ids replaced by their texts (the two
/// readings intern in different orders).
fn row_of(ctx: &Context, i: usize) -> String {
    let text = |id: u32| ctx.strings.get(id).map(str::to_string);
    format!(
        "{} {:?} {:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?} day {} occasion {:?}",
        ctx.ts[i],
        ctx.precision[i],
        ctx.action[i],
        ctx.channel[i],
        ctx.tool[i],
        ctx.event_id[i],
        text(ctx.source[i]),
        text(ctx.context[i]),
        text(ctx.utm_source[i]),
        text(ctx.utm_medium[i]),
        text(ctx.utm_campaign[i]),
        ctx.attrs.iter().map(|a| text(a[i])).collect::<Vec<_>>(),
        ctx.day[i],
        ctx.occasion_name(i as u32),
    )
}

#[test]
fn the_demo_timeline_reads_back_as_the_row_by_row_reading_and_gives_the_same_funnels() {
    let p = common::Project::demo();
    let out = p.turnout(&["run", "--quiet"]);
    assert_eq!(out.code, 0, "{}", out.explain());
    let plan = turnout::config::load(&p.path().join("pipelines/demo.toml")).unwrap();
    let path = p.path().join("work/demo/timeline.parquet");
    let attributes: Vec<String> = plan.attributes.iter().map(|a| a.to_string()).collect();
    let (ctx, tl, persons) = read_timeline(&path, plan.timezone, &TimelineColumns::all(&attributes)).unwrap();
    let (reference, row_people) = row_by_row(&path, plan.timezone, &attributes);

    assert!(ctx.len() > 5_000, "the demo has thousands of events, read {}", ctx.len());
    assert_eq!(ctx.len(), reference.len());
    for i in 0..ctx.len() {
        assert_eq!(row_of(&ctx, i), row_of(&reference, i), "row {}", i + 1);
    }
    // Some of every optional column is filled, so the comparison above covered them.
    let filled = |c: &[u32]| c.iter().any(|&id| id != funnel::context::NONE);
    assert!(filled(&ctx.context) && filled(&ctx.utm_source) && ctx.attrs.iter().all(|a| filled(a)));

    // Persons: one run of rows per person, in file order.
    let mut runs: Vec<(String, u64)> = Vec::new();
    for id in &row_people {
        match runs.last_mut() {
            Some((last, n)) if last == id => *n += 1,
            _ => runs.push((id.clone(), 1)),
        }
    }
    assert_eq!(persons.iter().map(|x| (x.id.clone(), x.events)).collect::<Vec<_>>(), runs);
    assert_eq!(tl.persons(), runs.len());
    assert!(persons.iter().any(|x| x.organizer), "the demo's organizers are flagged");

    // The same funnels and metrics over both readings.
    let ref_tl = turnout::timeline::Timeline {
        order: (0..reference.len() as u32).collect(),
        offsets: tl.offsets.clone(),
    };
    let cutoff = *ctx.ts.iter().max().unwrap();
    let period = Period::week(
        NaiveDate::from_ymd_opt(2026, 10, 12).unwrap(),
        plan.week_start,
        plan.timezone,
        cutoff,
    );
    for f in &plan.funnels {
        let a = funnel::people_in(f, &ctx, &tl, &persons);
        let b = funnel::people_in(f, &reference, &ref_tl, &persons);
        assert!(a.iter().any(|x| x.fills.len() > 1), "funnel {} fills later stages", f.name);
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "funnel {}", f.name);
        let (ma, mb) = (
            funnel::metrics(f, &a, &ctx, &tl, &period, 8),
            funnel::metrics(f, &b, &reference, &ref_tl, &period, 8),
        );
        assert_eq!(format!("{ma:?}"), format!("{mb:?}"), "metrics of funnel {}", f.name);
    }
    let (oa, ob) = (
        organizing::compute(&ctx, &tl, &persons, &period, 8),
        organizing::compute(&reference, &ref_tl, &persons, &period, 8),
    );
    assert_eq!(format!("{oa:?}"), format!("{ob:?}"));
}

/// Writes `df` as a timeline file and returns read_timeline's error.
fn error_of(df: &mut DataFrame, dir: &Path) -> String {
    let path = dir.join("timeline.parquet");
    turnout::tables::write_parquet(df, &path).unwrap();
    let tz: chrono_tz::Tz = "UTC".parse().unwrap();
    match read_timeline(&path, tz, &TimelineColumns::default()) {
        Ok(_) => panic!("read a broken timeline"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_broken_timeline_is_refused_with_its_row() {
    let p = common::Project::demo();
    assert_eq!(p.turnout(&["run", "--quiet"]).code, 0);
    let good = turnout::tables::read_parquet(&p.path().join("work/demo/timeline.parquet")).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // An action turnout does not write, on row 3.
    let mut df = good.clone();
    let actions: Vec<String> = df
        .column(col::ACTION)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, a)| if i == 2 { "teleported".to_string() } else { a.unwrap().to_string() })
        .collect();
    df.replace(col::ACTION, Column::new(col::ACTION.into(), actions)).unwrap();
    let e = error_of(&mut df, dir.path());
    assert!(
        e.contains("row 3") && e.contains("teleported") && e.contains("timeline.parquet"),
        "{e}"
    );

    // Rows in reverse: times go backwards within a person.
    let mut df = good.reverse();
    let e = error_of(&mut df, dir.path());
    assert!(e.contains("times go backwards"), "{e}");

    // A person's rows split in two: the first row again at the end.
    let n = good.height();
    let mut df = good.vstack(&good.slice(0, 1)).unwrap();
    let e = error_of(&mut df, dir.path());
    assert!(e.contains(&format!("row {}", n + 1)) && e.contains("not grouped by person"), "{e}");
}
