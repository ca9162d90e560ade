//! Charts for the weekly report: the stage funnel and conversion by entry week.
//!
//! **Takes** plain, already-aggregated numbers ([`FunnelBar`], [`CohortPoint`]) plus a title.
//! Privacy suppression has happened upstream: a suppressed count arrives as `count: None` with
//! its display text (`"<10"`) in `shown`, and this module never tries to reconstruct it.
//!
//! **Gives** a [`Chart`]: the same picture as an SVG document and as PNG bytes, both drawn by one
//! piece of drawing code through plotters (`SVGBackend` and `BitMapBackend`).
//!
//! **Promises**
//! - No system fonts: DejaVu Sans is compiled into the binary and registered once with plotters'
//!   `ab_glyph` font support under the family name `"sans-serif"`, the only family used here.
//! - Deterministic output: the same input gives byte-identical SVG and PNG. The PNG is written by
//!   a small encoder in this file (fixed-Huffman deflate, no timestamps, no extra chunks).
//! - Text from the data (titles, stage names, week labels) is cleaned of control characters and
//!   escaped by the SVG backend, so the SVG stays well-formed XML whatever the labels contain.
//!   Text too wide for the canvas is shortened with "…" rather than cut off at the edge.
//! - Colour-blind-safe Okabe–Ito colours (blue #0072B2 for data, grey #999999 for what is still
//!   maturing), white background, text drawn at plotters size 19 or larger (an em of at least
//!   16 px in the PNG).
//! - Sizes: funnel 900 × (120 + 70 per stage) px, at most 100 stages (more is an error);
//!   cohort chart 900 × 420 px.
//! - No panics on empty input, suppressed values, zero counts or out-of-range rates (rates are
//!   clamped to [0, 1]; NaN counts as missing). Drawing failures come back as errors.

use std::sync::OnceLock;

use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontDesc, FontFamily, FontStyle};

/// A rendered chart: the same drawing as SVG text and as PNG bytes.
pub struct Chart {
    pub svg: String,
    pub png: Vec<u8>,
}

/// One stage of the funnel.
pub struct FunnelBar {
    /// Stage name, e.g. "Came to a meeting".
    pub label: String,
    /// People at this stage; `None` when suppressed for privacy (no bar is drawn, only `shown`).
    pub count: Option<u64>,
    /// Text printed for the count: "1,234" or "<10".
    pub shown: String,
    /// Conversion from the previous stage in [0, 1]; `None` for the first stage or when suppressed.
    pub step_rate: Option<f64>,
}

/// One entry-week cohort.
pub struct CohortPoint {
    /// Entry week, e.g. "W27" or "Jul 6".
    pub label: String,
    /// Share of the cohort reaching the target stage; `None` when nobody entered or suppressed.
    pub rate: Option<f64>,
    /// The cohort's window is not over yet: drawn hollow, dashed and grey, with a legend entry.
    pub maturing: bool,
}

/// Horizontal funnel: one bar per stage, top to bottom, bar length = count. Each stage name sits
/// left-aligned just above its bar (so long names are never squeezed into a margin); the count
/// text follows the end of the bar, then "58% of previous" for every stage after the first.
/// A suppressed stage (`count: None`) gets no bar, only its `shown` text in grey.
///
/// Errors if there are more than 100 stages, or if drawing fails.
pub fn funnel_chart(title: &str, bars: &[FunnelBar]) -> anyhow::Result<Chart> {
    if bars.len() > MAX_STAGES {
        bail!("a funnel chart shows at most {MAX_STAGES} stages, got {}", bars.len());
    }
    render(&Funnel { title, bars })
}

/// Line chart of conversion by entry week (y axis 0–100%).
pub fn cohort_chart(title: &str, target_stage: &str, points: &[CohortPoint]) -> anyhow::Result<Chart> {
    render(&Cohorts {
        title,
        target_stage,
        points,
    })
}

// ---------------------------------------------------------------------------------------------
// Font, colours, text helpers
// ---------------------------------------------------------------------------------------------

/// DejaVu Sans (see assets/fonts/DejaVu-LICENSE.txt), shipped with the crate.
static FONT_BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DejaVuSans.ttf"));

/// The one font family used anywhere in this module.
const FAMILY: &str = "sans-serif";

fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_string())
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

const WHITE_BG: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
/// Okabe–Ito blue: bars, complete cohorts.
const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Grey for shapes that are still maturing.
const OI_GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Text colours: near-black for data, a grey dark enough to read on white (≥ 4.5:1).
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x5F, 0x5F, 0x5F);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

/// Font sizes as plotters takes them (the PNG em is about 0.86 of this).
const TITLE_SIZE: f64 = 28.0;
const LABEL_SIZE: f64 = 22.0;
const SMALL_SIZE: f64 = 19.0;

/// Longest piece of caller text considered at all (anything longer is shortened anyway).
const MAX_TEXT_CHARS: usize = 300;

/// Caller text made safe to draw: control characters (which XML 1.0 forbids and which draw as
/// nothing) become spaces, non-characters are dropped, runs of whitespace collapse.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_TEXT_CHARS * 4));
    let mut last_space = true;
    for c in s.chars().take(MAX_TEXT_CHARS) {
        let c = if c.is_control() || c.is_whitespace() { ' ' } else { c };
        if matches!(c, '\u{FFFE}' | '\u{FFFF}') {
            continue;
        }
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim_end().to_string()
}

fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::from(FAMILY), size, FontStyle::Normal)
}

/// Width in pixels of `s` at `size`, as both backends lay it out (same font metrics).
fn text_width(s: &str, size: f64) -> Result<i32> {
    if s.is_empty() {
        return Ok(0);
    }
    let (w, _) = font(size).box_size(s).map_err(|e| anyhow!("measuring text failed: {e}"))?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

/// `s` shortened with "…" until it is at most `max_w` pixels wide.
fn fit(s: &str, size: f64, max_w: i32) -> Result<String> {
    if text_width(s, size)? <= max_w {
        return Ok(s.to_string());
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(&candidate, size)? <= max_w {
            return Ok(candidate);
        }
    }
    Ok(String::new())
}

/// Percentage text that never rounds a non-zero share to "0%" or a partial one to "100%".
fn percent(rate: f64) -> String {
    let r = rate.clamp(0.0, 1.0);
    let p = (r * 100.0).round();
    if p == 0.0 && r > 0.0 {
        "<1%".to_string()
    } else if p == 100.0 && r < 1.0 {
        ">99%".to_string()
    } else {
        format!("{p:.0}%")
    }
}

/// A rate that can be drawn: finite, clamped to [0, 1].
fn usable_rate(rate: Option<f64>) -> Option<f64> {
    rate.filter(|r| r.is_finite()).map(|r| r.clamp(0.0, 1.0))
}

fn draw_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("chart drawing failed: {e:?}")
}

/// Draw `s` at `pos` with the given anchor. Empty strings draw nothing.
fn text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &str,
    pos: (i32, i32),
    size: f64,
    color: &RGBColor,
    anchor: (HPos, VPos),
) -> Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    let style = TextStyle::from(font(size)).color(color).pos(Pos::new(anchor.0, anchor.1));
    root.draw_text(s, &style, pos).map_err(draw_err)
}

/// Week labels under a plot spanning `left..right` with one slot per label, thinned so they
/// never overlap (the latest week is always labelled), each with a tick at its slot's centre.
fn week_axis<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, labels: &[&str], left: i32, right: i32, bottom: i32) -> Result<()> {
    let n = labels.len();
    if n == 0 {
        return Ok(());
    }
    let w = root.dim_in_pixel().0 as i32;
    let step = (right - left) as f64 / n as f64;
    let x_of = |i: usize| left + (step * (i as f64 + 0.5)).round() as i32;
    let labels: Vec<String> = labels.iter().map(|l| fit(&clean(l), SMALL_SIZE, 150)).collect::<Result<_>>()?;
    let mut widest = 0;
    for l in &labels {
        widest = widest.max(text_width(l, SMALL_SIZE)?);
    }
    let every = (((widest + 14) as f64 / step).ceil() as usize).max(1);
    for (i, l) in labels.iter().enumerate() {
        if (n - 1 - i) % every != 0 {
            continue;
        }
        let half = text_width(l, SMALL_SIZE)? / 2;
        let x = x_of(i).clamp(MARGIN + half, w - MARGIN - half);
        root.draw(&PathElement::new(
            vec![(x_of(i), bottom), (x_of(i), bottom + 5)],
            OI_GREY.stroke_width(1),
        ))
        .map_err(draw_err)?;
        text(root, l, (x, bottom + 10), SMALL_SIZE, &INK, (HPos::Center, VPos::Top))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rendering: one drawing routine, two backends
// ---------------------------------------------------------------------------------------------

/// Something that can draw itself on any plotters backend.
trait Painting {
    fn size(&self) -> (u32, u32);
    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

fn render<P: Painting>(p: &P) -> Result<Chart> {
    ensure_font()?;
    let (w, h) = p.size();

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE_BG).map_err(draw_err)?;
        p.paint(&root)?;
        root.present().map_err(draw_err)?;
    }

    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE_BG).map_err(draw_err)?;
        p.paint(&root)?;
        root.present().map_err(draw_err)?;
    }
    let png = png::encode_rgb(w, h, &rgb)?;
    Ok(Chart { svg, png })
}

// ---------------------------------------------------------------------------------------------
// Funnel
// ---------------------------------------------------------------------------------------------

const FUNNEL_W: u32 = 900;
/// More stages than this is not a ladder anyone reads (and would be a very tall image).
const MAX_STAGES: usize = 100;
const FUNNEL_HEADER: i32 = 76;
const FUNNEL_ROW: i32 = 70;
const MARGIN: i32 = 24;

struct Funnel<'a> {
    title: &'a str,
    bars: &'a [FunnelBar],
}

impl Painting for Funnel<'_> {
    fn size(&self) -> (u32, u32) {
        // `funnel_chart` refuses more than MAX_STAGES bars before this is asked.
        let rows = self.bars.len().clamp(1, MAX_STAGES) as u32;
        (FUNNEL_W, 120 + 70 * rows)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let w = FUNNEL_W as i32;
        let inner = w - 2 * MARGIN;
        let title = fit(&clean(self.title), TITLE_SIZE, inner)?;
        text(root, &title, (MARGIN, 18), TITLE_SIZE, &INK, (HPos::Left, VPos::Top))?;

        if self.bars.is_empty() {
            let y = FUNNEL_HEADER + FUNNEL_ROW / 2;
            text(
                root,
                "No stages to show",
                (w / 2, y),
                LABEL_SIZE,
                &MUTED,
                (HPos::Center, VPos::Center),
            )?;
            return Ok(());
        }

        // What follows each bar: the count text, then the step conversion.
        struct Row {
            label: String,
            shown: String,
            rate: Option<String>,
            count: Option<u64>,
        }
        let rows: Vec<Row> = self
            .bars
            .iter()
            .enumerate()
            .map(|(i, b)| Row {
                label: clean(&b.label),
                shown: clean(&b.shown),
                rate: if i == 0 {
                    None
                } else {
                    usable_rate(b.step_rate).map(|r| format!("{} of previous", percent(r)))
                },
                count: b.count,
            })
            .collect();

        const GAP_AFTER_BAR: i32 = 10;
        const GAP_BEFORE_RATE: i32 = 16;
        let mut trailer = 0;
        for r in &rows {
            let mut t = text_width(&r.shown, LABEL_SIZE)?;
            if let Some(rate) = &r.rate {
                t += GAP_BEFORE_RATE + text_width(rate, SMALL_SIZE)?;
            }
            trailer = trailer.max(t);
        }
        // The longest bar leaves room for its trailing text, but bars never get shorter than
        // 40% of the width; trailing text that still does not fit is shortened below.
        let bar_max = (inner - GAP_AFTER_BAR - trailer).max(inner * 2 / 5);
        let max_count = rows.iter().filter_map(|r| r.count).max().unwrap_or(0);

        for (i, r) in rows.iter().enumerate() {
            let y0 = FUNNEL_HEADER + FUNNEL_ROW * i as i32;
            let label = fit(&r.label, LABEL_SIZE, inner)?;
            text(root, &label, (MARGIN, y0), LABEL_SIZE, &INK, (HPos::Left, VPos::Top))?;

            let (bar_top, bar_bottom) = (y0 + 24, y0 + 56);
            let bar_mid = (bar_top + bar_bottom) / 2;
            let mut x = MARGIN;
            // Zero draws no bar; anything above zero is at least 3 px so it is visible.
            if let Some(c) = r.count.filter(|&c| c > 0 && max_count > 0) {
                let len = ((c as f64 / max_count as f64) * bar_max as f64).round() as i32;
                let len = len.clamp(3, bar_max);
                root.draw(&Rectangle::new([(MARGIN, bar_top), (MARGIN + len, bar_bottom)], OI_BLUE.filled()))
                    .map_err(draw_err)?;
                x = MARGIN + len + GAP_AFTER_BAR;
            }
            // A suppressed stage has no bar: its text stands at the start, in grey.
            let colour = if r.count.is_some() { &INK } else { &MUTED };
            let room = MARGIN + inner - x;
            let shown = fit(&r.shown, LABEL_SIZE, room)?;
            text(root, &shown, (x, bar_mid), LABEL_SIZE, colour, (HPos::Left, VPos::Center))?;
            if let Some(rate) = &r.rate {
                let rx = x + text_width(&shown, LABEL_SIZE)? + GAP_BEFORE_RATE;
                let rate = fit(rate, SMALL_SIZE, MARGIN + inner - rx)?;
                text(root, &rate, (rx, bar_mid + 1), SMALL_SIZE, &MUTED, (HPos::Left, VPos::Center))?;
            }
        }

        let note_y = FUNNEL_HEADER + FUNNEL_ROW * rows.len() as i32 + 8;
        let note = fit(
            "Bar length: people who reached each stage. “% of previous”: share of the stage above.",
            SMALL_SIZE,
            inner,
        )?;
        text(root, &note, (MARGIN, note_y), SMALL_SIZE, &MUTED, (HPos::Left, VPos::Top))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Cohorts
// ---------------------------------------------------------------------------------------------

const COHORT_W: u32 = 900;
const COHORT_H: u32 = 420;

struct Cohorts<'a> {
    title: &'a str,
    target_stage: &'a str,
    points: &'a [CohortPoint],
}

impl Painting for Cohorts<'_> {
    fn size(&self) -> (u32, u32) {
        (COHORT_W, COHORT_H)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let w = COHORT_W as i32;
        let inner = w - 2 * MARGIN;
        let title = fit(&clean(self.title), TITLE_SIZE, inner)?;
        text(root, &title, (MARGIN, 16), TITLE_SIZE, &INK, (HPos::Left, VPos::Top))?;
        let subtitle = fit(
            &format!("Share of each entry week's newcomers who reached “{}”", clean(self.target_stage)),
            SMALL_SIZE,
            inner,
        )?;
        text(root, &subtitle, (MARGIN, 54), SMALL_SIZE, &MUTED, (HPos::Left, VPos::Top))?;

        // Plot area.
        let tick_w = text_width("100%", SMALL_SIZE)?;
        let (left, right) = (MARGIN + tick_w + 10, w - MARGIN - 6);
        let (top, bottom) = (112, 336);
        let y_of = |r: f64| bottom - ((bottom - top) as f64 * r).round() as i32;

        for q in 0..=4 {
            let r = q as f64 / 4.0;
            let y = y_of(r);
            let colour = if q == 0 { OI_GREY } else { GRID };
            root.draw(&PathElement::new(vec![(left, y), (right, y)], colour.stroke_width(1)))
                .map_err(draw_err)?;
            text(root, &percent(r), (left - 8, y), SMALL_SIZE, &MUTED, (HPos::Right, VPos::Center))?;
        }

        let n = self.points.len();
        if n == 0 {
            let msg = "No entry weeks to show yet";
            text(
                root,
                msg,
                ((left + right) / 2, (top + bottom) / 2),
                LABEL_SIZE,
                &MUTED,
                (HPos::Center, VPos::Center),
            )?;
            return Ok(());
        }
        let step = (right - left) as f64 / n as f64;
        let x_of = |i: usize| left + (step * (i as f64 + 0.5)).round() as i32;

        let labels: Vec<&str> = self.points.iter().map(|p| p.label.as_str()).collect();
        week_axis(root, &labels, left, right, bottom)?;

        let rates: Vec<Option<f64>> = self.points.iter().map(|p| usable_rate(p.rate)).collect();

        // Segments between neighbouring weeks that both have a rate; dashed grey into or out of
        // a maturing week.
        for i in 0..n.saturating_sub(1) {
            let (Some(a), Some(b)) = (rates[i], rates[i + 1]) else {
                continue;
            };
            let pts = vec![(x_of(i), y_of(a)), (x_of(i + 1), y_of(b))];
            if self.points[i].maturing || self.points[i + 1].maturing {
                root.draw(&DashedPathElement::new(pts, 7, 5, OI_GREY.stroke_width(3)))
                    .map_err(draw_err)?;
            } else {
                root.draw(&PathElement::new(pts, OI_BLUE.stroke_width(3))).map_err(draw_err)?;
            }
        }

        // Markers and, where there is room, the value above each one.
        let value_room = step as i32 >= text_width("100%", SMALL_SIZE)? + 6;
        let mut any_rate = false;
        for (i, p) in self.points.iter().enumerate() {
            let x = x_of(i);
            match rates[i] {
                Some(r) => {
                    any_rate = true;
                    let y = y_of(r);
                    if p.maturing {
                        root.draw(&Circle::new((x, y), 6, WHITE_BG.filled())).map_err(draw_err)?;
                        root.draw(&Circle::new((x, y), 6, OI_GREY.stroke_width(3))).map_err(draw_err)?;
                    } else {
                        root.draw(&Circle::new((x, y), 6, OI_BLUE.filled())).map_err(draw_err)?;
                    }
                    if value_room {
                        let colour = if p.maturing { &MUTED } else { &INK };
                        text(root, &percent(r), (x, y - 12), SMALL_SIZE, colour, (HPos::Center, VPos::Bottom))?;
                    }
                }
                None => {
                    if value_room {
                        text(root, "n/a", (x, bottom - 6), SMALL_SIZE, &MUTED, (HPos::Center, VPos::Bottom))?;
                    }
                }
            }
        }
        if !any_rate {
            let msg = "No rates to show (no newcomers, or too few to publish)";
            text(
                root,
                msg,
                ((left + right) / 2, (top + bottom) / 2),
                LABEL_SIZE,
                &MUTED,
                (HPos::Center, VPos::Center),
            )?;
        }

        // Legend, only when something is still maturing.
        if self.points.iter().any(|p| p.maturing) {
            let y = 396;
            let mut x = MARGIN + 10;
            root.draw(&PathElement::new(vec![(x - 7, y), (x + 12, y)], OI_BLUE.stroke_width(3)))
                .map_err(draw_err)?;
            root.draw(&Circle::new((x + 3, y), 6, OI_BLUE.filled())).map_err(draw_err)?;
            x += 26;
            let done = "final";
            text(root, done, (x, y), SMALL_SIZE, &INK, (HPos::Left, VPos::Center))?;
            x += text_width(done, SMALL_SIZE)? + 36;
            root.draw(&DashedPathElement::new(
                vec![(x - 7, y), (x + 12, y)],
                7,
                5,
                OI_GREY.stroke_width(3),
            ))
            .map_err(draw_err)?;
            root.draw(&Circle::new((x + 3, y), 6, WHITE_BG.filled())).map_err(draw_err)?;
            root.draw(&Circle::new((x + 3, y), 6, OI_GREY.stroke_width(3))).map_err(draw_err)?;
            x += 26;
            text(root, "still maturing", (x, y), SMALL_SIZE, &INK, (HPos::Left, VPos::Center))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Rates by bucket (breakdowns), with their 95% intervals
// ---------------------------------------------------------------------------------------------

/// One bucket of a breakdown.
pub struct RateBar {
    /// Bucket name, e.g. "sms" or "Store 12 Halsted workers".
    pub label: String,
    /// Share of the bucket reaching the stage, `None` when suppressed or nobody entered.
    pub rate: Option<f64>,
    /// The 95% interval of the rate.
    pub interval: Option<(f64, f64)>,
    /// Text after the bar: "12% of 140" or "<10 people".
    pub shown: String,
}

/// Horizontal bars of a rate per bucket, each with its 95% interval drawn as a whisker, on a
/// shared 0–100%-style axis (scaled to the largest upper bound). Buckets without a publishable
/// rate get no bar, only their text in grey.
pub fn rate_chart(title: &str, subtitle: &str, bars: &[RateBar]) -> anyhow::Result<Chart> {
    if bars.len() > MAX_STAGES {
        bail!("a rate chart shows at most {MAX_STAGES} buckets, got {}", bars.len());
    }
    render(&Rates { title, subtitle, bars })
}

struct Rates<'a> {
    title: &'a str,
    subtitle: &'a str,
    bars: &'a [RateBar],
}

/// A round upper end for a 0..x axis of shares: 10%, 25%, 50%, 75% or 100%.
fn axis_top(max: f64) -> f64 {
    [0.1, 0.25, 0.5, 0.75, 1.0].into_iter().find(|&t| max <= t + 1e-9).unwrap_or(1.0)
}

impl Painting for Rates<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.bars.len().clamp(1, MAX_STAGES) as u32;
        (FUNNEL_W, 150 + 62 * rows)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let w = FUNNEL_W as i32;
        let inner = w - 2 * MARGIN;
        text(
            root,
            &fit(&clean(self.title), TITLE_SIZE, inner)?,
            (MARGIN, 16),
            TITLE_SIZE,
            &INK,
            (HPos::Left, VPos::Top),
        )?;
        text(
            root,
            &fit(&clean(self.subtitle), SMALL_SIZE, inner)?,
            (MARGIN, 54),
            SMALL_SIZE,
            &MUTED,
            (HPos::Left, VPos::Top),
        )?;
        const TOP: i32 = 96;
        const ROW: i32 = 62;
        if self.bars.is_empty() {
            text(
                root,
                "No buckets to show",
                (w / 2, TOP + ROW / 2),
                LABEL_SIZE,
                &MUTED,
                (HPos::Center, VPos::Center),
            )?;
            return Ok(());
        }
        let shown: Vec<String> = self.bars.iter().map(|b| clean(&b.shown)).collect();
        let mut trailer = 0;
        for t in &shown {
            trailer = trailer.max(text_width(t, SMALL_SIZE)?);
        }
        let plot_w = (inner - trailer - 16).max(inner / 2);
        let top_rate = self
            .bars
            .iter()
            .filter_map(|b| b.interval.map(|(_, hi)| hi).or(b.rate))
            .filter(|r| r.is_finite())
            .fold(0.0f64, f64::max);
        let scale = axis_top(top_rate);
        let x_of = |r: f64| MARGIN + ((r.clamp(0.0, scale) / scale) * plot_w as f64).round() as i32;
        let bottom = TOP + ROW * self.bars.len() as i32;
        // Grid at round steps (2%, 5%, 10%, 15% or 25%), labelled along the bottom.
        let ticks = if scale >= 1.0 { 4 } else { 5 };
        for q in 0..=ticks {
            let r = scale * q as f64 / ticks as f64;
            let x = x_of(r);
            let colour = if q == 0 { OI_GREY } else { GRID };
            root.draw(&PathElement::new(vec![(x, TOP - 4), (x, bottom)], colour.stroke_width(1)))
                .map_err(draw_err)?;
            text(root, &percent(r), (x, bottom + 6), SMALL_SIZE, &MUTED, (HPos::Center, VPos::Top))?;
        }
        for (i, b) in self.bars.iter().enumerate() {
            let y0 = TOP + ROW * i as i32;
            text(
                root,
                &fit(&clean(&b.label), LABEL_SIZE, plot_w)?,
                (MARGIN, y0),
                LABEL_SIZE,
                &INK,
                (HPos::Left, VPos::Top),
            )?;
            let (bt, bb) = (y0 + 26, y0 + 50);
            let mid = (bt + bb) / 2;
            let mut end = MARGIN;
            if let Some(r) = usable_rate(b.rate) {
                end = x_of(r).max(MARGIN + 3);
                root.draw(&Rectangle::new([(MARGIN, bt), (end, bb)], OI_BLUE.filled()))
                    .map_err(draw_err)?;
                if let Some((lo, hi)) = b.interval.filter(|(lo, hi)| lo.is_finite() && hi.is_finite()) {
                    let (xl, xh) = (x_of(lo), x_of(hi));
                    root.draw(&PathElement::new(vec![(xl, mid), (xh, mid)], INK.stroke_width(2)))
                        .map_err(draw_err)?;
                    for x in [xl, xh] {
                        root.draw(&PathElement::new(vec![(x, mid - 7), (x, mid + 7)], INK.stroke_width(2)))
                            .map_err(draw_err)?;
                    }
                    end = end.max(xh);
                }
            }
            let colour = if b.rate.is_some() { &INK } else { &MUTED };
            let x = end + 10;
            text(
                root,
                &fit(&shown[i], SMALL_SIZE, MARGIN + inner - x)?,
                (x, mid),
                SMALL_SIZE,
                colour,
                (HPos::Left, VPos::Center),
            )?;
        }
        let note = "Bar: share of the bucket's newcomers. Whisker: where the true rate very likely lies (95%).";
        text(
            root,
            &fit(note, SMALL_SIZE, inner)?,
            (MARGIN, bottom + 34),
            SMALL_SIZE,
            &MUTED,
            (HPos::Left, VPos::Top),
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Histogram (time to convert)
// ---------------------------------------------------------------------------------------------

/// One bin of a histogram.
pub struct Bin {
    /// "same day", "1 d", "2–3 d", …
    pub label: String,
    /// People in the bin, `None` when suppressed.
    pub count: Option<u64>,
    /// Text above the bar: "34" or "<10".
    pub shown: String,
}

/// Vertical bars, one per bin, count above each bar; suppressed bins get no bar, only "<10".
pub fn histogram_chart(title: &str, subtitle: &str, bins: &[Bin]) -> anyhow::Result<Chart> {
    if bins.len() > MAX_STAGES {
        bail!("a histogram shows at most {MAX_STAGES} bins, got {}", bins.len());
    }
    render(&Histogram { title, subtitle, bins })
}

struct Histogram<'a> {
    title: &'a str,
    subtitle: &'a str,
    bins: &'a [Bin],
}

impl Painting for Histogram<'_> {
    fn size(&self) -> (u32, u32) {
        (COHORT_W, COHORT_H)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let w = COHORT_W as i32;
        let inner = w - 2 * MARGIN;
        text(
            root,
            &fit(&clean(self.title), TITLE_SIZE, inner)?,
            (MARGIN, 16),
            TITLE_SIZE,
            &INK,
            (HPos::Left, VPos::Top),
        )?;
        text(
            root,
            &fit(&clean(self.subtitle), SMALL_SIZE, inner)?,
            (MARGIN, 54),
            SMALL_SIZE,
            &MUTED,
            (HPos::Left, VPos::Top),
        )?;
        let (top, bottom) = (120, 350);
        let (left, right) = (MARGIN, w - MARGIN);
        root.draw(&PathElement::new(vec![(left, bottom), (right, bottom)], OI_GREY.stroke_width(1)))
            .map_err(draw_err)?;
        let n = self.bins.len();
        if n == 0 {
            text(
                root,
                "Nothing to show yet",
                (w / 2, (top + bottom) / 2),
                LABEL_SIZE,
                &MUTED,
                (HPos::Center, VPos::Center),
            )?;
            return Ok(());
        }
        let step = (right - left) as f64 / n as f64;
        let max = self.bins.iter().filter_map(|b| b.count).max().unwrap_or(0);
        for (i, b) in self.bins.iter().enumerate() {
            let x0 = left + (step * i as f64).round() as i32 + 6;
            let x1 = left + (step * (i + 1) as f64).round() as i32 - 6;
            let xm = (x0 + x1) / 2;
            let mut y = bottom;
            if let Some(c) = b.count.filter(|&c| c > 0 && max > 0) {
                let hgt = ((c as f64 / max as f64) * (bottom - top) as f64).round() as i32;
                y = bottom - hgt.max(3);
                root.draw(&Rectangle::new([(x0, y), (x1, bottom)], OI_BLUE.filled()))
                    .map_err(draw_err)?;
            }
            let colour = if b.count.is_some() { &INK } else { &MUTED };
            text(
                root,
                &fit(&clean(&b.shown), SMALL_SIZE, x1 - x0 + 10)?,
                (xm, y - 6),
                SMALL_SIZE,
                colour,
                (HPos::Center, VPos::Bottom),
            )?;
            text(
                root,
                &fit(&clean(&b.label), SMALL_SIZE, (step as i32) - 4)?,
                (xm, bottom + 8),
                SMALL_SIZE,
                &INK,
                (HPos::Center, VPos::Top),
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Weekly trend (two series)
// ---------------------------------------------------------------------------------------------

/// Okabe–Ito vermillion: the second series.
const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);

/// One week of two counts.
pub struct TrendPoint {
    /// "W27"
    pub label: String,
    /// First series (e.g. new people); `None` when suppressed.
    pub a: Option<u64>,
    /// Second series (e.g. people who took part); `None` when suppressed.
    pub b: Option<u64>,
}

/// Two lines over weeks (blue `a_name`, vermillion `b_name` with square markers, so they differ
/// by more than colour); suppressed weeks leave gaps.
pub fn trend_chart(title: &str, a_name: &str, b_name: &str, points: &[TrendPoint]) -> anyhow::Result<Chart> {
    render(&Trend {
        title,
        names: (a_name, b_name),
        points,
    })
}

struct Trend<'a> {
    title: &'a str,
    names: (&'a str, &'a str),
    points: &'a [TrendPoint],
}

/// A round axis top for counts: 1, 2 or 5 × a power of ten.
fn count_top(max: u64) -> u64 {
    let mut p = 1u64;
    loop {
        for m in [1, 2, 5] {
            if max <= m * p {
                return (m * p).max(1);
            }
        }
        p = p.saturating_mul(10);
        if p > u64::MAX / 10 {
            return max;
        }
    }
}

impl Painting for Trend<'_> {
    fn size(&self) -> (u32, u32) {
        (COHORT_W, COHORT_H)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let w = COHORT_W as i32;
        let inner = w - 2 * MARGIN;
        text(
            root,
            &fit(&clean(self.title), TITLE_SIZE, inner)?,
            (MARGIN, 16),
            TITLE_SIZE,
            &INK,
            (HPos::Left, VPos::Top),
        )?;
        let max = self.points.iter().flat_map(|p| [p.a, p.b]).flatten().max().unwrap_or(0);
        let top_v = count_top(max);
        let tick_w = text_width(&crate::report::model::thousands(top_v), SMALL_SIZE)?;
        let (left, right) = (MARGIN + tick_w + 10, w - MARGIN - 6);
        let (top, bottom) = (80, 320);
        let y_of = |v: u64| bottom - ((bottom - top) as f64 * (v as f64 / top_v as f64)).round() as i32;
        // Round steps: a top of 2×10^k in quarters, of 1 or 5×10^k in fifths.
        let ticks: u64 = if top_v.to_string().starts_with('2') { 4 } else { 5 };
        for q in 0..=ticks {
            let v = top_v * q / ticks;
            let y = y_of(v);
            let colour = if q == 0 { OI_GREY } else { GRID };
            root.draw(&PathElement::new(vec![(left, y), (right, y)], colour.stroke_width(1)))
                .map_err(draw_err)?;
            text(
                root,
                &crate::report::model::thousands(v),
                (left - 8, y),
                SMALL_SIZE,
                &MUTED,
                (HPos::Right, VPos::Center),
            )?;
        }
        let n = self.points.len();
        if n == 0 {
            text(
                root,
                "No weeks to show yet",
                ((left + right) / 2, (top + bottom) / 2),
                LABEL_SIZE,
                &MUTED,
                (HPos::Center, VPos::Center),
            )?;
            return Ok(());
        }
        let step = (right - left) as f64 / n as f64;
        let x_of = |i: usize| left + (step * (i as f64 + 0.5)).round() as i32;
        let labels: Vec<&str> = self.points.iter().map(|p| p.label.as_str()).collect();
        week_axis(root, &labels, left, right, bottom)?;
        for (series, colour, square) in [(0, OI_BLUE, false), (1, OI_VERMILLION, true)] {
            let vals: Vec<Option<u64>> = self.points.iter().map(|p| if series == 0 { p.a } else { p.b }).collect();
            for i in 0..n.saturating_sub(1) {
                if let (Some(a), Some(b)) = (vals[i], vals[i + 1]) {
                    root.draw(&PathElement::new(
                        vec![(x_of(i), y_of(a)), (x_of(i + 1), y_of(b))],
                        colour.stroke_width(3),
                    ))
                    .map_err(draw_err)?;
                }
            }
            for (i, v) in vals.iter().enumerate() {
                if let Some(v) = v {
                    let (x, y) = (x_of(i), y_of(*v));
                    if square {
                        root.draw(&Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], colour.filled()))
                            .map_err(draw_err)?;
                    } else {
                        root.draw(&Circle::new((x, y), 5, colour.filled())).map_err(draw_err)?;
                    }
                }
            }
        }
        // Legend.
        let y = 392;
        let mut x = MARGIN + 10;
        for (name, colour, square) in [(self.names.0, OI_BLUE, false), (self.names.1, OI_VERMILLION, true)] {
            root.draw(&PathElement::new(vec![(x - 7, y), (x + 12, y)], colour.stroke_width(3)))
                .map_err(draw_err)?;
            if square {
                root.draw(&Rectangle::new([(x - 2, y - 5), (x + 8, y + 5)], colour.filled()))
                    .map_err(draw_err)?;
            } else {
                root.draw(&Circle::new((x + 3, y), 5, colour.filled())).map_err(draw_err)?;
            }
            x += 26;
            let name = clean(name);
            text(root, &name, (x, y), SMALL_SIZE, &INK, (HPos::Left, VPos::Center))?;
            x += text_width(&name, SMALL_SIZE)? + 36;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// PNG encoding
// ---------------------------------------------------------------------------------------------

/// A small, deterministic PNG writer for 8-bit RGB images: "Up" row filter, one zlib stream
/// compressed with LZ77 (hash chains) and the fixed Huffman code, one IDAT chunk.
mod png {
    use anyhow::{bail, Result};

    pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>> {
        let stride = width as usize * 3;
        if width == 0 || height == 0 || rgb.len() != stride * height as usize {
            bail!("PNG encoder: {width}x{height} does not match a buffer of {} bytes", rgb.len());
        }
        let mut raw = Vec::with_capacity((stride + 1) * height as usize);
        for y in 0..height as usize {
            raw.push(2u8); // filter type Up
            let row = &rgb[y * stride..(y + 1) * stride];
            if y == 0 {
                raw.extend_from_slice(row);
            } else {
                let above = &rgb[(y - 1) * stride..y * stride];
                raw.extend(row.iter().zip(above).map(|(a, b)| a.wrapping_sub(*b)));
            }
        }

        let mut zlib = vec![0x78, 0x01];
        zlib.extend(deflate(&raw));
        zlib.extend(adler32(&raw).to_be_bytes());

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend(width.to_be_bytes());
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]); // 8 bits, truecolour, deflate, adaptive filters, no interlace

        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", &zlib);
        chunk(&mut out, b"IEND", &[]);
        Ok(out)
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }

    pub(super) fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    pub(super) fn adler32(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for chunk in data.chunks(5552) {
            for &x in chunk {
                a += x as u32;
                b += a;
            }
            a %= 65521;
            b %= 65521;
        }
        (b << 16) | a
    }

    pub(super) const LEN_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
    ];
    pub(super) const LEN_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    pub(super) const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
        16385, 24577,
    ];
    pub(super) const DIST_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ];

    struct BitWriter {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }

    impl BitWriter {
        /// `bits` low bits of `v`, least significant first (deflate's order for extra bits).
        fn put(&mut self, v: u32, bits: u32) {
            self.acc |= (v as u64) << self.n;
            self.n += bits;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            let rev = code.reverse_bits() >> (32 - len);
            self.put(rev, len);
        }
        fn symbol(&mut self, s: u32) {
            match s {
                0..=143 => self.code(0x30 + s, 8),
                144..=255 => self.code(0x190 + s - 144, 9),
                256..=279 => self.code(s - 256, 7),
                _ => self.code(0xC0 + s - 280, 8),
            }
        }
        fn finish(mut self) -> Vec<u8> {
            if self.n > 0 {
                self.out.push(self.acc as u8);
            }
            self.out
        }
    }

    const WINDOW: usize = 32 * 1024;
    const MAX_MATCH: usize = 258;
    const MAX_CHAIN: usize = 24;
    const HASH_BITS: u32 = 15;
    const NONE: u32 = u32::MAX;

    fn hash(d: &[u8], i: usize) -> usize {
        let v = (d[i] as u32) << 16 | (d[i + 1] as u32) << 8 | d[i + 2] as u32;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    }

    /// One final fixed-Huffman block holding all of `data`.
    pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
        let n = data.len();
        let mut w = BitWriter {
            out: Vec::with_capacity(n / 8 + 64),
            acc: 0,
            n: 0,
        };
        w.put(1, 1); // BFINAL
        w.put(1, 2); // BTYPE = fixed Huffman

        let mut head = vec![NONE; 1 << HASH_BITS];
        let mut prev = vec![NONE; n];
        let insert = |head: &mut [u32], prev: &mut [u32], i: usize| {
            if i + 3 <= n {
                let h = hash(data, i);
                prev[i] = head[h];
                head[h] = i as u32;
            }
        };
        let mut i = 0;
        while i < n {
            let (mut best_len, mut best_dist) = (0usize, 0usize);
            if i + 3 <= n {
                let max = MAX_MATCH.min(n - i);
                let mut cand = head[hash(data, i)];
                let mut chain = 0;
                while cand != NONE && chain < MAX_CHAIN {
                    let c = cand as usize;
                    let dist = i - c;
                    if dist > WINDOW {
                        break;
                    }
                    let mut l = 0;
                    while l < max && data[c + l] == data[i + l] {
                        l += 1;
                    }
                    if l > best_len {
                        best_len = l;
                        best_dist = dist;
                        if l == max {
                            break;
                        }
                    }
                    cand = prev[c];
                    chain += 1;
                }
            }
            if best_len >= 3 {
                let li = LEN_BASE.iter().rposition(|&b| b as usize <= best_len).unwrap_or(0);
                w.symbol(257 + li as u32);
                w.put((best_len - LEN_BASE[li] as usize) as u32, LEN_EXTRA[li] as u32);
                let di = DIST_BASE.iter().rposition(|&b| b as usize <= best_dist).unwrap_or(0);
                w.code(di as u32, 5);
                w.put((best_dist - DIST_BASE[di] as usize) as u32, DIST_EXTRA[di] as u32);
                for k in i..i + best_len {
                    insert(&mut head, &mut prev, k);
                }
                i += best_len;
            } else {
                w.symbol(data[i] as u32);
                insert(&mut head, &mut prev, i);
                i += 1;
            }
        }
        w.symbol(256);
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, count: Option<u64>, shown: &str, step_rate: Option<f64>) -> FunnelBar {
        FunnelBar {
            label: label.into(),
            count,
            shown: shown.into(),
            step_rate,
        }
    }

    fn point(label: &str, rate: Option<f64>, maturing: bool) -> CohortPoint {
        CohortPoint {
            label: label.into(),
            rate,
            maturing,
        }
    }

    fn ladder() -> Vec<FunnelBar> {
        vec![
            bar("Joined the group chat", Some(1234), "1,234", None),
            bar("Replied to an organizer", Some(716), "716", Some(0.58)),
            bar("Came to a meeting", Some(212), "212", Some(0.296)),
            bar("Signed a union card", None, "<10", None),
        ]
    }

    fn weeks() -> Vec<CohortPoint> {
        vec![
            point("W27", Some(0.31), false),
            point("W28", Some(0.42), false),
            point("W29", None, false),
            point("W30", Some(0.25), false),
            point("W31", Some(0.12), true),
            point("W32", Some(0.05), true),
        ]
    }

    /// A PNG taken apart by hand: chunk CRCs checked, IDAT inflated (fixed-Huffman and stored
    /// blocks, which is all the encoder writes), Adler-32 checked, "Up" filter undone.
    struct Decoded {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    }

    fn be32(b: &[u8]) -> u32 {
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    fn decode_png(png: &[u8]) -> Decoded {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        let mut pos = 8;
        let (mut width, mut height, mut idat) = (0, 0, Vec::new());
        let mut kinds = Vec::new();
        while pos < png.len() {
            let len = be32(&png[pos..]) as usize;
            let kind = &png[pos + 4..pos + 8];
            let data = &png[pos + 8..pos + 8 + len];
            let crc = be32(&png[pos + 8 + len..]);
            assert_eq!(crc, png::crc32(&png[pos + 4..pos + 8 + len]), "chunk CRC");
            kinds.push(String::from_utf8_lossy(kind).to_string());
            match kind {
                b"IHDR" => {
                    width = be32(&data[0..]);
                    height = be32(&data[4..]);
                    assert_eq!(&data[8..13], &[8, 2, 0, 0, 0], "8-bit RGB, no interlace");
                }
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            pos += 12 + len;
        }
        assert_eq!(kinds.first().map(String::as_str), Some("IHDR"));
        assert_eq!(kinds.last().map(String::as_str), Some("IEND"));
        assert_eq!((idat[0] as u16 * 256 + idat[1] as u16) % 31, 0, "zlib header check");
        let raw = inflate(&idat[2..idat.len() - 4]);
        assert_eq!(be32(&idat[idat.len() - 4..]), png::adler32(&raw), "Adler-32");
        let stride = width as usize * 3;
        assert_eq!(raw.len(), (stride + 1) * height as usize, "decoded size");
        let mut rgb = vec![0u8; stride * height as usize];
        for y in 0..height as usize {
            let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let up = if y == 0 { 0 } else { rgb[(y - 1) * stride + x] };
                rgb[y * stride + x] = match line[0] {
                    0 => line[1 + x],
                    2 => line[1 + x].wrapping_add(up),
                    f => panic!("unexpected filter {f}"),
                };
            }
        }
        Decoded { width, height, rgb }
    }

    fn inflate(d: &[u8]) -> Vec<u8> {
        let mut bit = 0usize;
        let mut get = |n: u32| -> u32 {
            let mut v = 0;
            for k in 0..n {
                v |= (((d[bit / 8] >> (bit % 8)) & 1) as u32) << k;
                bit += 1;
            }
            v
        };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let last = get(1);
            let kind = get(2);
            assert_eq!(kind, 1, "only fixed-Huffman blocks are expected");
            loop {
                // Huffman codes arrive most significant bit first.
                let mut code = 0u32;
                for _ in 0..7 {
                    code = code << 1 | get(1);
                }
                let sym = if code <= 0b001_0111 {
                    256 + code
                } else {
                    code = code << 1 | get(1);
                    if (0x30..=0xBF).contains(&code) {
                        code - 0x30
                    } else if (0xC0..=0xC7).contains(&code) {
                        280 + code - 0xC0
                    } else {
                        code = code << 1 | get(1);
                        144 + code - 0x190
                    }
                };
                match sym {
                    0..=255 => out.push(sym as u8),
                    256 => break,
                    _ => {
                        let li = (sym - 257) as usize;
                        let len = png::LEN_BASE[li] as usize + get(png::LEN_EXTRA[li] as u32) as usize;
                        let mut dc = 0u32;
                        for _ in 0..5 {
                            dc = dc << 1 | get(1);
                        }
                        let di = dc as usize;
                        let dist = png::DIST_BASE[di] as usize + get(png::DIST_EXTRA[di] as u32) as usize;
                        assert!(dist <= out.len(), "distance reaches before the start");
                        for _ in 0..len {
                            out.push(out[out.len() - dist]);
                        }
                    }
                }
            }
            if last == 1 {
                return out;
            }
        }
    }

    fn pixel(d: &Decoded, x: u32, y: u32) -> (u8, u8, u8) {
        let i = (y * d.width + x) as usize * 3;
        (d.rgb[i], d.rgb[i + 1], d.rgb[i + 2])
    }

    fn count_pixels(d: &Decoded, rgb: (u8, u8, u8)) -> usize {
        d.rgb.chunks(3).filter(|p| (p[0], p[1], p[2]) == rgb).count()
    }

    const BLUE: (u8, u8, u8) = (0x00, 0x72, 0xB2);

    #[test]
    fn png_encoder_round_trips_arbitrary_pixels() {
        // Noise, runs and repeated rows, so literals, short and long matches all occur.
        let (w, h) = (97u32, 41u32);
        let mut rgb = Vec::new();
        let mut s = 12345u32;
        for y in 0..h {
            for x in 0..w * 3 {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                rgb.push(if y % 3 == 0 {
                    (s >> 16) as u8
                } else if x < 60 {
                    200
                } else {
                    (x % 7) as u8
                });
            }
        }
        let d = decode_png(&png::encode_rgb(w, h, &rgb).unwrap());
        assert_eq!((d.width, d.height), (w, h));
        assert_eq!(d.rgb, rgb);
        assert!(png::encode_rgb(0, 5, &[]).is_err());
        assert!(png::encode_rgb(2, 2, &[0; 5]).is_err());
    }

    #[test]
    fn funnel_svg_has_every_label_and_count() {
        let bars = ladder();
        let chart = funnel_chart("Ladder of engagement, week 32", &bars).unwrap();
        assert!(chart.svg.starts_with("<svg"));
        assert!(chart.svg.contains("Ladder of engagement, week 32"));
        for b in &bars {
            assert!(chart.svg.contains(&b.label), "label {:?} missing", b.label);
            let escaped = b.shown.replace('&', "&amp;").replace('<', "&lt;");
            assert!(chart.svg.contains(&escaped), "count {:?} missing", b.shown);
        }
        assert!(chart.svg.contains("58% of previous"));
        assert!(chart.svg.contains("30% of previous"));
        assert!(chart.svg.contains("font-family=\"sans-serif\""));
        // One blue bar per unsuppressed stage.
        assert_eq!(chart.svg.matches("fill=\"#0072B2\"").count(), 3);
    }

    #[test]
    fn funnel_png_has_declared_size_and_proportional_bars() {
        let chart = funnel_chart("Ladder", &ladder()).unwrap();
        let d = decode_png(&chart.png);
        assert_eq!((d.width, d.height), (900, 120 + 70 * 4));
        assert_eq!(pixel(&d, 0, 0), (255, 255, 255), "white background");
        // Bar length along the middle row of each bar, measured in blue pixels.
        let run = |row: u32| (0..d.width).filter(|&x| pixel(&d, x, row) == BLUE).count() as f64;
        let mid = |i: u32| FUNNEL_HEADER as u32 + FUNNEL_ROW as u32 * i + 40;
        let (first, second, third, suppressed) = (run(mid(0)), run(mid(1)), run(mid(2)), run(mid(3)));
        assert!(first > 300.0, "first bar is long: {first}");
        assert!((second / first - 716.0 / 1234.0).abs() < 0.01, "{second} / {first}");
        assert!((third / first - 212.0 / 1234.0).abs() < 0.01, "{third} / {first}");
        assert_eq!(suppressed, 0.0, "suppressed stage draws no bar");
    }

    #[test]
    fn cohort_chart_svg_and_png() {
        let chart = cohort_chart("Conversion by entry week", "Came to a meeting", &weeks()).unwrap();
        for l in [
            "W27",
            "W28",
            "W30",
            "W32",
            "still maturing",
            "final",
            "Came to a meeting",
            "42%",
            "100%",
            "0%",
        ] {
            assert!(chart.svg.contains(l), "{l} missing");
        }
        let d = decode_png(&chart.png);
        assert_eq!((d.width, d.height), (900, 420));
        assert!(count_pixels(&d, BLUE) > 100, "complete cohorts drawn in blue");
        assert!(count_pixels(&d, (0x99, 0x99, 0x99)) > 100, "maturing cohorts drawn in grey");

        let done: Vec<_> = weeks().into_iter().map(|p| CohortPoint { maturing: false, ..p }).collect();
        let chart = cohort_chart("t", "s", &done).unwrap();
        assert!(!chart.svg.contains("still maturing"), "no legend when nothing matures");
    }

    #[test]
    fn output_is_deterministic() {
        let a = funnel_chart("Ladder", &ladder()).unwrap();
        let b = funnel_chart("Ladder", &ladder()).unwrap();
        assert_eq!(a.svg, b.svg);
        assert_eq!(a.png, b.png);
        let a = cohort_chart("Weeks", "Came to a meeting", &weeks()).unwrap();
        let b = cohort_chart("Weeks", "Came to a meeting", &weeks()).unwrap();
        assert_eq!(a.svg, b.svg);
        assert_eq!(a.png, b.png);
    }

    /// Every `&` starts an entity and no `<` opens an element the backend did not write.
    fn assert_safe_svg(svg: &str) {
        assert!(!svg.contains("<script"), "raw <script in SVG");
        for (i, _) in svg.match_indices('&') {
            let rest = &svg[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"].iter().any(|e| rest.starts_with(e)),
                "bare & at {i}: {}",
                &rest[..rest.len().min(20)]
            );
        }
        for (i, _) in svg.match_indices('<') {
            let rest = &svg[i + 1..];
            assert!(
                [
                    "svg",
                    "/svg",
                    "rect",
                    "/rect",
                    "text",
                    "/text",
                    "polyline",
                    "/polyline",
                    "circle",
                    "/circle",
                    "polygon",
                    "line"
                ]
                .iter()
                .any(|t| rest.starts_with(t)),
                "unexpected tag at {i}: {}",
                &rest[..rest.len().min(20)]
            );
        }
        assert!(!svg.chars().any(|c| c.is_control() && c != '\n'), "control characters in SVG");
    }

    #[test]
    fn hostile_text_is_escaped() {
        let evil = "<script>alert(1)</script> & \"x\"";
        let bars = vec![
            bar(evil, Some(10), "<10 & more", None),
            bar("Emoji ✊🏽 and 'quotes'\u{0}\u{7}\nnewline", Some(5), "5", Some(0.5)),
        ];
        let f = funnel_chart(evil, &bars).unwrap();
        assert_safe_svg(&f.svg);
        assert!(f.svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert!(f.svg.contains("✊🏽"));
        let c = cohort_chart(evil, evil, &[point(evil, Some(0.5), true)]).unwrap();
        assert_safe_svg(&c.svg);
        assert!(c.svg.contains("&lt;script&gt;"));
        decode_png(&f.png);
        decode_png(&c.png);
    }

    #[test]
    fn edge_cases_do_not_panic() {
        let cases: Vec<Vec<FunnelBar>> = vec![
            vec![],
            vec![bar("Only stage", Some(42), "42", Some(0.3))],
            vec![bar("Zero", Some(0), "0", None), bar("Zero again", Some(0), "0", Some(f64::NAN))],
            vec![bar("A", None, "<10", None), bar("B", None, "<10", None)],
            vec![
                bar("A", Some(5), "5", None),
                bar("B", Some(u64::MAX), "lots", Some(7.0)),
                bar("C", Some(1), "1", Some(-3.0)),
            ],
            vec![bar(&"very long stage name ".repeat(40), Some(3), &"9".repeat(200), Some(0.004))],
        ];
        for bars in &cases {
            let c = funnel_chart(&"T".repeat(500), bars).unwrap();
            let d = decode_png(&c.png);
            assert_eq!((d.width, d.height), (900, 120 + 70 * bars.len().max(1) as u32));
            assert_safe_svg(&c.svg);
        }
        let too_many: Vec<_> = (0..101).map(|i| bar("s", Some(i), "n", None)).collect();
        assert!(funnel_chart("t", &too_many).is_err());
        // Clamped rates print within 0–100%.
        let c = funnel_chart("t", &cases[4]).unwrap();
        assert!(c.svg.contains("100% of previous") && c.svg.contains("0% of previous"));
        assert!(!c.svg.contains("700%"));
        let c = funnel_chart("t", &cases[5]).unwrap();
        assert!(c.svg.contains('…'), "long text is shortened, not cut off");

        let many: Vec<_> = (0..60)
            .map(|i| point(&format!("Week of Jul {i}"), Some(i as f64 / 60.0), i > 55))
            .collect();
        let cohorts: Vec<Vec<CohortPoint>> = vec![
            vec![],
            vec![point("W1", None, false), point("W2", None, true)],
            vec![point("W1", Some(0.5), true)],
            vec![
                point("W1", Some(f64::INFINITY), false),
                point("W2", Some(-1.0), false),
                point("W3", Some(f64::NAN), false),
            ],
            many,
        ];
        for pts in &cohorts {
            let c = cohort_chart("t", "stage", pts).unwrap();
            let d = decode_png(&c.png);
            assert_eq!((d.width, d.height), (900, 420));
            assert_safe_svg(&c.svg);
        }
    }

    #[test]
    fn percent_never_rounds_to_a_false_zero_or_hundred() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.001), "<1%");
        assert_eq!(percent(0.58), "58%");
        assert_eq!(percent(0.999), ">99%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(3.0), "100%");
    }
}
