//! Forecast and value: open deals weighted by the empirical win rate and closing speed, the next
//! period's expected won revenue with a range, and customer lifetime value by source and segment.

use crate::order::CollectOrdered;
use crate::order::Map;

use serde::Serialize;

use crate::journey::lead_text;
use crate::model::{DealStatus, Workspace};
use crate::stats::{Z95, round6};
use crate::time::{Instant, MICROS_PER_DAY};

/// Length of the forecast period, days.
pub const PERIOD_DAYS: f64 = 30.0;

/// `report.json` → `forecast`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ForecastReport {
    /// Open deals at `as_of`.
    pub open_deals: u64,
    /// Their total amount (the pipeline).
    pub pipeline: f64,
    /// Won ÷ closed deals (by `as_of`).
    pub win_rate: Option<f64>,
    /// Median days from creation to close of won deals.
    pub median_days_to_win: Option<f64>,
    /// Expected won revenue in the next 30 days, with a 95% range.
    pub next_period_revenue: f64,
    /// Lower bound.
    pub next_period_low: f64,
    /// Upper bound.
    pub next_period_high: f64,
    /// Pipeline by lead source.
    pub pipeline_by_source: Map<String, f64>,
    /// Customer lifetime value (won revenue × margin per customer) by lead source.
    pub clv_by_source: Map<String, f64>,
    /// Customer lifetime value by industry.
    pub clv_by_industry: Map<String, f64>,
}

/// Computes the forecast. An open deal of age `a` days wins within the next period with probability
/// win_rate × P(cycle ≤ a + 30 | cycle > a), the conditional taken from won deals' cycle lengths.
pub fn forecast(ws: &Workspace, as_of: Instant, margin: f64) -> ForecastReport {
    let days = |a: Instant, b: Instant| (b.0 - a.0) as f64 / MICROS_PER_DAY as f64;
    let closed: Vec<_> = ws
        .deals
        .iter()
        .filter(|d| d.status != DealStatus::Open && d.closed_at.is_some_and(|c| c <= as_of))
        .collect();
    let won: Vec<_> = closed
        .iter()
        .filter(|d| d.status == DealStatus::Won)
        .collect();
    let win_rate = (!closed.is_empty()).then(|| won.len() as f64 / closed.len() as f64);
    let mut cycles: Vec<f64> = won
        .iter()
        .filter_map(|d| d.closed_at.map(|c| days(d.created_at, c)))
        .collect();
    crate::order::sort_by(&mut cycles, f64::total_cmp);
    let median = (!cycles.is_empty()).then(|| crate::stats::quantile_sorted(&cycles, 0.5));
    // Deals open at as_of: status open, or closed after as_of.
    let open: Vec<_> = ws
        .deals
        .iter()
        .filter(|d| {
            d.created_at <= as_of
                && (d.status == DealStatus::Open || d.closed_at.is_some_and(|c| c > as_of))
        })
        .collect();
    let (mut expected, mut variance) = (0.0, 0.0);
    let mut pipeline_by_source: Map<String, f64> = Map::new();
    for d in &open {
        let amount = d.amount.unwrap_or(0.0);
        *pipeline_by_source
            .entry(lead_text(ws, "source", d.lead).to_string())
            .or_insert(0.0) += amount;
        let age = days(d.created_at, as_of);
        // `cycles` is sorted: the counts are two binary searches, not a scan per open deal.
        let up_to = |limit: f64| cycles.partition_point(|&c| c <= limit);
        let (to_age, to_end) = (up_to(age), up_to(age + PERIOD_DAYS));
        let later = (cycles.len() - to_age) as f64;
        let within = (to_end - to_age) as f64;
        let p = win_rate.unwrap_or(0.0) * if later > 0.0 { within / later } else { 0.0 };
        expected += p * amount;
        variance += p * (1.0 - p) * amount * amount;
    }
    let sd = variance.sqrt();
    let mut per_customer: Map<u32, f64> = Map::new();
    for d in &won {
        *per_customer.entry(d.lead).or_insert(0.0) += d.amount.unwrap_or(0.0);
    }
    let clv = |attr: &str| -> Map<String, f64> {
        let mut acc: Map<String, (f64, f64)> = Map::new();
        for (&lead, &rev) in &per_customer {
            let e = acc
                .entry(lead_text(ws, attr, lead).to_string())
                .or_default();
            e.0 += rev * margin;
            e.1 += 1.0;
        }
        acc.into_iter()
            .map(|(k, (v, n))| (k, round6(v / n)))
            .collect_map()
    };
    ForecastReport {
        open_deals: open.len() as u64,
        pipeline: round6(open.iter().map(|d| d.amount.unwrap_or(0.0)).sum()),
        win_rate: win_rate.map(round6),
        median_days_to_win: median.map(round6),
        next_period_revenue: round6(expected),
        next_period_low: round6((expected - Z95 * sd).max(0.0)),
        next_period_high: round6(expected + Z95 * sd),
        pipeline_by_source: pipeline_by_source
            .into_iter()
            .map(|(k, v)| (k, round6(v)))
            .collect_map(),
        clv_by_source: clv("source"),
        clv_by_industry: clv("industry"),
    }
}
