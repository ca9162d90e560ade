//! The ordered funnel against a brute-force reference written independently of `turnout::funnel`.
//!
//! The reference reads DESIGN.md §4 literally: for each person, the entry is the minimum
//! (time, event id) over S1 events; each later stage is the minimum over ALL events that match,
//! are unused, are not before the previous stage and not after entry + window, comparing times
//! as formatted strings at the coarser precision in the pipeline zone, with a different occasion
//! for a repeated predicate. No code is shared with the implementation beyond the data types.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use turnout::config::{FunnelPlan, Order, Predicate, StagePlan};
use turnout::funnel;
use turnout::identity::{Person, Resolution};
use turnout::schema::{Action, Channel, Event, Precision, Tool};
use turnout::timeline;

const TZ: &str = "America/Chicago";
/// 2026-03-07 00:00 UTC: two days before the spring DST change in Chicago.
const BASE: i64 = 1_772_841_600_000_000;
const HOUR: i64 = 3_600_000_000;

fn tz() -> Tz {
    TZ.parse().unwrap()
}

fn pred(actions: &[Action]) -> Predicate {
    Predicate {
        actions: Some(actions.iter().copied().collect()),
        ..Default::default()
    }
}

/// Candidate stage predicates; repeats make "came back" style stages.
fn stage_pool() -> Vec<Vec<Action>> {
    vec![
        vec![Action::GroupJoined, Action::MessageSent],
        vec![Action::MessageSent],
        vec![Action::Rsvp, Action::RsvpConfirmed],
        vec![Action::Attended],
        vec![Action::Attended],
        vec![Action::TextReceived],
    ]
}

#[derive(Debug, Clone)]
struct Ev {
    person: u32,
    ts: i64,
    precision: Precision,
    action: Action,
    occasion: Option<String>,
    context: Option<String>,
}

fn event_strategy(persons: u32) -> impl Strategy<Value = Ev> {
    let actions = prop::sample::select(vec![
        Action::GroupJoined,
        Action::MessageSent,
        Action::Rsvp,
        Action::RsvpConfirmed,
        Action::Attended,
        Action::TextReceived,
    ]);
    let precision = prop::sample::select(vec![Precision::Second, Precision::Minute, Precision::Day]);
    // times over ~12 days around the DST change, on a coarse grid to force ties
    (
        0..persons,
        0i64..(12 * 24 * 4),
        0i64..3,
        precision,
        actions,
        prop::option::of(0u8..3),
        prop::option::of(0u8..2),
    )
        .prop_map(|(person, quarter, jitter, precision, action, occ, ctx)| {
            let raw = BASE + quarter * HOUR / 4 + jitter * 7_000_000;
            let tz = tz();
            let ts = match precision {
                Precision::Second => raw - raw.rem_euclid(1_000_000),
                Precision::Minute => raw - raw.rem_euclid(60_000_000),
                Precision::Day => {
                    let d = DateTime::<Utc>::from_timestamp_micros(raw).unwrap().with_timezone(&tz).date_naive();
                    turnout::timeutil::local_midnight_us(d, tz)
                }
            };
            Ev {
                person,
                ts,
                precision,
                action,
                occasion: occ.map(|o| format!("meeting-{o}")),
                context: ctx.map(|c| format!("group-{c}")),
            }
        })
}

fn to_events(evs: &[Ev], ids: &[u64]) -> Vec<Event> {
    evs.iter()
        .zip(ids)
        .map(|(e, id)| Event {
            event_id: *id,
            ts: e.ts,
            precision: e.precision,
            source: "src".into(),
            tool: Tool::Csv,
            channel: Channel::Other,
            action: e.action,
            email: None,
            phone: None,
            name: None,
            external_id: None,
            context: e.context.as_deref().map(Into::into),
            occasion: e.occasion.as_deref().map(Into::into),
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            attrs: vec![].into(),
            organizer: false,
            origin: "test:1".into(),
        })
        .collect()
}

/// Time as text at a precision: lexicographic order = time order.
fn at(ts: i64, p: Precision) -> String {
    let t = DateTime::<Utc>::from_timestamp_micros(ts).unwrap();
    match p {
        Precision::Second => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Precision::Minute => t.format("%Y-%m-%dT%H:%M").to_string(),
        Precision::Day => t.with_timezone(&tz()).format("%Y-%m-%d").to_string(),
    }
}

fn coarser(a: Precision, b: Precision) -> Precision {
    let rank = |p: Precision| match p {
        Precision::Second => 0,
        Precision::Minute => 1,
        Precision::Day => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

fn occasion_of(e: &Event) -> String {
    e.occasion.map(String::from).unwrap_or_else(|| {
        let day = DateTime::<Utc>::from_timestamp_micros(e.ts)
            .unwrap()
            .with_timezone(&tz())
            .format("%Y-%m-%d")
            .to_string();
        format!("{} {}", e.context.unwrap_or(e.source), day)
    })
}

/// Brute force: per person, the event ids filling each stage.
fn reference(
    stages: &[Vec<Action>],
    window_us: i64,
    events: &[Event],
    person_of: &[u32],
    organizers: &BTreeSet<u32>,
    persons: u32,
) -> Vec<(u32, Vec<u64>)> {
    let mut out = Vec::new();
    for p in 0..persons {
        if organizers.contains(&p) {
            continue;
        }
        let mine: Vec<&Event> = events.iter().zip(person_of).filter(|(_, &q)| q == p).map(|(e, _)| e).collect();
        let matches = |k: usize, e: &Event| stages[k].contains(&e.action);
        let Some(first) = mine.iter().filter(|e| matches(0, e)).min_by_key(|e| (e.ts, e.event_id)) else {
            continue;
        };
        let mut fills: Vec<&Event> = vec![first];
        let bound = first.ts + window_us;
        for k in 1..stages.len() {
            let prev = *fills.last().unwrap();
            let best = mine
                .iter()
                .filter(|c| matches(k, c))
                .filter(|c| !fills.iter().any(|f| f.event_id == c.event_id))
                .filter(|c| {
                    let p = coarser(c.precision, prev.precision);
                    at(c.ts, p) >= at(prev.ts, p)
                })
                .filter(|c| {
                    let p = coarser(c.precision, first.precision);
                    at(c.ts, p) <= at(bound, p)
                })
                .filter(|c| {
                    (0..k)
                        .filter(|&j| stages[j] == stages[k])
                        .all(|j| occasion_of(c) != occasion_of(fills[j]))
                })
                .min_by_key(|c| (c.ts, c.event_id));
            match best {
                Some(b) => fills.push(b),
                None => break,
            }
        }
        out.push((p, fills.iter().map(|e| e.event_id).collect()));
    }
    out
}

fn implementation(
    stages: &[Vec<Action>],
    window_us: i64,
    events: &[Event],
    person_of: &[u32],
    organizers: &BTreeSet<u32>,
    persons: u32,
) -> Vec<(u32, Vec<u64>)> {
    implementation_with(Order::Ordered, stages, window_us, events, person_of, organizers, persons)
}

fn implementation_with(
    order: Order,
    stages: &[Vec<Action>],
    window_us: i64,
    events: &[Event],
    person_of: &[u32],
    organizers: &BTreeSet<u32>,
    persons: u32,
) -> Vec<(u32, Vec<u64>)> {
    let plan = FunnelPlan {
        name: "f".into(),
        window_us,
        window_text: "test".into(),
        order,
        breakdowns: vec![],
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, a)| StagePlan {
                name: format!("s{i}"),
                when: pred(a),
            })
            .collect(),
    };
    let res = Resolution {
        person_of: person_of.to_vec(),
        persons: (0..persons)
            .map(|p| Person {
                id: format!("P{p}"),
                organizer: organizers.contains(&p),
                first_seen: 0,
                events: 0,
                keys: 1,
            })
            .collect(),
        ..Default::default()
    };
    let tl = timeline::build(events, &res);
    funnel::people(&plan, events, &tl, &res.persons, tz())
        .into_iter()
        .map(|pf| (pf.person, pf.fills.iter().map(|&i| events[i as usize].event_id).collect()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn ordered_funnel_matches_brute_force(
        evs in prop::collection::vec(event_strategy(4), 0..40),
        stage_idx in prop::collection::vec(0usize..6, 1..6),
        window_q in 1i64..(8 * 24 * 4),
        organizer in prop::option::of(0u32..4),
        id_seed in any::<u64>(),
    ) {
        let pool = stage_pool();
        let stages: Vec<Vec<Action>> = stage_idx.iter().map(|&i| pool[i].clone()).collect();
        // distinct ids in an order unrelated to insertion
        let ids: Vec<u64> = (0..evs.len() as u64).map(|i| (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ id_seed).collect();
        prop_assume!(ids.iter().collect::<BTreeSet<_>>().len() == ids.len());
        let events = to_events(&evs, &ids);
        let person_of: Vec<u32> = evs.iter().map(|e| e.person).collect();
        let organizers: BTreeSet<u32> = organizer.into_iter().collect();
        let window_us = window_q * HOUR / 4;
        let want = reference(&stages, window_us, &events, &person_of, &organizers, 4);
        let got = implementation(&stages, window_us, &events, &person_of, &organizers, 4);
        prop_assert_eq!(got, want);
    }
}

/// Hand-computed cases for the precision rules of DESIGN.md §4.4.
#[test]
fn day_precision_sign_in_comes_after_same_day_rsvp_and_inside_window_day() {
    let tz = tz();
    let d = |y, m, dd| turnout::timeutil::local_midnight_us(chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap(), tz);
    // RSVP 2026-03-05 10:00 local (16:00 UTC), sign-in dated 2026-03-05 (day precision, at local midnight).
    let rsvp_ts = d(2026, 3, 5) + 10 * HOUR;
    let evs = vec![
        Ev {
            person: 0,
            ts: rsvp_ts - 48 * HOUR,
            precision: Precision::Second,
            action: Action::GroupJoined,
            occasion: None,
            context: None,
        },
        Ev {
            person: 0,
            ts: rsvp_ts,
            precision: Precision::Second,
            action: Action::Rsvp,
            occasion: None,
            context: None,
        },
        Ev {
            person: 0,
            ts: d(2026, 3, 5),
            precision: Precision::Day,
            action: Action::Attended,
            occasion: Some("m1".into()),
            context: None,
        },
    ];
    let events = to_events(&evs, &[1, 2, 3]);
    let stages = vec![vec![Action::GroupJoined], vec![Action::Rsvp], vec![Action::Attended]];
    let got = implementation(&stages, 3 * 24 * HOUR, &events, &[0, 0, 0], &BTreeSet::new(), 1);
    assert_eq!(got, vec![(0, vec![1, 2, 3])]);
    // Window bound falls on 2026-03-05 at 08:00 local: a sign-in dated 2026-03-05 is inside it,
    // and one dated 2026-03-06 is not.
    let join = d(2026, 3, 4) + 8 * HOUR;
    let evs = vec![
        Ev {
            person: 0,
            ts: join,
            precision: Precision::Second,
            action: Action::GroupJoined,
            occasion: None,
            context: None,
        },
        Ev {
            person: 0,
            ts: d(2026, 3, 5),
            precision: Precision::Day,
            action: Action::Attended,
            occasion: Some("m1".into()),
            context: None,
        },
        Ev {
            person: 1,
            ts: join,
            precision: Precision::Second,
            action: Action::GroupJoined,
            occasion: None,
            context: None,
        },
        Ev {
            person: 1,
            ts: d(2026, 3, 6),
            precision: Precision::Day,
            action: Action::Attended,
            occasion: Some("m1".into()),
            context: None,
        },
    ];
    let events = to_events(&evs, &[1, 2, 3, 4]);
    let stages = vec![vec![Action::GroupJoined], vec![Action::Attended]];
    let got = implementation(&stages, 24 * HOUR, &events, &[0, 0, 1, 1], &BTreeSet::new(), 2);
    assert_eq!(got, vec![(0, vec![1, 2]), (1, vec![3])]);
}

#[test]
fn came_back_needs_a_different_occasion_and_one_event_fills_one_stage() {
    let evs = vec![
        Ev {
            person: 0,
            ts: BASE,
            precision: Precision::Second,
            action: Action::Attended,
            occasion: Some("m1".into()),
            context: None,
        },
        // a duplicate sign-in at the same meeting: not a second attendance
        Ev {
            person: 0,
            ts: BASE + HOUR,
            precision: Precision::Second,
            action: Action::Attended,
            occasion: Some("m1".into()),
            context: None,
        },
        Ev {
            person: 0,
            ts: BASE + 50 * HOUR,
            precision: Precision::Second,
            action: Action::Attended,
            occasion: Some("m2".into()),
            context: None,
        },
    ];
    let events = to_events(&evs, &[10, 11, 12]);
    let stages = vec![vec![Action::Attended], vec![Action::Attended]];
    let got = implementation(&stages, 30 * 24 * HOUR, &events, &[0, 0, 0], &BTreeSet::new(), 1);
    assert_eq!(got, vec![(0, vec![10, 12])]);
    // With only the duplicate sign-in, nobody came back.
    let got = implementation(&stages, 30 * 24 * HOUR, &events[..2], &[0, 0], &BTreeSet::new(), 1);
    assert_eq!(got, vec![(0, vec![10])]);
}

/// Brute force for unordered funnels: for each k, try every way to give stages 2..k distinct
/// events inside [entry, entry + window] (identical predicates: distinct occasions, also from
/// the entry event's when S1 shares the predicate). Returns (person, furthest stage).
fn reference_unordered(
    stages: &[Vec<Action>],
    window_us: i64,
    events: &[Event],
    person_of: &[u32],
    organizers: &BTreeSet<u32>,
    persons: u32,
) -> Vec<(u32, usize)> {
    let mut out = Vec::new();
    for p in 0..persons {
        if organizers.contains(&p) {
            continue;
        }
        let mine: Vec<&Event> = events.iter().zip(person_of).filter(|(_, &q)| q == p).map(|(e, _)| e).collect();
        let Some(first) = mine
            .iter()
            .filter(|e| stages[0].contains(&e.action))
            .min_by_key(|e| (e.ts, e.event_id))
        else {
            continue;
        };
        let bound = first.ts + window_us;
        let inside: Vec<&Event> = mine
            .iter()
            .copied()
            .filter(|c| c.event_id != first.event_id)
            .filter(|c| {
                let p1 = coarser(c.precision, first.precision);
                at(c.ts, p1) >= at(first.ts, p1) && at(c.ts, p1) <= at(bound, p1)
            })
            .collect();
        fn fits<'e>(stages: &[Vec<Action>], k: usize, s: usize, chosen: &mut Vec<&'e Event>, inside: &[&'e Event], first: &Event) -> bool {
            if s > k {
                return true;
            }
            for c in inside {
                if !stages[s].contains(&c.action) || chosen.iter().any(|x| x.event_id == c.event_id) {
                    continue;
                }
                // identical predicates: different occasions (entry included)
                let clash =
                    (0..s).any(|j| stages[j] == stages[s] && occasion_of(if j == 0 { first } else { chosen[j - 1] }) == occasion_of(c));
                if clash {
                    continue;
                }
                chosen.push(c);
                if fits(stages, k, s + 1, chosen, inside, first) {
                    return true;
                }
                chosen.pop();
            }
            false
        }
        let mut furthest = 1;
        for k in 1..stages.len() {
            if fits(stages, k, 1, &mut Vec::new(), &inside, first) {
                furthest = k + 1;
            } else {
                break;
            }
        }
        out.push((p, furthest));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn unordered_funnel_matches_brute_force(
        evs in prop::collection::vec(event_strategy(3), 0..24),
        stage_idx in prop::collection::vec(0usize..6, 1..5),
        window_q in 1i64..(8 * 24 * 4),
        organizer in prop::option::of(0u32..3),
        id_seed in any::<u64>(),
    ) {
        let pool = stage_pool();
        let stages: Vec<Vec<Action>> = stage_idx.iter().map(|&i| pool[i].clone()).collect();
        let ids: Vec<u64> = (0..evs.len() as u64).map(|i| (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ id_seed).collect();
        prop_assume!(ids.iter().collect::<BTreeSet<_>>().len() == ids.len());
        let events = to_events(&evs, &ids);
        let person_of: Vec<u32> = evs.iter().map(|e| e.person).collect();
        let organizers: BTreeSet<u32> = organizer.into_iter().collect();
        let window_us = window_q * HOUR / 4;
        let want = reference_unordered(&stages, window_us, &events, &person_of, &organizers, 3);
        let got: Vec<(u32, usize)> = implementation_with(Order::Unordered, &stages, window_us, &events, &person_of, &organizers, 3)
            .into_iter()
            .map(|(p, fills)| {
                // the assignment itself must be valid: distinct events
                let distinct: BTreeSet<u64> = fills.iter().copied().collect();
                assert_eq!(distinct.len(), fills.len());
                (p, fills.len())
            })
            .collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn unordered_is_exact_not_greedy() {
    // Stages: entry (group), "spoke or texted" (message_sent | text_received), "texted" (text_received).
    // Greedy in time order would give the only text to stage 2 and leave stage 3 empty; the
    // exact assignment gives the message to stage 2 and the text to stage 3.
    let evs = vec![
        Ev {
            person: 0,
            ts: BASE,
            precision: Precision::Second,
            action: Action::GroupJoined,
            occasion: None,
            context: None,
        },
        Ev {
            person: 0,
            ts: BASE + HOUR,
            precision: Precision::Second,
            action: Action::TextReceived,
            occasion: None,
            context: None,
        },
        Ev {
            person: 0,
            ts: BASE + 2 * HOUR,
            precision: Precision::Second,
            action: Action::MessageSent,
            occasion: None,
            context: None,
        },
    ];
    let events = to_events(&evs, &[1, 2, 3]);
    let stages = vec![
        vec![Action::GroupJoined],
        vec![Action::MessageSent, Action::TextReceived],
        vec![Action::TextReceived],
    ];
    let got = implementation_with(Order::Unordered, &stages, 24 * HOUR, &events, &[0, 0, 0], &BTreeSet::new(), 1);
    assert_eq!(got, vec![(0, vec![1, 3, 2])]);
    // Ordered mode takes the text for stage 2 (earliest) and then has nothing for stage 3.
    let got = implementation(&stages, 24 * HOUR, &events, &[0, 0, 0], &BTreeSet::new(), 1);
    assert_eq!(got, vec![(0, vec![1, 2])]);
}
