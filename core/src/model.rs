//! The ingested workspace: leads and their attributes, events, stage history, deals, assets, feedback.
//!
//! Every table is in canonical order (by id text, then time), so nothing depends on the order in
//! which rows or files arrived.

use serde::Serialize;

use crate::config::Framework;
use crate::quality::DataQuality;
use crate::symbols::{Sym, Symbols};
use crate::time::Instant;

/// Index of a lead in [`Workspace::leads`].
pub type LeadIx = u32;

/// The team behind a touch or an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Team {
    /// Marketing.
    Marketing,
    /// Sales.
    Sales,
    /// Customer success.
    Cs,
}

impl Team {
    /// Parses `marketing`, `sales` or `cs` (case-insensitive).
    pub fn parse(text: &str) -> Option<Team> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("marketing") {
            Some(Team::Marketing)
        } else if t.eq_ignore_ascii_case("sales") {
            Some(Team::Sales)
        } else if t.eq_ignore_ascii_case("cs") || t.eq_ignore_ascii_case("customer_success") {
            Some(Team::Cs)
        } else {
            None
        }
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            Team::Marketing => "marketing",
            Team::Sales => "sales",
            Team::Cs => "cs",
        }
    }
}

/// A lead (contact) record.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    /// `lead_id`.
    pub id: Sym,
    /// `created_at`.
    pub created_at: Instant,
    /// Source line in `leads`.
    pub line: u64,
}

/// A touchpoint event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened.
    pub ts: Instant,
    /// The lead touched.
    pub lead: LeadIx,
    /// `type` (e.g. email_open, call, demo).
    pub kind: Sym,
    /// `channel` (e.g. email, paid_search, phone).
    pub channel: Sym,
    /// `team`, when given.
    pub team: Option<Team>,
    /// `campaign`, when given.
    pub campaign: Option<Sym>,
    /// `asset_id`, when given.
    pub asset: Option<Sym>,
}

/// One entry into a lifecycle stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEntry {
    /// When the lead entered the stage.
    pub ts: Instant,
    /// The lead.
    pub lead: LeadIx,
    /// Index into [`Workspace::stage_names`] (funnel stages first, then exits).
    pub stage: u16,
    /// `reason`, when given.
    pub reason: Option<Sym>,
    /// `actor`, when given.
    pub actor: Option<Sym>,
    /// Source line in `stages`.
    pub line: u32,
}

/// Deal status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Still open.
    Open,
    /// Closed won.
    Won,
    /// Closed lost.
    Lost,
}

impl DealStatus {
    /// The status as written in `deals.csv` and report.json (`open`, `won`, `lost`).
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }
}

/// A deal (opportunity).
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    /// `deal_id`.
    pub id: Sym,
    /// The lead it came from.
    pub lead: LeadIx,
    /// `created_at`.
    pub created_at: Instant,
    /// `status`.
    pub status: DealStatus,
    /// `closed_at` (always set for won and lost deals).
    pub closed_at: Option<Instant>,
    /// `amount` in the workspace currency.
    pub amount: Option<f64>,
    /// `margin` as a fraction 0..1.
    pub margin: Option<f64>,
    /// Source line in `deals`.
    pub line: u64,
}

/// A content asset or a sales talk track.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// `asset_id`.
    pub id: Sym,
    /// `title`.
    pub title: String,
    /// `owner_team`.
    pub owner_team: Team,
    /// `kind` (e.g. case_study, talk_track).
    pub kind: Option<Sym>,
    /// `stage` it is meant for.
    pub stage: Option<Sym>,
    /// `persona` it is meant for.
    pub persona: Option<Sym>,
    /// The text (`body`, or the file named by `path`).
    pub body: String,
    /// Source line in `assets`.
    pub line: u64,
}

/// Feedback kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// Net Promoter Score, 0–10.
    Nps,
    /// Customer satisfaction, 1–5.
    Csat,
    /// Free text.
    Comment,
}

/// Customer feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    /// When it was given.
    pub ts: Instant,
    /// The lead.
    pub lead: LeadIx,
    /// `kind`.
    pub kind: FeedbackKind,
    /// `score` (NPS 0–10, CSAT 1–5).
    pub score: Option<f64>,
    /// `text`.
    pub text: Option<String>,
    /// Source line in `feedback`.
    pub line: u64,
}

/// A typed attribute value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue {
    /// Absent or empty.
    Missing,
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(Sym),
}

/// The values of one lead attribute column, one per lead.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrColumn {
    /// Every value is a number.
    Number(Vec<Option<f64>>),
    /// Every value is `true` or `false`.
    Bool(Vec<Option<bool>>),
    /// Text values.
    Text(Vec<Option<Sym>>),
}

impl AttrColumn {
    /// `number`, `bool` or `string`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrColumn::Number(_) => "number",
            AttrColumn::Bool(_) => "bool",
            AttrColumn::Text(_) => "string",
        }
    }

    /// The value for one lead.
    pub fn get(&self, lead: LeadIx) -> AttrValue {
        let i = lead as usize;
        match self {
            AttrColumn::Number(v) => v
                .get(i)
                .copied()
                .flatten()
                .map_or(AttrValue::Missing, AttrValue::Number),
            AttrColumn::Bool(v) => v
                .get(i)
                .copied()
                .flatten()
                .map_or(AttrValue::Missing, AttrValue::Bool),
            AttrColumn::Text(v) => v
                .get(i)
                .copied()
                .flatten()
                .map_or(AttrValue::Missing, AttrValue::Text),
        }
    }
}

/// A lead attribute: a name and its column.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Column name as written in the header (lower-cased for canonical columns).
    pub name: String,
    /// One value per lead.
    pub values: AttrColumn,
}

/// Everything read from a workspace, validated and in canonical order.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The validated `baton.toml`.
    pub framework: std::sync::Arc<Framework>,
    /// Interned ids and names, in lexicographic order.
    pub symbols: Symbols,
    /// Leads, ordered by id.
    pub leads: Vec<Lead>,
    /// Lead attributes, ordered by name.
    pub attributes: Vec<Attribute>,
    /// Events ordered by (lead, ts, type, channel, team, campaign, asset).
    pub events: Vec<Event>,
    /// `events[event_start[i]..event_start[i + 1]]` are lead `i`'s events.
    pub event_start: Vec<u32>,
    /// Stage entries ordered by (lead, ts, stage order).
    pub stages: Vec<StageEntry>,
    /// Stage names: `[lifecycle] stages` then `exits` (the framework's, shared).
    pub stage_names: std::sync::Arc<[String]>,
    /// Deals ordered by id.
    pub deals: Vec<Deal>,
    /// Assets ordered by id.
    pub assets: Vec<Asset>,
    /// Feedback ordered by (lead, ts, kind).
    pub feedback: Vec<Feedback>,
    /// What could not be used, and why.
    pub data_quality: DataQuality,
}

impl Workspace {
    /// The text of a symbol.
    pub fn text(&self, sym: Sym) -> &str {
        self.symbols.text(sym)
    }

    /// A lead's events in time order.
    pub fn events_of(&self, lead: LeadIx) -> &[Event] {
        let i = lead as usize;
        match (self.event_start.get(i), self.event_start.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.events[a as usize..b as usize],
            _ => &[],
        }
    }

    /// A lead's stage entries up to `as_of`, in time order.
    pub fn stages_of(&self, lead: LeadIx, as_of: Instant) -> &[StageEntry] {
        let from = self.stages.partition_point(|s| s.lead < lead);
        let to = from + self.stages[from..].partition_point(|s| s.lead == lead);
        let entries = &self.stages[from..to];
        &entries[..entries.partition_point(|s| s.ts <= as_of)]
    }

    /// The attribute column with this name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The index of a lead by id.
    pub fn lead_index(&self, id: &str) -> Option<LeadIx> {
        let sym = self.symbols.get(id)?;
        self.leads
            .binary_search_by(|l| l.id.cmp(&sym))
            .ok()
            .map(|i| i as LeadIx)
    }

    /// The latest timestamp of something that happened (the CLI's default `as_of`): lead
    /// creations, events, stage entries, deal creations and closes, feedback. An open deal's
    /// `closed_at` is an expected close date, not something that happened, and is left out.
    pub fn latest_timestamp(&self) -> Option<Instant> {
        let leads = self.leads.iter().map(|l| l.created_at);
        let events = self.events.iter().map(|e| e.ts);
        let stages = self.stages.iter().map(|s| s.ts);
        let deals = self
            .deals
            .iter()
            .flat_map(|d| [Some(d.created_at), Self::happened_close(d)])
            .flatten();
        let feedback = self.feedback.iter().map(|f| f.ts);
        leads
            .chain(events)
            .chain(stages)
            .chain(deals)
            .chain(feedback)
            .max()
    }

    fn happened_close(d: &Deal) -> Option<Instant> {
        d.closed_at.filter(|_| d.status != DealStatus::Open)
    }

    /// The latest and second-latest timestamps of things that happened, with their rows.
    fn latest_two(&self) -> [Option<(Instant, usize, usize)>; 2] {
        let mut top: [Option<(Instant, usize, usize)>; 2] = [None, None];
        let mut push = |ts: Instant, kind: usize, index: usize| {
            let entry = Some((ts, kind, index));
            if top[0].is_none_or(|(t, _, _)| ts > t) {
                top[1] = top[0];
                top[0] = entry;
            } else if top[1].is_none_or(|(t, _, _)| ts > t) {
                top[1] = entry;
            }
        };
        self.leads
            .iter()
            .enumerate()
            .for_each(|(i, l)| push(l.created_at, 0, i));
        self.events
            .iter()
            .enumerate()
            .for_each(|(i, e)| push(e.ts, 1, i));
        self.stages
            .iter()
            .enumerate()
            .for_each(|(i, s)| push(s.ts, 2, i));
        for (i, d) in self.deals.iter().enumerate() {
            push(d.created_at, 3, i);
            if let Some(c) = Self::happened_close(d) {
                push(c, 3, i);
            }
        }
        self.feedback
            .iter()
            .enumerate()
            .for_each(|(i, f)| push(f.ts, 4, i));
        top
    }

    /// Which row a timestamp of [`Self::latest_two`] comes from, for messages.
    fn describe_row(&self, kind: usize, index: usize) -> String {
        let lead_id = |l: LeadIx| self.text(self.leads[l as usize].id).to_string();
        match kind {
            0 => format!(
                "leads.csv line {} (lead {})",
                self.leads[index].line,
                lead_id(index as LeadIx)
            ),
            1 => format!(
                "events.csv, an event of lead {}",
                lead_id(self.events[index].lead)
            ),
            2 => format!(
                "stages.csv line {} (lead {})",
                self.stages[index].line,
                lead_id(self.stages[index].lead)
            ),
            3 => format!(
                "deals.csv line {} (deal {})",
                self.deals[index].line,
                self.text(self.deals[index].id)
            ),
            _ => format!(
                "feedback.csv line {} (lead {})",
                self.feedback[index].line,
                lead_id(self.feedback[index].lead)
            ),
        }
    }

    /// The row the latest timestamp ([`Self::latest_timestamp`]) comes from, for saying where
    /// a default `as_of` was taken from.
    pub fn latest_row(&self) -> Option<String> {
        let (_, kind, index) = self.latest_two()[0]?;
        Some(self.describe_row(kind, index))
    }

    /// The latest timestamp and the row it comes from, when it lies more than `gap_days` after
    /// every other timestamp (one mistyped date such as 9999-12-30 would otherwise move the
    /// default `as_of` by centuries without a word).
    pub fn far_latest_timestamp(&self, gap_days: i64) -> Option<FarTimestamp> {
        let [top, second] = self.latest_two();
        let (at, kind, index) = top?;
        let (next, _, _) = second?;
        if at.0 - next.0 <= gap_days * 86_400_000_000 {
            return None;
        }
        let row = self.describe_row(kind, index);
        Some(FarTimestamp { at, next, row })
    }

    /// The earliest timestamp anywhere in the data.
    pub fn earliest_timestamp(&self) -> Option<Instant> {
        let leads = self.leads.iter().map(|l| l.created_at);
        let events = self.events.iter().map(|e| e.ts);
        let stages = self.stages.iter().map(|s| s.ts);
        leads.chain(events).chain(stages).min()
    }
}

/// A latest timestamp far beyond the rest of the data ([`Workspace::far_latest_timestamp`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FarTimestamp {
    /// The latest timestamp.
    pub at: Instant,
    /// The latest of all the others.
    pub next: Instant,
    /// Which row holds it.
    pub row: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deal_status_text_is_its_serialized_name() {
        for s in [DealStatus::Open, DealStatus::Won, DealStatus::Lost] {
            assert_eq!(
                serde_json::to_value(s).expect("serializes"),
                serde_json::Value::from(s.as_str())
            );
        }
    }
}
