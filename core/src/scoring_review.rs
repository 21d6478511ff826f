//! The scoring feedback loop (`report.json` → `scoring`): do scores predict conversion, which
//! rules let poor leads through, which MQL threshold fits sales capacity, and what qualification
//! and routing decided.
//!
//! Each lead is scored at its **decision time** — its first entry into the handoff stage (what
//! sales saw), or `as_of` for leads never handed over — and counts as converted when it reached the
//! qualified stage by `as_of`.

use crate::order::Map;

use serde::Serialize;

use crate::journey::stage_entries;
use crate::model::{LeadIx, Workspace};
use crate::outcomes::Outcomes;
use crate::qualification::Verdict;
use crate::scoring::{QuickScore, ScoringModel, score_quick};
use crate::stats::{Proportion, Z95, round6, two_proportion_z};
use crate::time::{Instant, MICROS_PER_DAY};

/// `report.json` → `scoring`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScoringReport {
    /// Rules configured.
    pub rules_configured: usize,
    /// MQL threshold.
    pub mql_threshold: f64,
    /// Leads scored (as of `as_of`).
    pub leads_scored: usize,
    /// Leads at or above the threshold as of `as_of`.
    pub mqls: usize,
    /// Mean score as of `as_of`.
    pub mean_score: Option<f64>,
    /// Leads per fit grade.
    pub grades: Map<String, u64>,
    /// Leads per priority (grade × engagement tier).
    pub priorities: Map<String, u64>,
    /// The stage counted as conversion.
    pub conversion_stage: Option<String>,
    /// Score bands (decision-time scores) against conversion.
    pub bands: Vec<ScoreBand>,
    /// Per rule: conversion of leads it fired for against the rest.
    pub rules: Vec<RulePerformance>,
    /// The MQL threshold that maximises expected conversions within sales capacity.
    pub threshold: Option<ThresholdAdvice>,
    /// Sales rejection reasons and the rules that had let those leads through.
    pub rejections: Vec<RejectionRules>,
    /// Qualification: per set, how many qualified and what is missing.
    pub qualification: Vec<SetSummary>,
    /// Leads per routing target.
    pub routing: Map<String, u64>,
    /// The predictive model applied (`--model`), with its holdout metrics and reliability table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<crate::predictive::TrainReport>,
}

/// Conversion of one score band.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScoreBand {
    /// Lower edge (inclusive).
    pub from: f64,
    /// Upper edge (exclusive).
    pub to: f64,
    /// Converted of leads, with a Wilson interval.
    #[serde(flatten)]
    pub conversion: Proportion,
}

/// How one rule's leads convert.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RulePerformance {
    /// Rule.
    pub rule: String,
    /// Leads it gave points to.
    pub fired: Proportion,
    /// The other leads.
    pub not_fired: Proportion,
    /// Two-proportion z (fired vs not).
    pub z: f64,
    /// `converts_worse` / `converts_better` at 95% (both groups ≥ 20 leads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<&'static str>,
    /// True when the rule works against its points: positive points on leads that convert worse,
    /// or negative points on leads that convert better.
    pub misaligned: bool,
}

/// The threshold recommendation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ThresholdAdvice {
    /// Leads sales can work per month (configured, or today's handoffs per month).
    pub capacity_per_month: f64,
    /// How capacity was set: `configured` or `current_handoffs`.
    pub capacity_source: &'static str,
    /// Months covered by the leads.
    pub months: f64,
    /// The configured threshold's point on the curve.
    pub current: ThresholdPoint,
    /// The best point.
    pub best: ThresholdPoint,
    /// Every threshold tried.
    pub curve: Vec<ThresholdPoint>,
}

/// One threshold's expected yield.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ThresholdPoint {
    /// Threshold.
    pub threshold: f64,
    /// Leads at or above it per month.
    pub leads_per_month: f64,
    /// Their conversion rate.
    pub conversion_rate: Option<f64>,
    /// min(capacity, leads per month) × conversion rate.
    pub expected_conversions_per_month: f64,
}

/// One rejection reason and the rules that fired for the rejected leads.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RejectionRules {
    /// The exit stage.
    pub stage: String,
    /// The reason given.
    pub reason: String,
    /// Leads rejected so.
    pub leads: u64,
    /// Rule → leads it fired for, among them.
    pub rules: Map<String, u64>,
}

/// One qualification set over all leads.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SetSummary {
    /// The set.
    pub set: String,
    /// Leads qualified.
    pub qualified: u64,
    /// Per criterion: passed, failed, missing.
    pub criteria: Vec<CriterionSummary>,
}

/// One criterion over all leads.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CriterionSummary {
    /// Criterion.
    pub criterion: String,
    /// The WebAssembly plugin deciding it, if any (its verdicts: `report.plugins`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Leads passing.
    pub passed: u64,
    /// Leads failing.
    pub failed: u64,
    /// Leads it could not decide.
    pub missing: u64,
}

/// Builds the scoring section from the scores at `as_of`, verdicts and routes already computed.
pub fn scoring_review(
    ws: &Workspace,
    as_of: Instant,
    model: &ScoringModel,
    scores: &[QuickScore],
    verdicts: &[Vec<Verdict>],
    routes: &[Option<String>],
    outcomes: &Outcomes,
) -> ScoringReport {
    let cfg = &ws.framework.config;
    let lc = &cfg.lifecycle;
    let n = ws.leads.len();
    let mut grades = Map::new();
    let mut priorities = Map::new();
    for s in scores {
        if let Some(g) = model.grade(s.fit) {
            *grades.entry(g.to_string()).or_insert(0) += 1;
        }
        if let Some(p) = model.priority(s.fit, s.engagement) {
            *priorities.entry(p).or_insert(0) += 1;
        }
    }
    let handoff = lc
        .handoff_stage()
        .and_then(|h| ws.stage_names.iter().position(|s| s == h))
        .map(|i| i as u16);
    let qualified = ws.framework.qualified_stage().map(String::from);
    let q_index = qualified
        .as_ref()
        .and_then(|q| lc.stages.iter().position(|s| s == q));
    let converted = |lead: LeadIx| q_index.is_some_and(|q| outcomes.reached(lead, q));

    // Decision time and the first handoff's rejection, per lead.
    let mut decision: Vec<Instant> = vec![as_of; n];
    let mut rejected: Vec<Option<(String, String)>> = vec![None; n];
    let mut handoffs = 0u64;
    for (lead, entries) in stage_entries(ws, as_of) {
        if let Some(i) = entries.iter().position(|e| Some(e.stage) == handoff) {
            handoffs += 1;
            decision[lead as usize] = entries[i].ts;
            if let Some(next) = entries.get(i + 1) {
                let name = &ws.stage_names[next.stage as usize];
                if !lc.sales.contains(name) {
                    let reason = next.reason.map_or("(none)", |r| ws.text(r)).to_string();
                    rejected[lead as usize] = Some((name.clone(), reason));
                }
            }
        }
    }
    let at_decision: Vec<QuickScore> = (0..n as LeadIx)
        .map(|l| {
            // Leads never handed over are scored at as_of: reuse that score.
            let at = decision[l as usize];
            if at == as_of {
                scores[l as usize]
            } else {
                score_quick(model, ws, l, at)
            }
        })
        .collect();

    // Bands of 10 points over the observed range (at most 20 bands).
    let (lo, hi) = at_decision
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
            (a.min(s.score), b.max(s.score))
        });
    let mut bands = Vec::new();
    if lo.is_finite() && !model.rules.is_empty() {
        let width = (((hi - lo) / 20.0).ceil().max(1.0) / 10.0).ceil().max(1.0) * 10.0;
        let start = (lo / width).floor() * width;
        let count = (((hi - start) / width).floor() as usize + 1).min(40);
        let mut k = vec![(0u64, 0u64); count];
        for (l, s) in at_decision.iter().enumerate() {
            let b = (((s.score - start) / width).floor() as usize).min(count - 1);
            k[b].0 += 1;
            k[b].1 += u64::from(converted(l as LeadIx));
        }
        for (i, (leads, conv)) in k.into_iter().enumerate() {
            if leads > 0 {
                bands.push(ScoreBand {
                    from: start + i as f64 * width,
                    to: start + (i + 1) as f64 * width,
                    conversion: Proportion::new(conv, leads),
                });
            }
        }
    }

    // Rule performance.
    let total_conv = (0..n as LeadIx).filter(|&l| converted(l)).count() as u64;
    let rules = model
        .rules
        .iter()
        .map(|r| {
            let (mut fired, mut fired_conv) = (0u64, 0u64);
            let bit = model
                .rules
                .iter()
                .position(|x| std::ptr::eq(x, r))
                .map_or(0, |i| if i < 64 { 1u64 << i } else { 0 });
            for (l, s) in at_decision.iter().enumerate() {
                if s.fired & bit != 0 {
                    fired += 1;
                    fired_conv += u64::from(converted(l as LeadIx));
                }
            }
            let (rest, rest_conv) = (n as u64 - fired, total_conv - fired_conv);
            let z = two_proportion_z(fired_conv, fired, rest_conv, rest);
            let flag = (fired >= 20 && rest >= 20 && z.abs() >= Z95).then_some(if z < 0.0 {
                "converts_worse"
            } else {
                "converts_better"
            });
            let misaligned = matches!(
                (flag, r.points > 0.0),
                (Some("converts_worse"), true) | (Some("converts_better"), false)
            );
            RulePerformance {
                rule: r.name.clone(),
                fired: Proportion::new(fired_conv, fired),
                not_fired: Proportion::new(rest_conv, rest),
                z: round6(z),
                flag,
                misaligned,
            }
        })
        .collect();

    // Threshold advice.
    let first = ws.leads.iter().map(|l| l.created_at).min();
    let months = first.map_or(0.0, |f| {
        ((as_of.0 - f.0) as f64 / MICROS_PER_DAY as f64 / 30.436875).max(1.0 / 30.436875)
    });
    let threshold = (!model.rules.is_empty() && months > 0.0).then(|| {
        let (capacity, source) = match cfg.scoring.sales_capacity_per_month {
            Some(c) => (c, "configured"),
            None => (handoffs as f64 / months, "current_handoffs"),
        };
        let point = |t: f64| {
            let (mut k, mut c) = (0u64, 0u64);
            for (l, s) in at_decision.iter().enumerate() {
                if s.score >= t {
                    k += 1;
                    c += u64::from(converted(l as LeadIx));
                }
            }
            let per_month = k as f64 / months;
            let rate = (k > 0).then(|| c as f64 / k as f64);
            ThresholdPoint {
                threshold: t,
                leads_per_month: round6(per_month),
                conversion_rate: rate.map(round6),
                expected_conversions_per_month: round6(
                    per_month.min(capacity) * rate.unwrap_or(0.0),
                ),
            }
        };
        let step = ((hi - lo.min(0.0)) / 20.0).max(1.0).ceil();
        let mut curve = Vec::new();
        let mut t = (lo.min(0.0) / step).floor() * step;
        while t <= hi + step && curve.len() < 60 {
            curve.push(point(t));
            t += step;
        }
        let best = curve
            .iter()
            .max_by(|a, b| {
                a.expected_conversions_per_month
                    .total_cmp(&b.expected_conversions_per_month)
                    .then(a.threshold.total_cmp(&b.threshold))
            })
            .cloned()
            .unwrap_or_else(|| point(model.mql_threshold));
        ThresholdAdvice {
            capacity_per_month: round6(capacity),
            capacity_source: source,
            months: round6(months),
            current: point(model.mql_threshold),
            best,
            curve,
        }
    });

    // Rejections mapped to rules.
    let mut rej: Map<(String, String), (u64, Map<String, u64>)> = Map::new();
    for (l, r) in rejected.iter().enumerate() {
        if let Some((stage, reason)) = r {
            let e = rej.entry((stage.clone(), reason.clone())).or_default();
            e.0 += 1;
            for (i, rule) in model.rules.iter().enumerate().take(64) {
                if at_decision[l].fired & (1u64 << i) != 0 {
                    *e.1.entry(rule.name.clone()).or_insert(0) += 1;
                }
            }
        }
    }
    let mut rejections: Vec<RejectionRules> = rej
        .into_iter()
        .map(|((stage, reason), (leads, rules))| RejectionRules {
            stage,
            reason,
            leads,
            rules,
        })
        .collect();
    crate::order::sort_by(&mut rejections, |a, b| {
        b.leads
            .cmp(&a.leads)
            .then_with(|| (&a.stage, &a.reason).cmp(&(&b.stage, &b.reason)))
    });

    let qualification = ws
        .framework
        .config
        .qualification
        .sets
        .iter()
        .enumerate()
        .map(|(i, set)| {
            let mut summary = SetSummary {
                set: set.name.clone(),
                qualified: 0,
                criteria: set
                    .criteria
                    .iter()
                    .map(|c| CriterionSummary {
                        criterion: c.name.clone(),
                        plugin: c.plugin.clone(),
                        passed: 0,
                        failed: 0,
                        missing: 0,
                    })
                    .collect(),
            };
            for v in verdicts.iter().filter_map(|v| v.get(i)) {
                summary.qualified += u64::from(v.qualified);
                for c in &mut summary.criteria {
                    c.passed += u64::from(v.passed.contains(&c.criterion));
                    c.failed += u64::from(v.failed.contains(&c.criterion));
                    c.missing +=
                        u64::from(v.missing_data.iter().any(|m| m.criterion == c.criterion));
                }
            }
            summary
        })
        .collect();
    let mut routing = Map::new();
    for r in routes.iter().flatten() {
        *routing.entry(r.clone()).or_insert(0) += 1;
    }
    let mean_score = (!scores.is_empty())
        .then(|| round6(scores.iter().map(|s| s.score).sum::<f64>() / scores.len() as f64));
    ScoringReport {
        rules_configured: model.rules.len(),
        mql_threshold: model.mql_threshold,
        leads_scored: scores.len(),
        mqls: scores
            .iter()
            .filter(|s| s.score >= model.mql_threshold)
            .count(),
        mean_score,
        grades,
        priorities,
        conversion_stage: qualified,
        bands,
        rules,
        threshold,
        rejections,
        qualification,
        routing,
        model: None,
    }
}
