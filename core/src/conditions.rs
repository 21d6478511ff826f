//! Conditions — `{fact, operator, value}` combined with `all` / `any` / `not` — compiled against a
//! workspace's facts (lead attributes and, for engagement rules, event fields) so that evaluating
//! one is a few integer comparisons. Text comparisons are case-insensitive.
//!
//! Evaluation is three-valued: a condition on a lead attribute the lead does not have is
//! *unknown*, and says which fact was missing (qualification reports it as missing data).

mod literal;

pub use literal::{Literal, LiteralKind};

use crate::config::Condition;
use crate::model::{AttrColumn, AttrValue, Event, LeadIx, Team, Workspace};
use crate::symbols::{Sym, Symbols};
use crate::time::{Instant, MICROS_PER_DAY};

/// The event fields an engagement condition may use.
pub const EVENT_FIELDS: &[&str] = &[
    "type", "channel", "team", "campaign", "asset_id", "age_days",
];

/// A condition's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal (text ignoring case).
    Eq,
    /// Not equal.
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// One of a list.
    In,
    /// None of a list.
    NotIn,
    /// Text contains.
    Contains,
    /// Text starts with.
    StartsWith,
    /// Text ends with.
    EndsWith,
    /// The attribute has a value (or, with `false`, has none).
    Exists,
    /// Text matches a regular expression.
    Matches,
}

impl Op {
    /// Every operator, in the order the documentation lists them.
    pub const ALL: [Op; 13] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::In,
        Op::NotIn,
        Op::Contains,
        Op::StartsWith,
        Op::EndsWith,
        Op::Exists,
        Op::Matches,
    ];

    /// The operator as `baton.toml` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::Exists => "exists",
            Op::Matches => "matches",
        }
    }

    /// The operator `text` names.
    pub fn parse(text: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == text)
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with a comparison's operator or value whatever its fact is (an unknown operator,
/// a missing value, a bad regular expression...), with the key at fault (`operator` or `value`);
/// the configuration is refused with it at its line, before any data is read.
pub fn comparison_problem(
    operator: &str,
    value: Option<&serde_json::Value>,
) -> Option<(&'static str, String)> {
    let op = match parse_op(operator) {
        Ok(op) => op,
        Err(problem) => return Some(problem),
    };
    let value = value.map(Literal::from_json);
    shape_problem(op, value.as_ref()).or_else(|| {
        match (op, value.as_ref().and_then(Literal::as_str)) {
            (Op::Matches, Some(pattern)) => matcher(pattern).err().map(|e| ("value", e)),
            _ => None,
        }
    })
}

/// The operator `operator` names, or the `operator` key and why it is unknown.
fn parse_op(operator: &str) -> Result<Op, (&'static str, String)> {
    Op::parse(operator).ok_or_else(|| {
        let names: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
        (
            "operator",
            format!(
                "unknown operator {operator:?} (expected one of {})",
                names.join(", ")
            ),
        )
    })
}

/// [`comparison_problem`] but for the regular expression's validity, which the rule compiler
/// finds when it compiles the expression (so a live call compiles it once, not twice).
fn shape_problem(op: Op, value: Option<&Literal>) -> Option<(&'static str, String)> {
    let Some(value) = value else {
        return (op != Op::Exists).then(|| ("value", format!("operator `{op}` needs a `value`")));
    };
    let problem = match op {
        Op::Exists if !value.is_boolean() => format!("`exists` takes true or false, got {value}"),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte if !value.is_number() => {
            format!("`{op}` needs a number, got {value}")
        }
        Op::In | Op::NotIn if value.as_array().is_none() => {
            format!("`{op}` needs a list, got {value}")
        }
        Op::Contains | Op::StartsWith | Op::EndsWith if !value.is_string() => {
            format!("`{op}` needs a string, got {value}")
        }
        Op::Matches if !value.is_string() => {
            format!("`matches` needs a regular expression string, got {value}")
        }
        _ => return None,
    };
    Some(("value", problem))
}

/// Largest compiled form of a `matches` regular expression: `a{100}{100}b` (10,000 states) is
/// refused at load instead of costing seconds per value.
pub const MAX_REGEX_BYTES: usize = 64 * 1024;
/// A `matches` condition reads at most this many bytes of a value (the regex engine's cost is
/// the pattern's size times the text's).
pub const MAX_MATCH_BYTES: usize = 16 * 1024;

/// A compiled `matches` test.
#[cfg(feature = "regex")]
type Matcher = regex_lite::Regex;
/// Builds without the `regex` feature (the widget build) have no regular-expression engine: a
/// widget program with a `matches` condition is refused when it is compiled.
#[cfg(not(feature = "regex"))]
type Matcher = std::convert::Infallible;

/// The case-insensitive regular expression of a `matches` condition, bounded in size.
#[cfg(feature = "regex")]
fn matcher(pattern: &str) -> Result<Matcher, String> {
    regex_lite::RegexBuilder::new(&format!("(?i){pattern}"))
        .size_limit(MAX_REGEX_BYTES)
        .nest_limit(64)
        .build()
        .map_err(|e| {
            format!(
                "invalid regular expression (or one larger than {MAX_REGEX_BYTES} bytes compiled, or nested deeper than 64): {e}"
            )
        })
}

/// Without the `regex` feature, every `matches` condition is refused.
#[cfg(not(feature = "regex"))]
fn matcher(_pattern: &str) -> Result<Matcher, String> {
    Err("this build has no regular-expression engine (`matches` runs in the native and full wasm engines, not the widget)".into())
}

/// Whether `re` matches `text` (its first [`MAX_MATCH_BYTES`]).
#[cfg(feature = "regex")]
fn is_match(re: &Matcher, text: &str) -> bool {
    re.is_match(match_window(text))
}

/// Unreachable: no matcher exists without the `regex` feature.
#[cfg(not(feature = "regex"))]
fn is_match(re: &Matcher, _text: &str) -> bool {
    match *re {}
}

/// The first [`MAX_MATCH_BYTES`] of `text`, cut at a character boundary.
#[cfg_attr(not(feature = "regex"), allow(dead_code))]
fn match_window(text: &str) -> &str {
    if text.len() <= MAX_MATCH_BYTES {
        return text;
    }
    let mut end = MAX_MATCH_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A condition that cannot be compiled, naming the rule and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rule {rule:?}: `{field}`: {message}")]
#[non_exhaustive]
pub struct RuleError {
    /// The rule (or criterion) name.
    pub rule: String,
    /// The fact or key at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Which facts a condition may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Lead attributes only (fit rules, qualification, routing).
    Lead,
    /// Lead attributes and event fields (engagement rules).
    LeadAndEvent,
}

/// An event field a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventField {
    /// `type`.
    Kind,
    /// `channel`.
    Channel,
    /// `team`.
    Team,
    /// `campaign`.
    Campaign,
    /// `asset_id`.
    Asset,
}

/// A numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumOp {
    /// `eq` (and `in`).
    Eq,
    /// `ne`.
    Ne,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
}

impl NumOp {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            NumOp::Eq => a == b,
            NumOp::Ne => a != b,
            NumOp::Lt => a < b,
            NumOp::Lte => a <= b,
            NumOp::Gt => a > b,
            NumOp::Gte => a >= b,
        }
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Pred {
    /// Every part holds.
    All(Vec<Pred>),
    /// Some part holds.
    Any(Vec<Pred>),
    /// The part does not hold.
    Not(Box<Pred>),
    /// A numeric lead attribute compared with numbers (`in`: any of them).
    Number {
        /// Attribute column.
        col: usize,
        /// Operator.
        op: NumOp,
        /// Values.
        values: Vec<f64>,
        /// `not_in`.
        negate: bool,
    },
    /// A boolean lead attribute equal (or not) to a value.
    Bool {
        /// Attribute column.
        col: usize,
        /// The value it must have.
        value: bool,
    },
    /// A text lead attribute whose value is one of these symbols (precomputed for the operator).
    Text {
        /// Attribute column.
        col: usize,
        /// Matching symbols, sorted.
        matching: Vec<Sym>,
        /// True for `ne` / `not_in`: holds when the value is *not* matching.
        negate: bool,
    },
    /// A lead attribute is present (`value = false`: absent).
    Exists {
        /// Attribute column.
        col: usize,
        /// Whether it must exist.
        value: bool,
    },
    /// An event text field whose value is one of these symbols.
    EventText {
        /// Which field.
        field: EventField,
        /// Matching symbols, sorted.
        matching: Vec<Sym>,
        /// True for `ne` / `not_in`.
        negate: bool,
    },
    /// The event's team.
    EventTeam {
        /// Teams that match.
        teams: Vec<Team>,
        /// True for `ne` / `not_in`.
        negate: bool,
    },
    /// The event's age in days (from `as_of`) compared with numbers.
    EventAge {
        /// Operator.
        op: NumOp,
        /// Values.
        values: Vec<f64>,
        /// `not_in`.
        negate: bool,
    },
    /// Always this value (e.g. a text value that appears nowhere in the data).
    Const(bool),
}

/// The result of evaluating a condition on a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided: this attribute column is missing for the lead.
    Unknown(usize),
}

impl Truth {
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            u => u,
        }
    }
}

/// What a compiled condition is evaluated against.
pub struct Subject<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// The lead.
    pub lead: LeadIx,
    /// The event, for engagement conditions.
    pub event: Option<&'a Event>,
    /// The analysis instant (for `age_days`).
    pub as_of: Instant,
}

/// A lead's attribute values, as a condition reads them: a workspace's lead, or a page's visitor.
pub trait Facts {
    /// The value of attribute column `col`.
    fn attribute(&self, col: usize) -> AttrValue;
}

/// One lead of a workspace, as [`Facts`].
#[derive(Clone, Copy)]
pub struct LeadFacts<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// The lead.
    pub lead: LeadIx,
}

impl Facts for LeadFacts<'_> {
    fn attribute(&self, col: usize) -> AttrValue {
        self.ws.attributes[col].values.get(self.lead)
    }
}

impl Pred {
    /// Evaluates the condition (three-valued) on a workspace's lead.
    pub fn eval(&self, s: &Subject<'_>) -> Truth {
        self.eval_on(
            &LeadFacts {
                ws: s.ws,
                lead: s.lead,
            },
            s.event,
            s.as_of,
        )
    }

    /// Evaluates the condition (three-valued) on any lead's facts, the event (engagement
    /// conditions) and the instant `age_days` is counted to: the one evaluator every caller uses.
    pub fn eval_on<F: Facts>(&self, f: &F, event: Option<&Event>, as_of: Instant) -> Truth {
        match self {
            Pred::All(parts) => {
                let mut unknown = None;
                for p in parts {
                    match p.eval_on(f, event, as_of) {
                        Truth::False => return Truth::False,
                        Truth::Unknown(c) => unknown = unknown.or(Some(c)),
                        Truth::True => {}
                    }
                }
                unknown.map_or(Truth::True, Truth::Unknown)
            }
            Pred::Any(parts) => {
                let mut unknown = None;
                for p in parts {
                    match p.eval_on(f, event, as_of) {
                        Truth::True => return Truth::True,
                        Truth::Unknown(c) => unknown = unknown.or(Some(c)),
                        Truth::False => {}
                    }
                }
                unknown.map_or(Truth::False, Truth::Unknown)
            }
            Pred::Not(p) => p.eval_on(f, event, as_of).not(),
            Pred::Const(b) => truth(*b),
            Pred::Number {
                col,
                op,
                values,
                negate,
            } => match f.attribute(*col) {
                AttrValue::Number(n) => truth(values.iter().any(|&v| op.holds(n, v)) != *negate),
                _ => Truth::Unknown(*col),
            },
            Pred::Bool { col, value } => match f.attribute(*col) {
                AttrValue::Bool(b) => truth(b == *value),
                _ => Truth::Unknown(*col),
            },
            Pred::Text {
                col,
                matching,
                negate,
            } => match f.attribute(*col) {
                AttrValue::Text(sym) => truth(matching.binary_search(&sym).is_ok() != *negate),
                _ => Truth::Unknown(*col),
            },
            Pred::Exists { col, value } => {
                truth((f.attribute(*col) != AttrValue::Missing) == *value)
            }
            Pred::EventText {
                field,
                matching,
                negate,
            } => {
                let Some(e) = event else {
                    return Truth::False;
                };
                let sym = match field {
                    EventField::Kind => Some(e.kind),
                    EventField::Channel => Some(e.channel),
                    EventField::Campaign => e.campaign,
                    EventField::Asset => e.asset,
                    EventField::Team => None,
                };
                let hit = match (sym, matching.as_slice()) {
                    (Some(x), [only]) => x == *only,
                    (Some(x), _) => matching.binary_search(&x).is_ok(),
                    (None, _) => false,
                };
                truth(hit != *negate)
            }
            Pred::EventTeam { teams, negate } => {
                let Some(e) = event else {
                    return Truth::False;
                };
                truth(e.team.is_some_and(|t| teams.contains(&t)) != *negate)
            }
            Pred::EventAge { op, values, negate } => {
                let Some(e) = event else {
                    return Truth::False;
                };
                let age = (as_of.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64;
                truth(values.iter().any(|&v| op.holds(age, v)) != *negate)
            }
        }
    }

    /// True when the condition looks at lead attributes or the event's age: its value on an event
    /// is then not a function of the event's type, channel, team, campaign and asset alone.
    pub fn depends_on_more_than_event_fields(&self) -> bool {
        match self {
            Pred::All(p) | Pred::Any(p) => p.iter().any(Pred::depends_on_more_than_event_fields),
            Pred::Not(p) => p.depends_on_more_than_event_fields(),
            Pred::EventText { .. } | Pred::EventTeam { .. } | Pred::Const(_) => false,
            _ => true,
        }
    }

    /// True when the condition looks at event fields.
    pub fn uses_events(&self) -> bool {
        match self {
            Pred::All(p) | Pred::Any(p) => p.iter().any(Pred::uses_events),
            Pred::Not(p) => p.uses_events(),
            Pred::EventText { .. } | Pred::EventTeam { .. } | Pred::EventAge { .. } => true,
            _ => false,
        }
    }
}

fn truth(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

/// A condition compiled from `baton.toml` but not yet bound to any data: operators parsed,
/// values typed and checked. This is what a scoring program carries; binding it to a workspace
/// (or a page's visitor) with [`Compiler`] gives the [`Pred`] that is evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Every part holds.
    All(Vec<Cond>),
    /// Some part holds.
    Any(Vec<Cond>),
    /// The part does not hold.
    Not(Box<Cond>),
    /// `{fact, operator, value}`.
    Fact {
        /// A lead attribute or an event field.
        fact: String,
        /// The operator.
        op: Op,
        /// The value (none for `exists` written without one).
        value: Option<Literal>,
    },
}

impl Cond {
    /// Compiles `cond` of the rule named `rule`: what can be checked without data is checked here.
    pub fn compile(rule: &str, cond: &Condition) -> Result<Cond, RuleError> {
        let all = |parts: &[Condition]| {
            parts
                .iter()
                .map(|c| Cond::compile(rule, c))
                .collect::<Result<Vec<_>, _>>()
        };
        match cond {
            Condition::All { all: parts } => Ok(Cond::All(all(parts)?)),
            Condition::Any { any: parts } => Ok(Cond::Any(all(parts)?)),
            Condition::Not { not } => Ok(Cond::Not(Box::new(Cond::compile(rule, not)?))),
            Condition::Fact {
                fact,
                operator,
                value,
            } => {
                let err = |field: &str, message: String| RuleError {
                    rule: rule.into(),
                    field: field.into(),
                    message,
                };
                let op = parse_op(operator).map_err(|(key, message)| err(key, message))?;
                let value = value.as_ref().map(Literal::from_json);
                if let Some((_, message)) = shape_problem(op, value.as_ref()) {
                    return Err(err(fact, message));
                }
                Ok(Cond::Fact {
                    fact: fact.clone(),
                    op,
                    value,
                })
            }
        }
    }

    /// Every comparison in the condition, depth first.
    pub fn facts(&self) -> Vec<(&str, Op, Option<&Literal>)> {
        let mut out = Vec::new();
        self.collect_facts(&mut out);
        out
    }

    fn collect_facts<'c>(&'c self, out: &mut Vec<(&'c str, Op, Option<&'c Literal>)>) {
        match self {
            Cond::All(parts) | Cond::Any(parts) => {
                parts.iter().for_each(|p| p.collect_facts(out));
            }
            Cond::Not(part) => part.collect_facts(out),
            Cond::Fact { fact, op, value } => out.push((fact, *op, value.as_ref())),
        }
    }
}

/// The type of a lead attribute column, as binding a condition sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// No value at all: the column takes each rule's type (a one-lead workspace, an empty export
    /// column, a page's visitor).
    Empty,
    /// Numbers.
    Number,
    /// `true` / `false`.
    Bool,
    /// Text.
    Text,
}

/// What conditions are bound to: lead attribute columns and the texts values can take.
pub trait FactSchema {
    /// The column of lead attribute `name`, and its type.
    fn column(&self, name: &str) -> Option<(usize, ColumnType)>;
    /// Every attribute's name (for the message on an unknown fact).
    fn column_names(&self) -> Vec<&str>;
    /// The texts values are interned in.
    fn symbols(&self) -> &Symbols;
}

impl FactSchema for Workspace {
    fn column(&self, name: &str) -> Option<(usize, ColumnType)> {
        let col = self.attributes.iter().position(|a| a.name == name)?;
        let kind = match &self.attributes[col].values {
            AttrColumn::Number(_) => ColumnType::Number,
            AttrColumn::Bool(_) => ColumnType::Bool,
            AttrColumn::Text(v) if v.iter().all(Option::is_none) => ColumnType::Empty,
            AttrColumn::Text(_) => ColumnType::Text,
        };
        Some((col, kind))
    }

    fn column_names(&self) -> Vec<&str> {
        self.attributes.iter().map(|a| a.name.as_str()).collect()
    }

    fn symbols(&self) -> &Symbols {
        &self.symbols
    }
}

/// Binds conditions to one workspace's (or visitor's) facts.
pub struct Compiler<'a, S: FactSchema = Workspace> {
    schema: &'a S,
}

impl<'a, S: FactSchema> Compiler<'a, S> {
    /// A compiler over `schema`'s attributes and symbols.
    pub fn new(schema: &'a S) -> Self {
        Self { schema }
    }

    /// Compiles `cond` for the rule named `rule` and binds it.
    pub fn compile(&self, rule: &str, cond: &Condition, scope: Scope) -> Result<Pred, RuleError> {
        self.bind(rule, &Cond::compile(rule, cond)?, scope)
    }

    /// Binds the compiled condition `cond` of the rule named `rule`.
    pub fn bind(&self, rule: &str, cond: &Cond, scope: Scope) -> Result<Pred, RuleError> {
        let parts = |parts: &[Cond]| {
            parts
                .iter()
                .map(|c| self.bind(rule, c, scope))
                .collect::<Result<Vec<_>, _>>()
        };
        match cond {
            Cond::All(all) => Ok(Pred::All(parts(all)?)),
            Cond::Any(any) => Ok(Pred::Any(parts(any)?)),
            Cond::Not(not) => Ok(Pred::Not(Box::new(self.bind(rule, not, scope)?))),
            Cond::Fact { fact, op, value } => {
                if let Some((col, kind)) = self.schema.column(fact) {
                    return self.lead_fact(rule, fact, (col, kind), *op, value.as_ref());
                }
                if scope == Scope::LeadAndEvent && EVENT_FIELDS.contains(&fact.as_str()) {
                    return self.event_fact(rule, fact, *op, value.as_ref());
                }
                let mut known = self.schema.column_names();
                crate::order::sort_unstable(&mut known);
                let events = if scope == Scope::LeadAndEvent {
                    format!("; event fields: {}", EVENT_FIELDS.join(", "))
                } else if EVENT_FIELDS.contains(&fact.as_str()) {
                    " (event fields are only for engagement rules)".to_string()
                } else {
                    String::new()
                };
                Err(RuleError {
                    rule: rule.into(),
                    field: fact.clone(),
                    message: format!(
                        "unknown fact (lead attributes: {}{events})",
                        known.join(", ")
                    ),
                })
            }
        }
    }

    fn lead_fact(
        &self,
        rule: &str,
        fact: &str,
        (col, column): (usize, ColumnType),
        op: Op,
        value: Option<&Literal>,
    ) -> Result<Pred, RuleError> {
        let err = |message: String| RuleError {
            rule: rule.into(),
            field: fact.into(),
            message,
        };
        if op == Op::Exists {
            let want = match value {
                None => true,
                Some(v) => v
                    .as_bool()
                    .ok_or_else(|| err(format!("`exists` takes true or false, got {v}")))?,
            };
            return Ok(Pred::Exists { col, value: want });
        }
        let value = value.ok_or_else(|| err("missing value".into()))?;
        // A column with no value at all has no type of its own: it takes the rule's, and every
        // lead is unknown on it (a one-lead workspace from the browser, an empty export column).
        let is_number = |v: &Literal| {
            v.is_number()
                || v.as_array()
                    .is_some_and(|a| a.iter().all(Literal::is_number) && !a.is_empty())
        };
        let kind = match column {
            ColumnType::Empty if is_number(value) => ColumnType::Number,
            ColumnType::Empty if value.is_boolean() => ColumnType::Bool,
            other => other,
        };
        match kind {
            ColumnType::Number => {
                let (op, values, negate) =
                    numeric(op, value).map_err(|m| err(format!("{m} (`{fact}` is a number)")))?;
                Ok(Pred::Number {
                    col,
                    op,
                    values,
                    negate,
                })
            }
            ColumnType::Bool => match (op, value.as_bool()) {
                (Op::Eq, Some(b)) => Ok(Pred::Bool { col, value: b }),
                (Op::Ne, Some(b)) => Ok(Pred::Bool { col, value: !b }),
                _ => Err(err(format!(
                    "`{fact}` is true/false: use eq or ne with a boolean, not `{op}` {value}"
                ))),
            },
            ColumnType::Empty | ColumnType::Text => {
                let (matching, negate) = text_matching(self.schema.symbols(), op, value)
                    .map_err(|m| err(format!("{m} (`{fact}` is text)")))?;
                Ok(Pred::Text {
                    col,
                    matching,
                    negate,
                })
            }
        }
    }

    fn event_fact(
        &self,
        rule: &str,
        fact: &str,
        op: Op,
        value: Option<&Literal>,
    ) -> Result<Pred, RuleError> {
        let err = |message: String| RuleError {
            rule: rule.into(),
            field: fact.into(),
            message,
        };
        let value = match value {
            Some(v) => v,
            None => {
                return Err(err(
                    "event fields always exist; `exists` is for lead attributes".into(),
                ));
            }
        };
        let field = match fact {
            "type" => EventField::Kind,
            "channel" => EventField::Channel,
            "campaign" => EventField::Campaign,
            "asset_id" => EventField::Asset,
            "team" => EventField::Team,
            _ => {
                let (op, values, negate) =
                    numeric(op, value).map_err(|m| err(format!("{m} (`age_days` is a number)")))?;
                return Ok(Pred::EventAge { op, values, negate });
            }
        };
        if field == EventField::Team {
            let (texts, negate) =
                texts_for(op, value).map_err(|m| err(format!("{m} (`team` is text)")))?;
            let mut teams = Vec::new();
            for t in texts {
                teams.push(
                    Team::parse(t).ok_or_else(|| {
                        err(format!("{t:?} is not a team (marketing, sales, cs)"))
                    })?,
                );
            }
            return Ok(Pred::EventTeam { teams, negate });
        }
        let (matching, negate) = text_matching(self.schema.symbols(), op, value)
            .map_err(|m| err(format!("{m} (`{fact}` is text)")))?;
        Ok(Pred::EventText {
            field,
            matching,
            negate,
        })
    }
}

/// The numeric operator and values of a condition.
fn numeric(op: Op, value: &Literal) -> Result<(NumOp, Vec<f64>, bool), String> {
    let num = |v: &Literal| {
        v.as_f64()
            .ok_or_else(|| format!("`{op}` needs a number, got {v}"))
    };
    let (nop, values, negate) = match op {
        Op::Eq => (NumOp::Eq, vec![num(value)?], false),
        Op::Ne => (NumOp::Ne, vec![num(value)?], false),
        Op::Lt => (NumOp::Lt, vec![num(value)?], false),
        Op::Lte => (NumOp::Lte, vec![num(value)?], false),
        Op::Gt => (NumOp::Gt, vec![num(value)?], false),
        Op::Gte => (NumOp::Gte, vec![num(value)?], false),
        Op::In | Op::NotIn => {
            let list = value
                .as_array()
                .ok_or_else(|| format!("`{op}` needs a list, got {value}"))?;
            (
                NumOp::Eq,
                list.iter().map(num).collect::<Result<_, _>>()?,
                op == Op::NotIn,
            )
        }
        Op::Contains | Op::StartsWith | Op::EndsWith | Op::Exists | Op::Matches => {
            return Err(format!("operator `{op}` does not apply to numbers"));
        }
    };
    Ok((nop, values, negate))
}

/// The text values of an `eq` / `ne` / `in` / `not_in` condition, and whether it is negated.
fn texts_for<'v>(op: Op, value: &'v Literal) -> Result<(Vec<&'v str>, bool), String> {
    let text = |v: &'v Literal| {
        v.as_str()
            .ok_or_else(|| format!("`{op}` on text needs a string, got {v}"))
    };
    match op {
        Op::Eq | Op::Ne => Ok((vec![text(value)?], op == Op::Ne)),
        Op::In | Op::NotIn => {
            let list = value
                .as_array()
                .ok_or_else(|| format!("`{op}` needs a list, got {value}"))?;
            Ok((
                list.iter().map(text).collect::<Result<_, _>>()?,
                op == Op::NotIn,
            ))
        }
        _ => Err(format!("operator `{op}` does not apply here")),
    }
}

/// A test on one symbol's text.
type TextTest = Box<dyn Fn(&str) -> bool>;

/// `text.to_lowercase()`, without allocating for text that is already lowercase ASCII (most
/// symbols: each text condition tests every symbol of the workspace).
fn lowercase(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    }
}

/// The symbols whose text satisfies a text operator (case-insensitive), and whether it is negated.
fn text_matching(symbols: &Symbols, op: Op, value: &Literal) -> Result<(Vec<Sym>, bool), String> {
    let symbol_texts =
        (0..symbols.len()).map(|i| (Sym::from_index(i), symbols.text(Sym::from_index(i))));
    let (test, negate): (TextTest, bool) = match op {
        Op::Eq | Op::Ne | Op::In | Op::NotIn => {
            // The common case, without a boxed test: symbols equal to a value, ignoring case.
            let (texts, negate) = texts_for(op, value)?;
            let lower: Vec<std::borrow::Cow<'_, str>> =
                texts.iter().map(|t| lowercase(t)).collect();
            let matching = symbol_texts
                .filter(|(_, s)| {
                    lower
                        .iter()
                        .any(|t| s.len() == t.len() && lowercase(s) == *t)
                })
                .map(|(sym, _)| sym)
                .collect();
            return Ok((matching, negate));
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let needle = value
                .as_str()
                .ok_or_else(|| format!("`{op}` needs a string, got {value}"))?
                .to_lowercase();
            (
                Box::new(move |s: &str| {
                    let s = lowercase(s);
                    match op {
                        Op::Contains => s.contains(&needle),
                        Op::StartsWith => s.starts_with(&needle),
                        _ => s.ends_with(&needle),
                    }
                }),
                false,
            )
        }
        Op::Matches => {
            let pattern = value.as_str().ok_or_else(|| {
                format!("`matches` needs a regular expression string, got {value}")
            })?;
            let re = matcher(pattern)?;
            (Box::new(move |s: &str| is_match(&re, s)), false)
        }
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
            return Err(format!("operator `{op}` needs a number fact"));
        }
        Op::Exists => return Err(format!("operator `{op}` does not apply here")),
    };
    let matching: Vec<Sym> = symbol_texts
        .filter(|(_, s)| test(s))
        .map(|(sym, _)| sym)
        .collect();
    Ok((matching, negate))
}

#[cfg(test)]
mod tests {
    use super::lowercase;

    #[test]
    fn lowercase_is_to_lowercase_without_the_copy() {
        for text in [
            "web",
            "Web",
            "WEB",
            "e-mail_2",
            "",
            "Ünternehmen",
            "straße",
            "İstanbul",
            "ΣΑΣ",
        ] {
            assert_eq!(lowercase(text), text.to_lowercase(), "{text}");
        }
        assert!(matches!(
            lowercase("pricing_page_view"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
