//! Organizing metrics that are not funnels: show rate, repeat attendance, time from first
//! digital touch to first meeting, new and active people per week.
//!
//! Takes: the events, the timeline, the persons, the report [`Period`] and the funnel
//! [`Context`] (for occasions and precision-aware comparisons). Gives: [`Organizing`], in two
//! steps: [`tally`] counts per occasion, per first attender and per week ([`Tallies`], which
//! the scale-out engines count in SQL), and [`assemble`] makes the rates and distributions.
//! Promises, as DESIGN.md §4 defines them (organizers excluded everywhere):
//! - **Show rate** per occasion and overall: of the people who RSVP'd (rsvp or rsvp_confirmed,
//!   not cancelled afterwards), the share who attended that occasion. Occasions where nobody's
//!   attendance was recorded (no attended and no no_show event) are *unmarked*: excluded from
//!   the rate and counted. No-shows, declines, cancellations and walk-ins (attended without an
//!   RSVP) are counted apart.
//! - **Repeat attendance**: of the people who attended at least once, the share who attended a
//!   different occasion within 30 and within 60 days of their first attendance — over all first
//!   attenders, and over those whose whole 30/60 days are inside the data.
//! - **First digital touch to first meeting**: days from a person's first messaging, sms, email
//!   or form event to their first attendance, for people whose first meeting came after it.
//! - **New people** per week (first event of any kind in the week) and **active people** (did
//!   something themselves that week: posted, replied, RSVP'd, attended, joined, subscribed,
//!   clicked, submitted a form — being texted or added does not count).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::stats::{distribution, wilson, Distribution, Rate};
use super::{Context, Period};
use crate::identity::Person;
use crate::schema::{Action, Channel, Precision};
use crate::timeline::Timeline;
use crate::timeutil;

#[derive(Debug, Clone, Serialize, Default)]
pub struct ShowCounts {
    /// People with a standing RSVP to a marked occasion.
    pub rsvps: u64,
    /// Of those, people who attended it.
    pub showed: u64,
    pub no_shows: u64,
    pub declined: u64,
    pub cancelled: u64,
    /// Attended without an RSVP.
    pub walk_ins: u64,
    /// RSVPs to occasions without any recorded attendance (excluded from the rate).
    pub unmarked_rsvps: u64,
    pub rate: Option<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OccasionShow {
    pub occasion: String,
    /// Local date of the occasion's first attendance or RSVP event.
    pub date: String,
    pub marked: bool,
    #[serde(flatten)]
    pub counts: ShowCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repeat {
    pub days: u32,
    pub first_attenders: u64,
    pub came_back: u64,
    pub rate: Option<Rate>,
    /// First attenders whose whole window is inside the data.
    pub observed: u64,
    pub came_back_observed: u64,
    pub rate_observed: Option<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekCount {
    pub period: String,
    pub start: String,
    pub new_people: u64,
    pub active_people: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Organizing {
    pub show_rate: ShowCounts,
    /// Occasions with RSVPs or attendance, oldest first.
    pub show_rate_by_occasion: Vec<OccasionShow>,
    pub repeat_attendance: Vec<Repeat>,
    pub first_touch_to_first_meeting: Distribution,
    /// People whose first meeting came before any digital touch.
    pub met_before_digital_touch: u64,
    /// Weeks ending with the report period, oldest first.
    pub weeks: Vec<WeekCount>,
    /// The report week's new and active people against last week and the 4-week average.
    pub new_people: Headline,
    pub active_people: Headline,
}

#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub this_period: u64,
    pub previous_period: u64,
    pub four_week_average: f64,
}

fn is_rsvp(a: Action) -> bool {
    matches!(a, Action::Rsvp | Action::RsvpConfirmed)
}

/// Actions a person does themselves (for "active").
pub fn is_active(a: Action) -> bool {
    use Action::*;
    matches!(
        a,
        GroupJoined | MessageSent | EmailSubscribed | EmailClicked | TextSent | Rsvp | RsvpConfirmed | Attended | FormSubmitted
    )
}

/// Channels that count as a digital touch.
pub fn is_digital(c: Channel) -> bool {
    matches!(c, Channel::Messaging | Channel::Sms | Channel::Email | Channel::Form)
}

/// The show-rate counts of one occasion, before rates: what any engine counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccasionTally {
    /// The occasion as text ([`Context::occasion_name`]).
    pub name: String,
    /// The earliest RSVP or attendance event of a member for it.
    pub first_ts: i64,
    /// Someone's attendance (attended or no-show) was recorded.
    pub marked: bool,
    /// People with a standing RSVP (not cancelled after their last RSVP).
    pub standing: u64,
    pub standing_attended: u64,
    pub no_shows: u64,
    pub declined: u64,
    /// People who cancelled after their last RSVP.
    pub cancelled: u64,
    /// Attended without a standing RSVP.
    pub walk_ins: u64,
}

/// One member who attended at least once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttenderTally {
    /// Their first attendance (time order, ties by event id): time and precision.
    pub first: (i64, Precision),
    /// Attended another occasion within [`REPEAT_DAYS`] of the first attendance.
    pub came_back: [bool; 2],
    /// Their first messaging, sms, email or form event.
    pub digital: Option<(i64, Precision)>,
}

/// Repeat attendance windows, in days.
pub const REPEAT_DAYS: [u32; 2] = [30, 60];

/// Everything [`Organizing`] is computed from: per occasion, per first attender, per week. The
/// default engine tallies the timeline ([`tally`]); the scale-out engines count the same in SQL.
/// Either way [`assemble`] turns them into the published metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tallies {
    pub occasions: Vec<OccasionTally>,
    pub attenders: Vec<AttenderTally>,
    /// New and active people in each of `period.last_weeks(weeks.max(5))`, oldest first.
    pub new: Vec<u64>,
    pub active: Vec<u64>,
}

pub fn compute(ctx: &Context, timeline: &Timeline, persons: &[Person], period: &Period, weeks: usize) -> Organizing {
    assemble(tally(ctx, timeline, persons, period, weeks), period, weeks)
}

/// Counts the timeline's members (organizers excluded) into [`Tallies`].
pub fn tally(ctx: &Context, timeline: &Timeline, persons: &[Person], period: &Period, weeks: usize) -> Tallies {
    let members: Vec<usize> = (0..timeline.persons()).filter(|&p| !persons[p].organizer).collect();

    // ---- show rate: per (occasion, person) the last RSVP-ish state and attendance
    #[derive(Default)]
    struct PersonAt {
        rsvp_ts: Option<(i64, u64)>,
        cancel_after_rsvp: bool,
        declined: bool,
        attended: bool,
        no_show: bool,
    }
    // Per occasion: counts folded person by person (a person's occasions are few, so their
    // states live in a small local list).
    let mut occ: rustc_hash::FxHashMap<u64, (u32, OccasionTally)> = Default::default();
    let mut mine: Vec<(u64, PersonAt)> = Vec::new();
    for &p in &members {
        mine.clear();
        for &i in timeline.person(p) {
            let action = ctx.action[i as usize];
            if !matches!(
                action,
                Action::Rsvp | Action::RsvpConfirmed | Action::RsvpCancelled | Action::Declined | Action::Attended | Action::NoShow
            ) {
                continue;
            }
            let o = ctx.occasion[i as usize];
            let ts = ctx.ts[i as usize];
            let acc = &mut occ
                .entry(o)
                .or_insert_with(|| {
                    (
                        i,
                        OccasionTally {
                            first_ts: ts,
                            ..OccasionTally::default()
                        },
                    )
                })
                .1;
            if ts < acc.first_ts {
                acc.first_ts = ts;
            }
            let k = match mine.iter().position(|(x, _)| *x == o) {
                Some(k) => k,
                None => {
                    mine.push((o, PersonAt::default()));
                    mine.len() - 1
                }
            };
            let st = &mut mine[k].1;
            match action {
                a if is_rsvp(a) => {
                    st.rsvp_ts = Some((ts, ctx.event_id[i as usize]));
                    st.cancel_after_rsvp = false;
                }
                Action::RsvpCancelled => st.cancel_after_rsvp = true,
                Action::Declined => st.declined = true,
                Action::Attended => st.attended = true,
                Action::NoShow => st.no_show = true,
                _ => {}
            }
        }
        for (o, s) in &mine {
            let acc = &mut occ.get_mut(o).expect("inserted above").1;
            let standing = s.rsvp_ts.is_some() && !s.cancel_after_rsvp;
            acc.marked |= s.attended || s.no_show;
            acc.cancelled += (s.rsvp_ts.is_some() && s.cancel_after_rsvp) as u64;
            acc.declined += s.declined as u64;
            acc.walk_ins += (s.attended && !standing) as u64;
            acc.no_shows += s.no_show as u64;
            acc.standing += standing as u64;
            acc.standing_attended += (standing && s.attended) as u64;
        }
    }
    let occasions = occ
        .into_values()
        .map(|(first_event, mut t)| {
            t.name = ctx.occasion_name(first_event);
            t
        })
        .collect();

    // ---- first attenders: did they come back, and their first digital touch
    let mut attenders = Vec::new();
    for &p in &members {
        let evs = timeline.person(p);
        let Some(&first) = evs.iter().find(|&&i| ctx.action[i as usize] == Action::Attended) else {
            continue;
        };
        let (f_ts, f_prec) = (ctx.ts[first as usize], ctx.precision[first as usize]);
        let came_back = REPEAT_DAYS.map(|days| {
            let bound = f_ts.saturating_add(days as i64 * timeutil::US_PER_DAY);
            evs.iter().any(|&i| {
                i != first
                    && ctx.action[i as usize] == Action::Attended
                    && ctx.occasion[i as usize] != ctx.occasion[first as usize]
                    && ctx.cmp(i, first) != Ordering::Less
                    && ctx.cmp_bound(i, bound, f_prec) != Ordering::Greater
            })
        });
        let digital = evs
            .iter()
            .find(|&&i| is_digital(ctx.channel[i as usize]))
            .map(|&t| (ctx.ts[t as usize], ctx.precision[t as usize]));
        attenders.push(AttenderTally {
            first: (f_ts, f_prec),
            came_back,
            digital,
        });
    }

    // ---- new and active people per week: one pass over each person's events
    let periods = period.last_weeks(weeks.max(5));
    let week_of = |day: i32| periods.iter().position(|pw| pw.holds_day(day));
    let mut new = vec![0u64; periods.len()];
    let mut active = vec![0u64; periods.len()];
    let mut seen_week = vec![false; periods.len()];
    for &p in &members {
        let evs = timeline.person(p);
        if let Some(w) = evs.first().and_then(|&i| week_of(ctx.day[i as usize])) {
            new[w] += 1;
        }
        seen_week.iter_mut().for_each(|x| *x = false);
        for &i in evs {
            if is_active(ctx.action[i as usize]) {
                if let Some(w) = week_of(ctx.day[i as usize]) {
                    if !seen_week[w] {
                        seen_week[w] = true;
                        active[w] += 1;
                    }
                }
            }
        }
    }
    Tallies {
        occasions,
        attenders,
        new,
        active,
    }
}

/// The published metrics from [`Tallies`]: rates with Wilson intervals, repeat attendance over
/// all first attenders and over those whose window is inside the data, time from first digital
/// touch to first meeting, and the weeks.
pub fn assemble(t: Tallies, period: &Period, weeks: usize) -> Organizing {
    let tz = period.tz;
    let mut overall = ShowCounts::default();
    let mut by_occasion = Vec::new();
    for acc in &t.occasions {
        let mut c = ShowCounts {
            no_shows: acc.no_shows,
            declined: acc.declined,
            cancelled: acc.cancelled,
            walk_ins: acc.walk_ins,
            ..ShowCounts::default()
        };
        if acc.marked {
            c.rsvps = acc.standing;
            c.showed = acc.standing_attended;
        } else {
            c.unmarked_rsvps = acc.standing;
        }
        c.rate = wilson(c.showed, c.rsvps);
        overall.rsvps += c.rsvps;
        overall.showed += c.showed;
        overall.no_shows += c.no_shows;
        overall.declined += c.declined;
        overall.cancelled += c.cancelled;
        overall.walk_ins += c.walk_ins;
        overall.unmarked_rsvps += c.unmarked_rsvps;
        by_occasion.push(OccasionShow {
            occasion: acc.name.clone(),
            date: timeutil::local_date(acc.first_ts, tz).to_string(),
            marked: acc.marked,
            counts: c,
        });
    }
    overall.rate = wilson(overall.showed, overall.rsvps);
    // Whole-row order: the same list whatever order the occasions were counted in.
    by_occasion.sort_by(|a, b| {
        let key = |o: &OccasionShow| {
            let c = &o.counts;
            (
                o.date.clone(),
                o.occasion.clone(),
                o.marked,
                c.rsvps,
                c.showed,
                c.no_shows,
                c.declined,
                c.cancelled,
                c.walk_ins,
                c.unmarked_rsvps,
            )
        };
        key(a).cmp(&key(b))
    });

    let mut repeat = REPEAT_DAYS.map(|d| (d, 0u64, 0u64, 0u64, 0u64));
    let mut touch_gaps = Vec::new();
    let mut met_first = 0u64;
    for a in &t.attenders {
        let (f_ts, f_prec) = a.first;
        for (r, &back) in repeat.iter_mut().zip(&a.came_back) {
            let bound = f_ts.saturating_add(r.0 as i64 * timeutil::US_PER_DAY);
            let observed = bound <= period.cutoff_us;
            r.1 += 1;
            r.2 += back as u64;
            r.3 += observed as u64;
            r.4 += (observed && back) as u64;
        }
        match a.digital {
            Some((d_ts, d_prec)) if super::cmp_coarse(f_ts, f_prec, d_ts, d_prec, tz) != Ordering::Less => {
                touch_gaps.push(super::gap_days(d_ts, d_prec, f_ts, f_prec, tz))
            }
            _ => met_first += 1,
        }
    }
    let repeat_attendance = repeat
        .iter()
        .map(|&(days, all, back, obs, back_obs)| Repeat {
            days,
            first_attenders: all,
            came_back: back,
            rate: wilson(back, all),
            observed: obs,
            came_back_observed: back_obs,
            rate_observed: wilson(back_obs, obs),
        })
        .collect();

    let periods = period.last_weeks(weeks.max(5));
    let weeks_list: Vec<WeekCount> = periods
        .iter()
        .enumerate()
        .map(|(w, pw)| WeekCount {
            period: pw.label.clone(),
            start: pw.start.to_string(),
            new_people: t.new.get(w).copied().unwrap_or(0),
            active_people: t.active.get(w).copied().unwrap_or(0),
        })
        .collect();
    let headline = |f: &dyn Fn(&WeekCount) -> u64| {
        let k = weeks_list.len();
        Headline {
            this_period: f(&weeks_list[k - 1]),
            previous_period: f(&weeks_list[k - 2]),
            four_week_average: (k - 5..k - 1).map(|i| f(&weeks_list[i]) as f64).sum::<f64>() / 4.0,
        }
    };
    let new_people = headline(&|w: &WeekCount| w.new_people);
    let active_people = headline(&|w: &WeekCount| w.active_people);
    let weeks_list = weeks_list[weeks_list.len() - weeks..].to_vec();

    Organizing {
        show_rate: overall,
        show_rate_by_occasion: by_occasion,
        repeat_attendance,
        first_touch_to_first_meeting: distribution(touch_gaps),
        met_before_digital_touch: met_first,
        weeks: weeks_list,
        new_people,
        active_people,
    }
}
