//! Tables: the stages' outputs as polars frames, written as Parquet.
//!
//! Takes: events, the identity resolution, timelines and funnel results. Gives: polars
//! `DataFrame`s whose column names and types come from `schema`, and Parquet files other tools
//! (DuckDB, Spark, pandas) can read; the `events` and `timeline` tables go to polars' Parquet
//! encoder as arrow arrays, their text columns already dictionary-encoded, and read back as
//! plain strings. Both hold the same rows in the same order (persons in turn, each one's events
//! in time order); `timeline` adds `seq`. Promises: this is one of the few places that call polars,
//! and every person-level table it builds carries keyed pseudonyms (see `privacy`) — never a raw
//! phone, email or name.

use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::{BooleanArray, DictionaryArray, MutableBinaryViewArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};

use crate::funnel::PersonFunnel;
use crate::identity::Resolution;
use crate::privacy::Pseudonymizer;
use crate::schema::{col, Action, Channel, Event, Precision, QuarantinedRow, Str, Tool};
use crate::timeline::Timeline;

fn ts_column(name: &str, v: Vec<i64>) -> Column {
    Int64Chunked::from_vec(name.into(), v)
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series()
        .into_column()
}

fn strs<I: IntoIterator<Item = String>>(name: &str, v: I) -> Column {
    Column::new(name.into(), v.into_iter().collect::<Vec<String>>())
}

fn opt_strs<I: IntoIterator<Item = Option<String>>>(name: &str, v: I) -> Column {
    Column::new(name.into(), v.into_iter().collect::<Vec<Option<String>>>())
}

/// Keyed tokens of one identifier column, one HMAC per distinct value: `tokens[slot[i]]` is
/// event `i`'s token (`u32::MAX` for none). Events repeat the same few identifiers many times.
struct TokenColumn {
    slot: Vec<u32>,
    tokens: Vec<String>,
}

/// Per event, side by side (one cache line, not five, when rows are read in timeline order):
/// the email, phone, name and tool id token numbers (`u32::MAX` for none) and the person.
type Slots = [u32; 5];

impl TokenColumn {
    fn build(n: usize, value: impl Fn(usize) -> Option<Str>, token: impl Fn(&str) -> String) -> TokenColumn {
        // Keyed by the interned value's id: one integer hash per event. Different values can
        // share a token (names are normalised first): each token is listed once, so that a
        // token number is a token (the tables' dictionaries are built from the numbers).
        let mut seen: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
        let mut numbers: rustc_hash::FxHashMap<String, u32> = rustc_hash::FxHashMap::default();
        let mut tokens = Vec::new();
        let slot = (0..n)
            .map(|i| match value(i) {
                None => u32::MAX,
                Some(v) => *seen.entry(v.id()).or_insert_with(|| {
                    let t = token(&v);
                    *numbers.entry(t).or_insert_with_key(|t| {
                        tokens.push(t.clone());
                        tokens.len() as u32 - 1
                    })
                }),
            })
            .collect();
        TokenColumn { slot, tokens }
    }
}

/// One text column of a batch, dictionary-encoded as Parquet stores it: each distinct value once,
/// in order of first appearance, and a key per row. polars' writer would find the same
/// dictionary by estimating each string column's cardinality and hashing every cell again (a
/// quarter of the tables' time); here the cells are interned ids, so the dictionary is built
/// from integers and the values are looked up once per distinct id.
struct DictColumn {
    /// Batch-local key of each id seen in this batch.
    key_of: rustc_hash::FxHashMap<u32, u32>,
    /// The ids, in order of first appearance (key `k` is `distinct[k]`).
    distinct: Vec<u32>,
    /// Per row: its key, `u32::MAX` for null.
    keys: Vec<u32>,
    nulls: usize,
    /// The last (id, key) pushed: cells repeat in runs (a person's rows, a file's rows).
    last: (u32, u32),
}

impl DictColumn {
    fn with_capacity(n: usize) -> DictColumn {
        DictColumn {
            key_of: Default::default(),
            distinct: Vec::new(),
            keys: Vec::with_capacity(n),
            nulls: 0,
            last: (u32::MAX, 0),
        }
    }

    #[inline]
    fn push(&mut self, id: Option<u32>) {
        let Some(id) = id else {
            self.nulls += 1;
            self.keys.push(u32::MAX);
            return;
        };
        if id != self.last.0 {
            let next = self.distinct.len() as u32;
            let key = *self.key_of.entry(id).or_insert(next);
            if key == next {
                self.distinct.push(id);
            }
            self.last = (id, key);
        }
        self.keys.push(self.last.1);
    }

    /// The column as an arrow array of type `dtype` (a string type), `source[id]` being the text
    /// of an id. A dictionary array, which the Parquet encoder writes as it is; or, when the
    /// values are nearly all distinct (where polars' writer falls back to plain encoding), the
    /// plain strings, left to the encoder to decide as it always does.
    fn finish<S: AsRef<str>>(self, source: &[S], dtype: &ArrowDataType) -> PolarsResult<ArrayRef> {
        let n = self.keys.len();
        let cardinality = self.distinct.len() + usize::from(self.nulls > 0);
        if n > 128 && cardinality * 4 > n * 3 {
            let mut plain = MutableBinaryViewArray::<str>::with_capacity(n);
            for &k in &self.keys {
                match k {
                    u32::MAX => plain.push_null(),
                    k => plain.push_value(source[self.distinct[k as usize] as usize].as_ref()),
                }
            }
            return Ok(plain.freeze().boxed());
        }
        let mut values = MutableBinaryViewArray::<str>::with_capacity(self.distinct.len());
        for &id in &self.distinct {
            values.push_value(source[id as usize].as_ref());
        }
        let validity: Option<Bitmap> = (self.nulls > 0).then(|| self.keys.iter().map(|&k| k != u32::MAX).collect());
        let keys: Vec<u32> = match validity {
            None => self.keys,
            Some(_) => self.keys.into_iter().map(|k| if k == u32::MAX { 0 } else { k }).collect(),
        };
        let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity);
        let dict = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(dtype.clone()), false);
        Ok(DictionaryArray::<u32>::try_new(dict, keys, values.freeze().boxed())?.boxed())
    }
}

/// Appends `file:line` to `out` (an event's origin, as `Origin`'s `Display` writes it).
fn push_origin(out: &mut String, file: &str, line: u64) {
    out.push_str(file);
    out.push(':');
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut v = line;
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// The rows of the `events` and `timeline` tables: the canonical event columns, identifiers
/// pseudonymised, plus `person_id` and the declared attributes. The tokens are hashed once (one
/// HMAC per distinct identifier, on separate threads); the columns are then built for any set
/// of events, so the tables are written in batches and memory holds one batch of columns, not
/// the whole table (tens of millions of rows would not fit).
pub struct EventRows<'a> {
    events: &'a [Event],
    attributes: &'a [String],
    slots: Vec<Slots>,
    /// Every interned text by id ([`crate::intern::texts`]), the four token lists and the
    /// person ids: a batch's text columns are keys into dictionaries of these.
    texts: Vec<&'static str>,
    tokens: [Vec<String>; 4],
    person_ids: Vec<&'a str>,
    /// The interned id of each enum value's name, by the value's discriminant.
    enum_ids: [[u32; 32]; 4],
}

/// Rows [`EventRows::batch`] copies out of their events at a time (about 400 KiB of
/// [`Gathered`]: they stay in the core's cache until they are turned into cells).
const GATHER_ROWS: usize = 4096;

/// Attributes [`Gathered`] copies; more (a rare pipeline) are read from the event itself.
const INLINE_ATTRS: usize = 3;

/// What a row of the event tables takes from its event and its slots: the text cells as
/// interned ids (`u32::MAX` for none; no text has that id), in the columns' order.
struct Gathered {
    event_id: u64,
    ts: i64,
    line: u64,
    /// precision, source, tool, channel, action, context, occasion, utm ×3, the first
    /// [`INLINE_ATTRS`] attributes
    cells: [u32; 10 + INLINE_ATTRS],
    file: u32,
    organizer: bool,
    slots: Slots,
}

impl Gathered {
    #[inline(always)]
    fn of(e: &Event, slots: &Slots, enum_ids: &[[u32; 32]; 4]) -> Gathered {
        let text = |s: Option<Str>| s.map_or(u32::MAX, Str::id);
        let attrs: &[Option<Str>] = &e.attrs;
        let attr = |a: usize| attrs.get(a).copied().flatten().map_or(u32::MAX, Str::id);
        let [precision_ids, tool_ids, channel_ids, action_ids] = enum_ids;
        Gathered {
            event_id: e.event_id,
            ts: e.ts,
            line: e.origin.line,
            cells: [
                precision_ids[e.precision as usize],
                e.source.id(),
                tool_ids[e.tool as usize],
                channel_ids[e.channel as usize],
                action_ids[e.action as usize],
                text(e.context),
                text(e.occasion),
                text(e.utm_source),
                text(e.utm_medium),
                text(e.utm_campaign),
                attr(0),
                attr(1),
                attr(2),
            ],
            file: e.origin.file.id(),
            organizer: e.organizer,
            slots: *slots,
        }
    }
}

/// A gathered cell as a dictionary column takes it.
#[inline(always)]
fn cell(v: u32) -> Option<u32> {
    (v != u32::MAX).then_some(v)
}

/// Rows per batch (and per Parquet row group) of the event tables.
pub const BATCH_ROWS: usize = 1 << 18;

/// The Parquet options of the event tables: those polars' `ParquetWriter` uses by default
/// (min/max/null statistics, format version 1), so that they read back exactly as the other
/// tables do, but LZ4 (the `LZ4_RAW` codec every current Parquet reader has: DuckDB, polars,
/// pyarrow, Spark) rather than zstd. These two tables are most of a run's output and are
/// rewritten every run: at a million members zstd at level 1 spent 5–6 CPU-seconds on them
/// (level 3 a seventh more); LZ4 saves 1.5–2.4 of those and about a second of the stage's
/// wall time, for files a third larger (740 MB against 556 MB each).
fn write_options() -> polars_parquet::write::WriteOptions {
    use polars_parquet::write::CompressionOptions;
    polars_parquet::write::WriteOptions {
        statistics: polars_parquet::write::StatisticsOptions::default(),
        compression: CompressionOptions::Lz4Raw,
        version: polars_parquet::write::Version::V1,
        data_page_size: None,
    }
}

impl<'a> EventRows<'a> {
    pub fn new(events: &'a [Event], attributes: &'a [String], res: &'a Resolution, pseudo: &Pseudonymizer) -> Self {
        let n = events.len();
        let (email, phone, name, external) = std::thread::scope(|sc| {
            let email = sc.spawn(|| TokenColumn::build(n, |i| res.norm_email[i].or(events[i].email), |v| pseudo.token("email", v)));
            let phone = sc.spawn(|| TokenColumn::build(n, |i| res.norm_phone[i].or(events[i].phone), |v| pseudo.token("phone", v)));
            let name = sc.spawn(|| {
                TokenColumn::build(
                    n,
                    |i| events[i].name,
                    |v| pseudo.token("name", &crate::identity::normalize::name(v)),
                )
            });
            let external = TokenColumn::build(n, |i| events[i].external_id, |v| pseudo.token("external_id", v));
            let join = |h: std::thread::ScopedJoinHandle<'_, TokenColumn>| h.join().expect("hashing does not panic");
            (join(email), join(phone), join(name), external)
        });
        // The enums' names as interned texts, so that they are in `texts` too.
        let mut enum_ids = [[0u32; 32]; 4];
        for p in Precision::ALL {
            enum_ids[0][*p as usize] = Str::new(p.as_str()).id();
        }
        for t in Tool::ALL {
            enum_ids[1][*t as usize] = Str::new(t.as_str()).id();
        }
        for c in Channel::ALL {
            enum_ids[2][*c as usize] = Str::new(c.as_str()).id();
        }
        for a in Action::ALL {
            enum_ids[3][*a as usize] = Str::new(a.as_str()).id();
        }
        let mut slots: Vec<Slots> = res.person_of.iter().map(|&p| [0, 0, 0, 0, p]).collect();
        let mut tokens: [Vec<String>; 4] = Default::default();
        for (k, t) in [email, phone, name, external].into_iter().enumerate() {
            for (s, v) in slots.iter_mut().zip(t.slot) {
                s[k] = v;
            }
            tokens[k] = t.tokens;
        }
        EventRows {
            events,
            attributes,
            texts: crate::intern::texts(),
            tokens,
            person_ids: res.persons.iter().map(|p| p.id.as_str()).collect(),
            enum_ids,
            slots,
        }
    }

    /// Events `rows` (indices, in the order given) as arrow arrays in the order and with the
    /// types of `schema` (the [`crate::schema::events_schema`] fields as arrow fields, after
    /// `seq` when `seq` is given: the timeline's position of each row within its person).
    fn batch(&self, rows: &[u32], seq: Option<Vec<u32>>, schema: &ArrowSchema) -> PolarsResult<Vec<ArrayRef>> {
        let events = self.events;
        let n = rows.len();
        let mut event_id = Vec::with_capacity(n);
        let mut ts = Vec::with_capacity(n);
        let mut organizer = Vec::with_capacity(n);
        // precision, source, tool, channel, action, context, occasion, utm ×3, then attributes
        let mut texts: Vec<DictColumn> = (0..10 + self.attributes.len()).map(|_| DictColumn::with_capacity(n)).collect();
        let mut tokens: [DictColumn; 4] = std::array::from_fn(|_| DictColumn::with_capacity(n));
        let mut person = DictColumn::with_capacity(n);
        let mut origin = MutableBinaryViewArray::<str>::with_capacity(n);
        let mut buf = String::new();
        // The timeline's rows are scattered over the events (gigabytes at a million members):
        // each piece of rows is first copied out of its events into `gathered` by a loop that
        // does nothing else, so the processor overlaps those reads, and then turned into cells
        // from there (a loop with dictionary lookups and branches would wait for each read).
        let mut gathered: Vec<Gathered> = Vec::with_capacity(GATHER_ROWS.min(n));
        for piece in rows.chunks(GATHER_ROWS) {
            gathered.clear();
            gathered.extend(
                piece
                    .iter()
                    .map(|&i| Gathered::of(&events[i as usize], &self.slots[i as usize], &self.enum_ids)),
            );
            for (g, &i) in gathered.iter().zip(piece) {
                event_id.push(g.event_id);
                ts.push(g.ts);
                organizer.push(g.organizer);
                for (c, &v) in texts.iter_mut().zip(&g.cells) {
                    c.push(cell(v));
                }
                if self.attributes.len() > INLINE_ATTRS {
                    let attrs = &events[i as usize].attrs;
                    for (a, c) in texts[10 + INLINE_ATTRS..].iter_mut().enumerate() {
                        c.push(attrs.get(INLINE_ATTRS + a).copied().flatten().map(Str::id));
                    }
                }
                for (c, &t) in tokens.iter_mut().zip(&g.slots[..4]) {
                    c.push(cell(t));
                }
                person.push(Some(g.slots[4]));
                buf.clear();
                push_origin(&mut buf, self.texts[g.file as usize], g.line);
                origin.push_value(buf.as_str());
            }
        }
        let fields: Vec<&ArrowDataType> = schema.iter_values().map(|f| &f.dtype).collect();
        let mut out: Vec<ArrayRef> = Vec::with_capacity(fields.len());
        if let Some(seq) = seq {
            out.push(PrimitiveArray::<u32>::from_vec(seq).to(fields[out.len()].clone()).boxed());
        }
        let mut texts = texts.into_iter();
        let at = |out: &Vec<ArrayRef>| fields[out.len()];
        let [email, phone, name, external] = tokens;
        out.push(PrimitiveArray::<u64>::from_vec(event_id).to(at(&out).clone()).boxed());
        out.push(PrimitiveArray::<i64>::from_vec(ts).to(at(&out).clone()).boxed());
        for _ in 0..5 {
            // precision, source, tool, channel, action
            let c = texts.next().expect("one column per text");
            out.push(c.finish(&self.texts, at(&out))?);
        }
        for (c, source) in [email, phone, name, external].into_iter().zip(&self.tokens) {
            out.push(c.finish(source, at(&out))?);
        }
        for c in texts.by_ref().take(5) {
            // context, occasion, utm ×3
            out.push(c.finish(&self.texts, at(&out))?);
        }
        out.push(BooleanArray::from_slice(&organizer).boxed());
        out.push(origin.freeze().boxed());
        out.push(person.finish(&self.person_ids, at(&out))?);
        for c in texts {
            out.push(c.finish(&self.texts, at(&out))?);
        }
        debug_assert_eq!(out.len(), fields.len());
        Ok(out)
    }

    /// Writes the `timeline` table (grouped by person, in time order, with `seq` per person
    /// first) to `timeline_path` and the `events` table (the same rows in the same order, without
    /// `seq`) to `events_path`, [`BATCH_ROWS`] rows at a time. Each batch is built once, from
    /// events scattered over gigabytes, and encoded for both files side by side; building it a
    /// second time in ingest order for `events` was a third of the stage's work.
    pub fn write(&self, tl: &Timeline, events_path: &Path, timeline_path: &Path) -> anyhow::Result<()> {
        self.write_grouped(tl, events_path, timeline_path, BATCH_ROWS)
    }

    fn write_grouped(&self, tl: &Timeline, events_path: &Path, timeline_path: &Path, group: usize) -> anyhow::Result<()> {
        let n = tl.order.len();
        let events_schema = crate::schema::events_schema(self.attributes);
        let mut timeline_schema = events_schema.clone();
        timeline_schema.insert_at_index(0, col::SEQ.into(), DataType::UInt32)?;
        let arrow_schema = polars::io::schema_to_arrow_checked(&timeline_schema, CompatLevel::newest(), "parquet")?;
        let mut events = TableFile::create(events_path, &events_schema)?;
        let mut timeline = TableFile::create(timeline_path, &timeline_schema)?;
        let batch = |at: usize| -> PolarsResult<Batch> {
            let end = (at + group).min(n);
            // `seq` from the persons' offsets: the person holding row `at`, then onwards.
            let mut p = tl.offsets.partition_point(|&o| o <= at).saturating_sub(1);
            let seq: Vec<u32> = (at..end)
                .map(|k| {
                    while tl.offsets[p + 1] <= k {
                        p += 1;
                    }
                    (k - tl.offsets[p]) as u32
                })
                .collect();
            Ok((end - at, self.batch(&tl.order[at..end], Some(seq), &arrow_schema)?))
        };
        // One thread builds the batches, one encodes each for `events` and this one for the
        // timeline; the next batch is built while this one is encoded (at most one waits).
        std::thread::scope(|sc| -> anyhow::Result<()> {
            let (to_timeline, for_timeline) = std::sync::mpsc::sync_channel::<PolarsResult<Batch>>(1);
            let (to_events, for_events) = std::sync::mpsc::sync_channel::<Batch>(1);
            sc.spawn(move || {
                for at in (0..n).step_by(group) {
                    let b = batch(at);
                    let sent = match &b {
                        // The arrays are shared, not copied.
                        Ok((rows, columns)) => to_events.send((*rows, columns.clone())).is_ok(),
                        Err(_) => false,
                    };
                    // A writer stopped (it failed), or this batch failed: stop building.
                    if to_timeline.send(b).is_err() || !sent {
                        break;
                    }
                }
            });
            let events = sc.spawn(move || -> anyhow::Result<()> {
                for (rows, columns) in for_events {
                    events.write(rows, &columns[1..])?;
                }
                events.finish(n)
            });
            let written = (|| -> anyhow::Result<()> {
                for b in for_timeline {
                    let (rows, columns) = b?;
                    timeline.write(rows, &columns)?;
                }
                timeline.finish(n)
            })();
            let events = events.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            match (written, events) {
                (Ok(()), r) | (r, Ok(())) => r,
                // One file failed and the other then stopped short: the failure is the news.
                (Err(a), Err(b)) => Err(if a.is::<Stopped>() { b } else { a }),
            }
        })
    }
}

/// A batch of the event tables: its rows and its columns (`seq` first).
type Batch = (usize, Vec<ArrayRef>);

/// One event table being written: polars' Parquet writer sets the file up (schema, footer);
/// each batch's columns go to polars' encoder as arrow arrays, the text columns already
/// dictionary-encoded, one row group per batch.
struct TableFile {
    w: polars::io::parquet::write::BatchedWriter<std::io::BufWriter<std::fs::File>>,
    types: Vec<polars_parquet::parquet::schema::types::ParquetType>,
    encodings: Vec<Vec<polars_parquet::write::Encoding>>,
    rows: usize,
}

impl TableFile {
    fn create(path: &Path, schema: &Schema) -> anyhow::Result<TableFile> {
        let arrow_schema = polars::io::schema_to_arrow_checked(schema, CompatLevel::newest(), "parquet")?;
        let encodings = arrow_schema
            .iter_values()
            .map(|f| polars_parquet::write::get_dtype_encoding(&f.dtype))
            .collect();
        let file = std::fs::File::create(path)?;
        crate::privacy::owner_only(path)?;
        let mut w = ParquetWriter::new(std::io::BufWriter::with_capacity(1 << 20, file)).batched(schema)?;
        let types = w.parquet_schema().fields().to_vec();
        Ok(TableFile {
            w,
            types,
            encodings,
            rows: 0,
        })
    }

    /// Every column of a batch encoded and compressed: one row group.
    fn write(&mut self, rows: usize, columns: &[ArrayRef]) -> anyhow::Result<()> {
        let options = write_options();
        let mut group = Vec::with_capacity(columns.len());
        for ((array, type_), encoding) in columns.iter().zip(&self.types).zip(&self.encodings) {
            // Values that reach the encoder undictionaried are known to be nearly all
            // distinct (ids, times, origins, a text column `DictColumn` left plain): polars
            // would estimate their cardinality again (hashing every value) to find that out.
            let plain = [polars_parquet::write::Encoding::Plain];
            let encoding: &[polars_parquet::write::Encoding] = match array.dtype() {
                ArrowDataType::Utf8View | ArrowDataType::UInt64 | ArrowDataType::Timestamp(..) => &plain,
                _ => encoding,
            };
            for pages in polars_parquet::write::array_to_columns(array, type_.clone(), options, encoding)? {
                let compressed = polars_parquet::write::Compressor::new_from_vec(
                    pages.map(|p| p.map_err(|e| polars_parquet::read::ParquetError::FeatureNotSupported(e.to_string()))),
                    options.compression,
                    vec![],
                );
                group.push(compressed.collect::<Result<Vec<_>, _>>()?);
            }
        }
        self.w.write_row_group(rows as u64, &group)?;
        self.rows += rows;
        Ok(())
    }

    /// The footer, once all `n` rows are in: a file missing rows (its batches stopped coming)
    /// is an error, never a valid-looking table.
    fn finish(self, n: usize) -> anyhow::Result<()> {
        if self.rows != n {
            return Err(Stopped { rows: self.rows, of: n }.into());
        }
        self.w.finish()?;
        Ok(())
    }
}

/// An event table's batches stopped coming (the other table's writer or the builder failed).
#[derive(Debug)]
struct Stopped {
    rows: usize,
    of: usize,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the event tables' batches stopped after {} of {} rows", self.rows, self.of)
    }
}

impl std::error::Error for Stopped {}

/// Writes `events` as the `timeline` (persons in the order of `person_of`, each one's events in
/// time order) and `events` tables in `dir`, `group` rows per row group (for tests; runs write
/// them with [`EventRows::write`]).
pub fn write_event_tables(
    dir: &Path,
    events: &[Event],
    attributes: &[String],
    res: &Resolution,
    pseudo: &Pseudonymizer,
    group: usize,
) -> anyhow::Result<Timeline> {
    let tl = crate::timeline::build(events, res);
    EventRows::new(events, attributes, res, pseudo).write_grouped(
        &tl,
        &dir.join("events.parquet"),
        &dir.join("timeline.parquet"),
        group,
    )?;
    Ok(tl)
}

pub fn persons_frame(res: &Resolution) -> PolarsResult<DataFrame> {
    let p = &res.persons;
    DataFrame::new(
        p.len(),
        vec![
            strs(col::PERSON_ID, p.iter().map(|x| x.id.clone())),
            Column::new(col::IS_ORGANIZER.into(), p.iter().map(|x| x.organizer).collect::<Vec<bool>>()),
            ts_column(col::FIRST_SEEN, p.iter().map(|x| x.first_seen).collect()),
            Column::new(col::EVENTS.into(), p.iter().map(|x| x.events).collect::<Vec<u64>>()),
            Column::new(col::IDENTIFIERS.into(), p.iter().map(|x| x.keys).collect::<Vec<u32>>()),
            opt_strs(col::NAME_TOKEN, (0..p.len()).map(|i| res.name_tokens.get(i).cloned().flatten())),
        ],
    )
}

/// `person_keys`: every pseudonymised key with its person id, read back by the next run so
/// that people keep their ids.
pub fn person_keys_frame(res: &Resolution) -> PolarsResult<DataFrame> {
    let k = &res.key_tokens;
    DataFrame::new(
        k.len(),
        vec![
            strs(col::KEY, k.iter().map(|x| x.0.clone())),
            strs(col::PERSON_ID, k.iter().map(|x| res.persons[x.1 as usize].id.clone())),
        ],
    )
}

/// Reads `person_keys` back: key token → person id.
pub fn read_person_keys(path: &Path) -> anyhow::Result<crate::identity::PreviousIds> {
    let df = read_parquet(path)?;
    let keys = df.column(col::KEY)?.str()?.clone();
    let ids = df.column(col::PERSON_ID)?.str()?.clone();
    Ok(keys
        .iter()
        .zip(ids.iter())
        .filter_map(|(k, p)| Some((k?.to_string(), p?.to_string())))
        .collect())
}

pub fn links_frame(res: &Resolution) -> PolarsResult<DataFrame> {
    let l = &res.links;
    DataFrame::new(
        l.len(),
        vec![
            strs(col::PERSON_ID, l.iter().map(|x| res.persons[x.person as usize].id.clone())),
            strs(col::KEY_KIND, l.iter().map(|x| x.kind.to_string())),
            strs(col::KEY, l.iter().map(|x| x.key.clone())),
            strs(col::OTHER_KEY_KIND, l.iter().map(|x| x.other_kind.to_string())),
            strs(col::OTHER_KEY, l.iter().map(|x| x.other_key.clone())),
            strs(col::RULE, l.iter().map(|x| x.rule.to_string())),
            Column::new(col::SCORE.into(), l.iter().map(|x| x.score).collect::<Vec<Option<f64>>>()),
            opt_strs(col::EVIDENCE, l.iter().map(|x| x.evidence.map(str::to_string))),
            Column::new(col::EVENTS.into(), l.iter().map(|x| x.records).collect::<Vec<u64>>()),
        ],
    )
}

/// `funnel_people`: one row per person and stage filled.
pub fn funnel_people_frame(
    funnel: &str,
    stage_names: &[String],
    people: &[PersonFunnel],
    events: &[Event],
    res: &Resolution,
) -> PolarsResult<DataFrame> {
    let rows: Vec<(&PersonFunnel, usize)> = people.iter().flat_map(|p| (0..p.fills.len()).map(move |k| (p, k))).collect();
    DataFrame::new(
        rows.len(),
        vec![
            strs(col::FUNNEL, rows.iter().map(|_| funnel.to_string())),
            strs(col::PERSON_ID, rows.iter().map(|(p, _)| res.persons[p.person as usize].id.clone())),
            Column::new(col::STAGE.into(), rows.iter().map(|(_, k)| *k as u32 + 1).collect::<Vec<u32>>()),
            strs(col::STAGE_NAME, rows.iter().map(|(_, k)| stage_names[*k].clone())),
            Column::new(
                col::FURTHEST_STAGE.into(),
                rows.iter().map(|(p, _)| p.fills.len() as u32).collect::<Vec<u32>>(),
            ),
            Column::new(
                col::EVENT_ID.into(),
                rows.iter()
                    .map(|(p, k)| events[p.fills[*k] as usize].event_id)
                    .collect::<Vec<u64>>(),
            ),
            ts_column(col::TS, rows.iter().map(|(p, k)| events[p.fills[*k] as usize].ts).collect()),
            ts_column(col::ENTRY_TS, rows.iter().map(|(p, _)| events[p.fills[0] as usize].ts).collect()),
        ],
    )
}

pub fn quarantine_frame(q: &[QuarantinedRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        q.len(),
        vec![
            strs(col::SOURCE, q.iter().map(|r| r.source.clone())),
            strs(col::FILE, q.iter().map(|r| r.file.clone())),
            Column::new(col::LINE.into(), q.iter().map(|r| r.line).collect::<Vec<u64>>()),
            opt_strs(col::COLUMN, q.iter().map(|r| r.column.clone())),
            strs(col::REASON, q.iter().map(|r| r.reason.clone())),
            strs("detail", q.iter().map(|r| r.detail.clone())),
        ],
    )
}

/// Writes `df` to `path` as Parquet (zstd), creating it owner-only.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    crate::privacy::owner_only(path)?;
    ParquetWriter::new(file).finish(df)?;
    Ok(())
}

/// Reads a Parquet file back (for tests and tools).
pub fn read_parquet(path: &Path) -> anyhow::Result<DataFrame> {
    let file = std::fs::File::open(path)?;
    Ok(ParquetReader::new(file).finish()?)
}

/// Removes the rows of `persons` (by `person_id`) from a person-level table, rewriting it
/// aside and renaming it into place. Returns the rows removed (0 and no rewrite when none
/// match or the table has no `person_id`).
pub fn drop_persons(path: &Path, persons: &std::collections::HashSet<String>) -> anyhow::Result<usize> {
    let df = read_parquet(path)?;
    let Ok(ids) = df.column(col::PERSON_ID) else { return Ok(0) };
    let ids = ids.str()?.clone();
    let keep: BooleanChunked = ids.iter().map(|v| Some(!v.is_some_and(|p| persons.contains(p)))).collect();
    let removed = keep.iter().filter(|k| *k == Some(false)).count();
    if removed == 0 {
        return Ok(0);
    }
    let mut kept = df.filter(&keep)?;
    let tmp = path.with_extension("parquet.tmp");
    write_parquet(&mut kept, &tmp)?;
    std::fs::rename(&tmp, path)?;
    Ok(removed)
}

/// Every string cell of a Parquet table (for audits: which values a table exposes).
pub fn string_cells(path: &Path) -> anyhow::Result<Vec<String>> {
    let df = read_parquet(path)?;
    let mut out = Vec::new();
    for c in df.columns() {
        if let Ok(s) = c.str() {
            out.extend(s.iter().flatten().map(str::to_string));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Person, Resolution};
    use crate::schema::{Action, Channel, Precision, Tool};

    fn rosa() -> Event {
        Event {
            event_id: 42,
            ts: 1_780_000_000_000_000,
            precision: Precision::Day,
            source: "sheets".into(),
            tool: Tool::Csv,
            channel: Channel::Event,
            action: Action::Attended,
            email: Some("Rosa@X.org".into()),
            phone: Some("(312) 456-0142".into()),
            name: Some("Rosa Martinez".into()),
            external_id: Some("A-17".into()),
            context: Some("Store 12 workers meeting".into()),
            occasion: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            attrs: vec![Some("Store 12".into())].into(),
            organizer: false,
            origin: "data/x.csv:2".into(),
        }
    }

    fn person(id: &str) -> Person {
        Person {
            id: id.into(),
            organizer: false,
            first_seen: 0,
            events: 1,
            keys: 2,
        }
    }

    #[test]
    fn the_events_table_matches_the_schema_and_hides_identifiers() {
        let res = Resolution {
            person_of: vec![0],
            persons: vec![person("P1")],
            norm_email: vec![Some("rosa@x.org".into())],
            norm_phone: vec![Some("+13124560142".into())],
            ..Default::default()
        };
        let attrs = vec!["worksite".to_string()];
        let dir = tempfile::tempdir().unwrap();
        write_event_tables(
            dir.path(),
            &[rosa()],
            &attrs,
            &res,
            &Pseudonymizer::new(b"k0123456789abcdef"),
            BATCH_ROWS,
        )
        .unwrap();
        let mut timeline_schema = crate::schema::events_schema(&attrs);
        timeline_schema.insert_at_index(0, col::SEQ.into(), DataType::UInt32).unwrap();
        for (table, schema) in [("events", crate::schema::events_schema(&attrs)), ("timeline", timeline_schema)] {
            let path = dir.path().join(format!("{table}.parquet"));
            let df = read_parquet(&path).unwrap();
            assert_eq!(df.schema().as_ref(), &schema, "{table}");
            let cells = string_cells(&path).unwrap().join("|");
            for raw in ["Rosa", "rosa", "312", "A-17"] {
                assert!(!cells.contains(raw), "{raw} leaked into {table}: {cells}");
            }
            assert!(cells.contains("Store 12 workers meeting") && cells.contains("data/x.csv:2"));
            assert_eq!(df.height(), 1);
        }
    }

    #[test]
    fn values_that_share_a_token_share_its_number() {
        let names: Vec<Option<Str>> = ["Rosa Martinez", "ROSA  MARTINEZ", "Ana Diaz", "Rosa Martinez"]
            .into_iter()
            .map(|v| Some(v.into()))
            .chain([None])
            .collect();
        let t = TokenColumn::build(names.len(), |i| names[i], |v| format!("t:{}", crate::identity::normalize::name(v)));
        assert_eq!(t.slot[0], t.slot[1], "{:?}", t.tokens);
        assert_eq!(t.slot[0], t.slot[3]);
        assert_ne!(t.slot[0], t.slot[2]);
        assert_eq!(t.slot[4], u32::MAX);
        assert_eq!(t.tokens.len(), 2);
    }

    /// The event tables' own encoder (dictionaries built from interned ids, several row groups,
    /// plain strings where nearly every value differs, rows gathered in timeline order) against
    /// the plain way: every cell as a string, in a frame polars builds and writes itself, its
    /// rows then taken in timeline order. Both read back equal, `events` as `timeline` without
    /// `seq`.
    #[test]
    fn batched_event_tables_read_back_as_the_plain_frame_would() {
        let pseudo = Pseudonymizer::new(b"k0123456789abcdef");
        // Row groups of 4,500 rows: each is gathered in two pieces (GATHER_ROWS).
        let (n, group) = (10_000, 4_500);
        assert!(group > GATHER_ROWS && n > 2 * group);
        let events: Vec<Event> = (0..n)
            .map(|i| {
                let mut e = rosa();
                e.event_id = i as u64 * 7919;
                e.ts += i as i64 * 1_000_003;
                e.precision = Precision::ALL[i % Precision::ALL.len()];
                e.action = Action::ALL[(i / 3) % Action::ALL.len()];
                e.email = (i % 5 != 0).then(|| format!("member{}@x.org", i % 40).as_str().into());
                e.phone = (i % 2 == 0).then(|| format!("(312) 456-{:04}", i % 300).as_str().into());
                e.name = (i % 7 != 0).then(|| format!("Member {}", i % 90).as_str().into());
                e.external_id = None;
                // Nearly every context differs (the plain-strings path); the occasion is null in
                // some row groups only; the campaign is never set.
                e.context = Some(format!("thread {}", if i % 10 == 0 { 0 } else { i }).as_str().into());
                e.occasion = (i >= 5000).then(|| format!("meeting {}", i % 3).as_str().into());
                e.utm_source = (i % 11 == 0).then(|| "flyer".into());
                // More attributes than are gathered with the row (INLINE_ATTRS).
                e.attrs = vec![
                    Some(format!("Store {}", i % 13).as_str().into()),
                    (i % 4 == 0).then(|| "night".into()),
                    None,
                    (i % 3 == 0).then(|| format!("steward {}", i % 8).as_str().into()),
                    Some(format!("local {}", i % 2).as_str().into()),
                ]
                .into();
                e.organizer = i % 17 == 0;
                e.origin = format!("data/export {}.csv:{}", i % 3, i * 31 + 2).as_str().into();
                e
            })
            .collect();
        let persons: Vec<Person> = (0..60).map(|p| person(&format!("P{p:03}"))).collect();
        let res = Resolution {
            person_of: (0..n).map(|i| (i % 60) as u32).collect(),
            persons,
            norm_email: events.iter().map(|e| e.email.map(|v| v.to_lowercase().as_str().into())).collect(),
            norm_phone: events.iter().map(|_| None).collect(),
            ..Default::default()
        };
        let attrs: Vec<String> = ["worksite", "shift", "unit", "steward", "local"].map(String::from).into();
        let dir = tempfile::tempdir().unwrap();
        let tl = write_event_tables(dir.path(), &events, &attrs, &res, &pseudo, group).unwrap();
        let got = read_parquet(&dir.path().join("events.parquet")).unwrap();
        let got_timeline = read_parquet(&dir.path().join("timeline.parquet")).unwrap();
        // Persons in turn, each one's events in time order: not the events' order.
        assert_eq!(tl.order[..3], [0, 60, 120]);

        // The plain way, cell by cell from the events.
        let opt = |v: Option<Str>| v.map(|s| s.to_string());
        let tok = |kind: &str, v: Option<String>| v.map(|v| pseudo.token(kind, &v));
        let s = |name: &str, v: Vec<Option<String>>| Column::new(name.into(), v);
        let all = |f: &dyn Fn(usize, &Event) -> Option<String>| events.iter().enumerate().map(|(i, e)| f(i, e)).collect::<Vec<_>>();
        let mut expected = DataFrame::new(
            n,
            vec![
                Column::new(col::EVENT_ID.into(), events.iter().map(|e| e.event_id).collect::<Vec<u64>>()),
                ts_column(col::TS, events.iter().map(|e| e.ts).collect()),
                s(col::TS_PRECISION, all(&|_, e| Some(e.precision.as_str().into()))),
                s(col::SOURCE, all(&|_, e| Some(e.source.to_string()))),
                s(col::TOOL, all(&|_, e| Some(e.tool.as_str().into()))),
                s(col::CHANNEL, all(&|_, e| Some(e.channel.as_str().into()))),
                s(col::ACTION, all(&|_, e| Some(e.action.as_str().into()))),
                s(col::EMAIL, all(&|i, e| tok("email", opt(res.norm_email[i].or(e.email))))),
                s(col::PHONE, all(&|_, e| tok("phone", opt(e.phone)))),
                s(
                    col::NAME,
                    all(&|_, e| tok("name", e.name.map(|v| crate::identity::normalize::name(&v)))),
                ),
                s(col::EXTERNAL_ID, all(&|_, e| tok("external_id", opt(e.external_id)))),
                s(col::CONTEXT, all(&|_, e| opt(e.context))),
                s(col::OCCASION, all(&|_, e| opt(e.occasion))),
                s(col::UTM_SOURCE, all(&|_, e| opt(e.utm_source))),
                s(col::UTM_MEDIUM, all(&|_, e| opt(e.utm_medium))),
                s(col::UTM_CAMPAIGN, all(&|_, e| opt(e.utm_campaign))),
                Column::new(col::ORGANIZER.into(), events.iter().map(|e| e.organizer).collect::<Vec<bool>>()),
                s(col::ORIGIN, all(&|_, e| Some(e.origin.to_string()))),
                s(col::PERSON_ID, all(&|i, _| Some(res.persons[res.person_of[i] as usize].id.clone()))),
                s("worksite", all(&|_, e| opt(e.attrs.get(0).copied().flatten()))),
                s("shift", all(&|_, e| opt(e.attrs.get(1).copied().flatten()))),
                s("unit", all(&|_, e| opt(e.attrs.get(2).copied().flatten()))),
                s("steward", all(&|_, e| opt(e.attrs.get(3).copied().flatten()))),
                s("local", all(&|_, e| opt(e.attrs.get(4).copied().flatten()))),
            ],
        )
        .unwrap();
        let plain = dir.path().join("plain.parquet");
        write_parquet(&mut expected, &plain).unwrap();
        let order = IdxCa::from_vec("order".into(), tl.order.clone());
        let expected = read_parquet(&plain).unwrap().take(&order).unwrap();
        let seq: Vec<u32> = (0..tl.persons()).flat_map(|p| 0..tl.person(p).len() as u32).collect();
        let mut expected_timeline = expected.clone();
        expected_timeline.insert_column(0, Column::new(col::SEQ.into(), seq)).unwrap();
        for (got, expected) in [(&got, &expected), (&got_timeline, &expected_timeline)] {
            assert_eq!(got.schema(), expected.schema());
            for (g, x) in got.columns().iter().zip(expected.columns()) {
                assert!(
                    g.as_materialized_series().equals_missing(x.as_materialized_series()),
                    "column {} differs",
                    g.name()
                );
            }
        }
        // The cases the data was made for are there: nulls, several row groups, a column of
        // nearly all different values, and a column null in its first row groups only.
        assert!(got.column(col::EMAIL).unwrap().null_count() > 0);
        assert!(got.column(col::CONTEXT).unwrap().n_unique().unwrap() * 4 > n * 3);
        assert_eq!(got.column(col::OCCASION).unwrap().null_count(), 5000);
        assert_eq!(got.column("steward").unwrap().n_unique().unwrap(), 9);
        assert_eq!(got.column(col::UTM_CAMPAIGN).unwrap().null_count(), n);
    }
}

/// Which optional timeline columns a run needs (the funnel's predicates, breakdowns, metrics).
#[derive(Debug, Clone, Default)]
pub struct TimelineColumns {
    pub source: bool,
    pub tool: bool,
    pub channel: bool,
    pub context: bool,
    pub occasion: bool,
    pub utm: bool,
    /// Declared attributes to load.
    pub attributes: Vec<String>,
}

impl TimelineColumns {
    pub fn all(attributes: &[String]) -> Self {
        TimelineColumns {
            source: true,
            tool: true,
            channel: true,
            context: true,
            occasion: true,
            utm: true,
            attributes: attributes.to_vec(),
        }
    }
}

/// Reads a `timeline.parquet` (as [`EventRows::write`] writes it: grouped by person, time-ordered)
/// back into the funnel's columnar [`crate::funnel::Context`], its [`Timeline`] and the persons
/// (organizer flags). Only the columns `needs` asks for are read beside person, time, event id,
/// precision, action and organizer; a channel not read is the action's default. This is how the
/// event-level stages run on a timeline without the events' raw records.
///
/// Column by column rather than row by row: times and ids are copied whole, each enum and text
/// column is converted with one lookup per row in a map of its distinct values, and the persons'
/// runs, the enums and the texts are built on separate threads.
pub fn read_timeline(
    path: &Path,
    tz: chrono_tz::Tz,
    needs: &TimelineColumns,
) -> anyhow::Result<(crate::funnel::Context, Timeline, Vec<crate::identity::Person>)> {
    use crate::funnel::context::{occasion_cell, Strings, NONE};
    use crate::schema::Tool;
    let optional = [
        (col::SOURCE, needs.source),
        (col::TOOL, needs.tool),
        (col::CHANNEL, needs.channel),
        (col::CONTEXT, needs.context),
        (col::OCCASION, needs.occasion),
        (col::UTM_SOURCE, needs.utm),
        (col::UTM_MEDIUM, needs.utm),
        (col::UTM_CAMPAIGN, needs.utm),
    ];
    let required = [
        col::PERSON_ID,
        col::TS,
        col::EVENT_ID,
        col::ORGANIZER,
        col::TS_PRECISION,
        col::ACTION,
    ];
    let mut wanted: Vec<String> = required.iter().map(|c| c.to_string()).collect();
    wanted.extend(optional.iter().filter(|(_, need)| *need).map(|(c, _)| c.to_string()));
    wanted.extend(needs.attributes.iter().cloned());
    let df = ParquetReader::new(std::fs::File::open(path)?).with_columns(Some(wanted)).finish()?;
    let n = df.height();
    for c in required {
        let nulls = df.column(c)?.null_count();
        anyhow::ensure!(
            nulls == 0,
            "{}: column {c:?} has {nulls} empty value(s); every timeline row needs one",
            path.display()
        );
    }
    // Whatever unit the writer used (pandas and Spark write ns, some ms), convert to µs.
    let ts = df
        .column(col::TS)?
        .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))?
        .cast(&DataType::Int64)?;
    let ts: Vec<i64> = ts.i64()?.into_no_null_iter().collect();
    let event_id: Vec<u64> = df.column(col::EVENT_ID)?.u64()?.into_no_null_iter().collect();
    let text = |name: &str| -> anyhow::Result<&StringChunked> { Ok(df.column(name)?.str()?) };
    let maybe = |name: &str, need: bool| -> anyhow::Result<Option<&StringChunked>> {
        if need {
            text(name).map(Some)
        } else {
            Ok(None)
        }
    };
    let (person, organizer) = (text(col::PERSON_ID)?, df.column(col::ORGANIZER)?.bool()?);
    let (precision, action) = (text(col::TS_PRECISION)?, text(col::ACTION)?);
    let (tool, channel) = (maybe(col::TOOL, needs.tool)?, maybe(col::CHANNEL, needs.channel)?);
    let (source, context, occasion) = (
        maybe(col::SOURCE, needs.source)?,
        maybe(col::CONTEXT, needs.context)?,
        maybe(col::OCCASION, needs.occasion)?,
    );
    let utm = [
        maybe(col::UTM_SOURCE, needs.utm)?,
        maybe(col::UTM_MEDIUM, needs.utm)?,
        maybe(col::UTM_CAMPAIGN, needs.utm)?,
    ];
    let attrs: Vec<&StringChunked> = needs.attributes.iter().map(|a| text(a)).collect::<anyhow::Result<_>>()?;

    let (runs, enums, texts) = std::thread::scope(|scope| {
        let runs = scope.spawn(|| person_runs(path, person, organizer, &ts));
        let enums = scope.spawn(|| -> anyhow::Result<_> {
            let action = enum_column(path, col::ACTION, action)?;
            let channel = match channel {
                Some(c) => enum_column(path, col::CHANNEL, c)?,
                None => action.iter().map(|a: &crate::schema::Action| a.default_channel()).collect(),
            };
            let tool = match tool {
                Some(c) => enum_column(path, col::TOOL, c)?,
                None => vec![Tool::Csv; n],
            };
            Ok((enum_column(path, col::TS_PRECISION, precision)?, action, channel, tool))
        });
        let mut strings = Strings::default();
        let source = match source {
            Some(c) => text_ids(&mut strings, c, false),
            None => vec![strings.id(""); n],
        };
        let mut opt = |c: Option<&StringChunked>| match c {
            Some(c) => text_ids(&mut strings, c, true),
            None => vec![NONE; n],
        };
        let context = opt(context);
        let utm = utm.map(&mut opt);
        let attrs: Vec<Vec<u32>> = attrs.iter().map(|c| opt(Some(c))).collect();
        // An occasion the export named, by its text (even a blank one); else computed in
        // `Context::finish` from the context (or source) and the local day.
        let occasion: Vec<u64> = match occasion {
            Some(c) => {
                let ids = text_ids(&mut strings, c, false);
                let named = c.iter().zip(ids).map(|(v, id)| occasion_cell(v.map(|_| id)));
                named.collect()
            }
            None => vec![occasion_cell(None); n],
        };
        let texts = (strings, source, context, utm, attrs, occasion);
        (joined(runs.join()), joined(enums.join()), texts)
    });
    let (offsets, persons) = runs?;
    let (precision, action, channel, tool) = enums?;
    let (strings, source, context, [utm_source, utm_medium, utm_campaign], attrs, occasion) = texts;
    let mut ctx = crate::funnel::Context::with_capacity(tz, 0, 0);
    (ctx.ts, ctx.precision, ctx.action, ctx.channel, ctx.tool, ctx.event_id) = (ts, precision, action, channel, tool, event_id);
    (ctx.source, ctx.context, ctx.utm_source, ctx.utm_medium, ctx.utm_campaign) = (source, context, utm_source, utm_medium, utm_campaign);
    (ctx.attrs, ctx.occasion, ctx.strings) = (attrs, occasion, strings);
    ctx.finish();
    let timeline = Timeline {
        order: (0..n as u32).collect(),
        offsets,
    };
    Ok((ctx, timeline, persons))
}

/// A reader thread's result (a panic there is an error here, not a second panic).
fn joined<T>(r: std::thread::Result<anyhow::Result<T>>) -> anyhow::Result<T> {
    r.unwrap_or_else(|_| Err(anyhow::anyhow!("a thread reading the timeline panicked")))
}

/// The persons of a timeline's rows: one run of rows per person, in time order. Checks that
/// every time is in 1970–2100, that a person's rows are together, and that times do not go
/// backwards within a person. Gives the runs' offsets and the persons (organizer if any row is).
fn person_runs(
    path: &Path,
    person: &StringChunked,
    organizer: &BooleanChunked,
    ts: &[i64],
) -> anyhow::Result<(Vec<usize>, Vec<crate::identity::Person>)> {
    let mut offsets = vec![0usize];
    let mut persons: Vec<crate::identity::Person> = Vec::new();
    let mut finished: rustc_hash::FxHashSet<&str> = Default::default();
    let mut last: Option<&str> = None;
    let mut last_ts = i64::MIN;
    for (i, ((p, &t), org)) in person.iter().zip(ts).zip(organizer.iter()).enumerate() {
        let p = p.unwrap_or("");
        anyhow::ensure!(
            (0..4_102_444_800_000_000).contains(&t),
            "{}: row {} has a time outside 1970–2100",
            path.display(),
            i + 1
        );
        if last != Some(p) {
            if let Some(prev) = last {
                offsets.push(i);
                finished.insert(prev);
            }
            anyhow::ensure!(
                !finished.contains(p),
                "{}: row {}: the timeline is not grouped by person; write it with turnout, or sort it by person_id, ts, event_id",
                path.display(),
                i + 1
            );
            last_ts = i64::MIN;
            persons.push(crate::identity::Person {
                id: p.to_string(),
                organizer: false,
                first_seen: t,
                events: 0,
                keys: 0,
            });
            last = Some(p);
        }
        anyhow::ensure!(
            t >= last_ts,
            "{}: row {}: times go backwards within a person; sort the timeline by person_id, ts, event_id",
            path.display(),
            i + 1
        );
        last_ts = t;
        let person = persons.last_mut().expect("pushed");
        person.events += 1;
        person.organizer |= org.unwrap_or(false);
    }
    if !ts.is_empty() {
        offsets.push(ts.len());
    }
    Ok((offsets, persons))
}

/// An enum column (action, precision, channel, tool): each distinct text parsed once.
fn enum_column<T: Copy + std::str::FromStr>(path: &Path, name: &str, c: &StringChunked) -> anyhow::Result<Vec<T>> {
    let mut seen: rustc_hash::FxHashMap<&str, T> = Default::default();
    let mut out = Vec::with_capacity(c.len());
    for (i, v) in c.iter().enumerate() {
        let v = v.unwrap_or("");
        let t = match seen.get(v) {
            Some(&t) => t,
            None => {
                let t = v.parse::<T>().map_err(|_| {
                    anyhow::anyhow!(
                        "{}: row {}: {name} {v:?} is not a value turnout writes; was this timeline written by another program?",
                        path.display(),
                        i + 1
                    )
                })?;
                seen.insert(v, t);
                t
            }
        };
        out.push(t);
    }
    Ok(out)
}

/// A text column's interned ids, each distinct text looked up once. With `blank_is_none`, an
/// empty or whitespace-only text is [`NONE`](crate::funnel::context::NONE), as
/// [`Strings::opt`](crate::funnel::context::Strings::opt) does; a missing value is `NONE` with
/// it and the empty text's id without.
fn text_ids(strings: &mut crate::funnel::context::Strings, c: &StringChunked, blank_is_none: bool) -> Vec<u32> {
    let mut seen: rustc_hash::FxHashMap<&str, u32> = Default::default();
    c.iter()
        .map(|v| {
            let v = match v {
                Some(v) => v,
                None if blank_is_none => return crate::funnel::context::NONE,
                None => "",
            };
            *seen
                .entry(v)
                .or_insert_with(|| if blank_is_none { strings.opt(Some(v)) } else { strings.id(v) })
        })
        .collect()
}
