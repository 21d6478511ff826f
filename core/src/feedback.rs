//! Customer feedback joined to the journey: NPS and CSAT by source, by SLA outcome, by path variant.

use crate::order::CollectOrdered;
use crate::order::Map;

use serde::Serialize;

use crate::handoff::HandoffRow;
use crate::journey::{lead_text, stage_entries};
use crate::model::{FeedbackKind, LeadIx, Workspace};
use crate::stats::round6;
use crate::time::Instant;

/// `journey.feedback`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FeedbackReport {
    /// All feedback at or before `as_of`.
    pub overall: Scores,
    /// By lead `source`.
    pub by_source: Map<String, Scores>,
    /// By the outcome of the lead's SLA clock (`first_touch`, else the first SLA): met, breached,
    /// pending, or `no_handoff`.
    pub by_sla_outcome: Map<String, Scores>,
    /// By whole stage path (the variants of `journey.stages.variants`).
    pub by_variant: Vec<VariantScores>,
}

/// NPS and CSAT of a group.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Scores {
    /// NPS answers.
    pub nps_responses: u64,
    /// Net Promoter Score: % promoters (9–10) − % detractors (0–6), −100..100.
    pub nps: Option<f64>,
    /// CSAT answers.
    pub csat_responses: u64,
    /// Mean CSAT (1–5).
    pub csat_mean: Option<f64>,
    /// Free-text comments.
    pub comments: u64,
}

/// Scores of the leads that followed one stage path.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VariantScores {
    /// The stage path.
    pub path: Vec<String>,
    /// The scores.
    #[serde(flatten)]
    pub scores: Scores,
}

#[derive(Default, Clone)]
struct Acc {
    promoters: u64,
    detractors: u64,
    nps: u64,
    csat_sum: f64,
    csat: u64,
    comments: u64,
}

impl Acc {
    fn finish(&self) -> Scores {
        Scores {
            nps_responses: self.nps,
            nps: (self.nps > 0).then(|| {
                round6(100.0 * (self.promoters as f64 - self.detractors as f64) / self.nps as f64)
            }),
            csat_responses: self.csat,
            csat_mean: (self.csat > 0).then(|| round6(self.csat_sum / self.csat as f64)),
            comments: self.comments,
        }
    }
}

/// Computes `journey.feedback`; `sla_index` picks the clock in each `HandoffRow` used for outcomes.
pub fn feedback_report(
    ws: &Workspace,
    as_of: Instant,
    rows: &[HandoffRow],
    sla_index: Option<usize>,
    variants: &[Vec<String>],
) -> FeedbackReport {
    let n = ws.leads.len();
    let mut outcome: Vec<&'static str> = vec!["no_handoff"; n];
    if let Some(k) = sla_index {
        for r in rows {
            if let Some(Some(c)) = r.clocks.get(k) {
                outcome[r.lead as usize] = c.outcome.as_str();
            }
        }
    }
    let mut path_of: Vec<Option<usize>> = vec![None; n];
    for (lead, entries) in stage_entries(ws, as_of) {
        let path: Vec<&str> = entries
            .iter()
            .map(|e| ws.stage_names[e.stage as usize].as_str())
            .collect();
        path_of[lead as usize] = variants
            .iter()
            .position(|v| v.iter().map(String::as_str).eq(path.iter().copied()));
    }
    let mut overall = Acc::default();
    let mut by_source: Map<String, Acc> = Map::new();
    let mut by_outcome: Map<String, Acc> = Map::new();
    let mut by_variant = vec![Acc::default(); variants.len()];
    for f in ws.feedback.iter().filter(|f| f.ts <= as_of) {
        let lead: LeadIx = f.lead;
        let mut accs: Vec<&mut Acc> = Vec::with_capacity(4);
        accs.push(&mut overall);
        accs.push(
            by_source
                .entry(lead_text(ws, "source", lead).to_string())
                .or_default(),
        );
        accs.push(
            by_outcome
                .entry(outcome[lead as usize].to_string())
                .or_default(),
        );
        if let Some(v) = path_of[lead as usize] {
            accs.push(&mut by_variant[v]);
        }
        for a in accs {
            match (f.kind, f.score) {
                (FeedbackKind::Nps, Some(s)) => {
                    a.nps += 1;
                    a.promoters += u64::from(s >= 9.0);
                    a.detractors += u64::from(s <= 6.0);
                }
                (FeedbackKind::Csat, Some(s)) => {
                    a.csat += 1;
                    a.csat_sum += s;
                }
                (FeedbackKind::Comment, _) => a.comments += 1,
                _ => {}
            }
        }
    }
    FeedbackReport {
        overall: overall.finish(),
        by_source: by_source
            .iter()
            .map(|(k, a)| (k.clone(), a.finish()))
            .collect_map(),
        by_sla_outcome: by_outcome
            .iter()
            .map(|(k, a)| (k.clone(), a.finish()))
            .collect_map(),
        by_variant: variants
            .iter()
            .zip(&by_variant)
            .map(|(path, a)| VariantScores {
                path: path.clone(),
                scores: a.finish(),
            })
            .collect(),
    }
}
