//! Ingest throughput of the CSV-based tool readers against a plain CSV read floor.
//!
//! Generates, in a temporary folder, a Spoke messages export (~2M texts, CRLF, quoted texts
//! with commas, quotes and line breaks, some undelivered and some STOP replies) and a Mailchimp
//! subscribed-members export (~500k members, every standard column), writes one pipeline per
//! tool, and times `turnout::ingest::ingest` on each (median of 3 runs) against polars reading
//! the same file into a DataFrame (median of 3) — the floor for "reading a CSV at all".
//!
//! Run: `cargo run --release --example bench_ingest_csv_tools [SPOKE_ROWS] [MAILCHIMP_ROWS]`
//! (defaults 2000000 and 500000). Figures are for this machine; compare tools within one run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use polars::prelude::*;

/// A small deterministic generator (SplitMix64): the same files on every run.
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

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Rosa", "Bob", "Lupe", "Ana", "Joe", "Kim", "Sam", "Marisol", "Tom", "José", "Zoë", "Priya", "DeShawn", "Mei",
];
const LAST: &[&str] = &[
    "Martinez", "Kowalski", "Reyes", "Diaz", "Park", "Lee", "Vega", "Ng", "Núñez", "Brandt", "Okafor", "Nguyen",
];
const OUTBOUND: &[&str] = &[
    "Hi {}, it's Dana with the Store 12 committee. Can you make Thursday's meeting at 6?",
    "Hey {}! We're meeting about the schedule changes, back room, Thursday 6pm. Will you come?",
    "{}, quick reminder: the \"fair schedules\" meeting is tomorrow at 6. Reply YES if you can make it.",
    "Hola {}, soy Dana del comité. ¿Puedes venir a la reunión del jueves a las 6?",
];
const REPLIES: &[&str] = &[
    "Yes! I'll be there",
    "yes",
    "Can't make it, working a double, sorry",
    "What time again?",
    "Who is this?",
    "STOP",
    "Sí, ahí estaré",
    "maybe, depends on my shift\nI'll text you Thursday",
    "ok 👍",
];

/// Seconds since the epoch as Spoke writes it: `2026-07-06T15:04:05.123Z`.
fn iso_ms(secs: i64, ms: u64) -> String {
    let t = chrono::DateTime::from_timestamp(secs, 0).expect("in range");
    format!("{}.{:03}Z", t.format("%Y-%m-%dT%H:%M:%S"), ms)
}

fn mailchimp_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .expect("in range")
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A Spoke messages export of about `rows` texts; returns the rows written.
fn write_spoke(path: &Path, rows: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(7);
    write!(
        w,
        "campaign_contact_id,campaign_id,user_number,contact_number,is_from_contact,send_status,attempted_at,text,error_code\r\n"
    )?;
    let start = 1_782_000_000i64; // mid 2026
    let mut written = 0u64;
    let mut contact = 100_000u64;
    while written < rows {
        contact += 1;
        let campaign = 7 + contact % 5;
        let texter = format!("+1312555{:04}", rng.below(40));
        let cell = format!("+1{}{:07}", 312 + rng.below(600), contact % 10_000_000);
        let name = rng.pick(FIRST);
        let mut t = start + (contact as i64 % 200_000) * 9 + rng.below(600) as i64;
        // the first text; 3% never delivered
        let status = match rng.below(100) {
            0 => "ERROR",
            1 => "QUEUED",
            2 => "NOT_ATTEMPTED",
            3..=40 => "SENT",
            _ => "DELIVERED",
        };
        let text = rng.pick(OUTBOUND).replace("{}", name);
        let code = if status == "ERROR" { "30007" } else { "" };
        write!(
            w,
            "{contact},{campaign},{texter},{cell},false,{status},{},{},{code}\r\n",
            iso_ms(t, rng.below(1000)),
            csv_quote(&text)
        )?;
        written += 1;
        // a conversation: replies and follow-ups, about 2 more texts on average
        let turns = rng.below(5);
        for turn in 0..turns {
            if written >= rows {
                break;
            }
            t += 60 + rng.below(7200) as i64;
            let from_contact = turn % 2 == 0;
            let (status, text) = if from_contact {
                ("DELIVERED", rng.pick(REPLIES).to_string())
            } else {
                ("DELIVERED", format!("Thanks {name}! See you there, bring a coworker if you can."))
            };
            write!(
                w,
                "{contact},{campaign},{texter},{cell},{from_contact},{status},{},{},\r\n",
                iso_ms(t, rng.below(1000)),
                csv_quote(&text)
            )?;
            written += 1;
        }
    }
    w.flush()?;
    Ok(written)
}

/// A Mailchimp subscribed-members export of `rows` members.
fn write_mailchimp(path: &Path, rows: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(11);
    write!(
        w,
        "\"Email Address\",\"First Name\",\"Last Name\",\"Phone Number\",Worksite,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS\r\n"
    )?;
    let start = 1_600_000_000i64;
    for i in 0..rows {
        let first = rng.pick(FIRST);
        let last = rng.pick(LAST);
        let email = format!("{}.{}{}@example.org", first.to_lowercase(), last.to_lowercase(), i);
        let phone = if rng.below(3) == 0 {
            format!("\"(312) 555-{:04}\"", i % 10_000)
        } else {
            String::new()
        };
        let optin = start + (i as i64) * 150 + rng.below(100) as i64;
        let (optin_s, confirm_s) = match rng.below(10) {
            0 => (String::new(), format!("\"{}\"", mailchimp_time(optin + 40))),
            _ => (
                format!("\"{}\"", mailchimp_time(optin)),
                format!("\"{}\"", mailchimp_time(optin + 40)),
            ),
        };
        let notes = if rng.below(50) == 0 {
            "\"met at the rally, wants a call\""
        } else {
            ""
        };
        let tags = match rng.below(4) {
            0 => "\"\"\"retail\"\",\"\"store-12\"\"\"",
            1 => "retail",
            _ => "",
        };
        write!(
            w,
            "{email},{first},{last},{phone},\"Store {}\",{},{optin_s},203.0.113.{},{confirm_s},198.51.100.{},41.8{},-87.6{},-6,-5,America/Chicago,US,IL,\"{}\",{},{:010x},{notes},{tags}\r\n",
            1 + i % 40,
            1 + rng.below(5),
            rng.below(255),
            rng.below(255),
            rng.below(10),
            rng.below(10),
            mailchimp_time(optin + 86_400),
            100_000_000 + i,
            rng.next() & 0xff_ffff_ffff,
        )?;
    }
    w.flush()?;
    Ok(rows)
}

fn pipeline(dir: &Path, name: &str, tool: &str, file: &str) -> PathBuf {
    let toml = format!(
        r#"[pipeline]
name = "{name}"
timezone = "America/Chicago"
attributes = ["worksite"]

[[source]]
name = "{name}"
tool = "{tool}"
path = "{file}"

[[funnel]]
name = "f"
window = "30d"
stages = [{{ name = "a", when = {{ action = "text_sent" }} }}]
"#
    );
    let p = dir.join("pipelines").join(format!("{name}.toml"));
    std::fs::create_dir_all(p.parent().expect("has a parent")).expect("create pipelines/");
    std::fs::write(&p, toml).expect("write the pipeline");
    p
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

struct Timing {
    turnout: Duration,
    polars: Duration,
    events: usize,
    polars_rows: usize,
}

fn time_tool(pipeline_path: &Path, file: &Path) -> Timing {
    let plan = turnout::config::load(pipeline_path).unwrap_or_else(|e| panic!("{e}"));
    let mut turnout_runs = Vec::new();
    let mut events = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let out = turnout::ingest::ingest(&plan).unwrap_or_else(|e| panic!("{e}"));
        turnout_runs.push(t.elapsed());
        events = out.events.len();
        drop(out);
    }
    let mut polars_runs = Vec::new();
    let mut polars_rows = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(file.to_path_buf()))
            .and_then(|r| r.finish())
            .unwrap_or_else(|e| panic!("polars cannot read {}: {e}", file.display()));
        polars_runs.push(t.elapsed());
        polars_rows = df.height();
    }
    Timing {
        turnout: median(turnout_runs),
        polars: median(polars_runs),
        events,
        polars_rows,
    }
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let spoke_rows = args.first().copied().unwrap_or(2_000_000);
    let mailchimp_rows = args.get(1).copied().unwrap_or(500_000);
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("create data/");

    let spoke_file = data.join("spoke-messages.csv");
    let mailchimp_file = data.join("subscribed_members_export_bench.csv");
    let t = Instant::now();
    let spoke_n = write_spoke(&spoke_file, spoke_rows).expect("write the Spoke export");
    let mailchimp_n = write_mailchimp(&mailchimp_file, mailchimp_rows).expect("write the Mailchimp export");
    eprintln!("generated the exports in {:.1}s", t.elapsed().as_secs_f64());

    println!(
        "{:<10} {:>9} {:>8} {:>9} {:>11} {:>9} {:>11} {:>9} {:>8}",
        "tool", "rows", "MB", "turnout_s", "rows/s", "MB/s", "polars_s", "MB/s", "ratio"
    );
    for (tool, file, rows) in [("spoke", &spoke_file, spoke_n), ("mailchimp", &mailchimp_file, mailchimp_n)] {
        let p = pipeline(
            tmp.path(),
            tool,
            tool,
            &format!("data/{}", file.file_name().unwrap().to_string_lossy()),
        );
        let mb = std::fs::metadata(file).expect("the export exists").len() as f64 / 1e6;
        let t = time_tool(&p, file);
        let (ts, ps) = (t.turnout.as_secs_f64(), t.polars.as_secs_f64());
        println!(
            "{:<10} {:>9} {:>8.1} {:>9.2} {:>11.0} {:>9.1} {:>11.2} {:>9.1} {:>7.1}x",
            tool,
            rows,
            mb,
            ts,
            rows as f64 / ts,
            mb / ts,
            ps,
            mb / ps,
            ts / ps
        );
        eprintln!("  {tool}: {} events from turnout, {} rows read by polars", t.events, t.polars_rows);
    }
}
