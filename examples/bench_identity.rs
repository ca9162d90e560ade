//! Identity benchmark: resolution time and memory for N people (default 1,000,000).
//!
//! `cargo run --release --example bench_identity [-- PEOPLE]` builds, in memory, the records a
//! campaign of PEOPLE members produces across tools — an email-list row (email, name, worksite),
//! a texting row (phone), a sign-in row (name, phone, sometimes the email), a contact-list row
//! (phone, tool id, name, worksite), and for 60% of people a chat display name (name only, in
//! their store's group) — about 3 distinct identifiers and 4.6 records per person, with family
//! phones and shared names mixed in. It then times `identity::resolve_with` with probable name
//! links on and prints one JSON line: people, records, identifiers, persons found, seconds, peak
//! RSS. Generation is not timed.

use std::time::Instant;

use turnout::identity::{self, Inputs};
use turnout::schema::{Action, Channel, Event, Precision, Str, Tool};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const GIVEN: &[&str] = &[
    "Maria",
    "Jose",
    "Rosa",
    "Juan",
    "Carmen",
    "Luis",
    "Ana",
    "Miguel",
    "Piotr",
    "Tomasz",
    "Anna",
    "Jamal",
    "Keisha",
    "Omar",
    "Fatima",
    "Linh",
    "Duc",
    "Robert",
    "Katherine",
    "William",
    "Elizabeth",
    "Michael",
    "Jessica",
    "Priya",
    "Daniel",
    "Samantha",
];

fn family(k: u64) -> String {
    // A long tail of family names, as real rosters have.
    const STEMS: &[&str] = &[
        "Garcia", "Nowak", "Johnson", "Nguyen", "Haddad", "Smith", "Lopez", "Kowal", "Williams", "Tran", "Khalil", "Miller",
    ];
    const SUFFIXES: &[&str] = &["", "ski", "son", "ez", "er", "ova", "ini", "ley", "ton", "berg"];
    format!(
        "{}{}{}",
        STEMS[(k % 12) as usize],
        SUFFIXES[((k / 12) % 10) as usize],
        letters(k / 120)
    )
}

/// 0 → "", 1 → "a", 27 → "ab": a distinct alphabetic tail (names carry no digits).
fn letters(mut k: u64) -> String {
    let mut s = String::new();
    while k > 0 {
        s.push((b'a' + (k % 26) as u8) as char);
        k /= 26;
    }
    s
}

fn ev(n: &mut u64, source: &str, tool: Tool) -> Event {
    *n += 1;
    Event {
        event_id: *n,
        ts: 1_782_691_200_000_000 + (*n as i64 % 10_000_000) * 1_000_000,
        precision: Precision::Second,
        source: source.into(),
        tool,
        channel: Channel::Event,
        action: Action::Attended,
        email: None,
        phone: None,
        name: None,
        external_id: None,
        context: None,
        occasion: None,
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
        attrs: vec![None].into(),
        organizer: false,
        origin: turnout::schema::Origin::new("bench", *n),
    }
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() -> anyhow::Result<()> {
    let people: u64 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("x.csv"), "t,n\n")?;
    let mut toml = format!(
        "[pipeline]\nname = \"bench\"\ntimezone = \"America/Chicago\"\ndefault_region = \"US\"\nattributes = [\"worksite\"]\nroot = \"{}\"\n",
        dir.path().display()
    );
    for (name, handle) in [
        ("email", false),
        ("texts", false),
        ("sheets", false),
        ("contacts", false),
        ("groups", true),
    ] {
        toml.push_str(&format!(
            "[[source]]\nname = \"{name}\"\ntool = \"csv\"\npath = \"x.csv\"\ncolumns = {{ ts = \"t\", name = \"n\" }}\naction = \"attended\"\nname_is_handle = {handle}\n"
        ));
    }
    toml.push_str("[identity]\nnames = \"probable\"\nworksite_pattern = \"Store \\\\d+\"\n[[funnel]]\nname = \"f\"\nwindow = \"1d\"\nstages = [{ name = \"a\", when = { action = \"attended\" } }]\n");
    let path = dir.path().join("p.toml");
    std::fs::write(&path, toml)?;
    let plan = turnout::config::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?;

    let stores = (people / 2000).max(1);
    let mut rng = Rng(7);
    let mut n = 0u64;
    let mut events = Vec::with_capacity(people as usize * 5);
    let mut contacts = Vec::with_capacity(people as usize);
    let mut last_phone = String::new();
    for p in 0..people {
        let given = GIVEN[rng.below(GIVEN.len() as u64) as usize];
        let fam = family(rng.below(200_000));
        let name = format!("{given} {fam}");
        let store = rng.below(stores);
        let site = format!("Store {store}");
        let email = format!("{}.{}{}@example.org", given.to_lowercase(), fam.to_lowercase(), p);
        // 1% share a family phone with the previous person
        let phone = if p > 0 && rng.below(100) == 0 {
            last_phone.clone()
        } else {
            format!("+1312{:07}", 2_000_000 + p)
        };
        last_phone = phone.clone();
        let mut e = ev(&mut n, "email", Tool::Csv);
        e.email = Some(Str::new(&email));
        e.name = Some(Str::new(&name));
        e.attrs = vec![Some(Str::new(&format!("{site} - Main St")))].into();
        events.push(e);
        let mut e = ev(&mut n, "texts", Tool::Csv);
        e.phone = Some(Str::new(&phone));
        events.push(e);
        let mut e = ev(&mut n, "sheets", Tool::Csv);
        e.phone = Some(Str::new(&phone));
        e.name = Some(Str::new(&name));
        e.context = Some(Str::new(&format!("{site} workers meeting")));
        if rng.below(3) == 0 {
            e.email = Some(Str::new(&email));
        }
        events.push(e);
        if rng.below(10) < 6 {
            let mut e = ev(&mut n, "groups", Tool::Csv);
            e.name = Some(Str::new(if rng.below(2) == 0 { &name } else { given }));
            e.context = Some(Str::new(&format!("{site} workers")));
            events.push(e);
        }
        let mut c = ev(&mut n, "contacts", Tool::Spoke);
        c.phone = Some(Str::new(&phone));
        c.external_id = Some(Str::new(&format!("{}", 2_480_000 + p)));
        c.name = Some(Str::new(&name));
        c.attrs = vec![Some(Str::new(&site))].into();
        contacts.push(c);
    }
    let key = turnout::privacy::Pseudonymizer::new(b"bench-key-0123456789");
    let rss_before = peak_rss_mb();
    let t = Instant::now();
    let res = identity::resolve_with(
        &plan,
        &Inputs {
            events: &events,
            identities: &contacts,
            ..Default::default()
        },
        &key,
    );
    let secs = t.elapsed().as_secs_f64();
    let identifiers: u64 = res.stats.keys_by_kind.iter().filter(|(k, _)| *k != "handle").map(|(_, v)| *v).sum();
    println!(
        "{{\"people\": {people}, \"records\": {}, \"identifiers\": {identifiers}, \"handles\": {}, \"persons\": {}, \"probable_links\": {}, \"flagged_keys\": {}, \"seconds\": {secs:.2}, \"peak_rss_mb_before\": {rss_before:.0}, \"peak_rss_mb\": {:.0}, \"steps_ms_cumulative\": {:?}}}",
        events.len() + contacts.len(),
        res.stats.keys_by_kind.get("handle").copied().unwrap_or(0),
        res.stats.persons,
        res.stats.probable_links,
        res.stats.flagged_keys_by_kind.values().sum::<u64>(),
        peak_rss_mb(),
        res.timings
    );
    Ok(())
}
