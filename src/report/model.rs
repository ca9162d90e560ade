//! What the report publishes: the metrics after privacy suppression.
//!
//! Takes: funnel metrics, the period, ingest and identity statistics, and `min_cell`. Gives:
//! [`ReportModel`], the only thing the HTML, the charts, `summary.md`, the CSV tables and
//! `metrics.json` are rendered from. Promises: every person count below `min_cell` is
//! suppressed here (`None`, rendered "<10"), with complementary suppression in cohort columns
//! so that the published total cannot reveal a suppressed cohort, and no rate is published
//! whose numerator or denominator is suppressed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::funnel::organizing::{Organizing, ShowCounts};
use crate::funnel::stats::{Distribution, Rate};
use crate::funnel::{FunnelMetrics, Period};
use crate::identity::IdentityStats;
use crate::ingest::FileStats;

/// A published person count: `None` when suppressed.
pub type Cell = Option<u64>;

#[derive(Debug, Clone, Serialize)]
pub struct ReportModel {
    pub schema_version: u32,
    pub pipeline: String,
    pub period: String,
    pub period_start: String,
    /// Last day of the period (inclusive).
    pub period_end: String,
    pub timezone: String,
    /// Date of the latest event in the data, in the pipeline's zone.
    pub data_through: String,
    pub min_cell: u64,
    pub new_people: HeadlineView,
    pub active_people: HeadlineView,
    pub funnels: Vec<FunnelView>,
    pub attendance: AttendanceView,
    /// New and active people per week, oldest first.
    pub weeks: Vec<WeekView>,
    pub quality: QualityView,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeadlineView {
    pub this_period: Cell,
    pub previous_period: Cell,
    pub four_week_average: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekView {
    pub period: String,
    pub start: String,
    pub new_people: Cell,
    pub active_people: Cell,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShowView {
    pub rsvps: Cell,
    pub showed: Cell,
    pub no_shows: Cell,
    pub declined: Cell,
    pub cancelled: Cell,
    pub walk_ins: Cell,
    pub unmarked_rsvps: Cell,
    pub rate: Option<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OccasionView {
    pub occasion: String,
    pub date: String,
    #[serde(flatten)]
    pub show: ShowView,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepeatView {
    pub days: u32,
    pub first_attenders: Cell,
    pub came_back: Cell,
    pub rate: Option<Rate>,
    pub observed: Cell,
    pub came_back_observed: Cell,
    pub rate_observed: Option<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttendanceView {
    pub show_rate: ShowView,
    /// Marked occasions only, oldest first.
    pub by_occasion: Vec<OccasionView>,
    pub repeat_attendance: Vec<RepeatView>,
    pub first_touch_to_first_meeting: DistributionView,
    pub met_before_digital_touch: Cell,
}

/// A distribution of days, published only when enough people are in it.
#[derive(Debug, Clone, Serialize)]
pub struct DistributionView {
    pub people: Cell,
    pub median: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
    /// People per bin (bins: same day, 1, 2–3, 4–6, 7–13, 14–29, 30–59, 60+ days).
    pub histogram: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownView {
    pub name: String,
    pub buckets: Vec<BucketView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BucketView {
    pub value: String,
    pub counts: Vec<Cell>,
    pub rates_from_entry: Vec<Option<Rate>>,
    pub clearly_differs_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimingView {
    pub name: String,
    pub from_previous: Option<DistributionView>,
    pub from_entry: DistributionView,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunnelView {
    pub name: String,
    pub order: String,
    pub window: String,
    pub stages: Vec<StageView>,
    pub cohorts: Vec<CohortView>,
    pub breakdowns: Vec<BreakdownView>,
    /// Stages 2..n.
    pub time_to_convert: Vec<TimingView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    pub name: String,
    /// People who reached this stage (entered up to the end of the period).
    pub count: Cell,
    pub rate_from_previous: Option<Rate>,
    pub rate_from_entry: Option<Rate>,
    /// People who filled this stage during the period / the period before.
    pub this_period: Cell,
    pub previous_period: Cell,
    pub four_week_average: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CohortView {
    pub period: String,
    pub start: String,
    pub counts: Vec<Cell>,
    /// Share of the cohort reaching each stage (first is 1.0); `None` when not publishable.
    pub rates: Vec<Option<f64>>,
    pub maturing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityView {
    pub files: Vec<FileView>,
    pub rows_read: u64,
    pub events: u64,
    pub quarantined: u64,
    pub skipped: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    pub identity: IdentityView,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub source: String,
    pub file: String,
    pub sha256: String,
    pub rows: u64,
    pub events: u64,
    pub quarantined: u64,
    pub skipped: u64,
    pub notes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub records: u64,
    pub persons: u64,
    pub organizers: u64,
    pub persons_linked_across_identifiers: u64,
    pub identifiers_by_kind: BTreeMap<String, u64>,
    pub identifiers_rejected: BTreeMap<String, u64>,
    /// Contact-list rows used only to link people.
    pub identity_records: u64,
    /// People by number of records: `1`, `2`, `3-5`, `6-10`, `11+`.
    pub records_per_person: BTreeMap<String, u64>,
    /// Merges by rule.
    pub links_by_rule: BTreeMap<String, u64>,
    /// Emails, phones and tool ids not used to link: several clearly different names.
    pub shared_keys_flagged: BTreeMap<String, u64>,
    pub ambiguous_display_names: u64,
    pub probable: ProbableView,
    pub overrides: OverridesView,
    /// Joins refused because an override says `different`.
    pub conflicts: u64,
    pub ids: IdsView,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbableView {
    pub linked: u64,
    pub refused_ambiguous: u64,
    pub refused_weak: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OverridesView {
    pub same: u64,
    pub different: u64,
    pub unmatched: u64,
}

/// Person ids against the previous run (all zero on a first run, and on a re-run of the same
/// inputs, so that re-running a week reproduces its report; `run.json` has the kept count).
#[derive(Debug, Clone, Serialize)]
pub struct IdsView {
    pub new: u64,
    /// Ids that changed because records merged (one of the ids lives on) or split.
    pub changed: u64,
    pub merged: u64,
    pub split: u64,
}

pub struct Inputs<'a> {
    pub pipeline: &'a str,
    pub timezone: &'a str,
    pub period: &'a Period,
    pub min_cell: u64,
    pub funnels: &'a [FunnelMetrics],
    pub organizing: &'a Organizing,
    pub files: &'a [FileStats],
    pub quarantine_by_reason: BTreeMap<String, u64>,
    pub identity: &'a IdentityStats,
}

/// How a report names an input file: `<source> #<n>` (n-th file of the source in path order),
/// never its path — an export's file name can name a person ("WhatsApp Chat with Rosa.txt").
/// `work/<pipeline>/inputs.json` (owner-only) maps labels to paths for the data lead.
pub fn file_label(all: &[FileStats], f: &FileStats) -> String {
    let n = all
        .iter()
        .filter(|x| x.source == f.source)
        .position(|x| std::ptr::eq(x, f))
        .unwrap_or(0)
        + 1;
    format!("{} #{}", f.source, n)
}

fn cell(v: u64, min: u64) -> Cell {
    if v < min {
        None
    } else {
        Some(v)
    }
}

/// Complementary suppression for cells whose total is published: while some hidden small
/// cell could be worked out from the total and the shown cells ([`protected`]), the smallest
/// shown cell is hidden too. `truth` holds the cells' true values, in the same order.
pub fn complement(cells: &mut [Cell], truth: &[u64], min: u64) {
    while !protected(cells, truth, min) {
        match (0..cells.len()).filter(|&i| cells[i].is_some()).min_by_key(|&i| (cells[i], i)) {
            Some(i) => cells[i] = None,
            None => return,
        }
    }
}

/// Whether every hidden cell below `min` keeps at least two possible values for a reader who
/// knows the total, every shown cell, which hidden cells are below `min` (0..min-1) and that the
/// other hidden cells (complements) lie between `min` and the smallest shown cell. This reader
/// knows more than the report tells (it shows every hidden cell alike), so passing is safe.
pub fn protected(cells: &[Cell], truth: &[u64], min: u64) -> bool {
    let hidden: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].is_none()).collect();
    if hidden.is_empty() {
        return true;
    }
    let rest: u64 = hidden.iter().map(|&i| truth[i]).sum();
    let top = cells.iter().flatten().min().copied().unwrap_or(u64::MAX).min(rest);
    let bounds: Vec<(u64, u64)> = hidden
        .iter()
        .map(|&i| if truth[i] < min { (0, min - 1) } else { (min, top.max(min)) })
        .collect();
    let (lb_sum, ub_sum): (u64, u64) = bounds.iter().fold((0, 0), |(l, u), b| (l + b.0, u.saturating_add(b.1)));
    hidden.iter().zip(&bounds).all(|(&i, &(lb, ub))| {
        if truth[i] >= min {
            return true;
        }
        let others_lb = lb_sum - lb;
        let others_ub = ub_sum.saturating_sub(ub);
        let lo = rest.saturating_sub(others_ub).max(lb);
        let hi = rest.saturating_sub(others_lb).min(ub);
        hi > lo
    })
}

fn distribution_view(d: &Distribution, min: u64) -> DistributionView {
    let people = cell(d.count, min);
    let shown = |v: Option<f64>| if people.is_some() { v } else { None };
    let mut histogram: Vec<Cell> = d.histogram.iter().map(|&v| cell(v, min)).collect();
    if people.is_some() {
        complement(&mut histogram, &d.histogram, min);
    } else {
        histogram.iter_mut().for_each(|c| *c = None);
    }
    DistributionView {
        people,
        median: shown(d.median),
        p25: shown(d.p25),
        p75: shown(d.p75),
        p90: shown(d.p90),
        mean: shown(d.mean),
        histogram,
    }
}

fn show_view(c: &ShowCounts, min: u64) -> ShowView {
    let rsvps = cell(c.rsvps, min);
    let showed = cell(c.showed, min);
    ShowView {
        rsvps,
        showed,
        no_shows: cell(c.no_shows, min),
        declined: cell(c.declined, min),
        cancelled: cell(c.cancelled, min),
        walk_ins: cell(c.walk_ins, min),
        unmarked_rsvps: cell(c.unmarked_rsvps, min),
        rate: rate_if(c.rate, showed, rsvps),
    }
}

fn attendance_view(o: &Organizing, min: u64) -> AttendanceView {
    let raw: Vec<(u64, u64)> = o
        .show_rate_by_occasion
        .iter()
        .filter(|x| x.marked)
        .map(|x| (x.counts.rsvps, x.counts.showed))
        .collect();
    let mut by_occasion: Vec<OccasionView> = o
        .show_rate_by_occasion
        .iter()
        .filter(|x| x.marked)
        .map(|x| OccasionView {
            occasion: x.occasion.clone(),
            date: x.date.clone(),
            show: show_view(&x.counts, min),
        })
        .collect();
    // The overall RSVP and show counts are published: no column may hide exactly one occasion.
    for col in 0..2 {
        let mut cells: Vec<Cell> = by_occasion
            .iter()
            .map(|x| if col == 0 { x.show.rsvps } else { x.show.showed })
            .collect();
        let truth: Vec<u64> = raw.iter().map(|r| if col == 0 { r.0 } else { r.1 }).collect();
        complement(&mut cells, &truth, min);
        for (x, c) in by_occasion.iter_mut().zip(cells) {
            if col == 0 {
                x.show.rsvps = c
            } else {
                x.show.showed = c
            }
            x.show.rate = rate_if(x.show.rate, x.show.showed, x.show.rsvps);
        }
    }
    AttendanceView {
        show_rate: show_view(&o.show_rate, min),
        by_occasion,
        repeat_attendance: o
            .repeat_attendance
            .iter()
            .map(|r| {
                let (all, back, obs, back_obs) = (
                    cell(r.first_attenders, min),
                    cell(r.came_back, min),
                    cell(r.observed, min),
                    cell(r.came_back_observed, min),
                );
                RepeatView {
                    days: r.days,
                    first_attenders: all,
                    came_back: back,
                    rate: rate_if(r.rate, back, all),
                    observed: obs,
                    came_back_observed: back_obs,
                    rate_observed: rate_if(r.rate_observed, back_obs, obs),
                }
            })
            .collect(),
        first_touch_to_first_meeting: distribution_view(&o.first_touch_to_first_meeting, min),
        met_before_digital_touch: cell(o.met_before_digital_touch, min),
    }
}

fn headline_view(h: &crate::funnel::organizing::Headline, min: u64) -> HeadlineView {
    HeadlineView {
        this_period: cell(h.this_period, min),
        previous_period: cell(h.previous_period, min),
        four_week_average: (h.four_week_average * 4.0 >= min as f64).then_some(h.four_week_average),
    }
}

fn rate_if(r: Option<Rate>, num: Cell, den: Cell) -> Option<Rate> {
    if num.is_some() && den.is_some() {
        r
    } else {
        None
    }
}

pub fn build(i: &Inputs) -> ReportModel {
    let min = i.min_cell;
    let funnels = i.funnels.iter().map(|f| funnel_view(f, min)).collect();
    let files: Vec<FileView> = i
        .files
        .iter()
        .map(|f| FileView {
            source: f.source.clone(),
            file: file_label(i.files, f),
            sha256: f.sha256.clone(),
            rows: f.rows,
            events: f.events,
            quarantined: f.quarantined,
            skipped: f.skipped,
            notes: f.notes.clone(),
        })
        .collect();
    let id = i.identity;
    ReportModel {
        schema_version: 2,
        pipeline: i.pipeline.to_string(),
        period: i.period.label.clone(),
        period_start: i.period.start.to_string(),
        period_end: (i.period.end - chrono::Duration::days(1)).to_string(),
        timezone: i.timezone.to_string(),
        data_through: crate::timeutil::local_date(i.period.cutoff_us, i.period.tz).to_string(),
        min_cell: min,
        new_people: headline_view(&i.organizing.new_people, min),
        active_people: headline_view(&i.organizing.active_people, min),
        funnels,
        attendance: attendance_view(i.organizing, min),
        weeks: i
            .organizing
            .weeks
            .iter()
            .map(|w| WeekView {
                period: w.period.clone(),
                start: w.start.clone(),
                new_people: cell(w.new_people, min),
                active_people: cell(w.active_people, min),
            })
            .collect(),
        quality: QualityView {
            rows_read: files.iter().map(|f| f.rows).sum(),
            events: files.iter().map(|f| f.events).sum(),
            quarantined: files.iter().map(|f| f.quarantined).sum(),
            skipped: files.iter().map(|f| f.skipped).sum(),
            files,
            quarantined_by_reason: i.quarantine_by_reason.clone(),
            identity: IdentityView {
                records: id.records,
                persons: id.persons,
                organizers: id.organizers,
                persons_linked_across_identifiers: id.linked_persons,
                identifiers_by_kind: id.keys_by_kind.clone(),
                identifiers_rejected: id.rejected_by_reason.clone(),
                identity_records: id.identity_records,
                records_per_person: id.records_per_person.clone(),
                links_by_rule: id.links_by_rule.clone(),
                shared_keys_flagged: id.flagged_keys_by_kind.clone(),
                ambiguous_display_names: id.ambiguous_display_names,
                probable: ProbableView {
                    linked: id.probable_links,
                    refused_ambiguous: id.probable_refused_ambiguous,
                    refused_weak: id.probable_refused_weak,
                },
                overrides: OverridesView {
                    same: id.overrides_same,
                    different: id.overrides_different,
                    unmatched: id.overrides_unmatched,
                },
                conflicts: id.conflicts,
                ids: IdsView {
                    new: if id.has_previous_ids { id.ids_new } else { 0 },
                    changed: id.ids_merged + id.ids_split,
                    merged: id.ids_merged,
                    split: id.ids_split,
                },
            },
        },
    }
}

fn funnel_view(f: &FunnelMetrics, min: u64) -> FunnelView {
    let n = f.stages.len();
    // Cohort cells, with complementary suppression per stage column: the overall count is
    // published, so a column must never hold exactly one suppressed cell.
    let mut cohort_cells: Vec<Vec<Cell>> = f.cohorts.iter().map(|c| c.counts.iter().map(|&v| cell(v, min)).collect()).collect();
    for k in 0..n {
        let mut col: Vec<Cell> = cohort_cells.iter().map(|r| r[k]).collect();
        let truth: Vec<u64> = f.cohorts.iter().map(|c| c.counts[k]).collect();
        complement(&mut col, &truth, min);
        for (r, c) in cohort_cells.iter_mut().zip(col) {
            r[k] = c;
        }
    }
    let cohorts = f
        .cohorts
        .iter()
        .zip(&cohort_cells)
        .map(|(c, cells)| CohortView {
            period: c.period.clone(),
            start: c.start.to_string(),
            rates: cells
                .iter()
                .map(|&v| match (v, cells[0]) {
                    (Some(v), Some(d)) if d > 0 => Some(v as f64 / d as f64),
                    _ => None,
                })
                .collect(),
            counts: cells.clone(),
            maturing: c.maturing,
        })
        .collect::<Vec<_>>();
    let last_cohort_entry = cohort_cells.last().map(|r| r[0]);
    let stages = (0..n)
        .map(|k| {
            let s = &f.stages[k];
            let count = cell(s.count, min);
            let prev = if k == 0 { None } else { cell(f.stages[k - 1].count, min) };
            let entry = cell(f.stages[0].count, min);
            let mut this_period = cell(f.this_period[k], min);
            if k == 0 {
                // the same number as the period's cohort size: suppressed together
                if let Some(c) = last_cohort_entry {
                    this_period = this_period.and(c);
                }
            }
            let avg = f.four_week_average[k];
            StageView {
                name: s.name.clone(),
                count,
                rate_from_previous: rate_if(s.rate_from_previous, count, prev),
                rate_from_entry: rate_if(s.rate_from_entry, count, entry),
                this_period,
                previous_period: cell(f.previous_period[k], min),
                four_week_average: if avg * 4.0 >= min as f64 { Some(avg) } else { None },
            }
        })
        .collect();
    let breakdowns = f
        .breakdowns
        .iter()
        .map(|b| {
            let mut buckets: Vec<BucketView> = b
                .buckets
                .iter()
                .map(|x| BucketView {
                    value: x.value.clone(),
                    counts: x.counts.iter().map(|&v| cell(v, min)).collect(),
                    rates_from_entry: x.rates_from_entry.clone(),
                    clearly_differs_from: Vec::new(),
                })
                .collect();
            // Buckets add up to the published stage counts.
            for k in 0..n {
                let mut col: Vec<Cell> = buckets.iter().map(|x| x.counts[k]).collect();
                let truth: Vec<u64> = b.buckets.iter().map(|x| x.counts[k]).collect();
                complement(&mut col, &truth, min);
                for (x, c) in buckets.iter_mut().zip(col) {
                    x.counts[k] = c;
                }
            }
            for x in buckets.iter_mut() {
                let entry = x.counts[0];
                for k in 0..n {
                    x.rates_from_entry[k] = rate_if(x.rates_from_entry[k], x.counts[k], entry);
                }
            }
            let last = n.saturating_sub(1);
            let published: Vec<String> = buckets
                .iter()
                .filter(|x| x.rates_from_entry.get(last).copied().flatten().is_some())
                .map(|x| x.value.clone())
                .collect();
            for (x, src) in buckets.iter_mut().zip(&b.buckets) {
                if published.contains(&x.value) {
                    x.clearly_differs_from = src.clearly_differs_from.iter().filter(|o| published.contains(o)).cloned().collect();
                }
            }
            BreakdownView {
                name: b.name.clone(),
                buckets,
            }
        })
        .collect();
    let time_to_convert = f
        .time_to_convert
        .iter()
        .map(|t| TimingView {
            name: t.name.clone(),
            from_previous: t.from_previous.as_ref().map(|d| distribution_view(d, min)),
            from_entry: distribution_view(&t.from_entry, min),
        })
        .collect();
    FunnelView {
        name: f.name.clone(),
        order: f.order.to_string(),
        window: f.window.clone(),
        stages,
        cohorts,
        breakdowns,
        time_to_convert,
    }
}

/// `1234` → `1,234`; suppressed → `<min`.
pub fn show(c: Cell, min: u64) -> String {
    match c {
        None => format!("<{min}"),
        Some(v) => thousands(v),
    }
}

pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn pct(r: f64) -> String {
    format!("{:.0}%", r * 100.0)
}
