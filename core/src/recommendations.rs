//! Recommendations: findings from the other sections turned into actions, each with its evidence
//! from this workspace, the Business Chassis lever it moves, the estimated effect on profit (with a
//! range), an owner, and ranked by that effect. A finding whose effect cannot be estimated from the
//! data is not listed.

use serde::Serialize;

use crate::chassis::ChassisReport;
use crate::handoff::HandoffReport;
use crate::lead_quality::LeadQualityReport;
use crate::model::{DealStatus, Workspace};
use crate::scoring_review::ScoringReport;
use crate::stats::{Z95, round6};
use crate::time::Instant;

/// One recommendation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Recommendation {
    /// What to do, in a line.
    pub title: String,
    /// The numbers behind it, with sample sizes.
    pub evidence: String,
    /// The chassis lever it moves.
    pub lever: &'static str,
    /// Estimated relative change of that lever.
    pub lever_effect: f64,
    /// Estimated profit effect over the analysis window, with a 95% range.
    pub profit_effect: Effect,
    /// `marketing`, `sales` or `both`.
    pub owner: &'static str,
    /// The concrete action.
    pub action: String,
}

/// An estimate with a range.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Effect {
    /// Point estimate.
    pub value: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// Inputs the recommendations draw on.
pub struct Findings<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// `as_of`.
    pub as_of: Instant,
    /// Handoff section.
    pub handoff: &'a HandoffReport,
    /// Lead quality section.
    pub lead_quality: &'a LeadQualityReport,
    /// Scoring section.
    pub scoring: &'a ScoringReport,
    /// Chassis section.
    pub chassis: &'a ChassisReport,
}

fn lever_value(c: &ChassisReport, name: &str) -> f64 {
    c.levers
        .iter()
        .find(|l| l.lever == name)
        .map_or(0.0, |l| l.value)
}

/// Builds and ranks the recommendations.
pub fn recommendations(f: &Findings<'_>) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let margin = lever_value(f.chassis, "margin");
    // One dominant deal would rank every estimate: without it, the average of the others.
    let outlier = f.chassis.outlier_deal.as_ref();
    let spend = outlier.map_or_else(
        || lever_value(f.chassis, "average_spend"),
        |o| o.average_spend_without,
    );
    let customers = f
        .chassis
        .levers
        .iter()
        .find(|l| l.lever == "client_conversion")
        .map_or(0.0, |l| l.numerator);

    // 1. Speed to lead: the friction cost of SLA breaches.
    if let Some(c) = &f.handoff.friction_cost
        && c.breached > 0
        && c.extra_won.value > 0.0
    {
        // The friction cost is priced at the mean won amount; with an outlier, at `spend`.
        let rescale = match (outlier, c.average_won_amount) {
            (Some(_), Some(avg)) if avg > 0.0 => spend / avg,
            _ => 1.0,
        };
        let profit = |x: f64| round6(x * rescale * margin);
        out.push(Recommendation {
            title: format!("Meet the {} SLA: breached handoffs convert less", c.sla),
            evidence: format!(
                "{} of {} decided handoffs breached the SLA; they reached {} at {:.1}% vs {:.1}% when met, and won at {:.1}% vs {:.1}%",
                c.breached,
                c.met + c.breached,
                c.qualified_stage,
                100.0 * c.qualified_rate_breached.unwrap_or(0.0),
                100.0 * c.qualified_rate_met.unwrap_or(0.0),
                100.0 * c.won_rate_breached.unwrap_or(0.0),
                100.0 * c.won_rate_met.unwrap_or(0.0)
            ),
            lever: "client_conversion",
            lever_effect: if customers > 0.0 { round6(c.extra_won.value / customers) } else { 0.0 },
            profit_effect: Effect { value: profit(c.extra_revenue.value), low: profit(c.extra_revenue.low), high: profit(c.extra_revenue.high) },
            owner: "sales",
            action: "Alert the owner when an MQL arrives, cover evenings and Fridays with a rota, and route to the next available rep after two business hours".into(),
        });
    }

    // 2. Sources that convert significantly worse than the rest (handoff → won).
    if let Some(step) = f
        .lead_quality
        .steps
        .iter()
        .find(|s| s.ends_with("_to_won") && !s.starts_with("opportunity"))
        && let Some(sources) = f.lead_quality.segments.get("source")
    {
        let overall = f.lead_quality.overall.get(step);
        for seg in sources {
            let Some(r) = seg.steps.get(step) else {
                continue;
            };
            let Some(all) = overall else { continue };
            if r.flag != Some("lower") {
                continue;
            }
            let (k, n) = (r.proportion.k as f64, r.proportion.n as f64);
            let rest_rate = (all.proportion.k as f64 - k) / (all.proportion.n as f64 - n).max(1.0);
            let diff = rest_rate - k / n;
            let se = (rest_rate * (1.0 - rest_rate) / (all.proportion.n as f64 - n).max(1.0)
                + (k / n) * (1.0 - k / n) / n)
                .sqrt();
            let value = |d: f64| round6(d * n * spend * margin);
            out.push(Recommendation {
                title: format!("Fix or cut the {} source: its handed-over leads rarely win", seg.value),
                evidence: format!("{step}: {:.1}% ({}/{}) vs {:.1}% for other sources", 100.0 * k / n, r.proportion.k, r.proportion.n, 100.0 * rest_rate),
                lever: "lead_conversion",
                lever_effect: round6(diff),
                profit_effect: Effect { value: value(diff), low: value(diff - Z95 * se), high: value(diff + Z95 * se) },
                owner: "marketing",
                action: format!("Tighten targeting and MQL criteria for {}; move budget to sources that convert, and tell sales which {} leads to deprioritise", seg.value, seg.value),
            });
        }
    }

    // 3. Stalled leads in sales stages: expected value of reviving them.
    let stalled = &f.handoff.friction.stalled;
    if stalled.leads > 0 {
        let closed: Vec<_> = f
            .ws
            .deals
            .iter()
            .filter(|d| d.status != DealStatus::Open && d.closed_at.is_some_and(|c| c <= f.as_of))
            .collect();
        let won = closed
            .iter()
            .filter(|d| d.status == DealStatus::Won)
            .count() as f64;
        if !closed.is_empty() && won > 0.0 {
            let n = closed.len() as f64;
            let p = won / n;
            let se = (p * (1.0 - p) / n).sqrt();
            let value = |q: f64| round6(stalled.leads as f64 * q.max(0.0) * spend * margin);
            out.push(Recommendation {
                title: format!("Revive {} stalled leads", stalled.leads),
                evidence: format!(
                    "{} leads sit in a sales stage with no activity for over {} days; closed deals win {:.1}% of the time ({} of {})",
                    stalled.leads, stalled.after_days, 100.0 * p, won, n
                ),
                lever: "client_conversion",
                lever_effect: if customers > 0.0 { round6(stalled.leads as f64 * p / customers) } else { 0.0 },
                profit_effect: Effect { value: value(p), low: value(p - Z95 * se), high: value(p + Z95 * se) },
                owner: "sales",
                action: "Give each owner their stalled list (report.json → handoff.friction.stalled), with a next step or a close-lost reason within a week".into(),
            });
        }
    }

    // 4. The top rejection reason: handoffs sales turns away free capacity if filtered earlier.
    let fr = &f.handoff.friction;
    if let Some(top) = fr.rejection_reasons.first()
        && fr.accepted > 0
    {
        let won_per_accepted = {
            let to_won = f
                .lead_quality
                .steps
                .iter()
                .find(|s| s.ends_with("_to_won") && !s.starts_with("opportunity"));
            to_won
                .and_then(|s| f.lead_quality.overall.get(s))
                .map_or(0.0, |r| r.proportion.k as f64)
                / fr.accepted as f64
        };
        let value = round6(top.count as f64 * won_per_accepted * spend * margin);
        out.push(Recommendation {
            title: format!("Stop handing over \"{}\" leads ({})", top.reason, top.stage),
            evidence: format!(
                "{} of {} rejected handoffs went to {} with reason \"{}\"; each accepted handoff yields {:.3} won deals",
                top.count, fr.rejected, top.stage, top.reason, won_per_accepted
            ),
            lever: "lead_conversion",
            lever_effect: round6(-(top.count as f64) / fr.handoff_entries.max(1) as f64),
            profit_effect: Effect { value, low: 0.0, high: value },
            owner: "marketing",
            action: format!(
                "Add a scoring or qualification rule that catches \"{}\" before the handoff (see report.json → scoring.rejections for the rules that let them through); the capacity freed goes to accepted leads",
                top.reason
            ),
        });
    }

    // 5. MQL threshold: more conversions within the same capacity.
    if let Some(t) = &f.scoring.threshold {
        let gain = t.best.expected_conversions_per_month - t.current.expected_conversions_per_month;
        // P(won | qualified) = leads won ÷ leads qualified, both counted from the handoff stage.
        let won_given_qualified = {
            let first = f
                .lead_quality
                .steps
                .first()
                .and_then(|s| f.lead_quality.overall.get(s));
            let to_won = f
                .lead_quality
                .steps
                .iter()
                .find(|s| s.ends_with("_to_won") && !s.starts_with("opportunity"))
                .and_then(|s| f.lead_quality.overall.get(s));
            match (first, to_won) {
                (Some(q), Some(w)) if q.proportion.k > 0 => {
                    w.proportion.k as f64 / q.proportion.k as f64
                }
                _ => 0.0,
            }
        };
        if gain > 0.0 && t.best.threshold != t.current.threshold && won_given_qualified > 0.0 {
            let months = t.months;
            let value = round6(gain * months * won_given_qualified * spend * margin);
            // Range: the best threshold's conversion rate at its Wilson 95% bounds.
            let n = (t.best.leads_per_month * months).round() as u64;
            let rate = t.best.conversion_rate.unwrap_or(0.0);
            let (lo, hi) = crate::stats::wilson((rate * n as f64).round() as u64, n);
            let scale = |r: f64| {
                let per_month = t.best.leads_per_month.min(t.capacity_per_month) * r
                    - t.current.expected_conversions_per_month;
                round6(per_month * months * won_given_qualified * spend * margin)
            };
            out.push(Recommendation {
                title: format!("Move the MQL threshold from {} to {}", t.current.threshold, t.best.threshold),
                evidence: format!(
                    "at {}: {:.1} leads/month converting at {:.1}%; at {}: {:.1} leads/month at {:.1}%, within a capacity of {:.0} leads/month",
                    t.current.threshold,
                    t.current.leads_per_month,
                    100.0 * t.current.conversion_rate.unwrap_or(0.0),
                    t.best.threshold,
                    t.best.leads_per_month,
                    100.0 * t.best.conversion_rate.unwrap_or(0.0),
                    t.capacity_per_month
                ),
                lever: "lead_conversion",
                lever_effect: if t.current.expected_conversions_per_month > 0.0 { round6(gain / t.current.expected_conversions_per_month) } else { 0.0 },
                profit_effect: Effect { value, low: scale(lo), high: scale(hi) },
                owner: "both",
                action: format!("Set [scoring] mql_threshold = {} and review the rules flagged in report.json → scoring.rules", t.best.threshold),
            });
        }
    }

    crate::order::sort_by(&mut out, |a, b| {
        b.profit_effect
            .value
            .total_cmp(&a.profit_effect.value)
            .then_with(|| a.title.cmp(&b.title))
    });
    out
}
