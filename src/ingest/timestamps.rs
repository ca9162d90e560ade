//! Timestamp formats: parse a configured format, or infer one from a file's values.
//!
//! Takes: timestamp strings as exports write them. Gives: UTC microseconds and the precision the
//! format carries (second, minute or day; a date-only value sits at local midnight). Promises: an
//! inferred format parses every sampled value; when two formats both do and disagree (3/6 read
//! as March 6 or June 3), inference refuses and says how to set `ts_format` — it never guesses.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use crate::schema::Precision;
use crate::timeutil;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// ISO 8601 / RFC 3339 with `Z` or an offset (`2026-07-06T15:04:05.123Z`).
    Rfc3339,
    /// Seconds since the Unix epoch.
    UnixSeconds,
    /// A chrono strftime pattern read as local time in the source's zone.
    Chrono { pattern: String, precision: Precision },
}

/// Formats tried, in order, when a source does not set `ts_format`.
const CANDIDATES: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
];

impl Format {
    /// A user-given chrono pattern; `None` if it has no date part.
    pub fn from_chrono(pattern: &str) -> Option<Format> {
        let p = pattern.trim();
        let has_date = (p.contains("%d") || p.contains("%e") || p.contains("%F") || p.contains("%D"))
            && (p.contains("%m") || p.contains("%b") || p.contains("%B") || p.contains("%F") || p.contains("%D"));
        if p.eq_ignore_ascii_case("rfc3339") || p.eq_ignore_ascii_case("iso8601") {
            return Some(Format::Rfc3339);
        }
        if p.eq_ignore_ascii_case("unix") {
            return Some(Format::UnixSeconds);
        }
        if !has_date {
            return None;
        }
        let precision = if p.contains("%S") || p.contains("%T") || p.contains("%s") {
            Precision::Second
        } else if p.contains("%M") || p.contains("%R") {
            Precision::Minute
        } else {
            Precision::Day
        };
        Some(Format::Chrono {
            pattern: p.to_string(),
            precision,
        })
    }

    pub fn precision(&self) -> Precision {
        match self {
            Format::Rfc3339 | Format::UnixSeconds => Precision::Second,
            Format::Chrono { precision, .. } => *precision,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Format::Rfc3339 => "ISO 8601 with offset".to_string(),
            Format::UnixSeconds => "unix seconds".to_string(),
            Format::Chrono { pattern, .. } => pattern.clone(),
        }
    }

    /// Parses one value to UTC microseconds (start of the precision interval). Local formats are
    /// read in `tz`. Years outside 1970–2100 are refused (a two-digit year read as 0026).
    pub fn parse(&self, raw: &str, tz: Tz) -> Option<i64> {
        let v = clean(raw);
        if v.is_empty() {
            return None;
        }
        let us = match self {
            Format::Rfc3339 => {
                let t = DateTime::parse_from_rfc3339(&v)
                    .ok()
                    .or_else(|| DateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S%.f%:z").ok())?;
                if !sane_year(t.year()) {
                    return None;
                }
                let us = t.timestamp_micros();
                us - us.rem_euclid(timeutil::US_PER_SEC)
            }
            Format::UnixSeconds => {
                let secs: f64 = v.parse().ok()?;
                // 2000-01-01 .. 2100-01-01: smaller numbers are Excel serial dates (46086),
                // compact dates (20260305) or counts, not times.
                if !(946_684_800.0..4_102_444_800.0).contains(&secs) {
                    return None;
                }
                (secs.floor() as i64) * timeutil::US_PER_SEC
            }
            Format::Chrono { pattern, precision } => {
                let naive = match precision {
                    Precision::Day => NaiveDate::parse_from_str(&v, pattern).ok()?.and_hms_opt(0, 0, 0)?,
                    _ => NaiveDateTime::parse_from_str(&v, pattern).ok()?,
                };
                if !sane_year(naive.year()) {
                    return None;
                }
                let us = timeutil::local_to_utc_us(naive, tz);
                match precision {
                    Precision::Second => us - us.rem_euclid(timeutil::US_PER_SEC),
                    _ => us,
                }
            }
        };
        Some(us)
    }
}

fn sane_year(y: i32) -> bool {
    (1970..=2100).contains(&y)
}

/// Trims and replaces the invisible spaces exports put in times (U+202F, U+00A0, U+200E).
pub fn clean(raw: &str) -> String {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{200e}' || c == '\u{feff}')
        .chars()
        .filter(|c| *c != '\u{200e}')
        .map(|c| if c == '\u{202f}' || c == '\u{a0}' { ' ' } else { c })
        .collect()
}

/// Why a format could not be inferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InferError {
    /// No candidate parses every sampled value.
    NoFormat,
    /// Several candidates parse every value and disagree on some.
    Ambiguous(Vec<String>),
}

/// Infers the format of a column from sample values (empties ignored): the format that parses
/// the most values wins, if it parses at least half of them; the values it cannot parse are then
/// quarantined row by row. Formats tied for the most values that read some value differently
/// make the column ambiguous.
pub fn infer(samples: &[&str], tz: Tz) -> Result<Format, InferError> {
    let values: Vec<String> = samples.iter().map(|s| clean(s)).filter(|s| !s.is_empty()).collect();
    if values.is_empty() {
        return Err(InferError::NoFormat);
    }
    let mut candidates: Vec<Format> = vec![Format::Rfc3339];
    candidates.extend(CANDIDATES.iter().filter_map(|p| Format::from_chrono(p)));
    candidates.push(Format::UnixSeconds);
    let parsed: Vec<(Format, Vec<Option<i64>>)> = candidates
        .into_iter()
        .map(|f| {
            let p = values.iter().map(|v| f.parse(v, tz)).collect();
            (f, p)
        })
        .collect();
    let score = |p: &Vec<Option<i64>>| p.iter().filter(|x| x.is_some()).count();
    let best = parsed.iter().map(|(_, p)| score(p)).max().unwrap_or(0);
    if best == 0 || best * 2 < values.len() {
        return Err(InferError::NoFormat);
    }
    let top: Vec<&(Format, Vec<Option<i64>>)> = parsed.iter().filter(|(_, p)| score(p) == best).collect();
    let (first, first_vals) = top[0];
    let disagree: Vec<String> = top[1..]
        .iter()
        .filter(|(_, v)| {
            v.iter().zip(first_vals).any(|(a, b)| a.is_some() && b.is_some() && a != b)
                || v.iter().zip(first_vals).any(|(a, b)| a.is_some() != b.is_some())
        })
        .map(|(f, _)| f.describe())
        .collect();
    if disagree.is_empty() {
        Ok(first.clone())
    } else {
        let mut all = vec![first.describe()];
        all.extend(disagree);
        Err(InferError::Ambiguous(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chicago() -> Tz {
        "America/Chicago".parse().unwrap()
    }

    #[test]
    fn rfc3339_with_z_and_offset() {
        let f = infer(&["2026-07-06T15:04:05.123Z", "2026-07-08T19:22:03-05:00"], chicago()).unwrap();
        assert_eq!(f, Format::Rfc3339);
        assert_eq!(
            timeutil::iso(f.parse("2026-07-08T19:22:03-05:00", chicago()).unwrap()),
            "2026-07-09T00:22:03Z"
        );
        // fractional seconds are truncated to the second
        assert_eq!(
            timeutil::iso(f.parse("2026-07-06T15:04:05.923Z", chicago()).unwrap()),
            "2026-07-06T15:04:05Z"
        );
    }

    #[test]
    fn day_only_is_local_midnight_with_day_precision() {
        let f = infer(&["7/14/2026", "7/21/2026"], chicago()).unwrap();
        assert_eq!(f.precision(), Precision::Day);
        assert_eq!(timeutil::iso(f.parse("7/14/2026", chicago()).unwrap()), "2026-07-14T05:00:00Z");
    }

    #[test]
    fn ambiguous_day_month_is_refused_not_guessed() {
        match infer(&["3/6/2026", "4/7/2026"], chicago()) {
            Err(InferError::Ambiguous(fs)) => {
                assert!(fs.iter().any(|f| f.starts_with("%m/%d")));
                assert!(fs.iter().any(|f| f.starts_with("%d/%m")));
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
        // one value with a day above 12 settles it
        let f = infer(&["3/6/2026", "3/16/2026"], chicago()).unwrap();
        assert_eq!(f.describe(), "%m/%d/%Y");
    }

    #[test]
    fn minute_precision_and_naive_local_times() {
        let f = infer(&["2026-07-03 18:04", "2026-07-03 19:10"], chicago()).unwrap();
        assert_eq!(f.precision(), Precision::Minute);
        assert_eq!(
            timeutil::iso(f.parse("2026-07-03 18:04", chicago()).unwrap()),
            "2026-07-03T23:04:00Z"
        );
    }

    #[test]
    fn two_digit_years_are_not_year_26() {
        let f = infer(&["11/29/24 22:28"], chicago()).unwrap();
        assert_eq!(timeutil::iso(f.parse("11/29/24 22:28", chicago()).unwrap()), "2024-11-30T04:28:00Z");
    }

    #[test]
    fn invisible_spaces_are_cleaned() {
        let f = Format::from_chrono("%m/%d/%Y %I:%M %p").unwrap();
        assert!(f.parse("3/6/2026 1:55\u{202f}PM", chicago()).is_some());
        assert!(f.parse("\u{200e}3/6/2026 1:55 PM ", chicago()).is_some());
    }

    #[test]
    fn a_few_bad_values_do_not_block_inference() {
        let f = infer(
            &["2026-07-08T19:22:03-05:00", "last tuesday", "2026-07-09T08:00:00-05:00"],
            chicago(),
        )
        .unwrap();
        assert_eq!(f, Format::Rfc3339);
        assert_eq!(
            infer(&["2026-07-08T19:22:03-05:00", "x", "y"], chicago()),
            Err(InferError::NoFormat)
        );
    }

    #[test]
    fn garbage_has_no_format() {
        assert_eq!(infer(&["yesterday", "soon"], chicago()), Err(InferError::NoFormat));
        assert!(Format::from_chrono("%H:%M").is_none());
    }
}
