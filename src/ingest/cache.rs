//! The parsed-file cache: an export whose bytes, reader and options are unchanged is not parsed
//! again.
//!
//! Takes: a file's bytes hash, its source's plan, and what its reader produced. Gives: the same
//! output back on the next run, from `work/<pipeline>/cache/<key>.bin`. Promises: the key is a
//! SHA-256 of the file's content, turnout's version (which versions every reader) and every
//! option that changes what a reader produces (tool, zones, region, column mapping, attributes,
//! date order, group, minimum minutes), so a changed file, reader or option is parsed afresh;
//! organizer tagging and de-duplication happen after the cache, so changing `organizers` needs
//! no re-parse. The cache holds raw identifiers: its folder and files are owner-only, it is
//! written aside and renamed (a killed run leaves no half entry), an unreadable entry is parsed
//! again, and entries no run used are removed at the end of the run. An entry stores each
//! distinct text of a file once, events pointing at it by number ([`Stored`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FileStats;
use crate::config::{Plan, SourcePlan};
use crate::schema::{Action, Channel, Event, Origin, Precision, QuarantinedRow, Str, Tool};

/// What one unit (a file, or a member of a zip) produced.
#[derive(Debug, Clone)]
pub struct Unit {
    pub events: Vec<Event>,
    pub identities: Vec<Event>,
    pub quarantine: Vec<QuarantinedRow>,
    pub stats: FileStats,
}

/// Format of the entries: bump when `Unit`, `Stored` or anything in them changes shape.
const FORMAT: u32 = 3;

/// A unit as stored: each distinct text once, events pointing at it by number. Events repeat
/// the same few texts (source, file, group, a member's name on each of their messages), so
/// this is several times smaller than the events' own serialization, and loading interns each
/// text once per unit instead of once per event.
#[derive(Serialize, Deserialize)]
struct Stored {
    texts: Vec<String>,
    events: Vec<StoredEvent>,
    identities: Vec<StoredEvent>,
    quarantine: Vec<QuarantinedRow>,
    stats: FileStats,
}

/// An [`Event`] with its texts as 1-based numbers into [`Stored::texts`] (0: none).
#[derive(Serialize, Deserialize)]
struct StoredEvent {
    event_id: u64,
    ts: i64,
    precision: Precision,
    tool: Tool,
    channel: Channel,
    action: Action,
    organizer: bool,
    /// source, email, phone, name, external_id, context, occasion, utm_source, utm_medium,
    /// utm_campaign, origin file.
    texts: [u32; 11],
    attrs: Vec<u32>,
    line: u64,
}

impl Stored {
    /// The units as stored, built whole in memory: what [`UnitsRef`] writes without building
    /// it (kept as the tests' reference for the format).
    #[cfg(test)]
    fn from_units(units: &[Unit]) -> Vec<Stored> {
        units
            .iter()
            .map(|u| {
                let mut numbers: rustc_hash::FxHashMap<u32, u32> = Default::default();
                let mut texts = Vec::new();
                let mut number = |s: Option<Str>| -> u32 {
                    let Some(s) = s else { return 0 };
                    *numbers.entry(s.id()).or_insert_with(|| {
                        texts.push(s.to_string());
                        texts.len() as u32
                    })
                };
                let mut store = |e: &Event| StoredEvent {
                    event_id: e.event_id,
                    ts: e.ts,
                    precision: e.precision,
                    tool: e.tool,
                    channel: e.channel,
                    action: e.action,
                    organizer: e.organizer,
                    texts: event_texts(e).map(&mut number),
                    attrs: e.attrs.iter().map(|a| number(*a)).collect(),
                    line: e.origin.line,
                };
                let events = u.events.iter().map(&mut store).collect();
                let identities = u.identities.iter().map(&mut store).collect();
                Stored {
                    texts,
                    events,
                    identities,
                    quarantine: u.quarantine.clone(),
                    stats: u.stats.clone(),
                }
            })
            .collect()
    }

    /// The unit back; `None` when a number points past the texts (a damaged entry).
    fn into_unit(self) -> Option<Unit> {
        let texts: Vec<Str> = self.texts.iter().map(|t| Str::new(t)).collect();
        let text = |n: u32| -> Option<Option<Str>> {
            match n {
                0 => Some(None),
                n => texts.get(n as usize - 1).copied().map(Some),
            }
        };
        let event = |e: StoredEvent| -> Option<Event> {
            let [source, email, phone, name, external_id, context, occasion, utm_source, utm_medium, utm_campaign, file] =
                e.texts.map(text);
            Some(Event {
                event_id: e.event_id,
                ts: e.ts,
                precision: e.precision,
                source: source??,
                tool: e.tool,
                channel: e.channel,
                action: e.action,
                email: email?,
                phone: phone?,
                name: name?,
                external_id: external_id?,
                context: context?,
                occasion: occasion?,
                utm_source: utm_source?,
                utm_medium: utm_medium?,
                utm_campaign: utm_campaign?,
                attrs: e.attrs.into_iter().map(text).collect::<Option<crate::schema::Attrs>>()?,
                organizer: e.organizer,
                origin: Origin {
                    file: file??,
                    line: e.line,
                },
            })
        };
        Some(Unit {
            events: self.events.into_iter().map(event).collect::<Option<_>>()?,
            identities: self.identities.into_iter().map(event).collect::<Option<_>>()?,
            quarantine: self.quarantine,
            stats: self.stats,
        })
    }
}

/// The texts of an event, in [`StoredEvent::texts`] order.
fn event_texts(e: &Event) -> [Option<Str>; 11] {
    [
        Some(e.source),
        e.email,
        e.phone,
        e.name,
        e.external_id,
        e.context,
        e.occasion,
        e.utm_source,
        e.utm_medium,
        e.utm_campaign,
        Some(e.origin.file),
    ]
}

/// Writes units as postcard writes `Vec<Stored>`, byte for byte (the tests hold it to that),
/// but streamed and by hand: each unit's texts are numbered in a first pass, then its events
/// are written as they are read, each field as postcard encodes it (varints, zigzag for `ts`,
/// an enum as its variant's index). Building the `Stored` values and the whole entry in memory
/// first (an allocation per event, a buffer of up to a gigabyte grown by doubling) was a tenth
/// of ingest; writing the same bytes through serde, a call per field, was still a seventh.
fn write_units(units: &[Unit], out: &mut Out) -> std::io::Result<()> {
    out.varint(units.len() as u64);
    for u in units {
        // Numbered in order of first appearance: events, then identities; in each, the texts
        // in `StoredEvent::texts` order, then the attributes.
        let mut numbers = Numbers::default();
        let mut texts: Vec<&'static str> = Vec::new();
        for e in u.events.iter().chain(&u.identities) {
            for t in event_texts(e).into_iter().chain(e.attrs.iter().copied()).flatten() {
                numbers.number_or_insert(t, || {
                    texts.push(t.as_str());
                    texts.len() as u32
                });
            }
        }
        out.varint(texts.len() as u64);
        for t in texts {
            out.varint(t.len() as u64);
            out.buf.extend_from_slice(t.as_bytes());
            out.flush_if_full()?;
        }
        for events in [&u.events, &u.identities] {
            out.varint(events.len() as u64);
            for e in events.iter() {
                out.varint(e.event_id);
                out.varint(((e.ts << 1) ^ (e.ts >> 63)) as u64);
                // Unit variants: postcard writes the variant's index, one byte below 128.
                out.buf.extend_from_slice(&[
                    e.precision as u8,
                    e.tool as u8,
                    e.channel as u8,
                    e.action as u8,
                    u8::from(e.organizer),
                ]);
                for t in event_texts(e) {
                    out.varint(u64::from(numbers.number(t)));
                }
                out.varint(e.attrs.len() as u64);
                for &a in e.attrs.iter() {
                    out.varint(u64::from(numbers.number(a)));
                }
                out.varint(e.origin.line);
                out.flush_if_full()?;
            }
        }
        let tail = postcard::to_stdvec(&(&u.quarantine, &u.stats)).map_err(std::io::Error::other)?;
        out.buf.extend_from_slice(&tail);
        out.flush_if_full()?;
    }
    out.flush()
}

// The enums are written as one byte each above: their variants must stay below 128.
const _: () = assert!(Precision::ALL.len() < 128 && Tool::ALL.len() < 128 && Channel::ALL.len() < 128 && Action::ALL.len() < 128);

/// A unit's texts by number (text id → 1-based number), with a small direct-mapped memo in
/// front of the map: an export's events repeat the texts of the events just before them (the
/// source, the file, the group, the member who wrote the last few messages), and the memo
/// answers those without a probe into the map. The numbers are the map's either way.
struct Numbers {
    map: rustc_hash::FxHashMap<u32, u32>,
    recent: Box<[std::cell::Cell<(u32, u32)>; Numbers::RECENT]>,
}

impl Default for Numbers {
    fn default() -> Self {
        Numbers {
            map: Default::default(),
            recent: Box::new([const { std::cell::Cell::new((0, 0)) }; Numbers::RECENT]),
        }
    }
}

impl Numbers {
    const RECENT: usize = 1024;

    fn slot(&self, id: u32) -> &std::cell::Cell<(u32, u32)> {
        &self.recent[(id.wrapping_mul(0x9e37_79b9) >> 22) as usize]
    }

    /// `t`'s number, numbering it with `next()` on first sight.
    fn number_or_insert(&mut self, t: Str, next: impl FnOnce() -> u32) -> u32 {
        // Text ids start at 1, so an empty slot (id 0) never matches.
        match self.slot(t.id()).get() {
            (id, n) if id == t.id() => n,
            _ => {
                let n = *self.map.entry(t.id()).or_insert_with(next);
                self.slot(t.id()).set((t.id(), n));
                n
            }
        }
    }

    /// The number of a text numbered before (0 for none).
    fn number(&self, t: Option<Str>) -> u32 {
        let Some(t) = t else { return 0 };
        let slot = self.slot(t.id());
        match slot.get() {
            (id, n) if id == t.id() => n,
            _ => {
                let n = self.map[&t.id()];
                slot.set((t.id(), n));
                n
            }
        }
    }
}

/// The cache key of a file with content hash `file_sha256` read as `source`.
pub fn key(plan: &Plan, source: &SourcePlan, shown: &str, file_sha256: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(file_sha256);
    // Everything a reader's output depends on besides the bytes (Debug text is stable within a
    // version, which the key includes).
    let options = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
        source.name,
        source.tool,
        source.timezone,
        source.region,
        source.csv,
        source.attr_columns,
        source.date_order,
        source.group,
        source.min_minutes,
        plan.attributes,
        plan.timezone,
        plan.default_region,
        shown
    );
    h.update(options.as_bytes());
    crate::config::validate::hex(&h.finalize())
}

fn entry(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.bin"))
}

/// The cached output for `key`, if there is a readable entry.
pub fn load(dir: &Path, key: &str) -> Option<Vec<Unit>> {
    let bytes = std::fs::read(entry(dir, key)).ok()?;
    let stored: Vec<Stored> = postcard::from_bytes(&bytes).ok()?;
    stored.into_iter().map(Stored::into_unit).collect()
}

/// Stores the output for `key` (owner-only, written aside then renamed).
pub fn store(dir: &Path, key: &str, units: &[Unit]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    crate::privacy::owner_only(dir)?;
    let tmp = dir.join(format!(".{key}.tmp"));
    {
        let file = std::fs::File::create(&tmp)?;
        crate::privacy::owner_only(&tmp)?;
        let mut out = Out {
            file,
            buf: Vec::with_capacity(Out::FLUSH + 4096),
        };
        write_units(units, &mut out)?;
        out.file.sync_all()?;
    }
    std::fs::rename(&tmp, entry(dir, key))?;
    Ok(())
}

/// An entry being written: a buffer of its own, written out to the file a megabyte at a time.
struct Out {
    file: std::fs::File,
    buf: Vec<u8>,
}

impl Out {
    const FLUSH: usize = 1 << 20;

    /// `x` as postcard's varint: seven bits a byte, low bits first, the top bit set on every
    /// byte but the last.
    #[inline]
    fn varint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.buf.push(x as u8 | 0x80);
            x >>= 7;
        }
        self.buf.push(x as u8);
    }

    #[inline]
    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= Self::FLUSH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.file.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

pub fn prune(dir: &Path, used: &std::collections::HashSet<String>) -> std::io::Result<usize> {
    let mut removed = 0;
    let Ok(list) = std::fs::read_dir(dir) else { return Ok(0) };
    for e in list {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let keep = name.strip_suffix(".bin").is_some_and(|k| used.contains(k));
        if !keep && e.file_type()?.is_file() {
            std::fs::remove_file(e.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: u64, name: Option<&str>, attrs: Vec<Option<&str>>) -> Event {
        Event {
            event_id: i,
            ts: 1_782_691_200_000_000 + i as i64,
            precision: Precision::Minute,
            source: "store-groups".into(),
            tool: Tool::Whatsapp,
            channel: Channel::Messaging,
            action: Action::MessageSent,
            email: (i % 3 == 0).then(|| "rosa@example.org".into()),
            phone: (i % 2 == 0).then(|| "+1 (312) 555-0142".into()),
            name: name.map(Into::into),
            external_id: None,
            context: Some("Store 12 Halsted workers".into()),
            occasion: (i == 4).then(|| "Store 12 2026-07-07".into()),
            utm_source: None,
            utm_medium: Some("sms".into()),
            utm_campaign: None,
            attrs: attrs.into_iter().map(|a| a.map(Into::into)).collect::<Vec<_>>().into(),
            organizer: i == 1,
            origin: Origin::new("data/groups/WhatsApp Chat with Store 12.txt", 10 + i),
        }
    }

    fn unit() -> Unit {
        Unit {
            events: (0..6)
                .map(|i| {
                    event(
                        i,
                        [Some("~\u{202f}Rosa 🌹"), None, Some("Bob")][i as usize % 3],
                        vec![Some("Store 12"), None],
                    )
                })
                .collect(),
            identities: vec![event(9, Some("Rosa Martinez"), vec![None, Some("deli")])],
            quarantine: vec![QuarantinedRow {
                source: "store-groups".into(),
                file: "x.txt".into(),
                line: 3,
                column: None,
                reason: "bad_timestamp".into(),
                detail: "d".into(),
            }],
            stats: FileStats {
                events: 6,
                ..FileStats::default()
            },
        }
    }

    #[test]
    fn units_come_back_as_stored_and_each_text_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let u = unit();
        store(dir.path(), "k", std::slice::from_ref(&u)).unwrap();
        let back = load(dir.path(), "k").expect("a readable entry");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].events, u.events);
        assert_eq!(back[0].identities, u.identities);
        assert_eq!(back[0].quarantine, u.quarantine);
        assert_eq!(back[0].stats.events, 6);
        let bytes = std::fs::read(entry(dir.path(), "k")).unwrap();
        let once = |t: &str| bytes.windows(t.len()).filter(|w| *w == t.as_bytes()).count();
        assert_eq!(once("Store 12 Halsted workers"), 1);
        assert_eq!(once("data/groups/WhatsApp Chat with Store 12.txt"), 1);
    }

    /// The streamed entry is the whole-in-memory serialisation of `Vec<Stored>`, byte for byte:
    /// entries written before still load, and the format has one definition.
    #[test]
    fn a_streamed_entry_is_the_stored_units_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let mut second = unit();
        second.events.reverse();
        second.events[0].attrs = vec![None, Some("night".into()), Some("Store 9".into()), Some("x".into())].into();
        second.identities.clear();
        let units = [unit(), second, Unit { events: vec![], ..unit() }];
        store(dir.path(), "k", &units).unwrap();
        let bytes = std::fs::read(entry(dir.path(), "k")).unwrap();
        assert_eq!(bytes, postcard::to_stdvec(&Stored::from_units(&units)).unwrap());
        assert_eq!(load(dir.path(), "k").unwrap()[1].events, units[1].events);
    }

    /// Thousands of texts met in a scattered order, so that the memo in front of the numbers
    /// evicts and misses all the time: the entry is still the plain numbering's, byte for byte.
    #[test]
    fn numbering_through_the_memo_is_the_plain_numbering() {
        let dir = tempfile::tempdir().unwrap();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let names: Vec<String> = (0..5000).map(|i| format!("member {i}")).collect();
        let mut u = unit();
        u.events = (0..20_000)
            .map(|i| {
                let r = next();
                let mut e = event(
                    i,
                    Some(&names[(r % 5000) as usize]),
                    vec![Some(&names[(r >> 20) as usize % 5000]), None],
                );
                e.phone = (r % 3 == 0).then(|| Str::new(&format!("+1 312 555 {:04}", (r >> 40) % 10_000)));
                e
            })
            .collect();
        store(dir.path(), "k", std::slice::from_ref(&u)).unwrap();
        let bytes = std::fs::read(entry(dir.path(), "k")).unwrap();
        assert_eq!(bytes, postcard::to_stdvec(&Stored::from_units(std::slice::from_ref(&u))).unwrap());
        assert_eq!(load(dir.path(), "k").unwrap()[0].events, u.events);
    }

    #[test]
    fn a_damaged_entry_is_not_served() {
        let dir = tempfile::tempdir().unwrap();
        store(dir.path(), "k", &[unit()]).unwrap();
        let path = entry(dir.path(), "k");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(load(dir.path(), "k").is_none(), "a truncated entry");
        // A number past the texts (a text table cut short, the rest intact).
        let mut stored: Vec<Stored> = postcard::from_bytes(&bytes).unwrap();
        stored[0].texts.truncate(2);
        std::fs::write(&path, postcard::to_stdvec(&stored).unwrap()).unwrap();
        assert!(load(dir.path(), "k").is_none(), "a number past the texts");
    }
}
