//! Names for matching: parsed into given and family parts, compared nickname- and typo-aware.
//!
//! Takes: display names and typed names as exports write them ("~ Rosa 🌹", "MARTINEZ, Rosa",
//! "Bob K.", "Lupe deli"). Gives: [`NameParts`] (accent-folded, lower-case tokens: the given
//! name, the family name or its initial, nothing else) and [`similarity`], a score in 0..=1 with
//! what agreed. Promises: folding is for matching only (names are never rewritten in outputs);
//! the nickname table is ours, small and explicit ([`NICKNAMES`]); string similarity is
//! Jaro-Winkler from the `strsim` crate; descriptor words people add to saved contacts ("work",
//! "deli", "store 12") are not taken for family names.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// A name split for matching. Tokens are folded (no accents, lower case, ASCII where possible).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameParts {
    pub given: String,
    /// Full family name, when written.
    pub family: Option<String>,
    /// The family name's initial (`Rosa M.`), or the first letter of `family`.
    pub initial: Option<char>,
}

impl NameParts {
    /// A given name and a whole family name.
    pub fn is_full(&self) -> bool {
        self.family.is_some()
    }
}

/// Pairs of (nickname, given name), both folded. A nickname maps to every given name it is
/// short for; a given name is its own canonical form.
pub const NICKNAMES: &[(&str, &str)] = &[
    // English
    ("bob", "robert"),
    ("bobby", "robert"),
    ("rob", "robert"),
    ("robbie", "robert"),
    ("bert", "robert"),
    ("kate", "katherine"),
    ("katie", "katherine"),
    ("kathy", "katherine"),
    ("kat", "katherine"),
    ("kate", "catherine"),
    ("katie", "catherine"),
    ("cathy", "catherine"),
    ("kathy", "kathleen"),
    ("will", "william"),
    ("bill", "william"),
    ("billy", "william"),
    ("liam", "william"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth"),
    ("betty", "elizabeth"),
    ("lizzie", "elizabeth"),
    ("eliza", "elizabeth"),
    ("mike", "michael"),
    ("mikey", "michael"),
    ("mick", "michael"),
    ("jess", "jessica"),
    ("jessie", "jessica"),
    ("chris", "christopher"),
    ("chris", "christina"),
    ("chris", "christine"),
    ("tony", "anthony"),
    ("nikki", "nicole"),
    ("nicky", "nicole"),
    ("dan", "daniel"),
    ("danny", "daniel"),
    ("sam", "samantha"),
    ("sam", "samuel"),
    ("sammy", "samuel"),
    ("joe", "joseph"),
    ("joey", "joseph"),
    ("patty", "patricia"),
    ("pat", "patricia"),
    ("pat", "patrick"),
    ("trish", "patricia"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("jamie", "james"),
    ("becky", "rebecca"),
    ("becca", "rebecca"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("dave", "david"),
    ("rick", "richard"),
    ("dick", "richard"),
    ("rich", "richard"),
    ("ed", "edward"),
    ("eddie", "edward"),
    ("steve", "steven"),
    ("steve", "stephen"),
    ("matt", "matthew"),
    ("andy", "andrew"),
    ("drew", "andrew"),
    ("alex", "alexander"),
    ("alex", "alexandra"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("meg", "margaret"),
    ("maggie", "margaret"),
    ("peggy", "margaret"),
    ("sue", "susan"),
    ("debbie", "deborah"),
    ("greg", "gregory"),
    ("ben", "benjamin"),
    ("nate", "nathan"),
    ("nick", "nicholas"),
    ("ty", "tyrone"),
    ("vicky", "victoria"),
    ("tori", "victoria"),
    ("abby", "abigail"),
    ("mandy", "amanda"),
    ("larry", "lawrence"),
    ("jerry", "gerald"),
    ("terry", "terrence"),
    ("don", "donald"),
    ("ron", "ronald"),
    ("ken", "kenneth"),
    ("kenny", "kenneth"),
    ("tim", "timothy"),
    ("josh", "joshua"),
    ("zach", "zachary"),
    // Spanish
    ("mari", "maria"),
    ("pepe", "jose"),
    ("lupe", "guadalupe"),
    ("ale", "alejandra"),
    ("ale", "alejandro"),
    ("chuy", "jesus"),
    ("paco", "francisco"),
    ("pancho", "francisco"),
    ("rick", "ricardo"),
    ("ricky", "ricardo"),
    ("gaby", "gabriela"),
    ("gabi", "gabriela"),
    ("vero", "veronica"),
    ("lalo", "eduardo"),
    ("lupita", "guadalupe"),
    ("memo", "guillermo"),
    ("nacho", "ignacio"),
    ("quique", "enrique"),
    ("beto", "alberto"),
    ("beto", "roberto"),
    ("toño", "antonio"),
    ("tono", "antonio"),
    ("chema", "jose maria"),
    ("conchita", "concepcion"),
    ("lucha", "luz"),
    // Polish
    ("gosia", "malgorzata"),
    ("kasia", "katarzyna"),
    ("tomek", "tomasz"),
    ("aga", "agnieszka"),
    ("wojtek", "wojciech"),
    ("krzys", "krzysztof"),
    ("krzysiek", "krzysztof"),
    ("magda", "magdalena"),
    ("zosia", "zofia"),
    ("basia", "barbara"),
    ("ola", "aleksandra"),
    ("jurek", "jerzy"),
    ("staszek", "stanislaw"),
    // Arabic
    ("mo", "mohammed"),
    ("mo", "mohamed"),
    ("mo", "muhammad"),
    ("moe", "mohammed"),
    ("abdul", "abdullah"),
];

fn nick_map() -> &'static rustc_hash::FxHashMap<&'static str, Vec<&'static str>> {
    static MAP: OnceLock<rustc_hash::FxHashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut m: rustc_hash::FxHashMap<&'static str, Vec<&'static str>> = Default::default();
        for &(nick, full) in NICKNAMES {
            m.entry(nick).or_default().push(full);
        }
        m
    })
}

/// The given names a first name can stand for: itself and, for a nickname, the names it is
/// short for (folded).
pub fn given_forms(given: &str) -> Vec<&str> {
    let mut v = vec![given];
    if let Some(full) = nick_map().get(given) {
        v.extend(full.iter().copied());
    }
    v
}

/// Accents and special letters folded away, lower case: `Łucja Núñez` → `lucja nunez`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'ł' | 'Ł' => out.push('l'),
            'ø' | 'Ø' => out.push('o'),
            'đ' | 'Đ' => out.push('d'),
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Words people add to a saved contact or a sign-in that are not part of the name.
const DESCRIPTORS: &[&str] = &[
    "work",
    "job",
    "store",
    "deli",
    "bakery",
    "produce",
    "meat",
    "dairy",
    "frozen",
    "cashier",
    "cashiers",
    "checkout",
    "stock",
    "stocking",
    "receiving",
    "floral",
    "pharmacy",
    "night",
    "nights",
    "day",
    "days",
    "shift",
    "overnight",
    "front",
    "back",
    "end",
    "coworker",
    "cowork",
    "union",
    "mgr",
    "manager",
    "lead",
    "new",
    "old",
    "jr",
    "sr",
    "ii",
    "iii",
    "mr",
    "mrs",
    "ms",
    "dr",
    "organizer",
    "steward",
];

/// Splits a folded name (see `normalize::name`) into parts. "Last, First" is turned around;
/// descriptor words, numbers and single-letter middle initials are dropped; `None` when no
/// given name is left.
pub fn parse(name: &str) -> Option<NameParts> {
    let folded = fold(name);
    let folded = folded.trim();
    let (before, after) = match folded.split_once(',') {
        Some((a, b)) if !b.trim().is_empty() && !a.trim().is_empty() => (b.trim().to_string(), Some(a.trim().to_string())),
        _ => (folded.replace(',', " "), None),
    };
    let joined = match &after {
        Some(last) => format!("{before} {last}"),
        None => before,
    };
    let mut words: Vec<String> = Vec::new();
    for w in joined.split(|c: char| c.is_whitespace()) {
        let w: String = w.chars().filter(|c| c.is_alphanumeric() || *c == '\'' || *c == '-').collect();
        let w = w.trim_matches(|c| c == '\'' || c == '-').to_string();
        if w.is_empty() || w.chars().any(|c| c.is_ascii_digit()) || DESCRIPTORS.contains(&w.as_str()) {
            continue;
        }
        words.push(w);
    }
    let given = words.first()?.clone();
    if given.chars().count() < 2 {
        return None;
    }
    let rest = &words[1..];
    // The last word of two or more letters is the family name; a last single letter is an initial.
    let family = rest.iter().rev().find(|w| w.chars().count() >= 2).cloned();
    let initial = match (&family, rest.last()) {
        (Some(f), _) => f.chars().next(),
        (None, Some(w)) => w.chars().next(),
        (None, None) => None,
    };
    Some(NameParts { given, family, initial })
}

/// How well two names agree, in 0..=1, and whether the agreement is strong enough to be called
/// the same name when an identifier is shared (`compatible`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub score: f64,
    /// Not clearly different: the given names agree (same, nickname, or a likely typo) and the
    /// family names do not contradict each other.
    pub compatible: bool,
}

fn jw(a: &str, b: &str) -> f64 {
    match (a.is_ascii() && a.len() <= 64, b.is_ascii() && b.len() <= 64) {
        (true, true) => jaro_winkler_ascii(a.as_bytes(), b.as_bytes()),
        _ => strsim::jaro_winkler(a, b),
    }
}

/// `strsim::jaro_winkler` for ASCII texts of at most 64 bytes, step for step (the same matches,
/// transpositions and floating-point operations, so the same result to the bit), with the
/// matched positions in two words instead of a vector allocated per call. The probable-name
/// step compares names millions of times at a million members.
fn jaro_winkler_ascii(a: &[u8], b: &[u8]) -> f64 {
    let (al, bl) = (a.len(), b.len());
    let sim = if al == 0 && bl == 0 {
        1.0
    } else if al == 0 || bl == 0 {
        0.0
    } else {
        let range = (al.max(bl) / 2).saturating_sub(1);
        let (mut af, mut bf) = (0u64, 0u64);
        let mut matches = 0usize;
        for (i, &x) in a.iter().enumerate() {
            let hi = bl.min(i + range + 1);
            for j in i.saturating_sub(range)..hi {
                if x == b[j] && bf & (1 << j) == 0 {
                    af |= 1 << i;
                    bf |= 1 << j;
                    matches += 1;
                    break;
                }
            }
        }
        if matches == 0 {
            0.0
        } else {
            let mut transpositions = 0usize;
            let mut j = 0;
            for (i, &x) in a.iter().enumerate() {
                if af & (1 << i) != 0 {
                    while bf & (1 << j) == 0 {
                        j += 1;
                    }
                    if x != b[j] {
                        transpositions += 1;
                    }
                    j += 1;
                }
            }
            transpositions /= 2;
            ((matches as f64 / al as f64) + (matches as f64 / bl as f64) + ((matches - transpositions) as f64 / matches as f64)) / 3.0
        }
    };
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// Score of the given names: 1 same, 0.9 nickname of one another, the Jaro-Winkler similarity
/// when at least 0.9 (a typo), else 0.
fn given_score(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    // `given_forms(a)` and `given_forms(b)` share a name, without building either list.
    let nicks = |g: &str| nick_map().get(g).map_or(&[][..], Vec::as_slice);
    let (na, nb) = (nicks(a), nicks(b));
    if std::iter::once(a).chain(na.iter().copied()).any(|x| x == b || nb.contains(&x)) {
        return 0.9;
    }
    // Short names score 0 whatever their similarity: no need to work it out.
    if a.len().min(b.len()) < 4 {
        return 0.0;
    }
    let s = jw(a, b);
    if s >= 0.9 {
        s * 0.95
    } else {
        0.0
    }
}

/// Compares two parsed names.
///
/// Score = 0.6 × given + 0.4 × family, where family is 1 for the same family name, its
/// Jaro-Winkler similarity for a likely typo (≥ 0.9), 0.6 when only an initial is known on one
/// side and it agrees, 0.4 when one side has no family name at all, and 0 when they differ.
pub fn similarity(a: &NameParts, b: &NameParts) -> Similarity {
    let g = given_score(&a.given, &b.given);
    let (f, family_contradicts) = match (&a.family, &b.family) {
        (Some(x), Some(y)) if x == y => (1.0, false),
        (Some(x), Some(y)) => {
            let s = jw(x, y);
            if s >= 0.9 {
                (s, false)
            } else {
                (0.0, true)
            }
        }
        _ => match (a.initial, b.initial) {
            (Some(x), Some(y)) if x == y => (0.6, false),
            (Some(_), Some(_)) => (0.0, true),
            _ => (0.4, false),
        },
    };
    Similarity {
        score: 0.6 * g + 0.4 * f,
        compatible: g > 0.0 && !family_contradicts,
    }
}

/// The canonical given name for blocking: the full name a nickname stands for when there is
/// exactly one, else the name itself.
pub fn canonical_given(given: &str) -> &str {
    match nick_map().get(given) {
        Some(full) if full.len() == 1 => full[0],
        _ => given,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_jaro_winkler_is_strsims_to_the_bit() {
        // Every pair from a small alphabet (many shared letters, transpositions, repeats) and
        // from names with typos, lengths 0 to 64.
        let mut texts: Vec<String> = vec![String::new(), "a".into(), "ab".into(), "ba".into()];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize + (x % 7 == 0) as usize * 50;
            texts.push((0..len).map(|k| b"abcab"[((x >> (k % 60)) % 5) as usize] as char).collect());
        }
        for n in [
            "martinez", "martniez", "marinez", "rosa", "rosalind", "ro", "dwayne", "duane", "jon", "john", "jonathan",
        ] {
            texts.push(n.into());
        }
        texts.push("x".repeat(64));
        texts.push("xy".repeat(32));
        let mut compared = 0;
        for a in &texts {
            for b in &texts {
                let (ours, theirs) = (jaro_winkler_ascii(a.as_bytes(), b.as_bytes()), strsim::jaro_winkler(a, b));
                assert_eq!(ours.to_bits(), theirs.to_bits(), "{a:?} vs {b:?}: {ours} against strsim's {theirs}");
                compared += 1;
            }
        }
        assert!(compared > 100_000);
        // Non-ASCII and longer texts go to strsim itself.
        assert_eq!(jw("núñez", "nunez").to_bits(), strsim::jaro_winkler("núñez", "nunez").to_bits());
    }

    fn p(s: &str) -> NameParts {
        parse(&crate::identity::normalize::name(s)).expect("a name")
    }

    #[test]
    fn parses_the_forms_exports_use() {
        assert_eq!(
            p("MARTÍNEZ, Rosa"),
            NameParts {
                given: "rosa".into(),
                family: Some("martinez".into()),
                initial: Some('m')
            }
        );
        assert_eq!(p("~ Rosa M. 🌹").family, None);
        assert_eq!(p("~ Rosa M. 🌹").initial, Some('m'));
        assert_eq!(
            p("Rosa deli"),
            NameParts {
                given: "rosa".into(),
                family: None,
                initial: None
            }
        );
        assert_eq!(p("Rosa Store 12").family, None);
        assert_eq!(p("Małgorzata Wiśniewska").family.as_deref(), Some("wisniewska"));
        assert_eq!(p("rosa maria lopez").family.as_deref(), Some("lopez"));
        assert!(parse("").is_none());
        assert!(parse("12 store").is_none());
    }

    #[test]
    fn nicknames_and_typos_agree_different_names_do_not() {
        let s = similarity(&p("Bob Kowalski"), &p("Robert Kowalski"));
        assert!(s.compatible && s.score > 0.9, "{s:?}");
        let s = similarity(&p("Kate Nguyen"), &p("Katherine Nguyen"));
        assert!(s.compatible && s.score > 0.9);
        let s = similarity(&p("Lupe Hernández"), &p("Guadalupe Hernandez"));
        assert!(s.compatible && s.score > 0.9);
        // a typo on a sign-in sheet
        let s = similarity(&p("Rosa Martines"), &p("Rosa Martinez"));
        assert!(s.compatible && s.score > 0.95);
        // initials
        let s = similarity(&p("Rosa M."), &p("Rosa Martinez"));
        assert!(s.compatible && (s.score - 0.84).abs() < 1e-9);
        // first name only: compatible but weak
        let s = similarity(&p("Rosa"), &p("Rosa Martinez"));
        assert!(s.compatible && s.score < 0.8);
        // relatives sharing a phone: same family, different given names
        let s = similarity(&p("José López"), &p("María López"));
        assert!(!s.compatible);
        // same given, different family
        let s = similarity(&p("Rosa Martinez"), &p("Rosa Nowak"));
        assert!(!s.compatible);
        let s = similarity(&p("Rosa M."), &p("Rosa N."));
        assert!(!s.compatible);
    }

    #[test]
    fn blocking_key_follows_unambiguous_nicknames() {
        assert_eq!(canonical_given("bob"), "robert");
        assert_eq!(canonical_given("chris"), "chris"); // three names
        assert_eq!(canonical_given("rosa"), "rosa");
    }
}
