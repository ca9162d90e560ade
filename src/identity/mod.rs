//! Identity, first version: who is who, by shared email, phone or tool id.
//!
//! Takes: the ingested events and the plan. Gives: [`Resolution`] — a person index per event,
//! the persons (stable pseudonymous id, organizer flag, first seen), the links that hold each
//! person together (which key, which rule) and statistics. Promises: linking is deterministic and
//! runs on distinct identifiers, not on events (union-find over keys); a person id is a keyed
//! hash of the person's smallest key, so it is stable across runs while that key is; an
//! identifier that cannot be normalised is not used and is counted by reason. This version links
//! on exact keys only; the full resolution (over-merge guard, probable name links, overrides)
//! replaces [`resolve`] behind the same output.

pub mod normalize;

use std::collections::{BTreeMap, HashMap};

use crate::config::{IdKind, Plan};
use crate::privacy::Pseudonymizer;
use crate::schema::Event;

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub organizer: bool,
    pub first_seen: i64,
    pub events: u64,
    pub keys: u32,
}

#[derive(Debug, Clone)]
pub struct Link {
    pub person: u32,
    /// `email`, `phone`, `external_id` or `handle`.
    pub kind: &'static str,
    /// Pseudonymised key.
    pub key: String,
    pub rule: &'static str,
    /// Events carrying this key.
    pub records: u64,
}

#[derive(Debug, Clone, Default)]
pub struct IdentityStats {
    pub records: u64,
    pub persons: u64,
    pub organizers: u64,
    /// Persons whose records carry more than one distinct key.
    pub linked_persons: u64,
    /// Persons made of a single record with no linkable key.
    pub unlinked_records: u64,
    pub keys_by_kind: BTreeMap<String, u64>,
    /// Chat display names shown by more than one person (with different phones or emails),
    /// therefore not used to link.
    pub ambiguous_display_names: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// `person_of[i]` is the index into `persons` of event `i`.
    pub person_of: Vec<u32>,
    pub persons: Vec<Person>,
    pub links: Vec<Link>,
    pub stats: IdentityStats,
    /// Normalised identifiers per event (for the pseudonymised tables): email, phone.
    pub norm_email: Vec<Option<String>>,
    pub norm_phone: Vec<Option<String>>,
}

struct UnionFind {
    parent: Vec<u32>,
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
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // smaller index wins: deterministic
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }
}

/// Links events into persons.
pub fn resolve(plan: &Plan, events: &[Event], pseudo: &Pseudonymizer) -> Resolution {
    let region_of: HashMap<&str, phonenumber::country::Id> = plan.sources.iter().map(|s| (s.name.as_str(), s.region)).collect();
    let handles: HashMap<&str, bool> = plan.sources.iter().map(|s| (s.name.as_str(), s.names_are_handles())).collect();
    let use_email = plan.identity.match_on.contains(&IdKind::Email);
    let use_phone = plan.identity.match_on.contains(&IdKind::Phone);
    let use_ext = plan.identity.match_on.contains(&IdKind::ExternalId);

    let mut stats = IdentityStats {
        records: events.len() as u64,
        ..Default::default()
    };
    // Normalise once per distinct raw value.
    let mut email_cache: HashMap<&str, Result<String, &'static str>> = HashMap::new();
    let mut phone_cache: HashMap<(&str, phonenumber::country::Id), Result<String, &'static str>> = HashMap::new();

    let mut key_ids: HashMap<(u8, String), u32> = HashMap::new();
    let mut key_list: Vec<(u8, String)> = Vec::new();
    let mut key_records: Vec<u64> = Vec::new();
    let mut uf = UnionFind { parent: Vec::new() };
    let mut norm_email = Vec::with_capacity(events.len());
    let mut norm_phone = Vec::with_capacity(events.len());

    let mut intern = |kind: u8, k: String, uf: &mut UnionFind, key_list: &mut Vec<(u8, String)>, key_records: &mut Vec<u64>| -> u32 {
        let id = *key_ids.entry((kind, k.clone())).or_insert_with(|| {
            key_list.push((kind, k));
            key_records.push(0);
            uf.add()
        });
        key_records[id as usize] += 1;
        id
    };

    // Pass 1: strong keys (email, phone, tool id) link records directly.
    let mut strong: Vec<Vec<u32>> = Vec::with_capacity(events.len());
    let mut handle_of: Vec<Option<u32>> = Vec::with_capacity(events.len());
    for e in events {
        let mut keys: Vec<u32> = Vec::with_capacity(3);
        let em = e
            .email
            .as_deref()
            .map(|raw| email_cache.entry(raw).or_insert_with(|| normalize::email(raw)).clone());
        let ph = e.phone.as_deref().map(|raw| {
            let region = region_of.get(e.source.as_str()).copied().unwrap_or(plan.default_region);
            phone_cache
                .entry((raw, region))
                .or_insert_with(|| normalize::phone(raw, region))
                .clone()
        });
        for r in [&em, &ph].into_iter().flatten() {
            if let Err(reason) = r {
                *stats.rejected_by_reason.entry(reason.to_string()).or_default() += 1;
            }
        }
        let em = em.and_then(Result::ok);
        let ph = ph.and_then(Result::ok);
        if let (true, Some(v)) = (use_email, &em) {
            keys.push(intern(KIND_EMAIL, v.clone(), &mut uf, &mut key_list, &mut key_records));
        }
        if let (true, Some(v)) = (use_phone, &ph) {
            keys.push(intern(KIND_PHONE, v.clone(), &mut uf, &mut key_list, &mut key_records));
        }
        if let (true, Some(x)) = (use_ext, &e.external_id) {
            keys.push(intern(
                KIND_EXT,
                format!("{}:{}", e.tool, x.trim()),
                &mut uf,
                &mut key_list,
                &mut key_records,
            ));
        }
        for w in keys.windows(2) {
            uf.union(w[0], w[1]);
        }
        let mut handle = None;
        if handles.get(e.source.as_str()).copied().unwrap_or(false) {
            if let Some(n) = &e.name {
                let folded = normalize::name(n);
                if !folded.is_empty() {
                    let k = format!("{}\u{1f}{}\u{1f}{}", e.source, e.context.as_deref().unwrap_or(""), folded);
                    handle = Some(intern(KIND_HANDLE, k, &mut uf, &mut key_list, &mut key_records));
                }
            }
        }
        strong.push(keys);
        handle_of.push(handle);
        norm_email.push(em);
        norm_phone.push(ph);
    }

    // Pass 2: a display name in one chat links records only when every record that shows it
    // with a phone or email belongs to one person. Two people sharing a push name ("~ Grace")
    // make the name ambiguous: it then links nothing (over-merging invents conversions).
    let mut handle_roots: HashMap<u32, Vec<u32>> = HashMap::new();
    for (keys, h) in strong.iter().zip(&handle_of) {
        if let (Some(h), Some(&k)) = (h, keys.first()) {
            let r = uf.find(k);
            let roots = handle_roots.entry(*h).or_default();
            if !roots.contains(&r) {
                roots.push(r);
            }
        }
    }
    let ambiguous: std::collections::HashSet<u32> = handle_roots.iter().filter(|(_, r)| r.len() > 1).map(|(h, _)| *h).collect();
    stats.ambiguous_display_names = ambiguous.len() as u64;
    let mut event_key: Vec<u32> = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let keys = &strong[i];
        match (handle_of[i], keys.first()) {
            (Some(h), Some(&k)) if !ambiguous.contains(&h) => uf.union(h, k),
            _ => {}
        }
        let key = match (keys.first(), handle_of[i]) {
            (Some(&k), _) => k,
            (None, Some(h)) if !ambiguous.contains(&h) => h,
            _ => intern(
                KIND_RECORD,
                format!("{:016x}", e.event_id),
                &mut uf,
                &mut key_list,
                &mut key_records,
            ),
        };
        event_key.push(key);
    }

    // Components → persons, numbered by their smallest key (deterministic).
    // Only components holding an event are persons (an ambiguous display name alone is not).
    let n_keys = key_list.len();
    let event_roots: std::collections::HashSet<u32> = event_key.iter().map(|&k| uf.find(k)).collect();
    let mut root_min_key: HashMap<u32, u32> = HashMap::new();
    for k in 0..n_keys as u32 {
        let r = uf.find(k);
        if !event_roots.contains(&r) {
            continue;
        }
        let e = root_min_key.entry(r).or_insert(k);
        if key_list[k as usize] < key_list[*e as usize] {
            *e = k;
        }
    }
    let mut roots: Vec<(u32, u32)> = root_min_key.into_iter().collect();
    roots.sort_by(|a, b| key_list[a.1 as usize].cmp(&key_list[b.1 as usize]));
    let mut person_of_root: HashMap<u32, u32> = HashMap::new();
    let mut persons = Vec::with_capacity(roots.len());
    for (i, (root, min_key)) in roots.iter().enumerate() {
        person_of_root.insert(*root, i as u32);
        let (kind, k) = &key_list[*min_key as usize];
        persons.push(Person {
            id: format!("P{}", pseudo.token(KIND_NAMES[*kind as usize], k)),
            organizer: false,
            first_seen: i64::MAX,
            events: 0,
            keys: 0,
        });
    }
    let mut links = Vec::new();
    for k in 0..n_keys as u32 {
        let Some(&p) = person_of_root.get(&uf.find(k)) else { continue };
        persons[p as usize].keys += 1;
        let (kind, key) = &key_list[k as usize];
        if *kind != KIND_RECORD {
            *stats.keys_by_kind.entry(KIND_NAMES[*kind as usize].to_string()).or_default() += 1;
            links.push(Link {
                person: p,
                kind: KIND_NAMES[*kind as usize],
                key: pseudo.token(KIND_NAMES[*kind as usize], key),
                rule: RULES[*kind as usize],
                records: key_records[k as usize],
            });
        } else {
            stats.unlinked_records += 1;
        }
    }
    links.sort_by(|a, b| (a.person, a.kind, &a.key).cmp(&(b.person, b.kind, &b.key)));
    let mut person_of = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let p = person_of_root[&uf.find(event_key[i])];
        let person = &mut persons[p as usize];
        person.events += 1;
        person.first_seen = person.first_seen.min(e.ts);
        person.organizer |= e.organizer;
        person_of.push(p);
    }
    stats.persons = persons.len() as u64;
    stats.organizers = persons.iter().filter(|p| p.organizer).count() as u64;
    stats.linked_persons = persons.iter().filter(|p| p.keys > 1).count() as u64;
    Resolution {
        person_of,
        persons,
        links,
        stats,
        norm_email,
        norm_phone,
    }
}

const KIND_EMAIL: u8 = 0;
const KIND_PHONE: u8 = 1;
const KIND_EXT: u8 = 2;
const KIND_HANDLE: u8 = 3;
const KIND_RECORD: u8 = 4;
const KIND_NAMES: [&str; 5] = ["email", "phone", "external_id", "handle", "record"];
const RULES: [&str; 5] = [
    "same email",
    "same phone",
    "same tool id",
    "same display name in one chat",
    "single record",
];

#[cfg(test)]
mod tests {
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

    fn ev(id: u64, source: &str, email: Option<&str>, phone: Option<&str>, name: Option<&str>) -> Event {
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
            attrs: vec![],
            organizer: false,
            origin: format!("x:{id}"),
        }
    }

    fn same(r: &Resolution, a: usize, b: usize) -> bool {
        r.person_of[a] == r.person_of[b]
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
