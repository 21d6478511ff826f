//! Messaging consistency: which pillars each asset and talk track covers (with evidence spans),
//! retired and banned claims still in use, numbers that conflict with the approved ones, how
//! similarly marketing and sales talk about each pillar, and a live check of a draft.

use crate::order::CollectOrdered;
use crate::order::{Map, Set};

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::model::{Team, Workspace};
use crate::stats::round6;
use crate::text::{Analyzer, Token, is_number};

/// A span of the checked text, in characters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Span {
    /// The text matched.
    pub text: String,
    /// Start (characters).
    pub start: usize,
    /// End (exclusive, characters).
    pub end: usize,
}

/// A number stated in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NumberClaim {
    /// The pillar it is stated for.
    pub pillar: String,
    /// `percent`, `multiple`, `duration_days` or `count`.
    pub kind: String,
    /// The value (percent as 40 for 40%; durations in days).
    pub value: f64,
    /// For counts: the stem of the counted word.
    pub unit: String,
    /// Whether the value is one the pillar approves.
    pub approved: Option<bool>,
    /// Where.
    pub span: Span,
}

/// One pillar found in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PillarHit {
    /// Pillar.
    pub pillar: String,
    /// The matched phrases or synonyms.
    pub evidence: Vec<Span>,
}

/// A retired or banned claim found in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClaimHit {
    /// The claim as configured.
    pub claim: String,
    /// `retired` or `banned`.
    pub kind: &'static str,
    /// Where.
    pub span: Span,
}

/// Everything found in one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TextFindings {
    /// Pillars covered.
    pub pillars: Vec<PillarHit>,
    /// Retired and banned claims.
    pub claims: Vec<ClaimHit>,
    /// Numbers stated for pillars.
    pub numbers: Vec<NumberClaim>,
}

/// `checkMessage`: a draft checked against the pillars.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MessageCheck {
    /// The audience given (echoed).
    pub audience: String,
    /// Pillars the draft covers.
    pub pillars_hit: Vec<PillarHit>,
    /// Pillars it does not.
    pub pillars_missed: Vec<String>,
    /// Retired and banned claims.
    pub claims: Vec<ClaimHit>,
    /// Numbers that conflict with the approved ones.
    pub conflicts: Vec<NumberClaim>,
    /// 0–100: 100 × pillars hit ÷ pillars, − 25 per retired/banned claim, − 15 per conflict.
    pub score: f64,
}

#[derive(Debug, Clone)]
struct Phrase {
    stems: Vec<String>,
    label: String,
}

/// The compiled `[messaging]` section.
pub struct Lexicon {
    analyzer: Analyzer,
    pillars: Vec<(String, Vec<Phrase>)>,
    approved: Vec<Vec<(String, f64, String)>>,
    claims: Vec<(Phrase, &'static str)>,
}

/// A compiled phrase list for quick lookup by first stem.
fn index(phrases: &[Phrase]) -> FxHashMap<&str, Vec<usize>> {
    let mut m: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, p) in phrases.iter().enumerate() {
        if let Some(first) = p.stems.first() {
            m.entry(first.as_str()).or_default().push(i);
        }
    }
    m
}

/// Finds every occurrence of each phrase in the content tokens (stop words and numbers skipped):
/// (phrase, sentence, span).
fn find(phrases: &[Phrase], content: &[&Token], text: &str) -> Vec<(usize, usize, Span)> {
    let idx = index(phrases);
    let mut out = Vec::new();
    for i in 0..content.len() {
        let Some(cands) = idx.get(content[i].stem.as_str()) else {
            continue;
        };
        for &p in cands {
            let stems = &phrases[p].stems;
            if i + stems.len() <= content.len()
                && stems.iter().zip(&content[i..]).all(|(s, t)| *s == t.stem)
            {
                let (first, last) = (content[i], content[i + stems.len() - 1]);
                let span = Span {
                    text: text[first.byte_start..last.byte_end].to_string(),
                    start: first.start,
                    end: last.end,
                };
                out.push((p, first.sentence, span));
            }
        }
    }
    out
}

/// Numbers in the tokens: (kind, value, unit, token index span).
fn numbers(tokens: &[Token], text_chars: &[char]) -> Vec<(String, f64, String, usize, usize)> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(|n| n.word.as_str()).unwrap_or("");
        let word = t.word.as_str();
        let word_value = match word {
            "half" => Some(("percent", 50.0)),
            "double" | "twice" | "doubles" | "doubled" => Some(("multiple", 2.0)),
            "triple" | "triples" | "tripled" => Some(("multiple", 3.0)),
            _ => None,
        };
        if let Some((kind, v)) = word_value {
            out.push((kind.to_string(), v, String::new(), i, i));
            continue;
        }
        if !is_number(word) {
            continue;
        }
        let digits = word.trim_end_matches(['x', '×']).replace(',', "");
        let Ok(v) = digits.parse::<f64>() else {
            continue;
        };
        let after = text_chars.get(t.end).copied();
        let (kind, value, unit, end) =
            if word.ends_with('x') || word.ends_with('×') || next == "times" || next == "x" {
                (
                    "multiple",
                    v,
                    String::new(),
                    if next == "times" || next == "x" {
                        i + 1
                    } else {
                        i
                    },
                )
            } else if after == Some('%')
                || next == "percent"
                || next == "pct"
                || (next == "per" && tokens.get(i + 2).is_some_and(|n| n.word == "cent"))
            {
                (
                    "percent",
                    v,
                    String::new(),
                    if after == Some('%') { i } else { i + 1 },
                )
            } else if matches!(next, "day" | "days") {
                ("duration_days", v, String::new(), i + 1)
            } else if matches!(next, "week" | "weeks") {
                ("duration_days", v * 7.0, String::new(), i + 1)
            } else if matches!(next, "month" | "months") {
                ("duration_days", v * 30.0, String::new(), i + 1)
            } else {
                // A count: the unit is the last content word among the next three
                // ("200 native integrations" → integr).
                let unit = tokens[i + 1..(i + 4).min(tokens.len())]
                    .iter()
                    .rev()
                    .find(|n| !n.stop && !is_number(&n.word))
                    .map(|n| n.stem.clone())
                    .unwrap_or_default();
                ("count", v, unit, i)
            };
        out.push((kind.to_string(), value, unit, i, end));
    }
    out
}

impl Lexicon {
    /// Compiles `[messaging]`; `None` when the language is not supported.
    pub fn new(ws: &Workspace) -> Option<Lexicon> {
        Self::from_config(&ws.framework.config.messaging)
    }

    /// Compiles a `[messaging]` section.
    pub fn from_config(cfg: &crate::config::Messaging) -> Option<Lexicon> {
        let analyzer = Analyzer::new(&cfg.language)?;
        let phrase = |text: &str| Phrase {
            stems: analyzer.phrase(text),
            label: text.to_string(),
        };
        let pillars = cfg
            .pillars
            .iter()
            .map(|p| {
                let list: Vec<Phrase> = p
                    .phrases
                    .iter()
                    .chain(p.synonyms.iter())
                    .map(|x| phrase(x))
                    .filter(|x| !x.stems.is_empty())
                    .collect();
                (p.name.clone(), list)
            })
            .collect();
        let approved = cfg
            .pillars
            .iter()
            .map(|p| {
                let mut v = Vec::new();
                for text in std::iter::once(&p.description).chain(p.phrases.iter()) {
                    let tokens = analyzer.tokens(text);
                    let chars: Vec<char> = text.chars().collect();
                    for (kind, value, unit, _, _) in numbers(&tokens, &chars) {
                        if !v.contains(&(kind.clone(), value, unit.clone())) {
                            v.push((kind, value, unit));
                        }
                    }
                }
                v
            })
            .collect();
        let claims = cfg
            .retired_claims
            .iter()
            .map(|c| (phrase(c), "retired"))
            .chain(cfg.banned.iter().map(|c| (phrase(c), "banned")))
            .filter(|(p, _)| !p.stems.is_empty())
            .collect();
        Some(Lexicon {
            analyzer,
            pillars,
            approved,
            claims,
        })
    }

    /// The pillar names.
    pub fn pillar_names(&self) -> Vec<String> {
        self.pillars.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The content stems of a text (for similarity).
    pub fn content_stems(&self, text: &str) -> Vec<String> {
        self.analyzer
            .tokens(text)
            .into_iter()
            .filter(|t| !t.stop && !is_number(&t.word))
            .map(|t| t.stem)
            .collect()
    }

    /// Pillars, claims and numbers in one text.
    pub fn analyze(&self, text: &str) -> TextFindings {
        let tokens = self.analyzer.tokens(text);
        let chars: Vec<char> = text.chars().collect();
        let content: Vec<&Token> = tokens
            .iter()
            .filter(|t| !t.stop && !is_number(&t.word))
            .collect();
        let mut pillars = Vec::new();
        // Evidence spans by sentence: sentence → (pillar, start, end).
        let mut evidence: Map<usize, Vec<(usize, usize, usize)>> = Map::new();
        for (k, (name, phrases)) in self.pillars.iter().enumerate() {
            let mut hits = find(phrases, &content, text);
            // Two phrases of a pillar that stem alike ("integration", "integrates") match the same
            // words: one piece of evidence (their hits are adjacent, found at the same word).
            hits.dedup_by(|a, b| a.2.start == b.2.start && a.2.end == b.2.end);
            if hits.is_empty() {
                continue;
            }
            for (_, sentence, span) in &hits {
                evidence
                    .entry(*sentence)
                    .or_default()
                    .push((k, span.start, span.end));
            }
            pillars.push(PillarHit {
                pillar: name.clone(),
                evidence: hits.into_iter().map(|(_, _, s)| s).collect(),
            });
        }
        let claim_phrases: Vec<Phrase> = self.claims.iter().map(|(p, _)| p.clone()).collect();
        let claims = find(&claim_phrases, &content, text)
            .into_iter()
            .map(|(i, _, span)| ClaimHit {
                claim: self.claims[i].0.label.clone(),
                kind: self.claims[i].1,
                span,
            })
            .collect();
        let mut claims_out: Vec<ClaimHit> = claims;
        crate::order::sort_by_key(&mut claims_out, |c| c.span.start);
        let mut nums = Vec::new();
        for (kind, value, unit, a, b) in numbers(&tokens, &chars) {
            let sentence = tokens[a].sentence;
            // A number belongs to the nearest pillar evidence in its sentence.
            let (na, nb) = (tokens[a].start, tokens[b].end);
            let nearest = evidence
                .get(&sentence)
                .and_then(|list| {
                    list.iter().min_by_key(|e| {
                        if e.2 <= na {
                            na - e.2
                        } else {
                            e.1.saturating_sub(nb)
                        }
                    })
                })
                .map(|e| e.0);
            if let Some(k) = nearest {
                let name = &self.pillars[k].0;
                let same_kind: Vec<&(String, f64, String)> = self.approved[k]
                    .iter()
                    .filter(|(ak, _, au)| *ak == kind && (kind != "count" || *au == unit))
                    .collect();
                let approved = (!same_kind.is_empty())
                    .then(|| same_kind.iter().any(|(_, v, _)| (*v - value).abs() < 1e-9));
                let end = tokens[b].end + usize::from(chars.get(tokens[b].end) == Some(&'%'));
                nums.push(NumberClaim {
                    pillar: name.clone(),
                    kind: kind.clone(),
                    value,
                    unit: unit.clone(),
                    approved,
                    span: Span {
                        text: text[tokens[a].byte_start
                            ..tokens[b].byte_end + usize::from(end > tokens[b].end)]
                            .to_string(),
                        start: tokens[a].start,
                        end,
                    },
                });
            }
        }
        TextFindings {
            pillars,
            claims: claims_out,
            numbers: nums,
        }
    }

    /// Checks a draft message.
    pub fn check(&self, text: &str, audience: &str) -> MessageCheck {
        let f = self.analyze(text);
        let hit: Set<&str> = f.pillars.iter().map(|p| p.pillar.as_str()).collect_set();
        let pillars_missed: Vec<String> = self
            .pillars
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !hit.contains(n.as_str()))
            .collect();
        let conflicts: Vec<NumberClaim> = f
            .numbers
            .iter()
            .filter(|n| n.approved == Some(false))
            .cloned()
            .collect();
        let total = self.pillars.len().max(1) as f64;
        let score = (100.0 * hit.len() as f64 / total
            - 25.0 * f.claims.len() as f64
            - 15.0 * conflicts.len() as f64)
            .clamp(0.0, 100.0);
        MessageCheck {
            audience: audience.into(),
            pillars_hit: f.pillars,
            pillars_missed,
            claims: f.claims,
            conflicts,
            score: round6(score),
        }
    }
}

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
            let approved: Vec<f64> = lex.approved[k]
                .iter()
                .filter(|(ak, _, au)| *ak == kind && (kind != "count" || *au == unit))
                .map(|(_, v, _)| *v)
                .collect();
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
