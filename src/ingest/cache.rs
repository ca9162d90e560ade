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

/// Units serialised as `Vec<Stored>`, byte for byte, but streamed: each unit's texts are
/// numbered in a first pass, then its events are written as they are read. Building the
/// `Stored` values and the whole entry in memory first (an allocation per event for its
/// attributes, and a buffer of up to a gigabyte that grew by doubling) was a tenth of ingest.
struct UnitsRef<'a>(&'a [Unit]);

/// One unit's events as `Vec<StoredEvent>`, texts numbered by `numbers` (text id → 1-based
/// number).
struct EventsRef<'a> {
    events: &'a [Event],
    numbers: &'a rustc_hash::FxHashMap<u32, u32>,
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

impl Serialize for UnitsRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for u in self.0 {
            // Numbered in order of first appearance: events, then identities; in each, the
            // texts in `StoredEvent::texts` order, then the attributes.
            let mut numbers: rustc_hash::FxHashMap<u32, u32> = Default::default();
            let mut texts: Vec<&'static str> = Vec::new();
            for e in u.events.iter().chain(&u.identities) {
                for t in event_texts(e).into_iter().chain(e.attrs.iter().copied()).flatten() {
                    numbers.entry(t.id()).or_insert_with(|| {
                        texts.push(t.as_str());
                        texts.len() as u32
                    });
                }
            }
            seq.serialize_element(&StoredRef {
                texts,
                events: EventsRef {
                    events: &u.events,
                    numbers: &numbers,
                },
                identities: EventsRef {
                    events: &u.identities,
                    numbers: &numbers,
                },
                quarantine: &u.quarantine,
                stats: &u.stats,
            })?;
        }
        seq.end()
    }
}

/// [`Stored`], borrowed.
#[derive(Serialize)]
struct StoredRef<'a> {
    texts: Vec<&'static str>,
    events: EventsRef<'a>,
    identities: EventsRef<'a>,
    quarantine: &'a [QuarantinedRow],
    stats: &'a FileStats,
}

impl Serialize for EventsRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq, SerializeStruct};
        let number = |t: Option<Str>| t.map_or(0, |t| self.numbers[&t.id()]);
        /// An event's attributes as numbers (`StoredEvent::attrs`).
        struct Attrs<'b, F: Fn(Option<Str>) -> u32>(&'b [Option<Str>], &'b F);
        impl<F: Fn(Option<Str>) -> u32> Serialize for Attrs<'_, F> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|&a| (self.1)(a)))
            }
        }
        let mut seq = s.serialize_seq(Some(self.events.len()))?;
        for e in self.events {
            /// One event as [`StoredEvent`].
            struct One<'b, F: Fn(Option<Str>) -> u32>(&'b Event, &'b F);
            impl<F: Fn(Option<Str>) -> u32> Serialize for One<'_, F> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let (e, number) = (self.0, self.1);
                    let mut st = s.serialize_struct("StoredEvent", 10)?;
                    st.serialize_field("event_id", &e.event_id)?;
                    st.serialize_field("ts", &e.ts)?;
                    st.serialize_field("precision", &e.precision)?;
                    st.serialize_field("tool", &e.tool)?;
                    st.serialize_field("channel", &e.channel)?;
                    st.serialize_field("action", &e.action)?;
                    st.serialize_field("organizer", &e.organizer)?;
                    st.serialize_field("texts", &event_texts(e).map(number))?;
                    st.serialize_field("attrs", &Attrs(&e.attrs[..], number))?;
                    st.serialize_field("line", &e.origin.line)?;
                    st.end()
                }
            }
            seq.serialize_element(&One(e, &number))?;
        }
        seq.end()
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
        let f = std::fs::File::create(&tmp)?;
        crate::privacy::owner_only(&tmp)?;
        let w = postcard::to_io(&UnitsRef(units), std::io::BufWriter::with_capacity(1 << 20, f))?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, entry(dir, key))?;
    Ok(())
}

/// Removes entries (and leftovers of killed runs) whose key is not in `used`.
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
