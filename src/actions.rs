//! Organizer action lists: the people to follow up this week, by name and number.
//!
//! Takes: the events, the identity resolution, the report period and the plan. Gives, only when
//! the pipeline says `[report] action_lists = true`, four CSVs in
//! `restricted/<pipeline>/<period>/`:
//!
//! | file | who is on it |
//! |---|---|
//! | `new-not-contacted.csv` | first seen during the week, at least 48 hours before the data ends, and nobody texted, called or added them to a group within 48 hours |
//! | `rsvps-not-confirmed.csv` | RSVP'd to a meeting that has not happened yet (by the end of the data) and never confirmed, cancelled or declined it |
//! | `no-shows.csv` | RSVP'd to a meeting held during the week where attendance was taken, and did not come (or were marked no-show) |
//! | `came-once.csv` | came to exactly one meeting, 14 to 60 days before the end of the data, and none since |
//!
//! Columns: `person_id, name, phone, email, detail` (the date and meeting or group behind the
//! entry). Promises: these lists name people, so they are never part of the report and never
//! linked from it; the folder is owner-only (0700) and every file 0600; cells are neutralised
//! against formula injection; organizers are never listed; the folder appears whole (written
//! aside, then renamed) and a re-run of the week replaces it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::Plan;
use crate::funnel::Period;
use crate::identity::Resolution;
use crate::schema::{Action, Event};
use crate::timeline::Timeline;

/// What was written: list file name → people on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    pub dir: PathBuf,
    pub counts: BTreeMap<&'static str, usize>,
}

const HOUR_US: i64 = 3_600_000_000;

/// The local date of a meeting from its occasion key (`…@YYYY-MM-DD` or `… YYYY-MM-DD`).
fn occasion_date(occasion: &str) -> Option<NaiveDate> {
    crate::ingest::occasions::meeting_date(occasion)
}

/// Builds and writes the lists. Returns `None` when the pipeline does not ask for them.
pub fn write(plan: &Plan, period: &Period, events: &[Event], res: &Resolution, tl: &Timeline) -> anyhow::Result<Option<Written>> {
    if !plan.report.action_lists {
        return Ok(None);
    }
    let lists = build(period, events, res, tl);
    let root = plan.restricted_dir();
    std::fs::create_dir_all(&root)?;
    if let Some(parent) = root.parent() {
        crate::privacy::owner_only(parent)?;
    }
    crate::privacy::owner_only(&root)?;
    let tmp = root.join(format!(".{}.tmp", period.label));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    crate::privacy::owner_only(&tmp)?;
    let mut counts = BTreeMap::new();
    for (name, rows) in &lists {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        w.write_record(["person_id", "name", "phone", "email", "detail"])?;
        for r in rows {
            w.write_record(r.iter().map(|c| crate::report::csv_safe(c)))?;
        }
        let path = tmp.join(name);
        write_private(&path, &w.into_inner()?)?;
        counts.insert(*name, rows.len());
    }
    let dir = root.join(&period.label);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::rename(&tmp, &dir)?;
    Ok(Some(Written { dir, counts }))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}

type Row = [String; 5];

/// The four lists, rows sorted by person then detail.
pub fn build(period: &Period, events: &[Event], res: &Resolution, tl: &Timeline) -> Vec<(&'static str, Vec<Row>)> {
    // Each person's events in (time, id) order: the timeline's order.
    let by_person = (0..tl.persons()).map(|p| tl.person(p).iter().map(|&i| i as usize).collect::<Vec<usize>>());
    let cutoff = period.cutoff_us;
    let today = crate::timeutil::local_date(cutoff, period.tz);
    // Occasions where attendance was taken (someone marked attended or no-show).
    let marked: BTreeSet<&str> = events
        .iter()
        .filter(|e| matches!(e.action, Action::Attended | Action::NoShow))
        .filter_map(|e| e.occasion.as_deref())
        .collect();

    let mut new_not_contacted = Vec::new();
    let mut unconfirmed = Vec::new();
    let mut no_shows = Vec::new();
    let mut came_once = Vec::new();
    for (p, idx) in by_person.enumerate() {
        let idx = idx.as_slice();
        if res.persons[p].organizer || idx.is_empty() {
            continue;
        }
        // Who the person is, worked out only for people who make it onto a list (most do not).
        let who = std::cell::OnceCell::new();
        let row = |detail: String| -> Row {
            let [id, name, phone, email] = who.get_or_init(|| identify(p, idx, events, res)).clone();
            [id, name, phone, email, detail]
        };

        // New and not contacted within 48 hours.
        let first = &events[idx[0]];
        if first.ts >= period.start_us && first.ts < period.end_us && first.ts + 48 * HOUR_US <= cutoff {
            let contacted = idx.iter().map(|&i| &events[i]).any(|e| {
                e.ts <= first.ts + 48 * HOUR_US && matches!(e.action, Action::TextReceived | Action::ContactAttempted | Action::GroupAdded)
            });
            if !contacted {
                new_not_contacted.push(row(format!(
                    "first seen {} ({})",
                    crate::timeutil::local_date(first.ts, period.tz),
                    first.context.as_deref().unwrap_or(first.source.as_str())
                )));
            }
        }

        // Per occasion: what the person did.
        let mut occ: BTreeMap<&str, (BTreeSet<Action>, &Event)> = BTreeMap::new();
        for &i in idx {
            let e = &events[i];
            if let Some(o) = e.occasion.as_deref() {
                occ.entry(o).or_insert_with(|| (BTreeSet::new(), e)).0.insert(e.action);
            }
        }
        let mut attended: Vec<NaiveDate> = Vec::new();
        for (o, (acts, e)) in &occ {
            let Some(date) = occasion_date(o) else { continue };
            let what = e.context.as_deref().unwrap_or(o);
            let rsvp = acts.contains(&Action::Rsvp) || acts.contains(&Action::RsvpConfirmed);
            let withdrawn = acts.contains(&Action::RsvpCancelled) || acts.contains(&Action::Declined);
            if acts.contains(&Action::Attended) {
                attended.push(date);
            }
            if date >= today && acts.contains(&Action::Rsvp) && !acts.contains(&Action::RsvpConfirmed) && !withdrawn {
                unconfirmed.push(row(format!("{date} {what}")));
            }
            let in_week = date >= period.start && date < period.end;
            let missed = acts.contains(&Action::NoShow) || (rsvp && !withdrawn && marked.contains(o) && !acts.contains(&Action::Attended));
            if in_week && missed {
                no_shows.push(row(format!("{date} {what}")));
            }
        }
        attended.sort();
        attended.dedup();
        if attended.len() == 1 {
            let d = attended[0];
            let ago = (today - d).num_days();
            if (14..=60).contains(&ago) {
                came_once.push(row(format!("came on {d}, {ago} days ago")));
            }
        }
    }
    let mut out = vec![
        ("new-not-contacted.csv", new_not_contacted),
        ("rsvps-not-confirmed.csv", unconfirmed),
        ("no-shows.csv", no_shows),
        ("came-once.csv", came_once),
    ];
    for (_, rows) in out.iter_mut() {
        rows.sort();
        rows.dedup();
    }
    out
}

/// person id, the name used most often (ties: the longest), the first phone and email.
fn identify(p: usize, idx: &[usize], events: &[Event], res: &Resolution) -> [String; 4] {
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in idx {
        if let Some(n) = events[i].name.as_deref() {
            let n = n.trim();
            if !n.is_empty() && n.chars().any(char::is_alphabetic) {
                *names.entry(n).or_default() += 1;
            }
        }
    }
    let name = names
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(a.0.len().cmp(&b.0.len())).then(b.0.cmp(a.0)))
        .map(|(n, _)| n.trim_start_matches(['~', '\u{202f}', ' ']).to_string())
        .unwrap_or_default();
    let phone = idx
        .iter()
        .find_map(|&i| res.norm_phone.get(i).copied().flatten())
        .map(String::from)
        .unwrap_or_default();
    let email = idx
        .iter()
        .find_map(|&i| res.norm_email.get(i).copied().flatten())
        .map(String::from)
        .unwrap_or_default();
    [res.persons[p].id.clone(), name, phone, email]
}
