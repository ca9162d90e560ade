//! Ingest throughput of the CSV-based tool readers against a plain CSV read floor.
//!
//! Generates, in a temporary folder, a Spoke messages export (~2M texts, CRLF, quoted texts
//! with commas, quotes and line breaks, some undelivered and some STOP replies) and a Mailchimp
//! subscribed-members export (~500k members, every standard column), writes one pipeline per
//! tool, and times `turnout::ingest::ingest` on each (median of 3 runs) against polars reading
//! the same file into a DataFrame (median of 3) — the floor for "reading a CSV at all".
//!
//! Also Mobilize, VAN, Eventbrite, Action Network and Zoom exports of OTHER_ROWS rows each.
//!
//! Run: `cargo run --release --example bench_ingest_csv_tools [SPOKE_ROWS] [MAILCHIMP_ROWS]
//! [OTHER_ROWS]` (defaults 2000000, 500000, 500000). Figures are for this machine; compare tools within one run.

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

/// Writes `rows` data rows after `header`, each made by `row(rng, i)`.
fn write_rows(path: &Path, header: &str, rows: u64, mut row: impl FnMut(&mut Rng, u64) -> String) -> std::io::Result<u64> {
    let mut w = BufWriter::new(File::create(path)?);
    let mut rng = Rng(path.to_string_lossy().len() as u64 * 7919);
    writeln!(w, "{header}")?;
    for i in 0..rows {
        writeln!(w, "{}", row(&mut rng, i))?;
    }
    w.flush()?;
    Ok(rows)
}

const START: i64 = 1_782_691_200; // 2026-06-29 00:00 UTC

fn us_date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%m/%d/%Y").to_string())
        .unwrap_or_default()
}

fn phone(rng: &mut Rng) -> String {
    format!("(312) {}-{:04}", 200 + rng.below(700), rng.below(10_000))
}

fn write_mobilize(path: &Path, rows: u64) -> std::io::Result<u64> {
    write_rows(
        path,
        "id,created_date,modified_date,event_id,event_title,event_type,timeslot_id,timeslot_start_date,timeslot_end_date,status,attended,given_name,family_name,email_address,phone_number,postal_code,utm_source,utm_medium,utm_campaign,utm_term,utm_content",
        rows,
        |rng, i| {
            let slot = rng.below(400);
            let start = START + slot as i64 * 86_400 / 4;
            let created = start - rng.below(20 * 86_400) as i64;
            let status = ["REGISTERED", "CONFIRMED", "CANCELLED"][rng.below(3) as usize];
            let attended = ["true", "false", ""][rng.below(3) as usize];
            let (f, l) = (rng.pick(FIRST), rng.pick(LAST));
            let t = |s: i64| chrono::DateTime::from_timestamp(s - 5 * 3600, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%S-05:00").to_string()).unwrap_or_default();
            format!("{},{},{},{},Store {} workers meeting,MEETING,{},{},{},{status},{attended},{f},{l},{}.{}{}@example.org,{},606{:02},sms,sms,northside,,", 9_000_000 + i, t(created), t(created + 60), 605_100 + slot % 40, slot % 40, 8_100_000 + slot, t(start), t(start + 5400), f.to_lowercase(), l.to_lowercase(), i, phone(rng), rng.below(100))
        },
    )
}

fn write_van(path: &Path, rows: u64) -> std::io::Result<u64> {
    const STATUS: &[&str] = &[
        "Completed",
        "Walk In",
        "No Show",
        "Declined",
        "Cancelled",
        "Scheduled",
        "Sched-Web",
        "Confirmed",
        "Conf Twice",
        "Invited",
        "Left Msg",
        "Texted",
    ];
    write_rows(
        path,
        "VANID,LastName,FirstName,Email,Cell Phone,Event,Event ID,Event Date,Start Time,Role,Shift,Status,Status Date",
        rows,
        |rng, i| {
            let day = START + rng.below(120) as i64 * 86_400;
            format!(
                "{},{},{},,{},Store {} workers meeting,{},{},6:00 PM,Attendee,Main,{},{}",
                100_000 + i,
                rng.pick(LAST),
                rng.pick(FIRST),
                phone(rng),
                i % 40,
                4400 + i % 40,
                us_date(day + 13 * 86_400),
                rng.pick(STATUS),
                us_date(day)
            )
        },
    )
}

fn write_eventbrite(path: &Path, rows: u64) -> std::io::Result<u64> {
    write_rows(path, "Order #,Order Date,First Name,Last Name,Email,Quantity,Price Tier,Ticket Type,Attendee #,Group,Order Type,Currency,Total Paid,Fees Paid,Eventbrite Fees,Eventbrite Payment Processing,Attendee Status,Cell Phone", rows, |rng, i| {
        let t = START + rng.below(120 * 86_400) as i64;
        let when = chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%m/%d/%y %H:%M").to_string()).unwrap_or_default();
        let status = ["Attending", "Checked In", "Not Attending"][rng.below(3) as usize];
        format!("{},{when},{},{},a{i}@example.org,1,,General Admission,{},,Free Order,USD,0.00,0.00,0.00,0.00,{status},{}", 10_000_000_000u64 + i, rng.pick(FIRST), rng.pick(LAST), 1_450_000 + i, phone(rng))
    })
}

fn write_action_network(path: &Path, rows: u64) -> std::io::Result<u64> {
    write_rows(path, "uuid,first_name,last_name,email,zip_code,can2_phone,can2_user_address,can2_user_city,can2_user_state,can2_user_tags,can2_subscription_status,can2_sms_status,created_date,modified_date", rows, |rng, i| {
        let t = START + rng.below(120 * 86_400) as i64;
        let ts = |s: i64| chrono::DateTime::from_timestamp(s, 0).map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default();
        let status = if rng.below(10) == 0 { "unsubscribed" } else { "subscribed" };
        format!("{:08x}-0000-4000-8000-{:012x},{},{},an{i}@example.org,60608,{},,Chicago,IL,\"retail, store-{}\",{status},subscribed,{},{}", i, rng.next() & 0xffff_ffff_ffff, rng.pick(FIRST), rng.pick(LAST), phone(rng), i % 40, ts(t), ts(t + 86_400))
    })
}

fn write_zoom(path: &Path, rows: u64) -> std::io::Result<u64> {
    write_rows(
        path,
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest",
        rows,
        |rng, i| {
            let join = START + 19 * 3600 + rng.below(1800) as i64;
            let t = |s: i64| {
                chrono::DateTime::from_timestamp(s, 0)
                    .map(|t| t.format("%m/%d/%Y %I:%M:%S %p").to_string())
                    .unwrap_or_default()
            };
            // one person in five rejoins (the same email again)
            let who = if i % 5 == 4 { i - 1 } else { i };
            format!(
                "{} {},z{who}@example.org,{},{},{},No",
                rng.pick(FIRST),
                rng.pick(LAST),
                t(join),
                t(join + 3000),
                50
            )
        },
    )
}

fn pipeline(dir: &Path, name: &str, tool: &str, file: &str) -> PathBuf {
    // Exports whose dates cannot prove their day/month order by themselves are told it.
    let extra = if matches!(tool, "zoom" | "van" | "eventbrite") {
        "date_order = \"mdy\"\n"
    } else {
        ""
    };
    let toml = format!(
        r#"[pipeline]
name = "{name}"
timezone = "America/Chicago"
attributes = ["worksite"]

[[source]]
name = "{name}"
tool = "{tool}"
path = "{file}"
{extra}
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
    let other_rows = args.get(2).copied().unwrap_or(500_000);
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).expect("create data/");

    let files: Vec<(&str, PathBuf, u64)> = {
        let t = Instant::now();
        let mut v = Vec::new();
        let mut add = |tool: &'static str, name: &str, f: &dyn Fn(&Path, u64) -> std::io::Result<u64>, rows: u64| {
            let path = data.join(name);
            let n = f(&path, rows).expect("write an export");
            v.push((tool, path, n));
        };
        add("spoke", "spoke-messages.csv", &write_spoke, spoke_rows);
        add("mailchimp", "subscribed_members_export_bench.csv", &write_mailchimp, mailchimp_rows);
        add("mobilize", "mobilize-participations.csv", &write_mobilize, other_rows);
        add("van", "van-event-participants.csv", &write_van, other_rows);
        add("eventbrite", "eventbrite-attendees.csv", &write_eventbrite, other_rows);
        add("action_network", "action-network-activists.csv", &write_action_network, other_rows);
        add("zoom", "participants_815274396.csv", &write_zoom, other_rows);
        eprintln!("generated the exports in {:.1}s", t.elapsed().as_secs_f64());
        v
    };

    println!(
        "{:<14} {:>9} {:>8} {:>9} {:>11} {:>9} {:>11} {:>9} {:>8}",
        "tool", "rows", "MB", "turnout_s", "rows/s", "MB/s", "polars_s", "MB/s", "ratio"
    );
    for (tool, file, rows) in &files {
        let (tool, rows) = (*tool, *rows);
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
            "{:<14} {:>9} {:>8.1} {:>9.2} {:>11.0} {:>9.1} {:>11.2} {:>9.1} {:>7.1}x",
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
