//! From per-person stage fills to the published funnel numbers.
//!
//! Takes: a funnel's plan, its [`PersonFunnel`]s, the events and the report [`Period`] — or,
//! from another engine, each person's [`PersonFacts`] (the fills' times, the breakdown values).
//! Gives:
//! [`FunnelMetrics`] — counts and rates per stage (Wilson 95%), entry cohorts by week with
//! maturing flags, the report week against the week before and the 4-week average, breakdowns
//! with an explicit "unknown" bucket and flags where buckets differ beyond noise, and time to
//! convert per stage. Promises: counts never rise down the funnel (a person counts at every stage
//! up to their furthest); everyone who entered by the end of the period counts, and their later
//! conversions count while inside the window and in the data (DESIGN.md §4.7).

use chrono::NaiveDate;
use serde::Serialize;

use super::stats::{clearly_different, distribution, wilson, Distribution, Rate};
use super::{Context, Period, PersonFunnel};
use crate::config::{FunnelPlan, Order};
use crate::schema::Precision;
use crate::timeline::Timeline;

/// The bucket of people with no value for a breakdown.
pub const UNKNOWN: &str = "unknown";

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
    /// People reaching each stage, entry first; `counts[0]` is the cohort size (0: nobody entered).
    pub counts: Vec<u64>,
    /// The cohort's window is not over at the data cut-off: later stages may still grow.
    pub maturing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BucketMetric {
    pub value: String,
    pub counts: Vec<u64>,
    /// Per stage: reached ÷ entered (None for stage 1 and empty buckets).
    pub rates_from_entry: Vec<Option<Rate>>,
    /// Buckets whose rate of reaching the last stage differs from this one's beyond both
    /// Wilson intervals.
    pub clearly_differs_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownMetric {
    /// As written in the pipeline: `first_channel`, `worksite@Came to a meeting`.
    pub name: String,
    /// Largest buckets first; `unknown` last.
    pub buckets: Vec<BucketMetric>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimingMetric {
    pub stage: usize,
    pub name: String,
    /// Days from the previous stage (ordered funnels only).
    pub from_previous: Option<Distribution>,
    /// Days from entry.
    pub from_entry: Distribution,
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
    pub breakdowns: Vec<BreakdownMetric>,
    /// Stages 2..n.
    pub time_to_convert: Vec<TimingMetric>,
}

/// What the published numbers need from one person in a funnel: the time and precision of each
/// stage they filled (entry first), and their value for each of the plan's breakdowns. The
/// default engine reads them off the events ([`facts`]); the scale-out engines select them in SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PersonFacts {
    pub fills: Vec<(i64, Precision)>,
    /// Per breakdown of the plan, in order; None for the "unknown" bucket.
    pub values: Vec<Option<String>>,
}

/// The [`PersonFacts`] of `people`, in the same order.
pub fn facts(plan: &FunnelPlan, people: &[PersonFunnel], ctx: &Context, timeline: &Timeline) -> Vec<PersonFacts> {
    people
        .iter()
        .map(|p| PersonFacts {
            fills: p.fills.iter().map(|&i| (ctx.ts[i as usize], ctx.precision[i as usize])).collect(),
            values: plan
                .breakdowns
                .iter()
                .map(|b| match b.at_stage {
                    Some(k) => p.fills.get(k).and_then(|&i| ctx.dim_value(b.dim, i)),
                    None => {
                        // first touch: the first non-null value up to and including entry
                        let evs = timeline.person(p.person as usize);
                        let upto = evs.iter().position(|&i| i == p.fills[0]).unwrap_or(evs.len().saturating_sub(1));
                        evs[..=upto].iter().find_map(|&i| ctx.dim_value(b.dim, i))
                    }
                })
                .collect(),
        })
        .collect()
}

/// Aggregates per-person results into the published metrics.
pub fn metrics(
    plan: &FunnelPlan,
    people: &[PersonFunnel],
    ctx: &Context,
    timeline: &Timeline,
    period: &Period,
    cohort_weeks: usize,
) -> FunnelMetrics {
    metrics_of(plan, &facts(plan, people, ctx, timeline), period, cohort_weeks)
}

/// [`metrics`] from the people's [`PersonFacts`] (in any order).
pub fn metrics_of(plan: &FunnelPlan, people: &[PersonFacts], period: &Period, cohort_weeks: usize) -> FunnelMetrics {
    let n = plan.stages.len();
    let tz = period.tz;
    // Local day numbers of every fill, computed once.
    let (lo, hi) = people
        .iter()
        .flat_map(|p| p.fills.iter().map(|f| f.0))
        .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let (lo, hi) = if lo > hi { (0, 0) } else { (lo, hi) };
    let local = super::context::LocalDays::new(tz, lo, hi);
    let days: Vec<Vec<i32>> = people.iter().map(|p| p.fills.iter().map(|f| local.day(f.0)).collect()).collect();
    let entered: Vec<usize> = (0..people.len()).filter(|&i| people[i].fills[0].0 < period.end_us).collect();
    let reach = |ps: &[usize], k: usize| ps.iter().filter(|&&i| people[i].fills.len() > k).count() as u64;
    let counts: Vec<u64> = (0..n).map(|k| reach(&entered, k)).collect();
    let stages = (0..n)
        .map(|k| StageMetric {
            stage: k + 1,
            name: plan.stages[k].name.clone(),
            count: counts[k],
            rate_from_previous: if k == 0 { None } else { wilson(counts[k], counts[k - 1]) },
            rate_from_entry: if k == 0 { None } else { wilson(counts[k], counts[0]) },
        })
        .collect();

    let cohorts = period
        .last_weeks(cohort_weeks)
        .into_iter()
        .map(|pw| {
            let members: Vec<usize> = entered.iter().copied().filter(|&i| pw.holds_day(days[i][0])).collect();
            CohortMetric {
                period: pw.label.clone(),
                start: pw.start,
                counts: (0..n).map(|k| reach(&members, k)).collect(),
                maturing: pw.end_us.saturating_add(plan.window_us) > period.cutoff_us,
            }
        })
        .collect();

    let filled_in = |pw: &Period| -> Vec<u64> {
        (0..n)
            .map(|k| days.iter().filter(|d| d.get(k).is_some_and(|&d| pw.holds_day(d))).count() as u64)
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

    let breakdowns = plan
        .breakdowns
        .iter()
        .enumerate()
        .map(|(bi, b)| {
            let mut groups: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
            for &i in &entered {
                groups
                    .entry(people[i].values.get(bi).cloned().flatten().unwrap_or_else(|| UNKNOWN.to_string()))
                    .or_default()
                    .push(i);
            }
            let mut buckets: Vec<BucketMetric> = groups
                .into_iter()
                .map(|(value, ps)| {
                    let counts: Vec<u64> = (0..n).map(|k| reach(&ps, k)).collect();
                    let rates_from_entry = (0..n).map(|k| if k == 0 { None } else { wilson(counts[k], counts[0]) }).collect();
                    BucketMetric {
                        value,
                        counts,
                        rates_from_entry,
                        clearly_differs_from: Vec::new(),
                    }
                })
                .collect();
            buckets.sort_by(|a, b| {
                ((a.value == UNKNOWN), std::cmp::Reverse(a.counts[0]), &a.value).cmp(&(
                    (b.value == UNKNOWN),
                    std::cmp::Reverse(b.counts[0]),
                    &b.value,
                ))
            });
            if n > 1 {
                let last: Vec<Option<Rate>> = buckets.iter().map(|x| x.rates_from_entry[n - 1]).collect();
                for i in 0..buckets.len() {
                    for j in 0..buckets.len() {
                        if let (Some(a), Some(c)) = (last[i], last[j]) {
                            if i != j && clearly_different(&a, &c) {
                                let other = buckets[j].value.clone();
                                buckets[i].clearly_differs_from.push(other);
                            }
                        }
                    }
                }
            }
            BreakdownMetric {
                name: b.label.clone(),
                buckets,
            }
        })
        .collect();

    let time_to_convert = (1..n)
        .map(|k| {
            let reached: Vec<&PersonFacts> = entered.iter().map(|&i| &people[i]).filter(|p| p.fills.len() > k).collect();
            let gap = |a: (i64, Precision), b: (i64, Precision)| super::gap_days(a.0, a.1, b.0, b.1, tz);
            let from_entry = distribution(reached.iter().map(|p| gap(p.fills[0], p.fills[k])).collect());
            let from_previous = match plan.order {
                Order::Ordered => Some(distribution(reached.iter().map(|p| gap(p.fills[k - 1], p.fills[k])).collect())),
                Order::Unordered => None,
            };
            TimingMetric {
                stage: k + 1,
                name: plan.stages[k].name.clone(),
                from_previous,
                from_entry,
            }
        })
        .collect();

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
        breakdowns,
        time_to_convert,
    }
}
