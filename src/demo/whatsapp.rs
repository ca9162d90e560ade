//! The store groups as real WhatsApp chat exports.
//!
//! One export per store group, "taken" at the cut-off by a steward's phone that is not in the
//! data (it shows only as `… added you`): Android exports (`WhatsApp Chat with <group>.txt`, US
//! English, `6/29/26, 9:00 AM - ` with U+202F before AM/PM, LF) for the stores in
//! [`PLATFORMS`] marked Android, iOS exports (`WhatsApp Chat - <group>.zip` holding `_chat.txt`,
//! `[6/29/26, 9:00:12 AM] `, CRLF, system notices attributed to the group with U+200E before
//! their text, phone numbers wrapped in U+202A … U+202C) for the others.
//!
//! How the exporting phone shows a person is fixed for the whole file, as WhatsApp does: a saved
//! contact's name as the steward saved it (full name, first name, nickname, `Rosa deli`…), a
//! `~ PushName` (U+202F after the tilde, sometimes an emoji) for an unsaved contact with a
//! profile name, or the formatted phone number (`+1 (312) 555-0142`) for other unsaved contacts
//! — about 40% of members. A name never comes with a phone, so a saved contact's phone is not in
//! the file. Display names are unique within a group by `identity::normalize::name` (two coworkers
//! saved as "Rosa" get told apart), because the WhatsApp reader treats a name as a handle within
//! its group. Admins show as `<Given> (organizer)`, texters as their phone numbers.
//!
//! Records: the encryption notice, `X created group "Y"`, `X added you`, icon and description
//! changes (no person: no ground truth), then messages (multi-line ones continue on the following
//! lines; media and deleted placeholders in each platform's wording), `X joined using this
//! group's invite link`, `Dana (organizer) added A, B and C` (adds within three hours are
//! batched), `X left` or `Dana (organizer) removed X`. Ground truth: the physical line where a
//! record starts; a notice naming several people has one row per person, all on its line.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::{Context, Result};
use chrono::{Datelike, Duration, Timelike};

use super::*;
use crate::identity::normalize;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Platform {
    Android,
    Ios,
}

/// The phone each store's group was exported from, in [`STORES`] order.
pub(super) const PLATFORMS: [Platform; 6] = [
    Platform::Android,
    Platform::Android,
    Platform::Ios,
    Platform::Android,
    Platform::Ios,
    Platform::Android,
];

/// The export's file, relative to the demo directory, and how its records are named in ground
/// truth (a zip's member is `archive.zip!_chat.txt`).
pub(super) fn export_names(s: usize) -> (String, String) {
    let group = STORES[s].group_name();
    match PLATFORMS[s] {
        Platform::Android => {
            let f = format!("groups/WhatsApp Chat with {group}.txt");
            (f.clone(), f)
        }
        Platform::Ios => {
            let f = format!("groups/WhatsApp Chat - {group}.zip");
            let member = format!("{f}!_chat.txt");
            (f, member)
        }
    }
}

/// Admin adds within this long of the first one are one notice (`added A, B and C`).
const ADD_BATCH: i64 = 3 * 3600;
const ADD_BATCH_MAX: usize = 4;

/// Batches admin adds: people an admin added within [`ADD_BATCH`] of one another are added
/// together, at the first one's time (their join, and entry when they entered by the group,
/// move earlier; everything else they did stays after it).
pub(super) fn batch_adds(people: &mut [Person]) {
    for s in 0..STORES.len() {
        let mut idx: Vec<usize> = (0..people.len())
            .filter(|&i| people[i].org.is_none() && people[i].group.as_ref().is_some_and(|g| g.store == s && g.added && g.join_row))
            .collect();
        idx.sort_by_key(|&i| (people[i].group.as_ref().map(|g| g.joined), i));
        let mut lead: Option<(Ts, usize)> = None;
        for i in idx {
            let p = &mut people[i];
            let Some(g) = p.group.as_mut() else { continue };
            match lead {
                Some((t, n)) if (g.joined - t).num_seconds() < ADD_BATCH && n < ADD_BATCH_MAX => {
                    g.joined = t;
                    if p.entry == Channel::Group {
                        p.entry_at = p.entry_at.min(t);
                    }
                    lead = Some((t, n + 1));
                }
                _ => lead = Some((g.joined, 1)),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What people write
// ---------------------------------------------------------------------------------------------

const CHAT_EN: &[&str] = &[
    "They cut my hours again, third week in a row",
    "Manager said \"no talking about pay on the floor\" — is that even legal?",
    "I'm in 💪",
    "What time is the meeting?",
    "Can I bring a coworker from the deli?",
    "Who else got their schedule changed without notice?",
    "Same here, I only got 22 hours this week",
    "Thanks for organizing this",
    "Is it safe to talk here? Asking for a friend 😅",
    "I work nights, will there be a meeting I can make?",
    "+1",
    "👍",
    "Count me in",
    "My paycheck was short again, anyone else?",
    "Break room AC still broken. It's 90 degrees back there",
    "Yes!!",
    "We need more people on register, the lines are crazy",
    "Just signed up for the meeting",
    "Does anyone have a ride from Cicero & 26th?",
    "I talked to 3 people in produce, they want in",
    "Who's the contact for the petition?",
    "Heard they're bringing in more part-timers, no benefits",
    "Lol same",
    "How do I add my coworker to this group?",
    "She said \"we'll see\", which means no",
    "Proud of us 🙌",
    "Is the meeting in person or zoom?",
];
/// Messages that span lines; the continuation lines can look like dates.
const CHAT_MULTILINE: &[&str] = &[
    "New schedule is up:\nI'm on close Tue, Thu and Sat again",
    "Questions for the meeting:\n1. Breaks\n2. Raises\n3. Parking",
    "My shifts next week:\n7/14 close\n7/16 open, 6am 😩",
    "Copied from the break room board:\n\nNO PHONES ON THE FLOOR\nViolations will be written up",
];
/// Lines that only make sense on a meeting day, before the meeting.
const CHAT_MEETING_DAY: &[&str] = &[
    "Running late but I'll be there",
    "Is it still on for tonight?",
    "Save me a seat 🙏",
    "Voy en camino",
];
/// Lines that only make sense the day after a meeting.
const CHAT_AFTER_MEETING: &[&str] = &[
    "Great meeting last night, thanks everyone",
    "Sorry I missed it, family stuff. Next time for sure",
    "Can someone share the notes from last night?",
    "Gracias a todos por venir anoche",
];
const CHAT_ES: &[&str] = &[
    "¿A qué hora es la junta?",
    "Yo voy 💪",
    "Me cambiaron el horario otra vez",
    "Gracias por la información",
    "¿Puedo llevar a mi compañera?",
    "Aquí estamos",
    "Sí, cuenten conmigo",
    "A mí también me bajaron las horas, ya no alcanza",
];
const CHAT_PL: &[&str] = &["Będę!", "Dzięki za info", "Mnie też skrócili godziny", "Ile osób przyjdzie?"];
const PUSH_EMOJI: &[&str] = &["🌹", "💪", "✨", "🙏", "🔥", "👑", "🌻", "⚽"];
/// How a steward saves a coworker whose family name they do not know.
const DEPARTMENTS: &[&str] = &["deli", "produce", "bakery", "register", "stock", "meat dept", "overnight", "work"];
const IOS_MEDIA: &[&str] = &[
    "image omitted",
    "image omitted",
    "video omitted",
    "sticker omitted",
    "audio omitted",
];

enum Body {
    Text(String),
    Media,
    Deleted,
}

fn member_message(p: &Person, rng: &mut Rng, camp: &Campaign, t: Ts) -> Body {
    if rng.bern(0.05) {
        return Body::Media;
    }
    if rng.bern(0.01) {
        return Body::Deleted;
    }
    let (meeting_day, after_meeting) = meeting_context(camp, p.store, t);
    let line = if rng.bern(0.015) {
        rng.pick(CHAT_MULTILINE)
    } else if meeting_day && rng.bern(0.35) {
        rng.pick(CHAT_MEETING_DAY)
    } else if after_meeting && rng.bern(0.35) {
        rng.pick(CHAT_AFTER_MEETING)
    } else if p.culture == 0 && rng.bern(0.35) {
        rng.pick(CHAT_ES)
    } else if p.culture == 1 && rng.bern(0.25) {
        rng.pick(CHAT_PL)
    } else {
        rng.pick(CHAT_EN)
    };
    Body::Text(line.to_string())
}

/// What was going on at the person's store when they posted at `t`.
fn meeting_context(camp: &Campaign, store: usize, t: Ts) -> (bool, bool) {
    let day = local_date(t);
    let mut meeting_day = false;
    let mut after_meeting = false;
    for &m in &camp.by_store[store] {
        let m = &camp.meetings[m];
        if m.date == day && t < m.start {
            meeting_day = true;
        }
        if m.start + Duration::hours(2) <= t && t < m.start + Duration::hours(40) {
            after_meeting = true;
        }
    }
    (meeting_day, after_meeting)
}

fn texter_group_message(k: usize, i: usize, s: usize) -> String {
    let (given, _) = TEXTERS[k];
    let phone = fmt_phone(&texter_phone(k), 4);
    match i {
        0 => format!("Hi everyone, I'm {given}, I volunteer with Northside Workers United. If you got a text from {phone}, that was me 🙂"),
        1 => format!("If you want to help text coworkers at Store {}, message me!", STORES[s].number),
        2 => "Reminder: meetings are every other week, the RSVP link is in the group description".to_string(),
        _ => "Thanks everyone for the great turnout, keep it going".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Who is who on the exporting phone
// ---------------------------------------------------------------------------------------------

/// An unsaved contact: the number as WhatsApp formats it (iOS wraps it in directional marks).
fn phone_shown(d: &str, platform: Platform) -> String {
    let n = fmt_phone(d, 8);
    match platform {
        Platform::Android => n,
        Platform::Ios => format!("\u{202a}{n}\u{202c}"),
    }
}

/// How the exporting phone shows a person, unique within the group (`taken` holds the names
/// already shown, folded as identity folds them).
fn display(p: &Person, rng: &mut Rng, platform: Platform, taken: &mut BTreeSet<String>) -> String {
    match p.org {
        Some(Org::Admin(_)) => {
            let n = format!("{} (organizer)", p.given);
            taken.insert(normalize::name(&n));
            return n;
        }
        Some(Org::Texter(_)) => return phone_shown(&p.phone, platform),
        None => {}
    }
    let r = rng.f64();
    if r < 0.40 {
        return phone_shown(&p.phone, platform);
    }
    let push = r < 0.53;
    let first = p.first();
    let initial: String = fold(p.family).chars().take(1).collect();
    for attempt in 0..4 {
        let name = if push && attempt < 2 {
            let base = match rng.weighted(&[0.45, 0.25, 0.15, 0.15]) {
                0 => first.to_string(),
                1 => format!("{first} {initial}"),
                2 => first.to_lowercase(),
                _ => format!("{first} {}", p.family),
            };
            let base = if rng.bern(0.4) {
                let e = rng.pick(PUSH_EMOJI);
                if rng.bern(0.7) {
                    format!("{base} {e}")
                } else {
                    format!("{e} {base}")
                }
            } else {
                base
            };
            format!("~\u{202f}{base}")
        } else if attempt < 2 {
            match rng.weighted(&[0.38, 0.12, 0.15, 0.12, 0.1, 0.08, 0.05]) {
                0 => format!("{} {}", p.given, p.family),
                1 => format!("{first} {}", p.family),
                2 => first.to_string(),
                3 => format!("{first} {initial}"),
                4 => format!("{first} {}", rng.pick(DEPARTMENTS)),
                5 => fold(&format!("{} {}", p.given, p.family)),
                _ => format!("{first} Store {}", STORES[p.store].number),
            }
        } else if attempt == 2 {
            format!("{} {}", p.given, p.family)
        } else {
            format!("{} {} {}", p.given, p.family, rng.pick(DEPARTMENTS))
        };
        let key = normalize::name(&name);
        if !key.is_empty() && taken.insert(key) {
            return name;
        }
    }
    phone_shown(&p.phone, platform)
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

enum Record {
    /// A message: the author as shown, and what they sent.
    Message(String, Body),
    /// A system notice (no author).
    Notice(String),
}

struct Row {
    ts: Ts,
    record: Record,
    /// Who the record is about (ground truth), in the order the notice names them.
    persons: Vec<usize>,
}

fn notice(ts: Ts, text: String, persons: Vec<usize>) -> Row {
    Row {
        ts,
        record: Record::Notice(text),
        persons,
    }
}

/// `A`, `A and B`, `A, B and C`.
fn name_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn admin_rows(ctx: &Ctx, s: usize, admin: usize, shown: &str, rows: &mut Vec<Row>) {
    let camp = ctx.camp;
    let store = &STORES[s];
    let mut rng = Rng::stream(ctx.seed(), "admin", s as u64);
    let push = |ts: Ts, text: String, rows: &mut Vec<Row>| {
        if ts >= camp.start && ts < camp.cutoff {
            rows.push(Row {
                ts,
                record: Record::Message(shown.to_string(), Body::Text(text)),
                persons: vec![admin],
            });
        }
    };
    push(
        camp.group_created(s) + Duration::minutes(4),
        format!(
            "Welcome to the {}! This is a space for us to talk about hours, pay and respect on the job. \
             Please keep it between coworkers 🙏",
            store.group_name()
        ),
        rows,
    );
    let link = format!(
        "https://www.mobilize.us/northside/event/{}/?utm_source=whatsapp&utm_content={}",
        store.event_id(),
        store.slug()
    );
    for &m in &camp.by_store[s] {
        let meeting = &camp.meetings[m];
        let when = fmt_when(meeting.date);
        let t = at(&mut rng, meeting.date - Duration::days(3), &ADMIN_HOURS);
        push(
            t,
            format!("Next meeting: {when} at 6:30pm, {}. RSVP here: {link}", store.venue),
            rows,
        );
        let t = local_ts(meeting.date, rng.range(8, 12) as u32, rng.below(60) as u32, 0);
        let text = if rng.bern(0.5) {
            "Tonight 6:30! Food and childcare provided. Hoy a las 6:30, habrá comida 🌮".to_string()
        } else {
            format!("Reminder: meeting TONIGHT at 6:30, {}. Bring a coworker!", store.venue)
        };
        push(t, text, rows);
        let n = ctx.attendees[m].len();
        if meeting.start < camp.cutoff && n > 0 {
            let t = at(&mut rng, meeting.date + Duration::days(1), &ADMIN_HOURS);
            push(
                t,
                format!(
                    "Thank you to the {n} coworkers who came last night! Notes: we're starting a \
                     petition on scheduling, \"two weeks' notice, no exceptions\". Next meeting in two weeks."
                ),
                rows,
            );
        }
    }
    // Sunday welcomes for the week's newcomers.
    for w in 0..camp.days / 7 {
        let monday = camp.start_date + Duration::days(w * 7);
        let t = local_ts(monday + Duration::days(6), 19, rng.below(60) as u32, 0);
        let week_start = local_ts(monday, 0, 0, 0);
        let n = ctx
            .people
            .iter()
            .filter_map(|p| p.group.as_ref().filter(|g| g.store == s && p.org.is_none()))
            .filter(|g| g.joined >= week_start && g.joined < t)
            .count();
        if n > 0 {
            let text = if n == 1 {
                "Welcome to our new coworker 👋 Say hi and tell us which department you work in!".to_string()
            } else {
                format!("Welcome to the {n} coworkers who joined this week 👋 Say hi and tell us which department you work in!")
            };
            push(t, text, rows);
        }
    }
    // The all-stores Zoom check-in, announced on the Monday before.
    let mut rng = Rng::stream(ctx.seed(), "admin-zoom", s as u64);
    let zoom_link = format!(
        "https://www.mobilize.us/northside/event/{}/?utm_source=whatsapp&utm_content={}",
        zoom::EVENT_ID,
        store.slug()
    );
    for call in &camp.zoom_calls {
        let t = at(&mut rng, call.date - Duration::days(2), &ADMIN_HOURS);
        push(
            t,
            format!(
                "All-stores Zoom check-in this Wednesday {}/{} at 7pm, coworkers from all six stores 💻 RSVP to get the link: {zoom_link}",
                call.date.month(),
                call.date.day()
            ),
            rows,
        );
    }
}

/// Every record of store `s`'s group, in time order.
fn group_rows(ctx: &Ctx, s: usize) -> Vec<Row> {
    let camp = ctx.camp;
    let platform = PLATFORMS[s];
    let group = STORES[s].group_name();
    let mut rows = Vec::new();
    let mut taken = BTreeSet::new();
    let Some(admin) = ctx.people.iter().position(|p| p.org == Some(Org::Admin(s))) else {
        return rows;
    };
    let admin_shown = display(&ctx.people[admin], &mut Rng::new(0), platform, &mut taken);
    let created = camp.group_created(s);
    let encryption = match platform {
        Platform::Android => "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.",
        Platform::Ios => "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
    };
    rows.push(notice(created, encryption.to_string(), Vec::new()));
    let quoted = match platform {
        Platform::Android => format!("\"{group}\""),
        Platform::Ios => format!("“{group}”"),
    };
    rows.push(notice(created, format!("{admin_shown} created group {quoted}"), vec![admin]));
    rows.push(notice(
        created + Duration::minutes(1),
        format!("{admin_shown} added you"),
        Vec::new(),
    ));
    rows.push(notice(
        created + Duration::minutes(2),
        format!("{admin_shown} changed this group's icon"),
        Vec::new(),
    ));
    rows.push(notice(
        created + Duration::minutes(3),
        format!("{admin_shown} changed the group description"),
        Vec::new(),
    ));
    admin_rows(ctx, s, admin, &admin_shown, &mut rows);

    // Admin adds, batched by time: time → people, in the order they are named.
    let mut adds: BTreeMap<Ts, Vec<(usize, String)>> = BTreeMap::new();
    for (pi, p) in ctx.people.iter().enumerate() {
        let Some(g) = p.group.as_ref().filter(|g| g.store == s) else {
            continue;
        };
        if matches!(p.org, Some(Org::Admin(_))) {
            continue;
        }
        let mut rng = Rng::stream(ctx.seed(), "wa", pi as u64);
        let shown = display(p, &mut rng, platform, &mut taken);
        if g.join_row {
            if g.added {
                adds.entry(g.joined).or_default().push((pi, shown.clone()));
            } else {
                rows.push(notice(g.joined, format!("{shown} joined using this group's invite link"), vec![pi]));
            }
        }
        for (i, &t) in g.messages.iter().enumerate() {
            let body = match p.org {
                Some(Org::Texter(k)) => Body::Text(texter_group_message(k, i, s)),
                _ => member_message(p, &mut rng, camp, t),
            };
            rows.push(Row {
                ts: t,
                record: Record::Message(shown.clone(), body),
                persons: vec![pi],
            });
        }
        if let Some(t) = g.left {
            let text = if rng.bern(0.15) {
                format!("{admin_shown} removed {shown}")
            } else {
                format!("{shown} left")
            };
            rows.push(notice(t, text, vec![pi]));
        }
    }
    for (t, who) in adds {
        let names: Vec<&str> = who.iter().map(|(_, n)| n.as_str()).collect();
        rows.push(notice(
            t,
            format!("{admin_shown} added {}", name_list(&names)),
            who.iter().map(|(pi, _)| *pi).collect(),
        ));
    }
    rows.sort_by_key(|r| r.ts); // stable: ties keep generation order
    rows
}

/// `6/29/26, 9:00 AM - ` (Android, U+202F before AM/PM) or `[6/29/26, 9:00:12 AM] ` (iOS).
fn stamp(t: Ts, platform: Platform) -> String {
    let l = t.with_timezone(&TZ);
    let (pm, h12) = l.hour12();
    let ampm = if pm { "PM" } else { "AM" };
    let date = format!("{}/{}/{:02}", l.month(), l.day(), l.year() % 100);
    match platform {
        Platform::Android => format!("{date}, {h12}:{:02}\u{202f}{ampm} - ", l.minute()),
        Platform::Ios => format!("[{date}, {h12}:{:02}:{:02} {ampm}] ", l.minute(), l.second()),
    }
}

/// The export's text and the ground-truth records (line, person).
fn render_text(rows: &[Row], platform: Platform, group: &str, seed: u64, s: usize) -> (String, Vec<(usize, usize)>) {
    let eol = match platform {
        Platform::Android => "\n",
        Platform::Ios => "\r\n",
    };
    let mut rng = Rng::stream(seed, "wa-render", s as u64);
    let mut out = String::new();
    let mut lines = 0usize;
    let mut records = Vec::new();
    for r in rows {
        let start = lines + 1;
        let st = stamp(r.ts, platform);
        let line = match (platform, &r.record) {
            (Platform::Android, Record::Notice(t)) => format!("{st}{t}"),
            (Platform::Ios, Record::Notice(t)) => format!("{st}{group}: \u{200e}{t}"),
            (Platform::Android, Record::Message(a, Body::Media)) => format!("{st}{a}: <Media omitted>"),
            (Platform::Ios, Record::Message(a, Body::Media)) => {
                format!("\u{200e}{st}{a}: \u{200e}{}", rng.pick(IOS_MEDIA))
            }
            (Platform::Android, Record::Message(a, Body::Deleted)) => format!("{st}{a}: This message was deleted"),
            (Platform::Ios, Record::Message(a, Body::Deleted)) => {
                format!("{st}{a}: \u{200e}This message was deleted.")
            }
            (_, Record::Message(a, Body::Text(t))) => format!("{st}{a}: {t}"),
        };
        lines += 1 + line.matches('\n').count();
        if eol == "\n" {
            out.push_str(&line);
        } else {
            out.push_str(&line.replace('\n', eol));
        }
        out.push_str(eol);
        for &p in &r.persons {
            records.push((start, p));
        }
    }
    (out, records)
}

/// A zip holding `_chat.txt`, as iOS shares an export "without media". Deterministic: fixed
/// modification time and compression.
fn ios_zip(chat: &str, cutoff: chrono::NaiveDate) -> Result<Vec<u8>> {
    let mtime = zip::DateTime::from_date_and_time(cutoff.year() as u16, cutoff.month() as u8, cutoff.day() as u8, 0, 0, 0)
        .map_err(|e| anyhow::anyhow!("zip time: {e}"))?;
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(mtime)
        .unix_permissions(0o644);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("_chat.txt", opts).context("zip: starting _chat.txt")?;
    w.write_all(chat.as_bytes()).context("zip: writing _chat.txt")?;
    Ok(w.finish().context("zip: finishing")?.into_inner())
}

pub(super) fn render_groups(ctx: &mut Ctx) -> Result<()> {
    for (s, store) in STORES.iter().enumerate() {
        let platform = PLATFORMS[s];
        let rows = group_rows(ctx, s);
        let (text, records) = render_text(&rows, platform, &store.group_name(), ctx.seed(), s);
        let (rel, truth) = export_names(s);
        let bytes = match platform {
            Platform::Android => text.into_bytes(),
            Platform::Ios => ios_zip(&text, local_date(ctx.camp.cutoff))?,
        };
        ctx.add_as(rel, truth, bytes, records)?;
    }
    Ok(())
}
