//! The program: `[scoring]` and `[qualification]` compiled once into a compact, versioned,
//! workspace-free form.
//!
//! `baton.toml`'s rules and criteria are compiled here ([`ScoringProgram::compile`],
//! [`QualificationProgram::compile`]: operators parsed, values typed and checked), then bound to
//! the facts of whoever evaluates them: a workspace ([`crate::scoring::ScoringModel::compile`],
//! the batch and live paths) or a page's visitor ([`Visitor`], the widget). All of them score with
//! [`crate::scoring::score_facts`] and qualify with
//! [`crate::qualification::QualificationModel::qualify_facts`]. The program
//! travels as bytes ([`Program::to_bytes`]): `baton widget build` writes them, `baton serve`
//! answers them at `GET /v1/widget/program`, and the widget build reads them without any
//! configuration reader.

mod codec;
mod visitor;

pub use codec::{FORMAT_VERSION, ProgramError};
pub use visitor::{AttrInput, Touch, Visitor, VisitorScore};

use crate::conditions::{ColumnType, Cond, EVENT_FIELDS, LiteralKind, Op, RuleError};
use crate::config::{Policy, Qualification, RuleKind, Scoring};

/// What the widget runs: the scoring rules and qualification criteria, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// `[scoring]`, compiled.
    pub scoring: ScoringProgram,
    /// `[qualification]`, compiled.
    pub qualification: QualificationProgram,
}

/// `[qualification]`, compiled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualificationProgram {
    /// Criteria sets in configuration order.
    pub sets: Vec<SetProgram>,
}

/// One criteria set, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct SetProgram {
    /// Set name (e.g. BANT).
    pub name: String,
    /// How its criteria combine.
    pub policy: Policy,
    /// Its criteria.
    pub criteria: Vec<CriterionProgram>,
}

/// One criterion, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionProgram {
    /// Criterion name.
    pub name: String,
    /// What to ask when the data is missing.
    pub ask: Option<String>,
    /// Weight (weighted policy).
    pub weight: f64,
    /// The condition on lead attributes.
    pub when: Option<Cond>,
    /// The plugin deciding it (native host; undecided elsewhere).
    pub plugin: Option<String>,
}

impl QualificationProgram {
    /// Compiles `[qualification]`; errors name the set (and criterion) and the field.
    pub fn compile(config: &Qualification) -> Result<QualificationProgram, RuleError> {
        let mut sets = Vec::new();
        for set in &config.sets {
            let policy = set.resolved_policy().map_err(|(part, message)| RuleError {
                rule: set.name.clone(),
                field: part.into(),
                message,
            })?;
            let mut criteria = Vec::new();
            for c in &set.criteria {
                let label = criterion_label(&set.name, &c.name);
                criteria.push(CriterionProgram {
                    name: c.name.clone(),
                    ask: c.ask.clone(),
                    weight: c.weight,
                    when: c
                        .when
                        .as_ref()
                        .map(|w| Cond::compile(&label, w))
                        .transpose()?,
                    plugin: c.plugin.clone(),
                });
            }
            sets.push(SetProgram {
                name: set.name.clone(),
                policy,
                criteria,
            });
        }
        Ok(QualificationProgram { sets })
    }

    /// Every criterion's condition, with its set and criterion names.
    fn conditions(&self) -> impl Iterator<Item = (String, &Cond)> {
        self.sets.iter().flat_map(|set| {
            set.criteria.iter().filter_map(move |c| {
                c.when
                    .as_ref()
                    .map(|w| (criterion_label(&set.name, &c.name), w))
            })
        })
    }
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

/// Why a configuration cannot become a widget program: the rule (or criterion) and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what} {rule:?}: {reason}")]
pub struct WidgetRefusal {
    /// `[scoring] rule` or `[qualification] criterion`.
    pub what: &'static str,
    /// The rule, or the criterion as `set / criterion` (or the set).
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
}

impl Program {
    /// The widget's program of a configuration's `[scoring]` and `[qualification]`, refused
    /// (with the rule or criterion and why) when the widget could not give the engine's answer.
    /// A criterion decided by a plugin is kept: the widget reports it undecided, as every
    /// browser build does (plugins run in the native host).
    pub fn for_widget(config: &crate::Config) -> Result<Program, WidgetRefusal> {
        let refusal = |what: &'static str| {
            move |e: RuleError| WidgetRefusal {
                what,
                rule: e.rule.clone(),
                reason: format!("`{}`: {}", e.field, e.message),
            }
        };
        let scoring = ScoringProgram::compile(&config.scoring).map_err(refusal(RULE))?;
        let qualification =
            QualificationProgram::compile(&config.qualification).map_err(refusal(CRITERION))?;
        let program = Program {
            scoring,
            qualification,
        };
        program.check_for_widget()?;
        for set in &program.qualification.sets {
            for c in &set.criteria {
                if let Some(p) = &c.plugin {
                    let label = criterion_label(&set.name, &c.name);
                    crate::qualification::check_plugin(&label, p, &config.plugins)
                        .map_err(refusal(CRITERION))?;
                }
            }
        }
        // Bound as a visitor's: what the widget cannot bind is refused here, not in the page.
        Visitor::new(program.clone()).map_err(|e| {
            let what = if program.scoring.rules.iter().any(|r| r.name == e.rule) {
                RULE
            } else {
                CRITERION
            };
            refusal(what)(e)
        })?;
        Ok(program)
    }

    /// Every condition of the program, with the rule or criterion it belongs to.
    fn conditions(&self) -> Vec<Condition<'_>> {
        let rules = self.scoring.rules.iter().map(|r| Condition {
            owner: r.name.clone(),
            what: RULE,
            reads_events: r.kind == RuleKind::Engagement,
            cond: &r.when,
        });
        let criteria = self
            .qualification
            .conditions()
            .map(|(owner, cond)| Condition {
                owner,
                what: CRITERION,
                reads_events: false,
                cond,
            });
        rules.chain(criteria).collect()
    }

    /// The lead attributes the program reads, each with the type its conditions compare it as,
    /// in the order first read. A fact of an engagement rule that names an event field is the
    /// event's.
    pub fn attributes(&self) -> Vec<(String, ColumnType)> {
        typed_attributes(&self.conditions())
            .into_iter()
            .map(|(name, kind, _)| (name, kind))
            .collect()
    }

    /// Checks that a page's widget runs the program as the engine does: no `matches` condition
    /// (the widget build has no regular-expression engine) and each attribute compared as one
    /// type (a visitor's value has one). A refusal names the rule and says why.
    pub fn check_for_widget(&self) -> Result<(), WidgetRefusal> {
        let conditions = self.conditions();
        let types = typed_attributes(&conditions);
        for c in &conditions {
            let (rule, what) = (&c.owner, c.what);
            for (fact, op, value) in c.cond.facts() {
                if op == Op::Matches {
                    return Err(WidgetRefusal {
                        what,
                        rule: rule.clone(),
                        reason: format!(
                            "`{fact}` uses `matches`: the widget build has no regular-expression engine (write it with eq, in, contains, starts_with or ends_with)"
                        ),
                    });
                }
                if c.reads_events && EVENT_FIELDS.contains(&fact) {
                    continue;
                }
                let kind = literal_type(op, value);
                if let Some((_, first, by)) = types.iter().find(|(name, _, _)| name == fact)
                    && kind != ColumnType::Empty
                    && *first != kind
                {
                    return Err(WidgetRefusal {
                        what,
                        rule: rule.clone(),
                        reason: format!(
                            "compares `{fact}` as {} but {by:?} compares it as {}: a visitor's value has one type",
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

/// The attributes `conditions` read, typed by the first comparison that gives a type, with the
/// rule that gave it.
fn typed_attributes(conditions: &[Condition<'_>]) -> Vec<(String, ColumnType, String)> {
    let mut out: Vec<(String, ColumnType, String)> = Vec::new();
    for c in conditions {
        let rule = &c.owner;
        for (fact, op, value) in c.cond.facts() {
            if c.reads_events && EVENT_FIELDS.contains(&fact) {
                continue;
            }
            let kind = literal_type(op, value);
            match out.iter_mut().find(|(name, _, _)| name == fact) {
                Some(seen) if seen.1 == ColumnType::Empty => {
                    seen.1 = kind;
                    seen.2 = rule.clone();
                }
                Some(_) => {}
                None => out.push((fact.to_string(), kind, rule.clone())),
            }
        }
    }
    out
}

/// One condition of a program and what it belongs to.
struct Condition<'a> {
    /// The rule's name, or `set / criterion`.
    owner: String,
    /// [`RULE`] or [`CRITERION`].
    what: &'static str,
    /// An engagement rule's condition may name event fields.
    reads_events: bool,
    cond: &'a Cond,
}

/// How a criterion is named in messages: `set / criterion`.
pub fn criterion_label(set: &str, criterion: &str) -> String {
    format!("{set} / {criterion}")
}

/// What a refusal of a scoring rule names.
const RULE: &str = "[scoring] rule";
/// What a refusal of a qualification criterion names.
const CRITERION: &str = "[qualification] criterion";

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
