//! Rule scoring: fit points once per lead, engagement points per matching event with time decay
//! and a cap, every point explained; grades and the A1–D3 priority matrix.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::conditions::{
    Compiler, FactSchema, Facts, LeadFacts, Pred, RuleError, Scope, Subject, Truth,
};
use crate::config::RuleKind;
use crate::model::{Event, LeadIx, Team, Workspace};
use crate::program::ScoringProgram;
use crate::stats::round6;
use crate::symbols::Sym;
use crate::time::{Instant, MICROS_PER_DAY};

/// How many triggering events an explanation lists per rule (the largest contributions).
pub const EVENTS_SHOWN: usize = 5;

/// A scoring rule ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Rule name.
    pub name: String,
    /// Fit or engagement.
    pub kind: RuleKind,
    /// Points per match.
    pub points: f64,
    /// Decay half-life in days (engagement).
    pub half_life_days: Option<f64>,
    /// Cap on the rule's total (engagement).
    pub max_points: Option<f64>,
    /// The condition.
    pub pred: Pred,
}

/// The compiled `[scoring]` section.
#[derive(Debug, Clone)]
pub struct ScoringModel {
    /// Rules in configuration order.
    pub rules: Vec<CompiledRule>,
    /// MQL threshold.
    pub mql_threshold: f64,
    /// Score cap.
    pub max_score: Option<f64>,
    /// Score floor.
    pub min_score: Option<f64>,
    /// Largest fit total possible (sum of positive fit points).
    pub fit_max: f64,
    /// Scale of engagement tiers: sum of positive engagement caps (or the MQL threshold when uncapped).
    pub engagement_scale: f64,
    /// Indices of the engagement rules.
    pub engagement_rules: Vec<usize>,
    /// Engagement rules whose condition depends on more than the event's own fields.
    pub general_rules: Vec<usize>,
    /// Engagement rules (among the first 64) that look at the event's own fields only.
    pub field_only_rules: Vec<usize>,
    /// For every (type, channel, team, campaign, asset) in the workspace: the bit mask of the other
    /// engagement rules that match it, computed once.
    pub signature_rules: FxHashMap<Signature, u64>,
}

/// The fields of an event that field-only conditions look at.
pub type Signature = (Sym, Sym, Option<Team>, Option<Sym>, Option<Sym>);

fn signature(e: &Event) -> Signature {
    (e.kind, e.channel, e.team, e.campaign, e.asset)
}

impl ScoringModel {
    /// Compiles `[scoring]` against the workspace's facts; errors name the rule and the field.
    pub fn compile(ws: &Workspace) -> Result<ScoringModel, RuleError> {
        let program = ScoringProgram::compile(&ws.framework.config.scoring)?;
        let mut model = ScoringModel::bind(&program, ws)?;
        if !model.field_only_rules.is_empty() {
            let mut signatures = FxHashMap::default();
            for e in &ws.events {
                signatures
                    .entry(signature(e))
                    .or_insert_with(|| model.field_mask(&LeadFacts { ws, lead: e.lead }, e));
            }
            model.signature_rules = signatures;
        }
        Ok(model)
    }

    /// Binds a compiled scoring program to `schema`'s facts (a workspace, or a page's visitor).
    pub fn bind<S: FactSchema>(
        program: &ScoringProgram,
        schema: &S,
    ) -> Result<ScoringModel, RuleError> {
        let compiler = Compiler::new(schema);
        let mut rules = Vec::new();
        for r in &program.rules {
            let scope = match r.kind {
                RuleKind::Fit => Scope::Lead,
                RuleKind::Engagement => Scope::LeadAndEvent,
            };
            let pred = compiler.bind(&r.name, &r.when, scope)?;
            rules.push(CompiledRule {
                name: r.name.clone(),
                kind: r.kind,
                points: r.points,
                half_life_days: r.half_life_days,
                max_points: r.max_points,
                pred,
            });
        }
        let fit_max: f64 = rules
            .iter()
            .filter(|r| r.kind == RuleKind::Fit && r.points > 0.0)
            .map(|r| r.points)
            .sum();
        let engagement: Vec<&CompiledRule> = rules
            .iter()
            .filter(|r| r.kind == RuleKind::Engagement && r.points > 0.0)
            .collect();
        let engagement_scale =
            if !engagement.is_empty() && engagement.iter().all(|r| r.max_points.is_some()) {
                engagement.iter().filter_map(|r| r.max_points).sum()
            } else {
                program.mql_threshold
            };
        let engagement_rules: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == RuleKind::Engagement)
            .map(|(i, _)| i)
            .collect();
        // Rules beyond 64 (or depending on more than the event's fields) are evaluated per event.
        let (field_only, general_rules): (Vec<usize>, Vec<usize>) = engagement_rules
            .iter()
            .partition(|&&i| i < 64 && !rules[i].pred.depends_on_more_than_event_fields());
        Ok(ScoringModel {
            general_rules,
            field_only_rules: field_only,
            signature_rules: FxHashMap::default(),
            engagement_rules,
            rules,
            mql_threshold: program.mql_threshold,
            max_score: program.max_score,
            min_score: program.min_score,
            fit_max,
            engagement_scale,
        })
    }

    /// The bit mask of the engagement rules that match `e` on its own fields alone (they read
    /// no attribute: `facts` are any lead's, the caller's own kind, so no second evaluator is built).
    pub fn field_mask<F: Facts>(&self, facts: &F, e: &Event) -> u64 {
        self.field_only_rules
            .iter()
            .filter(|&&i| self.rules[i].pred.eval_on(facts, Some(e), e.ts) == Truth::True)
            .fold(0u64, |m, &i| m | (1 << i))
    }
}

impl ScoringModel {
    /// The fit grade: A ≥ 75%, B ≥ 50%, C ≥ 25% of the largest possible fit, else D; none without fit rules.
    pub fn grade(&self, fit: f64) -> Option<char> {
        (self.fit_max > 0.0).then(|| {
            let share = fit / self.fit_max;
            if share >= 0.75 {
                'A'
            } else if share >= 0.5 {
                'B'
            } else if share >= 0.25 {
                'C'
            } else {
                'D'
            }
        })
    }

    /// The engagement tier: 1 at two thirds of the engagement scale, 2 at one third, else 3.
    pub fn tier(&self, engagement: f64) -> u8 {
        if self.engagement_scale > 0.0 && engagement >= self.engagement_scale * 2.0 / 3.0 {
            1
        } else if self.engagement_scale > 0.0 && engagement >= self.engagement_scale / 3.0 {
            2
        } else {
            3
        }
    }

    /// Grade and tier, e.g. `A1`.
    pub fn priority(&self, fit: f64, engagement: f64) -> Option<String> {
        self.grade(fit)
            .map(|g| format!("{g}{}", self.tier(engagement)))
    }
}

/// One lead's score with its explanation.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LeadScore {
    /// Lead id.
    pub lead_id: String,
    /// Total score (fit + engagement, then capped/floored).
    pub score: f64,
    /// Fit points.
    pub fit: f64,
    /// Engagement points.
    pub engagement: f64,
    /// A–D on fit (share of the largest possible fit: ≥75% A, ≥50% B, ≥25% C, else D); none without fit rules.
    pub grade: Option<char>,
    /// Grade and engagement tier (1 high, 2 medium, 3 low), e.g. `A1`.
    pub priority: Option<String>,
    /// Score ≥ the MQL threshold.
    pub mql: bool,
    /// Every rule that gave points, largest first.
    pub reasons: Vec<RuleHit>,
    /// Fit rules that could not be decided for lack of data.
    pub undecided: Vec<Undecided>,
}

/// A rule that fired.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleHit {
    /// Rule name.
    pub rule: String,
    /// `fit` or `engagement`.
    pub kind: RuleKind,
    /// Points given (after decay and cap).
    pub points: f64,
    /// Points before the cap.
    pub uncapped_points: f64,
    /// True when `max_points` cut it.
    pub capped: bool,
    /// Matching events.
    pub event_count: usize,
    /// The matching events that gave the most points.
    pub events: Vec<EventHit>,
}

/// One event's contribution to an engagement rule.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventHit {
    /// When.
    pub ts: Instant,
    /// Event type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Channel.
    pub channel: String,
    /// Age in days at `as_of`.
    pub age_days: f64,
    /// Points after decay.
    pub points: f64,
}

/// A fit rule that could not be decided.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Undecided {
    /// Rule name.
    pub rule: String,
    /// The attribute the lead does not have.
    pub missing: String,
}

/// A lead's score without its explanation: the fast path for batch work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuickScore {
    /// Total score (capped/floored).
    pub score: f64,
    /// Fit points.
    pub fit: f64,
    /// Engagement points.
    pub engagement: f64,
    /// Bit `i` set when rule `i` gave points (rules beyond 64 are not tracked).
    pub fired: u64,
    /// The score before rounding is ≥ the MQL threshold (as [`LeadScore::mql`]).
    pub mql: bool,
}

/// Scores one lead without allocating; same numbers as [`score_lead`].
pub fn score_quick(
    model: &ScoringModel,
    ws: &Workspace,
    lead: LeadIx,
    as_of: Instant,
) -> QuickScore {
    let all = ws.events_of(lead);
    let events = &all[..all.partition_point(|e| e.ts <= as_of)];
    let masks = |_: usize, e: &Event| {
        model
            .signature_rules
            .get(&signature(e))
            .copied()
            .unwrap_or(0)
    };
    score_facts(model, &LeadFacts { ws, lead }, events, as_of, masks, None)
}

/// Scores any lead's facts and its `events` (in time order, none after `as_of`): the one
/// scorer of the batch, live and widget paths. `field_masks(i, event)` gives the field-only
/// rules event `i` matches ([`ScoringModel::field_mask`], looked up or remembered); `per_rule`,
/// when given, receives each rule's points after its cap (NaN for a rule that gave none).
pub fn score_facts<F: Facts>(
    model: &ScoringModel,
    facts: &F,
    events: &[Event],
    as_of: Instant,
    field_masks: impl Fn(usize, &Event) -> u64,
    mut per_rule: Option<&mut [f64]>,
) -> QuickScore {
    let (mut fit, mut engagement, mut fired) = (0.0, 0.0, 0u64);
    // Engagement totals per rule; one pass over the events, each event's age computed once.
    const MAX: usize = 64;
    let mut totals = [0.0f64; MAX];
    let mut matched = [false; MAX];
    if model.rules.len() <= MAX {
        for (k, e) in events.iter().enumerate() {
            let age = (as_of.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64;
            let mut hits = field_masks(k, e);
            for &i in &model.general_rules {
                if model.rules[i].pred.eval_on(facts, Some(e), as_of) == Truth::True {
                    hits |= 1 << i;
                }
            }
            while hits != 0 {
                let i = hits.trailing_zeros() as usize;
                hits &= hits - 1;
                let rule = &model.rules[i];
                matched[i] = true;
                totals[i] += match rule.half_life_days {
                    Some(h) => rule.points * (-age / h).exp2(),
                    None => rule.points,
                };
            }
        }
    }
    for (i, rule) in model.rules.iter().enumerate() {
        let bit = if i < 64 { 1u64 << i } else { 0 };
        let given = match rule.kind {
            RuleKind::Fit => {
                (rule.pred.eval_on(facts, None, as_of) == Truth::True).then_some(rule.points)
            }
            RuleKind::Engagement => {
                let (total, any) = if model.rules.len() <= MAX {
                    (totals[i], matched[i])
                } else {
                    let mut total = 0.0;
                    let mut any = false;
                    for e in events {
                        if rule.pred.eval_on(facts, Some(e), as_of) == Truth::True {
                            any = true;
                            let age = (as_of.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64;
                            total += rule
                                .half_life_days
                                .map_or(rule.points, |h| rule.points * (-age / h).exp2());
                        }
                    }
                    (total, any)
                };
                any.then(|| rule.max_points.map_or(total, |m| total.min(m)))
            }
        };
        if let Some(points) = given {
            match rule.kind {
                RuleKind::Fit => fit += points,
                RuleKind::Engagement => engagement += points,
            }
            fired |= bit;
        }
        if let Some(out) = per_rule.as_deref_mut() {
            // As `score_lead` explains it: a fit rule's points as written, engagement rounded.
            out[i] = match rule.kind {
                RuleKind::Fit => given.unwrap_or(f64::NAN),
                RuleKind::Engagement => given.map_or(f64::NAN, round6),
            };
        }
    }
    let mut score = fit + engagement;
    if let Some(m) = model.max_score {
        score = score.min(m);
    }
    if let Some(m) = model.min_score {
        score = score.max(m);
    }
    QuickScore {
        score: round6(score),
        fit: round6(fit),
        engagement: round6(engagement),
        fired,
        mql: score >= model.mql_threshold,
    }
}

/// Scores one lead as of `as_of` (events after `as_of` do not count), with its explanation.
pub fn score_lead(model: &ScoringModel, ws: &Workspace, lead: LeadIx, as_of: Instant) -> LeadScore {
    let all = ws.events_of(lead);
    let events = &all[..all.partition_point(|e| e.ts <= as_of)];
    let mut reasons = Vec::new();
    let mut undecided = Vec::new();
    let (mut fit, mut engagement) = (0.0, 0.0);
    let lead_subject = Subject {
        ws,
        lead,
        event: None,
        as_of,
    };
    for rule in &model.rules {
        match rule.kind {
            RuleKind::Fit => match rule.pred.eval(&lead_subject) {
                Truth::True => {
                    fit += rule.points;
                    reasons.push(RuleHit {
                        rule: rule.name.clone(),
                        kind: rule.kind,
                        points: rule.points,
                        uncapped_points: rule.points,
                        capped: false,
                        event_count: 0,
                        events: Vec::new(),
                    });
                }
                Truth::Unknown(col) => undecided.push(Undecided {
                    rule: rule.name.clone(),
                    missing: ws.attributes[col].name.clone(),
                }),
                Truth::False => {}
            },
            RuleKind::Engagement => {
                let mut total = 0.0;
                let mut hits: Vec<(f64, usize)> = Vec::new();
                for (i, e) in events.iter().enumerate() {
                    let s = Subject {
                        ws,
                        lead,
                        event: Some(e),
                        as_of,
                    };
                    if rule.pred.eval(&s) != Truth::True {
                        continue;
                    }
                    let age = (as_of.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64;
                    let p = match rule.half_life_days {
                        Some(h) => rule.points * (-age / h).exp2(),
                        None => rule.points,
                    };
                    total += p;
                    hits.push((p, i));
                }
                if hits.is_empty() {
                    continue;
                }
                let given = rule.max_points.map_or(total, |m| total.min(m));
                engagement += given;
                crate::order::sort_by(&mut hits, |a, b| {
                    b.0.abs().total_cmp(&a.0.abs()).then(a.1.cmp(&b.1))
                });
                let shown = hits
                    .iter()
                    .take(EVENTS_SHOWN)
                    .map(|&(p, i)| {
                        let e = &events[i];
                        EventHit {
                            ts: e.ts,
                            kind: ws.text(e.kind).into(),
                            channel: ws.text(e.channel).into(),
                            age_days: round6((as_of.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64),
                            points: round6(p),
                        }
                    })
                    .collect();
                reasons.push(RuleHit {
                    rule: rule.name.clone(),
                    kind: rule.kind,
                    points: round6(given),
                    uncapped_points: round6(total),
                    capped: given != total,
                    event_count: hits.len(),
                    events: shown,
                });
            }
        }
    }
    let mut score = fit + engagement;
    if let Some(m) = model.max_score {
        score = score.min(m);
    }
    if let Some(m) = model.min_score {
        score = score.max(m);
    }
    let grade = model.grade(fit);
    crate::order::sort_by(&mut reasons, |a, b| {
        b.points
            .abs()
            .total_cmp(&a.points.abs())
            .then_with(|| a.rule.cmp(&b.rule))
    });
    LeadScore {
        lead_id: ws.text(ws.leads[lead as usize].id).into(),
        score: round6(score),
        fit: round6(fit),
        engagement: round6(engagement),
        grade,
        priority: model.priority(fit, engagement),
        mql: score >= model.mql_threshold,
        reasons,
        undecided,
    }
}

impl LeadScore {
    /// The top reasons as one line: `Enterprise +20; Engaged by email +12.3`.
    pub fn top_reasons(&self, n: usize) -> String {
        self.reasons
            .iter()
            .take(n)
            .map(|r| format!("{} {:+}", r.rule, (r.points * 10.0).round() / 10.0))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What plugins add to `scored_leads.csv`: the final scores (rule score plus score adjustments)
/// and, per lead, what each score-adjustment plugin did (appended to `top_reasons`).
#[derive(Debug, Clone)]
pub struct PluginColumns<'a> {
    /// Final score per lead.
    pub final_scores: Vec<f64>,
    /// Notes per lead.
    pub notes: &'a [Vec<String>],
}

/// What a rep reads next to the verdicts: plugin reasons, then what to ask, per set.
fn qualification_notes(verdicts: &[crate::qualification::Verdict]) -> String {
    let mut notes = Vec::new();
    for v in verdicts {
        for r in &v.plugin_reasons {
            notes.push(format!("{}: {r}", v.set));
        }
        for m in &v.missing_data {
            match &m.ask {
                Some(ask) => notes.push(format!("{}: {} unknown, ask: {ask}", v.set, m.criterion)),
                None => notes.push(format!(
                    "{}: {} unknown ({})",
                    v.set, m.criterion, m.missing
                )),
            }
        }
    }
    notes.join(" | ")
}

/// `scored_leads.csv`: one row per lead, for re-import into a CRM. `qualified` is the first
/// qualification set's verdict (empty without sets); `qualified_sets` lists every set passed;
/// `probability` comes from a predictive model when one is applied; `plugins`, when given, replace
/// the rule score by the adjusted one and append the adjustments to `top_reasons`; `qualification_notes` carries plugin reasons
/// and what to ask. Explanations are computed row by row, so nothing per lead is held beyond the
/// row being written.
pub fn scored_leads_csv(
    ws: &Workspace,
    model: &ScoringModel,
    as_of: Instant,
    verdicts: &[Vec<crate::qualification::Verdict>],
    routes: &[Option<String>],
    probabilities: Option<&[f64]>,
    plugins: Option<&PluginColumns<'_>>,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "lead_id",
        "score",
        "fit",
        "engagement",
        "grade",
        "priority",
        "mql",
        "qualified",
        "qualified_sets",
        "route_to",
        "probability",
        "top_reasons",
        "qualification_notes",
    ]);
    for i in 0..ws.leads.len() {
        let mut s = score_lead(model, ws, i as LeadIx, as_of);
        let mut top_reasons = s.top_reasons(3);
        if let Some(p) = plugins {
            if let Some(&f) = p.final_scores.get(i) {
                s.score = f;
                s.mql = f >= model.mql_threshold;
            }
            for note in p.notes.get(i).into_iter().flatten() {
                if !top_reasons.is_empty() {
                    top_reasons.push_str("; ");
                }
                top_reasons.push_str(note);
            }
        }
        let v = verdicts.get(i).map_or(&[][..], Vec::as_slice);
        let qualified = v.first().map_or(String::new(), |x| x.qualified.to_string());
        let sets: Vec<&str> = v
            .iter()
            .filter(|x| x.qualified)
            .map(|x| x.set.as_str())
            .collect();
        let probability = probabilities
            .and_then(|p| p.get(i))
            .map_or(String::new(), |p| format!("{}", round6(*p)));
        let text = |t: &str| crate::cells::spreadsheet_text(t).into_owned();
        let _ = w.write_record([
            text(s.lead_id.as_str()),
            format!("{}", s.score),
            format!("{}", s.fit),
            format!("{}", s.engagement),
            text(&s.grade.map(String::from).unwrap_or_default()),
            text(s.priority.as_deref().unwrap_or("")),
            (if s.mql { "true" } else { "false" }).to_string(),
            qualified,
            text(&sets.join(";")),
            text(routes.get(i).and_then(|r| r.as_deref()).unwrap_or("")),
            probability,
            text(&top_reasons),
            text(&qualification_notes(v)),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
