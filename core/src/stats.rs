//! Small statistics the reports rely on: percentiles, Wilson intervals, two-proportion tests.

use serde::Serialize;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The `q`-quantile (0..=1) by linear interpolation between order statistics (numpy's default,
/// Hyndman & Fan type 7). Sorts `values` in place; `None` when empty.
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    crate::order::sort_unstable_by(values, f64::total_cmp);
    Some(quantile_sorted(values, q))
}

/// The `q`-quantile of already sorted values (type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Median and 90th percentile of `values` (sorted in place).
pub fn median_p90(values: &mut [f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    crate::order::sort_unstable_by(values, f64::total_cmp);
    (
        Some(quantile_sorted(values, 0.5)),
        Some(quantile_sorted(values, 0.9)),
    )
}

/// A proportion with its Wilson 95% score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Proportion {
    /// Successes.
    pub k: u64,
    /// Trials.
    pub n: u64,
    /// k / n (0 when n = 0).
    pub rate: f64,
    /// Lower bound of the Wilson 95% interval.
    pub low: f64,
    /// Upper bound of the Wilson 95% interval.
    pub high: f64,
}

impl Proportion {
    /// k successes out of n trials; rate and bounds rounded to six decimals, as reports show them.
    pub fn new(k: u64, n: u64) -> Self {
        let (low, high) = wilson(k, n);
        let rate = if n == 0 { 0.0 } else { k as f64 / n as f64 };
        Self {
            k,
            n,
            rate: round6(rate),
            low: round6(low),
            high: round6(high),
        }
    }
}

/// Wilson score interval at 95% for k of n; (0, 1) when n = 0.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = Z95 * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Pooled two-proportion z statistic for k1/n1 against k2/n2 (0 when undefined).
pub fn two_proportion_z(k1: u64, n1: u64, k2: u64, n2: u64) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 0.0;
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let p = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 { 0.0 } else { (p1 - p2) / se }
}

/// Rounds to 6 decimals so that reports read well and compare exactly across builds.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        // numpy.percentile([1, 2, 3, 4], [50, 90]) == [2.5, 3.7]
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        let (m, p90) = median_p90(&mut v);
        assert_eq!(m, Some(2.5));
        assert!((p90.expect("p90") - 3.7).abs() < 1e-12);
        assert_eq!(quantile(&mut [7.0], 0.9), Some(7.0));
        assert_eq!(quantile(&mut [], 0.5), None);
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels proportion_confint(8, 20, method="wilson") == (0.21880653, 0.61341850)
        let (lo, hi) = wilson(8, 20);
        assert!((lo - 0.218_806_532).abs() < 1e-8, "{lo}");
        assert!((hi - 0.613_418_499).abs() < 1e-8, "{hi}");
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, _) = wilson(0, 10);
        assert_eq!(lo, 0.0);
    }

    #[test]
    fn z_test() {
        // 30/100 vs 15/100: p = 0.225, se = sqrt(.225*.775*.02) = 0.059055, z = 2.5400
        let z = two_proportion_z(30, 100, 15, 100);
        assert!((z - 2.540_003).abs() < 1e-5, "{z}");
    }
}
