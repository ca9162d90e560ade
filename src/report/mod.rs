//! Report: what a strategist reads, published whole or not at all.
//!
//! Takes: a [`model::ReportModel`] (already privacy-suppressed) and run facts. Gives:
//! `reports/<pipeline>/<period>/` with `index.html`, `charts/*.svg|png`, `summary.md`,
//! `tables/*.csv`, `metrics.json` and `run.json`, and a `latest` link. Promises: the folder is
//! written aside and renamed into place, so a failed run leaves the previous report intact;
//! CSV cells are neutralised against formula injection; HTML is escaped; output is
//! deterministic for the same inputs (apart from timings in `run.json`).

pub mod charts;
pub mod html;
pub mod model;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use model::{pct, show, ReportModel};

/// A file the report will contain, by relative path.
struct Output {
    path: String,
    bytes: Vec<u8>,
}

/// Renders every file of the report in memory.
fn render(m: &ReportModel) -> anyhow::Result<Vec<Output>> {
    let mut out = Vec::new();
    let mut svgs = Vec::new();
    let mut breakdown_svgs = Vec::new();
    let mut timing_svgs = Vec::new();
    for (i, f) in m.funnels.iter().enumerate() {
        let slug = slug(&f.name, i);
        let bars: Vec<charts::FunnelBar> = f
            .stages
            .iter()
            .map(|s| charts::FunnelBar {
                label: s.name.clone(),
                count: s.count,
                shown: show(s.count, m.min_cell),
                step_rate: s.rate_from_previous.map(|r| r.value),
            })
            .collect();
        let fc = charts::funnel_chart(&format!("People at each stage of \u{201c}{}\u{201d}", f.name), &bars)?;
        let last = cohort_target(f);
        let target = f.stages.get(last).map(|s| s.name.clone()).unwrap_or_default();
        let points: Vec<charts::CohortPoint> = f
            .cohorts
            .iter()
            .map(|c| charts::CohortPoint {
                label: c.period.rsplit('-').next().unwrap_or(&c.period).to_string(),
                rate: c.rates.get(last).copied().flatten(),
                maturing: c.maturing,
            })
            .collect();
        let cc = charts::cohort_chart(
            &format!("{}: newcomers who reached \u{201c}{}\u{201d}, by week", f.name, target),
            &target,
            &points,
        )?;
        push_chart(&mut out, &format!("funnel-{slug}"), &fc);
        push_chart(&mut out, &format!("cohorts-{slug}"), &cc);
        svgs.push((strip_xml_decl(&fc.svg), strip_xml_decl(&cc.svg)));
        // Breakdowns: the rate to one stage per bucket, with intervals.
        let mut bsvgs = Vec::new();
        for (bi, b) in f.breakdowns.iter().enumerate() {
            let k = breakdown_target(b, f.stages.len());
            let stage = f.stages.get(k).map(|s| s.name.clone()).unwrap_or_default();
            let bars: Vec<charts::RateBar> = b
                .buckets
                .iter()
                .map(|x| {
                    let r = x.rates_from_entry.get(k).copied().flatten();
                    let entered = x.counts.first().copied().flatten();
                    charts::RateBar {
                        label: x.value.clone(),
                        rate: r.map(|r| r.value),
                        interval: r.map(|r| (r.low, r.high)),
                        shown: match (r, entered) {
                            (Some(r), Some(n)) => format!("{} of {}", model::pct(r.value), model::thousands(n)),
                            _ => format!("{} people", show(x.counts.first().copied().flatten(), m.min_cell)),
                        },
                    }
                })
                .collect();
            let title = html::breakdown_finding(b, k, &stage)
                .unwrap_or_else(|| format!("Who reached \u{201c}{stage}\u{201d}, by {}", html::breakdown_words(&b.name)));
            let chart = charts::rate_chart(
                &title,
                &format!("{}: share of each bucket's newcomers who reached \u{201c}{stage}\u{201d}", f.name),
                &bars,
            )?;
            push_chart(&mut out, &format!("breakdown-{slug}-{}", bi + 1), &chart);
            out.push(Output {
                path: format!("tables/breakdown-{slug}-{}.csv", bi + 1),
                bytes: breakdown_csv(m, f, b),
            });
            bsvgs.push((strip_xml_decl(&chart.svg), title));
        }
        breakdown_svgs.push(bsvgs);
        // Time to convert: the deepest stage whose histogram has at least three publishable
        // bins (a shape, not two bars), else the deepest with any.
        let published = |t: &&model::TimingView| t.from_entry.histogram.iter().filter(|c| c.is_some()).count();
        let timing = f
            .time_to_convert
            .iter()
            .rev()
            .find(|t| published(t) >= 3)
            .or_else(|| f.time_to_convert.iter().rev().find(|t| published(t) > 0));
        match timing {
            Some(t) => {
                let bins: Vec<charts::Bin> = t
                    .from_entry
                    .histogram
                    .iter()
                    .zip(HISTOGRAM_LABELS)
                    .map(|(c, l)| charts::Bin {
                        label: l.to_string(),
                        count: *c,
                        shown: show(*c, m.min_cell),
                    })
                    .collect();
                let title = match t.from_entry.median {
                    Some(d) => format!(
                        "Half of those who reached \u{201c}{}\u{201d} did so within {}",
                        t.name,
                        html::days_words(d)
                    ),
                    None => format!("Time from entry to \u{201c}{}\u{201d}", t.name),
                };
                let chart = charts::histogram_chart(
                    &title,
                    &format!("{}: people by days from entering the funnel to \u{201c}{}\u{201d}", f.name, t.name),
                    &bins,
                )?;
                push_chart(&mut out, &format!("timing-{slug}"), &chart);
                timing_svgs.push(Some(strip_xml_decl(&chart.svg)));
            }
            None => timing_svgs.push(None),
        }
        out.push(Output {
            path: format!("tables/timing-{slug}.csv"),
            bytes: timing_csv(m, f),
        });
        out.push(Output {
            path: format!("tables/funnel-{slug}.csv"),
            bytes: funnel_csv(m, f),
        });
        out.push(Output {
            path: format!("tables/cohorts-{slug}.csv"),
            bytes: cohorts_csv(m, f),
        });
    }
    out.push(Output {
        path: "tables/quality.csv".into(),
        bytes: quality_csv(m),
    });
    // New and active people by week.
    let points: Vec<charts::TrendPoint> = m
        .weeks
        .iter()
        .map(|w| charts::TrendPoint {
            label: w.period.rsplit('-').next().unwrap_or(&w.period).to_string(),
            a: w.new_people,
            b: w.active_people,
        })
        .collect();
    let trend = charts::trend_chart("New and active people by week", "new people", "people who took part", &points)?;
    push_chart(&mut out, "weeks", &trend);
    out.push(Output {
        path: "tables/weeks.csv".into(),
        bytes: weeks_csv(m),
    });
    out.push(Output {
        path: "index.html".into(),
        bytes: html::render(
            m,
            &html::ChartSvgs {
                funnels: svgs,
                breakdowns: breakdown_svgs,
                timing: timing_svgs,
                weeks: strip_xml_decl(&trend.svg),
            },
        )
        .into_bytes(),
    });
    out.push(Output {
        path: "summary.md".into(),
        bytes: summary(m).into_bytes(),
    });
    let mut json = serde_json::to_string_pretty(m)?;
    json.push('\n');
    out.push(Output {
        path: "metrics.json".into(),
        bytes: json.into_bytes(),
    });
    Ok(out)
}

/// The stage the cohort chart follows: the deepest stage whose weekly rate can be published for
/// at least half of the weeks that had newcomers (small weekly numbers are suppressed), else the
/// second stage.
pub fn cohort_target(f: &model::FunnelView) -> usize {
    let weeks = f
        .cohorts
        .iter()
        .filter(|c| c.counts.first().copied().flatten().is_some_and(|n| n > 0))
        .count();
    (1..f.stages.len())
        .rev()
        .find(|&k| weeks > 0 && f.cohorts.iter().filter(|c| c.rates.get(k).copied().flatten().is_some()).count() * 2 >= weeks)
        .unwrap_or(1.min(f.stages.len().saturating_sub(1)))
}

/// A chart's SVG and PNG as `charts/<name>.svg` and `.png`.
fn push_chart(out: &mut Vec<Output>, name: &str, chart: &charts::Chart) {
    out.push(Output {
        path: format!("charts/{name}.svg"),
        bytes: chart.svg.clone().into_bytes(),
    });
    out.push(Output {
        path: format!("charts/{name}.png"),
        bytes: chart.png.clone(),
    });
}

/// Bin labels of the time-to-convert histograms (`funnel::stats::HISTOGRAM_EDGES_DAYS`).
const HISTOGRAM_LABELS: [&str; 8] = ["same day", "1 d", "2–3 d", "4–6 d", "7–13 d", "14–29 d", "30–59 d", "60+ d"];

/// The stage a breakdown chart follows: the deepest stage at which at least two buckets have
/// a publishable rate, else the second stage.
pub fn breakdown_target(b: &model::BreakdownView, stages: usize) -> usize {
    (1..stages)
        .rev()
        .find(|&k| {
            b.buckets
                .iter()
                .filter(|x| x.rates_from_entry.get(k).copied().flatten().is_some())
                .count()
                >= 2
        })
        .unwrap_or(1.min(stages.saturating_sub(1)))
}

fn breakdown_csv(m: &ReportModel, f: &model::FunnelView, b: &model::BreakdownView) -> Vec<u8> {
    let mut header: Vec<String> = vec!["bucket".into()];
    for s in &f.stages {
        header.push(s.name.clone());
        header.push(format!("{} rate from entry", s.name));
        header.push(format!("{} rate low", s.name));
        header.push(format!("{} rate high", s.name));
    }
    header.push("clearly_differs_from".into());
    let rows = b
        .buckets
        .iter()
        .map(|x| {
            let mut r = vec![x.value.clone()];
            for (k, c) in x.counts.iter().enumerate() {
                r.push(cell_text(*c, m.min_cell));
                r.extend(rate_cols(x.rates_from_entry.get(k).copied().flatten()));
            }
            r.push(x.clearly_differs_from.join("; "));
            r
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_bytes(&header, rows)
}

fn timing_csv(m: &ReportModel, f: &model::FunnelView) -> Vec<u8> {
    let mut header: Vec<String> = [
        "stage",
        "people",
        "median_days",
        "p25_days",
        "p75_days",
        "p90_days",
        "mean_days",
        "median_days_from_previous",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(HISTOGRAM_LABELS.iter().map(|l| format!("people {l}")));
    let d = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
    let rows = f
        .time_to_convert
        .iter()
        .map(|t| {
            let e = &t.from_entry;
            let mut r = vec![
                t.name.clone(),
                cell_text(e.people, m.min_cell),
                d(e.median),
                d(e.p25),
                d(e.p75),
                d(e.p90),
                d(e.mean),
                d(t.from_previous.as_ref().and_then(|p| p.median)),
            ];
            r.extend(e.histogram.iter().map(|c| cell_text(*c, m.min_cell)));
            r
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_bytes(&header, rows)
}

fn weeks_csv(m: &ReportModel) -> Vec<u8> {
    let rows = m
        .weeks
        .iter()
        .map(|w| {
            vec![
                w.period.clone(),
                w.start.clone(),
                cell_text(w.new_people, m.min_cell),
                cell_text(w.active_people, m.min_cell),
            ]
        })
        .collect();
    csv_bytes(&["week", "start", "new_people", "active_people"], rows)
}

fn strip_xml_decl(svg: &str) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg.to_string(),
    }
}

pub fn slug(name: &str, i: usize) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if s.is_empty() {
        format!("funnel-{}", i + 1)
    } else {
        s
    }
}

/// The paste-able summary: a few lines for email, Slack or WhatsApp.
pub fn summary(m: &ReportModel) -> String {
    let mut s = format!(
        "**{} — week {} ({} to {})**\n\n",
        m.pipeline, m.period, m.period_start, m.period_end
    );
    for f in &m.funnels {
        s.push_str(&format!("{}:\n", f.name));
        for st in &f.stages {
            let change = match (st.this_period, st.previous_period) {
                (Some(a), Some(b)) => format!(" ({:+} vs last week)", a as i64 - b as i64),
                _ => String::new(),
            };
            s.push_str(&format!(
                "- {}: {} this week{}; {} in all",
                st.name,
                show(st.this_period, m.min_cell),
                change,
                show(st.count, m.min_cell)
            ));
            if let Some(r) = st.rate_from_previous {
                s.push_str(&format!(", {} of the stage before", pct(r.value)));
            }
            s.push('\n');
        }
        s.push_str(&format!("- {}\n\n", html::funnel_finding(f)));
    }
    s.push_str(&format!(
        "Data through {}. {} rows read, {} set aside for the data lead. Counts below {} hidden.\n",
        m.data_through,
        model::thousands(m.quality.rows_read),
        model::thousands(m.quality.quarantined),
        m.min_cell
    ));
    s
}

/// A CSV cell that spreadsheets will not run as a formula.
pub fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(header.iter().map(|c| csv_safe(c)));
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| csv_safe(c)));
    }
    w.into_inner().unwrap_or_default()
}

fn cell_text(c: model::Cell, min: u64) -> String {
    match c {
        Some(v) => v.to_string(),
        None => format!("<{min}"),
    }
}

fn rate_cols(r: Option<crate::funnel::stats::Rate>) -> Vec<String> {
    match r {
        Some(r) => vec![format!("{:.4}", r.value), format!("{:.4}", r.low), format!("{:.4}", r.high)],
        None => vec![String::new(); 3],
    }
}

fn funnel_csv(m: &ReportModel, f: &model::FunnelView) -> Vec<u8> {
    let rows = f
        .stages
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut r = vec![(k + 1).to_string(), s.name.clone(), cell_text(s.count, m.min_cell)];
            r.extend(rate_cols(s.rate_from_previous));
            r.extend(rate_cols(s.rate_from_entry));
            r.push(cell_text(s.this_period, m.min_cell));
            r.push(cell_text(s.previous_period, m.min_cell));
            r.push(s.four_week_average.map(|a| format!("{a:.2}")).unwrap_or_default());
            r
        })
        .collect();
    csv_bytes(
        &[
            "stage",
            "name",
            "people",
            "rate_from_previous",
            "rate_from_previous_low",
            "rate_from_previous_high",
            "rate_from_entry",
            "rate_from_entry_low",
            "rate_from_entry_high",
            "this_week",
            "last_week",
            "four_week_average",
        ],
        rows,
    )
}

fn cohorts_csv(m: &ReportModel, f: &model::FunnelView) -> Vec<u8> {
    let mut header: Vec<String> = vec!["week".into(), "start".into(), "maturing".into()];
    header.extend(f.stages.iter().map(|s| s.name.clone()));
    let rows = f
        .cohorts
        .iter()
        .map(|c| {
            let mut r = vec![c.period.clone(), c.start.clone(), c.maturing.to_string()];
            r.extend(c.counts.iter().map(|v| cell_text(*v, m.min_cell)));
            r
        })
        .collect();
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_bytes(&h, rows)
}

fn quality_csv(m: &ReportModel) -> Vec<u8> {
    let rows = m
        .quality
        .files
        .iter()
        .map(|f| {
            vec![
                f.source.clone(),
                f.file.clone(),
                f.rows.to_string(),
                f.events.to_string(),
                f.quarantined.to_string(),
                f.skipped.to_string(),
                f.notes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "),
                f.sha256.clone(),
            ]
        })
        .collect();
    csv_bytes(
        &["source", "file", "rows", "events", "quarantined", "skipped", "read_as", "sha256"],
        rows,
    )
}

/// Writes the report into `reports_dir/<period>/` atomically and points `latest` at it.
/// `run_json` is written last into the same folder. Returns the published folder.
pub fn publish(reports_dir: &Path, m: &ReportModel, run_json: &serde_json::Value) -> anyhow::Result<PathBuf> {
    let files = render(m)?;
    std::fs::create_dir_all(reports_dir).with_context(|| format!("cannot create {}", reports_dir.display()))?;
    let final_dir = reports_dir.join(&m.period);
    recover(reports_dir)?;
    let staging = reports_dir.join(format!(".staging-{}-{}", m.period, std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    let result = (|| -> anyhow::Result<()> {
        for f in &files {
            write_synced(&staging.join(&f.path), &f.bytes)?;
        }
        let mut rj = serde_json::to_string_pretty(run_json)?;
        rj.push('\n');
        write_synced(&staging.join("run.json"), rj.as_bytes())?;
        sync_dir(&staging)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e.context("writing the report failed; the previous report is untouched"));
    }
    crate::lock::pause_point("staged");
    // Swap into place: the old folder is moved aside first, then removed. A run killed between
    // the two renames leaves `.old-<period>-<pid>`, which the next run puts back (`recover`).
    let old = reports_dir.join(format!(".old-{}-{}", m.period, std::process::id()));
    let had_old = final_dir.exists();
    if had_old {
        std::fs::rename(&final_dir, &old)?;
    }
    crate::lock::pause_point("swapped-out");
    if let Err(e) = std::fs::rename(&staging, &final_dir) {
        if had_old {
            let _ = std::fs::rename(&old, &final_dir);
        }
        return Err(anyhow::Error::from(e).context("publishing the report failed; the previous report is untouched"));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    point_latest(reports_dir, &m.period)?;
    write_index(reports_dir, &m.pipeline)?;
    sync_dir(reports_dir)?;
    Ok(final_dir)
}

/// Cleans up after a run killed while publishing (runs of one pipeline never overlap:
/// the lock): a previous report moved aside but not replaced goes back into place; half-written
/// staging folders and leftovers of replaced reports are removed.
fn recover(reports_dir: &Path) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(reports_dir)?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some((period, _pid)) = name.strip_prefix(".old-").and_then(|r| r.rsplit_once('-')) {
            let final_dir = reports_dir.join(period);
            if final_dir.exists() || period.is_empty() || period.starts_with('.') {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::rename(&path, &final_dir)?;
            }
        } else if name.starts_with(".staging-") {
            std::fs::remove_dir_all(&path)?;
        }
    }
    Ok(())
}

/// `reports/<pipeline>/index.html`: every published week, newest first, with its headline
/// numbers (read back from each week's metrics.json, already suppressed) and a link.
fn write_index(reports_dir: &Path, pipeline: &str) -> anyhow::Result<()> {
    let mut weeks: Vec<(String, serde_json::Value)> = Vec::new();
    for entry in std::fs::read_dir(reports_dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "latest" || !entry.path().is_dir() {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(entry.path().join("metrics.json")) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                weeks.push((name, v));
            }
        }
    }
    weeks.sort_by(|a, b| b.0.cmp(&a.0));
    let cell = |v: &serde_json::Value, min: &serde_json::Value| match v.as_u64() {
        Some(n) => model::thousands(n),
        None => format!("&lt;{}", min.as_u64().unwrap_or(10)),
    };
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{0} — weekly reports</title>\n<style>body{{font-family:\"DejaVu Sans\",Roboto,Helvetica,Arial,sans-serif;color:#1d2430;max-width:980px;margin:0 auto;padding:24px 16px}}table{{border-collapse:collapse;width:100%}}th,td{{text-align:right;padding:4px 8px;border-bottom:1px solid #d9dde3}}th:first-child,td:first-child{{text-align:left}}th{{background:#f6f7f9}}</style>\n</head>\n<body>\n<h1>{0}: weekly reports</h1>\n<p><a href=\"latest/index.html\">Latest report</a></p>\n<table>\n<thead><tr><th>Week</th><th>New people</th><th>People who took part</th><th>Show rate</th></tr></thead>\n<tbody>\n",
        html::esc(pipeline)
    ));
    for (name, v) in &weeks {
        let min = &v["min_cell"];
        let show = v["attendance"]["show_rate"]["rate"]["value"]
            .as_f64()
            .map(pct)
            .unwrap_or_else(|| "–".into());
        h.push_str(&format!(
            "<tr><td><a href=\"{0}/index.html\">{0}</a> <small>{1} to {2}</small></td><td>{3}</td><td>{4}</td><td>{5}</td></tr>\n",
            html::esc(name),
            html::esc(v["period_start"].as_str().unwrap_or("")),
            html::esc(v["period_end"].as_str().unwrap_or("")),
            cell(&v["new_people"]["this_period"], min),
            cell(&v["active_people"]["this_period"], min),
            show
        ));
    }
    h.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    let tmp = reports_dir.join(format!(".index-{}.html", std::process::id()));
    write_synced(&tmp, h.as_bytes())?;
    std::fs::rename(&tmp, reports_dir.join("index.html"))?;
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `latest` → `<period>`, replaced atomically (a new link renamed over the old).
fn point_latest(reports_dir: &Path, period: &str) -> anyhow::Result<()> {
    let tmp = reports_dir.join(format!(".latest-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(period, &tmp)?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, period)?;
    std::fs::rename(&tmp, reports_dir.join("latest"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+1 312"), "'+1 312");
        assert_eq!(csv_safe("-2"), "'-2");
        assert_eq!(csv_safe("@SUM"), "'@SUM");
        assert_eq!(csv_safe("Rosa"), "Rosa");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Group to meeting", 0), "group-to-meeting");
        assert_eq!(slug("¡¿", 2), "funnel-3");
    }
}
