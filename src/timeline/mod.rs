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
