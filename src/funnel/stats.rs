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

/// Distribution of gaps, in days (fractions allowed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    pub count: u64,
    pub median: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
    /// People per bin of [`HISTOGRAM_EDGES_DAYS`]: bin i holds gaps in [edge i, edge i+1), the
    /// last bin everything from the last edge up.
    pub histogram: Vec<u64>,
}

/// Histogram bin edges in days: same day, 1, 2–3, 4–6, 7–13, 14–29, 30–59, 60+.
pub const HISTOGRAM_EDGES_DAYS: [f64; 8] = [0.0, 1.0, 2.0, 4.0, 7.0, 14.0, 30.0, 60.0];

/// Linear-interpolation quantile of sorted values (type 7, as numpy and DuckDB's quantile_cont).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

pub fn distribution(mut days: Vec<f64>) -> Distribution {
    days.sort_by(|a, b| a.total_cmp(b));
    let mut histogram = vec![0u64; HISTOGRAM_EDGES_DAYS.len()];
    for &d in &days {
        let bin = HISTOGRAM_EDGES_DAYS.iter().rposition(|&e| d >= e).unwrap_or(0);
        histogram[bin] += 1;
    }
    Distribution {
        count: days.len() as u64,
        median: quantile(&days, 0.5),
        p25: quantile(&days, 0.25),
        p75: quantile(&days, 0.75),
        p90: quantile(&days, 0.9),
        mean: if days.is_empty() {
            None
        } else {
            Some(days.iter().sum::<f64>() / days.len() as f64)
        },
        histogram,
    }
}

/// Whether two rates' intervals do not overlap (a difference beyond noise).
pub fn clearly_different(a: &Rate, b: &Rate) -> bool {
    a.low > b.high || b.low > a.high
}

#[cfg(test)]
mod distribution_tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_linearly() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 0.9), Some(3.7));
        assert_eq!(quantile(&[5.0], 0.9), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn histogram_bins_and_zero_gaps_kept() {
        let d = distribution(vec![0.0, 0.0, 0.5, 1.0, 3.0, 6.9, 7.0, 29.0, 30.0, 400.0]);
        assert_eq!(d.count, 10);
        assert_eq!(d.histogram, vec![3, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!(d.median, Some(4.95));
    }

    #[test]
    fn clear_differences_need_separate_intervals() {
        let a = wilson(80, 100).unwrap();
        let b = wilson(20, 100).unwrap();
        let c = wilson(75, 100).unwrap();
        assert!(clearly_different(&a, &b));
        assert!(!clearly_different(&a, &c));
    }
}
