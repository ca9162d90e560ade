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

use crate::funnel::stats::Rate;
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
    pub funnels: Vec<FunnelView>,
    pub quality: QualityView,
}

#[derive(Debug, Clone, Serialize)]
pub struct FunnelView {
    pub name: String,
    pub order: String,
    pub window: String,
    pub stages: Vec<StageView>,
    pub cohorts: Vec<CohortView>,
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
}

pub struct Inputs<'a> {
    pub pipeline: &'a str,
    pub timezone: &'a str,
    pub period: &'a Period,
    pub min_cell: u64,
    pub funnels: &'a [FunnelMetrics],
    pub files: &'a [FileStats],
    pub quarantine_by_reason: BTreeMap<String, u64>,
    pub identity: &'a IdentityStats,
}

fn cell(v: u64, min: u64) -> Cell {
    if v < min {
        None
    } else {
        Some(v)
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
            file: f.file.clone(),
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
        schema_version: 1,
        pipeline: i.pipeline.to_string(),
        period: i.period.label.clone(),
        period_start: i.period.start.to_string(),
        period_end: (i.period.end - chrono::Duration::days(1)).to_string(),
        timezone: i.timezone.to_string(),
        data_through: crate::timeutil::local_date(i.period.cutoff_us, i.period.tz).to_string(),
        min_cell: min,
        funnels,
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
        let hidden = cohort_cells.iter().filter(|r| r[k].is_none()).count();
        if hidden == 1 {
            // hide the smallest published cell of the column as well
            if let Some(r) = (0..cohort_cells.len())
                .filter(|&r| cohort_cells[r][k].is_some())
                .min_by_key(|&r| (cohort_cells[r][k], r))
            {
                cohort_cells[r][k] = None;
            }
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
    FunnelView {
        name: f.name.clone(),
        order: f.order.to_string(),
        window: f.window.clone(),
        stages,
        cohorts,
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
