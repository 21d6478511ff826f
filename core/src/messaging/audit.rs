//! The messaging audit of a workspace (`report.json` → `messaging`): every asset and talk track
//! analysed, off-message items, conflicting numbers, and marketing vs sales per pillar.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{Lexicon, Span, TextFindings};
use crate::model::{Team, Workspace};
use crate::order::CollectOrdered;
use crate::order::{Map, Set};
use crate::stats::round6;

/// `report.json` → `messaging`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MessagingReport {
    /// The language texts were analysed in.
    pub language: String,
    /// Pillar names.
    pub pillars: Vec<String>,
    /// Every asset and talk track with what was found in it.
    pub items: Vec<ItemFindings>,
    /// Items that cover no pillar.
    pub off_message: Vec<String>,
    /// Numbers that conflict: per pillar and kind, the values found where and the approved ones.
    pub conflicts: Vec<Conflict>,
    /// Per pillar: marketing vs sales coverage and similarity.
    pub by_pillar: Vec<PillarConsistency>,
    /// 0–100 (see docs/messaging.md).
    pub consistency_score: f64,
    /// The parts of the score: coverage balance, similarity, clean share.
    pub score_parts: Map<String, f64>,
}

/// One item's findings.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ItemFindings {
    /// Asset id.
    pub asset_id: String,
    /// Title.
    pub title: String,
    /// `marketing` or `sales`.
    pub owner_team: &'static str,
    /// What was found.
    #[serde(flatten)]
    pub findings: TextFindings,
}

/// A numeric conflict for one pillar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conflict {
    /// Pillar.
    pub pillar: String,
    /// Kind of number.
    pub kind: String,
    /// Unit for counts.
    pub unit: String,
    /// Approved values (from the pillar's description and phrases).
    pub approved: Vec<f64>,
    /// The values found, with where.
    pub found: Vec<FoundNumber>,
}

/// One number found in an item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FoundNumber {
    /// Value.
    pub value: f64,
    /// Asset id.
    pub asset_id: String,
    /// Team.
    pub owner_team: &'static str,
    /// Where.
    pub span: Span,
}

/// Marketing vs sales on one pillar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PillarConsistency {
    /// Pillar.
    pub pillar: String,
    /// Marketing items covering it.
    pub marketing_items: u64,
    /// Sales items covering it.
    pub sales_items: u64,
    /// Share of marketing items covering it.
    pub marketing_coverage: f64,
    /// Share of sales items covering it.
    pub sales_coverage: f64,
    /// TF-IDF cosine similarity of the two sides' texts on this pillar (none unless both cover it).
    pub similarity: Option<f64>,
}

fn tfidf_cosine(a: &[String], b: &[String], idf: &FxHashMap<String, f64>) -> f64 {
    fn count(v: &[String]) -> Map<&str, f64> {
        let mut m: Map<&str, f64> = Map::new();
        for s in v {
            *m.entry(s.as_str()).or_insert(0.0) += 1.0;
        }
        m
    }
    let (ca, cb) = (count(a), count(b));
    let w = |m: &Map<&str, f64>, k: &str| {
        m.get(k).copied().unwrap_or(0.0) * idf.get(k).copied().unwrap_or(1.0)
    };
    let dot: f64 = ca.keys().map(|k| w(&ca, k) * w(&cb, k)).sum();
    let na: f64 = ca.keys().map(|k| w(&ca, k).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = cb.keys().map(|k| w(&cb, k).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Audits every asset and talk track of the workspace.
pub fn messaging_report(ws: &Workspace) -> Option<MessagingReport> {
    let lex = Lexicon::new(ws)?;
    let items: Vec<ItemFindings> = ws
        .assets
        .iter()
        .filter(|a| a.owner_team != Team::Cs)
        .map(|a| ItemFindings {
            asset_id: ws.text(a.id).into(),
            title: a.title.clone(),
            owner_team: a.owner_team.as_str(),
            findings: lex.analyze(&a.body),
        })
        .collect();
    let off_message = items
        .iter()
        .filter(|i| i.findings.pillars.is_empty())
        .map(|i| i.asset_id.clone())
        .collect();
    // Conflicts: per (pillar, kind, unit), the values found; flagged when one is not approved or,
    // without approved values, when items disagree.
    let mut groups: Map<(String, String, String), Vec<FoundNumber>> = Map::new();
    for i in &items {
        for n in &i.findings.numbers {
            groups
                .entry((n.pillar.clone(), n.kind.clone(), n.unit.clone()))
                .or_default()
                .push(FoundNumber {
                    value: n.value,
                    asset_id: i.asset_id.clone(),
                    owner_team: i.owner_team,
                    span: n.span.clone(),
                });
        }
    }
    let names = lex.pillar_names();
    let conflicts = groups
        .into_iter()
        .filter_map(|((pillar, kind, unit), found)| {
            let k = names.iter().position(|n| *n == pillar)?;
            let approved = lex.approved_values(k, &kind, &unit);
            let distinct: Set<u64> = found.iter().map(|f| f.value.to_bits()).collect_set();
            let bad = if approved.is_empty() {
                distinct.len() > 1
            } else {
                found
                    .iter()
                    .any(|f| !approved.iter().any(|a| (a - f.value).abs() < 1e-9))
            };
            bad.then_some(Conflict {
                pillar,
                kind,
                unit,
                approved,
                found,
            })
        })
        .collect::<Vec<_>>();
    // Similarity per pillar.
    let docs: Vec<Vec<String>> = ws
        .assets
        .iter()
        .filter(|a| a.owner_team != Team::Cs)
        .map(|a| lex.content_stems(&a.body))
        .collect();
    let n_docs = docs.len() as f64;
    let mut df: FxHashMap<String, f64> = FxHashMap::default();
    for d in &docs {
        for s in d.iter().collect_set() {
            *df.entry(s.clone()).or_insert(0.0) += 1.0;
        }
    }
    // Smoothed idf, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
    let idf: FxHashMap<String, f64> = df
        .into_iter()
        .map(|(k, v)| (k, ((1.0 + n_docs) / (1.0 + v)).ln() + 1.0))
        .collect();
    let (n_mkt, n_sales) = (
        items.iter().filter(|i| i.owner_team == "marketing").count() as f64,
        items.iter().filter(|i| i.owner_team == "sales").count() as f64,
    );
    let by_pillar: Vec<PillarConsistency> = names
        .iter()
        .map(|p| {
            let covering = |team: &str| -> Vec<usize> {
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| {
                        i.owner_team == team && i.findings.pillars.iter().any(|h| h.pillar == *p)
                    })
                    .map(|(k, _)| k)
                    .collect()
            };
            let (m, s) = (covering("marketing"), covering("sales"));
            let text = |ix: &[usize]| -> Vec<String> {
                ix.iter().flat_map(|&k| docs[k].iter().cloned()).collect()
            };
            PillarConsistency {
                pillar: p.clone(),
                marketing_items: m.len() as u64,
                sales_items: s.len() as u64,
                marketing_coverage: round6(if n_mkt > 0.0 {
                    m.len() as f64 / n_mkt
                } else {
                    0.0
                }),
                sales_coverage: round6(if n_sales > 0.0 {
                    s.len() as f64 / n_sales
                } else {
                    0.0
                }),
                similarity: (!m.is_empty() && !s.is_empty())
                    .then(|| round6(tfidf_cosine(&text(&m), &text(&s), &idf))),
            }
        })
        .collect();
    let balance = if by_pillar.is_empty() {
        0.0
    } else {
        by_pillar
            .iter()
            .map(|p| 1.0 - (p.marketing_coverage - p.sales_coverage).abs())
            .sum::<f64>()
            / by_pillar.len() as f64
    };
    let sims: Vec<f64> = by_pillar
        .iter()
        .map(|p| p.similarity.unwrap_or(0.0))
        .collect();
    let similarity = if sims.is_empty() {
        0.0
    } else {
        sims.iter().sum::<f64>() / sims.len() as f64
    };
    let flagged: Set<&str> = items
        .iter()
        .filter(|i| !i.findings.claims.is_empty())
        .map(|i| i.asset_id.as_str())
        .chain(conflicts.iter().flat_map(|c| {
            c.found
                .iter()
                .filter(|f| !c.approved.iter().any(|a| (a - f.value).abs() < 1e-9))
                .map(|f| f.asset_id.as_str())
        }))
        .collect_set();
    let clean = if items.is_empty() {
        1.0
    } else {
        1.0 - flagged.len() as f64 / items.len() as f64
    };
    let score = 100.0 * (0.4 * balance + 0.3 * similarity + 0.3 * clean);
    Some(MessagingReport {
        language: ws.framework.config.messaging.language.clone(),
        pillars: names,
        items,
        off_message,
        conflicts,
        by_pillar,
        consistency_score: round6(score),
        score_parts: [
            ("coverage_balance", balance),
            ("similarity", similarity),
            ("clean_share", clean),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), round6(v)))
        .collect_map(),
    })
}
