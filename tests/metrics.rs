//! Hand-computed examples for every funnel and organizing metric (DESIGN.md §4).

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

use turnout::config::{Breakdown, Dim, FunnelPlan, Order, Predicate, StagePlan};
use turnout::funnel::{self, organizing, Context, Period};
use turnout::identity::{Person, Resolution};
use turnout::schema::{Action, Event, Precision, Tool};
use turnout::timeline;

fn tz() -> Tz {
    "UTC".parse().unwrap()
}

fn at(d: u32, m: u32, h: u32) -> i64 {
    NaiveDate::from_ymd_opt(2026, m, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros()
}

#[derive(Debug)]
struct E {
    person: u32,
    ts: i64,
    precision: Precision,
    action: Action,
    occasion: Option<&'static str>,
    worksite: Option<&'static str>,
    utm: Option<&'static str>,
}

fn e(person: u32, ts: i64, action: Action) -> E {
    E {
        person,
        ts,
        precision: Precision::Second,
        action,
        occasion: None,
        worksite: None,
        utm: None,
    }
}

fn build(es: &[E]) -> (Vec<Event>, Resolution) {
    let events: Vec<Event> = es
        .iter()
        .enumerate()
        .map(|(i, x)| Event {
            event_id: 1000 + i as u64,
            ts: x.ts,
            precision: x.precision,
            source: "src".into(),
            tool: Tool::Csv,
            channel: x.action.default_channel(),
            action: x.action,
            email: None,
            phone: None,
            name: None,
            external_id: None,
            context: Some("Store".into()),
            occasion: x.occasion.map(Into::into),
            utm_source: x.utm.map(Into::into),
            utm_medium: None,
            utm_campaign: None,
            attrs: vec![x.worksite.map(Into::into)].into(),
            organizer: false,
            origin: "test:0".into(),
        })
        .collect();
    let n = es.iter().map(|x| x.person).max().unwrap() + 1;
    let res = Resolution {
        person_of: es.iter().map(|x| x.person).collect(),
        persons: (0..n)
            .map(|p| Person {
                id: format!("P{p}"),
                organizer: p == 3,
                first_seen: 0,
                events: 0,
                keys: 1,
            })
            .collect(),
        ..Default::default()
    };
    (events, res)
}

fn pred(a: &[Action]) -> Predicate {
    Predicate {
        actions: Some(a.iter().copied().collect()),
        ..Default::default()
    }
}

fn fixture() -> Vec<E> {
    use Action::*;
    let day = |p: u32, d: u32, m: u32, a: Action, occ: &'static str| E {
        person: p,
        ts: at(d, m, 0),
        precision: Precision::Day,
        action: a,
        occasion: Some(occ),
        worksite: None,
        utm: None,
    };
    vec![
        // P0 climbs the whole ladder; worksite A at entry; RSVP carries utm_source sms
        E {
            worksite: Some("A"),
            ..e(0, at(2, 3, 10), GroupJoined)
        },
        e(0, at(2, 3, 12), MessageSent),
        E {
            occasion: Some("m1"),
            utm: Some("sms"),
            ..e(0, at(3, 3, 9), Rsvp)
        },
        day(0, 5, 3, Attended, "m1"),
        day(0, 20, 3, Attended, "m2"),
        // P1: worksite B known before entry (first touch), enters 03-03
        E {
            worksite: Some("B"),
            ..e(1, at(20, 2, 8), EmailSubscribed)
        },
        e(1, at(3, 3, 8), GroupJoined),
        // P2: no worksite anywhere; speaks up too late for the window; sets the cut-off
        e(2, at(4, 3, 8), GroupJoined),
        e(2, at(30, 4, 8), MessageSent),
        // P3 is an organizer: in nothing
        e(3, at(2, 3, 8), GroupJoined),
        day(3, 5, 3, Attended, "m1"),
        // P4 RSVPs then cancels; P5 walks in; P6 RSVPs to a meeting nobody took attendance at;
        // P7 RSVPs and is marked no-show
        E {
            occasion: Some("m1"),
            ..e(4, at(3, 3, 10), Rsvp)
        },
        E {
            occasion: Some("m1"),
            ..e(4, at(4, 3, 10), RsvpCancelled)
        },
        day(5, 5, 3, Attended, "m1"),
        E {
            occasion: Some("m3"),
            ..e(6, at(6, 3, 10), Rsvp)
        },
        E {
            occasion: Some("m1"),
            ..e(7, at(3, 3, 11), Rsvp)
        },
        day(7, 5, 3, NoShow, "m1"),
    ]
}

fn ladder() -> FunnelPlan {
    use Action::*;
    FunnelPlan {
        name: "Group to meeting".into(),
        window_us: 30 * 86_400_000_000,
        window_text: "30d".into(),
        order: Order::Ordered,
        breakdowns: vec![
            Breakdown {
                label: "worksite".into(),
                dim: Dim::Attr(0),
                at_stage: None,
            },
            Breakdown {
                label: "utm_source@RSVP'd".into(),
                dim: Dim::UtmSource,
                at_stage: Some(2),
            },
            Breakdown {
                label: "first_channel".into(),
                dim: Dim::Channel,
                at_stage: None,
            },
        ],
        stages: vec![
            StagePlan {
                name: "In a group".into(),
                when: pred(&[GroupJoined, MessageSent]),
            },
            StagePlan {
                name: "Spoke up".into(),
                when: pred(&[MessageSent]),
            },
            StagePlan {
                name: "RSVP'd".into(),
                when: pred(&[Rsvp]),
            },
            StagePlan {
                name: "Came".into(),
                when: pred(&[Attended]),
            },
            StagePlan {
                name: "Came back".into(),
                when: pred(&[Attended]),
            },
        ],
    }
}

fn period(cutoff: i64) -> Period {
    Period::week(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), Weekday::Mon, tz(), cutoff)
}

#[test]
fn funnel_counts_breakdowns_cohorts_and_timing() {
    let (events, res) = build(&fixture());
    let tl = timeline::build(&events, &res);
    let plan = ladder();
    let people = funnel::people(&plan, &events, &tl, &res.persons, tz());
    let cutoff = events.iter().map(|e| e.ts).max().unwrap();
    let m = funnel::metrics(&plan, &people, &Context::from_events(&events, tz()), &tl, &period(cutoff), 2);

    assert_eq!(m.stages.iter().map(|s| s.count).collect::<Vec<_>>(), vec![3, 1, 1, 1, 1]);
    assert!((m.stages[1].rate_from_previous.unwrap().value - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(m.this_period, vec![3, 1, 1, 1, 0]);
    assert_eq!(m.previous_period, vec![0; 5]);

    let buckets = |i: usize| {
        m.breakdowns[i]
            .buckets
            .iter()
            .map(|b| (b.value.clone(), b.counts.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        buckets(0),
        vec![
            ("A".into(), vec![1, 1, 1, 1, 1]),
            ("B".into(), vec![1, 0, 0, 0, 0]),
            ("unknown".into(), vec![1, 0, 0, 0, 0])
        ]
    );
    assert_eq!(
        buckets(1),
        vec![("sms".into(), vec![1, 1, 1, 1, 1]), ("unknown".into(), vec![2, 0, 0, 0, 0])]
    );
    // P1's first event is an email: first channel is email, not messaging
    assert_eq!(
        buckets(2),
        vec![("messaging".into(), vec![2, 1, 1, 1, 1]), ("email".into(), vec![1, 0, 0, 0, 0])]
    );

    let cohorts: Vec<(String, Vec<u64>, bool)> = m.cohorts.iter().map(|c| (c.period.clone(), c.counts.clone(), c.maturing)).collect();
    assert_eq!(
        cohorts,
        vec![
            ("2026-W09".into(), vec![0; 5], false),
            ("2026-W10".into(), vec![3, 1, 1, 1, 1], false)
        ]
    );

    // Came (day precision) after an RSVP at 09:00 on 03-03: 2 days from the RSVP, 3 from entry.
    let came = &m.time_to_convert[2];
    assert_eq!(came.name, "Came");
    assert_eq!(came.from_previous.as_ref().unwrap().median, Some(2.0));
    assert_eq!(came.from_entry.median, Some(3.0));
    assert_eq!(m.time_to_convert[3].from_previous.as_ref().unwrap().median, Some(15.0));
    // Spoke up: two hours after joining
    assert!((m.time_to_convert[0].from_entry.median.unwrap() - 2.0 / 24.0).abs() < 1e-9);
    assert_eq!(m.time_to_convert[0].from_entry.histogram[0], 1);
}

#[test]
fn a_cohort_is_maturing_until_its_window_has_passed() {
    let (events, res) = build(&fixture());
    let tl = timeline::build(&events, &res);
    let plan = ladder();
    let people = funnel::people(&plan, &events, &tl, &res.persons, tz());
    // cut-off a week after the period: the W10 cohort (ends 03-09) needs data to 04-08
    let m = funnel::metrics(&plan, &people, &Context::from_events(&events, tz()), &tl, &period(at(16, 3, 0)), 1);
    assert!(m.cohorts[0].maturing);
    let m = funnel::metrics(&plan, &people, &Context::from_events(&events, tz()), &tl, &period(at(8, 4, 0)), 1);
    assert!(!m.cohorts[0].maturing, "the bound is inclusive: 03-09 + 30 days = 04-08");
}

#[test]
fn organizing_metrics_by_hand() {
    let (events, res) = build(&fixture());
    let tl = timeline::build(&events, &res);
    let ctx = Context::from_events(&events, tz());
    let cutoff = events.iter().map(|e| e.ts).max().unwrap();
    let o = organizing::compute(&ctx, &tl, &res.persons, &period(cutoff), 4);

    let s = &o.show_rate;
    // walk-ins: P5 at m1, and P0 at m2 (no RSVP for m2)
    assert_eq!(
        (s.rsvps, s.showed, s.no_shows, s.cancelled, s.walk_ins, s.unmarked_rsvps, s.declined),
        (2, 1, 1, 1, 2, 1, 0)
    );
    assert_eq!(s.rate.unwrap().value, 0.5);
    let m1 = o.show_rate_by_occasion.iter().find(|x| x.occasion == "m1").unwrap();
    assert!(m1.marked && m1.counts.rsvps == 2 && m1.counts.showed == 1);
    let m3 = o.show_rate_by_occasion.iter().find(|x| x.occasion == "m3").unwrap();
    assert!(!m3.marked && m3.counts.unmarked_rsvps == 1 && m3.counts.rate.is_none());

    let r30 = &o.repeat_attendance[0];
    assert_eq!(
        (r30.days, r30.first_attenders, r30.came_back, r30.observed, r30.came_back_observed),
        (30, 2, 1, 2, 1)
    );
    let r60 = &o.repeat_attendance[1];
    assert_eq!(
        (r60.days, r60.first_attenders, r60.came_back, r60.observed, r60.came_back_observed),
        (60, 2, 1, 0, 0)
    );
    assert!(r60.rate_observed.is_none());

    assert_eq!(o.first_touch_to_first_meeting.count, 1);
    assert_eq!(o.first_touch_to_first_meeting.median, Some(3.0));
    assert_eq!(o.met_before_digital_touch, 1);

    let last = o.weeks.last().unwrap();
    assert_eq!((last.period.as_str(), last.new_people, last.active_people), ("2026-W10", 6, 7));
    assert_eq!((o.new_people.this_period, o.new_people.previous_period), (6, 0));
    assert_eq!(o.new_people.four_week_average, 0.25);
    assert_eq!(o.active_people.four_week_average, 0.25);
}

mod invariants {
    use super::*;
    use proptest::prelude::*;

    fn arb_event() -> impl Strategy<Value = E> {
        let actions = prop::sample::select(vec![
            Action::GroupJoined,
            Action::MessageSent,
            Action::Rsvp,
            Action::Attended,
            Action::EmailSubscribed,
            Action::NoShow,
        ]);
        let precision = prop::sample::select(vec![Precision::Second, Precision::Day]);
        (
            0u32..6,
            0i64..(40 * 24),
            actions,
            precision,
            prop::option::of(prop::sample::select(vec!["A", "B"])),
            prop::option::of(prop::sample::select(vec!["m1", "m2", "m3"])),
        )
            .prop_map(|(person, hour, action, precision, worksite, occ)| {
                let ts = at(20, 2, 0) + hour * 3_600_000_000;
                let ts = if precision == Precision::Day {
                    ts - ts.rem_euclid(86_400_000_000)
                } else {
                    ts
                };
                E {
                    person,
                    ts,
                    precision,
                    action,
                    occasion: occ,
                    worksite,
                    utm: None,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        #[test]
        fn every_person_in_one_bucket_counts_monotone_gaps_non_negative(mut es in prop::collection::vec(arb_event(), 1..60), unordered in any::<bool>()) {
            // make sure person ids are dense and P3 (an organizer) exists
            es.push(e(6, at(1, 3, 0), Action::GroupJoined));
            let (events, res) = build(&es);
            let tl = timeline::build(&events, &res);
            let mut plan = ladder();
            if unordered {
                plan.order = Order::Unordered;
            }
            let people = funnel::people(&plan, &events, &tl, &res.persons, tz());
            let cutoff = events.iter().map(|x| x.ts).max().unwrap();
            let m = funnel::metrics(&plan, &people, &Context::from_events(&events, tz()), &tl, &period(cutoff), 3);
            let counts: Vec<u64> = m.stages.iter().map(|s| s.count).collect();
            prop_assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{:?}", counts);
            for b in &m.breakdowns {
                for k in 0..counts.len() {
                    prop_assert_eq!(b.buckets.iter().map(|x| x.counts[k]).sum::<u64>(), counts[k], "breakdown {}", b.name);
                }
            }
            for s in &m.stages {
                for r in [s.rate_from_previous, s.rate_from_entry].into_iter().flatten() {
                    prop_assert!((0.0..=1.0).contains(&r.value) && r.low <= r.value && r.value <= r.high);
                }
            }
            for t in &m.time_to_convert {
                prop_assert_eq!(t.from_entry.histogram.iter().sum::<u64>(), t.from_entry.count);
                prop_assert!(t.from_entry.p25.is_none_or(|v| v >= 0.0));
                if let Some(p) = &t.from_previous {
                    prop_assert!(p.p25.is_none_or(|v| v >= 0.0), "ordered gaps are never negative");
                }
            }
            // every person in the output exists and is not an organizer
            for p in &people {
                prop_assert!(!res.persons[p.person as usize].organizer);
            }
            let o = organizing::compute(&Context::from_events(&events, tz()), &tl, &res.persons, &period(cutoff), 4);
            prop_assert!(o.show_rate.showed <= o.show_rate.rsvps);
            for r in &o.repeat_attendance {
                prop_assert!(r.came_back <= r.first_attenders && r.came_back_observed <= r.observed && r.observed <= r.first_attenders);
            }
        }
    }
}
