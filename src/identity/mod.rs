//! Identity: who is who across every tool, with every merge explained.
//!
//! Takes: the ingested events, identity-only records (contact lists), the plan, the overrides
//! and the previous run's person ids. Gives: [`Resolution`] — a person index per event, the
//! persons (stable pseudonymous id, organizer flag, first seen), every merge (which keys, which
//! rule, the score for probable links) and statistics for the report.
//!
//! How (DESIGN.md §5), in this order, on distinct identifiers rather than on events:
//! 1. **Normalise** each distinct raw email, phone and name once (`normalize`, `names`).
//! 2. **Guard**: an email, phone or tool id seen with more than `max_names_per_key` clearly
//!    different names (a family phone, an office email, an organizer signing others in) is
//!    flagged and does not link: its records are split by name instead.
//! 3. **Overrides**: `same` pairs are joined first; `different` pairs can never be joined.
//! 4. **Deterministic links**: identifiers on one record are joined (union-find).
//! 5. **Display names** in one chat join records, unless two people show that name.
//! 6. **Probable links** (`names = "probable"`): a person known only by name joins the unique
//!    person holding an email, phone or tool id whose name agrees (score ≥ `name_threshold`,
//!    nickname- and typo-aware) AND who shares corroboration (same worksite by
//!    `worksite_pattern`, same group or meeting, or a meeting that day). Refused when several
//!    people fit, when the candidate is already in the query's chat under another display, or
//!    when two known people anywhere carry that full name (a common name: an unknown third may
//!    carry it too).
//! 7. **Ids**: a person keeps the id of the previous run its identifiers had; new people get a
//!    keyed hash of their smallest identifier. Merges and splits are counted.
//!
//! Promises: deterministic (no hash-order dependence); over-merging is avoided before
//! under-merging; identifiers that cannot be normalised are counted by reason and never used;
//! nothing here logs or returns a raw identifier except inside person-level structures.

pub mod evaluate;
pub mod names;
pub mod normalize;
pub mod overrides;

use std::collections::BTreeMap;

/// Identity's maps: Fx hashing (fast on short keys, deterministic); nothing depends on their order.
type HashMap<K, V> = rustc_hash::FxHashMap<K, V>;
type HashSet<K> = rustc_hash::FxHashSet<K>;

use crate::config::{IdKind, Plan};
use crate::privacy::Pseudonymizer;
use crate::schema::{Action, Event, Str};

pub use overrides::{Override, Relation};

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub organizer: bool,
    pub first_seen: i64,
    pub events: u64,
    pub keys: u32,
}

/// One merge: two components joined, by which rule.
#[derive(Debug, Clone)]
pub struct Link {
    pub person: u32,
    /// Kind of the first key (`email`, `phone`, `external_id`, `handle`, `record`, …).
    pub kind: &'static str,
    /// Pseudonymised first key.
    pub key: String,
    /// Kind and pseudonymised value of the second key.
    pub other_kind: &'static str,
    pub other_key: String,
    pub rule: &'static str,
    /// Name agreement for probable links.
    pub score: Option<f64>,
    /// What corroborated a probable link (`same worksite`, `same group or meeting`, `a meeting that day`).
    pub evidence: Option<&'static str>,
    /// Records carrying the first key.
    pub records: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityStats {
    /// Events (records that become the timeline).
    pub records: u64,
    /// Identity-only records used to link (contact lists).
    pub identity_records: u64,
    pub persons: u64,
    pub organizers: u64,
    /// Persons whose records carry more than one distinct key.
    pub linked_persons: u64,
    /// Persons made of a single record with no linkable key.
    pub unlinked_records: u64,
    pub keys_by_kind: BTreeMap<String, u64>,
    /// Chat display names shown by more than one person, therefore not used to link.
    pub ambiguous_display_names: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Persons by number of events: `1`, `2`, `3-5`, `6-10`, `11+`.
    pub records_per_person: BTreeMap<String, u64>,
    /// Merges by rule.
    pub links_by_rule: BTreeMap<String, u64>,
    /// Keys not used to link because they carry several clearly different names, by kind.
    pub flagged_keys_by_kind: BTreeMap<String, u64>,
    pub probable_links: u64,
    /// Name-only persons with several agreeing candidates (not linked).
    pub probable_refused_ambiguous: u64,
    /// Name-only persons with an agreeing name but no corroboration, or a score below threshold.
    pub probable_refused_weak: u64,
    pub overrides_same: u64,
    pub overrides_different: u64,
    /// Override identifiers not found in this run's data.
    pub overrides_unmatched: u64,
    /// Joins refused because a `different` override forbids them.
    pub conflicts: u64,
    /// Person ids against the previous run: kept, new (no identifier seen before), changed
    /// (identifiers seen before under another id: a split), retired (merged into another).
    pub ids_kept: u64,
    pub ids_new: u64,
    pub ids_split: u64,
    pub ids_merged: u64,
    /// Whether a previous run's ids were available.
    pub has_previous_ids: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// `person_of[i]` is the index into `persons` of event `i`.
    pub person_of: Vec<u32>,
    pub persons: Vec<Person>,
    pub links: Vec<Link>,
    pub stats: IdentityStats,
    /// Normalised identifiers per event (for the pseudonymised tables): email, phone.
    pub norm_email: Vec<Option<Str>>,
    pub norm_phone: Vec<Option<Str>>,
    /// Every key of a person, pseudonymised, with the person index (for the next run's ids).
    pub key_tokens: Vec<(String, u32)>,
    /// Pseudonymised best name per person (the most frequent full name), if any.
    pub name_tokens: Vec<Option<String>>,
    /// Milliseconds per step, for benchmarks and `run.json`.
    pub timings: Vec<(&'static str, u128)>,
}

/// The previous run's person ids by key token (`person_keys.parquet`): millions of entries at a
/// million members, looked up once per key, so hashed with Fx rather than SipHash.
pub type PreviousIds = rustc_hash::FxHashMap<String, String>;

/// What identity resolution reads besides the plan.
#[derive(Default)]
pub struct Inputs<'a> {
    pub events: &'a [Event],
    /// Identity-only records (see `ingest::Ingested::identities`).
    pub identities: &'a [Event],
    pub overrides: &'a [Override],
    /// The previous run's key token → person id.
    pub previous: Option<&'a PreviousIds>,
    /// Or the previous run's ids still being read: called once, where they are first needed
    /// (the ids step), so that reading them overlaps the steps before.
    pub previous_pending: Option<&'a dyn Fn() -> Option<&'a PreviousIds>>,
    /// Phones already normalised this run (by ingest, matching organizers): reused and added to.
    pub phones: Option<&'a std::cell::RefCell<normalize::PhoneMemo>>,
}

struct UnionFind {
    parent: Vec<u32>,
    /// Per root: `different` constraints held, as (constraint, side).
    forbid: HashMap<u32, Vec<(u32, bool)>>,
}

impl UnionFind {
    fn add(&mut self) -> u32 {
        let i = self.parent.len() as u32;
        self.parent.push(i);
        i
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
    /// Joins the components of `a` and `b`. `Ok(true)` when two components became one,
    /// `Ok(false)` when they were one already, `Err(())` when a `different` override forbids it.
    fn union(&mut self, a: u32, b: u32) -> Result<bool, ()> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(false);
        }
        if let (Some(fa), Some(fb)) = (self.forbid.get(&ra), self.forbid.get(&rb)) {
            if fa.iter().any(|(c, side)| fb.iter().any(|(c2, side2)| c == c2 && side != side2)) {
                return Err(());
            }
        }
        // smaller index wins: deterministic
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi as usize] = lo;
        if let Some(f) = self.forbid.remove(&hi) {
            self.forbid.entry(lo).or_default().extend(f);
        }
        Ok(true)
    }
}

const KIND_EMAIL: u8 = 0;
const KIND_PHONE: u8 = 1;
const KIND_EXT: u8 = 2;
const KIND_HANDLE: u8 = 3;
const KIND_RECORD: u8 = 4;
const KIND_EMAIL_PROVIDER: u8 = 5;
const KIND_NAMES: [&str; 6] = ["email", "phone", "external_id", "handle", "record", "email_provider_form"];

fn strong(kind: u8) -> bool {
    matches!(kind, KIND_EMAIL | KIND_PHONE | KIND_EXT | KIND_EMAIL_PROVIDER)
}

/// `f` of each item, in order, the items split evenly over every core (at most 8 threads), each
/// thread with its own scratch state from `init`: for the pure per-item work (validating
/// numbers, keyed hashes, probable-name queries) that would otherwise run on one core.
pub(crate) fn on_all_cores<T: Sync, S, R: Send>(items: &[T], init: impl Fn() -> S + Sync, f: impl Fn(&mut S, &T) -> R + Sync) -> Vec<R> {
    let runs = in_runs(items.len(), cores(), |range| {
        let mut state = init();
        items[range].iter().map(|x| f(&mut state, x)).collect::<Vec<R>>()
    });
    runs.into_iter().flatten().collect()
}

/// The cores to split work over (at most 8).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// `f` of `0..n` split into `runs` contiguous runs, each on a thread of its own; the results in
/// run order (a thread's panic is raised again here).
fn in_runs<R: Send>(n: usize, runs: usize, f: impl Fn(std::ops::Range<usize>) -> R + Sync) -> Vec<R> {
    let run = n.div_ceil(runs.max(1)).max(1);
    let f = &f;
    std::thread::scope(|sc| {
        let handles: Vec<_> = (0..n)
            .step_by(run)
            .map(|start| sc.spawn(move || f(start..(start + run).min(n))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Records with the same signature as one distinct record, numbered in order of first
/// appearance (see [`distinct_records`]).
struct Distinct {
    /// Each record's distinct record.
    rec_of: Vec<u32>,
    /// Each distinct record's first record.
    first: Vec<u32>,
    /// How many records each distinct record stands for.
    mult: Vec<u32>,
}

/// The distinct signatures of records `0..n`, numbered as one pass in order would number them.
/// The lookups are the cost (tens of millions, each a cache miss into a table of millions), so
/// the records are split into one run per core, each run numbered in a table of its own; the
/// runs are then merged in order, looking up only each run's distinct signatures.
fn distinct_records<K: std::hash::Hash + Eq + Send>(n: usize, key: impl Fn(usize) -> K + Sync) -> Distinct {
    distinct_records_in(n, cores(), key)
}

/// [`distinct_records`] with the records split into `runs` runs.
fn distinct_records_in<K: std::hash::Hash + Eq + Send>(n: usize, runs: usize, key: impl Fn(usize) -> K + Sync) -> Distinct {
    let key = &key;
    // Per run: its map (signature → number in the run), each record's number, and per number
    // the first record and the count.
    let runs = in_runs(n, runs, |range| {
        let (mut map, mut local): (HashMap<K, u32>, Vec<u32>) = (HashMap::default(), Vec::with_capacity(range.len()));
        let (mut first, mut mult): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for i in range {
            let next = first.len() as u32;
            let r = *map.entry(key(i)).or_insert(next);
            if r == next {
                first.push(i as u32);
                mult.push(0);
            }
            mult[r as usize] += 1;
            local.push(r);
        }
        (map, local, first, mult)
    });
    let mut runs = runs.into_iter();
    let (mut numbered, mut rec_of, mut first, mut mult) = runs.next().unwrap_or_default();
    rec_of.reserve(n - rec_of.len());
    for (map, local, run_first, run_mult) in runs {
        drop(map);
        let renumber: Vec<u32> = run_first
            .iter()
            .zip(&run_mult)
            .map(|(&i, &m)| {
                let next = first.len() as u32;
                let r = *numbered.entry(key(i as usize)).or_insert(next);
                if r == next {
                    first.push(i);
                    mult.push(0);
                }
                mult[r as usize] += m;
                r
            })
            .collect();
        rec_of.extend(local.iter().map(|&l| renumber[l as usize]));
    }
    Distinct { rec_of, first, mult }
}

/// Interned keys: (kind, value) → node.
#[derive(Default)]
struct Keys {
    ids: [HashMap<String, u32>; 6],
    list: Vec<(u8, String)>,
    records: Vec<u64>,
}

impl Keys {
    fn intern(&mut self, kind: u8, value: String, uf: &mut UnionFind) -> u32 {
        self.intern_str(kind, &value, uf)
    }
    fn intern_str(&mut self, kind: u8, value: &str, uf: &mut UnionFind) -> u32 {
        if let Some(&id) = self.ids[kind as usize].get(value) {
            return id;
        }
        let id = uf.add();
        self.ids[kind as usize].insert(value.to_string(), id);
        self.list.push((kind, value.to_string()));
        self.records.push(0);
        id
    }
}

/// Links events into persons with the plan's rules (no identity-only records, overrides or
/// previous ids).
pub fn resolve(plan: &Plan, events: &[Event], pseudo: &Pseudonymizer) -> Resolution {
    resolve_with(
        plan,
        &Inputs {
            events,
            ..Default::default()
        },
        pseudo,
    )
}

/// A few node ids kept inline (records carry at most a handful of keys): no allocation per
/// record. Pushes beyond the capacity are dropped.
#[derive(Debug, Clone, Copy)]
struct Few<const N: usize> {
    v: [u32; N],
    n: u8,
}

impl<const N: usize> Default for Few<N> {
    fn default() -> Self {
        Few { v: [0; N], n: 0 }
    }
}

impl<const N: usize> Few<N> {
    /// Sorts and drops repeats.
    fn sort_dedup(&mut self) {
        let n = self.n as usize;
        self.v[..n].sort_unstable();
        let mut w = 0;
        for r in 0..n {
            if w == 0 || self.v[r] != self.v[w - 1] {
                self.v[w] = self.v[r];
                w += 1;
            }
        }
        self.n = w as u8;
    }
    fn push(&mut self, x: u32) {
        if (self.n as usize) < N {
            self.v[self.n as usize] = x;
            self.n += 1;
        }
    }
}

impl<const N: usize> std::ops::Deref for Few<N> {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        &self.v[..self.n as usize]
    }
}

impl<const N: usize> std::ops::DerefMut for Few<N> {
    fn deref_mut(&mut self) -> &mut [u32] {
        &mut self.v[..self.n as usize]
    }
}

/// What one record brings to identity.
struct Rec {
    /// Strong keys as first seen (before the guard): email, its provider form, phone, tool id.
    keys: Few<4>,
    handle: Option<u32>,
    name: Option<u32>,
    /// Corroboration keys (interned): worksite, exact context, meeting day (at most 8).
    corr: Few<8>,
    /// The chat (source + context) of a record from a chat export, shown by name or number.
    chat: Option<u32>,
}

/// The id of `k` in `list`, appending it the first time it is seen.
fn intern<K: std::hash::Hash + Eq + Clone>(ids: &mut HashMap<K, u32>, list: &mut Vec<K>, k: K) -> u32 {
    let next = list.len() as u32;
    let id = *ids.entry(k.clone()).or_insert(next);
    if id == next {
        list.push(k);
    }
    id
}

/// Links records into persons (see the module header for the rules and their order).
pub fn resolve_with(plan: &Plan, inputs: &Inputs, pseudo: &Pseudonymizer) -> Resolution {
    let events = inputs.events;
    let clock = std::time::Instant::now();
    let mut timings: Vec<(&'static str, u128)> = Vec::new();
    let lap = |name: &'static str, timings: &mut Vec<(&'static str, u128)>| timings.push((name, clock.elapsed().as_millis()));
    let n_events = events.len();
    let all: Vec<&Event> = events.iter().chain(inputs.identities.iter()).collect();
    let idp = &plan.identity;
    let region_of: HashMap<&str, phonenumber::country::Id> = plan.sources.iter().map(|s| (s.name.as_str(), s.region)).collect();
    // The region a source's phones without a country code are read in.
    let region_for = |source: Str| region_of.get(source.as_str()).copied().unwrap_or(plan.default_region);
    let handles: HashMap<&str, bool> = plan.sources.iter().map(|s| (s.name.as_str(), s.names_are_handles())).collect();
    let use_email = idp.match_on.contains(&IdKind::Email);
    let use_phone = idp.match_on.contains(&IdKind::Phone);
    let use_ext = idp.match_on.contains(&IdKind::ExternalId);

    let mut stats = IdentityStats {
        records: n_events as u64,
        identity_records: inputs.identities.len() as u64,
        ..Default::default()
    };
    // Normalise once per distinct raw value, keyed by the interned value's id: tens of millions
    // of records carry a few million distinct values.
    type Normalised = Result<(Str, Option<u32>, Option<u32>), &'static str>;
    let mut email_cache: HashMap<u32, Normalised> = HashMap::default();
    let mut phone_cache: HashMap<(u32, phonenumber::country::Id), Result<(Str, Option<u32>), &'static str>> = HashMap::default();
    let mut own_phones = normalize::PhoneMemo::default();
    let mut shared_phones = inputs.phones.map(|m| m.borrow_mut());
    let phone_memo: &mut normalize::PhoneMemo = match shared_phones.as_deref_mut() {
        Some(m) => m,
        None => &mut own_phones,
    };
    let mut name_cache: HashMap<u32, Option<u32>> = HashMap::default();
    // (source, context, name) → (chat hash, display-name handle key), for group chats.
    let mut chat_cache: HashMap<(u32, u32, u32), (u32, Option<u32>)> = HashMap::default();
    let mut name_ids: HashMap<names::NameParts, u32> = HashMap::default();
    let mut name_list: Vec<names::NameParts> = Vec::new();
    let mut corr_ids: HashMap<String, u32> = HashMap::default();
    let mut corr_list: Vec<String> = Vec::new();
    let mut corr_cache: HashMap<u32, Vec<u32>> = HashMap::default();

    let mut keys = Keys::default();
    let mut uf = UnionFind {
        parent: Vec::new(),
        forbid: HashMap::default(),
    };
    // Identity works on distinct records, not on events: records with the same identifiers,
    // source, context, attributes (and meeting, for meeting records) say the same thing about
    // who is who. A campaign's tens of millions of events are a few million distinct records
    // (a member's messages in one group differ only in time). `rec_of[i]` is record `i`'s
    // distinct record; `mult[r]` how many records it stands for (counts stay per record).
    let mut recs: Vec<Rec> = Vec::new();
    let id = |s: Option<Str>| s.map_or(0, Str::id);
    // Several declared attributes are numbered per distinct combination first (one or none,
    // the usual case, is its own id). Ingest gives every record the plan's attributes, so only
    // a plan declaring several has records with several.
    let mut multi_attrs: HashMap<&[Option<Str>], u32> = HashMap::default();
    if plan.attributes.len() > 1 {
        for e in &all {
            if e.attrs.len() > 1 {
                let next = multi_attrs.len() as u32 | 1 << 31;
                multi_attrs.entry(&e.attrs[..]).or_insert(next);
            }
        }
    }
    let is_meeting = |i: usize| i < n_events && matches!(all[i].action, Action::Rsvp | Action::RsvpConfirmed | Action::Attended);
    let signature = |i: usize| {
        let e = all[i];
        let meeting = is_meeting(i);
        let attrs = match &e.attrs[..] {
            [] => 0,
            [a] => id(*a),
            many => multi_attrs.get(many).copied().unwrap_or(u32::MAX),
        };
        (
            [
                e.source.id(),
                e.tool as u32,
                id(e.email),
                id(e.phone),
                id(e.name),
                id(e.external_id),
                id(e.context),
                if meeting { id(e.occasion) } else { 0 },
                u32::from(i < n_events) | u32::from(meeting) << 1,
            ],
            attrs,
        )
    };

    // Every distinct raw phone is validated up front on all cores; the loop below then finds
    // each in the memo.
    phone_memo.prefill(distinct_phones(&all, region_for));
    lap("phones", &mut timings);

    // Step 1: the distinct records (on all cores), then each one's identifiers normalised and
    // interned, in order of first appearance.
    let Distinct { rec_of, first, mult } = distinct_records(all.len(), signature);
    drop(multi_attrs);
    // Per distinct record: its normalised email and phone, and whether either was rejected.
    let mut rec_norm: Vec<(Option<Str>, Option<Str>, [bool; 2])> = Vec::with_capacity(first.len());
    for &i in &first {
        let (e, meeting) = (all[i as usize], is_meeting(i as usize));
        let mut ks: Few<4> = Few::default();
        // Each distinct raw value is normalised and interned once: (normalised, key, provider key).
        let em = e.email.map(|raw| {
            email_cache
                .entry(raw.id())
                .or_insert_with(|| {
                    normalize::email(&raw).map(|v| {
                        let k = use_email.then(|| keys.intern_str(KIND_EMAIL, &v, &mut uf));
                        let pk = (use_email && idp.email_provider_rules)
                            .then(|| normalize::email_provider_key(&v))
                            .flatten()
                            .map(|p| keys.intern(KIND_EMAIL_PROVIDER, p, &mut uf));
                        (Str::new(&v), k, pk)
                    })
                })
                .as_ref()
        });
        let ph = e.phone.map(|raw| {
            let region = region_for(e.source);
            phone_cache
                .entry((raw.id(), region))
                .or_insert_with(|| {
                    phone_memo.phone(&raw, region).map(|v| {
                        let k = use_phone.then(|| keys.intern_str(KIND_PHONE, &v, &mut uf));
                        (Str::new(&v), k)
                    })
                })
                .as_ref()
        });
        let rejects = [matches!(em, Some(Err(_))), matches!(ph, Some(Err(_)))];
        let em = em.and_then(Result::ok);
        let ph = ph.and_then(Result::ok);
        if let Some((_, k, pk)) = em {
            k.iter().chain(pk.iter()).for_each(|&k| ks.push(k));
        }
        if let Some((_, Some(k))) = ph {
            ks.push(*k);
        }
        if let (true, Some(x)) = (use_ext, &e.external_id) {
            let x = x.trim();
            if !x.is_empty() {
                ks.push(keys.intern(KIND_EXT, format!("{}:{}", e.tool, x), &mut uf));
            }
        }
        let name = e.name.and_then(|raw| {
            *name_cache.entry(raw.id()).or_insert_with(|| {
                let parts = names::parse(&normalize::name(&raw))?;
                Some(intern(&mut name_ids, &mut name_list, parts))
            })
        });
        let is_chat = handles.get(e.source.as_str()).copied().unwrap_or(false);
        let (chat, handle) = match is_chat {
            false => (None, None),
            true => {
                let memo = (e.source.id(), e.context.map_or(0, Str::id), e.name.map_or(0, Str::id));
                let (chat, handle) = *chat_cache.entry(memo).or_insert_with(|| {
                    let context = e.context.as_deref().unwrap_or("");
                    let chat = chat_hash(&format!("{}\u{1f}{}", e.source, context));
                    let folded = e.name.map(|n| normalize::name(&n)).unwrap_or_default();
                    let handle = (!folded.is_empty()).then(|| {
                        let k = format!("{}\u{1f}{}\u{1f}{}", e.source, context, folded);
                        keys.intern(KIND_HANDLE, k, &mut uf)
                    });
                    (chat, handle)
                });
                (Some(chat), handle)
            }
        };
        // Corroboration: the worksite found in the context or attributes, the exact context,
        // and for meeting records the meeting's day.
        let mut corr: Few<8> = Few::default();
        if idp.probable_names {
            for t in e.context.iter().chain(e.attrs.iter().flatten()) {
                let found = corr_cache.entry(t.id()).or_insert_with(|| {
                    let t = t.as_str();
                    let mut v = Vec::new();
                    let mut intern = |s: String| intern(&mut corr_ids, &mut corr_list, s);
                    if let Some(re) = &idp.worksite_pattern {
                        for m in re.find_iter(t) {
                            let site = names::fold(m.as_str()).split_whitespace().collect::<Vec<_>>().join(" ");
                            v.push(intern(format!("S\u{1f}{site}")));
                        }
                    }
                    v.push(intern(format!("C\u{1f}{}", names::fold(t.trim()))));
                    v
                });
                found.iter().for_each(|&k| corr.push(k));
            }
            if meeting {
                if let Some(day) = e.occasion.as_deref().and_then(crate::ingest::occasions::meeting_date) {
                    corr.push(intern(&mut corr_ids, &mut corr_list, format!("D\u{1f}{day}")));
                }
            }
            corr.sort_dedup();
        }
        rec_norm.push((em.map(|(v, _, _)| *v), ph.map(|(v, _)| *v), rejects));
        recs.push(Rec {
            keys: ks,
            handle,
            name,
            corr,
            chat,
        });
    }
    let mut rejected: [u64; 2] = [0, 0];
    for ((_, _, rejects), &m) in rec_norm.iter().zip(&mult) {
        for (n, &bad) in rejected.iter_mut().zip(rejects) {
            *n += u64::from(bad) * u64::from(m);
        }
    }
    let mut norm_email = Vec::with_capacity(n_events);
    let mut norm_phone = Vec::with_capacity(n_events);
    for &r in &rec_of[..n_events] {
        let (email, phone, _) = rec_norm[r as usize];
        norm_email.push(email);
        norm_phone.push(phone);
    }
    drop(rec_norm);

    for (reason, n) in ["invalid_email", "invalid_phone"].into_iter().zip(rejected) {
        if n > 0 {
            stats.rejected_by_reason.insert(reason.to_string(), n);
        }
    }
    lap("normalise", &mut timings);
    // Step 2: the over-merge guard. Names seen with each strong key, clustered by agreement.
    // Most keys carry one name: it is kept in a flat array, a map holds the rest.
    let mut first_name: Vec<u32> = vec![u32::MAX; keys.list.len()];
    let mut key_names: HashMap<u32, Vec<u32>> = HashMap::default();
    for r in &recs {
        if let Some(n) = r.name {
            for &k in r.keys.iter() {
                let f = &mut first_name[k as usize];
                if *f == u32::MAX {
                    *f = n;
                } else if *f != n {
                    let v = key_names.entry(k).or_insert_with(|| vec![*f]);
                    if v.len() < 32 && !v.contains(&n) {
                        v.push(n);
                    }
                }
            }
        }
    }
    drop(first_name);
    // flagged key → clusters (name ids per cluster)
    let mut flagged: HashMap<u32, Vec<Vec<u32>>> = HashMap::default();
    let mut flagged_keys: Vec<u32> = key_names
        .iter()
        .filter(|(_, ns)| ns.len() > idp.max_names_per_key)
        .map(|(k, _)| *k)
        .collect();
    flagged_keys.sort_unstable();
    for k in flagged_keys {
        let mut ns = key_names[&k].clone();
        ns.sort_by(|a, b| name_list[*a as usize].cmp(&name_list[*b as usize]));
        let mut clusters: Vec<Vec<u32>> = Vec::new();
        for n in ns {
            let parts = &name_list[n as usize];
            match clusters
                .iter_mut()
                .find(|c| c.iter().any(|m| names::similarity(parts, &name_list[*m as usize]).compatible))
            {
                Some(c) => c.push(n),
                None => clusters.push(vec![n]),
            }
        }
        if clusters.len() > idp.max_names_per_key {
            let kind = keys.list[k as usize].0;
            *stats.flagged_keys_by_kind.entry(KIND_NAMES[kind as usize].to_string()).or_default() += 1;
            flagged.insert(k, clusters);
        }
    }
    let mut sub_of: HashMap<u32, u32> = HashMap::default();
    // A flagged key is replaced on each record by a sub-key per name cluster ("#" + cluster,
    // or "#?" for records without a name): records of one name still link through it.
    for r in recs.iter_mut() {
        for slot in 0..r.keys.len() {
            let k = r.keys[slot];
            if let Some(clusters) = flagged.get(&k) {
                let which = match r.name {
                    Some(n) => clusters
                        .iter()
                        .position(|c| c.contains(&n))
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "?".into()),
                    None => "?".into(),
                };
                let (kind, value) = keys.list[k as usize].clone();
                let sub = keys.intern(kind, format!("{value}#{which}"), &mut uf);
                sub_of.insert(sub, k);
                r.keys[slot] = sub;
            }
        }
    }
    for (r, m) in recs.iter().zip(&mult) {
        for &k in r.keys.iter() {
            keys.records[k as usize] += u64::from(*m);
        }
    }

    let mut links: Vec<(u32, u32, &'static str, Option<f64>, Option<&'static str>)> = Vec::new();
    let mut join = |uf: &mut UnionFind,
                    a: u32,
                    b: u32,
                    rule: &'static str,
                    score: Option<f64>,
                    evidence: Option<&'static str>,
                    stats: &mut IdentityStats|
     -> bool {
        match uf.union(a, b) {
            Ok(true) => {
                links.push((a, b, rule, score, evidence));
                true
            }
            Ok(false) => true,
            Err(()) => {
                stats.conflicts += 1;
                false
            }
        }
    };

    lap("guard", &mut timings);
    // Step 3: overrides. Nodes of an identifier: the key and its guard sub-keys, or every
    // display name of a source.
    let mut by_value: HashMap<(u8, &str), Vec<u32>> = HashMap::default();
    let mut handle_by_name: HashMap<(&str, &str), Vec<u32>> = HashMap::default();
    for (id, (kind, value)) in keys.list.iter().enumerate().filter(|_| !inputs.overrides.is_empty()) {
        if strong(*kind) {
            let base = match sub_of.get(&(id as u32)) {
                Some(&b) => keys.list[b as usize].1.as_str(),
                None => value.as_str(),
            };
            by_value.entry((*kind, base)).or_default().push(id as u32);
        } else if *kind == KIND_HANDLE {
            let mut parts = value.split('\u{1f}');
            if let (Some(src), Some(_), Some(name)) = (parts.next(), parts.next(), parts.next()) {
                handle_by_name.entry((src, name)).or_default().push(id as u32);
            }
        }
    }
    let nodes_of = |o: &overrides::Ident| -> Vec<u32> {
        match o {
            overrides::Ident::Email(v) => by_value.get(&(KIND_EMAIL, v.as_str())).cloned().unwrap_or_default(),
            overrides::Ident::Phone(v) => by_value.get(&(KIND_PHONE, v.as_str())).cloned().unwrap_or_default(),
            overrides::Ident::ToolId(v) => by_value.get(&(KIND_EXT, v.as_str())).cloned().unwrap_or_default(),
            overrides::Ident::Name { source, name } => handle_by_name.get(&(source.as_str(), name.as_str())).cloned().unwrap_or_default(),
        }
    };
    let mut constraint = 0u32;
    for o in inputs.overrides {
        let (a, b) = (nodes_of(&o.a), nodes_of(&o.b));
        if a.is_empty() || b.is_empty() {
            stats.overrides_unmatched += 1;
            continue;
        }
        match o.relation {
            Relation::Different => {
                stats.overrides_different += 1;
                for (nodes, side) in [(&a, false), (&b, true)] {
                    for &n in nodes {
                        let r = uf.find(n);
                        uf.forbid.entry(r).or_default().push((constraint, side));
                    }
                }
                constraint += 1;
            }
            Relation::Same => {}
        }
    }
    // A `same` pair on a key the guard split joins only the key's records without a name: the
    // named ones belong to their names.
    let unnamed_only = |nodes: Vec<u32>| -> Vec<u32> {
        nodes
            .into_iter()
            .filter(|n| !sub_of.contains_key(n) || keys.list[*n as usize].1.ends_with("#?"))
            .collect()
    };
    for o in inputs.overrides.iter().filter(|o| o.relation == Relation::Same) {
        let (a, b) = (unnamed_only(nodes_of(&o.a)), unnamed_only(nodes_of(&o.b)));
        if a.is_empty() || b.is_empty() {
            continue;
        }
        stats.overrides_same += 1;
        for &x in a.iter().chain(&b) {
            join(&mut uf, a[0], x, "override: same person", None, None, &mut stats);
        }
    }

    lap("overrides", &mut timings);
    // Step 4: identifiers on one record. A record whose identifiers an override keeps apart
    // stays with the identifier that could not join (and the conflict is counted).
    let mut conflicted: HashMap<usize, u32> = HashMap::default();
    for (i, r) in recs.iter().enumerate() {
        for w in r.keys.windows(2) {
            if !join(&mut uf, w[0], w[1], "shown together on a record", None, None, &mut stats) {
                // Each record it stands for would have met the same refusal.
                stats.conflicts += u64::from(mult[i] - 1);
                conflicted.entry(i).or_insert(w[1]);
            }
        }
    }

    lap("deterministic", &mut timings);
    // Step 5: a display name in one chat joins records only when every record that shows it
    // with a phone or email belongs to one person. Two people sharing a push name ("~ Grace")
    // make the name ambiguous: it then links nothing (over-merging invents conversions).
    let mut handle_roots: HashMap<u32, Vec<u32>> = HashMap::default();
    for r in &recs {
        if let (Some(h), Some(&k)) = (r.handle, r.keys.first()) {
            let root = uf.find(k);
            let roots = handle_roots.entry(h).or_default();
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    let ambiguous: HashSet<u32> = handle_roots.iter().filter(|(_, r)| r.len() > 1).map(|(h, _)| *h).collect();
    stats.ambiguous_display_names = ambiguous.len() as u64;
    // Each distinct record's anchor node, or `u32::MAX` when each record it stands for is a
    // node of its own (nothing identifies it but itself).
    let mut rec_anchor: Vec<u32> = Vec::with_capacity(recs.len());
    for (i, r) in recs.iter().enumerate() {
        if let (Some(h), Some(&k)) = (r.handle, r.keys.first()) {
            if !ambiguous.contains(&h) && !join(&mut uf, h, k, "same display name in one chat", None, None, &mut stats) {
                stats.conflicts += u64::from(mult[i] - 1);
            }
        }
        rec_anchor.push(match (conflicted.get(&i).or(r.keys.first()), r.handle) {
            (Some(&k), _) => k,
            (None, Some(h)) if !ambiguous.contains(&h) => h,
            _ => u32::MAX,
        });
    }
    // Every record's anchor; (distinct record, anchor) pairs for the probable step, with a
    // record that is its own node listed once per record, as it is that many components.
    let mut anchor: Vec<u32> = Vec::with_capacity(all.len());
    let mut own: HashMap<u32, Vec<u32>> = HashMap::default();
    for (i, &r) in rec_of.iter().enumerate() {
        let a = match rec_anchor[r as usize] {
            u32::MAX => {
                let a = keys.intern(KIND_RECORD, format!("{:016x}", all[i].event_id), &mut uf);
                own.entry(r).or_default().push(a);
                a
            }
            a => a,
        };
        if recs[r as usize].keys.is_empty() {
            keys.records[a as usize] += 1;
        }
        anchor.push(a);
    }
    let items: Vec<(u32, u32)> = rec_anchor
        .iter()
        .enumerate()
        .flat_map(|(r, &a)| match a {
            u32::MAX => own[&(r as u32)].iter().map(|&a| (r as u32, a)).collect::<Vec<_>>(),
            a => vec![(r as u32, a)],
        })
        .collect();
    drop(own);

    lap("display_names", &mut timings);
    // Step 6: probable links by name.
    if idp.probable_names {
        probable(
            &recs,
            &items,
            &keys,
            &name_list,
            &corr_list,
            &mut uf,
            idp.name_threshold,
            &mut join,
            &mut stats,
        );
    }

    lap("probable", &mut timings);
    // Step 7: components holding an event are persons. Dense
    // arrays indexed by node throughout: millions of keys, no map per component.
    let n_keys = keys.list.len();
    let root_of: Vec<u32> = (0..n_keys as u32).map(|k| uf.find(k)).collect();
    let mut is_event_root = vec![false; n_keys];
    for &a in &anchor[..n_events] {
        is_event_root[root_of[a as usize] as usize] = true;
    }
    // Keys of event components, grouped by root (stable: keys stay in id order within a root).
    let mut grouped: Vec<u32> = (0..n_keys as u32)
        .filter(|&k| is_event_root[root_of[k as usize] as usize])
        .collect();
    grouped.sort_by_key(|&k| root_of[k as usize]);
    let mut roots: Vec<(u32, u32, std::ops::Range<usize>)> = Vec::new(); // (root, smallest key, keys)
    let mut at = 0;
    while at < grouped.len() {
        let root = root_of[grouped[at] as usize];
        let mut end = at;
        let mut min = grouped[at];
        while end < grouped.len() && root_of[grouped[end] as usize] == root {
            if keys.list[grouped[end] as usize] < keys.list[min as usize] {
                min = grouped[end];
            }
            end += 1;
        }
        roots.push((root, min, at..end));
        at = end;
    }
    // Persons are numbered in root order: a union keeps the smaller node, so a component's
    // root is its first-seen key (deterministic for the same inputs, and no string sort over
    // millions of keys). Ids do not depend on it: they come from the smallest key's value.
    let token_of = |k: u32| -> String {
        let (kind, v) = &keys.list[k as usize];
        pseudo.token(KIND_NAMES[*kind as usize], v)
    };
    let mut person_of_root: Vec<u32> = vec![u32::MAX; n_keys];
    for (i, (root, _, _)) in roots.iter().enumerate() {
        person_of_root[*root as usize] = i as u32;
    }
    // Keyed tokens of every key of every person, hashed on every core (HMAC is the cost here).
    let mut token_cache: Vec<String> = vec![String::new(); n_keys];
    for (&k, t) in grouped.iter().zip(on_all_cores(&grouped, || (), |_, &k| token_of(k))) {
        token_cache[k as usize] = t;
    }
    let mut key_tokens: Vec<(String, u32)> = Vec::with_capacity(grouped.len());
    for (i, (_, _, range)) in roots.iter().enumerate() {
        for &k in &grouped[range.clone()] {
            key_tokens.push((token_cache[k as usize].clone(), i as u32));
        }
    }
    // Sorted by token on a thread of its own while the steps below run on this one (millions of
    // string comparisons, and nothing below reads them).
    let key_tokens = std::thread::spawn(move || {
        key_tokens.sort_unstable();
        key_tokens
    });
    let mut persons = Vec::with_capacity(roots.len());
    lap("components", &mut timings);
    // Ids: the previous run's id its keys had (the most common one), else a keyed hash of the
    // smallest key. An id is given to one person only.
    let mut claimed: HashSet<String> = HashSet::default();
    let mut ids: Vec<Option<String>> = vec![None; roots.len()];
    let mut fresh: Vec<usize> = Vec::new();
    let previous = inputs.previous.or_else(|| inputs.previous_pending.and_then(|f| f()));
    stats.has_previous_ids = previous.is_some();
    // Each person's votes for the previous run's ids, ranked, on every core (a keyed hash and
    // a lookup among millions per key); the ids are then claimed in person order.
    let ranked: Vec<Vec<(&str, u32)>> = match previous {
        None => Vec::new(),
        Some(prev) => on_all_cores(
            &roots,
            || (),
            |_, (_, _, range)| {
                let mut votes: BTreeMap<&str, u32> = BTreeMap::new();
                for k in &grouped[range.clone()] {
                    // A key the guard split this week still remembers whose it was.
                    let base = sub_of.get(k).map(|b| token_of(*b));
                    for t in [Some(&token_cache[*k as usize]), base.as_ref()].into_iter().flatten() {
                        if let Some(id) = prev.get(t) {
                            *votes.entry(id.as_str()).or_default() += 1;
                        }
                    }
                }
                let mut ranked: Vec<(&str, u32)> = votes.into_iter().collect();
                ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                ranked
            },
        ),
    };
    for i in 0..roots.len() {
        let Some(ranked) = ranked.get(i) else {
            fresh.push(i);
            continue;
        };
        if ranked.is_empty() {
            stats.ids_new += 1;
            fresh.push(i);
            continue;
        }
        stats.ids_merged += ranked.len() as u64 - 1;
        match ranked.iter().find(|(id, _)| !claimed.contains(*id)) {
            Some((id, _)) => {
                claimed.insert(id.to_string());
                ids[i] = Some(id.to_string());
                stats.ids_kept += 1;
            }
            None => {
                stats.ids_split += 1;
                fresh.push(i);
            }
        }
    }
    for i in fresh {
        let (_, min, range) = &roots[i];
        let first = format!("P{}", token_cache[*min as usize]);
        let id = if !claimed.contains(&first) {
            first
        } else {
            let mut ks = grouped[range.clone()].to_vec();
            ks.sort_by(|a, b| keys.list[*a as usize].cmp(&keys.list[*b as usize]));
            ks.iter()
                .map(|k| format!("P{}", token_cache[*k as usize]))
                .find(|id| !claimed.contains(id))
                .unwrap_or_else(|| format!("P{}-{i}", token_cache[*min as usize]))
        };
        claimed.insert(id.clone());
        ids[i] = Some(id);
    }
    for (i, id) in ids.into_iter().enumerate() {
        persons.push(Person {
            id: id.expect("every person has an id"),
            organizer: false,
            first_seen: i64::MAX,
            events: 0,
            keys: roots[i].2.len() as u32,
        });
    }
    lap("ids", &mut timings);
    let mut out_links = Vec::with_capacity(links.len());
    for (a, b, rule, score, evidence) in links {
        let p = person_of_root[root_of[a as usize] as usize];
        if p == u32::MAX {
            continue;
        }
        let token = |k: u32| match token_cache[k as usize].is_empty() {
            true => token_of(k),
            false => token_cache[k as usize].clone(),
        };
        *stats.links_by_rule.entry(rule.to_string()).or_default() += 1;
        out_links.push(Link {
            person: p,
            kind: KIND_NAMES[keys.list[a as usize].0 as usize],
            key: token(a),
            other_kind: KIND_NAMES[keys.list[b as usize].0 as usize],
            other_key: token(b),
            rule,
            score,
            evidence,
            records: keys.records[a as usize],
        });
    }
    out_links.sort_by(|a, b| (a.person, a.rule, &a.key, &a.other_key).cmp(&(b.person, b.rule, &b.key, &b.other_key)));
    for (k, (kind, _)) in keys.list.iter().enumerate() {
        if person_of_root[root_of[k] as usize] != u32::MAX && *kind != KIND_RECORD {
            *stats.keys_by_kind.entry(KIND_NAMES[*kind as usize].to_string()).or_default() += 1;
        }
    }
    lap("links", &mut timings);
    let mut person_of = Vec::with_capacity(n_events);
    let mut name_votes: HashMap<(u32, u32), u32> = HashMap::default();
    for (i, e) in events.iter().enumerate() {
        let p = person_of_root[root_of[anchor[i] as usize] as usize];
        let person = &mut persons[p as usize];
        person.events += 1;
        person.first_seen = person.first_seen.min(e.ts);
        person.organizer |= e.organizer;
        person_of.push(p);
        if let Some(n) = recs[rec_of[i] as usize].name {
            if name_list[n as usize].is_full() {
                *name_votes.entry((p, n)).or_default() += 1;
            }
        }
    }
    let mut best: Vec<Option<(u32, u32)>> = vec![None; persons.len()];
    let mut votes: Vec<((u32, u32), u32)> = name_votes.into_iter().collect();
    votes.sort_unstable();
    for ((p, n), c) in votes {
        let slot = &mut best[p as usize];
        if slot.map(|(_, bc)| c > bc).unwrap_or(true) {
            *slot = Some((n, c));
        }
    }
    let name_tokens = best
        .iter()
        .map(|b| {
            b.map(|(n, _)| {
                let np = &name_list[n as usize];
                pseudo.token("name", &format!("{} {}", np.given, np.family.as_deref().unwrap_or("")))
            })
        })
        .collect();
    stats.persons = persons.len() as u64;
    stats.organizers = persons.iter().filter(|p| p.organizer).count() as u64;
    stats.linked_persons = persons.iter().filter(|p| p.keys > 1).count() as u64;
    stats.unlinked_records = persons
        .iter()
        .enumerate()
        .filter(|(i, p)| p.keys == 1 && keys.list[roots[*i].1 as usize].0 == KIND_RECORD)
        .count() as u64;
    for p in &persons {
        let bucket = match p.events {
            0 | 1 => "1",
            2 => "2",
            3..=5 => "3-5",
            6..=10 => "6-10",
            _ => "11+",
        };
        *stats.records_per_person.entry(bucket.to_string()).or_default() += 1;
    }
    lap("persons", &mut timings);
    let key_tokens = key_tokens.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
    Resolution {
        person_of,
        persons,
        links: out_links,
        stats,
        norm_email,
        norm_phone,
        key_tokens,
        name_tokens,
        timings,
    }
}

/// Every distinct raw phone of `records` with the region it is read in, in first-seen order:
/// one pass, with a bitmap over interned ids per region (a campaign usually has one region).
fn distinct_phones(records: &[&Event], region_for: impl Fn(Str) -> phonenumber::country::Id) -> Vec<(Str, phonenumber::country::Id)> {
    let mut marks: Vec<(phonenumber::country::Id, Vec<u64>)> = Vec::new();
    let mut out = Vec::new();
    let mut last: Option<(Str, phonenumber::country::Id)> = None;
    for e in records {
        let Some(raw) = e.phone else { continue };
        let region = match last {
            Some((s, r)) if s == e.source => r,
            _ => last.insert((e.source, region_for(e.source))).1,
        };
        let k = marks.iter().position(|(r, _)| *r == region).unwrap_or_else(|| {
            marks.push((region, Vec::new()));
            marks.len() - 1
        });
        let bits = &mut marks[k].1;
        let (word, bit) = (raw.id() as usize / 64, 1u64 << (raw.id() % 64));
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        if bits[word] & bit == 0 {
            bits[word] |= bit;
            out.push((raw, region));
        }
    }
    out
}

/// Step 6: a component known only by name (no email, phone or tool id) joins the unique
/// component holding a strong key whose name agrees well enough and that shares corroboration.
#[allow(clippy::too_many_arguments)]
fn probable(
    recs: &[Rec],
    items: &[(u32, u32)],
    keys: &Keys,
    name_list: &[names::NameParts],
    corr_list: &[String],
    uf: &mut UnionFind,
    threshold: f64,
    join: &mut dyn FnMut(&mut UnionFind, u32, u32, &'static str, Option<f64>, Option<&'static str>, &mut IdentityStats) -> bool,
    stats: &mut IdentityStats,
) {
    // Per component (dense ids in root order): anchored (holds a strong key), the chat of its
    // first display name, and as flat sorted lists its names, corroboration keys and chats.
    let rec_root: Vec<u32> = items.iter().map(|&(_, a)| uf.find(a)).collect();
    let mut comp_root: Vec<u32> = rec_root.clone();
    comp_root.sort_unstable();
    comp_root.dedup();
    let nc = comp_root.len();
    let mut comp_of_root: Vec<u32> = vec![u32::MAX; uf.parent.len()];
    for (c, &r) in comp_root.iter().enumerate() {
        comp_of_root[r as usize] = c as u32;
    }
    let rec_comp: Vec<u32> = rec_root.iter().map(|&r| comp_of_root[r as usize]).collect();
    drop(comp_of_root);
    let mut anchored = vec![false; nc];
    let mut handle_of: Vec<Option<u32>> = vec![None; nc];
    let (mut name_pairs, mut corr_pairs, mut chat_pairs) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &(r, _)) in items.iter().enumerate() {
        let r = &recs[r as usize];
        let c = rec_comp[i];
        anchored[c as usize] |= r.keys.iter().any(|k| strong(keys.list[*k as usize].0));
        if let Some(n) = r.name {
            name_pairs.push((c, n));
        }
        corr_pairs.extend(r.corr.iter().map(|&k| (c, k)));
        if handle_of[c as usize].is_none() {
            handle_of[c as usize] = r.handle;
        }
        if let Some(ch) = r.chat {
            chat_pairs.push((c, ch));
        }
    }
    let names_of = Csr::new(name_pairs, nc);
    let corr_of = Csr::new(corr_pairs, nc);
    let chats_of = Csr::new(chat_pairs, nc);
    // Index anchored components by (corroboration, blocking token): the family name, and the
    // canonical given name with the family initial, so a typo in either still finds the
    // candidate. Queries whose best possible score is under the threshold are not looked up.
    let mut tok_ids: HashMap<String, u32> = HashMap::default();
    let raw_tokens = |np: &names::NameParts| -> Vec<String> {
        let mut raw: Vec<String> = Vec::with_capacity(4);
        let initial = np.initial.map(String::from).unwrap_or_default();
        for g in names::given_forms(&np.given) {
            // The family name with the first letter of the (canonical) given name: finds a typo
            // in the given name (Jaro-Winkler ≥ 0.9 all but requires the same first letter)
            // without scanning everyone of that family at the worksite.
            if let (Some(f), Some(first)) = (&np.family, names::canonical_given(g).chars().next()) {
                raw.push(format!("f\u{1f}{f}\u{1f}{first}"));
            }
            raw.push(format!("g\u{1f}{}\u{1f}{initial}", names::canonical_given(g)));
            if !initial.is_empty() && threshold <= GIVEN_ONLY_BOUND {
                raw.push(format!("g\u{1f}{}\u{1f}", names::canonical_given(g)));
            }
        }
        raw
    };
    // A name's blocking tokens, numbered (new ones get the next number).
    let tokens = |np: &names::NameParts, tok_ids: &mut HashMap<String, u32>| -> Vec<u32> {
        let mut out: Vec<u32> = Vec::with_capacity(4);
        for t in raw_tokens(np) {
            let next = tok_ids.len() as u32;
            let id = *tok_ids.entry(t).or_insert(next);
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    };
    // A name's blocking tokens that some anchored name has (the others find no candidate).
    let known_tokens = |np: &names::NameParts, tok_ids: &HashMap<String, u32>| -> Vec<u32> {
        let mut out: Vec<u32> = Vec::with_capacity(4);
        for t in raw_tokens(np) {
            if let Some(&id) = tok_ids.get(&t) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    };
    // (corroboration, token, component), sorted: a lookup is a binary search.
    let mut index: Vec<(u32, u32, u32)> = Vec::new();
    for c in (0..nc as u32).filter(|&c| anchored[c as usize]) {
        for &n in names_of.get(c) {
            let toks = tokens(&name_list[n as usize], &mut tok_ids);
            for &k in corr_of.get(c) {
                index.extend(toks.iter().map(|&t| (k, t, c)));
            }
        }
    }
    index.sort_unstable();
    index.dedup();
    // Where each (corroboration, token) run of the index starts and ends: a lookup is one hash
    // probe (a binary search over the whole index was a few dozen cache misses each, for
    // millions of lookups).
    let mut runs: HashMap<(u32, u32), (u32, u32)> = HashMap::default();
    let mut at = 0;
    for run in index.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        runs.insert((run[0].0, run[0].1), (at as u32, (at + run.len()) as u32));
        at += run.len();
    }
    let lookup = |k: u32, t: u32| -> &[(u32, u32, u32)] { runs.get(&(k, t)).map_or(&[], |&(lo, hi)| &index[lo as usize..hi as usize]) };
    // How many anchored people carry each full name anywhere: a name two known people share is
    // common enough that an unknown third may share it too.
    let mut holders: HashMap<(&str, &str), u32> = HashMap::default();
    for c in (0..nc as u32).filter(|&c| anchored[c as usize]) {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for &n in names_of.get(c) {
            let np = &name_list[n as usize];
            if let Some(f) = &np.family {
                let k = (names::canonical_given(&np.given), f.as_str());
                if !seen.contains(&k) {
                    seen.push(k);
                    *holders.entry(k).or_default() += 1;
                }
            }
        }
    }
    let evidence_of = |k: u32| -> &'static str {
        match corr_list[k as usize].as_bytes().first() {
            Some(b'S') => "same worksite",
            Some(b'D') => "a meeting that day",
            _ => "same group or meeting",
        }
    };
    // Decide every query first, then join: decisions do not depend on order.
    // Each query is decided on its own (read-only on the index), so the queries are split
    // across the cores; decisions come back in query order.
    enum Decision {
        Nothing,
        Ambiguous,
        Weak,
        Chosen(u32, u32, f64, &'static str),
    }
    // `sims`: each thread's scores of (query name, candidate name) pairs so far; a display
    // name shown in several chats meets the same candidates' names again.
    let decide = |q: u32, looked: &mut HashSet<(u32, u32)>, sims: &mut HashMap<(u32, u32), Option<f64>>| -> Decision {
        // candidate → (best score, compatible, evidence)
        let mut cands: BTreeMap<u32, (f64, &'static str)> = BTreeMap::new();
        let mut any_agreeing = false;
        looked.clear();
        for &n in names_of.get(q) {
            let np = &name_list[n as usize];
            // The best score this name can reach: a whole family name, an initial, or nothing.
            let bound = match (&np.family, np.initial) {
                (Some(_), _) => 1.0,
                (None, Some(_)) => INITIAL_BOUND,
                (None, None) => GIVEN_ONLY_BOUND,
            };
            if bound < threshold {
                any_agreeing = true;
                continue;
            }
            let toks = known_tokens(np, &tok_ids);
            for &k in corr_of.get(q) {
                for t in &toks {
                    for &(_, _, cand) in lookup(k, *t) {
                        if !looked.insert((cand, n)) {
                            continue;
                        }
                        // WhatsApp and the like show a person one way in a chat: a candidate
                        // already in the query's chat (by number or another name) is someone else.
                        if handle_of[q as usize].is_some() && chats_of.get(cand).iter().any(|ch| chats_of.get(q).contains(ch)) {
                            continue;
                        }
                        let best = names_of
                            .get(cand)
                            .iter()
                            .filter_map(|&m| {
                                *sims.entry((n, m)).or_insert_with(|| {
                                    let s = names::similarity(np, &name_list[m as usize]);
                                    s.compatible.then_some(s.score)
                                })
                            })
                            .fold(f64::NAN, f64::max);
                        if best.is_nan() {
                            continue;
                        }
                        any_agreeing = true;
                        if best >= threshold {
                            let e = cands.entry(cand).or_insert((best, evidence_of(k)));
                            if best > e.0 {
                                *e = (best, evidence_of(k));
                            }
                        }
                    }
                }
            }
        }
        let common = names_of.get(q).iter().any(|&n| {
            let np = &name_list[n as usize];
            np.family
                .as_deref()
                .map(|f| holders.get(&(names::canonical_given(&np.given), f)).copied().unwrap_or(0) > 1)
                .unwrap_or(false)
        });
        match cands.len() {
            1 if common => Decision::Ambiguous,
            1 => {
                let (&cand, &(score, evidence)) = cands.iter().next().expect("one");
                Decision::Chosen(q, cand, score, evidence)
            }
            0 if any_agreeing => Decision::Weak,
            0 => Decision::Nothing,
            _ => Decision::Ambiguous,
        }
    };
    let queries: Vec<u32> = (0..nc as u32)
        .filter(|&q| !anchored[q as usize] && !names_of.get(q).is_empty())
        .collect();
    let decisions: Vec<Decision> = on_all_cores(
        &queries,
        || (HashSet::<(u32, u32)>::default(), HashMap::<(u32, u32), Option<f64>>::default()),
        |(looked, sims), &q| decide(q, looked, sims),
    );
    let mut chosen: Vec<(u32, u32, f64, &'static str)> = Vec::new();
    for d in decisions {
        match d {
            Decision::Nothing => {}
            Decision::Ambiguous => stats.probable_refused_ambiguous += 1,
            Decision::Weak => stats.probable_refused_weak += 1,
            Decision::Chosen(q, cand, score, evidence) => chosen.push((q, cand, score, evidence)),
        }
    }
    // Two display names of one chat choosing the same person are two people: refuse both.
    let mut per_chat: HashMap<(u32, u32), u32> = HashMap::default();
    for (q, cand, _, _) in &chosen {
        if let Some(h) = handle_of[*q as usize] {
            let chat = chat_of(keys, h);
            *per_chat.entry((*cand, chat)).or_default() += 1;
        }
    }
    for (q, cand, score, evidence) in chosen {
        if let Some(h) = handle_of[q as usize] {
            if per_chat[&(cand, chat_of(keys, h))] > 1 {
                stats.probable_refused_ambiguous += 1;
                continue;
            }
        }
        let (qr, cr) = (comp_root[q as usize], comp_root[cand as usize]);
        if join(uf, qr, cr, "probable: name and corroboration", Some(score), Some(evidence), stats) {
            stats.probable_links += 1;
        }
    }
}

/// Values per component as one flat sorted list with offsets (compressed rows).
struct Csr {
    start: Vec<u32>,
    vals: Vec<u32>,
}

impl Csr {
    fn new(mut pairs: Vec<(u32, u32)>, rows: usize) -> Csr {
        pairs.sort_unstable();
        pairs.dedup();
        let mut start = vec![0u32; rows + 1];
        for &(r, _) in &pairs {
            start[r as usize + 1] += 1;
        }
        for r in 0..rows {
            start[r + 1] += start[r];
        }
        Csr {
            start,
            vals: pairs.into_iter().map(|(_, v)| v).collect(),
        }
    }
    fn get(&self, row: u32) -> &[u32] {
        &self.vals[self.start[row as usize] as usize..self.start[row as usize + 1] as usize]
    }
}

/// Best possible name score with only a family initial (see `names::similarity`).
const INITIAL_BOUND: f64 = 0.6 + 0.4 * 0.6;
/// Best possible name score with a given name only.
const GIVEN_ONLY_BOUND: f64 = 0.6 + 0.4 * 0.4;

/// A stable number for the chat (source + context) of a display-name key.
fn chat_of(keys: &Keys, handle: u32) -> u32 {
    let v = &keys.list[handle as usize].1;
    chat_hash(v.rsplit_once('\u{1f}').map(|(c, _)| c).unwrap_or(v))
}

/// FNV-1a of `source \u{1f} context`: a small deterministic hash is enough to group by chat.
fn chat_hash(chat: &str) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for b in chat.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    h
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::{Action, Precision, Tool};

    fn plan() -> Plan {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.csv"), "t,n\n").unwrap();
        let toml = format!(
            "[pipeline]\nname = \"t\"\ntimezone = \"UTC\"\nroot = \"{}\"\n[[source]]\nname = \"groups\"\ntool = \"csv\"\npath = \"g.csv\"\ncolumns = {{ ts = \"t\", name = \"n\" }}\naction = \"message_sent\"\nname_is_handle = true\n[[source]]\nname = \"sheets\"\ntool = \"csv\"\npath = \"g.csv\"\ncolumns = {{ ts = \"t\", name = \"n\" }}\naction = \"attended\"\n[[funnel]]\nname = \"f\"\nwindow = \"1d\"\nstages = [{{ name = \"a\", when = {{ action = \"attended\" }} }}]\n",
            dir.path().display()
        );
        let p = dir.path().join("p.toml");
        std::fs::write(&p, toml).unwrap();
        crate::config::load(&p).unwrap()
    }

    pub(crate) fn ev(id: u64, source: &str, email: Option<&str>, phone: Option<&str>, name: Option<&str>) -> Event {
        Event {
            event_id: id,
            ts: id as i64,
            precision: Precision::Second,
            source: source.into(),
            tool: Tool::Csv,
            channel: Action::MessageSent.default_channel(),
            action: Action::MessageSent,
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            name: name.map(Into::into),
            external_id: None,
            context: Some("Store 12".into()),
            occasion: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            attrs: vec![].into(),
            organizer: false,
            origin: crate::schema::Origin::new("x", id as u64),
        }
    }

    fn same(r: &Resolution, a: usize, b: usize) -> bool {
        r.person_of[a] == r.person_of[b]
    }

    #[test]
    fn distinct_records_are_numbered_as_one_pass_numbers_them_whatever_the_runs() {
        // A single pass in order: the reference.
        let reference = |keys: &[u32]| {
            let (mut ids, mut rec_of, mut first, mut mult) = (HashMap::<u32, u32>::default(), Vec::new(), Vec::new(), Vec::<u32>::new());
            for (i, k) in keys.iter().enumerate() {
                let next = first.len() as u32;
                let r = *ids.entry(*k).or_insert(next);
                if r == next {
                    first.push(i as u32);
                    mult.push(0);
                }
                mult[r as usize] += 1;
                rec_of.push(r);
            }
            (rec_of, first, mult)
        };
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for (n, alphabet) in [(0, 1), (1, 1), (7, 3), (1000, 40), (5000, 4000), (3001, 2)] {
            let keys: Vec<u32> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % alphabet) as u32
                })
                .collect();
            let want = reference(&keys);
            for runs in [1, 2, 3, 8, n + 5] {
                let d = distinct_records_in(keys.len(), runs, |i| keys[i]);
                assert_eq!(
                    (d.rec_of, d.first, d.mult),
                    want.clone(),
                    "{n} records of {alphabet} keys in {runs} runs"
                );
            }
        }
    }

    #[test]
    fn links_on_normalised_email_and_phone_transitively() {
        let p = plan();
        let events = vec![
            ev(1, "sheets", Some(" Rosa.M@Gmail.com"), None, None),
            ev(2, "sheets", Some("rosa.m@gmail.com"), Some("(312) 456-0142"), None),
            ev(3, "sheets", None, Some("+1 312 456 0142"), None),
            ev(4, "sheets", None, Some("312.456.0199"), None),
        ];
        let r = resolve(&p, &events, &Pseudonymizer::new(b"k0123456789abcdef"));
        assert!(same(&r, 0, 1) && same(&r, 1, 2));
        assert!(!same(&r, 0, 3));
        assert_eq!(r.persons.len(), 2);
        assert_eq!(r.norm_phone[2].as_deref(), Some("+13124560142"));
    }

    #[test]
    fn invalid_identifiers_are_counted_and_not_used() {
        let p = plan();
        let events = vec![
            ev(1, "sheets", Some("rosa@"), Some("312-55"), Some("Rosa")),
            ev(2, "sheets", Some("rosa@"), Some("312-55"), Some("Rosa")),
        ];
        let r = resolve(&p, &events, &Pseudonymizer::new(b"k0123456789abcdef"));
        assert!(!same(&r, 0, 1), "two records sharing only invalid identifiers are not linked");
        assert_eq!(r.stats.rejected_by_reason["invalid_email"], 2);
        assert_eq!(r.stats.rejected_by_reason["invalid_phone"], 2);
    }

    #[test]
    fn display_names_link_within_a_chat_unless_two_people_show_them() {
        let p = plan();
        let events = vec![
            // "Rosa" with a phone, then "Rosa" name-only in the same group: one person
            ev(1, "groups", None, Some("3124560142"), Some("Rosa")),
            ev(2, "groups", None, None, Some("Rosa 🌹")),
            // the same name on a sign-in sheet is not a handle: not linked
            ev(3, "sheets", None, None, Some("Rosa")),
            // two different people both shown as "~ Grace": the name links nobody
            ev(4, "groups", None, Some("7738374490"), Some("~ Grace")),
            ev(5, "groups", None, Some("7732663713"), Some("~ grace")),
            ev(6, "groups", None, None, Some("Grace")),
        ];
        let r = resolve(&p, &events, &Pseudonymizer::new(b"k0123456789abcdef"));
        assert!(same(&r, 0, 1));
        assert!(!same(&r, 0, 2));
        assert!(!same(&r, 3, 4));
        assert!(!same(&r, 5, 3) && !same(&r, 5, 4));
        assert_eq!(r.stats.ambiguous_display_names, 1);
        // every person holds at least one event
        assert!(r.persons.iter().all(|p| p.events > 0));
        assert_eq!(r.persons.iter().map(|p| p.events).sum::<u64>(), 6);
    }

    #[test]
    fn person_ids_are_stable_and_keyed() {
        let p = plan();
        let events = vec![
            ev(1, "sheets", Some("a@b.org"), None, None),
            ev(2, "sheets", None, Some("3124560142"), None),
        ];
        let k = Pseudonymizer::new(b"k0123456789abcdef");
        let a = resolve(&p, &events, &k);
        let reversed: Vec<Event> = events.iter().rev().cloned().collect();
        let b = resolve(&p, &reversed, &k);
        let mut ia: Vec<String> = a.persons.iter().map(|p| p.id.clone()).collect();
        let mut ib: Vec<String> = b.persons.iter().map(|p| p.id.clone()).collect();
        ia.sort();
        ib.sort();
        assert_eq!(ia, ib, "ids do not depend on record order");
        let c = resolve(&p, &events, &Pseudonymizer::new(b"another-key-0123456"));
        assert_ne!(a.persons[0].id, c.persons[0].id, "ids depend on the key");
        assert!(!a.persons[0].id.contains("a@b.org"));
    }
}
