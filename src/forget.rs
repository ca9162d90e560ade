//! `turnout forget`: erase a person from every person-level output and cache.
//!
//! Takes: a pipeline and one or more emails or phone numbers. Gives: the person(s) holding them
//! (found through the pseudonymised `person_keys` of the last run) removed from every table in
//! `work/<pipeline>/` and from the organizers' action lists in `restricted/<pipeline>/`, and the
//! parsed-file cache deleted (it holds the exports' raw rows). Promises: nothing here prints or
//! records the identifiers or the person ids — `work/<pipeline>/forget.log` gets the date and
//! counts only; published reports hold aggregates only and are left as they are; the exports
//! in `data/` are the data lead's to edit, and the command says so, since the next run would
//! read the person from them again.

use std::collections::HashSet;
use std::io::Write;

use crate::config::Plan;
use crate::error::{Diagnostic, Result, TurnoutError};
use crate::identity::normalize;
use crate::privacy::Pseudonymizer;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forgotten {
    pub persons: usize,
    pub rows: usize,
    pub tables: usize,
    pub list_rows: usize,
    pub cache_entries: usize,
}

/// The keyed tokens an identifier can have in `person_keys` (its own, and the guard's
/// per-name sub-keys of a shared key).
fn tokens(plan: &Plan, pseudo: &Pseudonymizer, raw: &str) -> Result<Vec<String>> {
    let (kind, value) = if raw.contains('@') {
        ("email", normalize::email(raw).map_err(|_| bad(raw, "not a valid email address"))?)
    } else {
        (
            "phone",
            normalize::phone(raw, plan.default_region).map_err(|_| bad(raw, "not a valid phone number"))?,
        )
    };
    let mut out = vec![pseudo.token(kind, &value)];
    out.push(pseudo.token(kind, &format!("{value}#?")));
    for i in 0..32 {
        out.push(pseudo.token(kind, &format!("{value}#{i}")));
    }
    Ok(out)
}

fn bad(_raw: &str, why: &str) -> TurnoutError {
    // The value itself is never repeated back (it may be someone's phone).
    TurnoutError::Config(vec![Diagnostic::new(
        "turnout forget",
        0,
        0,
        format!("an identifier given is {why}"),
    )
    .hint("give the person's email address or phone number as the exports hold it")])
}

pub fn forget(plan: &Plan, identifiers: &[String]) -> Result<Forgotten> {
    let internal = |e: anyhow::Error| TurnoutError::Internal(e);
    let pseudo = Pseudonymizer::load_or_create(&plan.root).map_err(|e| internal(e.into()))?;
    let mut wanted: HashSet<String> = HashSet::new();
    for raw in identifiers {
        wanted.extend(tokens(plan, &pseudo, raw)?);
    }
    let work = plan.work_dir();
    let keys_path = work.join("person_keys.parquet");
    let mut persons: HashSet<String> = HashSet::new();
    if keys_path.is_file() {
        for (token, person) in crate::tables::read_person_keys(&keys_path).map_err(internal)? {
            if wanted.contains(&token) {
                persons.insert(person);
            }
        }
    }
    let mut done = Forgotten {
        persons: persons.len(),
        ..Default::default()
    };
    if !persons.is_empty() {
        if let Ok(list) = std::fs::read_dir(&work) {
            let mut paths: Vec<_> = list
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            paths.sort();
            for p in paths {
                let n = crate::tables::drop_persons(&p, &persons).map_err(internal)?;
                if n > 0 {
                    done.rows += n;
                    done.tables += 1;
                }
            }
        }
        done.list_rows = scrub_lists(plan, &persons).map_err(internal)?;
    }
    // The cache holds raw rows of everyone: it goes whole (the next run parses again).
    let cache = work.join("cache");
    if cache.is_dir() {
        done.cache_entries = std::fs::read_dir(&cache).map(|l| l.count()).unwrap_or(0);
        std::fs::remove_dir_all(&cache).map_err(|e| internal(e.into()))?;
    }
    if work.is_dir() {
        let log = work.join("forget.log");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| internal(e.into()))?;
        crate::privacy::owner_only(&log).map_err(|e| internal(e.into()))?;
        writeln!(
            f,
            "{} forgot {} person(s): {} row(s) from {} table(s), {} action-list row(s), {} cache entrie(s)",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
            done.persons,
            done.rows,
            done.tables,
            done.list_rows,
            done.cache_entries
        )
        .map_err(|e| internal(e.into()))?;
    }
    Ok(done)
}

/// Removes the persons' rows from every action list (CSV, first column `person_id`).
fn scrub_lists(plan: &Plan, persons: &HashSet<String>) -> anyhow::Result<usize> {
    let mut removed = 0;
    let root = plan.restricted_dir();
    let Ok(weeks) = std::fs::read_dir(&root) else { return Ok(0) };
    for week in weeks.flatten() {
        let Ok(files) = std::fs::read_dir(week.path()) else { continue };
        for f in files.flatten() {
            let path = f.path();
            if path.extension().is_none_or(|x| x != "csv") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            let mut kept = String::with_capacity(text.len());
            for line in text.lines() {
                let id = line.split(',').next().unwrap_or("");
                if persons.contains(id) {
                    removed += 1;
                } else {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
            let tmp = path.with_extension("csv.tmp");
            std::fs::write(&tmp, kept)?;
            crate::privacy::owner_only(&tmp)?;
            std::fs::rename(&tmp, &path)?;
        }
    }
    Ok(removed)
}
