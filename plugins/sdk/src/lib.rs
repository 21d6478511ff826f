//! The Baton plugin SDK.
//!
//! A Baton plugin is a WebAssembly module (WASI preview 1) that reads one JSON document on stdin
//! and writes one JSON document on stdout; stderr is its log. This crate holds the ABI v1 types
//! that both sides share — [`Input`], [`Verdict`], [`Description`] — and, with the default `guest`
//! feature, the plumbing a plugin written in Rust needs: write one function and call
//! [`plugin!`].
//!
//! ```ignore
//! use baton_plugin::{Description, Input, Verdict};
//!
//! fn describe() -> Description {
//!     Description::new("my-rule", env!("CARGO_PKG_VERSION"))
//! }
//!
//! fn evaluate(input: &Input) -> Result<Verdict, String> {
//!     let employees = input.lead.number("employees").unwrap_or(0.0);
//!     Ok(Verdict::qualified(employees >= 500).reason(format!("{employees} employees")))
//! }
//!
//! baton_plugin::plugin!(describe, evaluate);
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip1`; see `docs/plugins.md`.

#![warn(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The ABI version this crate speaks.
pub const ABI_VERSION: u32 = 1;

/// The exported function whose presence declares ABI v1.
pub const ABI_MARKER: &str = "baton_plugin_abi_v1";

/// The document a plugin reads on stdin.
///
/// A `{"describe": true}` document asks for the plugin's [`Description`] instead of a verdict;
/// every other field then has its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Input {
    /// True for a describe request.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub describe: bool,
    /// The ABI version of this document (1).
    pub abi: u32,
    /// The plugin's name in `baton.toml`.
    pub plugin: String,
    /// The instant the analysis is made at (RFC 3339, UTC); the only "now" a plugin should use.
    pub as_of: String,
    /// The plugin's own `params` table from `baton.toml`, as JSON.
    pub params: serde_json::Value,
    /// The lead.
    pub lead: Lead,
    /// The lead's events up to `as_of`, oldest first.
    pub events: Vec<Event>,
    /// Events left out (the oldest) to keep the input under the host's input limit.
    #[serde(skip_serializing_if = "is_zero")]
    pub events_omitted: u64,
    /// The lead's rule score at `as_of`, with its explanation.
    pub score: Score,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A lead as the plugin sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Lead {
    /// `lead_id`.
    pub id: String,
    /// `created_at` (RFC 3339, UTC).
    pub created_at: String,
    /// The lifecycle stage the lead is in at `as_of`, if any.
    pub stage: Option<String>,
    /// Every stage entry up to `as_of`, oldest first.
    pub stages: Vec<StageEntry>,
    /// The lead's attributes: numbers, booleans and text; absent values are left out.
    pub attributes: BTreeMap<String, serde_json::Value>,
}

impl Lead {
    /// A numeric attribute.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.attributes
            .get(name)
            .and_then(serde_json::Value::as_f64)
    }

    /// A text attribute.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .and_then(serde_json::Value::as_str)
    }

    /// A boolean attribute.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.attributes
            .get(name)
            .and_then(serde_json::Value::as_bool)
    }
}

/// One entry into a lifecycle stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct StageEntry {
    /// The stage.
    pub stage: String,
    /// When the lead entered it (RFC 3339, UTC).
    pub at: String,
}

/// A touchpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Event {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Days between the event and `as_of`.
    pub age_days: f64,
    /// Event type, e.g. `pricing_page_view`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Channel, e.g. `email`.
    pub channel: String,
    /// `marketing`, `sales` or `customer_success`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Campaign, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Content asset id, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
}

/// The lead's rule score with its explanation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Score {
    /// Total (fit + engagement, capped and floored).
    pub total: f64,
    /// Fit points.
    pub fit: f64,
    /// Engagement points.
    pub engagement: f64,
    /// A–D grade on fit, when fit rules exist.
    pub grade: Option<String>,
    /// Grade and engagement tier, e.g. `A1`.
    pub priority: Option<String>,
    /// Total ≥ the MQL threshold.
    pub mql: bool,
    /// The MQL threshold.
    pub mql_threshold: f64,
    /// Every rule that gave points, largest first.
    pub reasons: Vec<ScoreReason>,
    /// Fit rules that could not be decided, and the attribute missing.
    pub undecided: Vec<Undecided>,
}

/// One scoring rule that gave points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct ScoreReason {
    /// Rule name.
    pub rule: String,
    /// `fit` or `engagement`.
    pub kind: String,
    /// Points given.
    pub points: f64,
    /// Matching events.
    pub event_count: u64,
}

/// A fit rule the data could not decide.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Undecided {
    /// Rule name.
    pub rule: String,
    /// The attribute the lead does not have.
    pub missing: String,
}

/// The document a plugin writes on stdout for a lead.
///
/// A `criterion` plugin sets `qualified` (or leaves it out and lists `missing_data` when it
/// cannot decide); a `score_adjustment` plugin sets `score_adjustment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Pass or fail (criterion plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualified: Option<bool>,
    /// Points to add to the rule score, negative to subtract (score-adjustment plugins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_adjustment: Option<f64>,
    /// Why, in words a sales rep reads; shown in the qualification explanation.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Facts the plugin needed and did not have; shown as what to ask.
    #[serde(default)]
    pub missing_data: Vec<String>,
    /// A rep or queue this lead should go to, overriding `[routing]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_to: Option<String>,
}

impl Verdict {
    /// A pass/fail verdict.
    pub fn qualified(passed: bool) -> Verdict {
        Verdict {
            qualified: Some(passed),
            ..Verdict::default()
        }
    }

    /// A score adjustment.
    pub fn adjust(points: f64) -> Verdict {
        Verdict {
            score_adjustment: Some(points),
            ..Verdict::default()
        }
    }

    /// An undecided verdict naming the missing facts.
    pub fn undecided<S: Into<String>>(missing: impl IntoIterator<Item = S>) -> Verdict {
        Verdict {
            missing_data: missing.into_iter().map(Into::into).collect(),
            ..Verdict::default()
        }
    }

    /// Adds a reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Verdict {
        self.reasons.push(reason.into());
        self
    }

    /// Adds a missing fact.
    pub fn missing(mut self, fact: impl Into<String>) -> Verdict {
        self.missing_data.push(fact.into());
        self
    }

    /// Routes the lead.
    pub fn route_to(mut self, owner: impl Into<String>) -> Verdict {
        self.route_to = Some(owner.into());
        self
    }
}

/// The answer to `{"describe": true}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Description {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The ABI version it speaks (1).
    pub abi: u32,
    /// What it decides, in a sentence.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// A JSON Schema of its `params`.
    pub params_schema: serde_json::Value,
    /// What it reads of the input (its input query): the host sends only that. Absent: all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<Reads>,
}

/// A plugin's input query: the parts of the input it reads. The host leaves the rest out, so the
/// plugin parses less; a plugin that declares nothing gets the whole input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Reads {
    /// Lead attributes by name; the others are left out of `lead.attributes`.
    pub attributes: Vec<String>,
    /// `lead.stage` and `lead.stages` (else no stage entries are sent).
    pub stages: bool,
    /// The event fields it reads, of [`EVENT_FIELDS`]; empty: no events are sent at all.
    pub event_fields: Vec<String>,
    /// Only the events of the last this many days before `as_of` (with `event_fields`).
    pub events_within_days: Option<f64>,
    /// `score`, the lead's rule score with its explanation (else it is left at its default).
    pub score: bool,
}

/// The event fields a [`Reads`] may name.
pub const EVENT_FIELDS: &[&str] = &[
    "at", "age_days", "type", "channel", "team", "campaign", "asset",
];

impl Reads {
    /// Reads nothing yet.
    pub fn new() -> Reads {
        Reads::default()
    }

    /// Reads these lead attributes.
    pub fn attributes(mut self, names: &[&str]) -> Reads {
        self.attributes = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Reads the lead's stage entries.
    pub fn stages(mut self) -> Reads {
        self.stages = true;
        self
    }

    /// Reads these fields of each event (of [`EVENT_FIELDS`]).
    pub fn event_fields(mut self, fields: &[&str]) -> Reads {
        self.event_fields = fields.iter().map(|f| f.to_string()).collect();
        self
    }

    /// Reads only the events of the last `days` days.
    pub fn events_within_days(mut self, days: f64) -> Reads {
        self.events_within_days = Some(days);
        self
    }

    /// Reads the rule score and its explanation.
    pub fn score(mut self) -> Reads {
        self.score = true;
        self
    }

    /// What is wrong with the query (an event field that is not one, a negative window), if
    /// anything.
    pub fn problem(&self) -> Option<String> {
        if let Some(f) = self
            .event_fields
            .iter()
            .find(|f| !EVENT_FIELDS.contains(&f.as_str()))
        {
            return Some(format!(
                "reads.event_fields: {f:?} is not an event field ({})",
                EVENT_FIELDS.join(", ")
            ));
        }
        match self.events_within_days {
            Some(d) if !(d.is_finite() && d >= 0.0) => Some(format!(
                "reads.events_within_days: {d} is not a number of days ≥ 0"
            )),
            _ => None,
        }
    }
}

impl Description {
    /// A description with an empty params schema.
    pub fn new(name: &str, version: &str) -> Description {
        Description {
            name: name.into(),
            version: version.into(),
            abi: ABI_VERSION,
            summary: String::new(),
            params_schema: serde_json::json!({"type": "object"}),
            reads: None,
        }
    }

    /// Declares what the plugin reads (its input query).
    pub fn reads(mut self, reads: Reads) -> Description {
        self.reads = Some(reads);
        self
    }

    /// Sets the summary.
    pub fn summary(mut self, summary: &str) -> Description {
        self.summary = summary.into();
        self
    }

    /// Sets the params schema.
    pub fn params_schema(mut self, schema: serde_json::Value) -> Description {
        self.params_schema = schema;
        self
    }
}

/// Reads the plugin's `params` into a typed struct, with a message naming the plugin on error.
pub fn params<T: serde::de::DeserializeOwned>(input: &Input) -> Result<T, String> {
    serde_json::from_value(input.params.clone())
        .map_err(|e| format!("params of plugin {:?}: {e}", input.plugin))
}

/// Parses an RFC 3339 UTC timestamp as written by Baton (`YYYY-MM-DDTHH:MM:SSZ`, optional
/// fraction) into seconds since the Unix epoch.
pub fn unix_seconds(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { ts.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
/// The engine keeps its own in `core/src/time/syntax.rs`: a plugin links this crate, never core.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(feature = "guest")]
mod guest;

#[cfg(feature = "guest")]
pub use guest::run;

/// Declares a plugin: exports the ABI v1 marker and a `main` that reads stdin, calls `describe`
/// or `evaluate`, and writes the answer on stdout. An `Err` from `evaluate` is written to stderr
/// and ends the plugin with exit status 1, which the host reports as a failure of this lead.
#[cfg(feature = "guest")]
#[macro_export]
macro_rules! plugin {
    ($describe:path, $evaluate:path) => {
        /// Declares that this module speaks Baton plugin ABI v1.
        #[unsafe(no_mangle)]
        pub extern "C" fn baton_plugin_abi_v1() {}

        fn main() {
            $crate::run($describe, $evaluate)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_matches_known_instants() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2026-11-24T17:46:18Z"), Some(1_795_542_378));
        assert_eq!(unix_seconds("2000-02-29T12:00:00.5Z"), Some(951_825_600));
        assert_eq!(unix_seconds("yesterday"), None);
    }

    #[test]
    fn verdict_refuses_unknown_fields() {
        let e = serde_json::from_str::<Verdict>(r#"{"qualifed": true}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `qualifed`"), "{e}");
    }

    #[test]
    fn describe_request_parses_as_input() {
        let i: Input = serde_json::from_str(r#"{"describe": true}"#).unwrap();
        assert!(i.describe);
        assert_eq!(i.events.len(), 0);
    }
}
