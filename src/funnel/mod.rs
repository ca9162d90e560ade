//! Funnel: which rung of the ladder each person reached, and the counts and rates that follow.
//!
//! Takes: the events, their timeline, the persons and a funnel's plan. Gives: per person the
//! event that filled each stage ([`PersonFunnel`]), then stage counts with rates (from the
//! previous stage and from entry, Wilson 95%) and entry cohorts by week ([`FunnelMetrics`]).
//! Promises the semantics of DESIGN.md §4 exactly, in ordered mode:
//! entry is the person's first S1 event over all data; each later stage is the earliest matching
//! event not before the previous stage and not after entry + window, both compared at the
//! coarser precision of the pair in the pipeline's zone; one event never fills two stages; a
//! stage with the same predicate as an earlier one needs a different occasion; organizers are
//! excluded; counts never rise down the funnel. Each stage is one relational step ("per person,
//! the earliest qualifying event after the previous stage"), so SQL engines can compute the same.

pub mod stats;

use std::cmp::Ordering;

use chrono::{Duration, NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::{FunnelPlan, Order, Predicate};
use crate::identity::Person;
use crate::schema::{Event, Precision};
use crate::timeline::Timeline;
use crate::timeutil;
use stats::{wilson, Rate};

/// The stages one person filled: `fills[k]` is the event index that filled stage k.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFunnel {
    pub person: u32,
    pub fills: Vec<u32>,
}

impl Predicate {
    pub fn matches(&self, e: &Event) -> bool {
        self.actions.as_ref().is_none_or(|s| s.contains(&e.action))
            && self.sources.as_ref().is_none_or(|s| s.contains(&e.source))
            && self.tools.as_ref().is_none_or(|s| s.contains(&e.tool))
            && self.channels.as_ref().is_none_or(|s| s.contains(&e.channel))
            && self
                .contexts
                .as_ref()
                .is_none_or(|s| e.context.as_ref().is_some_and(|c| s.contains(c)))
    }
}

/// The value of `ts` truncated to `p` (a local day number for day precision).
pub fn truncate(ts: i64, p: Precision, tz: Tz) -> i64 {
    match p {
        Precision::Second => ts.div_euclid(timeutil::US_PER_SEC),
        Precision::Minute => ts.div_euclid(timeutil::US_PER_MIN),
        Precision::Day => timeutil::local_day_number(ts, tz) as i64,
    }
}

/// Compares two instants at the coarser of their precisions.
pub fn cmp_coarse(a: i64, ap: Precision, b: i64, bp: Precision, tz: Tz) -> Ordering {
    let p = ap.max(bp);
    truncate(a, p, tz).cmp(&truncate(b, p, tz))
}

/// The occasion an event belongs to: the tool's or the mapping's, else its context (or source)
/// on its local date.
pub fn occasion_key(e: &Event, tz: Tz) -> String {
    match &e.occasion {
        Some(o) => o.clone(),
        None => format!("{} {}", e.context.as_deref().unwrap_or(&e.source), timeutil::local_date(e.ts, tz)),
    }
}

/// Runs one funnel over every non-organizer person.
pub fn people(plan: &FunnelPlan, events: &[Event], timeline: &Timeline, persons: &[Person], tz: Tz) -> Vec<PersonFunnel> {
    debug_assert_eq!(plan.order, Order::Ordered, "validation refuses unordered funnels in this version");
    let n = plan.stages.len();
    // For each stage, the earlier stages with an identical predicate.
    let same_pred: Vec<Vec<usize>> = (0..n)
        .map(|k| (0..k).filter(|&j| plan.stages[j].when == plan.stages[k].when).collect())
        .collect();
    let mut out = Vec::new();
    for p in 0..timeline.persons() {
        if persons[p].organizer {
            continue;
        }
        let evs = timeline.person(p);
        let Some(&first) = evs.iter().find(|&&i| plan.stages[0].when.matches(&events[i as usize])) else {
            continue;
        };
        let t1 = &events[first as usize];
        let bound = t1.ts.saturating_add(plan.window_us);
        let mut fills = vec![first];
        for k in 1..n {
            let prev = &events[*fills.last().expect("non-empty") as usize];
            let pred = &plan.stages[k].when;
            let found = evs.iter().copied().find(|&i| {
                let c = &events[i as usize];
                pred.matches(c)
                    && !fills.contains(&i)
                    && cmp_coarse(c.ts, c.precision, prev.ts, prev.precision, tz) != Ordering::Less
                    && cmp_coarse(c.ts, c.precision, bound, t1.precision, tz) != Ordering::Greater
                    && same_pred[k]
                        .iter()
                        .all(|&j| occasion_key(c, tz) != occasion_key(&events[fills[j] as usize], tz))
            });
            match found {
                Some(i) => fills.push(i),
                None => break,
            }
        }
        out.push(PersonFunnel { person: p as u32, fills });
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct StageMetric {
    pub stage: usize,
    pub name: String,
    pub count: u64,
    pub rate_from_previous: Option<Rate>,
    pub rate_from_entry: Option<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CohortMetric {
    /// Period label (`2026-W27`).
    pub period: String,
    pub start: NaiveDate,
    /// People reaching each stage, entry first; `counts[0]` is the cohort size.
    pub counts: Vec<u64>,
    /// The cohort's window is not over at the data cut-off: later stages may still grow.
    pub maturing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunnelMetrics {
    pub name: String,
    pub order: &'static str,
    pub window: String,
    /// People who entered up to the end of the report period.
    pub stages: Vec<StageMetric>,
    /// Entry cohorts, oldest first, ending with the report period (empty weeks included).
    pub cohorts: Vec<CohortMetric>,
    /// People filling each stage during the report period, the week before, and the average of
    /// the four weeks before.
    pub this_period: Vec<u64>,
    pub previous_period: Vec<u64>,
    pub four_week_average: Vec<f64>,
}

/// The report period and the data's cut-off, in the pipeline's zone.
#[derive(Debug, Clone)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    /// Exclusive: the start of the next period.
    pub end: NaiveDate,
    pub start_us: i64,
    pub end_us: i64,
    pub week_start: Weekday,
    pub tz: Tz,
    /// The latest non-quarantined event of any kind.
    pub cutoff_us: i64,
}

impl Period {
    pub fn week(start: NaiveDate, week_start: Weekday, tz: Tz, cutoff_us: i64) -> Period {
        let end = start + Duration::days(7);
        Period {
            label: timeutil::week_label(start, week_start),
            start,
            end,
            start_us: timeutil::local_midnight_us(start, tz),
            end_us: timeutil::local_midnight_us(end, tz),
            week_start,
            tz,
            cutoff_us,
        }
    }

    pub fn shifted(&self, weeks: i64) -> Period {
        Period::week(self.start + Duration::days(7 * weeks), self.week_start, self.tz, self.cutoff_us)
    }
}

/// Aggregates per-person results into the published metrics.
pub fn metrics(plan: &FunnelPlan, people: &[PersonFunnel], events: &[Event], period: &Period, cohort_weeks: usize) -> FunnelMetrics {
    let n = plan.stages.len();
    let tz = period.tz;
    let entered_by_end: Vec<&PersonFunnel> = people.iter().filter(|p| events[p.fills[0] as usize].ts < period.end_us).collect();
    let reach = |ps: &[&PersonFunnel], k: usize| ps.iter().filter(|p| p.fills.len() > k).count() as u64;
    let counts: Vec<u64> = (0..n).map(|k| reach(&entered_by_end, k)).collect();
    let stages = (0..n)
        .map(|k| StageMetric {
            stage: k + 1,
            name: plan.stages[k].name.clone(),
            count: counts[k],
            rate_from_previous: if k == 0 { None } else { wilson(counts[k], counts[k - 1]) },
            rate_from_entry: if k == 0 { None } else { wilson(counts[k], counts[0]) },
        })
        .collect();

    let mut cohorts = Vec::new();
    for w in (0..cohort_weeks as i64).rev() {
        let pw = period.shifted(-w);
        let members: Vec<&PersonFunnel> = entered_by_end
            .iter()
            .copied()
            .filter(|p| {
                let d = timeutil::local_date(events[p.fills[0] as usize].ts, tz);
                d >= pw.start && d < pw.end
            })
            .collect();
        cohorts.push(CohortMetric {
            period: pw.label.clone(),
            start: pw.start,
            counts: (0..n).map(|k| reach(&members, k)).collect(),
            maturing: pw.end_us.saturating_add(plan.window_us) > period.cutoff_us,
        });
    }

    let filled_in = |pw: &Period| -> Vec<u64> {
        (0..n)
            .map(|k| {
                people
                    .iter()
                    .filter(|p| {
                        p.fills.get(k).is_some_and(|&i| {
                            let d = timeutil::local_date(events[i as usize].ts, tz);
                            d >= pw.start && d < pw.end
                        })
                    })
                    .count() as u64
            })
            .collect()
    };
    let this_period = filled_in(period);
    let previous_period = filled_in(&period.shifted(-1));
    let mut four = vec![0f64; n];
    for w in 1..=4 {
        for (k, v) in filled_in(&period.shifted(-w)).into_iter().enumerate() {
            four[k] += v as f64 / 4.0;
        }
    }
    FunnelMetrics {
        name: plan.name.clone(),
        order: match plan.order {
            Order::Ordered => "ordered",
            Order::Unordered => "unordered",
        },
        window: plan.window_text.clone(),
        stages,
        cohorts,
        this_period,
        previous_period,
        four_week_average: four,
    }
}
