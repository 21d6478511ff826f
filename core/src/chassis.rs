//! The Business Chassis: profit as prospects × lead conversion × client conversion × average
//! spend × transaction frequency × margin, measured on the leads created in the analysis window.

use serde::Serialize;

use crate::model::{DealStatus, Workspace};
use crate::outcomes::Outcomes;
use crate::stats::round6;
use crate::time::{Instant, MICROS_PER_DAY};

/// `report.json` → `chassis`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChassisReport {
    /// Window start (leads created from here).
    pub window_start: Instant,
    /// Window end (`as_of`).
    pub window_end: Instant,
    /// The six levers, in order.
    pub levers: Vec<Lever>,
    /// Their product: the window's gross profit.
    pub profit: f64,
    /// Won revenue behind it.
    pub revenue: f64,
    /// Profit if each lever moves ±10% alone, and all together.
    pub sensitivity: Vec<Sensitivity>,
    /// Where the margin came from.
    pub margin_source: String,
    /// A won deal larger than [`OUTLIER_FACTOR`] × the mean of the others: it drives
    /// `average_spend`, so recommendations estimate with the average without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_deal: Option<OutlierDeal>,
}

/// A won deal more than this many times the mean of the other won deals is an outlier.
pub const OUTLIER_FACTOR: f64 = 10.0;

/// One won deal that dominates the window's revenue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutlierDeal {
    /// The deal.
    pub deal_id: String,
    /// Its amount.
    pub amount: f64,
    /// Its share of won revenue.
    pub share_of_revenue: f64,
    /// Won revenue per won deal without it (what recommendations multiply by).
    pub average_spend_without: f64,
}

/// One lever with its definition and counts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Lever {
    /// `prospects`, `lead_conversion`, `client_conversion`, `average_spend`, `transaction_frequency`, `margin`.
    pub lever: &'static str,
    /// Value.
    pub value: f64,
    /// How it is measured.
    pub definition: String,
    /// Numerator (or count).
    pub numerator: f64,
    /// Denominator (1 for counts).
    pub denominator: f64,
}

/// Profit when one lever (or all) moves by ±10%.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Sensitivity {
    /// The lever (`all` for every lever at once).
    pub lever: String,
    /// Profit at −10%.
    pub profit_minus_10: f64,
    /// Profit at +10%.
    pub profit_plus_10: f64,
}

/// The levers' names, in order.
pub const LEVERS: [&str; 6] = [
    "prospects",
    "lead_conversion",
    "client_conversion",
    "average_spend",
    "transaction_frequency",
    "margin",
];

/// Computes the chassis for leads created in `[as_of − period_days, as_of]` (or since the first lead).
pub fn chassis(ws: &Workspace, as_of: Instant, outcomes: &Outcomes) -> ChassisReport {
    let cfg = &ws.framework.config;
    let start = match cfg.chassis.period_days {
        Some(d) => Instant(as_of.0 - i64::from(d) * MICROS_PER_DAY),
        None => ws.leads.iter().map(|l| l.created_at).min().unwrap_or(as_of),
    };
    let handoff = cfg
        .lifecycle
        .handoff_stage()
        .and_then(|h| cfg.lifecycle.stages.iter().position(|s| s == h));
    let cohort: Vec<u32> = (0..ws.leads.len() as u32)
        .filter(|&l| {
            ws.leads[l as usize].created_at >= start && ws.leads[l as usize].created_at <= as_of
        })
        .collect();
    let prospects = cohort.len() as f64;
    let qualified = cohort
        .iter()
        .filter(|&&l| handoff.is_some_and(|h| outcomes.reached(l, h)))
        .count() as f64;
    let mut in_cohort = vec![false; ws.leads.len()];
    for &l in &cohort {
        in_cohort[l as usize] = true;
    }
    let (mut customers, mut deals, mut revenue, mut margin_weighted, mut margin_amount) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut is_customer = vec![false; ws.leads.len()];
    let mut largest: Option<(f64, usize)> = None;
    for (i, d) in ws.deals.iter().enumerate().filter(|(_, d)| {
        in_cohort[d.lead as usize]
            && d.status == DealStatus::Won
            && d.closed_at.is_some_and(|c| c <= as_of)
    }) {
        deals += 1.0;
        let amount = d.amount.unwrap_or(0.0);
        revenue += amount;
        if largest.is_none_or(|(a, _)| amount > a) {
            largest = Some((amount, i));
        }
        if let Some(m) = d.margin {
            margin_weighted += m * amount;
            margin_amount += amount;
        }
        if !is_customer[d.lead as usize] {
            is_customer[d.lead as usize] = true;
            customers += 1.0;
        }
    }
    let (margin, margin_source) = match cfg.chassis.margin {
        Some(m) => (m, "[chassis] margin".to_string()),
        None if margin_amount > 0.0 => (
            margin_weighted / margin_amount,
            "amount-weighted margin of won deals".to_string(),
        ),
        None => (
            1.0,
            "no margin given: revenue is reported as profit".to_string(),
        ),
    };
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let handoff_name = cfg.lifecycle.handoff_stage().unwrap_or("handoff stage");
    let levers = vec![
        Lever {
            lever: "prospects",
            value: prospects,
            definition: "leads created in the window".into(),
            numerator: prospects,
            denominator: 1.0,
        },
        Lever {
            lever: "lead_conversion",
            value: round6(ratio(qualified, prospects)),
            definition: format!("share of prospects that reached {handoff_name}"),
            numerator: qualified,
            denominator: prospects,
        },
        Lever {
            lever: "client_conversion",
            value: round6(ratio(customers, qualified)),
            definition: format!("share of {handoff_name} leads with a won deal by as_of"),
            numerator: customers,
            denominator: qualified,
        },
        Lever {
            lever: "average_spend",
            value: round6(ratio(revenue, deals)),
            definition: "won revenue per won deal".into(),
            numerator: revenue,
            denominator: deals,
        },
        Lever {
            lever: "transaction_frequency",
            value: round6(ratio(deals, customers)),
            definition: "won deals per customer".into(),
            numerator: deals,
            denominator: customers,
        },
        Lever {
            lever: "margin",
            value: round6(margin),
            definition: margin_source.clone(),
            numerator: margin,
            denominator: 1.0,
        },
    ];
    // Exact product (customers may be counted outside the qualified set; cap the chain at revenue).
    let profit = prospects
        * ratio(qualified, prospects)
        * ratio(customers, qualified)
        * ratio(revenue, deals)
        * ratio(deals, customers)
        * margin;
    let mut sensitivity: Vec<Sensitivity> = LEVERS
        .iter()
        .map(|l| Sensitivity {
            lever: l.to_string(),
            profit_minus_10: round6(profit * 0.9),
            profit_plus_10: round6(profit * 1.1),
        })
        .collect();
    sensitivity.push(Sensitivity {
        lever: "all".into(),
        profit_minus_10: round6(profit * 0.9f64.powi(6)),
        profit_plus_10: round6(profit * 1.1f64.powi(6)),
    });
    ChassisReport {
        window_start: start,
        window_end: as_of,
        levers,
        profit: round6(profit),
        revenue: round6(revenue),
        sensitivity,
        margin_source,
        outlier_deal: outlier_deal(ws, largest, revenue, deals),
    }
}

/// The largest won deal, when it exceeds [`OUTLIER_FACTOR`] × the mean of the other won deals
/// (at least three won deals).
fn outlier_deal(
    ws: &Workspace,
    largest: Option<(f64, usize)>,
    revenue: f64,
    deals: f64,
) -> Option<OutlierDeal> {
    let (amount, i) = largest?;
    if deals < 3.0 {
        return None;
    }
    let without = (revenue - amount) / (deals - 1.0);
    (amount > OUTLIER_FACTOR * without).then(|| OutlierDeal {
        deal_id: ws.text(ws.deals[i].id).to_string(),
        amount: round6(amount),
        share_of_revenue: round6(amount / revenue),
        average_spend_without: round6(without),
    })
}
