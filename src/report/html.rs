//! The report page: one self-contained `index.html` (inline CSS and SVG, no JavaScript).
//!
//! Takes: the [`ReportModel`] and the charts' SVG. Gives: HTML text. Promises: every string
//! that came from an export or the pipeline file is escaped; the page needs no network and no
//! script, reads on a phone and prints on A4/Letter.

use std::fmt::Write;

use super::model::{pct, thousands, Cell, ReportModel};

/// A published count as HTML text: "1,234", or "&lt;10" when hidden.
fn show(c: Cell, min: u64) -> String {
    esc(&super::model::show(c, min))
}

pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
:root { --ink:#1d2430; --muted:#5b6472; --line:#d9dde3; --blue:#0072B2; --orange:#E69F00; --green:#009E73; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; }
.card { background: var(--bg); border-radius: 8px; padding: 10px 12px; }
.card .label { font-size: .85rem; color: var(--muted); }
.card .value { font-size: 1.7rem; font-weight: bold; }
.card .change { font-size: .85rem; }
.up { color: var(--green); } .down { color: #b3541e; } .flat { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: 8px 0; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
th { background: var(--bg); }
tr.maturing td { color: var(--muted); font-style: italic; }
.chart svg { width: 100%; height: auto; max-width: 900px; }
.note { font-size: .85rem; color: var(--muted); }
dl dt { font-weight: bold; margin-top: 8px; } dl dd { margin: 2px 0 0 0; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } .chart, table { break-inside: avoid; } }
"#;

pub struct ChartSvgs {
    /// Per funnel: (funnel chart, cohort chart).
    pub funnels: Vec<(String, String)>,
    /// Per funnel, per breakdown: (rate chart, its title).
    pub breakdowns: Vec<Vec<(String, String)>>,
    /// Per funnel: the time-to-convert histogram, when one can be published.
    pub timing: Vec<Option<String>>,
    /// New and active people by week.
    pub weeks: String,
}

fn change(now: Cell, before: Option<f64>, what: &str) -> String {
    match (now, before) {
        (Some(n), Some(b)) if b > 0.0 => {
            let d = (n as f64 - b) / b;
            let (cls, arrow) = if d > 0.005 {
                ("up", "▲")
            } else if d < -0.005 {
                ("down", "▼")
            } else {
                ("flat", "■")
            };
            format!("<span class=\"{cls}\">{arrow} {:+.0}%</span> vs {what}", d * 100.0)
        }
        _ => format!("<span class=\"flat\">–</span> vs {what} (too few to compare)"),
    }
}

pub fn render(m: &ReportModel, charts: &ChartSvgs) -> String {
    let mut h = String::new();
    let min = m.min_cell;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} — {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        esc(&m.pipeline),
        esc(&m.period),
        CSS
    );
    let _ = write!(
        h,
        "<header id=\"headline\">\n<h1>{}: week {}</h1>\n<p class=\"sub\">{} to {} ({}). Data through {}. Counts below {} are not shown, to protect the people in them.</p>\n",
        esc(&m.pipeline),
        esc(&m.period),
        esc(&m.period_start),
        esc(&m.period_end),
        esc(&m.timezone),
        esc(&m.data_through),
        min
    );
    h.push_str("<div class=\"cards\">\n");
    for (label, hv) in [("New people reached", &m.new_people), ("People who took part", &m.active_people)] {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"change\">{}<br>{}</div></div>",
            label,
            show(hv.this_period, min),
            change(hv.this_period, hv.previous_period.map(|v| v as f64), "last week"),
            change(hv.this_period, hv.four_week_average, "4-week average"),
        );
    }
    if let Some(r) = m.attendance.show_rate.rate {
        let _ = writeln!(h, "<div class=\"card\"><div class=\"label\">Show rate (all weeks)</div><div class=\"value\">{}</div><div class=\"change\">of {} RSVPs to meetings with attendance taken</div></div>", pct(r.value), show(m.attendance.show_rate.rsvps, min));
    }
    h.push_str("</div>\n");
    for f in &m.funnels {
        let _ = write!(h, "<h3>{} — this week</h3>\n<div class=\"cards\">\n", esc(&f.name));
        for s in &f.stages {
            let _ = writeln!(
                h,
                "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"change\">{}<br>{}</div></div>",
                esc(&s.name),
                show(s.this_period, min),
                change(s.this_period, s.previous_period.map(|v| v as f64), "last week"),
                change(s.this_period, s.four_week_average, "4-week average"),
            );
        }
        h.push_str("</div>\n");
    }
    h.push_str("</header>\n");

    for (fi, f) in m.funnels.iter().enumerate() {
        let (funnel_svg, cohort_svg) = charts.funnels.get(fi).cloned().unwrap_or_default();
        let headline = funnel_finding(f);
        let _ = write!(
            h,
            "<section id=\"funnel-{fi}\" class=\"funnel\">\n<h2>{}</h2>\n<p class=\"sub\">{}</p>\n<div class=\"chart\">{}</div>\n",
            esc(&headline),
            esc(&format!(
                "Funnel \"{}\": everyone who entered up to the end of this week; a step counts if it happened within {} of entry.",
                f.name, f.window
            )),
            funnel_svg
        );
        h.push_str("<table>\n<thead><tr><th>Stage</th><th>People</th><th>Of previous stage</th><th>Of everyone who entered</th></tr></thead>\n<tbody>\n");
        for s in &f.stages {
            let r = |x: &Option<crate::funnel::stats::Rate>| match x {
                Some(r) => format!("{} <span class=\"note\">({}–{})</span>", pct(r.value), pct(r.low), pct(r.high)),
                None => "–".to_string(),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.name),
                show(s.count, min),
                r(&s.rate_from_previous),
                r(&s.rate_from_entry)
            );
        }
        h.push_str("</tbody>\n</table>\n<p class=\"note\">In brackets: the range the true rate very likely lies in (95% Wilson interval). Wide ranges mean few people: do not read much into them.</p>\n");

        let last = f.stages.get(super::cohort_target(f)).map(|s| s.name.as_str()).unwrap_or("");
        let _ = write!(
            h,
            "<h3 id=\"cohorts-{fi}\">By week of entry: who reached \"{}\"</h3>\n<div class=\"chart\">{}</div>\n",
            esc(last),
            cohort_svg
        );
        h.push_str("<table>\n<thead><tr><th>Week entered</th>");
        for s in &f.stages {
            let _ = write!(h, "<th>{}</th>", esc(&s.name));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for c in &f.cohorts {
            let _ = write!(
                h,
                "<tr{}><td>{} <span class=\"note\">{}{}</span></td>",
                if c.maturing { " class=\"maturing\"" } else { "" },
                esc(&c.period),
                esc(&c.start),
                if c.maturing { " · still maturing" } else { "" }
            );
            if c.counts.first() == Some(&Some(0)) {
                let _ = writeln!(h, "<td colspan=\"{}\">nobody entered</td></tr>", c.counts.len());
                continue;
            }
            for (k, v) in c.counts.iter().enumerate() {
                let rate = if k == 0 {
                    String::new()
                } else {
                    c.rates[k]
                        .map(|r| format!(" <span class=\"note\">{}</span>", pct(r)))
                        .unwrap_or_default()
                };
                let _ = write!(h, "<td>{}{}</td>", show(*v, min), rate);
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>\n<p class=\"note\">A cohort is <em>still maturing</em> while its people are within the funnel's window: its later stages can still grow, so do not compare it with older weeks yet.</p>\n");
        timing_html(&mut h, fi, f, min, charts.timing.get(fi).cloned().flatten());
        breakdowns_html(&mut h, fi, f, min, charts.breakdowns.get(fi).map(Vec::as_slice).unwrap_or(&[]));
        h.push_str("</section>\n");
    }
    attendance_html(&mut h, m, &charts.weeks);

    // Data quality
    let q = &m.quality;
    let _ = write!(
        h,
        "<section id=\"quality\">\n<h2>Data quality: {} rows read, {} set aside</h2>\n<p class=\"sub\">Rows set aside (quarantined) are listed by file and line in <code>work/{}/quarantine.parquet</code> for the data lead to fix.</p>\n",
        thousands(q.rows_read),
        thousands(q.quarantined),
        esc(&m.pipeline)
    );
    h.push_str("<table>\n<thead><tr><th>Source / file</th><th>Rows</th><th>Events</th><th>Set aside</th><th>Skipped</th><th>Read as</th></tr></thead>\n<tbody>\n");
    for f in &q.files {
        let notes = f.notes.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ");
        let _ = writeln!(
            h,
            "<tr><td>{}<br><span class=\"note\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"note\">{}</td></tr>",
            esc(&f.source),
            esc(&f.file),
            thousands(f.rows),
            thousands(f.events),
            thousands(f.quarantined),
            thousands(f.skipped),
            esc(&notes)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if !q.quarantined_by_reason.is_empty() {
        h.push_str("<h3>Why rows were set aside</h3>\n<table>\n<thead><tr><th>Reason</th><th>Rows</th></tr></thead>\n<tbody>\n");
        for (r, n) in &q.quarantined_by_reason {
            let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(&reason_words(r)), thousands(*n));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    let id = &q.identity;
    let _ = write!(
        h,
        "<h3 id=\"identity\">Who is who</h3>\n<p>{} records became {} people ({} organizers, left out of every count). {} people were recognised across more than one identifier (the same email, phone or display name in different records).</p>\n",
        thousands(id.records),
        thousands(id.persons),
        thousands(id.organizers),
        thousands(id.persons_linked_across_identifiers)
    );
    if !id.links_by_rule.is_empty() {
        h.push_str("<table>\n<thead><tr><th>How records were joined</th><th>Joins</th></tr></thead>\n<tbody>\n");
        for (r, n) in &id.links_by_rule {
            let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(&rule_words(r)), thousands(*n));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    if !id.records_per_person.is_empty() {
        let order = ["1", "2", "3-5", "6-10", "11+"];
        let parts: Vec<String> = order
            .iter()
            .filter_map(|b| id.records_per_person.get(*b).map(|n| format!("{b}: {}", thousands(*n))))
            .collect();
        let _ = writeln!(h, "<p>Records per person — {}.</p>", esc(&parts.join(", ")));
    }
    let flagged: u64 = id.shared_keys_flagged.values().sum();
    let _ = writeln!(
        h,
        "<p>{} emails, phones or tool ids were seen with several clearly different names (a family phone, an office email, an organizer signing others in) and were not used to link. {} chat display names were shown by more than one person and were not used either.</p>",
        thousands(flagged),
        thousands(id.ambiguous_display_names)
    );
    if id.probable.linked + id.probable.refused_ambiguous + id.probable.refused_weak > 0 {
        let _ = writeln!(
            h,
            "<p>Probable links by name: {} people known only by a name were joined to the one person with that name at the same worksite or meeting; {} were left apart because several people fit, {} because the name or the corroboration was too weak.</p>",
            thousands(id.probable.linked),
            thousands(id.probable.refused_ambiguous),
            thousands(id.probable.refused_weak)
        );
    }
    if id.overrides.same + id.overrides.different + id.overrides.unmatched > 0 {
        let _ = writeln!(
            h,
            "<p>Manual overrides: {} same-person and {} different-person pairs applied, {} not found in this week's data; {} joins were refused because an override says two records are different people.</p>",
            thousands(id.overrides.same),
            thousands(id.overrides.different),
            thousands(id.overrides.unmatched),
            thousands(id.conflicts)
        );
    }
    if id.ids.new + id.ids.changed > 0 {
        let _ = writeln!(
            h,
            "<p>Person ids since the last run: {} new people, {} ids changed ({} merged into another person, {} split apart); everyone else kept their id.</p>",
            thousands(id.ids.new),
            thousands(id.ids.changed),
            thousands(id.ids.merged),
            thousands(id.ids.split)
        );
    }
    if !id.identifiers_rejected.is_empty() {
        let list = id
            .identifiers_rejected
            .iter()
            .map(|(k, v)| format!("{} {}", thousands(*v), reason_words(k)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(h, "<p class=\"note\">Identifiers not used because they are not valid: {}. The records were kept; they just could not be linked through that identifier.</p>", esc(&list));
    }
    h.push_str("</section>\n");

    h.push_str(METHOD);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// A join rule in plain words.
fn rule_words(rule: &str) -> String {
    match rule {
        "shown together on a record" => "Email, phone or tool id written on the same record".into(),
        "same display name in one chat" => "The same display name in one group chat".into(),
        "override: same person" => "A manual override (same person)".into(),
        "probable: name and corroboration" => "Probable: the same name at the same worksite or meeting".into(),
        other => other.to_string(),
    }
}

fn days(v: Option<f64>) -> String {
    match v {
        Some(d) if d < 1.0 => format!("{:.0} h", d * 24.0),
        Some(d) => format!("{d:.1} d"),
        None => "–".into(),
    }
}

fn timing_html(h: &mut String, fi: usize, f: &super::model::FunnelView, min: u64, chart: Option<String>) {
    let _ = writeln!(h, "<h3 id=\"timing-{fi}\">How long it takes</h3>");
    if let Some(svg) = chart {
        let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
    }
    h.push_str("<table>\n<thead><tr><th>Stage</th><th>People</th><th>Median from entry</th><th>Middle half</th><th>9 in 10 within</th><th>Median from previous stage</th></tr></thead>\n<tbody>\n");
    for t in &f.time_to_convert {
        let d = &t.from_entry;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.name),
            show(d.people, min),
            days(d.median),
            days(d.p25),
            days(d.p75),
            days(d.p90),
            days(t.from_previous.as_ref().and_then(|p| p.median))
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"note\">Days between the two steps, counted at the precision of the records (a sign-in sheet with only a date counts from that day's start).</p>\n");
}

/// A breakdown's name in plain words: `utm_source@RSVP'd` → `recruitment source (utm_source) on the RSVP'd step`.
pub fn breakdown_words(name: &str) -> String {
    let (dim, at) = match name.split_once('@') {
        Some((d, s)) => (d, Some(s)),
        None => (name, None),
    };
    let dim = match dim {
        "first_channel" | "channel" => "first channel".to_string(),
        "first_tool" | "tool" => "first tool".to_string(),
        "source" => "first source".to_string(),
        "context" => "group, list or meeting".to_string(),
        "utm_source" | "utm_medium" | "utm_campaign" => format!("recruitment {} ({dim})", &dim[4..]),
        other => other.replace('_', " "),
    };
    match at {
        Some(stage) => format!("{dim}, as of \"{stage}\""),
        None => dim,
    }
}

fn breakdowns_html(h: &mut String, fi: usize, f: &super::model::FunnelView, min: u64, charts: &[(String, String)]) {
    for (bi, b) in f.breakdowns.iter().enumerate() {
        let k = super::breakdown_target(b, f.stages.len());
        let stage = f.stages.get(k).map(|s| s.name.as_str()).unwrap_or("");
        let heading = match breakdown_finding(b, k, stage) {
            Some(finding) => format!("By {}: {finding}", breakdown_words(&b.name)),
            None => format!("By {}", breakdown_words(&b.name)),
        };
        let _ = writeln!(h, "<h3 id=\"breakdown-{fi}-{bi}\">{}</h3>", esc(&heading));
        if let Some((svg, _)) = charts.get(bi) {
            let _ = writeln!(h, "<div class=\"chart\">{svg}</div>");
        }
        h.push_str("<table>\n<thead><tr><th>Bucket</th>");
        for s in &f.stages {
            let _ = write!(h, "<th>{}</th>", esc(&s.name));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for x in &b.buckets {
            let _ = write!(h, "<tr><td>{}", esc(&x.value));
            if !x.clearly_differs_from.is_empty() {
                let _ = write!(
                    h,
                    " <span class=\"note\">clearly different from {}</span>",
                    esc(&x.clearly_differs_from.join(", "))
                );
            }
            h.push_str("</td>");
            for (k, c) in x.counts.iter().enumerate() {
                let r = if k == 0 {
                    String::new()
                } else {
                    x.rates_from_entry[k]
                        .map(|r| format!(" <span class=\"note\">{}</span>", pct(r.value)))
                        .unwrap_or_default()
                };
                let _ = write!(h, "<td>{}{}</td>", show(*c, min), r);
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>\n");
    }
    if !f.breakdowns.is_empty() {
        h.push_str("<p class=\"note\">Percentages are of the bucket's people who entered. \"Clearly different\" means the two ranges of likely values do not overlap at the last stage; otherwise a gap may be noise.</p>\n");
    }
}

fn attendance_html(h: &mut String, m: &ReportModel, weeks_svg: &str) {
    let min = m.min_cell;
    let a = &m.attendance;
    let title = match a.show_rate.rate {
        Some(r) => format!("Meetings: {} of RSVPs show up", pct(r.value)),
        None => "Meetings: too few RSVPs with attendance taken to give a show rate".to_string(),
    };
    let _ = writeln!(h, "<section id=\"attendance\">\n<h2>{}</h2>", esc(&title));
    let s = &a.show_rate;
    let _ = writeln!(
        h,
        "<p>All weeks: {} RSVPs to meetings where attendance was taken; {} came. Apart from those: {} no-shows recorded, {} declined, {} cancelled, {} walk-ins without an RSVP, and {} RSVPs to meetings where nobody took attendance (left out of the rate).</p>",
        show(s.rsvps, min),
        show(s.showed, min),
        show(s.no_shows, min),
        show(s.declined, min),
        show(s.cancelled, min),
        show(s.walk_ins, min),
        show(s.unmarked_rsvps, min)
    );
    if !a.by_occasion.is_empty() {
        h.push_str(
            "<table>\n<thead><tr><th>Meeting</th><th>RSVPs</th><th>Came</th><th>Show rate</th><th>Walk-ins</th></tr></thead>\n<tbody>\n",
        );
        for o in a.by_occasion.iter().rev().take(12) {
            let _ = writeln!(
                h,
                "<tr><td>{} <span class=\"note\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&o.occasion),
                esc(&o.date),
                show(o.show.rsvps, min),
                show(o.show.showed, min),
                o.show.rate.map(|r| pct(r.value)).unwrap_or_else(|| "–".into()),
                show(o.show.walk_ins, min)
            );
        }
        h.push_str("</tbody>\n</table>\n<p class=\"note\">The 12 most recent meetings with attendance taken.</p>\n");
    }
    h.push_str("<h3 id=\"repeat\">Coming back</h3>\n<table>\n<thead><tr><th>Within</th><th>First-time attenders</th><th>Came to another meeting</th><th>Rate</th><th>Rate, fully observed only</th></tr></thead>\n<tbody>\n");
    for r in &a.repeat_attendance {
        let _ = writeln!(
            h,
            "<tr><td>{} days</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.days,
            show(r.first_attenders, min),
            show(r.came_back, min),
            r.rate.map(|x| pct(x.value)).unwrap_or_else(|| "–".into()),
            r.rate_observed.map(|x| pct(x.value)).unwrap_or_else(|| "–".into())
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"note\">\"Fully observed\" counts only people whose first meeting was long enough ago for the whole period to be in the data.</p>\n");
    let d = &a.first_touch_to_first_meeting;
    let _ = writeln!(
        h,
        "<h3 id=\"first-meeting\">From first contact to first meeting</h3>\n<p>{} people came to a meeting after we first reached them in a chat, by text, by email or through a form. Half of them took {} or less; one in four took more than {}. {} came to a meeting before any digital contact.</p>",
        show(d.people, min),
        days(d.median),
        days(d.p75),
        show(a.met_before_digital_touch, min)
    );
    let _ = write!(
        h,
        "<h3 id=\"weeks\">New and active people by week</h3>\n<div class=\"chart\">{weeks_svg}</div>\n"
    );
    h.push_str("<table>\n<thead><tr><th>Week</th><th>New people</th><th>People who took part</th></tr></thead>\n<tbody>\n");
    for w in &m.weeks {
        let _ = writeln!(
            h,
            "<tr><td>{} <span class=\"note\">{}</span></td><td>{}</td><td>{}</td></tr>",
            esc(&w.period),
            esc(&w.start),
            show(w.new_people, min),
            show(w.active_people, min)
        );
    }
    h.push_str("</tbody>\n</table>\n<p class=\"note\">New: first seen that week in any export. Took part: did something themselves (posted, replied, RSVP'd, came to a meeting, joined, subscribed, filled a form); being texted or added to a group does not count.</p>\n</section>\n");
}

/// Days in words for a title: "5 hours", "1 day", "4 days".
pub fn days_words(d: f64) -> String {
    if d < 1.0 {
        let h = (d * 24.0).round().max(1.0) as u64;
        format!("{h} hour{}", if h == 1 { "" } else { "s" })
    } else {
        let n = d.round() as u64;
        format!("{n} day{}", if n == 1 { "" } else { "s" })
    }
}

/// The finding a breakdown chart's title states, when the numbers support one: the bucket
/// reaching stage `k` most often against the one reaching it least often, when their 95%
/// intervals do not overlap ("\u{201c}sms\u{201d} reaches \u{201c}RSVP'd\u{201d} 2.1× as often as
/// \u{201c}email\u{201d}").
pub fn breakdown_finding(b: &super::model::BreakdownView, k: usize, stage: &str) -> Option<String> {
    let rated: Vec<(&str, crate::funnel::stats::Rate)> = b
        .buckets
        .iter()
        .filter(|x| x.value != "unknown")
        .filter_map(|x| x.rates_from_entry.get(k).copied().flatten().map(|r| (x.value.as_str(), r)))
        .collect();
    let best = rated.iter().max_by(|a, b| a.1.value.total_cmp(&b.1.value))?;
    let worst = rated.iter().min_by(|a, b| a.1.value.total_cmp(&b.1.value))?;
    if best.0 == worst.0 || best.1.low <= worst.1.high {
        return None;
    }
    let ratio = match worst.1.value {
        w if w > 0.0 => format!("{:.1}× as often as", best.1.value / w),
        _ => "far more often than".to_string(),
    };
    Some(format!(
        "\u{201c}{}\u{201d} reaches \u{201c}{stage}\u{201d} {ratio} \u{201c}{}\u{201d}",
        best.0, worst.0
    ))
}

/// The finding a funnel's chart title states.
pub fn funnel_finding(f: &super::model::FunnelView) -> String {
    // The biggest drop between consecutive published stages.
    let mut worst: Option<(usize, f64)> = None;
    for (k, s) in f.stages.iter().enumerate().skip(1) {
        if let Some(r) = s.rate_from_previous {
            if worst.is_none_or(|(_, w)| r.value < w) {
                worst = Some((k, r.value));
            }
        }
    }
    match worst {
        Some((k, r)) => format!(
            "{}: the biggest loss is between \"{}\" and \"{}\" ({} go on)",
            f.name,
            f.stages[k - 1].name,
            f.stages[k].name,
            pct(r)
        ),
        None => format!("{}: too few people yet to show conversion", f.name),
    }
}

pub fn reason_words(code: &str) -> String {
    match code {
        "bad_timestamp" => "date or time not in the expected format".into(),
        "missing_timestamp" => "no date or time".into(),
        "unmapped_action" => "status not in the pipeline's action map".into(),
        "no_identifier" => "no email, phone, name or id".into(),
        "unreadable_row" => "row the CSV reader could not read".into(),
        "invalid_phone" => "invalid phone numbers".into(),
        "invalid_email" => "invalid emails".into(),
        other => other.replace('_', " "),
    }
}

const METHOD: &str = r#"<section id="method">
<h2>How to read this</h2>
<dl>
<dt>People, not messages</dt><dd>Every count is of people. turnout joins the exports of every tool into one timeline per person, linking records that share an email, a phone number or a tool id (and, within one group chat, a display name; when the pipeline allows it, a name alone joins the one person with that name at the same worksite or meeting). The data-quality section says how many records were joined by each rule. Organizers are left out of every count.</dd>
<dt>Entering the funnel</dt><dd>A person enters on the first day they reach the first stage, over all the data we have, and belongs to the week of that day (their cohort). Entering again later does not count twice.</dd>
<dt>Moving up</dt><dd>Each later stage counts when it happens after the previous one and within the funnel's window from entry. One action never counts for two stages; "came back" needs a different meeting than the first one. A sign-in sheet with only a date counts as happening that day.</dd>
<dt>Of previous stage / of everyone who entered</dt><dd>Conversion from the stage just above, and from the top of the funnel. The range in brackets is where the true rate very likely lies; with few people it is wide.</dd>
<dt>Still maturing</dt><dd>People who entered recently may still move up within their window. Their week is marked and should not be compared with older weeks yet.</dd>
<dt>This week</dt><dd>How many people reached each stage during the report week, compared with the week before and with the average of the four weeks before.</dd>
<dt>Hidden small numbers</dt><dd>Any count below the pipeline's minimum is shown as "&lt;N" and some other cells may be hidden with it so it cannot be worked out from totals. The people in this report can lose their jobs if identified.</dd>
</dl>
</section>
"#;
