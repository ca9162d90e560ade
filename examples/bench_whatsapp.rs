//! Throughput of the WhatsApp reader: `cargo run --release --example bench_whatsapp [MB]`.
//!
//! Generates a realistic Android export (English, US 12-hour clock, `M/D/YY, H:MM AM - `) of at
//! least 200 MB (or the size given) in a temp folder: ~400 members (saved names, unsaved phone
//! numbers, a few `~ PushName`s), messages of varied length, ~8% spanning several lines (some
//! continuation lines looking like dates or list items), media and deleted placeholders, and
//! system lines (joins, adds, leaves, removals, subject changes). Builds a Plan from a pipeline
//! file in that folder, runs the parser on the file three times and prints the median MB/s.

use std::fmt::Write as _;
use std::time::Instant;

use turnout::config;
use turnout::ingest::{self, Input, Sink};
use turnout::schema::Tool;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Rosa", "Bob", "Lupe", "Dana", "Marcus", "Aisha", "Tom", "Keisha", "Luis", "Mei", "Jorge", "Fatima", "Sam", "Priya", "Ana", "Kevin",
    "Tasha", "Omar", "Jen", "Carlos",
];
const LAST: &[&str] = &[
    "Martinez", "K", "Nguyen", "Smith", "Johnson", "Okafor", "Lee", "Garcia", "Brown", "Patel", "Store 12", "(night)", "Walker",
];
const WORDS: &[&str] = &[
    "meeting",
    "Thursday",
    "the",
    "break room",
    "manager",
    "schedule",
    "hours",
    "cut",
    "again",
    "we",
    "need",
    "to",
    "talk",
    "about",
    "it",
    "union",
    "card",
    "sign",
    "petition",
    "who",
    "is",
    "coming",
    "tonight",
    "shift",
    "overtime",
    "pay",
    "raise",
    "safety",
    "heat",
    "👍",
    "🙏",
    "✊",
    "lol",
    "ok",
    "yes",
    "no",
    "maybe",
    "see",
    "you",
    "there",
    "at",
    "6",
    "PM",
    "store",
];

/// Member `i`'s display name: an unsaved number, a push name or a saved contact.
fn author(i: u64) -> String {
    let mut r = Rng(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    match i % 10 {
        0 | 1 => format!("+1 (312) 555-{:04}", i % 10_000),
        2 => format!("~\u{202f}{}", r.pick(FIRST)),
        _ => format!("{} {}", r.pick(FIRST), r.pick(LAST)),
    }
}

fn sentence(rng: &mut Rng, out: &mut String) {
    let n = 2 + rng.below(22);
    for k in 0..n {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(WORDS));
    }
}

/// Writes an export of at least `target` bytes.
fn generate(target: usize) -> String {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let members: Vec<String> = (0..400).map(author).collect();
    let mut s = String::with_capacity(target + 4096);
    s.push_str("1/1/20, 9:00 AM - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n");
    s.push_str("1/1/20, 9:00 AM - Dana Store 12 created group \"Store 12 Crew\"\n");
    let mut day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let mut minute = 9 * 60u32;
    use chrono::Datelike;
    while s.len() < target {
        minute += rng.below(4) as u32;
        if minute >= 24 * 60 {
            minute = 7 * 60 + rng.below(120) as u32;
            day = day.succ_opt().unwrap();
        }
        let (h24, m) = (minute / 60, minute % 60);
        let (h12, ap) = match h24 {
            0 => (12, "AM"),
            1..=11 => (h24, "AM"),
            12 => (12, "PM"),
            _ => (h24 - 12, "PM"),
        };
        let _ = write!(s, "{}/{}/{}, {}:{:02} {} - ", day.month(), day.day(), day.year() % 100, h12, m, ap);
        let who = &members[rng.below(members.len() as u64) as usize];
        let roll = rng.below(1000);
        if roll < 4 {
            let _ = writeln!(s, "{who} joined using this group's invite link");
        } else if roll < 7 {
            let other = &members[rng.below(members.len() as u64) as usize];
            let third = &members[rng.below(members.len() as u64) as usize];
            let _ = writeln!(s, "Dana Store 12 added {other} and {third}");
        } else if roll < 9 {
            let _ = writeln!(s, "{who} left");
        } else if roll < 10 {
            let _ = writeln!(s, "Dana Store 12 removed {who}");
        } else if roll < 11 {
            let _ = writeln!(
                s,
                "Dana Store 12 changed the subject from \"Store 12 Crew\" to \"Store 12 Crew ✊\""
            );
        } else {
            s.push_str(who);
            s.push_str(": ");
            if roll < 60 {
                s.push_str("<Media omitted>");
            } else if roll < 70 {
                s.push_str("This message was deleted");
            } else {
                sentence(&mut rng, &mut s);
                if roll > 920 {
                    for _ in 0..1 + rng.below(3) {
                        s.push('\n');
                        match rng.below(4) {
                            0 => s.push_str("12/05 meeting moved"),
                            1 => s.push_str("3. Bring your badge"),
                            _ => sentence(&mut rng, &mut s),
                        }
                    }
                }
            }
            s.push('\n');
        }
    }
    s
}

fn main() {
    let mb: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let text = generate(mb << 20);
    let file = dir.path().join("data/WhatsApp Chat with Store 12 Crew.txt");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &text).unwrap();
    let size = text.len();
    drop(text);
    eprintln!("generated {:.1} MB in {:.1} s", size as f64 / 1e6, t.elapsed().as_secs_f64());

    let pipeline = dir.path().join("pipelines/bench.toml");
    std::fs::create_dir_all(pipeline.parent().unwrap()).unwrap();
    std::fs::write(
        &pipeline,
        r#"[pipeline]
name = "bench"
timezone = "America/Chicago"
default_region = "US"

[[source]]
name = "store-groups"
tool = "whatsapp"
path = "data/*.txt"
organizers = ["Dana Store 12"]

[[funnel]]
name = "f"
window = "30d"
stages = [{ name = "spoke", when = { action = "message_sent" } }]
"#,
    )
    .unwrap();
    let plan = config::load(&pipeline).unwrap_or_else(|e| panic!("{e}"));
    let source = &plan.sources[0];
    let parser = ingest::parser_for(Tool::Whatsapp).expect("whatsapp parser ready");
    let bytes = std::fs::read(&file).unwrap();

    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let mut rates = Vec::new();
    for run in 1..=runs {
        let input = Input {
            plan: &plan,
            source,
            path: &file,
            shown: "data/WhatsApp Chat with Store 12 Crew.txt".to_string(),
            bytes: &bytes,
        };
        let mut sink = Sink::new(source, &input.shown, &bytes);
        let t = Instant::now();
        parser.parse(&input, &mut sink).unwrap_or_else(|d| panic!("{d}"));
        let secs = t.elapsed().as_secs_f64();
        let rate = size as f64 / 1e6 / secs;
        eprintln!(
            "run {run}: {:.2} s, {rate:.0} MB/s — rows {}, events {}, skipped {}, quarantined {}",
            secs, sink.stats.rows, sink.stats.events, sink.stats.skipped, sink.stats.quarantined
        );
        if run == 1 {
            for (k, v) in &sink.stats.notes {
                eprintln!("  note {k}: {v}");
            }
        }
        rates.push(rate);
        // Free this run's events before timing the next, and let the allocator tidy the millions
        // of small blocks now (glibc merges them on the next large allocation, which would
        // otherwise land inside the next timed run; ingest itself never frees events between
        // files, so that cost is the benchmark's, not the reader's).
        let t = Instant::now();
        drop(sink);
        drop(std::hint::black_box(Vec::<u8>::with_capacity(64 << 10)));
        eprintln!("  (freeing the events took {:.2} s, not counted)", t.elapsed().as_secs_f64());
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "whatsapp: {:.0} MB/s (median of {runs} run(s) over {:.0} MB, one core)",
        rates[rates.len() / 2],
        size as f64 / 1e6
    );
}
