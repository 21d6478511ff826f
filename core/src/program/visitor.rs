//! One page visitor's state under a scoring program: attributes and touches kept as the engine
//! keeps a lead's, so a score costs the touches added since the last one, not the whole history.

use crate::conditions::{ColumnType, FactSchema, Facts, RuleError};
use crate::model::{AttrValue, Event, Team};
use crate::qualification::{Outcome, QualificationModel, Verdict};
use crate::scoring::{QuickScore, ScoringModel, score_facts};
use crate::symbols::Symbols;
use crate::time::Instant;

use super::Program;

/// A touch as a page records it.
#[derive(Debug, Clone, Copy)]
pub struct Touch<'a> {
    /// When it happened.
    pub ts: Instant,
    /// `type` (e.g. `pricing_page_view`).
    pub kind: &'a str,
    /// `channel` (e.g. `web`).
    pub channel: &'a str,
    /// `team`, when given.
    pub team: Option<Team>,
    /// `campaign`, when given.
    pub campaign: Option<&'a str>,
    /// `asset_id`, when given.
    pub asset: Option<&'a str>,
}

/// A visitor's score: the engine's numbers, and each rule's points (NaN: it gave none).
#[derive(Debug, Clone, PartialEq)]
pub struct VisitorScore {
    /// Score, fit and engagement, as the batch path gives them.
    pub quick: QuickScore,
    /// A–D on fit; none without fit rules.
    pub grade: Option<char>,
    /// The engagement tier (1 high, 2 medium, 3 low).
    pub tier: u8,
    /// Score ≥ the MQL threshold.
    pub mql: bool,
    /// Each rule's points after its cap, in program order; NaN for a rule that gave none.
    pub points: Vec<f64>,
}

/// A page visitor scored by a program.
#[derive(Debug)]
pub struct Visitor {
    program: Program,
    columns: Vec<(String, ColumnType)>,
    values: Vec<AttrValue>,
    symbols: Symbols,
    model: ScoringModel,
    qualification: QualificationModel,
    /// How many symbols existed when `model` was bound (text tests hold the matching symbols).
    bound: usize,
    touches: Vec<Event>,
    masks: Vec<u64>,
}

/// The visitor's columns, as conditions are bound to them.
struct Schema<'a> {
    columns: &'a [(String, ColumnType)],
    symbols: &'a Symbols,
}

impl FactSchema for Schema<'_> {
    fn column(&self, name: &str) -> Option<(usize, ColumnType)> {
        // Every column is bound as a one-lead workspace's empty column: each rule brings its type.
        let col = self.columns.iter().position(|(n, _)| n == name)?;
        Some((col, ColumnType::Empty))
    }

    fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn symbols(&self) -> &Symbols {
        self.symbols
    }
}

struct Values<'a>(&'a [AttrValue]);

impl Facts for Values<'_> {
    fn attribute(&self, col: usize) -> AttrValue {
        self.0[col]
    }
}

impl Visitor {
    /// A visitor with no attributes and no touches.
    pub fn new(program: Program) -> Result<Visitor, RuleError> {
        let columns = program.attributes();
        let symbols = Symbols::default();
        let (model, qualification) = bind(&program, &columns, &symbols)?;
        Ok(Visitor {
            values: vec![AttrValue::Missing; columns.len()],
            program,
            columns,
            symbols,
            model,
            qualification,
            bound: 0,
            touches: Vec::new(),
            masks: Vec::new(),
        })
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The attributes the rules read, with the type each is read as.
    pub fn attributes(&self) -> &[(String, ColumnType)] {
        &self.columns
    }

    /// Sets attribute `name` from a page's value, typed as the lead file types it: a number
    /// attribute takes a number or a text that is one, a true/false attribute `true`/`false`
    /// (any case); anything else leaves it empty. False when no rule reads `name`.
    pub fn set_attribute(&mut self, name: &str, value: AttrInput<'_>) -> bool {
        let Some(col) = self.columns.iter().position(|(n, _)| n == name) else {
            return false;
        };
        let kind = self.columns[col].1;
        self.values[col] = match (kind, value) {
            (_, AttrInput::Missing) => AttrValue::Missing,
            (ColumnType::Number, AttrInput::Number(n)) => AttrValue::Number(n),
            (ColumnType::Number, AttrInput::Text(t)) => {
                crate::ingest::as_number(t).map_or(AttrValue::Missing, AttrValue::Number)
            }
            (ColumnType::Bool, AttrInput::Bool(b)) => AttrValue::Bool(b),
            (ColumnType::Bool, AttrInput::Text(t)) => {
                crate::ingest::as_bool(t).map_or(AttrValue::Missing, AttrValue::Bool)
            }
            (ColumnType::Number | ColumnType::Bool, _) => AttrValue::Missing,
            (ColumnType::Text | ColumnType::Empty, AttrInput::Text(t)) => {
                AttrValue::Text(self.symbols.intern(t))
            }
            (ColumnType::Text | ColumnType::Empty, AttrInput::Number(n)) => {
                AttrValue::Text(self.symbols.intern(&n.to_string()))
            }
            (ColumnType::Text | ColumnType::Empty, AttrInput::Bool(b)) => {
                AttrValue::Text(self.symbols.intern(if b { "true" } else { "false" }))
            }
        };
        true
    }

    /// Adds a touch, in time order (after the touches of the same instant already added).
    pub fn add_touch(&mut self, touch: Touch<'_>) {
        let event = Event {
            ts: touch.ts,
            lead: 0,
            kind: self.symbols.intern(touch.kind),
            channel: self.symbols.intern(touch.channel),
            team: touch.team,
            campaign: touch.campaign.map(|c| self.symbols.intern(c)),
            asset: touch.asset.map(|a| self.symbols.intern(a)),
        };
        let at = self.touches.partition_point(|e| e.ts <= event.ts);
        let mask = if self.symbols.len() == self.bound {
            self.model.field_mask(&Values(&self.values), &event)
        } else {
            0 // worked out when the rules are bound again, at the next score
        };
        self.touches.insert(at, event);
        self.masks.insert(at, mask);
    }

    /// Forgets every touch.
    pub fn clear_touches(&mut self) {
        self.touches.clear();
        self.masks.clear();
    }

    /// How many touches the visitor has.
    pub fn touch_count(&self) -> usize {
        self.touches.len()
    }

    /// The visitor's score as of `as_of` (touches after it do not count).
    pub fn score(&mut self, as_of: Instant) -> VisitorScore {
        self.rebind_if_needed();
        let events = &self.touches[..self.touches.partition_point(|e| e.ts <= as_of)];
        let mut points = vec![f64::NAN; self.model.rules.len()];
        let masks = &self.masks;
        let quick = score_facts(
            &self.model,
            &Values(&self.values),
            events,
            as_of,
            |i, _| masks[i],
            Some(&mut points),
        );
        VisitorScore {
            grade: self.model.grade(quick.fit),
            tier: self.model.tier(quick.engagement),
            mql: quick.mql,
            quick,
            points,
        }
    }

    /// Every criteria set's verdict as of `as_of`, as the engine gives it without plugins: a
    /// criterion decided by a plugin is undecided, "plugins run in the native host".
    pub fn qualify(&mut self, as_of: Instant) -> Vec<Verdict> {
        self.qualify_into(as_of, None)
    }

    /// [`Visitor::qualify`], with each criterion's [`Outcome`] pushed onto `outcomes` (sets and
    /// criteria in program order).
    pub fn qualify_into(
        &mut self,
        as_of: Instant,
        outcomes: Option<&mut Vec<Outcome>>,
    ) -> Vec<Verdict> {
        self.rebind_if_needed();
        let columns = &self.columns;
        self.qualification.qualify_facts(
            &Values(&self.values),
            |col| columns[col].0.clone(),
            as_of,
            |_| None,
            outcomes,
        )
    }

    /// Binds the rules again when a text appeared that they have not seen (its matches are
    /// worked out once), and the touches' field matches with them.
    fn rebind_if_needed(&mut self) {
        if self.symbols.len() == self.bound {
            return;
        }
        // The program bound when the visitor was made; binding it to more texts cannot fail.
        if let Ok((model, qualification)) = bind(&self.program, &self.columns, &self.symbols) {
            self.model = model;
            self.qualification = qualification;
        }
        self.bound = self.symbols.len();
        let facts = Values(&self.values);
        for (mask, e) in self.masks.iter_mut().zip(&self.touches) {
            *mask = self.model.field_mask(&facts, e);
        }
    }
}

/// The program's rules and criteria bound to a visitor's columns and texts.
fn bind(
    program: &Program,
    columns: &[(String, ColumnType)],
    symbols: &Symbols,
) -> Result<(ScoringModel, QualificationModel), RuleError> {
    let schema = Schema { columns, symbols };
    Ok((
        ScoringModel::bind(&program.scoring, &schema)?,
        QualificationModel::bind(&program.qualification, &schema, None)?,
    ))
}

/// A value a page gives for an attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrInput<'a> {
    /// Empty.
    Missing,
    /// A number.
    Number(f64),
    /// `true` / `false`.
    Bool(bool),
    /// Text.
    Text(&'a str),
}
