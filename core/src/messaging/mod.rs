//! Messaging consistency: which pillars each asset and talk track covers (with evidence spans),
//! retired and banned claims still in use, numbers that conflict with the approved ones, how
//! similarly marketing and sales talk about each pillar, and a live check of a draft.

mod audit;
mod findings;
pub mod markup;
mod matching;
mod numbers;

pub use audit::{
    Conflict, FoundNumber, ItemFindings, MessagingReport, PillarConsistency, messaging_report,
};
pub use findings::{MessageFinding, MessageRule};
pub use matching::SLOP;

use serde::Serialize;

use crate::config::{FindingSeverities, Severity};
use crate::model::Workspace;
use crate::order::{CollectOrdered, Set};
use crate::stats::round6;
use crate::text::{Analyzer, is_number};
use matching::{PhraseSet, phrase};
use numbers::NumberKind;

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
    /// What `baton check` reports for this text, each with its rule and severity (rules set to
    /// `off` left out): whole-text findings first, then in text order.
    pub findings: Vec<MessageFinding>,
}

/// Whether a claim is retired or banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaimKind {
    Retired,
    Banned,
}

impl ClaimKind {
    fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Retired => "retired",
            ClaimKind::Banned => "banned",
        }
    }
}

/// A number a pillar approves: kind, value, unit (counts), and how the configuration writes it.
type Approved = (NumberKind, f64, String, String);

/// The compiled `[messaging]` section.
pub struct Lexicon {
    analyzer: Analyzer,
    names: Vec<String>,
    /// Per pillar, the audiences (lower-cased) it is required for.
    audiences: Vec<Vec<String>>,
    /// Every pillar's phrases, synonyms, name and description terms (owner: the pillar).
    pillars: PhraseSet,
    approved: Vec<Vec<Approved>>,
    /// Retired and banned phrases (owner: index into `claim_kinds`).
    claims: PhraseSet,
    claim_kinds: Vec<ClaimKind>,
    severity: FindingSeverities,
}

/// One piece of a pillar's evidence in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Evidence {
    byte_start: usize,
    byte_end: usize,
    start: usize,
    end: usize,
    /// First and last token.
    first: usize,
    last: usize,
    /// First and last clause.
    first_clause: usize,
    last_clause: usize,
    /// Whose evidence: the pillar's index.
    pillar: usize,
}

impl Lexicon {
    /// Compiles `[messaging]`; `None` when the language is not supported.
    pub fn new(ws: &Workspace) -> Option<Lexicon> {
        Self::from_config(&ws.framework.config.messaging)
    }

    /// Compiles a `[messaging]` section.
    pub fn from_config(cfg: &crate::config::Messaging) -> Option<Lexicon> {
        let analyzer = Analyzer::new(&cfg.language)?;
        let mut phrases = Vec::new();
        for (k, p) in cfg.pillars.iter().enumerate() {
            let terms = matching::description_terms(&analyzer, &p.description);
            for text in p
                .phrases
                .iter()
                .chain(&p.synonyms)
                .map(String::as_str)
                .chain([p.name.as_str()])
                .chain(terms)
            {
                phrases.push(phrase(&analyzer, text, k));
            }
        }
        let approved =
            cfg.pillars
                .iter()
                .map(|p| {
                    let mut v: Vec<Approved> = Vec::new();
                    for text in std::iter::once(&p.description).chain(p.phrases.iter()) {
                        let tokens = analyzer.tokens(text);
                        for n in numbers::numbers(&tokens, text) {
                            let (a, b) = (&tokens[n.first], &tokens[n.last]);
                            let sign = text[b.byte_end..].chars().next().filter(|c| *c == '%');
                            let written = text
                                [a.byte_start..b.byte_end + sign.map_or(0, char::len_utf8)]
                                .to_string();
                            if !v.iter().any(|x: &Approved| {
                                x.0 == n.kind && x.1 == n.value && x.2 == n.unit
                            }) {
                                v.push((n.kind, n.value, n.unit, written));
                            }
                        }
                    }
                    v
                })
                .collect();
        let claim_kinds: Vec<ClaimKind> = cfg
            .retired_claims
            .iter()
            .map(|_| ClaimKind::Retired)
            .chain(cfg.banned.iter().map(|_| ClaimKind::Banned))
            .collect();
        let claims = cfg
            .retired_claims
            .iter()
            .chain(&cfg.banned)
            .enumerate()
            .map(|(i, c)| phrase(&analyzer, c, i))
            .collect();
        Some(Lexicon {
            analyzer,
            names: cfg.pillars.iter().map(|p| p.name.clone()).collect(),
            audiences: cfg
                .pillars
                .iter()
                .map(|p| {
                    p.audiences
                        .iter()
                        .map(|a| a.trim().to_lowercase())
                        .collect()
                })
                .collect(),
            pillars: PhraseSet::new(phrases),
            approved,
            claims: PhraseSet::new(claims),
            claim_kinds,
            severity: cfg.severity,
        })
    }

    /// The pillar names.
    pub fn pillar_names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// True when some pillar is required for `audience` (ignoring case and surrounding space).
    pub fn knows_audience(&self, audience: &str) -> bool {
        let a = audience.trim().to_lowercase();
        self.audiences.iter().any(|list| list.contains(&a))
    }

    /// Every audience some pillar is required for, in pillar order, once each.
    pub fn audiences(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for a in self.audiences.iter().flatten() {
            if !out.contains(&a.as_str()) {
                out.push(a);
            }
        }
        out
    }

    /// The content stems of a text (for similarity): Snowball's stems, as docs/messaging.md
    /// defines the similarity.
    pub fn content_stems(&self, text: &str) -> Vec<String> {
        self.analyzer
            .snowball_tokens(text)
            .into_iter()
            .filter(|t| !t.stop && !is_number(&t.word))
            .map(|t| t.stem)
            .collect()
    }

    /// The approved values of pillar `k` for a kind of number (and, for counts, a unit).
    pub fn approved_values(&self, k: usize, kind: &str, unit: &str) -> Vec<f64> {
        self.approved_of(k, kind, unit).map(|a| a.1).collect()
    }

    /// The approved numbers of pillar `k` of a kind (and, for counts, a unit), as written in
    /// the configuration.
    pub fn approved_written(&self, k: usize, kind: &str, unit: &str) -> Vec<String> {
        self.approved_of(k, kind, unit)
            .map(|a| a.3.clone())
            .collect()
    }

    fn approved_of<'a>(
        &'a self,
        k: usize,
        kind: &'a str,
        unit: &'a str,
    ) -> impl Iterator<Item = &'a Approved> + 'a {
        self.approved[k]
            .iter()
            .filter(move |a| a.0.as_str() == kind && (kind != "count" || a.2 == unit))
    }

    /// Pillars, claims and numbers in one text.
    pub fn analyze(&self, text: &str) -> TextFindings {
        let tokens = self.analyzer.tokens(text);
        let content_at: Vec<usize> = (0..tokens.len())
            .filter(|&i| !tokens[i].stop && !is_number(&tokens[i].word))
            .collect();
        let content: Vec<&crate::text::Token> = content_at.iter().map(|&i| &tokens[i]).collect();
        let found: Vec<Evidence> = self
            .pillars
            .find(&content)
            .into_iter()
            .map(|m| {
                let (a, b) = (content[m.first], content[m.last]);
                Evidence {
                    byte_start: a.byte_start,
                    byte_end: b.byte_end,
                    start: a.start,
                    end: b.end,
                    first: content_at[m.first],
                    last: content_at[m.last],
                    first_clause: a.clause,
                    last_clause: b.clause,
                    pillar: self.pillars.phrases[m.phrase].owner,
                }
            })
            .collect();
        let evidence = merge_evidence(found, self.names.len());
        let pillars = (0..self.names.len())
            .filter_map(|k| {
                let spans: Vec<Span> = evidence
                    .iter()
                    .filter(|e| e.pillar == k)
                    .map(|x| span(text, x.byte_start, x.byte_end, x.start, x.end))
                    .collect();
                (!spans.is_empty()).then(|| PillarHit {
                    pillar: self.names[k].clone(),
                    evidence: spans,
                })
            })
            .collect();
        let mut claims: Vec<ClaimHit> = self
            .claims
            .find(&content)
            .into_iter()
            .map(|m| {
                let p = &self.claims.phrases[m.phrase];
                ClaimHit {
                    claim: p.label.clone(),
                    kind: self.claim_kinds[p.owner].as_str(),
                    span: matching::span_of(&content, m.first, m.last, text),
                }
            })
            .collect();
        crate::order::sort_by_key(&mut claims, |c| c.span.start);
        let place = Place {
            tokens: &tokens,
            text,
            evidence: &evidence,
        };
        let numbers = numbers::numbers(&tokens, text)
            .into_iter()
            .filter_map(|n| self.number_claim(&place, n))
            .collect();
        TextFindings {
            pillars,
            claims,
            numbers,
        }
    }

    /// A number attributed to the pillar whose evidence shares its clause: the closest such
    /// evidence (see [`gap_cost`]; ties: the evidence before the number, then the first pillar);
    /// `None` when no pillar's evidence is in its clause.
    fn number_claim(&self, place: &Place<'_>, n: numbers::Stated) -> Option<NumberClaim> {
        let (tokens, text) = (place.tokens, place.text);
        let (first, last) = (&tokens[n.first], &tokens[n.last]);
        let clause = first.clause;
        let list = place.evidence;
        // Evidence is sorted by start and one pillar's pieces never overlap: the candidates are
        // the pieces in the number's clause around it, and each pillar's nearest one either side.
        let at = list.partition_point(|e| e.start < last.end);
        let in_clause = |e: &&Evidence| e.first_clause <= clause && clause <= e.last_clause;
        let mut near: Vec<&Evidence> = Vec::new();
        for item in list[..at].iter().rev().take(NEAR).filter(in_clause) {
            let before = item.end <= first.start;
            let known = near
                .iter()
                .any(|c| c.pillar == item.pillar && c.end <= first.start);
            if !before || !known {
                near.push(item);
            }
        }
        for item in list[at..].iter().take(NEAR).filter(in_clause) {
            if !near
                .iter()
                .any(|c| c.pillar == item.pillar && c.start >= last.end)
            {
                near.push(item);
            }
        }
        let k = near
            .iter()
            .min_by_key(|e| {
                let after = e.start >= last.end;
                let cost = if e.end <= first.start {
                    gap_cost(
                        tokens,
                        e.last + 1,
                        n.first,
                        &text[e.byte_end..first.byte_start],
                    )
                } else if after {
                    gap_cost(
                        tokens,
                        n.last + 1,
                        e.first,
                        &text[last.byte_end..e.byte_start],
                    )
                } else {
                    0
                };
                (cost, after, e.pillar)
            })?
            .pillar;
        let kind = n.kind.as_str();
        let same_kind = self.approved_values(k, kind, &n.unit);
        let approved =
            (!same_kind.is_empty()).then(|| same_kind.iter().any(|v| (*v - n.value).abs() < 1e-9));
        // A `%` or `×` written right after the digits belongs to the number.
        let sign = text[last.byte_end..]
            .chars()
            .next()
            .filter(|c| *c == '%' || *c == '×');
        let byte_end = last.byte_end + sign.map_or(0, char::len_utf8);
        Some(NumberClaim {
            pillar: self.names[k].clone(),
            kind: kind.to_string(),
            value: n.value,
            unit: n.unit,
            approved,
            span: span(
                text,
                first.byte_start,
                byte_end,
                first.start,
                last.end + usize::from(sign.is_some()),
            ),
        })
    }

    /// Checks a draft message.
    pub fn check(&self, text: &str, audience: &str) -> MessageCheck {
        let f = self.analyze(text);
        let hit: Set<&str> = f.pillars.iter().map(|p| p.pillar.as_str()).collect_set();
        let pillars_missed: Vec<String> = self
            .names
            .iter()
            .filter(|n| !hit.contains(n.as_str()))
            .cloned()
            .collect();
        let conflicts: Vec<NumberClaim> = f
            .numbers
            .iter()
            .filter(|n| n.approved == Some(false))
            .cloned()
            .collect();
        let total = self.names.len().max(1) as f64;
        let score = (100.0 * hit.len() as f64 / total
            - 25.0 * f.claims.len() as f64
            - 15.0 * conflicts.len() as f64)
            .clamp(0.0, 100.0);
        let findings = self.findings(&f, &conflicts, &pillars_missed, audience);
        MessageCheck {
            audience: audience.into(),
            pillars_hit: f.pillars,
            pillars_missed,
            claims: f.claims,
            conflicts,
            score: round6(score),
            findings,
        }
    }

    /// The severity of a rule, from `[messaging.severity]`.
    pub fn severity(&self, rule: MessageRule) -> Severity {
        let s = &self.severity;
        match rule {
            MessageRule::RetiredClaim => s.retired_claim,
            MessageRule::BannedClaim => s.banned_claim,
            MessageRule::NumberConflict => s.number_conflict,
            MessageRule::OffMessage => s.off_message,
            MessageRule::PillarMissed => s.pillar_missed,
        }
    }
}

/// All pillars' evidence in text order, each pillar's overlapping pieces merged (keeping the
/// clauses they cover).
fn merge_evidence(mut list: Vec<Evidence>, pillars: usize) -> Vec<Evidence> {
    crate::order::sort_unstable(&mut list);
    let mut last: Vec<Option<usize>> = vec![None; pillars];
    let mut out: Vec<Evidence> = Vec::with_capacity(list.len());
    for e in list {
        match last[e.pillar] {
            Some(i) if e.byte_start < out[i].byte_end => {
                let m = &mut out[i];
                if e.byte_end > m.byte_end {
                    (m.byte_end, m.end, m.last) = (e.byte_end, e.end, e.last);
                }
                m.first_clause = m.first_clause.min(e.first_clause);
                m.last_clause = m.last_clause.max(e.last_clause);
            }
            _ => {
                last[e.pillar] = Some(out.len());
                out.push(e);
            }
        }
    }
    out
}

/// What a number's attribution looks at: the tokens, the text, and every pillar's evidence in
/// text order.
struct Place<'a> {
    tokens: &'a [crate::text::Token],
    text: &'a str,
    evidence: &'a [Evidence],
}

/// How many pieces of evidence each side of a number its attribution looks at.
const NEAR: usize = 32;

/// Past this many words, a gap costs the same ("far").
const FAR_WORDS: usize = 200;

/// The cost of the words between a number and a piece of evidence (tokens `from..to`, and the
/// text between): a determiner (`a`, `the`, `our`, ...) 0, another function word 1, a content
/// word or number 2, `and`/`or` 4, a comma 4. So "a 3x ROI" binds the number to ROI, "cut
/// onboarding by 40%" to onboarding, and "SSO and the 3x ROI" to ROI.
fn gap_cost(tokens: &[crate::text::Token], from: usize, to: usize, between: &str) -> usize {
    if to.saturating_sub(from) > FAR_WORDS {
        return usize::MAX / 2;
    }
    let words: usize = tokens[from..to]
        .iter()
        .map(|t| match t.word.as_str() {
            "a" | "an" | "the" | "our" | "your" | "their" | "its" | "my" | "his" | "her" => 0,
            "and" | "or" => 4,
            _ if t.stop => 1,
            _ => 2,
        })
        .sum();
    words + 4 * between.matches(',').count()
}

fn span(text: &str, byte_start: usize, byte_end: usize, start: usize, end: usize) -> Span {
    Span {
        text: text[byte_start..byte_end].to_string(),
        start,
        end,
    }
}
