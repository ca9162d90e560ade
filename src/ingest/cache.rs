//! The parsed-file cache: an export whose bytes, reader and options are unchanged is not parsed
//! again.
//!
//! Takes: a file's bytes hash, its source's plan, and what its reader produced. Gives: the same
//! output back on the next run, from `work/<pipeline>/cache/<key>.bin`. Promises: the key is a
//! SHA-256 of the file's content, turnout's version (which versions every reader) and every
//! option that changes what a reader produces (tool, zones, region, column mapping, attributes,
//! date order, group, minimum minutes), so a changed file, reader or option is parsed afresh;
//! organizer tagging and de-duplication happen after the cache, so changing `organizers` needs
//! no re-parse. The cache holds raw identifiers: its folder and files are owner-only, it is
//! written aside and renamed (a killed run leaves no half entry), an unreadable entry is parsed
//! again, and entries no run used are removed at the end of the run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::FileStats;
use crate::config::{Plan, SourcePlan};
use crate::schema::{Event, QuarantinedRow};

/// What one unit (a file, or a member of a zip) produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    pub events: Vec<Event>,
    pub identities: Vec<Event>,
    pub quarantine: Vec<QuarantinedRow>,
    pub stats: FileStats,
}

/// Format of the entries: bump when `Unit` or anything in it changes shape.
const FORMAT: u32 = 2;

/// The cache key of a file with content hash `file_sha256` read as `source`.
pub fn key(plan: &Plan, source: &SourcePlan, shown: &str, file_sha256: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(file_sha256);
    // Everything a reader's output depends on besides the bytes (Debug text is stable within a
    // version, which the key includes).
    let options = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
        source.name,
        source.tool,
        source.timezone,
        source.region,
        source.csv,
        source.attr_columns,
        source.date_order,
        source.group,
        source.min_minutes,
        plan.attributes,
        plan.timezone,
        plan.default_region,
        shown
    );
    h.update(options.as_bytes());
    crate::config::validate::hex(&h.finalize())
}

fn entry(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.bin"))
}

/// The cached output for `key`, if there is a readable entry.
pub fn load(dir: &Path, key: &str) -> Option<Vec<Unit>> {
    let bytes = std::fs::read(entry(dir, key)).ok()?;
    postcard::from_bytes(&bytes).ok()
}

/// Stores the output for `key` (owner-only, written aside then renamed).
pub fn store(dir: &Path, key: &str, units: &[Unit]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    crate::privacy::owner_only(dir)?;
    let bytes = postcard::to_stdvec(units)?;
    let tmp = dir.join(format!(".{key}.tmp"));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        crate::privacy::owner_only(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, entry(dir, key))?;
    Ok(())
}

/// Removes entries (and leftovers of killed runs) whose key is not in `used`.
pub fn prune(dir: &Path, used: &std::collections::HashSet<String>) -> std::io::Result<usize> {
    let mut removed = 0;
    let Ok(list) = std::fs::read_dir(dir) else { return Ok(0) };
    for e in list {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let keep = name.strip_suffix(".bin").is_some_and(|k| used.contains(k));
        if !keep && e.file_type()?.is_file() {
            std::fs::remove_file(e.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}
