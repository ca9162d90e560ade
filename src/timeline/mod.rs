//! Timeline: every person's events in time order.
//!
//! Takes: the events and the identity resolution. Gives: [`Timeline`], the event indices grouped
//! by person and ordered by (time, event id) within each person. Promises: the order is total and
//! deterministic (event ids break ties), so "first" and "earliest" mean the same thing in every
//! stage and every run.

use crate::identity::Resolution;
use crate::schema::Event;

#[derive(Debug, Clone)]
pub struct Timeline {
    /// Event indices, grouped by person, time-ordered within a person.
    pub order: Vec<u32>,
    /// `order[offsets[p]..offsets[p + 1]]` are person `p`'s events.
    pub offsets: Vec<usize>,
}

impl Timeline {
    pub fn person(&self, p: usize) -> &[u32] {
        &self.order[self.offsets[p]..self.offsets[p + 1]]
    }

    pub fn persons(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
}

pub fn build(events: &[Event], res: &Resolution) -> Timeline {
    let n_persons = res.persons.len();
    let mut offsets = vec![0usize; n_persons + 1];
    for &p in &res.person_of {
        offsets[p as usize + 1] += 1;
    }
    for i in 0..n_persons {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut order = vec![0u32; events.len()];
    for (i, &p) in res.person_of.iter().enumerate() {
        order[fill[p as usize]] = i as u32;
        fill[p as usize] += 1;
    }
    for p in 0..n_persons {
        order[offsets[p]..offsets[p + 1]].sort_by_key(|&i| (events[i as usize].ts, events[i as usize].event_id));
    }
    Timeline { order, offsets }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Person, Resolution};
    use crate::schema::{Action, Channel, Precision, Tool};

    #[test]
    fn grouped_by_person_ordered_by_time_then_id() {
        let mk = |id: u64, ts: i64| Event {
            event_id: id,
            ts,
            precision: Precision::Second,
            source: "s".into(),
            tool: Tool::Csv,
            channel: Channel::Other,
            action: Action::Attended,
            email: None,
            phone: None,
            name: None,
            external_id: None,
            context: None,
            occasion: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            attrs: vec![].into(),
            organizer: false,
            origin: crate::schema::Origin::new("", 0),
        };
        let events = vec![mk(9, 50), mk(3, 10), mk(7, 50), mk(1, 99), mk(2, 5)];
        let person = |i: &str| Person {
            id: i.into(),
            organizer: false,
            first_seen: 0,
            events: 0,
            keys: 1,
        };
        let res = Resolution {
            person_of: vec![0, 1, 0, 0, 1],
            persons: vec![person("a"), person("b")],
            ..Default::default()
        };
        let tl = build(&events, &res);
        let ids = |p: usize| tl.person(p).iter().map(|&i| events[i as usize].event_id).collect::<Vec<_>>();
        assert_eq!(ids(0), vec![7, 9, 1]); // ts 50 (id 7), 50 (id 9), 99
        assert_eq!(ids(1), vec![2, 3]);
        assert_eq!(tl.persons(), 2);
    }
}
