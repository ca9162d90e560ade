//! Funnel: which rung of the ladder each person reached, and when.
//!
//! Takes: the events, their timeline, the persons and a funnel's plan. Gives, per person, the
//! event that filled each stage ([`PersonFunnel`]); [`aggregate`] turns those into counts, rates,
//! cohorts, breakdowns and time to convert, and [`organizing`] computes the metrics that are not
//! funnels (show rate, repeat attendance, new and active people).
//!
//! Promises the semantics of DESIGN.md §4 exactly. Entry is the person's first S1 event over all
//! data. **Ordered**: each later stage is the earliest matching event not before the previous
//! stage and not after entry + window. **Unordered**: stage k is reached when S2..Sk each have
//! a matching event inside [entry, entry + window], each a different event — solved exactly by
//! search, not greedily. In both, times are compared at the coarser precision of the pair in the
//! pipeline's zone; one event never fills two stages (the entry event included); stages with
//! identical predicates need different occasions; organizers are excluded. Ordered mode is one
//! relational step per stage ("per person, the earliest qualifying event after the previous
//! stage"), so SQL engines can compute the same.

pub mod aggregate;
pub mod context;
pub mod organizing;
pub mod period;
pub mod stats;

use std::cmp::Ordering;

use chrono_tz::Tz;

use crate::config::{FunnelPlan, Order, Predicate};
use crate::identity::Person;
use crate::schema::{Event, Precision};
use crate::timeline::Timeline;
use crate::timeutil;

pub use aggregate::{metrics, FunnelMetrics};
pub use context::{Compiled, Context};
pub use period::Period;

/// The stages one person filled: `fills[k]` is the event index that filled stage k.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFunnel {
    pub person: u32,
    pub fills: Vec<u32>,
}

impl Predicate {
    pub fn matches(&self, e: &Event) -> bool {
        self.actions.as_ref().is_none_or(|s| s.contains(&e.action))
            && self.sources.as_ref().is_none_or(|s| s.contains(e.source.as_str()))
            && self.tools.as_ref().is_none_or(|s| s.contains(&e.tool))
            && self.channels.as_ref().is_none_or(|s| s.contains(&e.channel))
            && self
                .contexts
                .as_ref()
                .is_none_or(|s| e.context.as_ref().is_some_and(|c| s.contains(c.as_str())))
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

/// The start of the `p`-interval holding `ts`, in µs (local midnight for day precision).
pub fn interval_start(ts: i64, p: Precision, tz: Tz) -> i64 {
    match p {
        Precision::Second => ts - ts.rem_euclid(timeutil::US_PER_SEC),
        Precision::Minute => ts - ts.rem_euclid(timeutil::US_PER_MIN),
        Precision::Day => timeutil::local_midnight_us(timeutil::local_date(ts, tz), tz),
    }
}

/// Compares two instants at the coarser of their precisions.
pub fn cmp_coarse(a: i64, ap: Precision, b: i64, bp: Precision, tz: Tz) -> Ordering {
    let p = ap.max(bp);
    truncate(a, p, tz).cmp(&truncate(b, p, tz))
}

/// Days from `a` to `b`, both truncated to the pair's coarser precision (negative when `b` is
/// earlier).
pub fn gap_days(a: i64, ap: Precision, b: i64, bp: Precision, tz: Tz) -> f64 {
    let p = ap.max(bp);
    (interval_start(b, p, tz) - interval_start(a, p, tz)) as f64 / timeutil::US_PER_DAY as f64
}

/// The occasion an event belongs to: the tool's or the mapping's, else its context (or source)
/// on its local date.
pub fn occasion_key(e: &Event, tz: Tz) -> String {
    match &e.occasion {
        Some(o) => o.to_string(),
        None => format!("{} {}", e.context.as_deref().unwrap_or(&e.source), timeutil::local_date(e.ts, tz)),
    }
}

/// Runs one funnel over every non-organizer person.
pub fn people(plan: &FunnelPlan, events: &[Event], timeline: &Timeline, persons: &[Person], tz: Tz) -> Vec<PersonFunnel> {
    let ctx = Context::from_events(events, tz);
    people_in(plan, &ctx, timeline, persons)
}

/// [`people`] over a prepared [`Context`] (shared by the funnels of one run).
pub fn people_in(plan: &FunnelPlan, ctx: &Context, timeline: &Timeline, persons: &[Person]) -> Vec<PersonFunnel> {
    let n = plan.stages.len();
    let preds: Vec<Compiled> = plan.stages.iter().map(|s| Compiled::new(&s.when, ctx)).collect();
    // For each stage, the other stages with an identical predicate.
    let same_pred: Vec<Vec<usize>> = (0..n)
        .map(|k| (0..n).filter(|&j| j != k && plan.stages[j].when == plan.stages[k].when).collect())
        .collect();
    let mut out = Vec::new();
    for p in 0..timeline.persons() {
        if persons[p].organizer {
            continue;
        }
        let evs = timeline.person(p);
        let Some(&first) = evs.iter().find(|&&i| preds[0].matches(ctx, i)) else {
            continue;
        };
        let fills = match plan.order {
            Order::Ordered => ordered(plan, &preds, ctx, evs, first, &same_pred),
            Order::Unordered => unordered(plan, &preds, ctx, evs, first, &same_pred),
        };
        out.push(PersonFunnel { person: p as u32, fills });
    }
    out
}

fn ordered(plan: &FunnelPlan, preds: &[Compiled], ctx: &Context, evs: &[u32], first: u32, same_pred: &[Vec<usize>]) -> Vec<u32> {
    let (t1, p1) = (ctx.ts[first as usize], ctx.precision[first as usize]);
    let bound = t1.saturating_add(plan.window_us);
    let mut fills = vec![first];
    for (k, pred) in preds.iter().enumerate().skip(1) {
        let prev = *fills.last().expect("non-empty");
        let found = evs.iter().copied().find(|&i| {
            pred.matches(ctx, i)
                && !fills.contains(&i)
                && ctx.cmp(i, prev) != Ordering::Less
                && ctx.cmp_bound(i, bound, p1) != Ordering::Greater
                && same_pred[k]
                    .iter()
                    .filter(|&&j| j < k)
                    .all(|&j| ctx.occasion[i as usize] != ctx.occasion[fills[j] as usize])
        });
        match found {
            Some(i) => fills.push(i),
            None => break,
        }
    }
    fills
}

/// Unordered: the longest prefix S2..Sk with an exact assignment of distinct events (and
/// distinct occasions among identical predicates) inside [entry, entry + window].
fn unordered(plan: &FunnelPlan, preds: &[Compiled], ctx: &Context, evs: &[u32], first: u32, same_pred: &[Vec<usize>]) -> Vec<u32> {
    let n = plan.stages.len();
    let (t1, p1) = (ctx.ts[first as usize], ctx.precision[first as usize]);
    let bound = t1.saturating_add(plan.window_us);
    let in_window: Vec<u32> = evs
        .iter()
        .copied()
        .filter(|&i| i != first && ctx.cmp(i, first) != Ordering::Less && ctx.cmp_bound(i, bound, p1) != Ordering::Greater)
        .collect();
    let candidates: Vec<Vec<u32>> = (0..n)
        .map(|k| {
            if k == 0 {
                vec![first]
            } else {
                in_window.iter().copied().filter(|&i| preds[k].matches(ctx, i)).collect()
            }
        })
        .collect();
    let mut best = vec![first];
    for k in 1..n {
        let mut assign = vec![u32::MAX; k + 1];
        assign[0] = first;
        // Assign the most constrained stages first.
        let mut order: Vec<usize> = (1..=k).collect();
        order.sort_by_key(|&s| (candidates[s].len(), s));
        if search(ctx, &candidates, same_pred, &order, 0, &mut assign) {
            best = assign;
        } else {
            break;
        }
    }
    best
}

fn search(ctx: &Context, candidates: &[Vec<u32>], same_pred: &[Vec<usize>], order: &[usize], depth: usize, assign: &mut Vec<u32>) -> bool {
    let Some(&s) = order.get(depth) else { return true };
    // Candidates with the same occasion and the same set of stages they could fill are
    // interchangeable: trying one of each class keeps the search exact and small.
    let mut tried: Vec<(u64, Vec<bool>)> = Vec::new();
    for &c in &candidates[s] {
        if assign.contains(&c) {
            continue;
        }
        let occ = ctx.occasion[c as usize];
        if same_pred[s]
            .iter()
            .any(|&j| j < assign.len() && assign[j] != u32::MAX && ctx.occasion[assign[j] as usize] == occ)
        {
            continue;
        }
        let class: Vec<bool> = candidates.iter().map(|cs| cs.contains(&c)).collect();
        if tried.iter().any(|(o, cl)| *o == occ && *cl == class) {
            continue;
        }
        assign[s] = c;
        if search(ctx, candidates, same_pred, order, depth + 1, assign) {
            return true;
        }
        assign[s] = u32::MAX;
        tried.push((occ, class));
    }
    false
}
