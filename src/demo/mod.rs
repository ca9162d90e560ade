//! The demo campaign: a deterministic, synthetic union drive to run turnout on out of the box.
//!
//! "Northside retail organizing": workers at six Chicago stores (timezone America/Chicago) are
//! reached through store WhatsApp groups, peer-to-peer texting
//! (Spoke) and an email list (Mailchimp), RSVP to fortnightly store meetings (Mobilize) and sign
//! in on paper at the door; engaged members of every store also join a fortnightly all-stores
//! Zoom check-in (Wednesdays 19:00 local, RSVPs in Mobilize too). The campaign runs `weeks` weeks from Monday 2026-06-29 (local); the
//! exports are "taken" at local midnight at the end of the last week (the cut-off), so nothing
//! in them happens later than that, except the start times of meetings people have already RSVP'd
//! to.
//!
//! The ladder, per member: reached (55% enter through their store's group, 30% by text, 15% by
//! email sign-up; many later cross into a second channel) → spoke up (about 45% of group members
//! post, about 35% of texted people reply) → RSVP'd (about 25% of those who spoke up, 8% of the
//! rest; about 10% cancel) → attended (about 60% of RSVPs, plus walk-ins without RSVP) → came
//! back to another meeting within 30 days (about 45% of attenders whose 30 days are observed).
//! Delays are skewed (often the same day, sometimes weeks). Each store meets every other Tuesday
//! or Thursday at 18:30 local; meetings up to two weeks past the cut-off exist only as RSVPs.
//! About 15% of engaged members are regulars of the Zoom check-in (see [`zoom`]), 30–60 a call
//! late in the campaign.
//!
//! [`generate`] writes, under `out`:
//!
//! | file | what it stands for |
//! |---|---|
//! | `groups/WhatsApp Chat with <group>.txt` | a store group's Android WhatsApp export (stores 12, 31, 58, 77; see [`whatsapp`]) |
//! | `groups/WhatsApp Chat - <group>.zip` | a store group's iOS WhatsApp export, `_chat.txt` inside (stores 44, 63) |
//! | `spoke/messages.csv` | Spoke messages export (CRLF, UTC timestamps with milliseconds) |
//! | `mailchimp/subscribed_members_export.csv` | Mailchimp audience export (subscribed members) |
//! | `mobilize/participations.csv` | Mobilize participations (RSVPs, cancellations, attendance marks) |
//! | `signin/<YYYY-MM-DD>-<store-slug>.csv` | typed-up paper sign-in sheets, one per past meeting |
//! | `zoom/participants_815274396_<YYYY-MM-DD>.csv` | Zoom participant report (with the meeting summary) of each past check-in |
//! | `ground_truth.csv` | `file,line,person_id,role` for every data record above |
//!
//! Promises:
//! - **Deterministic.** Same [`DemoOptions`] → byte-identical files. Randomness comes from a
//!   small in-module xoshiro256** generator, split into independent named streams (one per
//!   person and per file), and nothing is ever iterated in hash order.
//! - **Synthetic.** Names are drawn from built-in lists, phones are made up (but valid North
//!   American numbers in 312/773/872, never 555), email domains are common providers. Any
//!   resemblance to a real person is accidental.
//! - **Realistically messy.** Nicknames (Robert/Bob, Guadalupe/Lupe), WhatsApp authors as a
//!   steward's phone shows them (saved names, `~ ` push names with emoji, or — for about 40% of
//!   members — only the phone number: a saved contact's phone is not in the chat), Android and
//!   iOS exports with their invisible characters, system notices and multi-line messages,
//!   phones in many formats or missing, emails in
//!   other case or with spaces, second emails, typos on sign-in sheets, family members sharing
//!   a phone, organizers signing others in, duplicate sign-ins, RSVPs cancelled, walk-ins
//!   without RSVP, Zoom rejoins and guests without email, a UTF-8 BOM sheet, a Windows-1252
//!   sheet, a `;` sheet and a sheet with trailing empty columns and rows.
//! - **Ground truth.** `ground_truth.csv` names the true person (`p00001`…) and role (`member`
//!   or `organizer`) behind every data record, by file (relative to `out`, `/`-separated; a zip
//!   member as `groups/X.zip!_chat.txt`, the way ingest names it) and 1-based physical line
//!   where the record starts (the header is line 1). Trailing empty rows, a Zoom report's
//!   preamble and WhatsApp notices about no one (encryption, `added you`, icon, description)
//!   have no entry; a notice naming several people (`added A, B and C`) has one per person, on
//!   the same line; a Zoom rejoin row has its own. Person ids are numbered by first appearance
//!   (entry time).
//! - **Organizers are fixed** whatever the seed, so a pipeline can declare them: store group
//!   admins appear in the groups as `<Given> (organizer)` (phones `+1 312 600 0101` …
//!   `0106`, Store 12 … Store 77, in [`STORES`] order, not shown by WhatsApp); the four texters
//!   send from `+1 872 600 0201` … `0204` (Spoke `user_number`) and also post in one store group
//!   each, shown by that number. In Zoom, hosts and co-hosts appear by full name (`Dana
//!   Whitfield`) with an `@northsideworkers.org` email.
//! - Default options write well under 6 MB.

mod whatsapp;
mod zoom;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// How big a demo to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// People in the campaign, organizers included (there are always [`ORGANIZERS`] of them).
    pub people: usize,
    /// Length of the campaign in weeks (Monday to Sunday, America/Chicago).
    pub weeks: u32,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
    /// Everyday group chatter on top of the campaign's story: each member who has spoken up in
    /// a store group goes on posting about this many messages a week on average (some far more,
    /// most less: a heavy tail), from their first post until they leave or the cut-off. 0 (the
    /// default) is the story alone. A year of a large union (`--weeks 52 --chatter 2`) is about
    /// 30 events a person, most of them group messages, as in real campaigns (README,
    /// Performance).
    pub chatter: u32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            people: 3000,
            weeks: 16,
            seed: 7,
            chatter: 0,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// People generated, organizers included.
    pub people: usize,
    /// Every file written (data files, then `ground_truth.csv`), as `out.join(relative path)`.
    pub files: Vec<PathBuf>,
    /// Data records written (= rows of `ground_truth.csv`).
    pub records: usize,
}

/// Organizers in every demo: one admin per store group plus four texters.
pub const ORGANIZERS: usize = 10;

/// The campaign's first day (a Monday, local time).
const START: (i32, u32, u32) = (2026, 6, 29);
const TZ: Tz = chrono_tz::America::Chicago;
type Ts = DateTime<Utc>;

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers
// ---------------------------------------------------------------------------------------------

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** seeded through splitmix64. Not cryptographic; only for reproducible demo data.
#[derive(Clone, Debug)]
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Self {
        let mut st = seed;
        let s = [splitmix64(&mut st), splitmix64(&mut st), splitmix64(&mut st), splitmix64(&mut st)];
        Rng { s }
    }

    /// An independent stream for (seed, label, n): changing how one stream is used never shifts
    /// another.
    fn stream(seed: u64, label: &str, n: u64) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut st = seed ^ h;
        let a = splitmix64(&mut st);
        let mut st2 = a ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(splitmix64(&mut st2))
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); n > 0.
    fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [lo, hi); hi > lo.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    fn bern(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn weighted(&mut self, w: &[f64]) -> usize {
        let total: f64 = w.iter().sum();
        let mut x = self.f64() * total;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len() - 1
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The world: stores, names, organizers
// ---------------------------------------------------------------------------------------------

/// A worksite.
pub struct Store {
    pub number: &'static str,
    pub street: &'static str,
    zips: [&'static str; 3],
    venue: &'static str,
    meeting_day: Weekday,
    /// 0: meets in odd campaign weeks (1, 3, …), 1: in even weeks (2, 4, …).
    phase: i64,
}

impl Store {
    /// "Store 12 - Halsted"
    pub fn name(&self) -> String {
        format!("Store {} - {}", self.number, self.street)
    }
    /// "store-12-halsted"
    pub fn slug(&self) -> String {
        format!("store-{}-{}", self.number, self.street.to_lowercase())
    }
    /// "Store 12 Halsted workers"
    pub fn group_name(&self) -> String {
        format!("Store {} {} workers", self.number, self.street)
    }
    /// "Store 12 workers meeting"
    pub fn meeting_title(&self) -> String {
        format!("Store {} workers meeting", self.number)
    }
    /// The store's recurring Mobilize event.
    pub fn event_id(&self) -> u64 {
        605_100 + self.number.parse::<u64>().unwrap_or(0)
    }
}

/// The six stores, in the order their admins' phones are numbered.
pub const STORES: [Store; 6] = [
    Store {
        number: "12",
        street: "Halsted",
        zips: ["60608", "60607", "60616"],
        venue: "the parish hall, 18th & Halsted",
        meeting_day: Weekday::Tue,
        phase: 0,
    },
    Store {
        number: "31",
        street: "Pulaski",
        zips: ["60623", "60632", "60629"],
        venue: "the library community room, 26th & Pulaski",
        meeting_day: Weekday::Thu,
        phase: 0,
    },
    Store {
        number: "44",
        street: "Cicero",
        zips: ["60638", "60644", "60651"],
        venue: "the VFW hall on Cicero Ave",
        meeting_day: Weekday::Tue,
        phase: 1,
    },
    Store {
        number: "58",
        street: "Western",
        zips: ["60609", "60618", "60625"],
        venue: "the church basement, 47th & Western",
        meeting_day: Weekday::Thu,
        phase: 1,
    },
    Store {
        number: "63",
        street: "Ashland",
        zips: ["60622", "60614", "60609"],
        venue: "the union hall on Ashland & Chicago",
        meeting_day: Weekday::Tue,
        phase: 1,
    },
    Store {
        number: "77",
        street: "Kedzie",
        zips: ["60647", "60632", "60612"],
        venue: "the park fieldhouse on Kedzie",
        meeting_day: Weekday::Thu,
        phase: 0,
    },
];

/// Store group admins (given, family), one per store in [`STORES`] order; phone
/// `+1 312 600 01NN` with NN = 01..06.
const ADMINS: [(&str, &str); 6] = [
    ("Dana", "Whitfield"),
    ("Marcus", "Bell"),
    ("Luz", "Ortega"),
    ("Ewa", "Kaczmarek"),
    ("Aisha", "Rahman"),
    ("Hoa", "Vo"),
];

/// Texters (given, family); phone `+1 872 600 02NN`, NN = 01..04; texter k posts in store k's group.
const TEXTERS: [(&str, &str); 4] = [("Jordan", "Ellison"), ("Renee", "Castillo"), ("Kevin", "Doyle"), ("Sam", "Adeyemi")];

fn admin_phone(store: usize) -> String {
    format!("31260001{:02}", store + 1)
}
fn texter_phone(k: usize) -> String {
    format!("87260002{:02}", k + 1)
}

// Cultures: 0 Spanish-speaking, 1 Polish, 2 Black American, 3 Arabic, 4 Vietnamese, 5 other.
const CULTURE_WEIGHTS: [f64; 6] = [0.35, 0.12, 0.20, 0.08, 0.07, 0.18];

/// (given name, nickname, culture). 80 names.
const GIVEN: &[(&str, Option<&str>, usize)] = &[
    ("María", Some("Mari"), 0),
    ("José", Some("Pepe"), 0),
    ("Guadalupe", Some("Lupe"), 0),
    ("Juan", None, 0),
    ("Carmen", None, 0),
    ("Luis", None, 0),
    ("Alejandra", Some("Ale"), 0),
    ("Jesús", Some("Chuy"), 0),
    ("Rosa", None, 0),
    ("Francisco", Some("Paco"), 0),
    ("Ana", None, 0),
    ("Miguel", None, 0),
    ("Yesenia", None, 0),
    ("Ricardo", Some("Rick"), 0),
    ("Gabriela", Some("Gaby"), 0),
    ("Javier", None, 0),
    ("Verónica", Some("Vero"), 0),
    ("Ramón", None, 0),
    ("Lucía", None, 0),
    ("Eduardo", Some("Lalo"), 0),
    ("Małgorzata", Some("Gosia"), 1),
    ("Katarzyna", Some("Kasia"), 1),
    ("Piotr", None, 1),
    ("Tomasz", Some("Tomek"), 1),
    ("Agnieszka", Some("Aga"), 1),
    ("Wojciech", Some("Wojtek"), 1),
    ("Krzysztof", Some("Krzyś"), 1),
    ("Magdalena", Some("Magda"), 1),
    ("Paweł", None, 1),
    ("Zofia", Some("Zosia"), 1),
    ("DeShawn", None, 2),
    ("Keisha", None, 2),
    ("Tyrone", Some("Ty"), 2),
    ("Latoya", None, 2),
    ("Jamal", None, 2),
    ("Imani", None, 2),
    ("Darnell", None, 2),
    ("Shanice", None, 2),
    ("Marquis", None, 2),
    ("Aaliyah", None, 2),
    ("Terrell", None, 2),
    ("Ebony", None, 2),
    ("Fatima", None, 3),
    ("Omar", None, 3),
    ("Youssef", None, 3),
    ("Layla", None, 3),
    ("Khalid", None, 3),
    ("Amira", None, 3),
    ("Hassan", None, 3),
    ("Mariam", None, 3),
    ("Mohammed", Some("Mo"), 3),
    ("Abdullah", Some("Abdul"), 3),
    ("Thanh", None, 4),
    ("Linh", None, 4),
    ("Huong", None, 4),
    ("Duc", None, 4),
    ("Minh", None, 4),
    ("Anh", None, 4),
    ("Tuan", None, 4),
    ("Mai", None, 4),
    ("Robert", Some("Bob"), 5),
    ("Katherine", Some("Kate"), 5),
    ("William", Some("Will"), 5),
    ("Elizabeth", Some("Liz"), 5),
    ("Michael", Some("Mike"), 5),
    ("Jessica", Some("Jess"), 5),
    ("Christopher", Some("Chris"), 5),
    ("Anthony", Some("Tony"), 5),
    ("Ashley", None, 5),
    ("Brian", None, 5),
    ("Nicole", Some("Nikki"), 5),
    ("Daniel", Some("Dan"), 5),
    ("Samantha", Some("Sam"), 5),
    ("Joseph", Some("Joe"), 5),
    ("Patricia", Some("Patty"), 5),
    ("James", Some("Jim"), 5),
    ("Rebecca", Some("Becky"), 5),
    ("Priya", None, 5),
    ("Deepak", None, 5),
    ("Grace", None, 5),
];

/// (family name, culture). 80 names.
const FAMILY: &[(&str, usize)] = &[
    ("Martínez", 0),
    ("García", 0),
    ("Hernández", 0),
    ("López", 0),
    ("González", 0),
    ("Rodríguez", 0),
    ("Pérez", 0),
    ("Sánchez", 0),
    ("Ramírez", 0),
    ("Torres", 0),
    ("Flores", 0),
    ("Rivera", 0),
    ("Gómez", 0),
    ("Díaz", 0),
    ("Reyes", 0),
    ("Morales", 0),
    ("Cruz", 0),
    ("Ortiz", 0),
    ("Gutiérrez", 0),
    ("Chávez", 0),
    ("Peña", 0),
    ("Muñoz", 0),
    ("Nowak", 1),
    ("Kowalski", 1),
    ("Wiśniewski", 1),
    ("Wójcik", 1),
    ("Kowalczyk", 1),
    ("Kamiński", 1),
    ("Lewandowski", 1),
    ("Zieliński", 1),
    ("Szymański", 1),
    ("Woźniak", 1),
    ("Mazur", 1),
    ("Krawczyk", 1),
    ("Johnson", 2),
    ("Williams", 2),
    ("Brown", 2),
    ("Jones", 2),
    ("Davis", 2),
    ("Jackson", 2),
    ("Washington", 2),
    ("Robinson", 2),
    ("Harris", 2),
    ("Thomas", 2),
    ("Coleman", 2),
    ("Franklin", 2),
    ("Banks", 2),
    ("Jefferson", 2),
    ("Haddad", 3),
    ("Khalil", 3),
    ("Nasser", 3),
    ("Hussein", 3),
    ("Saleh", 3),
    ("Mansour", 3),
    ("Farah", 3),
    ("Abboud", 3),
    ("Hamdan", 3),
    ("Odeh", 3),
    ("Nguyen", 4),
    ("Tran", 4),
    ("Le", 4),
    ("Pham", 4),
    ("Hoang", 4),
    ("Vu", 4),
    ("Dang", 4),
    ("Bui", 4),
    ("Smith", 5),
    ("Miller", 5),
    ("Wilson", 5),
    ("Anderson", 5),
    ("O'Connor", 5),
    ("Murphy", 5),
    ("Sullivan", 5),
    ("Kim", 5),
    ("Patel", 5),
    ("Shah", 5),
    ("Okafor", 5),
    ("Mensah", 5),
    ("Cohen", 5),
    ("Young", 5),
    ("Jiménez", 0),
    ("Vargas", 0),
    ("Castillo", 0),
    ("Romero", 0),
    ("Mendoza", 0),
    ("Ruiz", 0),
    ("Aguilar", 0),
    ("Herrera", 0),
    ("Medina", 0),
    ("Castro", 0),
    ("Vásquez", 0),
    ("Ramos", 0),
    ("Delgado", 0),
    ("Navarro", 0),
    ("Salazar", 0),
    ("Fuentes", 0),
    ("Cortés", 0),
    ("Guerrero", 0),
    ("Estrada", 0),
    ("Ortega", 0),
    ("Rojas", 0),
    ("Soto", 0),
    ("Contreras", 0),
    ("Luna", 0),
    ("Campos", 0),
    ("Valdez", 0),
    ("Cabrera", 0),
    ("Ríos", 0),
    ("Espinoza", 0),
    ("Sandoval", 0),
    ("Ibarra", 0),
    ("Acosta", 0),
    ("Molina", 0),
    ("Carrillo", 0),
    ("Domínguez", 0),
    ("Maldonado", 0),
    ("Zamora", 0),
    ("Trujillo", 0),
    ("Orozco", 0),
    ("Villarreal", 0),
    ("Wróbel", 1),
    ("Jankowski", 1),
    ("Dąbrowski", 1),
    ("Pawlak", 1),
    ("Michalski", 1),
    ("Król", 1),
    ("Wieczorek", 1),
    ("Jabłoński", 1),
    ("Majewski", 1),
    ("Olszewski", 1),
    ("Stępień", 1),
    ("Malinowski", 1),
    ("Adamczyk", 1),
    ("Dudek", 1),
    ("Nowicki", 1),
    ("Pawłowski", 1),
    ("Górski", 1),
    ("Sikora", 1),
    ("Walczak", 1),
    ("Baran", 1),
    ("Rutkowski", 1),
    ("Michalak", 1),
    ("Szewczyk", 1),
    ("Ostrowski", 1),
    ("Thompson", 2),
    ("Walker", 2),
    ("White", 2),
    ("Taylor", 2),
    ("Moore", 2),
    ("Allen", 2),
    ("Carter", 2),
    ("Mitchell", 2),
    ("Turner", 2),
    ("Wright", 2),
    ("Green", 2),
    ("Hill", 2),
    ("Scott", 2),
    ("Bell", 2),
    ("Howard", 2),
    ("Ward", 2),
    ("Simmons", 2),
    ("Gaines", 2),
    ("Fields", 2),
    ("Hayes", 2),
    ("Bryant", 2),
    ("Sims", 2),
    ("Tucker", 2),
    ("Freeman", 2),
    ("Hunter", 2),
    ("Hawkins", 2),
    ("Grant", 2),
    ("Dixon", 2),
    ("Reed", 2),
    ("Barnes", 2),
    ("Aziz", 3),
    ("Darwish", 3),
    ("Ibrahim", 3),
    ("Mustafa", 3),
    ("Qasim", 3),
    ("Rahman", 3),
    ("Salem", 3),
    ("Yousef", 3),
    ("Zaid", 3),
    ("Bakr", 3),
    ("Habib", 3),
    ("Karim", 3),
    ("Najjar", 3),
    ("Shami", 3),
    ("Taha", 3),
    ("Awad", 3),
    ("Do", 4),
    ("Ngo", 4),
    ("Duong", 4),
    ("Ly", 4),
    ("Truong", 4),
    ("Phan", 4),
    ("Vo", 4),
    ("Dinh", 4),
    ("Clark", 5),
    ("Lewis", 5),
    ("Hall", 5),
    ("Baker", 5),
    ("Nelson", 5),
    ("King", 5),
    ("Wright", 5),
    ("Lopez-Hill", 5),
    ("Evans", 5),
    ("Collins", 5),
    ("Stewart", 5),
    ("Morris", 5),
    ("Rogers", 5),
    ("Cook", 5),
    ("Bailey", 5),
    ("Cooper", 5),
    ("Peterson", 5),
    ("Gray", 5),
    ("James", 5),
    ("Watson", 5),
    ("Brooks", 5),
    ("Kelly", 5),
    ("Price", 5),
    ("Sanders", 5),
    ("Ross", 5),
    ("Foster", 5),
    ("Powell", 5),
    ("Long", 5),
    ("Fisher", 5),
    ("Henderson", 5),
    ("Singh", 5),
    ("Chen", 5),
    ("Wang", 5),
    ("Li", 5),
    ("Ahmed", 5),
    ("Ali", 5),
    ("Costa", 5),
    ("Silva", 5),
    ("Rossi", 5),
    ("Novak", 5),
];

// Hour-of-day weights (local time).
const CHAT_HOURS: [f64; 24] = [
    0.3, 0.15, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.7, 0.8, 0.9, 1.0, 1.6, 1.4, 1.0, 1.2, 1.4, 1.5, 1.6, 1.8, 2.0, 2.0, 1.6, 0.9,
];
const TEXTING_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.5, 1.8, 1.8, 1.5, 1.0, 0.0, 0.0, 0.0,
];
const ADMIN_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.8, 1.0, 1.0, 1.0, 1.2, 1.0, 0.8, 0.8, 1.0, 1.2, 1.4, 1.4, 1.2, 0.8, 0.2, 0.0,
];

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

fn local_ts(date: NaiveDate, h: u32, m: u32, s: u32) -> Ts {
    let naive = date.and_hms_opt(h, m, s).expect("valid wall time");
    match TZ.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // In a spring-forward gap: the wall clock jumps, so does the moment.
        None => TZ
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .expect("wall time after a DST gap exists")
            .with_timezone(&Utc),
    }
}

fn local_date(t: Ts) -> NaiveDate {
    t.with_timezone(&TZ).date_naive()
}

/// A random moment on local `date`, hour drawn from `profile`.
fn at(rng: &mut Rng, date: NaiveDate, profile: &[f64; 24]) -> Ts {
    let h = rng.weighted(profile) as u32;
    let m = rng.below(60) as u32;
    let s = rng.below(60) as u32;
    local_ts(date, h, m, s)
}

/// `days` local days after `base` at a profile hour, or (days == 0) a little later the same day.
fn after(rng: &mut Rng, base: Ts, days: i64, profile: &[f64; 24]) -> Ts {
    if days <= 0 {
        let mins = rng.exponential(90.0).min(600.0);
        base + Duration::seconds(60 + (mins * 60.0) as i64)
    } else {
        let t = at(rng, local_date(base) + Duration::days(days), profile);
        t.max(base + Duration::minutes(1))
    }
}

/// A skewed delay in whole days: 0 (same day) with probability `p_same`, else lognormal.
fn delay_days(rng: &mut Rng, p_same: f64, median: f64, sigma: f64) -> i64 {
    if rng.bern(p_same) {
        0
    } else {
        (rng.lognormal(median, sigma).round() as i64).clamp(1, 120)
    }
}

fn minutes_later(t: Ts, minutes: f64) -> Ts {
    t + Duration::seconds((minutes * 60.0).max(30.0) as i64)
}

fn between(rng: &mut Rng, a: Ts, b: Ts) -> Ts {
    let span = (b - a).num_seconds();
    if span <= 1 {
        a
    } else {
        a + Duration::seconds(rng.range(1, span))
    }
}

fn fmt_spoke(t: Ts) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
fn fmt_mailchimp(t: Ts) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}
fn fmt_offset(t: Ts) -> String {
    t.with_timezone(&TZ).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}
fn fmt_us_date(d: NaiveDate) -> String {
    format!("{}/{}/{}", d.month(), d.day(), d.year())
}
/// "Tue 7/14"
fn fmt_when(d: NaiveDate) -> String {
    format!("{} {}/{}", d.format("%a"), d.month(), d.day())
}

// ---------------------------------------------------------------------------------------------
// The campaign and its people
// ---------------------------------------------------------------------------------------------

struct Meeting {
    store: usize,
    date: NaiveDate,
    start: Ts,
    timeslot_id: u64,
    /// Organizers marked attendance in Mobilize for this meeting.
    marked: bool,
}

/// One fortnightly all-stores Zoom check-in (Wednesdays 19:00 local), see [`zoom`].
struct ZoomCall {
    date: NaiveDate,
    start: Ts,
    /// Its Mobilize timeslot.
    timeslot_id: u64,
    /// Organizers marked attendance in Mobilize for this call.
    marked: bool,
    /// The store admin (index into [`ADMINS`]) who hosts it.
    host: usize,
}

struct Campaign {
    seed: u64,
    start_date: NaiveDate,
    start: Ts,
    cutoff: Ts,
    days: i64,
    meetings: Vec<Meeting>,
    by_store: Vec<Vec<usize>>,
    zoom_calls: Vec<ZoomCall>,
}

impl Campaign {
    fn new(opts: &DemoOptions) -> Self {
        let start_date = NaiveDate::from_ymd_opt(START.0, START.1, START.2).expect("start date");
        let days = i64::from(opts.weeks) * 7;
        let cutoff_date = start_date + Duration::days(days);
        let horizon = cutoff_date + Duration::days(14);
        let mut rng = Rng::stream(opts.seed, "meetings", 0);
        let mut meetings = Vec::new();
        for (s, store) in STORES.iter().enumerate() {
            let offset = i64::from(store.meeting_day.num_days_from_monday());
            let mut week = 1 + store.phase;
            loop {
                let date = start_date + Duration::days(week * 7 + offset);
                if date >= horizon {
                    break;
                }
                meetings.push(Meeting {
                    store: s,
                    date,
                    start: local_ts(date, 18, 30, 0),
                    timeslot_id: 0,
                    marked: rng.bern(0.8),
                });
                week += 2;
            }
        }
        meetings.sort_by_key(|m| (m.start, m.store));
        let mut by_store = vec![Vec::new(); STORES.len()];
        for (i, m) in meetings.iter_mut().enumerate() {
            m.timeslot_id = 8_100_001 + i as u64;
            by_store[m.store].push(i);
        }
        // The all-stores Zoom check-in: Wednesday of week 2, then every other Wednesday.
        let mut rng = Rng::stream(opts.seed, "zoom-calls", 0);
        let mut zoom_calls = Vec::new();
        let mut date = start_date + Duration::days(9);
        while date < horizon {
            let i = zoom_calls.len();
            zoom_calls.push(ZoomCall {
                date,
                start: local_ts(date, 19, 0, 0),
                timeslot_id: 8_200_001 + i as u64,
                marked: rng.bern(0.6),
                host: i % ADMINS.len(),
            });
            date += Duration::days(14);
        }
        Campaign {
            seed: opts.seed,
            start_date,
            start: local_ts(start_date, 0, 0, 0),
            cutoff: local_ts(cutoff_date, 0, 0, 0),
            days,
            meetings,
            by_store,
            zoom_calls,
        }
    }

    /// When store `s`'s admin created its WhatsApp group (the admin's first appearance).
    fn group_created(&self, s: usize) -> Ts {
        local_ts(self.start_date, 9, s as u32 * 3, 0)
    }

    /// Position in `by_store[store]` of the first meeting starting after `t`.
    fn next_pos(&self, store: usize, t: Ts) -> Option<usize> {
        self.by_store[store].iter().position(|&m| self.meetings[m].start > t)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Member,
    Organizer,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Org {
    Admin(usize),
    Texter(usize),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Channel {
    Group,
    Text,
    Email,
}

struct GroupLife {
    store: usize,
    joined: Ts,
    /// Added by the admin rather than joined by invite link.
    added: bool,
    /// Whether the joined/added row is in the export (admins created the group: no row).
    join_row: bool,
    messages: Vec<Ts>,
    left: Option<Ts>,
}

struct SmsLife {
    campaign: u32,
    texter: usize,
    sent: Ts,
    error: bool,
    undelivered_receipt: bool,
    bump: Option<Ts>,
    reply1: Option<Ts>,
    stop: bool,
    follow1: Option<Ts>,
    reply2: Option<Ts>,
}

struct Sub {
    at: Ts,
    email: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Registered,
    Confirmed,
    Cancelled,
}

struct Rsvp {
    meeting: usize,
    created: Ts,
    modified: Ts,
    status: Status,
    attended: bool,
    utm: &'static str,
}

struct Person {
    given: &'static str,
    nick: Option<&'static str>,
    uses_nick: bool,
    family: &'static str,
    culture: usize,
    store: usize,
    /// Ten digits, no country code.
    phone: String,
    email: Option<String>,
    email2: Option<String>,
    zip: &'static str,
    org: Option<Org>,
    relative: bool,
    entry: Channel,
    entry_at: Ts,
    group: Option<GroupLife>,
    sms: Option<SmsLife>,
    subs: Vec<Sub>,
    rsvps: Vec<Rsvp>,
    attended: Vec<usize>,
    /// RSVPs to the Zoom check-in (`Rsvp::meeting` indexes [`Campaign::zoom_calls`]).
    zoom_rsvps: Vec<Rsvp>,
    /// Zoom check-ins attended (indices into [`Campaign::zoom_calls`]).
    zoom_attended: Vec<usize>,
}

impl Person {
    fn role(&self) -> Role {
        if self.org.is_some() {
            Role::Organizer
        } else {
            Role::Member
        }
    }
    /// The first name the person goes by.
    fn first(&self) -> &'static str {
        if self.uses_nick {
            self.nick.unwrap_or(self.given)
        } else {
            self.given
        }
    }
    fn bare(given: &'static str, family: &'static str, store: usize, phone: String, at: Ts) -> Self {
        Person {
            given,
            nick: None,
            uses_nick: false,
            family,
            culture: 5,
            store,
            phone,
            email: None,
            email2: None,
            zip: STORES[store].zips[0],
            org: None,
            relative: false,
            entry: Channel::Group,
            entry_at: at,
            group: None,
            sms: None,
            subs: Vec::new(),
            rsvps: Vec::new(),
            attended: Vec::new(),
            zoom_rsvps: Vec::new(),
            zoom_attended: Vec::new(),
        }
    }
}

fn new_phone(rng: &mut Rng, used: &mut BTreeSet<String>) -> String {
    loop {
        let area = ["312", "773", "872"][rng.weighted(&[0.4, 0.45, 0.15])];
        let exchange = rng.range(200, 1000);
        if exchange % 100 == 11 || matches!(exchange, 555 | 950 | 958 | 959 | 976 | 600) {
            continue;
        }
        let phone = format!("{area}{exchange}{:04}", rng.below(10_000));
        if used.insert(phone.clone()) {
            return phone;
        }
    }
}

fn email_part(s: &str) -> String {
    fold(s).to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

fn new_email(rng: &mut Rng, given: &str, family: &str, used: &mut BTreeSet<String>) -> String {
    let g = email_part(given);
    let f = email_part(family);
    let gi = &g[..1];
    let nn = rng.range(1, 100);
    let yy = rng.range(70, 106) % 100;
    let base = match rng.weighted(&[0.25, 0.14, 0.12, 0.08, 0.1, 0.12, 0.05, 0.14]) {
        0 => format!("{g}.{f}@gmail.com"),
        1 => format!("{gi}{f}{nn}@yahoo.com"),
        2 => format!("{g}{f}@hotmail.com"),
        3 => format!("{g}_{}@outlook.com", &f[..1]),
        4 => format!("{g}.{f}{nn}@icloud.com"),
        5 => format!("{g}{yy:02}@gmail.com"),
        6 => format!("{f}.{g}@aol.com"),
        _ => format!("{g}{}{nn}@gmail.com", &f[..f.len().min(3)]),
    };
    if used.insert(base.clone()) {
        return base;
    }
    let (local, domain) = base.split_once('@').expect("an @");
    loop {
        let candidate = format!("{local}{}@{domain}", rng.range(2, 1000));
        if used.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// The employer's domain, for the few people whose second address is a work one.
const WORK_DOMAIN: &str = "lakeshoremkt.com";

fn second_email(rng: &mut Rng, given: &str, family: &str, used: &mut BTreeSet<String>) -> String {
    if rng.bern(0.4) {
        let base = format!("{}.{}@{WORK_DOMAIN}", email_part(given), email_part(family));
        if used.insert(base.clone()) {
            return base;
        }
    }
    new_email(rng, given, family, used)
}

/// Builds every person and simulates their path through the campaign.
fn build_people(opts: &DemoOptions, camp: &Campaign) -> Vec<Person> {
    let mut rng = Rng::stream(opts.seed, "people", 0);
    let mut used_phones = BTreeSet::new();
    let mut used_emails = BTreeSet::new();
    let mut people: Vec<Person> = Vec::new();

    for (s, &(given, family)) in ADMINS.iter().enumerate() {
        let phone = admin_phone(s);
        used_phones.insert(phone.clone());
        let t = camp.group_created(s);
        let mut p = Person::bare(given, family, s, phone, t);
        p.org = Some(Org::Admin(s));
        p.group = Some(GroupLife {
            store: s,
            joined: t,
            added: false,
            join_row: false,
            messages: Vec::new(),
            left: None,
        });
        people.push(p);
    }
    for (k, &(given, family)) in TEXTERS.iter().enumerate() {
        let phone = texter_phone(k);
        used_phones.insert(phone.clone());
        let t = at(&mut rng, camp.start_date + Duration::days(1 + k as i64 % 3), &ADMIN_HOURS);
        let mut p = Person::bare(given, family, k % STORES.len(), phone, t);
        p.org = Some(Org::Texter(k));
        let mut msgs = Vec::new();
        let d = delay_days(&mut rng, 0.5, 2.0, 0.5);
        let mut m = after(&mut rng, t, d, &ADMIN_HOURS);
        while m < camp.cutoff && msgs.len() < 4 {
            msgs.push(m);
            let d = delay_days(&mut rng, 0.0, 18.0, 0.5);
            m = after(&mut rng, m, d, &ADMIN_HOURS);
        }
        p.group = Some(GroupLife {
            store: p.store,
            joined: t,
            added: false,
            join_row: true,
            messages: msgs,
            left: None,
        });
        people.push(p);
    }

    let members = opts.people.saturating_sub(people.len());
    let first_member = people.len();
    for _ in 0..members {
        // Entry day: the campaign grows, the last week sees about twice the first's newcomers.
        let day = loop {
            let d = rng.range(0, camp.days);
            if rng.bern(0.5 + 0.5 * d as f64 / camp.days as f64) {
                break d;
            }
        };
        let date = camp.start_date + Duration::days(day);
        let mut culture = rng.weighted(&CULTURE_WEIGHTS);
        let pool: Vec<usize> = (0..GIVEN.len()).filter(|&i| GIVEN[i].2 == culture).collect();
        let &(given, nick, _) = &GIVEN[*rng.pick(&pool)];
        let family = if rng.bern(0.8) {
            let fam: Vec<usize> = (0..FAMILY.len()).filter(|&i| FAMILY[i].1 == culture).collect();
            FAMILY[*rng.pick(&fam)].0
        } else {
            rng.pick(FAMILY).0
        };
        let mut store = rng.below(STORES.len() as u64) as usize;
        let mut family = family;
        let mut given = given;
        let mut nick = nick;
        let mut relative = false;
        let phone;
        // About 1% of people share a family phone with a relative (same family name).
        if people.len() - first_member > 20 && rng.bern(0.007) {
            let r = first_member + rng.below((people.len() - first_member) as u64) as usize;
            let rel = &people[r];
            family = rel.family;
            phone = rel.phone.clone();
            if rng.bern(0.5) {
                store = rel.store;
            }
            let pool: Vec<usize> = (0..GIVEN.len())
                .filter(|&i| GIVEN[i].2 == rel.culture && GIVEN[i].0 != rel.given)
                .collect();
            let g = &GIVEN[*rng.pick(&pool)];
            given = g.0;
            nick = g.1;
            culture = rel.culture;
            relative = true;
            people[r].relative = true;
        } else {
            phone = new_phone(&mut rng, &mut used_phones);
        }
        let entry = match rng.weighted(&[0.55, 0.30, 0.15]) {
            0 => Channel::Group,
            1 if !relative => Channel::Text,
            1 => Channel::Group,
            _ => Channel::Email,
        };
        let email = if entry == Channel::Email || rng.bern(0.706) {
            Some(new_email(&mut rng, given, family, &mut used_emails))
        } else {
            None
        };
        let email2 = if email.is_some() && rng.bern(0.1) {
            Some(second_email(&mut rng, given, family, &mut used_emails))
        } else {
            None
        };
        let profile = if entry == Channel::Text { &TEXTING_HOURS } else { &CHAT_HOURS };
        let mut entry_at = at(&mut rng, date, profile);
        if entry == Channel::Group && entry_at < camp.group_created(store) + Duration::minutes(10) {
            // Nobody joins a group before its admin creates it.
            entry_at = camp.group_created(store) + Duration::minutes(10 + rng.range(0, 120));
        }
        let zip = *rng.pick(&STORES[store].zips);
        let uses_nick = nick.is_some() && rng.bern(0.5);
        let mut p = Person::bare(given, family, store, phone, entry_at);
        p.nick = nick;
        p.uses_nick = uses_nick;
        p.culture = culture;
        p.email = email;
        p.email2 = email2;
        p.zip = zip;
        p.relative = relative;
        p.entry = entry;
        people.push(p);
    }

    for (k, p) in people.iter_mut().enumerate().skip(first_member) {
        let mut rng = Rng::stream(opts.seed, "life", k as u64);
        simulate(p, &mut rng, camp);
    }
    whatsapp::batch_adds(&mut people[first_member..]);
    for (k, p) in people.iter_mut().enumerate().skip(first_member) {
        let mut rng = Rng::stream(opts.seed, "zoom", k as u64);
        zoom::simulate(p, &mut rng, camp);
    }

    // Person ids follow first appearance.
    let mut order: Vec<usize> = (0..people.len()).collect();
    order.sort_by_key(|&i| (people[i].entry_at, i));
    let mut slots: Vec<Option<Person>> = people.into_iter().map(Some).collect();
    order.into_iter().map(|i| slots[i].take().expect("each person once")).collect()
}

/// One member's path: channels, speaking up, RSVPs, meetings, coming back.
/// Everyday chatter ([`DemoOptions::chatter`]): more group messages from members who have
/// already spoken up, after their first post and while they are in the group. Drawn from a
/// stream of its own per person, so the story itself is the same with or without it.
fn add_chatter(people: &mut [Person], opts: &DemoOptions, camp: &Campaign) {
    if opts.chatter == 0 {
        return;
    }
    for (pi, p) in people.iter_mut().enumerate() {
        if p.org.is_some() {
            continue;
        }
        let Some(g) = p.group.as_mut() else { continue };
        let Some(&first) = g.messages.first() else { continue };
        let limit = g.left.unwrap_or(camp.cutoff);
        let mut rng = Rng::stream(opts.seed, "chatter", pi as u64);
        // Heavy-tailed personal rates with mean `chatter` a week (lognormal, sigma 1, capped).
        let sigma = 1.0;
        let rate = (f64::from(opts.chatter) * rng.lognormal((-0.5f64 * sigma * sigma).exp(), sigma)).min(f64::from(opts.chatter) * 15.0);
        let first_day = local_date(first);
        let mut days = 0.0;
        loop {
            days += rng.exponential(7.0 / rate);
            let t = at(&mut rng, first_day + Duration::days(days as i64), &CHAT_HOURS);
            if t >= limit {
                break;
            }
            if t > first {
                g.messages.push(t);
            }
        }
        g.messages.sort();
    }
}

fn simulate(p: &mut Person, rng: &mut Rng, camp: &Campaign) {
    let t0 = p.entry_at;
    let cutoff = camp.cutoff;

    // The store group.
    let in_group = match p.entry {
        Channel::Group => true,
        Channel::Text => rng.bern(0.15),
        Channel::Email => rng.bern(0.20),
    };
    if in_group {
        let joined = if p.entry == Channel::Group {
            t0
        } else {
            let d = delay_days(rng, 0.15, 5.0, 0.8);
            after(rng, t0, d, &CHAT_HOURS).max(camp.group_created(p.store) + Duration::minutes(10))
        };
        if joined < cutoff {
            let added = p.entry == Channel::Group && rng.bern(0.3);
            let left = if rng.bern(0.07) {
                let d = delay_days(rng, 0.05, 20.0, 0.7);
                Some(after(rng, joined, d, &CHAT_HOURS)).filter(|&t| t < cutoff)
            } else {
                None
            };
            let limit = left.unwrap_or(cutoff);
            let mut messages = Vec::new();
            if rng.bern(0.45) {
                let chatty = rng.bern(0.12);
                let d = delay_days(rng, 0.35, 2.5, 1.0);
                let mut t = after(rng, joined, d, &CHAT_HOURS);
                while t < limit {
                    messages.push(t);
                    if !rng.bern(if chatty { 0.88 } else { 0.5 }) {
                        break;
                    }
                    let d = delay_days(rng, if chatty { 0.5 } else { 0.25 }, 3.0, 0.9);
                    t = after(rng, t, d, &CHAT_HOURS);
                }
            }
            p.group = Some(GroupLife {
                store: p.store,
                joined,
                added,
                join_row: true,
                messages,
                left,
            });
        }
    }

    // Texting.
    let texted = !p.relative
        && match p.entry {
            Channel::Text => true,
            Channel::Group => rng.bern(0.2),
            Channel::Email => rng.bern(0.15),
        };
    if texted {
        let (campaign, sent) = if p.entry == Channel::Text {
            (41, t0)
        } else {
            let d = delay_days(rng, 0.0, 8.0, 0.6);
            (42, at(rng, local_date(t0) + Duration::days(d), &TEXTING_HOURS))
        };
        let sent = sent + Duration::milliseconds(rng.below(1000) as i64);
        if sent < cutoff {
            let texter = rng.below(TEXTERS.len() as u64) as usize;
            let error = rng.bern(0.03);
            let undelivered_receipt = !error && rng.bern(0.01);
            let ms = |rng: &mut Rng, t: Ts| t + Duration::milliseconds(rng.below(1000) as i64);
            let reply1 = if !error && rng.bern(0.35) {
                let m = rng.lognormal(20.0, 1.6).min(3.0 * 24.0 * 60.0);
                Some(ms(rng, minutes_later(sent, m))).filter(|&t| t < cutoff)
            } else {
                None
            };
            let stop = reply1.is_some() && rng.bern(0.06);
            let follow1 = match reply1 {
                Some(r) if !stop && rng.bern(0.9) => {
                    let m = rng.lognormal(12.0, 1.2).min(24.0 * 60.0);
                    Some(ms(rng, minutes_later(r, m))).filter(|&t| t < cutoff)
                }
                _ => None,
            };
            let reply2 = match follow1 {
                Some(f) if rng.bern(0.4) => {
                    let m = rng.lognormal(30.0, 1.5).min(2.0 * 24.0 * 60.0);
                    Some(ms(rng, minutes_later(f, m))).filter(|&t| t < cutoff)
                }
                _ => None,
            };
            let bump = if !error && reply1.is_none() && rng.bern(0.35) {
                let d = local_date(sent) + Duration::days(rng.range(2, 5));
                let t = at(rng, d, &TEXTING_HOURS);
                Some(ms(rng, t)).filter(|&t| t < cutoff)
            } else {
                None
            };
            p.sms = Some(SmsLife {
                campaign,
                texter,
                sent,
                error,
                undelivered_receipt,
                bump,
                reply1,
                stop,
                follow1,
                reply2,
            });
        }
    }

    // The email list.
    if let Some(email) = p.email.clone() {
        if p.entry == Channel::Email || rng.bern(0.12) {
            let at_ = if p.entry == Channel::Email {
                t0
            } else {
                let d = delay_days(rng, 0.1, 10.0, 0.8);
                after(rng, t0, d, &CHAT_HOURS)
            };
            if at_ < cutoff {
                p.subs.push(Sub { at: at_, email });
                if let Some(e2) = p.email2.clone() {
                    if rng.bern(0.3) {
                        let d = delay_days(rng, 0.0, 20.0, 0.8);
                        let t = after(rng, at_, d, &CHAT_HOURS);
                        if t < cutoff {
                            p.subs.push(Sub { at: t, email: e2 });
                        }
                    }
                }
            }
        }
    }

    // Speaking up.
    let first_post = p.group.as_ref().and_then(|g| g.messages.first().copied());
    let reply = p.sms.as_ref().filter(|s| !s.stop).and_then(|s| s.reply1);
    let (spoke_at, spoke_via) = match (first_post, reply) {
        (Some(a), Some(b)) if b < a => (Some(b), Some(Channel::Text)),
        (Some(a), _) => (Some(a), Some(Channel::Group)),
        (None, Some(b)) => (Some(b), Some(Channel::Text)),
        (None, None) => (None, None),
    };
    let stopped = p.sms.as_ref().is_some_and(|s| s.stop);
    let via = spoke_via.unwrap_or(p.entry);
    let utm_for = |rng: &mut Rng, p_direct: f64| -> &'static str {
        if rng.bern(p_direct) {
            ""
        } else {
            match via {
                Channel::Group => "whatsapp",
                Channel::Text => "sms",
                Channel::Email => "email",
            }
        }
    };

    let list = &camp.by_store[p.store];
    let mut first_attended: Option<usize> = None;
    let p_rsvp = if spoke_at.is_some() { 0.25 } else { 0.08 };
    if !stopped && rng.bern(p_rsvp) {
        let base = spoke_at.unwrap_or(t0);
        let d = delay_days(rng, 0.3, 3.0, 0.9);
        let created = after(rng, base, d, &CHAT_HOURS);
        if created < cutoff {
            if let Some(mut pos) = camp.next_pos(p.store, created + Duration::hours(2)) {
                if pos + 1 < list.len() && rng.bern(0.2) {
                    pos += 1;
                }
                let m = &camp.meetings[list[pos]];
                let utm = utm_for(rng, 0.1);
                let mut status = Status::Registered;
                let mut modified = created;
                if rng.bern(0.1) {
                    let t = between(rng, created, m.start);
                    if t < cutoff {
                        status = Status::Cancelled;
                        modified = t;
                    }
                } else if rng.bern(0.45) {
                    let t = m.start - Duration::seconds(rng.range(20 * 3600, 50 * 3600));
                    if t > created && t < cutoff {
                        status = Status::Confirmed;
                        modified = t;
                    }
                }
                let attended = status != Status::Cancelled && m.start < cutoff && rng.bern(0.6);
                p.rsvps.push(Rsvp {
                    meeting: list[pos],
                    created,
                    modified,
                    status,
                    attended,
                    utm,
                });
                if attended {
                    first_attended = Some(pos);
                }
            }
        }
    } else if !stopped && rng.bern(if spoke_at.is_some() { 0.05 } else { 0.012 }) {
        // A walk-in: no RSVP, shows up at the door.
        let base = spoke_at.unwrap_or(t0);
        let d = delay_days(rng, 0.2, 5.0, 0.8);
        let t = after(rng, base, d, &CHAT_HOURS);
        if let Some(pos) = camp.next_pos(p.store, t) {
            let m = &camp.meetings[list[pos]];
            if m.start < cutoff {
                first_attended = Some(pos);
                if m.marked && rng.bern(0.3) {
                    door_rsvp(p, rng, camp, list[pos]);
                }
            }
        }
    }

    // Coming back.
    if let Some(first) = first_attended {
        p.attended.push(list[first]);
        let mut cur = first;
        let mut returns = 0;
        loop {
            let p_back = if returns == 0 { 0.45 } else { 0.55 };
            let step = if rng.bern(p_back) {
                if rng.bern(0.8) {
                    1
                } else {
                    2
                }
            } else if rng.bern(0.08) {
                3
            } else {
                break;
            };
            let pos = cur + step;
            if pos >= list.len() {
                break;
            }
            let prev_start = camp.meetings[list[cur]].start;
            let m = &camp.meetings[list[pos]];
            let ahead = rng.bern(0.5);
            let utm = utm_for(rng, 0.3);
            if m.start >= cutoff {
                // Already RSVP'd to a meeting after the export.
                if ahead {
                    let created = between(rng, prev_start + Duration::hours(20), m.start - Duration::hours(3));
                    if created < cutoff {
                        p.rsvps.push(Rsvp {
                            meeting: list[pos],
                            created,
                            modified: created,
                            status: Status::Registered,
                            attended: false,
                            utm,
                        });
                    }
                }
                break;
            }
            if ahead {
                let created = between(rng, prev_start + Duration::hours(20), m.start - Duration::hours(3));
                let (status, modified) = if rng.bern(0.5) {
                    let t = m.start - Duration::seconds(rng.range(20 * 3600, 50 * 3600));
                    if t > created {
                        (Status::Confirmed, t)
                    } else {
                        (Status::Registered, created)
                    }
                } else {
                    (Status::Registered, created)
                };
                p.rsvps.push(Rsvp {
                    meeting: list[pos],
                    created,
                    modified,
                    status,
                    attended: true,
                    utm,
                });
            } else if m.marked && rng.bern(0.3) {
                door_rsvp(p, rng, camp, list[pos]);
            }
            p.attended.push(list[pos]);
            cur = pos;
            returns += 1;
        }
    }

    // Marking attendance in Mobilize touches the record after the meeting.
    for r in &mut p.rsvps {
        let m = &camp.meetings[r.meeting];
        if m.marked && m.start < cutoff && r.status != Status::Cancelled {
            let day = m.date + Duration::days(rng.range(0, 3));
            let t = at(rng, day, &ADMIN_HOURS).max(m.start + Duration::hours(2));
            if t < cutoff && t > r.modified {
                r.modified = t;
            }
        }
    }
}

/// A walk-in an organizer added to Mobilize at the door.
fn door_rsvp(p: &mut Person, rng: &mut Rng, camp: &Campaign, meeting: usize) {
    let created = camp.meetings[meeting].start + Duration::minutes(rng.range(2, 50));
    let created = created + Duration::seconds(rng.range(0, 60));
    p.rsvps.push(Rsvp {
        meeting,
        created,
        modified: created,
        status: Status::Confirmed,
        attended: true,
        utm: "",
    });
}

// ---------------------------------------------------------------------------------------------
// Rendering helpers
// ---------------------------------------------------------------------------------------------

/// ASCII folding of the accented letters the name lists use.
fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'ą' => 'a',
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Ą' => 'A',
        'é' | 'è' | 'ê' | 'ë' | 'ę' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' | 'Ę' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ñ' | 'ń' => 'n',
        'Ñ' | 'Ń' => 'N',
        'ç' | 'ć' => 'c',
        'Ç' | 'Ć' => 'C',
        'ł' => 'l',
        'Ł' => 'L',
        'ś' => 's',
        'Ś' => 'S',
        'ź' | 'ż' => 'z',
        'Ź' | 'Ż' => 'Z',
        _ => c,
    }
}

/// A ten-digit phone in one of the ways people and tools write it.
fn fmt_phone(d: &str, style: u64) -> String {
    let (a, e, l) = (&d[0..3], &d[3..6], &d[6..10]);
    match style {
        0 => format!("({a}) {e}-{l}"),
        1 => format!("{a}.{e}.{l}"),
        2 => format!("+1 {a} {e} {l}"),
        3 => d.to_string(),
        4 => format!("{a}-{e}-{l}"),
        5 => format!("+1{d}"),
        6 => format!("1-{a}-{e}-{l}"),
        7 => format!("{a} {e} {l}"),
        8 => format!("+1 ({a}) {e}-{l}"),
        _ => format!("1{d}"),
    }
}

fn messy_phone(rng: &mut Rng, d: &str) -> String {
    fmt_phone(d, rng.below(10))
}

/// A phone written wrong at the door: too short, a digit missing, or two digits swapped.
fn typo_phone(rng: &mut Rng, d: &str, used: &BTreeSet<String>) -> String {
    match rng.below(3) {
        0 => format!("{}-{}", &d[0..3], &d[3..5]),
        1 => format!("{}-{}-{}", &d[0..3], &d[3..6], &d[6..9]),
        _ => {
            let mut b: Vec<u8> = d.bytes().collect();
            let i = rng.range(3, 9) as usize;
            b.swap(i, i + 1);
            let s = String::from_utf8(b).expect("ascii digits");
            if s == d || used.contains(&s) {
                format!("{}-{}", &d[0..3], &d[3..5])
            } else {
                fmt_phone(&s, 4)
            }
        }
    }
}

fn typo_email(rng: &mut Rng, e: &str) -> String {
    let (local, domain) = e.split_once('@').unwrap_or((e, ""));
    match rng.below(4) {
        0 if domain == "gmail.com" => format!("{local}@gmial.com"),
        0 | 1 if domain.ends_with(".com") => {
            format!("{local}@{}.con", &domain[..domain.len() - 4])
        }
        2 if local.len() > 3 => {
            let i = rng.range(1, local.len() as i64 - 1) as usize;
            format!("{}{}@{domain}", &local[..i], &local[i + 1..])
        }
        _ => {
            let i = rng.range(0, local.len() as i64) as usize;
            format!("{}{}@{domain}", &local[..=i], &local[i..])
        }
    }
}

/// "rosa.martinez@gmail.com" → "Rosa.Martinez@Gmail.com"
fn title_case_email(e: &str) -> String {
    let mut out = String::with_capacity(e.len());
    let mut up = true;
    for c in e.chars() {
        if up {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        up = matches!(c, '.' | '@' | '_');
    }
    out
}

/// The email as a person types it into a form: mostly as is, sometimes in other case or with a
/// stray space.
fn typed_email(rng: &mut Rng, e: &str) -> String {
    match rng.weighted(&[0.86, 0.08, 0.03, 0.03]) {
        0 => e.to_string(),
        1 => title_case_email(e),
        2 => format!(" {e}"),
        _ => format!("{} ", title_case_email(e)),
    }
}

/// Writes CSV text and remembers the physical line where each record starts.
struct CsvText {
    delim: char,
    eol: &'static str,
    text: String,
    /// Physical lines completed so far.
    lines: usize,
}

impl CsvText {
    fn new(delim: char, eol: &'static str, header: &[&str]) -> Self {
        let mut c = CsvText {
            delim,
            eol,
            text: String::new(),
            lines: 0,
        };
        c.row(header);
        c
    }

    /// Appends a record; returns the 1-based line where it starts.
    fn row<S: AsRef<str>>(&mut self, fields: &[S]) -> usize {
        let start = self.lines + 1;
        for (i, f) in fields.iter().enumerate() {
            let f = f.as_ref();
            if i > 0 {
                self.text.push(self.delim);
            }
            if f.contains(self.delim) || f.contains('"') || f.contains('\n') || f.contains('\r') {
                self.text.push('"');
                self.text.push_str(&f.replace('"', "\"\""));
                self.text.push('"');
                self.lines += f.matches('\n').count();
            } else {
                self.text.push_str(f);
            }
        }
        self.text.push_str(self.eol);
        self.lines += 1;
        start
    }

    /// Appends a raw line (for trailing junk rows).
    fn raw(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push_str(self.eol);
        self.lines += 1;
    }
}

/// One ground-truth row: the record at `line` of `truth_files[file]` is about `person`.
struct Truth {
    file: u32,
    line: u32,
    person: u32,
}

struct Ctx<'a> {
    camp: &'a Campaign,
    people: &'a [Person],
    /// attendees[meeting] = person indices.
    attendees: Vec<Vec<usize>>,
    /// zoom_attendees[call] = person indices.
    zoom_attendees: Vec<Vec<usize>>,
    /// Where the files go; each is written as soon as it is rendered, so the generator holds
    /// one export at a time, not the whole campaign.
    out: &'a Path,
    /// Files written, relative to `out`.
    files: Vec<String>,
    /// How each file's records are named in the ground truth, indexed by `Truth::file`.
    truth_files: Vec<String>,
    truth: Vec<Truth>,
}

impl Ctx<'_> {
    fn seed(&self) -> u64 {
        self.camp.seed
    }
    fn add(&mut self, rel: String, bytes: Vec<u8>, records: Vec<(usize, usize)>) -> Result<()> {
        let truth = rel.clone();
        self.add_as(rel, truth, bytes, records)
    }
    /// Writes `rel` but names its records `truth` in the ground truth (a zip member:
    /// `groups/X.zip!_chat.txt`, as ingest names it in origins).
    fn add_as(&mut self, rel: String, truth: String, bytes: Vec<u8>, records: Vec<(usize, usize)>) -> Result<()> {
        let file = self.truth_files.len() as u32;
        self.truth_files.push(truth);
        self.truth.extend(records.into_iter().map(|(line, person)| Truth {
            file,
            line: u32::try_from(line).expect("a demo export has fewer than 4 billion lines"),
            person: person as u32,
        }));
        let path = self.out.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        self.files.push(rel);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Spoke
// ---------------------------------------------------------------------------------------------

const REPLY_YES: &[&str] = &[
    "Yes",
    "yes count me in",
    "Sure, what time?",
    "Sí, cuenten conmigo",
    "Ok I'll try to make it",
    "Yes! my coworker wants to come too",
    "I'm interested",
    "Yes please send info",
];
const REPLY_OTHER: &[&str] = &[
    "Who is this?",
    "How did you get my number?",
    "I work that day",
    "Maybe, depends on my schedule",
    "Not right now, thanks",
    "What is this about?",
    "ok",
];
const REPLY_STOP: &[&str] = &["STOP", "Stop", "stop texting me"];
const REPLY_SIGNED_UP: &[&str] = &["Done", "Signed up 👍", "Done, see you there", "Listo ✅"];
const REPLY_AGAIN: &[&str] = &["ok thanks", "Thank you!", "Gracias", "👍", "ok"];

fn render_spoke(ctx: &mut Ctx) -> Result<()> {
    let camp = ctx.camp;
    let mut contacts: Vec<usize> = (0..ctx.people.len()).filter(|&i| ctx.people[i].sms.is_some()).collect();
    contacts.sort_by_key(|&i| {
        let s = ctx.people[i].sms.as_ref().expect("texted");
        (s.campaign, s.sent, i)
    });
    struct Row {
        contact_id: u64,
        ts: Ts,
        fields: [String; 9],
        person: usize,
    }
    let mut rows: Vec<Row> = Vec::new();
    for (n, &pi) in contacts.iter().enumerate() {
        let p = &ctx.people[pi];
        let s = p.sms.as_ref().expect("texted");
        let mut rng = Rng::stream(ctx.seed(), "spoke", pi as u64);
        let contact_id = 2_480_001 + n as u64;
        let store = &STORES[p.store];
        let user = format!("+1{}", texter_phone(s.texter));
        let contact = format!("+1{}", p.phone);
        let first = if p.uses_nick && rng.bern(0.5) { p.first() } else { p.given };
        let texter = TEXTERS[s.texter].0;
        let next = camp
            .next_pos(p.store, s.sent)
            .map(|pos| &camp.meetings[camp.by_store[p.store][pos]]);
        let when = next.map(|m| fmt_when(m.date));
        let rsvp_sms = p.rsvps.first().filter(|r| r.utm == "sms");
        let mut push = |ts: Ts, from_contact: bool, status: &str, text: String, error: &str| {
            rows.push(Row {
                contact_id,
                ts,
                fields: [
                    contact_id.to_string(),
                    s.campaign.to_string(),
                    user.clone(),
                    contact.clone(),
                    from_contact.to_string(),
                    status.to_string(),
                    fmt_spoke(ts),
                    text,
                    error.to_string(),
                ],
                person: pi,
            });
        };
        let initial = match (s.campaign, &when) {
            (42, Some(w)) => format!(
                "Hi {first}, it's {texter} from Northside Workers United. Our next Store {} meeting is {w} at 6:30pm, {}. Can you make it?",
                store.number, store.venue
            ),
            _ if rng.bern(0.5) => format!(
                "Hi {first}, this is {texter}, a volunteer with Northside Workers United. Workers at Store {} are coming together about hours, pay and respect on the job. Can we count you in?",
                store.number
            ),
            _ => format!(
                "Hey {first}! {texter} here, with coworkers from Store {}. We're tired of cut hours and last-minute schedules. Want to hear what we're doing about it? Reply STOP to opt out",
                store.number
            ),
        };
        if s.error {
            push(s.sent, false, "ERROR", initial, "30003");
            continue;
        }
        push(s.sent, false, if s.undelivered_receipt { "SENT" } else { "DELIVERED" }, initial, "");
        if let Some(t) = s.bump {
            let text = match &when {
                Some(w) => format!(
                    "Hi {first}, just checking in. The Store {} meeting is {w}, 6:30pm at {}. Want the RSVP link?",
                    store.number, store.venue
                ),
                None => format!(
                    "Hi {first}, just checking in. Want to hear about the Store {} meetings?",
                    store.number
                ),
            };
            push(t, false, "DELIVERED", text, "");
        }
        // None: a yes; Some(i): REPLY_OTHER[i].
        let mut other: Option<usize> = None;
        if let Some(t) = s.reply1 {
            let text = if s.stop {
                rng.pick(REPLY_STOP)
            } else if rsvp_sms.is_some() || rng.bern(0.5) {
                rng.pick(REPLY_YES)
            } else {
                let i = rng.below(REPLY_OTHER.len() as u64) as usize;
                other = Some(i);
                &REPLY_OTHER[i]
            };
            push(t, true, "DELIVERED", text.to_string(), "");
        }
        if let Some(t) = s.follow1 {
            let intro = || {
                format!(
                    "It's {texter}, a volunteer with Northside Workers United. A coworker at Store {} gave us your number. Reply STOP if you'd rather not hear from us.",
                    store.number
                )
            };
            let understand = || match &when {
                Some(w) => format!("Totally understand. If your schedule changes, the next meeting is {w}."),
                None => "Totally understand, we'll let you know about the next one.".to_string(),
            };
            let text = match (rsvp_sms, other) {
                (Some(r), _) => {
                    let ev = STORES[camp.meetings[r.meeting].store].event_id();
                    format!("Great! Here's the RSVP link: https://www.mobilize.us/northside/event/{ev}/?utm_source=sms&utm_medium=sms")
                }
                (None, Some(0 | 1)) => intro(),
                (None, Some(2 | 3)) => understand(),
                (None, Some(4)) => "No problem, thanks for letting me know!".to_string(),
                (None, Some(5)) => format!(
                    "We're coworkers at Store {} organizing for fair schedules and respect. No pressure, we'll keep you posted.",
                    store.number
                ),
                _ => match &when {
                    Some(w) => format!(
                        "Thanks {first}! Next meeting is {w} at 6:30pm, {}. Hope to see you there.",
                        store.venue
                    ),
                    None => format!(
                        "Thanks {first}! We'll send you the details for the next Store {} meeting.",
                        store.number
                    ),
                },
            };
            push(t, false, "DELIVERED", text, "");
        }
        if let Some(t) = s.reply2 {
            let pool = if rsvp_sms.is_some() { REPLY_SIGNED_UP } else { REPLY_AGAIN };
            push(t, true, "DELIVERED", rng.pick(pool).to_string(), "");
        }
    }
    rows.sort_by_key(|r| (r.contact_id, r.ts));
    let mut csv = CsvText::new(
        ',',
        "\r\n",
        &[
            "campaign_contact_id",
            "campaign_id",
            "user_number",
            "contact_number",
            "is_from_contact",
            "send_status",
            "attempted_at",
            "text",
            "error_code",
        ],
    );
    let records = rows.iter().map(|r| (csv.row(&r.fields), r.person)).collect();
    ctx.add("spoke/messages.csv".to_string(), csv.text.into_bytes(), records)?;

    // The contacts file of the same export: the uploaded list (legal names, the worksite custom
    // field, sometimes missing or in capitals) as Spoke returns it, one row per contact.
    let mut csv = CsvText::new(
        ',',
        "\r\n",
        &[
            "id",
            "campaign_id",
            "assignment_id",
            "optOutCampaign",
            "optedOut",
            "texterFirst",
            "texterLast",
            "texterEmail",
            "texterCell",
            "texterAlias",
            "external_id",
            "first_name",
            "last_name",
            "cell",
            "city",
            "state",
            "zip",
            "message_status",
            "error_code",
            "texterExtra",
            "worksite",
            "tags",
        ],
    );
    let mut records = Vec::new();
    for (n, &pi) in contacts.iter().enumerate() {
        let p = &ctx.people[pi];
        let s = p.sms.as_ref().expect("texted");
        let mut rng = Rng::stream(ctx.seed(), "spoke-contact", pi as u64);
        let (tf, tl) = TEXTERS[s.texter];
        let status = match (s.error, s.reply1.is_some(), s.reply2.is_some() || s.stop) {
            (true, _, _) => "needsMessage",
            (_, false, _) => "messaged",
            (_, true, true) => "closed",
            (_, true, false) => "convo",
        };
        let (first, last) = if rng.bern(0.04) {
            (p.given.to_uppercase(), p.family.to_uppercase())
        } else {
            (p.given.to_string(), p.family.to_string())
        };
        let first = if rng.bern(0.03) { String::new() } else { first };
        let worksite = if rng.bern(0.9) { STORES[p.store].name() } else { String::new() };
        let fields = [
            (2_480_001 + n as u64).to_string(),
            s.campaign.to_string(),
            (9100 + s.texter as u64 * 7 + s.campaign as u64).to_string(),
            s.stop.to_string(),
            s.stop.to_string(),
            tf.to_string(),
            tl.to_string(),
            format!("{}.{}@northsideworkers.org", email_part(tf), email_part(tl)),
            format!("+1{}", texter_phone(s.texter)),
            String::new(),
            format!("NW{:06}", 100_000 + pi),
            first,
            last,
            format!("+1{}", p.phone),
            "Chicago".to_string(),
            "IL".to_string(),
            p.zip.to_string(),
            status.to_string(),
            if s.error { "30003".to_string() } else { String::new() },
            String::new(),
            worksite,
            format!("store-{}", STORES[p.store].number),
        ];
        records.push((csv.row(&fields), pi));
    }
    ctx.add("spoke/contacts.csv".to_string(), csv.text.into_bytes(), records)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Mailchimp
// ---------------------------------------------------------------------------------------------

fn render_mailchimp(ctx: &mut Ctx) -> Result<()> {
    let mut subs: Vec<(Ts, usize, usize)> = Vec::new();
    for (pi, p) in ctx.people.iter().enumerate() {
        for (k, s) in p.subs.iter().enumerate() {
            subs.push((s.at, pi, k));
        }
    }
    subs.sort();
    let mut csv = CsvText::new(
        ',',
        "\n",
        &[
            "Email Address",
            "First Name",
            "Last Name",
            "Phone Number",
            "Worksite",
            "MEMBER_RATING",
            "OPTIN_TIME",
            "OPTIN_IP",
            "CONFIRM_TIME",
            "CONFIRM_IP",
            "LATITUDE",
            "LONGITUDE",
            "GMTOFF",
            "DSTOFF",
            "TIMEZONE",
            "CC",
            "REGION",
            "LAST_CHANGED",
            "LEID",
            "EUID",
            "NOTES",
            "TAGS",
        ],
    );
    let mut rng = Rng::stream(ctx.seed(), "mailchimp", 0);
    let mut leids = BTreeSet::new();
    let mut records = Vec::new();
    for (at_, pi, k) in subs {
        let p = &ctx.people[pi];
        let store = &STORES[p.store];
        let email = typed_email(&mut rng, &p.subs[k].email);
        let first = match rng.weighted(&[0.75, 0.1, 0.05, 0.05, 0.05]) {
            0 => p.first().to_string(),
            1 => p.given.to_string(),
            2 => fold(p.given),
            3 => p.first().to_lowercase(),
            _ => String::new(),
        };
        let last = match rng.weighted(&[0.8, 0.1, 0.05, 0.05]) {
            0 => p.family.to_string(),
            1 => fold(p.family),
            2 => p.family.to_lowercase(),
            _ => String::new(),
        };
        let phone = if rng.bern(0.45) {
            String::new()
        } else {
            messy_phone(&mut rng, &p.phone)
        };
        let worksite = if rng.bern(0.85) { store.name() } else { String::new() };
        let rating = if p.attended.len() >= 2 {
            rng.range(4, 6)
        } else if !p.attended.is_empty() {
            3
        } else {
            2
        };
        let ip = format!(
            "{}.{}.{}.{}",
            rng.pick(&[73, 98, 172, 24, 67, 107]),
            rng.range(0, 256),
            rng.range(0, 256),
            rng.range(1, 255)
        );
        let confirm = at_ + Duration::seconds(rng.range(40, 3 * 3600));
        let confirm_ip = if rng.bern(0.85) {
            ip.clone()
        } else {
            format!("172.58.{}.{}", rng.range(0, 256), rng.range(1, 255))
        };
        let located = rng.bern(0.6);
        let (lat, lon, gmt, dst, tz, cc, region) = if located {
            (
                format!("{:.7}", 41.75 + rng.f64() * 0.2),
                format!("{:.7}", -87.78 + rng.f64() * 0.14),
                "-6",
                "-5",
                "America/Chicago",
                "US",
                "IL",
            )
        } else {
            (String::new(), String::new(), "", "", "", "", "")
        };
        let changed = if rng.bern(0.3) {
            (confirm + Duration::hours(rng.range(1, 24 * 30))).min(ctx.camp.cutoff - Duration::minutes(5))
        } else {
            confirm
        };
        let changed = changed.max(confirm);
        let leid = loop {
            let l = rng.range(100_000_000, 1_000_000_000);
            if leids.insert(l) {
                break l;
            }
        };
        let euid = format!("{:010x}", rng.next_u64() >> 24);
        let notes = match rng.below(50) {
            0 => "Prefers Spanish",
            1 => "Night shift, text after 10pm",
            2 => "Met at the store, knows \"Dana\"",
            _ => "",
        };
        let tags = if p.attended.is_empty() {
            format!("retail, store-{}", store.number)
        } else {
            format!("retail, store-{}, meeting-attendee", store.number)
        };
        let fields = [
            email,
            first,
            last,
            phone,
            worksite,
            rating.to_string(),
            fmt_mailchimp(at_),
            ip,
            fmt_mailchimp(confirm),
            confirm_ip,
            lat,
            lon,
            gmt.to_string(),
            dst.to_string(),
            tz.to_string(),
            cc.to_string(),
            region.to_string(),
            fmt_mailchimp(changed),
            leid.to_string(),
            euid,
            notes.to_string(),
            tags,
        ];
        records.push((csv.row(&fields), pi));
    }
    ctx.add(
        "mailchimp/subscribed_members_export.csv".to_string(),
        csv.text.into_bytes(),
        records,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Mobilize
// ---------------------------------------------------------------------------------------------

fn render_mobilize(ctx: &mut Ctx) -> Result<()> {
    let camp = ctx.camp;
    // (created, person, is a Zoom check-in RSVP, index in the person's list)
    let mut all: Vec<(Ts, usize, bool, usize)> = Vec::new();
    for (pi, p) in ctx.people.iter().enumerate() {
        for (k, r) in p.rsvps.iter().enumerate() {
            all.push((r.created, pi, false, k));
        }
        for (k, r) in p.zoom_rsvps.iter().enumerate() {
            all.push((r.created, pi, true, k));
        }
    }
    all.sort();
    let mut csv = CsvText::new(
        ',',
        "\n",
        &[
            "id",
            "created_date",
            "modified_date",
            "event_id",
            "event_title",
            "event_type",
            "timeslot_id",
            "timeslot_start_date",
            "timeslot_end_date",
            "status",
            "attended",
            "given_name",
            "family_name",
            "email_address",
            "phone_number",
            "postal_code",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
        ],
    );
    let mut records = Vec::new();
    for (n, (_, pi, is_zoom, k)) in all.into_iter().enumerate() {
        let p = &ctx.people[pi];
        let r = if is_zoom { &p.zoom_rsvps[k] } else { &p.rsvps[k] };
        // The event and its timeslot: (event id, title, timeslot id, start, end, marked).
        let (event_id, title, timeslot_id, start, end, marked) = if is_zoom {
            let c = &camp.zoom_calls[r.meeting];
            (
                zoom::EVENT_ID,
                zoom::TOPIC.to_string(),
                c.timeslot_id,
                c.start,
                c.start + Duration::minutes(60),
                c.marked,
            )
        } else {
            let m = &camp.meetings[r.meeting];
            let st = &STORES[m.store];
            (
                st.event_id(),
                st.meeting_title(),
                m.timeslot_id,
                m.start,
                m.start + Duration::minutes(90),
                m.marked,
            )
        };
        // Links shared in a group carry the person's own store.
        let store = &STORES[p.store];
        let label = if is_zoom { "mobilize-zoom" } else { "mobilize" };
        let mut rng = Rng::stream(ctx.seed(), label, ((pi as u64) << 8) | k as u64);
        let given = match rng.weighted(&[0.72, 0.15, 0.1, 0.03]) {
            0 => p.given.to_string(),
            1 => p.first().to_string(),
            2 => fold(p.given),
            _ => p.given.to_lowercase(),
        };
        let family = match rng.weighted(&[0.82, 0.13, 0.05]) {
            0 => p.family.to_string(),
            1 => fold(p.family),
            _ => p.family.to_lowercase(),
        };
        let email = match (&p.email, &p.email2) {
            (Some(_), Some(e2)) if rng.bern(0.5) => typed_email(&mut rng, e2),
            (Some(e), _) if !rng.bern(0.06) => typed_email(&mut rng, e),
            _ => String::new(),
        };
        let phone = if rng.bern(0.15) {
            String::new()
        } else {
            messy_phone(&mut rng, &p.phone)
        };
        let attended = if marked && start < camp.cutoff && r.status != Status::Cancelled {
            r.attended.to_string()
        } else {
            String::new()
        };
        let status = match r.status {
            Status::Registered => "REGISTERED",
            Status::Confirmed => "CONFIRMED",
            Status::Cancelled => "CANCELLED",
        };
        let (medium, campaign, content) = match r.utm {
            "whatsapp" => ("social", "northside-retail", store.slug()),
            "sms" => ("sms", "northside-retail", String::new()),
            "email" => ("email", "northside-retail", String::new()),
            _ => ("", "", String::new()),
        };
        let fields = [
            (52_000_001 + n as u64).to_string(),
            fmt_offset(r.created),
            fmt_offset(r.modified),
            event_id.to_string(),
            title,
            "MEETING".to_string(),
            timeslot_id.to_string(),
            fmt_offset(start),
            fmt_offset(end),
            status.to_string(),
            attended,
            given,
            family,
            email,
            phone,
            p.zip.to_string(),
            r.utm.to_string(),
            medium.to_string(),
            campaign.to_string(),
            String::new(),
            content,
        ];
        records.push((csv.row(&fields), pi));
    }
    ctx.add("mobilize/participations.csv".to_string(), csv.text.into_bytes(), records)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sign-in sheets
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Plain,
    Bom,
    Cp1252,
    Semicolon,
    Trailing,
}

struct Sheet {
    rel: String,
    rows: Vec<([String; 5], usize)>,
}

/// A name as written at the door.
fn door_name(p: &Person, rng: &mut Rng) -> String {
    let first = if p.nick.is_some() && (p.uses_nick || rng.bern(0.1)) && rng.bern(0.7) {
        p.nick.unwrap_or(p.given)
    } else {
        p.given
    };
    let initial: String = p.family.chars().take(1).collect();
    match rng.weighted(&[0.55, 0.09, 0.08, 0.06, 0.06, 0.16]) {
        0 => format!("{first} {}", p.family),
        1 => format!("{}, {first}", p.family.to_uppercase()),
        2 => format!("{first} {initial}."),
        3 => format!("{first} {}", p.family).to_lowercase(),
        4 => first.to_string(),
        _ => fold(&format!("{first} {}", p.family)),
    }
}

fn build_sheets(ctx: &Ctx, used_phones: &BTreeSet<String>) -> Vec<Sheet> {
    let camp = ctx.camp;
    let mut order: Vec<usize> = (0..camp.meetings.len()).filter(|&m| camp.meetings[m].start < camp.cutoff).collect();
    order.sort_by_key(|&m| (camp.meetings[m].date, STORES[camp.meetings[m].store].slug()));
    let mut sheets = Vec::new();
    for m in order {
        let meeting = &camp.meetings[m];
        let store = &STORES[meeting.store];
        let mut rng = Rng::stream(ctx.seed(), "signin", m as u64);
        let mut people = ctx.attendees[m].clone();
        if people.is_empty() {
            continue;
        }
        rng.shuffle(&mut people);
        let admin = admin_phone(meeting.store);
        let date = fmt_us_date(meeting.date);
        let title = store.meeting_title();
        let mut rows: Vec<([String; 5], usize)> = Vec::new();
        // Second signatures (forgot they signed, or signed for the raffle) go a little further down.
        let mut seconds: Vec<(usize, [String; 5], usize)> = Vec::new();
        for &pi in &people {
            let p = &ctx.people[pi];
            let one = |rng: &mut Rng| -> [String; 5] {
                let name = door_name(p, rng);
                let signed_by_organizer = rng.bern(0.01);
                let phone = if signed_by_organizer {
                    fmt_phone(&admin, 4)
                } else {
                    match rng.weighted(&[0.87, 0.1, 0.03]) {
                        0 => messy_phone(rng, &p.phone),
                        1 => String::new(),
                        _ => typo_phone(rng, &p.phone, used_phones),
                    }
                };
                let email = match (&p.email, signed_by_organizer) {
                    (Some(e), false) if rng.bern(0.4) => {
                        let e = match &p.email2 {
                            Some(e2) if rng.bern(0.5) => e2,
                            _ => e,
                        };
                        if rng.bern(0.08) {
                            typo_email(rng, e)
                        } else {
                            e.clone()
                        }
                    }
                    _ => String::new(),
                };
                [name, phone, email, date.clone(), title.clone()]
            };
            rows.push((one(&mut rng), pi));
            if rng.bern(0.05) {
                let at_ = rows.len() + rng.below(4) as usize;
                seconds.push((at_, one(&mut rng), pi));
            }
        }
        for (at_, row, pi) in seconds.into_iter().rev() {
            rows.insert(at_.min(rows.len()), (row, pi));
        }
        sheets.push(Sheet {
            rel: format!("signin/{}-{}.csv", meeting.date.format("%Y-%m-%d"), store.slug()),
            rows,
        });
    }
    sheets
}

fn cp1252_ok(c: char) -> bool {
    let mut b = [0u8; 4];
    let (_, _, err) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut b));
    !err
}

/// Encodes as Windows-1252, folding what it cannot hold (ł, ś, emoji) the way an old PC would.
fn to_cp1252(s: &str) -> Vec<u8> {
    let mapped: String = s
        .chars()
        .filter_map(|c| {
            if cp1252_ok(c) {
                Some(c)
            } else {
                let f = fold_char(c);
                (f != c && cp1252_ok(f)).then_some(f)
            }
        })
        .collect();
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&mapped);
    bytes.into_owned()
}

fn render_signin(ctx: &mut Ctx, used_phones: &BTreeSet<String>) -> Result<()> {
    let sheets = build_sheets(ctx, used_phones);
    let n = sheets.len();
    let mut variants = vec![Variant::Plain; n];
    if n > 0 {
        // Windows-1252: a sheet with a name that needs it (é, ñ …).
        let needs = |s: &Sheet| s.rows.iter().any(|(f, _)| f[0].chars().any(|c| !c.is_ascii() && cp1252_ok(c)));
        let candidates = || (0..n).map(|k| (n / 3 + k) % n);
        let pick = candidates()
            .find(|&i| needs(&sheets[i]) && sheets[i].rows.len() >= 6)
            .or_else(|| candidates().find(|&i| needs(&sheets[i])));
        if let Some(i) = pick {
            variants[i] = Variant::Cp1252;
        }
        for (target, v) in [(n / 4, Variant::Bom), (n / 2, Variant::Semicolon), (3 * n / 4, Variant::Trailing)] {
            if let Some(i) = (0..n).map(|k| (target + k) % n).find(|&i| variants[i] == Variant::Plain) {
                variants[i] = v;
            }
        }
    }
    for (sheet, variant) in sheets.into_iter().zip(variants) {
        let (delim, eol) = match variant {
            Variant::Plain | Variant::Trailing => (',', "\n"),
            Variant::Semicolon => (';', "\r\n"),
            Variant::Bom | Variant::Cp1252 => (',', "\r\n"),
        };
        let header: &[&str] = if variant == Variant::Trailing {
            &["Name", "Phone", "Email", "Date", "Meeting", "", ""]
        } else {
            &["Name", "Phone", "Email", "Date", "Meeting"]
        };
        let mut csv = CsvText::new(delim, eol, header);
        let mut records = Vec::with_capacity(sheet.rows.len());
        for (fields, pi) in &sheet.rows {
            let line = if variant == Variant::Trailing {
                let mut f: Vec<&str> = fields.iter().map(String::as_str).collect();
                f.extend(["", ""]);
                csv.row(&f)
            } else {
                csv.row(fields)
            };
            records.push((line, *pi));
        }
        if variant == Variant::Trailing {
            csv.raw(",,,,,,");
            csv.raw(",,,,");
        }
        let bytes = match variant {
            Variant::Bom => {
                let mut b = "\u{FEFF}".as_bytes().to_vec();
                b.extend_from_slice(csv.text.as_bytes());
                b
            }
            Variant::Cp1252 => to_cp1252(&csv.text),
            _ => csv.text.into_bytes(),
        };
        ctx.add(sheet.rel, bytes, records)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Group chats this generator writes (and the CSV stand-ins older versions wrote).
fn is_owned_group_file(name: &str) -> bool {
    (name.starts_with("store-") && name.ends_with(".csv"))
        || (name.starts_with("WhatsApp Chat with Store ") && name.ends_with(".txt"))
        || (name.starts_with("WhatsApp Chat - Store ") && name.ends_with(".zip"))
}

fn is_owned_zoom_file(name: &str) -> bool {
    name.starts_with("participants_") && name.ends_with(".csv")
}

fn is_owned_signin_file(name: &str) -> bool {
    let b = name.as_bytes();
    name.ends_with(".csv")
        && b.len() > 11
        && b[..10]
            .iter()
            .enumerate()
            .all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && name[10..].starts_with("-store-")
}

/// Removes files this generator owns in `dir` that the new run does not write.
fn remove_stale(dir: &Path, keep: &BTreeSet<String>, owned: fn(&str) -> bool) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if owned(&name) && !keep.contains(&name) && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path()).with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Writes the demo exports under `out` (creating dirs), replacing files it owns. Deterministic:
/// same options -> byte-identical files.
pub fn generate(out: &Path, opts: &DemoOptions) -> Result<DemoSummary> {
    ensure!(opts.weeks >= 1, "the demo campaign needs at least one week");
    ensure!(opts.weeks <= 520, "the demo campaign is at most 520 weeks long");
    let camp = Campaign::new(opts);
    let mut people = build_people(opts, &camp);
    add_chatter(&mut people, opts, &camp);
    let mut attendees = vec![Vec::new(); camp.meetings.len()];
    let mut zoom_attendees = vec![Vec::new(); camp.zoom_calls.len()];
    for (pi, p) in people.iter().enumerate() {
        for &m in &p.attended {
            attendees[m].push(pi);
        }
        for &c in &p.zoom_attended {
            zoom_attendees[c].push(pi);
        }
    }
    let used_phones: BTreeSet<String> = people.iter().map(|p| p.phone.clone()).collect();
    let mut ctx = Ctx {
        camp: &camp,
        people: &people,
        attendees,
        zoom_attendees,
        out,
        files: Vec::new(),
        truth_files: Vec::new(),
        truth: Vec::new(),
    };
    whatsapp::render_groups(&mut ctx)?;
    render_spoke(&mut ctx)?;
    render_mailchimp(&mut ctx)?;
    render_mobilize(&mut ctx)?;
    render_signin(&mut ctx, &used_phones)?;
    zoom::render(&mut ctx)?;

    let Ctx {
        files: mut outputs,
        truth_files,
        mut truth,
        ..
    } = ctx;
    truth.sort_by(|a, b| (truth_files[a.file as usize].as_str(), a.line).cmp(&(truth_files[b.file as usize].as_str(), b.line)));
    // Written as it is formatted: at a million people the ground truth has tens of millions of rows.
    let gt_path = out.join("ground_truth.csv");
    let mut gt_file = std::io::BufWriter::new(std::fs::File::create(&gt_path).with_context(|| format!("writing {}", gt_path.display()))?);
    let mut gt = CsvText::new(',', "\n", &["file", "line", "person_id", "role"]);
    for t in &truth {
        let role = match people[t.person as usize].role() {
            Role::Member => "member",
            Role::Organizer => "organizer",
        };
        gt.row(&[
            truth_files[t.file as usize].as_str(),
            &t.line.to_string(),
            &format!("p{:05}", t.person + 1),
            role,
        ]);
        if gt.text.len() > 1 << 20 {
            gt_file
                .write_all(gt.text.as_bytes())
                .with_context(|| format!("writing {}", gt_path.display()))?;
            gt.text.clear();
        }
    }
    gt_file
        .write_all(gt.text.as_bytes())
        .with_context(|| format!("writing {}", gt_path.display()))?;
    gt_file.flush().with_context(|| format!("writing {}", gt_path.display()))?;
    outputs.push("ground_truth.csv".to_string());

    for (dir, owned) in [
        ("groups", is_owned_group_file as fn(&str) -> bool),
        ("signin", is_owned_signin_file),
        ("zoom", is_owned_zoom_file),
    ] {
        let prefix = format!("{dir}/");
        let keep: BTreeSet<String> = outputs
            .iter()
            .filter_map(|rel| rel.strip_prefix(&prefix).map(str::to_string))
            .collect();
        remove_stale(&out.join(dir), &keep, owned)?;
    }
    let files = outputs.iter().map(|rel| out.join(rel)).collect();
    Ok(DemoSummary {
        people: people.len(),
        files,
        records: truth.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn small() -> DemoOptions {
        DemoOptions {
            people: 400,
            weeks: 8,
            seed: 11,
            chatter: 0,
        }
    }

    fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                    out.insert(rel, std::fs::read(e.path()).unwrap());
                }
            }
        }
        out
    }

    #[test]
    fn same_options_same_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sa = generate(a.path(), &small()).unwrap();
        let sb = generate(b.path(), &small()).unwrap();
        assert_eq!(sa.records, sb.records);
        let ta = read_tree(a.path());
        let tb = read_tree(b.path());
        assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
        for (k, v) in &ta {
            assert!(v == &tb[k], "{k} differs between runs");
        }
        // Regenerating in place replaces, and a shorter campaign leaves no stale sheets behind.
        let again = generate(a.path(), &DemoOptions { weeks: 4, ..small() }).unwrap();
        let tree = read_tree(a.path());
        assert_eq!(tree.len(), again.files.len());
        // A different seed gives different data.
        let c = tempfile::tempdir().unwrap();
        generate(c.path(), &DemoOptions { seed: 12, ..small() }).unwrap();
        assert_ne!(read_tree(c.path())["spoke/messages.csv"], tb["spoke/messages.csv"]);
    }

    #[test]
    fn chatter_adds_group_messages_and_leaves_the_story_alone() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let quiet = generate(a.path(), &small()).unwrap();
        let chatty = generate(b.path(), &DemoOptions { chatter: 3, ..small() }).unwrap();
        let (ta, tb) = (read_tree(a.path()), read_tree(b.path()));
        assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
        for (k, v) in &ta {
            if k.starts_with("groups/") {
                assert!(tb[k].len() > v.len(), "{k}: chatter makes every store's chat longer");
            } else if k != "ground_truth.csv" {
                assert!(v == &tb[k], "{k}: only the group chats change");
            }
        }
        // Every added record is a message in a group chat, and each one is in the ground truth.
        let truth_rows = |t: &BTreeMap<String, Vec<u8>>, groups: bool| {
            String::from_utf8(t["ground_truth.csv"].clone())
                .unwrap()
                .lines()
                .skip(1)
                .filter(|l| l.starts_with("groups/") == groups)
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(truth_rows(&ta, false), truth_rows(&tb, false));
        let added = chatty.records - quiet.records;
        assert_eq!(truth_rows(&tb, true).len() - truth_rows(&ta, true).len(), added);
        assert!(added > quiet.records / 2, "{added} messages added to {} records", quiet.records);
    }

    /// Decodes a data file the way a tolerant reader would, returning (delimiter, text).
    fn decode(bytes: &[u8]) -> (u8, String) {
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => s.trim_start_matches('\u{FEFF}').to_string(),
            Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
        };
        let header = text.lines().next().unwrap_or("");
        let delim = if header.contains(';') && !header.contains(',') {
            b';'
        } else {
            b','
        };
        (delim, text)
    }

    /// Physical lines (1-based) where CSV records start, skipping the first `skip` lines and
    /// all-empty records.
    fn csv_record_lines(text: &str, delim: u8, skip: usize) -> Vec<u64> {
        let offset: usize = text.split_inclusive('\n').take(skip).map(str::len).sum();
        let body = &text[offset..];
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .flexible(true)
            .from_reader(body.as_bytes());
        let mut lines = Vec::new();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            // csv's own line count is off by one after CRLF terminators, so count from the
            // byte offset, skipping the terminator it may point at.
            let mut at_ = rec.position().unwrap().byte() as usize;
            while matches!(body.as_bytes().get(at_), Some(b'\r' | b'\n')) {
                at_ += 1;
            }
            lines.push((1 + skip + body.as_bytes()[..at_].iter().filter(|&&c| c == b'\n').count()) as u64);
        }
        lines
    }

    /// The body of a WhatsApp line that opens a record (after its timestamp), or `None` for a
    /// continuation line.
    fn wa_body(line: &str) -> Option<&str> {
        let l = line.trim_start_matches('\u{200e}').trim_end_matches('\r');
        let (stamp, body, fmt) = match l.strip_prefix('[') {
            Some(rest) => {
                let (st, b) = rest.split_once("] ")?;
                (st.to_string(), b, "%m/%d/%y, %I:%M:%S %p")
            }
            None => {
                let (st, b) = l.split_once(" - ")?;
                (st.replace('\u{202f}', " "), b, "%m/%d/%y, %I:%M %p")
            }
        };
        chrono::NaiveDateTime::parse_from_str(&stamp, fmt).ok().map(|_| body)
    }

    /// Ground-truth rows a WhatsApp record carries: one per person it is about.
    fn wa_persons(body: &str) -> usize {
        let text = match body.split_once(": \u{200e}") {
            Some((_, t)) => t,
            None => body,
        };
        if text.contains("end-to-end encrypted")
            || text.ends_with(" added you")
            || text.ends_with("changed this group's icon")
            || text.ends_with("changed the group description")
        {
            return 0;
        }
        if text.starts_with("Dana (organizer) added ")
            || text.starts_with("Marcus (organizer) added ")
            || text.starts_with("Luz (organizer) added ")
            || text.starts_with("Ewa (organizer) added ")
            || text.starts_with("Aisha (organizer) added ")
            || text.starts_with("Hoa (organizer) added ")
        {
            let list = text.split_once(" added ").unwrap().1;
            return list.split(", ").map(|p| p.split(" and ").count()).sum();
        }
        1
    }

    fn zip_member(bytes: &[u8], name: &str) -> Vec<u8> {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        z.by_name(name).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn ground_truth_covers_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(dir.path(), &small()).unwrap();
        let gt = std::fs::read_to_string(dir.path().join("ground_truth.csv")).unwrap();
        let mut truth: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut rdr = csv::Reader::from_reader(gt.as_bytes());
        let mut n = 0;
        for rec in rdr.records() {
            let rec = rec.unwrap();
            truth.entry(rec[0].to_string()).or_default().push(rec[1].parse().unwrap());
            assert!(rec[2].starts_with('p') && rec[2].len() == 6);
            assert!(matches!(&rec[3], "member" | "organizer"));
            n += 1;
        }
        assert_eq!(n, summary.records);
        let (mut files, mut chats, mut zooms) = (0, 0, 0);
        for path in &summary.files {
            let rel = path.strip_prefix(dir.path()).unwrap().to_string_lossy().replace('\\', "/");
            if rel == "ground_truth.csv" {
                continue;
            }
            files += 1;
            let bytes = std::fs::read(path).unwrap();
            let (key, lines) = if rel.starts_with("groups/") {
                // A WhatsApp export: every record opening line, once per person it names.
                chats += 1;
                let (key, text) = if rel.ends_with(".zip") {
                    let member = zip_member(&bytes, "_chat.txt");
                    (format!("{rel}!_chat.txt"), String::from_utf8(member).unwrap())
                } else {
                    (rel.clone(), String::from_utf8(bytes).unwrap())
                };
                let mut lines = Vec::new();
                for (i, line) in text.split('\n').enumerate() {
                    if let Some(body) = wa_body(line) {
                        lines.extend(std::iter::repeat_n(i as u64 + 1, wa_persons(body)));
                    }
                }
                (key, lines)
            } else if rel.starts_with("zoom/") {
                // Preamble (header, summary row, blank row), then the participant table.
                zooms += 1;
                let text = String::from_utf8(bytes).unwrap();
                assert_eq!(text.split('\n').nth(2), Some(""));
                assert!(text.split('\n').nth(3).unwrap().starts_with("Name (Original Name),"));
                (rel.clone(), csv_record_lines(&text, b',', 3))
            } else {
                let (delim, text) = decode(&bytes);
                (rel.clone(), csv_record_lines(&text, delim, 0))
            };
            let mut expected = truth.remove(&key).unwrap_or_default();
            expected.sort();
            assert!(!lines.is_empty(), "{key} has no records");
            assert_eq!(lines, expected, "{key}");
        }
        assert!(truth.is_empty(), "truth for files not written: {:?}", truth.keys());
        assert!(files > 8);
        assert_eq!(chats, STORES.len());
        assert!(zooms >= 2);
    }

    #[test]
    fn default_output_is_small_and_has_every_variant() {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(dir.path(), &DemoOptions::default()).unwrap();
        assert_eq!(summary.people, 3000);
        let total: u64 = summary.files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
        assert!(total < 6 * 1024 * 1024, "{total} bytes");
        let tree = read_tree(dir.path());
        let sheets: Vec<(&String, &Vec<u8>)> = tree.iter().filter(|(k, _)| k.starts_with("signin/")).collect();
        let bom = sheets.iter().filter(|(_, b)| b.starts_with("\u{FEFF}".as_bytes())).count();
        let cp1252 = sheets.iter().filter(|(_, b)| std::str::from_utf8(b).is_err()).count();
        let semi = sheets.iter().filter(|(_, b)| b.starts_with(b"Name;Phone")).count();
        let trailing = sheets
            .iter()
            .filter(|(_, b)| b.starts_with(b"Name,Phone,Email,Date,Meeting,,"))
            .count();
        assert_eq!((bom, cp1252, semi, trailing), (1, 1, 1, 1));
        let (_, b) = sheets.iter().find(|(_, b)| std::str::from_utf8(b).is_err()).unwrap();
        let text = encoding_rs::WINDOWS_1252.decode(b).0;
        assert!(text.chars().any(|c| "áéíóúñÁÉÍÓÚÑ".contains(c)));
        let spoke = &tree["spoke/messages.csv"];
        assert!(spoke.windows(2).any(|w| w == b"\r\n"));
        let gt = std::str::from_utf8(&tree["ground_truth.csv"]).unwrap();
        assert!(gt.contains(",organizer\n"));

        // WhatsApp: Android text exports and iOS zips, each with its quirks.
        let android = std::str::from_utf8(&tree["groups/WhatsApp Chat with Store 12 Halsted workers.txt"]).unwrap();
        assert!(android.starts_with("6/29/26, 9:00\u{202f}AM - Messages and calls are end-to-end encrypted. No one outside of this chat"));
        assert!(android
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(" - Dana (organizer) created group \"Store 12 Halsted workers\""));
        let ios = String::from_utf8(zip_member(&tree["groups/WhatsApp Chat - Store 44 Cicero workers.zip"], "_chat.txt")).unwrap();
        assert!(ios.starts_with("[6/29/26, 9:06:00 AM] Store 44 Cicero workers: \u{200e}Messages and calls"));
        assert!(ios.contains("\r\n") && ios.contains(": \u{200e}image omitted"));
        assert!(ios.contains("\u{202a}+1 ("));
        let mut all = String::new();
        for (k, v) in &tree {
            if k.ends_with(".txt") {
                all.push_str(std::str::from_utf8(v).unwrap());
            } else if k.ends_with(".zip") {
                all.push_str(&String::from_utf8(zip_member(v, "_chat.txt")).unwrap());
            }
        }
        for needle in [
            "<Media omitted>",
            " joined using this group's invite link",
            " left\n",
            " (organizer) removed ",
            "~\u{202f}",
            "This message was deleted",
        ] {
            assert!(all.contains(needle), "no {needle:?} in the chats");
        }
        // Adds of several people at once, both list shapes.
        let adds: Vec<&str> = all.lines().filter(|l| l.contains(" (organizer) added ")).collect();
        assert!(adds.iter().any(|l| l.contains(" and ")));
        assert!(adds.iter().any(|l| l.contains(", ")));
        // A continuation line that looks like a date.
        assert!(all.contains("\n7/14 close\n") || all.contains("\r\n7/14 close\r\n"));
        // Unsaved contacts (shown by number) are a large minority of members who post.
        let mut authors = BTreeSet::new();
        for l in all.lines() {
            if let Some(body) = wa_body(l) {
                let author = body.split_once(": ").map(|(a, _)| a);
                if let Some(a) = author.filter(|a| !a.contains("(organizer)") && !a.starts_with("Store ")) {
                    authors.insert(a.trim_matches(['\u{202a}', '\u{202c}']).to_string());
                }
            }
        }
        let phones = authors.iter().filter(|a| a.starts_with("+1 (")).count() as f64;
        let share = phones / authors.len() as f64;
        assert!((0.3..0.5).contains(&share), "{share} of authors shown by number");

        // Zoom: preamble, guests without email, rejoins, the host.
        let zoom: Vec<(&String, &Vec<u8>)> = tree.iter().filter(|(k, _)| k.starts_with("zoom/")).collect();
        assert!(zoom.len() >= 7, "{} Zoom reports", zoom.len());
        let mut rejoins = 0;
        for (k, v) in &zoom {
            assert!(k.starts_with("zoom/participants_815274396_2026-") && k.ends_with(".csv"));
            let t = std::str::from_utf8(v).unwrap();
            assert!(t.starts_with(
                "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n815 274 396,All-stores Zoom check-in,"
            ));
            let rows: Vec<&str> = t.lines().skip(4).collect();
            assert!(rows.iter().any(|r| r.ends_with(",No") && r.contains("@northsideworkers.org")));
            let names: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
            let unique: BTreeSet<&str> = names.iter().copied().collect();
            rejoins += names.len() - unique.len();
        }
        assert!(rejoins > 0);
        let last = std::str::from_utf8(zoom.last().unwrap().1).unwrap();
        assert!(last.lines().skip(4).any(|r| r.contains(",,") && r.ends_with(",Yes")));
        assert!(last.contains(" PM,"));
        let mobilize = std::str::from_utf8(&tree["mobilize/participations.csv"]).unwrap();
        assert!(mobilize.contains(",605200,All-stores Zoom check-in,MEETING,"));
    }

    #[test]
    fn ladder_rates_are_plausible() {
        let opts = DemoOptions::default();
        let camp = Campaign::new(&opts);
        let people = build_people(&opts, &camp);
        let members: Vec<&Person> = people.iter().filter(|p| p.org.is_none()).collect();
        let in_group: Vec<&&Person> = members.iter().filter(|p| p.group.is_some()).collect();
        let posted = in_group.iter().filter(|p| !p.group.as_ref().unwrap().messages.is_empty()).count();
        let rate = posted as f64 / in_group.len() as f64;
        assert!((0.3..0.5).contains(&rate), "posting rate {rate}");
        let rsvps = members.iter().filter(|p| !p.rsvps.is_empty()).count() as f64 / members.len() as f64;
        assert!((0.05..0.25).contains(&rsvps), "rsvp rate {rsvps}");
        let attenders = members.iter().filter(|p| !p.attended.is_empty()).count();
        let back = members.iter().filter(|p| p.attended.len() >= 2).count();
        assert!(attenders > 100, "{attenders} attenders");
        assert!(back * 5 > attenders && back * 5 < attenders * 4, "{back} of {attenders} came back");
        for p in &people {
            for &m in &p.attended {
                assert!(camp.meetings[m].start < camp.cutoff);
                assert_eq!(camp.meetings[m].store, p.store);
            }
        }
    }
}
