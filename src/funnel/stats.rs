//! Rates with honest uncertainty: the Wilson score interval.
//!
//! Takes: successes and trials. Gives: a [`Rate`] with its 95% Wilson interval. Promises: no rate
//! for zero trials (there is nothing to measure), bounds always within [0, 1].

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

pub fn wilson(successes: u64, trials: u64) -> Option<Rate> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * ((p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / denom;
    // The interval always contains p; clamp away floating-point rounding at 0 and n.
    Some(Rate {
        value: p,
        low: (centre - half).clamp(0.0, p),
        high: (centre + half).clamp(p, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_known_values() {
        // 8 of 10: Wilson 95% ≈ [0.4902, 0.9433]
        let r = wilson(8, 10).unwrap();
        assert!((r.value - 0.8).abs() < 1e-12);
        assert!((r.low - 0.4902).abs() < 1e-4, "{r:?}");
        assert!((r.high - 0.9433).abs() < 1e-4, "{r:?}");
        // 0 of 20: lower bound 0, upper ≈ 0.1611
        let r = wilson(0, 20).unwrap();
        assert_eq!(r.low, 0.0);
        assert!((r.high - 0.1611).abs() < 1e-4);
        assert!(wilson(0, 0).is_none());
    }

    #[test]
    fn bounds_contain_the_rate() {
        for n in 1..60u64 {
            for k in 0..=n {
                let r = wilson(k, n).unwrap();
                assert!(0.0 <= r.low && r.low <= r.value && r.value <= r.high && r.high <= 1.0);
            }
        }
    }
}
