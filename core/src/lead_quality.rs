//! Lead quality: conversion along the funnel (handoff, qualified, opportunity, won) by segment,
//! with Wilson 95% intervals and a flag where a segment differs significantly from the rest.

use crate::order::CollectOrdered;
use crate::order::Map;

use serde::Serialize;

use crate::model::{AttrValue, LeadIx, Workspace};
use crate::outcomes::Outcomes;
use crate::stats::{Proportion, round6, two_proportion_z};

/// Employee bands (inclusive upper bounds).
const BANDS: &[(f64, &str)] = &[
    (10.0, "1-10"),
    (50.0, "11-50"),
    (200.0, "51-200"),
    (1000.0, "201-1000"),
    (5000.0, "1001-5000"),
    (f64::INFINITY, "5001+"),
];

/// `report.json` → `lead_quality`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LeadQualityReport {
    /// The funnel steps measured, e.g. `mql_to_sql`.
    pub steps: Vec<String>,
    /// Each step over all leads.
    pub overall: Map<String, Rate>,
    /// Dimension → segment value → step → rate.
    pub segments: Map<String, Vec<Segment>>,
    /// Segments smaller than this (at a step) are never flagged.
    pub min_segment_size: u64,
}

/// One segment of one dimension.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Segment {
    /// The attribute value (`(none)` when missing).
    pub value: String,
    /// Leads in the segment.
    pub leads: u64,
    /// Step → rate.
    pub steps: Map<String, Rate>,
}

/// A conversion rate with its interval and significance flag.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Rate {
    /// Converted, of, rate and Wilson interval.
    #[serde(flatten)]
    pub proportion: Proportion,
    /// `higher` / `lower` when the segment differs from the rest of its dimension at 95%.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<&'static str>,
    /// The two-proportion z statistic against the rest (segments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
}

fn rate(k: u64, n: u64) -> Rate {
    Rate {
        proportion: Proportion::new(k, n),
        flag: None,
        z: None,
    }
}

/// The segment value of a lead for a dimension.
fn segment_value(ws: &Workspace, dimension: &str, lead: LeadIx) -> String {
    if dimension == "employee_band" {
        return match ws.attribute("employees").map(|a| a.values.get(lead)) {
            Some(AttrValue::Number(n)) => BANDS
                .iter()
                .find(|(max, _)| n <= *max)
                .map_or("5001+", |b| b.1)
                .to_string(),
            _ => "(none)".into(),
        };
    }
    match ws.attribute(dimension).map(|a| a.values.get(lead)) {
        Some(AttrValue::Text(s)) => ws.text(s).to_string(),
        Some(AttrValue::Number(n)) => format!("{n}"),
        Some(AttrValue::Bool(b)) => b.to_string(),
        _ => "(none)".into(),
    }
}

/// Computes `lead_quality`.
pub fn lead_quality(ws: &Workspace, outcomes: &Outcomes) -> LeadQualityReport {
    let cfg = &ws.framework.config;
    let stages = &cfg.lifecycle.stages;
    let index = |name: &str| stages.iter().position(|s| s == name);
    // The funnel checkpoints: handoff stage, qualified stage, opportunity (when the lifecycle has one), won.
    let mut points: Vec<(String, Option<usize>)> = Vec::new();
    for name in [
        cfg.lifecycle.handoff_stage(),
        ws.framework.qualified_stage(),
        Some("opportunity"),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(i) = index(name)
            && !points.iter().any(|(_, j)| *j == Some(i))
        {
            points.push((name.to_string(), Some(i)));
        }
    }
    points.push(("won".into(), None));
    let mut steps: Vec<(String, usize, usize)> = points
        .windows(2)
        .enumerate()
        .map(|(i, w)| (format!("{}_to_{}", w[0].0, w[1].0), i, i + 1))
        .collect();
    if points.len() > 2 {
        steps.push((format!("{}_to_won", points[0].0), 0, points.len() - 1));
    }
    let reached = |lead: LeadIx, p: usize| -> bool {
        match points[p].1 {
            Some(i) => outcomes.reached(lead, i),
            None => outcomes.is_won(lead),
        }
    };
    // Per lead, per step: (in denominator, converted).
    let n_leads = ws.leads.len() as LeadIx;
    let mut overall = vec![(0u64, 0u64); steps.len()];
    let per_lead: Vec<Vec<(bool, bool)>> = (0..n_leads)
        .map(|lead| {
            steps
                .iter()
                .map(|(_, a, b)| {
                    let from = reached(lead, *a);
                    (from, from && reached(lead, *b))
                })
                .collect()
        })
        .collect();
    for v in &per_lead {
        for (s, &(from, to)) in v.iter().enumerate() {
            overall[s].0 += u64::from(from);
            overall[s].1 += u64::from(to);
        }
    }
    let mut dimensions: Vec<String> = ["source", "industry", "employee_band", "persona"]
        .map(String::from)
        .to_vec();
    for d in &cfg.lead_quality.segments {
        if !dimensions.contains(d) {
            dimensions.push(d.clone());
        }
    }
    let min = cfg.lead_quality.min_segment_size;
    let mut segments = Map::new();
    for dim in dimensions {
        if dim != "employee_band" && ws.attribute(&dim).is_none() {
            continue;
        }
        let mut groups: Map<String, (u64, Vec<(u64, u64)>)> = Map::new();
        for lead in 0..n_leads {
            let g = groups
                .entry(segment_value(ws, &dim, lead))
                .or_insert_with(|| (0, vec![(0, 0); steps.len()]));
            g.0 += 1;
            for (s, &(from, to)) in per_lead[lead as usize].iter().enumerate() {
                g.1[s].0 += u64::from(from);
                g.1[s].1 += u64::from(to);
            }
        }
        let list = groups
            .into_iter()
            .map(|(value, (leads, counts))| {
                let steps_map = steps
                    .iter()
                    .enumerate()
                    .map(|(s, (name, _, _))| {
                        let (n, k) = counts[s];
                        let (rest_n, rest_k) = (overall[s].0 - n, overall[s].1 - k);
                        let mut r = rate(k, n);
                        if n > 0 && rest_n > 0 {
                            let z = two_proportion_z(k, n, rest_k, rest_n);
                            r.z = Some(round6(z));
                            if n >= min && rest_n >= min && z.abs() >= crate::stats::Z95 {
                                r.flag = Some(if z > 0.0 { "higher" } else { "lower" });
                            }
                        }
                        (name.clone(), r)
                    })
                    .collect_map();
                Segment {
                    value,
                    leads,
                    steps: steps_map,
                }
            })
            .collect();
        segments.insert(dim, list);
    }
    LeadQualityReport {
        steps: steps.iter().map(|s| s.0.clone()).collect(),
        overall: steps
            .iter()
            .enumerate()
            .map(|(s, (name, _, _))| (name.clone(), rate(overall[s].1, overall[s].0)))
            .collect_map(),
        segments,
        min_segment_size: min,
    }
}
