//! The scoring program: `[scoring]` compiled once into a compact, versioned, workspace-free form.
//!
//! `baton.toml`'s rules are compiled here ([`ScoringProgram::compile`]: operators parsed, values
//! typed and checked), then bound to the facts of whoever evaluates them: a workspace
//! ([`crate::scoring::ScoringModel::compile`], the batch and live paths) or a page's visitor
//! ([`Visitor`], the widget). All of them score with [`crate::scoring::score_facts`]. The program
//! travels as bytes ([`Program::to_bytes`]): `baton widget build` writes them, `baton serve`
//! answers them at `GET /v1/widget/program`, and the widget build reads them without any
//! configuration reader.

mod codec;
mod visitor;

pub use codec::{FORMAT_VERSION, ProgramError};
pub use visitor::{AttrInput, Touch, Visitor, VisitorScore};

use crate::conditions::{ColumnType, Cond, EVENT_FIELDS, LiteralKind, Op, RuleError};
use crate::config::{RuleKind, Scoring};

/// What the widget runs: the scoring rules, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// `[scoring]`, compiled.
    pub scoring: ScoringProgram,
}

/// `[scoring]`, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringProgram {
    /// MQL threshold.
    pub mql_threshold: f64,
    /// Score cap.
    pub max_score: Option<f64>,
    /// Score floor.
    pub min_score: Option<f64>,
    /// Rules in configuration order.
    pub rules: Vec<ProgramRule>,
}

/// One scoring rule, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramRule {
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
    pub when: Cond,
}

/// Why a configuration cannot become a widget program: the rule and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rule {rule:?}: {reason}")]
pub struct WidgetRefusal {
    /// The rule (or `[scoring]` for the whole section).
    pub rule: String,
    /// Why the widget cannot run it.
    pub reason: String,
}

impl ScoringProgram {
    /// Compiles `[scoring]`; errors name the rule and the field.
    pub fn compile(scoring: &Scoring) -> Result<ScoringProgram, RuleError> {
        let rules = scoring
            .rules
            .iter()
            .map(|r| {
                Ok(ProgramRule {
                    name: r.name.clone(),
                    kind: r.kind,
                    points: r.points,
                    half_life_days: r.half_life_days,
                    max_points: r.max_points,
                    when: Cond::compile(&r.name, &r.when)?,
                })
            })
            .collect::<Result<_, RuleError>>()?;
        Ok(ScoringProgram {
            mql_threshold: scoring.mql_threshold,
            max_score: scoring.max_score,
            min_score: scoring.min_score,
            rules,
        })
    }

    /// The lead attributes the rules read, each with the type its rules compare it as, in the
    /// order first read. A fact of an engagement rule that names an event field is the event's.
    pub fn attributes(&self) -> Vec<(String, ColumnType)> {
        self.typed_attributes()
            .into_iter()
            .map(|(name, kind, _)| (name, kind))
            .collect()
    }

    /// [`ScoringProgram::attributes`], with the rule that first gave each its type.
    fn typed_attributes(&self) -> Vec<(String, ColumnType, &str)> {
        let mut out: Vec<(String, ColumnType, &str)> = Vec::new();
        for rule in &self.rules {
            for (fact, op, value) in rule.when.facts() {
                if rule.kind == RuleKind::Engagement && EVENT_FIELDS.contains(&fact) {
                    continue;
                }
                let kind = literal_type(op, value);
                match out.iter_mut().find(|(name, _, _)| name == fact) {
                    Some(seen) if seen.1 == ColumnType::Empty => {
                        seen.1 = kind;
                        seen.2 = &rule.name;
                    }
                    Some(_) => {}
                    None => out.push((fact.to_string(), kind, &rule.name)),
                }
            }
        }
        out
    }

    /// Checks that a page's widget runs these rules as the engine does: no `matches` condition
    /// (the widget build has no regular-expression engine) and each attribute compared as one
    /// type (a visitor's value has one). A refusal names the rule and says why.
    pub fn check_for_widget(&self) -> Result<(), WidgetRefusal> {
        let types = self.typed_attributes();
        for rule in &self.rules {
            for (fact, op, value) in rule.when.facts() {
                if op == Op::Matches {
                    return Err(WidgetRefusal {
                        rule: rule.name.clone(),
                        reason: format!(
                            "`{fact}` uses `matches`: the widget build has no regular-expression engine (write it with eq, in, contains, starts_with or ends_with)"
                        ),
                    });
                }
                if rule.kind == RuleKind::Engagement && EVENT_FIELDS.contains(&fact) {
                    continue;
                }
                let kind = literal_type(op, value);
                if let Some((_, first, by)) = types.iter().find(|(name, _, _)| name == fact)
                    && kind != ColumnType::Empty
                    && *first != kind
                {
                    return Err(WidgetRefusal {
                        rule: rule.name.clone(),
                        reason: format!(
                            "compares `{fact}` as {} but rule {by:?} compares it as {}: a visitor's value has one type",
                            type_name(kind),
                            type_name(*first)
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Program {
    /// The widget's program of a configuration's `[scoring]`, refused (with the rule and why)
    /// when the widget could not give the engine's answer.
    pub fn for_widget(scoring: &Scoring) -> Result<Program, WidgetRefusal> {
        let scoring = ScoringProgram::compile(scoring).map_err(|e| WidgetRefusal {
            rule: e.rule.clone(),
            reason: format!("`{}`: {}", e.field, e.message),
        })?;
        scoring.check_for_widget()?;
        // Bound as a visitor's: what the widget cannot bind is refused here, not in the page.
        Visitor::new(scoring.clone()).map_err(|e| WidgetRefusal {
            rule: e.rule.clone(),
            reason: format!("`{}`: {}", e.field, e.message),
        })?;
        Ok(Program { scoring })
    }
}

/// The column type a comparison gives an attribute (`Empty` for `exists`, which reads any).
fn literal_type(op: Op, value: Option<&crate::conditions::Literal>) -> ColumnType {
    let Some(value) = value.filter(|_| op != Op::Exists) else {
        return ColumnType::Empty;
    };
    let kind = match &value.kind {
        LiteralKind::List(items) => items.first().map(|v| &v.kind),
        other => Some(other),
    };
    match kind {
        Some(LiteralKind::Number(_)) => ColumnType::Number,
        Some(LiteralKind::Bool(_)) => ColumnType::Bool,
        _ => ColumnType::Text,
    }
}

fn type_name(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Number => "a number",
        ColumnType::Bool => "true/false",
        ColumnType::Text | ColumnType::Empty => "text",
    }
}
