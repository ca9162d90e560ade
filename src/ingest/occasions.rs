//! Occasions across tools: one meeting, however many tools saw it (DESIGN.md §4 "Occasions").
//!
//! A meeting is often RSVP'd in one tool and attended in another (a Mobilize RSVP, then a Zoom
//! report or a paper sheet at the door), and every tool keys it its own way. This module makes
//! those keys meet, in two steps:
//!
//! 1. [`apply_meetings`] (at the end of ingest): the pipeline's meetings table
//!    (`source,key,meeting`) rewrites `occasion` to the meeting's name wherever an event's
//!    (`source`, `occasion`) is listed. Keys match exactly, as the parser writes them.
//! 2. [`same_day_fallback`] (after identity, because it needs to know who is who): an
//!    attendance (`attended`, `no_show`) the table did not map takes the occasion of the same
//!    person's RSVP (`rsvp`, `rsvp_confirmed`, `rsvp_cancelled`, `declined`) from another source
//!    for a meeting on the same local date — only when exactly one such occasion exists.
//!
//! **The meeting-date convention.** An RSVP's timestamp is when the person answered, not when
//! the meeting is, so an occasion key carries its meeting's local date (pipeline zone) where the
//! parser knows it, as its last ten characters `YYYY-MM-DD` after `@` or a space:
//! tool parsers write `<tool>:<instance>@YYYY-MM-DD` (`mobilize:605112:8100006@2026-07-14`,
//! `van:4411@2026-03-14`, `zoom:85012345678@2026-07-14`, built with [`dated`]); the generic csv
//! default occasion is `<context> YYYY-MM-DD`. [`meeting_date`] reads it back. A key without
//! that ending has no known meeting date: an RSVP with such a key never matches by date, and an
//! attendance with such a key (or none) is dated by its own timestamp. A meetings-table name
//! that ends the same way keeps its date for the fallback.
//!
//! Rejoins and duplicate sign-ins need nothing here: the Zoom parser makes one `attended` per
//! person per meeting, a recurring Zoom meeting id is one occasion per local date (the date is
//! in its key), and two sign-ins of one person to one occasion are one meeting to the funnel,
//! whose repeated stages require a different occasion.
//!
//! Promises: both steps are deterministic, never panic on any input, and report counts only —
//! source names and numbers, no keys, names or other personal data.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use crate::config::Plan;
use crate::schema::{Action, Event, Str};
use crate::timeutil;

/// `base@YYYY-MM-DD`: an occasion key carrying its meeting's local date.
pub fn dated(base: &str, date: NaiveDate) -> String {
    format!("{base}@{}", date.format("%Y-%m-%d"))
}

/// The meeting's local date an occasion key carries: its last ten characters, `YYYY-MM-DD`,
/// after `@` or a space (or the whole key). `None` when the key does not end that way.
pub fn meeting_date(occasion: &str) -> Option<NaiveDate> {
    let k = occasion.trim_end();
    let n = k.len();
    if n < 10 || !k.is_char_boundary(n - 10) {
        return None;
    }
    let (head, tail) = k.split_at(n - 10);
    if !(head.is_empty() || head.ends_with('@') || head.ends_with(' ')) {
        return None;
    }
    let b = tail.as_bytes();
    let shape = b
        .iter()
        .enumerate()
        .all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(tail, "%Y-%m-%d").ok()
}

/// What [`apply_meetings`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OccasionStats {
    /// Events whose occasion the table rewrote.
    pub mapped: u64,
    /// Table rows that matched no event, per source named in the row.
    pub unmatched_rows: BTreeMap<String, u64>,
    /// Table rows naming a source the pipeline does not have, per source named.
    pub unknown_source_rows: BTreeMap<String, u64>,
    /// Rows repeating a (source, key) already listed; the first row wins.
    pub duplicate_rows: u64,
}

/// Rewrites `occasion` to the meeting's name wherever (source, occasion) is in the pipeline's
/// meetings table.
pub fn apply_meetings(plan: &Plan, events: &mut [Event]) -> OccasionStats {
    let mut stats = OccasionStats::default();
    if plan.meetings.is_empty() {
        return stats;
    }
    // (source, key) → (row index, meeting); the first row of a repeated pair wins.
    let mut table: HashMap<(&str, &str), (usize, &str)> = HashMap::new();
    for (i, m) in plan.meetings.iter().enumerate() {
        if table.contains_key(&(m.source.as_str(), m.key.as_str())) {
            stats.duplicate_rows += 1;
        } else {
            table.insert((m.source.as_str(), m.key.as_str()), (i, m.meeting.as_str()));
        }
    }
    let mut used = vec![false; plan.meetings.len()];
    for e in events.iter_mut() {
        let Some(occ) = e.occasion.as_deref() else { continue };
        if let Some(&(i, meeting)) = table.get(&(e.source.as_str(), occ)) {
            used[i] = true;
            e.occasion = Some(Str::new(meeting));
            stats.mapped += 1;
        }
    }
    let sources: HashSet<&str> = plan.sources.iter().map(|s| s.name.as_str()).collect();
    for (i, m) in plan.meetings.iter().enumerate() {
        let first = table.get(&(m.source.as_str(), m.key.as_str())).map(|x| x.0) == Some(i);
        if !first || used[i] {
            continue;
        }
        if sources.contains(m.source.as_str()) {
            *stats.unmatched_rows.entry(m.source.clone()).or_default() += 1;
        } else {
            *stats.unknown_source_rows.entry(m.source.clone()).or_default() += 1;
        }
    }
    stats
}

/// What [`same_day_fallback`] did with each attendance (`attended` or `no_show`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FallbackStats {
    /// Attendances seen.
    pub attendances: u64,
    /// Occasion rewritten to the person's one RSVP occasion of that local date.
    pub rewritten: u64,
    /// Left alone: the meetings table mapped them.
    pub mapped_by_table: u64,
    /// Left alone: the person has an RSVP with this very occasion already.
    pub already_matched: u64,
    /// Left alone: the person has RSVPs for two or more occasions that date.
    pub ambiguous: u64,
    /// Left alone: no RSVP of the person from another source for a meeting that date.
    pub no_rsvp_that_day: u64,
}

fn is_rsvp(a: Action) -> bool {
    matches!(a, Action::Rsvp | Action::RsvpConfirmed | Action::RsvpCancelled | Action::Declined)
}

fn is_attendance(a: Action) -> bool {
    matches!(a, Action::Attended | Action::NoShow)
}

/// Without a table entry, an attendance matches the person's RSVP for the same local date.
///
/// `person_of[i]` is the person of `events[i]` (identity's output). For each attendance not
/// mapped by the meetings table and not already sharing an occasion with one of the person's
/// RSVPs: its meeting date is [`meeting_date`] of its occasion, else the local date (pipeline
/// zone) of its timestamp; the candidates are the distinct occasions of the person's RSVP-type
/// events from OTHER sources whose [`meeting_date`] is that date (a tool's own attendance already
/// names its own instance: two Mobilize timeslots on one day stay two). Exactly one candidate →
/// the attendance takes that occasion; none or several → left alone and counted.
pub fn same_day_fallback(plan: &Plan, events: &mut [Event], person_of: &[u32]) -> FallbackStats {
    let mut stats = FallbackStats::default();
    let n = events.len().min(person_of.len());
    let tz = plan.timezone;
    let mapped: HashSet<(&str, &str)> = plan.meetings.iter().map(|m| (m.source.as_str(), m.meeting.as_str())).collect();

    // Per person: RSVP-type events (index) and attendances (index), in event order.
    let mut rsvps: rustc_hash::FxHashMap<u32, Vec<usize>> = Default::default();
    let mut attendances: Vec<usize> = Vec::new();
    for (i, e) in events.iter().enumerate().take(n) {
        if is_rsvp(e.action) && e.occasion.is_some() {
            rsvps.entry(person_of[i]).or_default().push(i);
        } else if is_attendance(e.action) {
            attendances.push(i);
        }
    }
    let mut rewrites: Vec<(usize, String)> = Vec::new();
    for &i in &attendances {
        stats.attendances += 1;
        let e = &events[i];
        if let Some(o) = e.occasion.as_deref() {
            if mapped.contains(&(e.source.as_str(), o)) {
                stats.mapped_by_table += 1;
                continue;
            }
        }
        let mine = rsvps.get(&person_of[i]).map(Vec::as_slice).unwrap_or(&[]);
        if e.occasion.is_some() && mine.iter().any(|&r| events[r].occasion == e.occasion) {
            stats.already_matched += 1;
            continue;
        }
        let date = e
            .occasion
            .as_deref()
            .and_then(meeting_date)
            .unwrap_or_else(|| timeutil::local_date(e.ts, tz));
        let mut candidates: Vec<&str> = mine
            .iter()
            .map(|&r| &events[r])
            .filter(|r| r.source != e.source)
            .filter_map(|r| r.occasion.as_deref())
            .filter(|o| meeting_date(o) == Some(date))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        match candidates.as_slice() {
            [] => stats.no_rsvp_that_day += 1,
            [only] => {
                rewrites.push((i, only.to_string()));
                stats.rewritten += 1;
            }
            _ => stats.ambiguous += 1,
        }
    }
    for (i, occ) in rewrites {
        events[i].occasion = Some(Str::new(&occ));
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_dates_follow_the_convention() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 14).unwrap();
        assert_eq!(meeting_date("mobilize:605112:8100006@2026-07-14"), Some(d));
        assert_eq!(meeting_date("Store 12 workers meeting 2026-07-14"), Some(d));
        assert_eq!(meeting_date("2026-07-14"), Some(d));
        assert_eq!(meeting_date(&dated("zoom:850", d)), Some(d));
        assert_eq!(meeting_date("9001"), None);
        assert_eq!(meeting_date("x2026-07-14"), None);
        assert_eq!(meeting_date("x@2026-02-30"), None);
        assert_eq!(meeting_date("x@2026-7-14"), None);
        assert_eq!(meeting_date("é@2026-07-1é"), None);
        assert_eq!(meeting_date("ééééééééé"), None);
    }
}
