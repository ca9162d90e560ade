//! Report periods: weeks cut in the pipeline's zone.
//!
//! Takes: a week's first day, the week start, the zone and the data's cut-off. Gives: the
//! period's label, local bounds and UTC bounds. Promises: one week definition for cohorts,
//! headline numbers and trends.

use chrono::{Duration, NaiveDate, Weekday};
use chrono_tz::Tz;

use crate::timeutil;

/// The report period and the data's cut-off, in the pipeline's zone.
#[derive(Debug, Clone)]
pub struct Period {
    pub label: String,
    pub start: NaiveDate,
    /// Exclusive: the start of the next period.
    pub end: NaiveDate,
    pub start_us: i64,
    pub end_us: i64,
    pub week_start: Weekday,
    pub tz: Tz,
    /// The latest non-quarantined event of any kind.
    pub cutoff_us: i64,
    /// `start` and `end` as day numbers (days since 0001-01-01), for cheap tests.
    start_day: i32,
    end_day: i32,
}

impl Period {
    pub fn week(start: NaiveDate, week_start: Weekday, tz: Tz, cutoff_us: i64) -> Period {
        let end = start + Duration::days(7);
        Period {
            label: timeutil::week_label(start, week_start),
            start,
            end,
            start_us: timeutil::local_midnight_us(start, tz),
            end_us: timeutil::local_midnight_us(end, tz),
            week_start,
            tz,
            cutoff_us,
            start_day: chrono::Datelike::num_days_from_ce(&start),
            end_day: chrono::Datelike::num_days_from_ce(&end),
        }
    }

    pub fn shifted(&self, weeks: i64) -> Period {
        Period::week(self.start + Duration::days(7 * weeks), self.week_start, self.tz, self.cutoff_us)
    }

    /// Whether a local date falls in the period.
    pub fn holds(&self, d: NaiveDate) -> bool {
        d >= self.start && d < self.end
    }

    /// Whether a local day number (days since 0001-01-01) falls in the period.
    pub fn holds_day(&self, day: i32) -> bool {
        day >= self.start_day && day < self.end_day
    }

    /// The `n` weeks ending with this one, oldest first.
    pub fn last_weeks(&self, n: usize) -> Vec<Period> {
        (0..n as i64).rev().map(|w| self.shifted(-w)).collect()
    }
}
