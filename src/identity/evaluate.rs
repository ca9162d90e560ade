//! Evaluation of identity resolution against a ground truth: pairwise precision and recall.
//!
//! Takes: the ingested events, their resolution, and a ground-truth CSV as `turnout demo`
//! writes it (`file,line,person_id,role`, files relative to the truth file's folder). Gives:
//! [`Evaluation`] — over every pair of records, how many the resolution put together
//! (predicted), how many truly belong together (true) and how many of each are right.
//! Promises: records are matched to truth by origin (`file:line`); a line that holds several
//! people (a WhatsApp notice "added A, B and C") is left out, since its events cannot be told
//! apart by origin; records without a truth row are counted, never guessed.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::Resolution;
use crate::schema::Event;

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Records matched to a truth row.
    pub records: u64,
    /// Records from lines naming several people (left out).
    pub multi_person_records: u64,
    /// Records with no truth row.
    pub unmatched_records: u64,
    pub true_persons: u64,
    pub predicted_persons: u64,
    /// Pairs of records in one predicted person.
    pub predicted_pairs: u64,
    /// Pairs of records of one true person.
    pub true_pairs: u64,
    /// Pairs in both.
    pub correct_pairs: u64,
}

impl Evaluation {
    /// Share of predicted pairs that are right (1 when nothing was linked).
    pub fn precision(&self) -> f64 {
        if self.predicted_pairs == 0 {
            1.0
        } else {
            self.correct_pairs as f64 / self.predicted_pairs as f64
        }
    }
    /// Share of true pairs that were found (1 when there is nothing to find).
    pub fn recall(&self) -> f64 {
        if self.true_pairs == 0 {
            1.0
        } else {
            self.correct_pairs as f64 / self.true_pairs as f64
        }
    }
}

/// Ground truth: `file:line` (file relative to `prefix`) → person, or `None` for a line of
/// several people.
pub fn read_truth(path: &Path, prefix: &str) -> Result<HashMap<String, Option<String>>> {
    let mut rdr = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(f), Some(l), Some(p)) = (col("file"), col("line"), col("person_id")) else {
        bail!(
            "{}: expected the columns file, line, person_id (as `turnout demo` writes them)",
            path.display()
        );
    };
    let mut truth: HashMap<String, Option<String>> = HashMap::new();
    for r in rdr.records() {
        let r = r?;
        let key = format!("{prefix}{}:{}", &r[f], &r[l]);
        let person = r[p].to_string();
        truth
            .entry(key)
            .and_modify(|v| {
                if v.as_deref() != Some(person.as_str()) {
                    *v = None
                }
            })
            .or_insert(Some(person));
    }
    Ok(truth)
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Pairwise precision and recall of `res` on `events` against `truth` (see [`read_truth`]).
pub fn evaluate(events: &[Event], res: &Resolution, truth: &HashMap<String, Option<String>>) -> Evaluation {
    let mut ev = Evaluation {
        records: 0,
        multi_person_records: 0,
        unmatched_records: 0,
        true_persons: 0,
        predicted_persons: 0,
        predicted_pairs: 0,
        true_pairs: 0,
        correct_pairs: 0,
    };
    let mut by_pred: HashMap<u32, u64> = HashMap::new();
    let mut by_true: HashMap<&str, u64> = HashMap::new();
    let mut by_both: HashMap<(u32, &str), u64> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        match truth.get(e.origin.to_string().as_str()) {
            None => ev.unmatched_records += 1,
            Some(None) => ev.multi_person_records += 1,
            Some(Some(t)) => {
                ev.records += 1;
                let p = res.person_of[i];
                *by_pred.entry(p).or_default() += 1;
                *by_true.entry(t.as_str()).or_default() += 1;
                *by_both.entry((p, t.as_str())).or_default() += 1;
            }
        }
    }
    ev.true_persons = by_true.len() as u64;
    ev.predicted_persons = by_pred.len() as u64;
    ev.predicted_pairs = by_pred.values().map(|&n| pairs(n)).sum();
    ev.true_pairs = by_true.values().map(|&n| pairs(n)).sum();
    ev.correct_pairs = by_both.values().map(|&n| pairs(n)).sum();
    ev
}

/// For diagnosis: the true persons split across several predicted persons, and the predicted
/// persons holding several true ones, as (truth id, event indices) groups.
pub fn errors<'a>(
    events: &[Event],
    res: &Resolution,
    truth: &'a HashMap<String, Option<String>>,
) -> (Vec<(&'a str, Vec<usize>)>, Vec<(u32, Vec<usize>)>) {
    let mut by_true: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_pred: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut truth_of: Vec<Option<&str>> = vec![None; events.len()];
    for (i, e) in events.iter().enumerate() {
        if let Some(Some(t)) = truth.get(e.origin.to_string().as_str()) {
            by_true.entry(t.as_str()).or_default().push(i);
            by_pred.entry(res.person_of[i]).or_default().push(i);
            truth_of[i] = Some(t.as_str());
        }
    }
    let mut split: Vec<(&str, Vec<usize>)> = by_true
        .into_iter()
        .filter(|(_, ix)| ix.iter().any(|&i| res.person_of[i] != res.person_of[ix[0]]))
        .collect();
    split.sort();
    let mut merged: Vec<(u32, Vec<usize>)> = by_pred
        .into_iter()
        .filter(|(_, ix)| ix.iter().any(|&i| truth_of[i] != truth_of[ix[0]]))
        .collect();
    merged.sort();
    (split, merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_counts_follow_the_definition() {
        // truth: a a a b ; predicted: {0,1} {2,3}
        // predicted pairs 2, true pairs 3, correct 1
        let mut by = HashMap::new();
        for (k, t) in ["x:1", "x:2", "x:3", "x:4"].iter().zip(["a", "a", "a", "b"]) {
            by.insert(k.to_string(), Some(t.to_string()));
        }
        let events: Vec<Event> = (1..=4)
            .map(|i| {
                let mut e = crate::identity::tests::ev(i, "sheets", None, None, None);
                e.origin = crate::schema::Origin::new("x", i as u64);
                e
            })
            .collect();
        let res = Resolution {
            person_of: vec![0, 0, 1, 1],
            ..Default::default()
        };
        let e = evaluate(&events, &res, &by);
        assert_eq!((e.predicted_pairs, e.true_pairs, e.correct_pairs), (2, 3, 1));
        assert!((e.precision() - 0.5).abs() < 1e-12);
        assert!((e.recall() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((e.true_persons, e.predicted_persons), (2, 2));
    }
}
