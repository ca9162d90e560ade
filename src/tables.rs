//! Tables: the stages' outputs as polars frames, written as Parquet.
//!
//! Takes: events, the identity resolution, timelines and funnel results. Gives: polars
//! `DataFrame`s whose column names and types come from `schema`, and Parquet files other tools
//! (DuckDB, Spark, pandas) can read. Promises: this is one of the few places that call polars,
//! and every person-level table it builds carries keyed pseudonyms (see `privacy`) — never a raw
//! phone, email or name.

use std::path::Path;

use polars::prelude::*;

use crate::funnel::PersonFunnel;
use crate::identity::Resolution;
use crate::privacy::Pseudonymizer;
use crate::schema::{col, Event, QuarantinedRow};
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

impl TokenColumn {
    fn build<'a>(n: usize, value: impl Fn(usize) -> Option<&'a str>, token: impl Fn(&str) -> String) -> TokenColumn {
        let mut seen: rustc_hash::FxHashMap<&'a str, u32> = rustc_hash::FxHashMap::default();
        let mut tokens = Vec::new();
        let slot = (0..n)
            .map(|i| match value(i) {
                None => u32::MAX,
                Some(v) => *seen.entry(v).or_insert_with(|| {
                    tokens.push(token(v));
                    tokens.len() as u32 - 1
                }),
            })
            .collect();
        TokenColumn { slot, tokens }
    }

    fn column(&self, name: &str) -> Column {
        let cells: Vec<Option<&str>> = self
            .slot
            .iter()
            .map(|&s| (s != u32::MAX).then(|| self.tokens[s as usize].as_str()))
            .collect();
        Column::new(name.into(), cells)
    }
}

/// The canonical event columns in ingest order, identifiers pseudonymised, plus `person_id`
/// and the declared attributes. Built once and shared by `events` and `timeline` (which is the
/// same rows reordered): the token columns are hashed on separate threads.
fn event_columns(events: &[Event], attributes: &[String], res: &Resolution, pseudo: &Pseudonymizer) -> Vec<Column> {
    let n = events.len();
    let (email, phone, name, external) = std::thread::scope(|sc| {
        let email = sc.spawn(|| {
            TokenColumn::build(
                n,
                |i| res.norm_email[i].as_deref().or(events[i].email.as_deref()),
                |v| pseudo.token("email", v),
            )
        });
        let phone = sc.spawn(|| {
            TokenColumn::build(
                n,
                |i| res.norm_phone[i].as_deref().or(events[i].phone.as_deref()),
                |v| pseudo.token("phone", v),
            )
        });
        let name = sc.spawn(|| {
            TokenColumn::build(
                n,
                |i| events[i].name.as_deref(),
                |v| pseudo.token("name", &crate::identity::normalize::name(v)),
            )
        });
        let external = TokenColumn::build(n, |i| events[i].external_id.as_deref(), |v| pseudo.token("external_id", v));
        let join = |h: std::thread::ScopedJoinHandle<'_, TokenColumn>| h.join().expect("hashing does not panic");
        (join(email), join(phone), join(name), external)
    });
    let strs = |name: &str, f: &dyn Fn(&Event) -> &str| Column::new(name.into(), events.iter().map(f).collect::<Vec<&str>>());
    let opt =
        |name: &str, f: &dyn Fn(&Event) -> Option<&str>| Column::new(name.into(), events.iter().map(f).collect::<Vec<Option<&str>>>());
    let mut cols = vec![
        Column::new(col::EVENT_ID.into(), events.iter().map(|e| e.event_id).collect::<Vec<u64>>()),
        ts_column(col::TS, events.iter().map(|e| e.ts).collect()),
        strs(col::TS_PRECISION, &|e| e.precision.as_str()),
        strs(col::SOURCE, &|e| &e.source),
        strs(col::TOOL, &|e| e.tool.as_str()),
        strs(col::CHANNEL, &|e| e.channel.as_str()),
        strs(col::ACTION, &|e| e.action.as_str()),
        email.column(col::EMAIL),
        phone.column(col::PHONE),
        name.column(col::NAME),
        external.column(col::EXTERNAL_ID),
        opt(col::CONTEXT, &|e| e.context.as_deref()),
        opt(col::OCCASION, &|e| e.occasion.as_deref()),
        opt(col::UTM_SOURCE, &|e| e.utm_source.as_deref()),
        opt(col::UTM_MEDIUM, &|e| e.utm_medium.as_deref()),
        opt(col::UTM_CAMPAIGN, &|e| e.utm_campaign.as_deref()),
        Column::new(col::ORGANIZER.into(), events.iter().map(|e| e.organizer).collect::<Vec<bool>>()),
        strs(col::ORIGIN, &|e| &e.origin),
        Column::new(
            col::PERSON_ID.into(),
            res.person_of
                .iter()
                .map(|&p| res.persons[p as usize].id.as_str())
                .collect::<Vec<&str>>(),
        ),
    ];
    for (a, name) in attributes.iter().enumerate() {
        cols.push(opt(name, &|e| e.attrs.get(a).and_then(|v| v.as_deref())));
    }
    cols
}

/// `events`: every event in ingest order, with the schema of [`crate::schema::events_schema`].
pub fn events_frame(events: &[Event], attributes: &[String], res: &Resolution, pseudo: &Pseudonymizer) -> PolarsResult<DataFrame> {
    let df = DataFrame::new(events.len(), event_columns(events, attributes, res, pseudo))?;
    debug_assert_eq!(df.schema().as_ref(), &crate::schema::events_schema(attributes));
    Ok(df)
}

/// `timeline`: the `events` frame's rows grouped by person in time order, with `seq` (0-based)
/// per person first.
pub fn timeline_frame(events: &DataFrame, tl: &Timeline) -> PolarsResult<DataFrame> {
    let order = IdxCa::from_vec("order".into(), tl.order.iter().map(|&i| i as IdxSize).collect());
    let mut df = events.take(&order)?;
    let mut seq = Vec::with_capacity(tl.order.len());
    for p in 0..tl.persons() {
        seq.extend(0..tl.person(p).len() as u32);
    }
    df.insert_column(0, Column::new(col::SEQ.into(), seq))?;
    Ok(df)
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
pub fn read_person_keys(path: &Path) -> anyhow::Result<std::collections::HashMap<String, String>> {
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

    #[test]
    fn events_frame_matches_the_schema_and_hides_identifiers() {
        let e = Event {
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
            attrs: vec![Some("Store 12".into())],
            organizer: false,
            origin: "data/x.csv:2".into(),
        };
        let res = Resolution {
            person_of: vec![0],
            persons: vec![Person {
                id: "P1".into(),
                organizer: false,
                first_seen: 0,
                events: 1,
                keys: 2,
            }],
            norm_email: vec![Some("rosa@x.org".into())],
            norm_phone: vec![Some("+13124560142".into())],
            ..Default::default()
        };
        let attrs = vec!["worksite".to_string()];
        let df = events_frame(&[e], &attrs, &res, &Pseudonymizer::new(b"k0123456789abcdef")).unwrap();
        assert_eq!(df.schema().as_ref(), &crate::schema::events_schema(&attrs));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        write_parquet(&mut df.clone(), &path).unwrap();
        let cells = string_cells(&path).unwrap().join("|");
        for raw in ["Rosa", "rosa", "312", "A-17"] {
            assert!(!cells.contains(raw), "{raw} leaked into {cells}");
        }
        assert!(cells.contains("Store 12 workers meeting") && cells.contains("data/x.csv:2"));
        assert_eq!(read_parquet(&path).unwrap().height(), 1);
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

/// Reads a `timeline.parquet` (as [`timeline_frame`] writes it: grouped by person, time-ordered)
/// back into the funnel's columnar [`crate::funnel::Context`], its [`Timeline`] and the persons
/// (organizer flags). Only the columns `needs` asks for are read beside person, time, event id,
/// precision, action and organizer; a channel not read is the action's default. This is how the
/// event-level stages run on a timeline without the events' raw records.
pub fn read_timeline(
    path: &Path,
    tz: chrono_tz::Tz,
    needs: &TimelineColumns,
) -> anyhow::Result<(crate::funnel::Context, Timeline, Vec<crate::identity::Person>)> {
    use crate::schema::{Action, Channel, Precision, Tool};
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
    let mut wanted: Vec<String> = [
        col::PERSON_ID,
        col::TS,
        col::EVENT_ID,
        col::ORGANIZER,
        col::TS_PRECISION,
        col::ACTION,
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    wanted.extend(optional.iter().filter(|(_, need)| *need).map(|(c, _)| c.to_string()));
    wanted.extend(needs.attributes.iter().cloned());
    let df = ParquetReader::new(std::fs::File::open(path)?).with_columns(Some(wanted)).finish()?;
    let n = df.height();
    for c in [
        col::PERSON_ID,
        col::TS,
        col::EVENT_ID,
        col::ORGANIZER,
        col::TS_PRECISION,
        col::ACTION,
    ] {
        let nulls = df.column(c)?.null_count();
        anyhow::ensure!(
            nulls == 0,
            "{}: column {c:?} has {nulls} empty value(s); every timeline row needs one",
            path.display()
        );
    }
    // Whatever unit the writer used (pandas and Spark write ns, some ms), convert to µs.
    let ts_us = df
        .column(col::TS)?
        .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))?;
    let s = |name: &str| -> anyhow::Result<StringChunked> { Ok(df.column(name)?.str()?.clone()) };
    let maybe = |name: &str, need: bool| -> anyhow::Result<Option<StringChunked>> {
        if need {
            s(name).map(Some)
        } else {
            Ok(None)
        }
    };
    let ts = ts_us.cast(&DataType::Int64)?;
    let ts = ts.i64()?;
    let ids = df.column(col::EVENT_ID)?.u64()?.clone();
    let organizer = df.column(col::ORGANIZER)?.bool()?.clone();
    let (person, precision, action) = (s(col::PERSON_ID)?, s(col::TS_PRECISION)?, s(col::ACTION)?);
    let (source, tool, channel) = (
        maybe(col::SOURCE, needs.source)?,
        maybe(col::TOOL, needs.tool)?,
        maybe(col::CHANNEL, needs.channel)?,
    );
    let (context, occasion) = (maybe(col::CONTEXT, needs.context)?, maybe(col::OCCASION, needs.occasion)?);
    let (us, um, uc) = (
        maybe(col::UTM_SOURCE, needs.utm)?,
        maybe(col::UTM_MEDIUM, needs.utm)?,
        maybe(col::UTM_CAMPAIGN, needs.utm)?,
    );
    let attr_cols: Vec<StringChunked> = needs.attributes.iter().map(|a| s(a)).collect::<anyhow::Result<_>>()?;
    let mut ctx = crate::funnel::Context::with_capacity(tz, n, needs.attributes.len());
    let mut offsets = vec![0usize];
    let mut persons: Vec<crate::identity::Person> = Vec::new();
    let mut last_person: Option<&str> = None;
    // Enum columns repeat a handful of values: parse each distinct text once.
    fn parse_cached<T: Copy + std::str::FromStr>(cache: &mut Vec<(String, T)>, v: &str) -> anyhow::Result<T> {
        if let Some((_, t)) = cache.iter().find(|(k, _)| k == v) {
            return Ok(*t);
        }
        let t = v.parse::<T>().map_err(|_| anyhow::anyhow!("timeline: unknown value {v:?}"))?;
        cache.push((v.to_string(), t));
        Ok(t)
    }
    let (mut cp, mut ca, mut cc, mut ct): (
        Vec<(String, Precision)>,
        Vec<(String, Action)>,
        Vec<(String, Channel)>,
        Vec<(String, Tool)>,
    ) = Default::default();
    let mut attrs: Vec<Option<&str>> = vec![None; needs.attributes.len()];
    let (mut i_person, mut i_ts, mut i_org, mut i_ids, mut i_prec, mut i_act) = (
        person.iter(),
        ts.iter(),
        organizer.iter(),
        ids.iter(),
        precision.iter(),
        action.iter(),
    );
    fn opt_iter(c: &Option<StringChunked>) -> Option<impl Iterator<Item = Option<&str>>> {
        c.as_ref().map(|c| c.iter())
    }
    let (mut i_src, mut i_tool, mut i_chan) = (opt_iter(&source), opt_iter(&tool), opt_iter(&channel));
    let (mut i_ctx, mut i_occ) = (opt_iter(&context), opt_iter(&occasion));
    let (mut i_us, mut i_um, mut i_uc) = (opt_iter(&us), opt_iter(&um), opt_iter(&uc));
    let mut i_attrs: Vec<_> = attr_cols.iter().map(|c| c.iter()).collect();
    fn next<'a, I: Iterator<Item = Option<&'a str>>>(it: &mut Option<I>) -> Option<&'a str> {
        it.as_mut().and_then(|i| i.next().flatten())
    }
    let mut finished: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut last_ts = i64::MIN;
    for i in 0..n {
        let p = i_person.next().flatten().unwrap_or("");
        let t = i_ts.next().flatten().unwrap_or(0);
        anyhow::ensure!(
            (0..4_102_444_800_000_000).contains(&t),
            "{}: row {} has a time outside 1970–2100",
            path.display(),
            i + 1
        );
        if last_person != Some(p) {
            if let Some(prev) = last_person {
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
            last_person = Some(p);
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
        person.organizer |= i_org.next().flatten().unwrap_or(false);
        for (a, it) in i_attrs.iter_mut().enumerate() {
            attrs[a] = it.next().flatten();
        }
        let action: Action = parse_cached(&mut ca, i_act.next().flatten().unwrap_or(""))?;
        ctx.push(&crate::funnel::context::Row {
            ts: t,
            precision: parse_cached(&mut cp, i_prec.next().flatten().unwrap_or(""))?,
            action,
            channel: match next(&mut i_chan) {
                Some(c) => parse_cached(&mut cc, c)?,
                None => action.default_channel(),
            },
            tool: match next(&mut i_tool) {
                Some(c) => parse_cached(&mut ct, c)?,
                None => Tool::Csv,
            },
            event_id: i_ids.next().flatten().unwrap_or(0),
            source: next(&mut i_src).unwrap_or(""),
            context: next(&mut i_ctx),
            occasion: next(&mut i_occ),
            utm: [next(&mut i_us), next(&mut i_um), next(&mut i_uc)],
            attrs: &attrs,
        });
    }
    if n > 0 {
        offsets.push(n);
    }
    ctx.finish();
    let timeline = Timeline {
        order: (0..n as u32).collect(),
        offsets,
    };
    Ok((ctx, timeline, persons))
}
