//! Ingest: export files → canonical events + quarantined rows.
//!
//! Takes: a [`Plan`]'s sources. Gives: [`Ingested`] — the events of every file (identifiers raw,
//! as seen), every row that could not become an event with its file, line, column and reason,
//! and per-file statistics (hash, rows, encoding, delimiter, timestamp format).
//! Promises: every data row either becomes an event, is quarantined with a reason, or is counted
//! as skipped on purpose (blank rows, values the pipeline says to skip, records already read from
//! another file of the source): nothing is dropped silently. Event ids are stable: the same
//! bytes in the same source give the same ids, and one id is kept once per source.
//!
//! Adding a tool = one file here implementing [`Parser`] + one line in [`parser_for`].

pub mod archive;
pub mod cache;
pub mod csv;
pub mod dates;
pub mod occasions;
pub mod table;
pub mod text;

// One module per export tool.
pub mod action_network;
pub mod discord;
pub mod eventbrite;
pub mod mailchimp;
pub mod mobilize;
pub mod signal;
pub mod slack;
pub mod spoke;
pub mod telegram;
pub mod timestamps;
pub mod van;
pub mod whatsapp;
pub mod zoom;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::{Plan, SourcePlan};
use crate::error::{Diagnostic, Result, TurnoutError};
use crate::identity::normalize;
use crate::schema::{Action, Event, Origin, Precision, QuarantinedRow, Str, Tool};

/// One export format's reader.
pub trait Parser: Sync {
    fn tool(&self) -> Tool;
    /// The tool-specific `[[source]]` keys this parser reads (any of `date_order`, `group`,
    /// `min_minutes`, `columns`, …); validation refuses the others for this tool.
    fn accepts(&self) -> &'static [&'static str] {
        &[]
    }
    /// For zip inputs: whether this parser reads a member (`_chat.txt`, `*.csv`). Members it
    /// does not read are listed in the file notes. Parsers that need the whole archive at once
    /// (Slack) return `false` from [`Parser::expands_zip`] instead.
    fn reads_member(&self, name: &str) -> bool {
        let _ = name;
        true
    }
    /// False while a parser is still being written: its tool is then refused by validation.
    fn ready(&self) -> bool {
        true
    }
    /// Whether a zip input is opened by ingest and fed member by member (the default), or
    /// handed whole to the parser.
    fn expands_zip(&self) -> bool {
        true
    }
    /// Reads one file. Row-level problems go to `sink.quarantine`; a file that cannot be read at
    /// all (missing required columns, not this format) is an `Err` naming file, line and column.
    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic>;
    /// Checks that a file looks like this tool's export (headers) without reading its rows.
    fn preflight(&self, input: &Input) -> Vec<Diagnostic>;
}

/// The registry: which parser reads which tool's exports.
pub fn parser_for(tool: Tool) -> Option<&'static dyn Parser> {
    let p: &'static dyn Parser = match tool {
        Tool::Csv => &csv::GenericCsv,
        Tool::Whatsapp => &whatsapp::Whatsapp,
        Tool::Telegram => &telegram::Telegram,
        Tool::Signal => &signal::Signal,
        Tool::Slack => &slack::Slack,
        Tool::Discord => &discord::Discord,
        Tool::Spoke => &spoke::Spoke,
        Tool::Mailchimp => &mailchimp::Mailchimp,
        Tool::ActionNetwork => &action_network::ActionNetwork,
        Tool::Mobilize => &mobilize::Mobilize,
        Tool::Van => &van::Van,
        Tool::Zoom => &zoom::Zoom,
        Tool::Eventbrite => &eventbrite::Eventbrite,
    };
    p.ready().then_some(p)
}

pub fn supported_tools() -> Vec<&'static str> {
    Tool::ALL.iter().filter(|t| parser_for(**t).is_some()).map(|t| t.as_str()).collect()
}

/// One file handed to a parser.
pub struct Input<'a> {
    pub plan: &'a Plan,
    pub source: &'a SourcePlan,
    pub path: &'a Path,
    /// The path as shown to users (relative to the project root).
    pub shown: String,
    pub bytes: &'a [u8],
}

/// Per-file facts for the data-quality section and `run.json`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileStats {
    pub source: String,
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    /// Data rows seen (header excluded).
    pub rows: u64,
    pub events: u64,
    pub quarantined: u64,
    /// Rows skipped on purpose (blank rows, values the pipeline skips).
    pub skipped: u64,
    /// What the reader decided: encoding, delimiter, timestamp format.
    pub notes: BTreeMap<String, String>,
    /// Read from the parsed-file cache instead of parsed again (see [`cache`]).
    #[serde(default)]
    pub cached: bool,
}

/// Where a parser puts what it read from one file.
pub struct Sink {
    file_hash: [u8; 32],
    source: String,
    tool: Tool,
    shown: String,
    /// `source` and `shown` as every event of the file carries them.
    source_str: Str,
    shown_str: Str,
    pub events: Vec<Event>,
    /// Records that identify someone without being an event (see [`Ingested::identities`]).
    pub identities: Vec<Event>,
    pub quarantine: Vec<QuarantinedRow>,
    pub stats: FileStats,
}

impl Sink {
    /// A sink for one file (or zip member) of `source`; `shown` is how the file is named in origins.
    pub fn new(source: &SourcePlan, shown: &str, bytes: &[u8]) -> Sink {
        Sink::hashed(source, shown, bytes, Sha256::digest(bytes).into())
    }

    /// [`Sink::new`] for bytes whose SHA-256 is already known (`hash`).
    fn hashed(source: &SourcePlan, shown: &str, bytes: &[u8], hash: [u8; 32]) -> Sink {
        Sink {
            file_hash: hash,
            source: source.name.clone(),
            tool: source.tool,
            shown: shown.to_string(),
            source_str: Str::new(&source.name),
            shown_str: Str::new(shown),
            events: Vec::new(),
            identities: Vec::new(),
            quarantine: Vec::new(),
            stats: FileStats {
                source: source.name.clone(),
                file: shown.to_string(),
                sha256: crate::config::validate::hex(&hash),
                bytes: bytes.len() as u64,
                ..FileStats::default()
            },
        }
    }

    /// A new event for the record starting at `line` (1-based; record index for JSON exports).
    /// The caller fills identifiers and context; `event_id`, `source`, `tool`, `origin` are set.
    /// `sub` distinguishes several events made from one record (0 for the first).
    pub fn event(&self, line: u64, sub: u32, ts: i64, precision: Precision, action: Action, n_attrs: usize) -> Event {
        let mut h = Sha256::new();
        h.update(self.source.as_bytes());
        h.update([0]);
        h.update(self.file_hash);
        h.update(line.to_le_bytes());
        h.update(sub.to_le_bytes());
        let d = h.finalize();
        let event_id = u64::from_le_bytes(d[..8].try_into().expect("8 bytes"));
        Event {
            event_id,
            ts,
            precision,
            source: self.source_str,
            tool: self.tool,
            channel: action.default_channel(),
            action,
            email: None,
            phone: None,
            name: None,
            external_id: None,
            context: None,
            occasion: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            attrs: crate::schema::Attrs::nones(n_attrs),
            organizer: false,
            origin: Origin {
                file: self.shown_str,
                line,
            },
        }
    }

    /// Keeps a record that only identifies someone (a contact list row: names, phone, tool id,
    /// custom fields) for identity resolution; it is counted as skipped, never becomes an event.
    pub fn identity_only(&mut self, e: Event) {
        self.stats.skipped += 1;
        self.identities.push(e);
    }

    pub fn push(&mut self, e: Event) {
        self.stats.events += 1;
        self.events.push(e);
    }

    pub fn quarantine(&mut self, line: u64, column: Option<&str>, reason: &str, detail: impl Into<String>) {
        self.stats.quarantined += 1;
        self.quarantine.push(QuarantinedRow {
            source: self.source.clone(),
            file: self.shown.clone(),
            line,
            column: column.map(str::to_string),
            reason: reason.to_string(),
            detail: detail.into(),
        });
    }

    pub fn note(&mut self, key: &str, value: impl Into<String>) {
        self.stats.notes.insert(key.to_string(), value.into());
    }
}

/// Everything ingest produced for a pipeline.
#[derive(Debug, Default)]
pub struct Ingested {
    pub events: Vec<Event>,
    /// Records that identify someone but are no event (a texting tool's contact list): only
    /// their identifiers, context, attributes and origin mean anything (time and action do
    /// not). Identity links through them; they never reach the timeline.
    pub identities: Vec<Event>,
    pub quarantine: Vec<QuarantinedRow>,
    pub files: Vec<FileStats>,
    /// What the pipeline's meetings table mapped.
    pub occasions: occasions::OccasionStats,
    /// The phones normalised while matching declared organizers, for identity to reuse
    /// (`identity::Inputs::phones`): each distinct number is validated once per run.
    pub phones: normalize::PhoneMemo,
}

/// The inputs a file holds for a parser: the file itself, or the members of a zip archive
/// (named `archive.zip!member`) when the parser reads archives member by member.
fn units(parser: &dyn Parser, shown: &str, bytes: Vec<u8>) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    units_up_to(parser, shown, bytes, None)
}

/// [`units`], with only the first `head` bytes of each zip member when `head` is set.
fn units_up_to(parser: &dyn Parser, shown: &str, bytes: Vec<u8>, head: Option<u64>) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    if !(archive::is_zip(&bytes) && parser.expands_zip()) {
        return Ok(vec![(shown.to_string(), bytes)]);
    }
    let members = match head {
        Some(h) => archive::member_heads(&bytes, h),
        None => archive::members(&bytes),
    }
    .map_err(|e| {
        Diagnostic::new(shown, 0, 0, format!("cannot read the zip archive: {e}"))
            .hint("re-export the file, or unzip it and point the source's path at the files inside")
    })?;
    Ok(members
        .into_iter()
        .filter(|(name, _)| parser.reads_member(name))
        .map(|(name, b)| (format!("{shown}!{name}"), b))
        .collect())
}

/// Parses one file of `source` (a zip is opened and fed member by member when the parser
/// reads archives that way): one [`cache::Unit`] per file or member. A file or member that cannot
/// be read at all gives its diagnostics instead. This is what the fuzz targets in `fuzz/` drive.
pub fn parse_file(plan: &Plan, source: &SourcePlan, path: &Path, shown: &str, bytes: Vec<u8>) -> Result<Vec<cache::Unit>, Vec<Diagnostic>> {
    parse_hashed(plan, source, path, shown, bytes, None)
}

/// [`parse_file`] given the file's SHA-256 when it is already known (the cache key needs it):
/// a file read whole is not hashed twice.
fn parse_hashed(
    plan: &Plan,
    source: &SourcePlan,
    path: &Path,
    shown: &str,
    bytes: Vec<u8>,
    file_hash: Option<[u8; 32]>,
) -> Result<Vec<cache::Unit>, Vec<Diagnostic>> {
    let parser = parser_for(source.tool).expect("validated: every source's tool has a parser");
    let units = units(parser, shown, bytes).map_err(|d| vec![d])?;
    let mut parsed = Vec::with_capacity(units.len());
    let mut errors = Vec::new();
    for (unit, bytes) in units {
        let input = Input {
            plan,
            source,
            path,
            shown: unit.clone(),
            bytes: &bytes,
        };
        let mut sink = match file_hash {
            // The unit is the whole file (not a zip member).
            Some(h) if unit == shown => Sink::hashed(source, &unit, &bytes, h),
            _ => Sink::new(source, &unit, &bytes),
        };
        match parser.parse(&input, &mut sink) {
            Ok(()) => parsed.push(cache::Unit {
                events: sink.events,
                identities: sink.identities,
                quarantine: sink.quarantine,
                stats: sink.stats,
            }),
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// Reads every file of every source. Files that cannot be read at all are gathered and
/// reported together as one input error.
pub fn ingest(plan: &Plan) -> Result<Ingested> {
    ingest_with(plan, None)
}

/// Where and how to use the parsed-file cache.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    pub dir: std::path::PathBuf,
    /// Parse every file again (the cache is still refreshed).
    pub rebuild: bool,
}

/// What reading one file gave: its units (and whether they came from the cache), or the
/// diagnostics of a file that cannot be read; and its cache key.
struct FileRead {
    key: Option<String>,
    parsed: std::result::Result<(Vec<cache::Unit>, bool), Vec<Diagnostic>>,
}

/// Reads, parses (or loads from the cache) one file of `source`.
fn read_file(plan: &Plan, source: &SourcePlan, path: &Path, cache_opts: Option<&CacheOptions>) -> FileRead {
    let shown = plan.shown(path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return FileRead {
                key: None,
                parsed: Err(vec![Diagnostic::new(&shown, 0, 0, format!("cannot read the file: {e}"))
                    .hint("check that the file exists and is readable by the user running turnout")]),
            }
        }
    };
    let hash: Option<[u8; 32]> = cache_opts.map(|_| Sha256::digest(&bytes).into());
    let key = hash.map(|h| cache::key(plan, source, &shown, &h));
    let cached = match (cache_opts, &key) {
        (Some(c), Some(k)) if !c.rebuild => cache::load(&c.dir, k),
        _ => None,
    };
    let parsed = match cached {
        Some(u) => Ok((u, true)),
        None => parse_hashed(plan, source, path, &shown, bytes, hash).map(|parsed| {
            if let (Some(c), Some(k)) = (cache_opts, &key) {
                // A cache that cannot be written only costs time next run.
                let _ = cache::store(&c.dir, k, &parsed);
            }
            (parsed, false)
        }),
    };
    FileRead { key, parsed }
}

/// Reads every file of the plan on `threads` threads and hands each result to `consume` on the
/// calling thread, in plan order (source by source, file by file) whatever order they finished
/// in, as soon as it is next: a result waits only for the files before it, so memory holds the
/// events consumed so far plus the few files read ahead.
fn read_all(plan: &Plan, cache_opts: Option<&CacheOptions>, threads: usize, mut consume: impl FnMut(FileRead)) {
    use std::sync::{Condvar, Mutex};
    let jobs: Vec<(&SourcePlan, &std::path::PathBuf)> = plan.sources.iter().flat_map(|s| s.files.iter().map(move |f| (s, f))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    // A reader that panics (a bug) hands its panic over, so the waiting side re-raises it
    // instead of waiting for a result that never comes.
    let done: Mutex<Vec<Option<std::thread::Result<FileRead>>>> = Mutex::new(jobs.iter().map(|_| None).collect());
    let ready = Condvar::new();
    // A panicking parser is a bug; the lock is still sound, so carry on and let the panic surface.
    let lock = || done.lock().unwrap_or_else(|p| p.into_inner());
    std::thread::scope(|sc| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            sc.spawn(|| loop {
                let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(source, path)) = jobs.get(j) else { break };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_file(plan, source, path, cache_opts)));
                lock()[j] = Some(r);
                ready.notify_all();
            });
        }
        for j in 0..jobs.len() {
            let mut slots = lock();
            let r = loop {
                if let Some(r) = slots[j].take() {
                    break r;
                }
                slots = ready.wait(slots).unwrap_or_else(|p| p.into_inner());
            };
            drop(slots);
            consume(r.unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
    });
}

/// [`ingest`] with the parsed-file cache (see [`cache`]): unchanged files are not parsed again.
/// Files are read and parsed on all cores; what follows (organizers, de-duplication, the order
/// of events) goes file by file in the plan's order, so the result does not depend on timing.
pub fn ingest_with(plan: &Plan, cache_opts: Option<&CacheOptions>) -> Result<Ingested> {
    let mut out = Ingested::default();
    let mut errors = Vec::new();
    let mut used_keys: std::collections::HashSet<String> = std::collections::HashSet::new();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Per source, in plan order: its organizers and the event ids already kept.
    let mut sources = plan.sources.iter().flat_map(|s| s.files.iter().map(move |_| s)).peekable();
    let mut current: Option<(&SourcePlan, Organizers, Seen)> = None;
    // Each file's events stay in their own vector until every file is read, then move into
    // one of exactly the right size: appending as they came grew a vector of gigabytes by
    // doubling, copying it and faulting fresh pages in at every step (a tenth of a 1M run).
    let mut chunks: Vec<Vec<Event>> = Vec::new();
    read_all(plan, cache_opts, threads, |read| {
        let source = sources.next().expect("one read per file");
        if current.as_ref().is_none_or(|(s, _, _)| !std::ptr::eq(*s, source)) {
            current = Some((source, Organizers::new(source), Default::default()));
        }
        let Some((_, organizers, seen)) = current.as_mut() else {
            unreachable!("set above")
        };
        let (parsed, from_cache) = match read.parsed {
            Ok(p) => p,
            Err(mut ds) => {
                errors.append(&mut ds);
                return;
            }
        };
        if let Some(k) = read.key {
            used_keys.insert(k);
        }
        {
            for mut unit in parsed {
                unit.stats.cached = from_cache;
                for e in unit.events.iter_mut() {
                    e.organizer = e.organizer || organizers.matches(e, &mut out.phones);
                }
                // The same record twice in a source (an export dropped in twice, chats
                // exported with overlapping periods) has the same id: keep it once.
                let before = unit.events.len();
                seen.keep_first(&mut unit.events);
                let dups = (before - unit.events.len()) as u64;
                if dups > 0 {
                    unit.stats.events -= dups;
                    unit.stats.skipped += dups;
                    unit.stats.notes.insert(
                        "duplicates".into(),
                        format!("{dups} record(s) already read from another file of this source"),
                    );
                }
                seen.keep_first(&mut unit.identities);
                if !unit.events.is_empty() {
                    chunks.push(std::mem::take(&mut unit.events));
                }
                out.identities.append(&mut unit.identities);
                out.quarantine.append(&mut unit.quarantine);
                out.files.push(unit.stats);
            }
        }
    });
    out.events = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    for mut c in chunks {
        out.events.append(&mut c);
    }
    if let Some(c) = cache_opts {
        if errors.is_empty() {
            let _ = cache::prune(&c.dir, &used_keys);
        }
    }
    if !errors.is_empty() {
        return Err(TurnoutError::Input(errors));
    }
    out.occasions = occasions::apply_meetings(plan, &mut out.events);
    Ok(out)
}

/// The event ids a source has kept so far, in parts by the ids' bits, each part small enough
/// to stay in the processor's cache. One set of tens of millions of ids (a million members'
/// year of chats) costs a cache miss or two per event; a file's ids are checked one part at a
/// time instead, in file order within each part, so the first of two equal ids is the one
/// kept.
#[derive(Default)]
struct Seen {
    parts: Vec<rustc_hash::FxHashSet<u64>>,
}

impl Seen {
    const PARTS: usize = 256;

    /// Keeps the events whose id is seen for the first time, in order, and remembers the ids.
    fn keep_first(&mut self, events: &mut Vec<Event>) {
        if self.parts.is_empty() {
            self.parts = (0..Self::PARTS).map(|_| Default::default()).collect();
        }
        let part = |id: u64| (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize;
        // The ids with their positions, grouped by part (a counting sort, stable).
        let mut start = vec![0usize; Self::PARTS + 1];
        for e in events.iter() {
            start[part(e.event_id) + 1] += 1;
        }
        for p in 0..Self::PARTS {
            start[p + 1] += start[p];
        }
        let mut at = start.clone();
        let mut grouped = vec![(0u64, 0u32); events.len()];
        for (i, e) in events.iter().enumerate() {
            let p = part(e.event_id);
            grouped[at[p]] = (e.event_id, i as u32);
            at[p] += 1;
        }
        let mut first = vec![false; events.len()];
        for (p, set) in self.parts.iter_mut().enumerate() {
            for &(id, i) in &grouped[start[p]..start[p + 1]] {
                first[i as usize] = set.insert(id);
            }
        }
        let mut first = first.into_iter();
        events.retain(|_| first.next().unwrap_or(false));
    }
}

/// Checks every input file's headers without reading rows (`turnout check`).
pub fn preflight(plan: &Plan) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for source in &plan.sources {
        let Some(parser) = parser_for(source.tool) else { continue };
        for path in &source.files {
            let shown = plan.shown(path);
            let head = match read_head(path) {
                Ok(b) => b,
                Err(e) => {
                    diags.push(Diagnostic::new(shown, 0, 0, format!("cannot read the file: {e}")));
                    continue;
                }
            };
            // A zip's directory is at its end: read it whole to list members.
            let bytes = if archive::is_zip(&head) {
                std::fs::read(path).unwrap_or(head)
            } else {
                head
            };
            // Headers only: a member's first 64 KiB, as for a plain file.
            match units_up_to(parser, &shown, bytes, Some(64 * 1024)) {
                Ok(units) => {
                    for (unit, bytes) in units {
                        let input = Input {
                            plan,
                            source,
                            path,
                            shown: unit,
                            bytes: &bytes,
                        };
                        diags.extend(parser.preflight(&input));
                    }
                }
                Err(d) => diags.push(d),
            }
        }
    }
    diags
}

/// The first 64 KiB of a file: enough for headers.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0;
    loop {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
        if n == buf.len() {
            break;
        }
    }
    buf.truncate(n);
    Ok(buf)
}

/// A source's declared organizers, normalised once, matched by phone or by name. An export
/// repeats a person's phone and name on every row: each distinct one is normalised once (a
/// phone's validation is ~10 µs; per row it was 9% of a 1M-person run).
struct Organizers {
    phones: Vec<String>,
    names: Vec<String>,
    region: phonenumber::country::Id,
    /// Whether a raw phone or name (by interned id) is an organizer's: each distinct value is
    /// normalised once, however many events carry it.
    phone_memo: rustc_hash::FxHashMap<u32, bool>,
    name_memo: rustc_hash::FxHashMap<u32, bool>,
}

impl Organizers {
    fn new(source: &SourcePlan) -> Self {
        let mut phones = Vec::new();
        let mut names = Vec::new();
        for o in &source.organizers {
            if let Ok(p) = normalize::phone(o, source.region) {
                phones.push(p);
            } else {
                names.push(normalize::name(o));
            }
        }
        Organizers {
            phones,
            names,
            region: source.region,
            phone_memo: Default::default(),
            name_memo: Default::default(),
        }
    }

    fn matches(&mut self, e: &Event, phones: &mut normalize::PhoneMemo) -> bool {
        if self.phones.is_empty() && self.names.is_empty() {
            return false;
        }
        if let (Some(p), false) = (e.phone, self.phones.is_empty()) {
            let hit = *self
                .phone_memo
                .entry(p.id())
                .or_insert_with(|| phones.phone(&p, self.region).is_ok_and(|p| self.phones.contains(&p)));
            if hit {
                return true;
            }
        }
        if let (Some(n), false) = (e.name, self.names.is_empty()) {
            return *self
                .name_memo
                .entry(n.id())
                .or_insert_with(|| self.names.contains(&normalize::name(&n)));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_keeps_the_first_of_each_id_in_order_across_files() {
        // The reference: one set, in order.
        let mut reference: std::collections::HashSet<u64> = Default::default();
        let mut seen = Seen::default();
        let mut x = 0x9e37_79b9_u64;
        for (file, (n, spread)) in [(0, 1), (1, 1), (50, 10), (5000, 3000), (20000, 1 << 40), (300, 7)]
            .into_iter()
            .enumerate()
        {
            let mut events: Vec<Event> = (0..n)
                .map(|line| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Small ids (all in one part) and spread ones, with repeats inside and across files.
                    let mut e = crate::identity::tests::ev(x % spread, "s", None, None, None);
                    e.origin = Origin::new(&format!("f{file}"), line);
                    e
                })
                .collect();
            let want: Vec<(u64, Origin)> = events
                .iter()
                .filter(|e| reference.insert(e.event_id))
                .map(|e| (e.event_id, e.origin))
                .collect();
            seen.keep_first(&mut events);
            let got: Vec<(u64, Origin)> = events.iter().map(|e| (e.event_id, e.origin)).collect();
            assert_eq!(got, want, "file {file}: {n} events over {spread} ids");
        }
    }
}
