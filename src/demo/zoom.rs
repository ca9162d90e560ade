//! The all-stores Zoom check-in: a fortnightly call (Wednesdays 19:00 local, from the second
//! week) that engaged members of every store join, and its Zoom participant reports.
//!
//! Who comes: members who have engaged (spoke up in a group or by text, RSVP'd or came to a store
//! meeting) at least a day before a call. About 15% of them are "Zoom people" who come to a call
//! with probability 0.25 (0.45 once they have come before; 15% drift away after each call they
//! come to); others drop in rarely. About 45% of
//! those who come RSVP'd in Mobilize to the call's timeslot (event [`EVENT_ID`], "All-stores Zoom
//! check-in"); some RSVP and do not come, a few cancel. Calls up to two weeks past the cut-off
//! exist only as RSVPs.
//!
//! Each past call is `zoom/participants_<MEETING_ID>_<YYYY-MM-DD>.csv`: the meeting summary
//! preamble, a blank row, then one row per join — the host (one of the store admins, by turn),
//! sometimes a texter as co-host, and the attendees in join order; about 12% drop out and
//! rejoin (a second row, sometimes without email from the phone app), names as people type them
//! (`Rosa M (Rosa Martínez)` when renamed, `Rosa's iPhone`), an email for signed-in users and
//! none for guests. Times are the account's US wall time, `07/08/2026 07:02:11 PM`. Ground
//! truth: one row per participant row.

use super::*;

/// The recurring meeting's id (one id, one occasion per date). Nine digits, as Zoom gave
/// meetings scheduled before April 2020 — and unlike today's 10–11 digit ids, never mistaken for
/// a phone number by a scan for identifiers.
pub(super) const MEETING_ID: &str = "815274396";
/// The call's topic in Zoom and its title in Mobilize.
pub(super) const TOPIC: &str = "All-stores Zoom check-in";
/// The Mobilize event people RSVP to for the call.
pub(super) const EVENT_ID: u64 = 605_200;
/// Organizers' Zoom accounts are on this domain.
const ORG_DOMAIN: &str = "northsideworkers.org";

/// When a member first engaged: spoke up, RSVP'd or came to a store meeting.
fn engaged_at(p: &Person, camp: &Campaign) -> Option<Ts> {
    let mut ts: Vec<Ts> = Vec::new();
    if let Some(m) = p.group.as_ref().and_then(|g| g.messages.first()) {
        ts.push(*m);
    }
    if let Some(r) = p.sms.as_ref().filter(|s| !s.stop).and_then(|s| s.reply1) {
        ts.push(r);
    }
    ts.extend(p.rsvps.iter().map(|r| r.created));
    ts.extend(p.attended.iter().map(|&m| camp.meetings[m].start));
    ts.into_iter().min()
}

/// Decides which calls a member comes to and RSVPs to.
pub(super) fn simulate(p: &mut Person, rng: &mut Rng, camp: &Campaign) {
    if p.org.is_some() || p.sms.as_ref().is_some_and(|s| s.stop) {
        return;
    }
    let Some(engaged) = engaged_at(p, camp) else { return };
    let mut zoomer = rng.bern(0.15);
    let utm_choices: Vec<&'static str> = [
        (p.group.is_some(), "whatsapp"),
        (!p.subs.is_empty(), "email"),
        (p.sms.is_some(), "sms"),
    ]
    .into_iter()
    .filter_map(|(ok, u)| ok.then_some(u))
    .collect();
    let mut came = 0;
    for (z, call) in camp.zoom_calls.iter().enumerate() {
        if call.start < engaged + Duration::days(1) {
            continue;
        }
        let p_come = match (zoomer, came) {
            (true, 0) => 0.25,
            (true, _) => 0.45,
            (false, _) => 0.006,
        };
        let will = rng.bern(p_come);
        let p_rsvp = if will {
            0.45
        } else if zoomer {
            0.06
        } else {
            0.005
        };
        let past = call.start < camp.cutoff;
        if rng.bern(p_rsvp) {
            let lead_hours = rng.lognormal(28.0, 0.9).clamp(1.0, 240.0);
            let created = call.start - Duration::seconds((lead_hours * 3600.0) as i64);
            let created = created.max(engaged + Duration::minutes(rng.range(5, 180)));
            if created < camp.cutoff && created < call.start - Duration::minutes(15) {
                let utm = if !utm_choices.is_empty() && rng.bern(0.8) {
                    *rng.pick(&utm_choices)
                } else {
                    ""
                };
                let (mut status, mut modified) = (Status::Registered, created);
                if !will && rng.bern(0.3) {
                    let t = between(rng, created, call.start);
                    if t < camp.cutoff {
                        status = Status::Cancelled;
                        modified = t;
                    }
                } else if rng.bern(0.4) {
                    let t = call.start - Duration::seconds(rng.range(20 * 3600, 30 * 3600));
                    if t > created && t < camp.cutoff {
                        status = Status::Confirmed;
                        modified = t;
                    }
                }
                if call.marked && past && status != Status::Cancelled {
                    let day = call.date + Duration::days(rng.range(0, 3));
                    let t = at(rng, day, &ADMIN_HOURS).max(call.start + Duration::hours(2));
                    if t < camp.cutoff && t > modified {
                        modified = t;
                    }
                }
                p.zoom_rsvps.push(Rsvp {
                    meeting: z,
                    created,
                    modified,
                    status,
                    attended: past && will,
                    utm,
                });
            }
        }
        if past && will {
            p.zoom_attended.push(z);
            came += 1;
            // Some drift away after a call or two.
            if zoomer && rng.bern(0.15) {
                zoomer = false;
            }
        }
    }
}

/// `07/08/2026 07:02:11 PM`
fn fmt_zoom(t: Ts) -> String {
    t.with_timezone(&TZ).format("%m/%d/%Y %I:%M:%S %p").to_string()
}

/// Minutes in the call, as Zoom rounds them (up).
fn minutes(join: Ts, leave: Ts) -> i64 {
    ((leave - join).num_seconds() + 59) / 60
}

struct Join {
    join: Ts,
    leave: Ts,
    name: String,
    email: String,
    guest: bool,
    person: usize,
}

/// The name a member types into Zoom (or their device's name), as the report's
/// `Name (Original Name)` column shows it.
fn zoom_name(p: &Person, rng: &mut Rng) -> String {
    let first = p.first();
    let full = format!("{} {}", p.given, p.family);
    let initial: String = p.family.chars().take(1).collect();
    match rng.weighted(&[0.55, 0.1, 0.1, 0.07, 0.05, 0.05, 0.08]) {
        0 => full,
        1 => format!("{first} {}", p.family),
        2 => first.to_string(),
        3 => format!("{first} {initial}."),
        4 => full.to_lowercase(),
        5 => format!("{}'s iPhone", p.given),
        // Renamed in the meeting: the original name follows in parentheses.
        _ => format!("{first} {initial} ({full})"),
    }
}

pub(super) fn render(ctx: &mut Ctx) -> Result<()> {
    let camp = ctx.camp;
    for (z, call) in camp.zoom_calls.iter().enumerate() {
        if call.start >= camp.cutoff {
            continue;
        }
        let mut rng = Rng::stream(ctx.seed(), "zoom-report", z as u64);
        let mut joins: Vec<Join> = Vec::new();
        let org_join = |pi: usize, join: Ts, leave: Ts| {
            let p = &ctx.people[pi];
            Join {
                join,
                leave,
                name: format!("{} {}", p.given, p.family),
                email: format!("{}.{}@{ORG_DOMAIN}", email_part(p.given), email_part(p.family)),
                guest: false,
                person: pi,
            }
        };
        // The host opens the call a few minutes early and closes it.
        let end = call.start + Duration::seconds(rng.range(62 * 60, 78 * 60));
        let host_join = call.start - Duration::seconds(rng.range(60, 6 * 60));
        if let Some(h) = ctx.people.iter().position(|p| p.org == Some(Org::Admin(call.host))) {
            joins.push(org_join(h, host_join, end));
        }
        if rng.bern(0.5) {
            let k = z % TEXTERS.len();
            if let Some(t) = ctx.people.iter().position(|p| p.org == Some(Org::Texter(k))) {
                let j = call.start - Duration::seconds(rng.range(0, 180));
                joins.push(org_join(t, j, end - Duration::seconds(rng.range(30, 300))));
            }
        }
        for &pi in &ctx.zoom_attendees[z] {
            let p = &ctx.people[pi];
            let mut prng = Rng::stream(ctx.seed(), "zoom-person", ((pi as u64) << 8) | z as u64);
            let late = (prng.lognormal(3.0, 0.9) - 2.0).clamp(-4.0, 40.0);
            let join = call.start + Duration::seconds((late * 60.0) as i64 + prng.range(0, 60));
            let leave = if prng.bern(0.15) {
                join + Duration::seconds(prng.range(12 * 60, 40 * 60))
            } else {
                (end - Duration::seconds(prng.range(0, 8 * 60))).max(join + Duration::minutes(5))
            };
            let name = zoom_name(p, &mut prng);
            let email = match (&p.email, &p.email2) {
                (Some(_), Some(e2)) if prng.bern(0.3) => e2.clone(),
                (Some(e), _) if prng.bern(0.7) => e.clone(),
                _ => String::new(),
            };
            if prng.bern(0.12) && (leave - join).num_minutes() > 20 {
                // Dropped and came back: two rows, the second sometimes from the phone app
                // without signing in.
                let drop = join + Duration::seconds(prng.range(5 * 60, (leave - join).num_seconds() - 10 * 60));
                let back = drop + Duration::seconds(prng.range(20, 4 * 60));
                let email2 = if prng.bern(0.3) { String::new() } else { email.clone() };
                joins.push(Join {
                    join,
                    leave: drop,
                    name: name.clone(),
                    email: email.clone(),
                    guest: true,
                    person: pi,
                });
                joins.push(Join {
                    join: back,
                    leave,
                    name,
                    email: email2,
                    guest: true,
                    person: pi,
                });
            } else {
                joins.push(Join {
                    join,
                    leave,
                    name,
                    email,
                    guest: true,
                    person: pi,
                });
            }
        }
        joins.sort_by_key(|j| (j.join, j.person));
        let unique: BTreeSet<usize> = joins.iter().map(|j| j.person).collect();
        let mut csv = CsvText::new(
            ',',
            "\n",
            &[
                "Meeting ID",
                "Topic",
                "Start Time",
                "End Time",
                "User Email",
                "Duration (Minutes)",
                "Participants",
            ],
        );
        let host_email = joins.iter().find(|j| !j.guest).map(|j| j.email.clone()).unwrap_or_default();
        let spaced = format!("{} {} {}", &MEETING_ID[..3], &MEETING_ID[3..6], &MEETING_ID[6..]);
        csv.row(&[
            spaced,
            TOPIC.to_string(),
            fmt_zoom(host_join),
            fmt_zoom(end),
            host_email,
            minutes(host_join, end).to_string(),
            unique.len().to_string(),
        ]);
        csv.raw("");
        csv.row(&[
            "Name (Original Name)",
            "User Email",
            "Join Time",
            "Leave Time",
            "Duration (Minutes)",
            "Guest",
        ]);
        let mut records = Vec::with_capacity(joins.len());
        for j in &joins {
            let line = csv.row(&[
                j.name.clone(),
                j.email.clone(),
                fmt_zoom(j.join),
                fmt_zoom(j.leave),
                minutes(j.join, j.leave).to_string(),
                if j.guest { "Yes" } else { "No" }.to_string(),
            ]);
            records.push((line, j.person));
        }
        let rel = format!("zoom/participants_{MEETING_ID}_{}.csv", call.date.format("%Y-%m-%d"));
        ctx.add(rel, csv.text.into_bytes(), records)?;
    }
    Ok(())
}
