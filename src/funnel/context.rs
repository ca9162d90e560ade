//! The funnel's view of the timeline: one column per field, strings interned.
//!
//! Takes: events (from ingest, or a timeline table read back from Parquet). Gives: [`Context`],
//! the columns every funnel and metric reads — time, precision, action, channel, tool, source,
//! context, utm fields, attributes, occasion, event id, local day — about 50 bytes an event,
//! and compiled stage predicates that test ids, not strings. Promises: the same answers as
//! reading the events directly; local days computed from the zone's offset transitions (exact,
//! and fast enough for tens of millions of events).

use std::collections::HashMap;

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;

use crate::config::{Dim, Predicate};
use crate::schema::{Action, Channel, Event, Precision, Str, Tool};
use crate::timeutil;

/// Marks a missing string.
pub const NONE: u32 = u32::MAX;
/// Top bit of an occasion: the export named it.
const NAMED: u64 = 1 << 63;
/// An occasion not yet computed: `Context::finish` sets it from the context (or source) and day.
const UNSET: u64 = u64::MAX;

/// An occasion column's value before [`Context::finish`]: the interned name the export gave,
/// or, without one, a placeholder that `finish` replaces with the context (or source) and the
/// local day. For builders that fill the columns directly (`tables::read_timeline`).
pub fn occasion_cell(named: Option<u32>) -> u64 {
    match named {
        Some(id) => NAMED | id as u64,
        None => UNSET,
    }
}

/// Interned strings: id ↔ text.
#[derive(Debug, Default, Clone)]
pub struct Strings {
    ids: HashMap<String, u32>,
    texts: Vec<String>,
    /// The last few strings asked for: columns like source and tool repeat a handful of values,
    /// and a short scan beats hashing.
    recent: [u32; 4],
    recent_next: usize,
    /// Interned event texts already seen ([`Strings::of`], [`Strings::of_opt`]): interned id →
    /// this table's id. An integer lookup per event instead of a string hash.
    of_str: rustc_hash::FxHashMap<u32, u32>,
    of_opt_str: rustc_hash::FxHashMap<u32, u32>,
}

impl Strings {
    #[inline]
    pub fn id(&mut self, s: &str) -> u32 {
        for &r in &self.recent {
            if let Some(t) = self.texts.get(r as usize) {
                if t == s {
                    return r;
                }
            }
        }
        let i = self.lookup_or_insert(s);
        self.recent[self.recent_next] = i;
        self.recent_next = (self.recent_next + 1) % self.recent.len();
        i
    }

    fn lookup_or_insert(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.texts.len() as u32;
        self.texts.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    /// [`Strings::id`] of an interned text.
    #[inline]
    pub fn of(&mut self, s: Str) -> u32 {
        if let Some(&i) = self.of_str.get(&s.id()) {
            return i;
        }
        let i = self.id(&s);
        self.of_str.insert(s.id(), i);
        i
    }

    /// [`Strings::opt`] of an interned text.
    #[inline]
    pub fn of_opt(&mut self, s: Option<Str>) -> u32 {
        let Some(s) = s else { return NONE };
        if let Some(&i) = self.of_opt_str.get(&s.id()) {
            return i;
        }
        let i = self.opt(Some(&s));
        self.of_opt_str.insert(s.id(), i);
        i
    }

    pub fn opt(&mut self, s: Option<&str>) -> u32 {
        match s {
            Some(v) if !v.trim().is_empty() => self.id(v),
            _ => NONE,
        }
    }

    pub fn get(&self, i: u32) -> Option<&str> {
        self.texts.get(i as usize).map(String::as_str)
    }

    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// Local calendar days from the zone's UTC-offset transitions over the data's time range.
#[derive(Debug, Clone)]
pub struct LocalDays {
    tz: Tz,
    /// (from this UTC µs on, offset µs), sorted; covers [lo, hi].
    spans: Vec<(i64, i64)>,
    lo: i64,
    hi: i64,
}

impl LocalDays {
    pub fn new(tz: Tz, lo: i64, hi: i64) -> Self {
        let offset = |us: i64| -> i64 {
            tz.offset_from_utc_datetime(&timeutil::utc(us).naive_utc()).fix().local_minus_utc() as i64 * timeutil::US_PER_SEC
        };
        let hour = 3600 * timeutil::US_PER_SEC;
        let (lo, hi) = (
            lo.min(hi).saturating_sub(2 * timeutil::US_PER_DAY),
            hi.max(lo).saturating_add(2 * timeutil::US_PER_DAY),
        );
        // Beyond ~200 years of data something is wrong with the times: no table, every day is
        // computed directly (still right, just slower), instead of stepping hour by hour.
        if hi.saturating_sub(lo) > 200 * 366 * timeutil::US_PER_DAY
            || lo < -62_000_000_000 * timeutil::US_PER_SEC
            || hi > 250_000_000_000 * timeutil::US_PER_SEC
        {
            return LocalDays {
                tz,
                spans: Vec::new(),
                lo: 1,
                hi: 0,
            };
        }
        let mut spans = vec![(i64::MIN, offset(lo))];
        let mut t = lo;
        while t < hi {
            let next = t + hour;
            let (a, b) = (offset(t), offset(next));
            if a != b {
                // refine to the minute where the offset changes
                let (mut l, mut r) = (t, next);
                while r - l > timeutil::US_PER_MIN {
                    let m = l + (r - l) / 2;
                    if offset(m) == a {
                        l = m;
                    } else {
                        r = m;
                    }
                }
                spans.push((r, b));
            }
            t = next;
        }
        LocalDays { tz, spans, lo, hi }
    }

    /// The zone's UTC offsets over the range it was built for: `(from, offset)` pairs, both in
    /// µs, sorted by `from` (the first from `i64::MIN`): from UTC time `from` on, local time is
    /// UTC + `offset`, up to the next pair. `None` when the range was too wide for a table.
    pub fn spans(&self) -> Option<(&[(i64, i64)], i64, i64)> {
        (!self.spans.is_empty()).then_some((&self.spans, self.lo, self.hi))
    }

    /// Days since 0001-01-01 of the local date holding `us`.
    pub fn day(&self, us: i64) -> i32 {
        if us < self.lo || us > self.hi {
            return timeutil::local_day_number(us, self.tz);
        }
        let i = self.spans.partition_point(|&(from, _)| from <= us) - 1;
        let local = us + self.spans[i].1;
        (local.div_euclid(timeutil::US_PER_DAY) + 719_163) as i32
    }
}

/// Columns of the timeline, indexed like the events they come from.
pub struct Context {
    pub tz: Tz,
    pub ts: Vec<i64>,
    pub precision: Vec<Precision>,
    pub action: Vec<Action>,
    pub channel: Vec<Channel>,
    pub tool: Vec<Tool>,
    pub event_id: Vec<u64>,
    pub source: Vec<u32>,
    pub context: Vec<u32>,
    pub utm_source: Vec<u32>,
    pub utm_medium: Vec<u32>,
    pub utm_campaign: Vec<u32>,
    /// One column per declared attribute.
    pub attrs: Vec<Vec<u32>>,
    /// The occasion: an interned id with the top bit set when the export named one, else the
    /// context (or source) id in the high half and the local day in the low half — no strings
    /// are built for the default.
    pub occasion: Vec<u64>,
    pub day: Vec<i32>,
    pub strings: Strings,
}

/// One event's fields, as a builder feeds them.
pub struct Row<'r> {
    pub ts: i64,
    pub precision: Precision,
    pub action: Action,
    pub channel: Channel,
    pub tool: Tool,
    pub event_id: u64,
    pub source: &'r str,
    pub context: Option<&'r str>,
    pub occasion: Option<&'r str>,
    pub utm: [Option<&'r str>; 3],
    pub attrs: &'r [Option<&'r str>],
}

impl Context {
    pub fn with_capacity(tz: Tz, n: usize, n_attrs: usize) -> Self {
        Context {
            tz,
            ts: Vec::with_capacity(n),
            precision: Vec::with_capacity(n),
            action: Vec::with_capacity(n),
            channel: Vec::with_capacity(n),
            tool: Vec::with_capacity(n),
            event_id: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            context: Vec::with_capacity(n),
            utm_source: Vec::with_capacity(n),
            utm_medium: Vec::with_capacity(n),
            utm_campaign: Vec::with_capacity(n),
            attrs: (0..n_attrs).map(|_| Vec::with_capacity(n)).collect(),
            occasion: Vec::with_capacity(n),
            day: Vec::with_capacity(n),
            strings: Strings::default(),
        }
    }

    /// Appends one event; `finish` must be called after the last.
    pub fn push(&mut self, r: &Row) {
        self.ts.push(r.ts);
        self.precision.push(r.precision);
        self.action.push(r.action);
        self.channel.push(r.channel);
        self.tool.push(r.tool);
        self.event_id.push(r.event_id);
        self.source.push(self.strings.id(r.source));
        self.context.push(self.strings.opt(r.context));
        self.utm_source.push(self.strings.opt(r.utm[0]));
        self.utm_medium.push(self.strings.opt(r.utm[1]));
        self.utm_campaign.push(self.strings.opt(r.utm[2]));
        for (a, col) in self.attrs.iter_mut().enumerate() {
            let v = r.attrs.get(a).copied().flatten();
            col.push(match v {
                Some(v) if !v.trim().is_empty() => self.strings.id(v),
                _ => NONE,
            });
        }
        // occasion: the tool's, else context (or source) + local date — filled in `finish`
        self.occasion.push(match r.occasion {
            Some(o) => occasion_cell(Some(self.strings.id(o))),
            None => occasion_cell(None),
        });
    }

    /// Computes local days and the default occasions.
    pub fn finish(&mut self) {
        let lo = self.ts.iter().copied().min().unwrap_or(0);
        let hi = self.ts.iter().copied().max().unwrap_or(0);
        let days = LocalDays::new(self.tz, lo, hi);
        self.day = self.ts.iter().map(|&t| days.day(t)).collect();
        for i in 0..self.ts.len() {
            if self.occasion[i] == UNSET {
                let base = if self.context[i] != NONE { self.context[i] } else { self.source[i] };
                self.occasion[i] = ((base as u64) << 32) | (self.day[i] as u32 as u64);
            }
        }
    }

    pub fn from_events(events: &[Event], tz: Tz) -> Self {
        let n_attrs = events.iter().map(|e| e.attrs.len()).max().unwrap_or(0);
        let mut c = Context::with_capacity(tz, events.len(), n_attrs);
        // What `push` does, texts looked up by their interned ids (same order of interning, so
        // the same ids as `push` gives).
        for e in events {
            c.ts.push(e.ts);
            c.precision.push(e.precision);
            c.action.push(e.action);
            c.channel.push(e.channel);
            c.tool.push(e.tool);
            c.event_id.push(e.event_id);
            c.source.push(c.strings.of(e.source));
            c.context.push(c.strings.of_opt(e.context));
            c.utm_source.push(c.strings.of_opt(e.utm_source));
            c.utm_medium.push(c.strings.of_opt(e.utm_medium));
            c.utm_campaign.push(c.strings.of_opt(e.utm_campaign));
            for (a, col) in c.attrs.iter_mut().enumerate() {
                col.push(c.strings.of_opt(e.attrs.get(a).copied().flatten()));
            }
            c.occasion.push(occasion_cell(e.occasion.map(|o| c.strings.of(o))));
        }
        c.finish();
        c
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    fn key(&self, i: u32, p: Precision) -> i64 {
        let t = self.ts[i as usize];
        match p {
            Precision::Second => t.div_euclid(timeutil::US_PER_SEC),
            Precision::Minute => t.div_euclid(timeutil::US_PER_MIN),
            Precision::Day => self.day[i as usize] as i64,
        }
    }

    /// Event `a` against event `b` at the coarser of their precisions.
    pub fn cmp(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let p = self.precision[a as usize].max(self.precision[b as usize]);
        self.key(a, p).cmp(&self.key(b, p))
    }

    /// Event `a` against the instant `bound` carrying precision `bp`.
    pub fn cmp_bound(&self, a: u32, bound: i64, bp: Precision) -> std::cmp::Ordering {
        let p = self.precision[a as usize].max(bp);
        self.key(a, p).cmp(&super::truncate(bound, p, self.tz))
    }

    /// Start of the `p`-interval holding event `i`, in µs.
    pub fn interval_start(&self, i: u32, p: Precision) -> i64 {
        match p {
            Precision::Day => {
                let d = chrono::NaiveDate::from_num_days_from_ce_opt(self.day[i as usize]).unwrap_or_default();
                timeutil::local_midnight_us(d, self.tz)
            }
            _ => super::interval_start(self.ts[i as usize], p, self.tz),
        }
    }

    /// Gap in days from event `a` to event `b`, both truncated to the pair's coarser precision.
    pub fn gap_days(&self, a: u32, b: u32) -> f64 {
        let p = self.precision[a as usize].max(self.precision[b as usize]);
        (self.interval_start(b, p) - self.interval_start(a, p)) as f64 / timeutil::US_PER_DAY as f64
    }

    /// The value a breakdown reads from event `i`.
    pub fn dim_value(&self, dim: Dim, i: u32) -> Option<String> {
        let i = i as usize;
        let id = match dim {
            Dim::Channel => return Some(self.channel[i].as_str().to_string()),
            Dim::Tool => return Some(self.tool[i].as_str().to_string()),
            Dim::Source => self.source[i],
            Dim::Context => self.context[i],
            Dim::UtmSource => self.utm_source[i],
            Dim::UtmMedium => self.utm_medium[i],
            Dim::UtmCampaign => self.utm_campaign[i],
            Dim::Attr(a) => self.attrs.get(a).map(|c| c[i]).unwrap_or(NONE),
        };
        self.strings.get(id).map(str::to_string)
    }

    /// The occasion as text: the export's name, or `<context> <local date>`.
    pub fn occasion_name(&self, i: u32) -> String {
        let o = self.occasion[i as usize];
        if o & NAMED != 0 {
            return self.strings.get((o & !NAMED) as u32).unwrap_or("").to_string();
        }
        let base = self.strings.get((o >> 32) as u32).unwrap_or("");
        let date = chrono::NaiveDate::from_num_days_from_ce_opt((o & 0xffff_ffff) as u32 as i32)
            .map(|d| d.to_string())
            .unwrap_or_default();
        format!("{base} {date}")
    }
}

/// A stage predicate compiled against a context's ids.
pub struct Compiled {
    actions: Option<u64>,
    tools: Option<u64>,
    channels: Option<u64>,
    sources: Option<Vec<u32>>,
    contexts: Option<Vec<u32>>,
}

fn mask<T: Ord>(set: &std::collections::BTreeSet<T>, all: &[T]) -> u64 {
    all.iter()
        .enumerate()
        .filter(|(_, x)| set.contains(x))
        .fold(0u64, |m, (i, _)| m | (1 << i))
}

fn bit<T: PartialEq>(x: T, all: &[T]) -> u64 {
    all.iter().position(|a| *a == x).map(|i| 1u64 << i).unwrap_or(0)
}

impl Compiled {
    pub fn new(p: &Predicate, ctx: &Context) -> Self {
        let ids = |set: &std::collections::BTreeSet<String>| set.iter().map(|s| ctx.strings.lookup(s).unwrap_or(NONE - 1)).collect();
        Compiled {
            actions: p.actions.as_ref().map(|s| mask(s, Action::ALL)),
            tools: p.tools.as_ref().map(|s| mask(s, Tool::ALL)),
            channels: p.channels.as_ref().map(|s| mask(s, Channel::ALL)),
            sources: p.sources.as_ref().map(ids),
            contexts: p.contexts.as_ref().map(ids),
        }
    }

    pub fn matches(&self, ctx: &Context, i: u32) -> bool {
        let i = i as usize;
        self.actions.is_none_or(|m| m & bit(ctx.action[i], Action::ALL) != 0)
            && self.tools.is_none_or(|m| m & bit(ctx.tool[i], Tool::ALL) != 0)
            && self.channels.is_none_or(|m| m & bit(ctx.channel[i], Channel::ALL) != 0)
            && self.sources.as_ref().is_none_or(|s| s.contains(&ctx.source[i]))
            && self
                .contexts
                .as_ref()
                .is_none_or(|s| ctx.context[i] != NONE && s.contains(&ctx.context[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `from_events` is `push` with texts looked up by interned id: the same columns and the
    /// same string ids, blank texts and all.
    #[test]
    fn from_events_is_push_row_by_row() {
        use crate::schema::{Attrs, Origin};
        let tz: Tz = "America/Chicago".parse().unwrap();
        let texts = ["Store 12", " ", "", "Store 31", "sms"];
        let events: Vec<Event> = (0..40u64)
            .map(|i| {
                let t = |k: u64| (i % k != 0).then(|| Str::new(texts[(i * k % 5) as usize]));
                Event {
                    event_id: i,
                    ts: 1_782_691_200_000_000 + (i as i64) * 7_000_000_000,
                    precision: Precision::ALL[i as usize % 3],
                    source: Str::new(["groups", "texts", " "][i as usize % 3]),
                    tool: Tool::ALL[i as usize % 4],
                    channel: Channel::ALL[i as usize % 3],
                    action: Action::ALL[i as usize % Action::ALL.len()],
                    email: None,
                    phone: None,
                    name: None,
                    external_id: None,
                    context: t(2),
                    occasion: t(3),
                    utm_source: t(5),
                    utm_medium: t(7),
                    utm_campaign: t(4),
                    attrs: Attrs::from(vec![t(3), t(2)]),
                    organizer: false,
                    origin: Origin::new("x.csv", i),
                }
            })
            .collect();
        let fast = Context::from_events(&events, tz);
        let mut slow = Context::with_capacity(tz, events.len(), 2);
        for e in &events {
            let attrs: Vec<Option<&str>> = e.attrs.iter().map(|a| a.as_deref()).collect();
            slow.push(&Row {
                ts: e.ts,
                precision: e.precision,
                action: e.action,
                channel: e.channel,
                tool: e.tool,
                event_id: e.event_id,
                source: &e.source,
                context: e.context.as_deref(),
                occasion: e.occasion.as_deref(),
                utm: [e.utm_source.as_deref(), e.utm_medium.as_deref(), e.utm_campaign.as_deref()],
                attrs: &attrs,
            });
        }
        slow.finish();
        assert_eq!(fast.source, slow.source);
        assert_eq!(fast.context, slow.context);
        assert_eq!(
            (&fast.utm_source, &fast.utm_medium, &fast.utm_campaign),
            (&slow.utm_source, &slow.utm_medium, &slow.utm_campaign)
        );
        assert_eq!(fast.attrs, slow.attrs);
        assert_eq!(fast.occasion, slow.occasion);
        assert_eq!(fast.day, slow.day);
        assert_eq!(fast.strings.texts, slow.strings.texts);
        assert!(
            fast.context.contains(&NONE) && fast.strings.texts.iter().any(|t| t == " "),
            "blank and missing texts are covered"
        );
    }

    #[test]
    fn local_days_match_chrono_tz_across_dst() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let lo = 1_772_000_000_000_000; // 2026-02-25
        let hi = lo + 400 * timeutil::US_PER_DAY;
        let days = LocalDays::new(tz, lo, hi);
        let mut t = lo;
        while t < hi {
            assert_eq!(days.day(t), timeutil::local_day_number(t, tz), "at {}", timeutil::iso(t));
            t += 37 * timeutil::US_PER_MIN; // not aligned to hours
        }
        // outside the range still right
        assert_eq!(days.day(0), timeutil::local_day_number(0, tz));
    }

    #[test]
    fn half_hour_zones() {
        let tz: Tz = "Australia/Adelaide".parse().unwrap();
        let lo = 1_772_000_000_000_000;
        let days = LocalDays::new(tz, lo, lo + 300 * timeutil::US_PER_DAY);
        let mut t = lo;
        while t < lo + 300 * timeutil::US_PER_DAY {
            assert_eq!(days.day(t), timeutil::local_day_number(t, tz));
            t += 13 * timeutil::US_PER_MIN;
        }
    }
}
