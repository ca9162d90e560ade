//! Numeric dates whose day/month order depends on the exporting device's locale.
//!
//! Takes: the numeric (a, b, c) fields of every date in a file, in file order. Gives: the
//! [`DateOrder`] the file uses and the evidence for it. Promises: an order is chosen only on
//! evidence — a field above 12, which field changes more often between consecutive dates, or
//! dates that would go backwards — and a file with none is [`OrderError::Ambiguous`], never a
//! guess; a four-digit first field means year first.

use chrono::NaiveDate;

use crate::config::DateOrder;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderError {
    /// No evidence either way (every date reads the same both ways, or contradictory).
    Ambiguous,
    /// Neither order makes valid dates of every value.
    Invalid,
}

/// A chosen order and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChoice {
    pub order: DateOrder,
    pub evidence: String,
}

/// Builds a date from numeric fields in `order`; two-digit years are 2000-based.
pub fn make_date(order: DateOrder, a: u32, b: u32, c: u32) -> Option<NaiveDate> {
    let year = |y: u32| -> i32 {
        if y < 100 {
            2000 + y as i32
        } else {
            y as i32
        }
    };
    match order {
        DateOrder::Dmy => NaiveDate::from_ymd_opt(year(c), b, a),
        DateOrder::Mdy => NaiveDate::from_ymd_opt(year(c), a, b),
        DateOrder::Ymd => NaiveDate::from_ymd_opt(year(a), b, c),
    }
}

/// Infers the order of a file's dates. `a_digits` is the width of the first field as written
/// (4 means the year comes first).
pub fn infer(dates: &[(u32, u32, u32)], first_field_has_four_digits: bool) -> Result<OrderChoice, OrderError> {
    if first_field_has_four_digits {
        return if dates.iter().all(|&(a, b, c)| make_date(DateOrder::Ymd, a, b, c).is_some()) {
            Ok(OrderChoice {
                order: DateOrder::Ymd,
                evidence: "the year comes first".into(),
            })
        } else {
            Err(OrderError::Invalid)
        };
    }
    let valid = |o: DateOrder| dates.iter().all(|&(a, b, c)| make_date(o, a, b, c).is_some());
    let (dmy, mdy) = (valid(DateOrder::Dmy), valid(DateOrder::Mdy));
    match (dmy, mdy) {
        (false, false) => return Err(OrderError::Invalid),
        (true, false) => {
            let n = dates.iter().filter(|d| d.0 > 12).count();
            return Ok(OrderChoice {
                order: DateOrder::Dmy,
                evidence: format!("{n} date(s) have a first field above 12, so it must be the day"),
            });
        }
        (false, true) => {
            let n = dates.iter().filter(|d| d.1 > 12).count();
            return Ok(OrderChoice {
                order: DateOrder::Mdy,
                evidence: format!("{n} date(s) have a second field above 12, so it must be the day"),
            });
        }
        (true, true) => {}
    }
    // Both orders make valid dates. Chats are mostly in time order: the order under which the
    // dates go backwards less often wins; then the day changes more often than the month.
    let backwards = |o: DateOrder| {
        let ds: Vec<NaiveDate> = dates.iter().filter_map(|&(a, b, c)| make_date(o, a, b, c)).collect();
        ds.windows(2).filter(|w| w[1] < w[0]).count()
    };
    let (bd, bm) = (backwards(DateOrder::Dmy), backwards(DateOrder::Mdy));
    if bd != bm {
        let (order, fewer, more) = if bd < bm {
            (DateOrder::Dmy, bd, bm)
        } else {
            (DateOrder::Mdy, bm, bd)
        };
        return Ok(OrderChoice {
            order,
            evidence: format!("read as {}, dates go backwards {fewer} time(s) instead of {more}", order.as_str()),
        });
    }
    let changes = |i: usize| dates.windows(2).filter(|w| [w[0].0, w[0].1][i] != [w[1].0, w[1].1][i]).count();
    let (first, second) = (changes(0), changes(1));
    if first > second && second > 0 || first > 0 && second == 0 && first >= 3 {
        return Ok(OrderChoice {
            order: DateOrder::Dmy,
            evidence: format!("the first field changes more often ({first} vs {second} times), like a day"),
        });
    }
    if second > first && first > 0 || second > 0 && first == 0 && second >= 3 {
        return Ok(OrderChoice {
            order: DateOrder::Mdy,
            evidence: format!("the second field changes more often ({second} vs {first} times), like a day"),
        });
    }
    Err(OrderError::Ambiguous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_above_twelve_decides() {
        let c = infer(&[(3, 6, 18), (13, 6, 18)], false).unwrap();
        assert_eq!(c.order, DateOrder::Dmy);
        assert!(c.evidence.starts_with("1 date(s) have a first field above 12"), "{}", c.evidence);
        assert_eq!(infer(&[(6, 13, 18), (6, 3, 18)], false).unwrap().order, DateOrder::Mdy);
    }

    #[test]
    fn the_faster_field_is_the_day() {
        // 1/3, 2/3, 3/3, 4/3, 5/3 ... (day first, month 3), in time order either way
        let d: Vec<(u32, u32, u32)> = (1..=6).map(|x| (x, 3, 26)).collect();
        let c = infer(&d, false).unwrap();
        assert_eq!(c.order, DateOrder::Dmy, "{c:?}");
    }

    #[test]
    fn no_evidence_is_ambiguous() {
        assert_eq!(infer(&[(3, 6, 18)], false), Err(OrderError::Ambiguous));
        assert_eq!(infer(&[(3, 6, 18), (3, 6, 18)], false), Err(OrderError::Ambiguous));
    }

    #[test]
    fn year_first() {
        assert_eq!(infer(&[(2018, 6, 13)], true).unwrap().order, DateOrder::Ymd);
        assert_eq!(infer(&[(2018, 13, 6)], true), Err(OrderError::Invalid));
    }
}
