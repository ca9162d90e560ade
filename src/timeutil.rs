//! Time in the pipeline's zone: local wall times to UTC instants, local days and weeks.
//!
//! Takes: chrono values and a `chrono_tz::Tz`. Gives: UTC microseconds for local wall times (DST
//! gaps and overlaps resolved the same way everywhere), local day numbers, week starts, period
//! labels and window parsing. Promises: one definition of "local day" and "week" for the whole
//! crate, so the funnel, the cohorts and the report cut time identically.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

pub const US_PER_SEC: i64 = 1_000_000;
pub const US_PER_MIN: i64 = 60 * US_PER_SEC;
pub const US_PER_DAY: i64 = 86_400 * US_PER_SEC;

/// A local wall time in `tz` as UTC microseconds. A wall time that occurs twice (DST ends) is the
/// earlier instant; one that never occurs (DST starts) is moved forward by the gap.
pub fn local_to_utc_us(naive: NaiveDateTime, tz: Tz) -> i64 {
    use chrono::LocalResult;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.timestamp_micros(),
        LocalResult::Ambiguous(a, _) => a.timestamp_micros(),
        LocalResult::None => {
            // In a gap: try later wall times minute by minute (gaps are at most a few hours).
            let mut probe = naive;
            for _ in 0..(26 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.timestamp_micros();
                }
            }
            Utc.from_utc_datetime(&naive).timestamp_micros()
        }
    }
}

/// Local midnight of `date` in `tz` as UTC microseconds (the start of a day-precision event).
pub fn local_midnight_us(date: NaiveDate, tz: Tz) -> i64 {
    local_to_utc_us(date.and_time(NaiveTime::MIN), tz)
}

/// First and last instants turnout represents: 0001-01-02 and 9999-12-30 UTC, so that any zone's
/// local time of them is still a valid date (chrono panics converting its own extremes).
const MIN_US: i64 = -62_135_510_400_000_000;
const MAX_US: i64 = 253_402_041_600_000_000;

/// The UTC instant of `us` as a chrono value (clamped to years 1–9999).
pub fn utc(us: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(us.clamp(MIN_US, MAX_US)).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The local calendar date of the instant `us` in `tz`.
pub fn local_date(us: i64, tz: Tz) -> NaiveDate {
    utc(us).with_timezone(&tz).date_naive()
}

/// The local date as a day number (days since 0001-01-01), for cheap comparisons.
pub fn local_day_number(us: i64, tz: Tz) -> i32 {
    local_date(us, tz).num_days_from_ce()
}

/// The first day of the week holding `date`, weeks starting on `start`.
pub fn week_start(date: NaiveDate, start: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - start.num_days_from_monday()) % 7;
    date - Duration::days(back as i64)
}

/// A period label for the week starting on `start_date`: ISO `2026-W27` for Monday weeks,
/// `week-of-2026-07-05` otherwise (ISO week numbers only make sense for Monday weeks).
pub fn week_label(start_date: NaiveDate, start: Weekday) -> String {
    if start == Weekday::Mon {
        let iso = start_date.iso_week();
        format!("{}-W{:02}", iso.year(), iso.week())
    } else {
        format!("week-of-{}", start_date.format("%Y-%m-%d"))
    }
}

/// Parses `2026-W27` (ISO week, Monday) to its Monday.
pub fn parse_iso_week(s: &str) -> Option<NaiveDate> {
    let (y, w) = s.split_once("-W")?;
    let y: i32 = y.parse().ok()?;
    let w: u32 = w.parse().ok()?;
    NaiveDate::from_isoywd_opt(y, w, Weekday::Mon)
}

/// Parses a funnel window such as `30d`, `12h`, `2w`, `90m`, `45s` into microseconds.
/// Calendar months are refused on purpose: they have no fixed length.
pub fn parse_window(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("window {s:?} must be a whole number followed by a unit (s, m, h, d, w), like \"30d\""))?;
    let per = match unit.trim() {
        "s" => US_PER_SEC,
        "m" => US_PER_MIN,
        "h" => 60 * US_PER_MIN,
        "d" => US_PER_DAY,
        "w" => 7 * US_PER_DAY,
        "mo" | "month" | "months" | "M" => {
            return Err(format!(
                "window {s:?} uses calendar months, which have no fixed length; write days instead, like \"30d\""
            ))
        }
        other => {
            return Err(format!(
                "window {s:?} has unknown unit {other:?}; use s, m, h, d or w, like \"30d\""
            ))
        }
    };
    if n <= 0 {
        return Err(format!("window {s:?} must be positive"));
    }
    n.checked_mul(per).ok_or_else(|| format!("window {s:?} is too long"))
}

pub fn parse_weekday(s: &str) -> Option<Weekday> {
    match s.to_ascii_lowercase().as_str() {
        "monday" | "mon" => Some(Weekday::Mon),
        "tuesday" | "tue" => Some(Weekday::Tue),
        "wednesday" | "wed" => Some(Weekday::Wed),
        "thursday" | "thu" => Some(Weekday::Thu),
        "friday" | "fri" => Some(Weekday::Fri),
        "saturday" | "sat" => Some(Weekday::Sat),
        "sunday" | "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

/// RFC 3339 rendering of a UTC instant, to the second.
pub fn iso(us: i64) -> String {
    utc(us).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dst_gap_and_overlap_resolve_forward_and_early() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        // 2026-03-08 02:30 does not exist in Chicago: moved to 03:00 CDT = 08:00 UTC.
        let gap = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(iso(local_to_utc_us(gap, tz)), "2026-03-08T08:00:00Z");
        // 2026-11-01 01:30 happens twice: the earlier (CDT, UTC-5) is chosen.
        let overlap = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(1, 30, 0).unwrap();
        assert_eq!(iso(local_to_utc_us(overlap, tz)), "2026-11-01T06:30:00Z");
    }

    #[test]
    fn weeks_and_labels() {
        let d = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(); // a Wednesday
        assert_eq!(week_start(d, Weekday::Mon), NaiveDate::from_ymd_opt(2026, 6, 29).unwrap());
        assert_eq!(week_start(d, Weekday::Sun), NaiveDate::from_ymd_opt(2026, 6, 28).unwrap());
        assert_eq!(week_label(NaiveDate::from_ymd_opt(2026, 6, 29).unwrap(), Weekday::Mon), "2026-W27");
        assert_eq!(parse_iso_week("2026-W27"), NaiveDate::from_ymd_opt(2026, 6, 29));
        assert_eq!(parse_iso_week("2026-27"), None);
    }

    #[test]
    fn windows_parse_and_refuse_months() {
        assert_eq!(parse_window("30d"), Ok(30 * US_PER_DAY));
        assert_eq!(parse_window("2w"), Ok(14 * US_PER_DAY));
        assert_eq!(parse_window("90m"), Ok(90 * US_PER_MIN));
        assert!(parse_window("1mo").unwrap_err().contains("calendar months"));
        assert!(parse_window("d30").is_err());
        assert!(parse_window("0d").is_err());
        assert!(parse_window("30x").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let _ = local_date(i64::MIN, tz);
        let _ = local_date(i64::MAX, tz);
        let tz: Tz = "Asia/Tokyo".parse().unwrap();
        let _ = local_day_number(i64::MAX, tz);
    }

    #[test]
    fn local_day_follows_the_zone() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        // 03:00 UTC on July 2 is still July 1 in Chicago.
        let us = NaiveDate::from_ymd_opt(2026, 7, 2)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        assert_eq!(local_date(us, tz), NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
    }
}
