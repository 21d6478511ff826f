//! `baton.toml`: the workspace's framework (lifecycle, calendar, SLAs, scoring, ...), every section defaulted.
//!
//! An unknown key, a wrong type or an inconsistent value is a [`ConfigError`] naming the key path and
//! its line in the file.

use crate::order::Map;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

mod automation;
mod condition;
mod keyed;
mod messaging;

pub use automation::{
    Automation, Connectors, HubSpotConnector, NoticeKind, Notify, NotifyFormat, SalesforceConnector,
};
use messaging::check_messaging;
pub use messaging::{FindingSeverities, Messaging, Pillar, Severity};
#[cfg(feature = "toml")]
use toml::de::{DeTable, DeValue};

/// The whole `baton.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[workspace]`: name, time zone, currency, data policies.
    pub workspace: WorkspaceSection,
    /// `[currency]`: conversion rates for deals in other currencies.
    #[serde(skip_serializing_if = "CurrencySection::is_empty")]
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub currency: CurrencySection,
    /// `[lifecycle]`: ordered stages and which team owns them.
    pub lifecycle: Lifecycle,
    /// `[calendar]`: the business calendar SLA clocks run on.
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub calendar: Calendar,
    /// `[sla.<name>]`: service-level agreements measured in business hours.
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub sla: Map<String, Sla>,
    /// `[friction]`: stalled leads and the stage that counts as qualified.
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub friction: Friction,
    /// `[lead_quality]`: extra segments and the minimum size of a flagged segment.
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub lead_quality: LeadQuality,
    /// `[scoring]`: rule-based lead scoring.
    pub scoring: Scoring,
    /// `[qualification]`: named criteria sets (BANT, MEDDIC, custom).
    pub qualification: Qualification,
    /// `[routing]`: who a lead goes to.
    pub routing: Routing,
    /// `[attribution]`: what counts as a conversion and how paths are trimmed.
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub attribution: Attribution,
    /// `[messaging]`: pillars and claims for the messaging audit.
    pub messaging: Messaging,
    /// `[chassis]`: Business Chassis settings.
    #[cfg_attr(not(feature = "analysis-config"), serde(deserialize_with = "unread"))]
    pub chassis: Chassis,
    /// `[[plugins]]`: user-supplied WebAssembly plugins (run by the native host only).
    pub plugins: Vec<Plugin>,
    /// `[connectors]`: the CRMs `baton serve` takes webhooks from and writes back to.
    #[cfg_attr(
        not(feature = "service-config"),
        serde(deserialize_with = "unread", skip_serializing)
    )]
    #[cfg_attr(
        feature = "service-config",
        serde(skip_serializing_if = "Connectors::is_empty")
    )]
    pub connectors: Connectors,
    /// `[automation]`: what `baton serve` sends when a handoff is due.
    #[cfg_attr(
        not(feature = "service-config"),
        serde(deserialize_with = "unread", skip_serializing)
    )]
    pub automation: Automation,
}

/// A section of the workspace analyses in a build without them (the widget's): accepted whatever
/// it holds, unread and unchecked, left at its default (also the service's sections, in a build
/// that is not the service's).
#[cfg(any(not(feature = "analysis-config"), not(feature = "service-config")))]
fn unread<'de, D: serde::Deserializer<'de>, T: Default>(d: D) -> Result<T, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| T::default())
}

/// `[workspace]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct WorkspaceSection {
    /// Display name of the workspace.
    pub name: String,
    /// IANA time zone for naive local timestamps and the business calendar.
    pub timezone: String,
    /// ISO 4217 currency of every amount.
    pub currency: String,
    /// What to do with events timestamped before their lead was created.
    pub events_before_creation: PreCreationPolicy,
    /// Shared plugin folders outside the workspace that `[[plugins]]` paths may lead into
    /// (relative ones from the workspace folder); none by default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugin_dirs: Vec<String>,
}

impl Default for WorkspaceSection {
    fn default() -> Self {
        Self {
            name: "workspace".into(),
            timezone: "UTC".into(),
            currency: "USD".into(),
            events_before_creation: PreCreationPolicy::Keep,
            plugin_dirs: Vec::new(),
        }
    }
}

/// `[currency]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct CurrencySection {
    /// ISO 4217 code → how many units of the workspace currency one unit of it is worth
    /// (`EUR = 1.08` in a USD workspace): a deal in that currency counts `amount × rate`.
    pub rates: Map<String, f64>,
}

impl CurrencySection {
    fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// The rate of a deal currency into the workspace currency (1 for the workspace's own).
    pub fn rate(&self, workspace: &str, code: &str) -> Option<f64> {
        if code.eq_ignore_ascii_case(workspace) {
            return Some(1.0);
        }
        self.rates
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(|(_, r)| *r)
    }
}

/// Policy for events (and stage entries) dated before the lead's `created_at`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PreCreationPolicy {
    /// Keep them (anonymous touches later tied to the contact) and count them as a warning.
    Keep,
    /// Reject them as unusable rows.
    Reject,
}

/// `[lifecycle]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Lifecycle {
    /// The ordered lifecycle stages.
    pub stages: Vec<String>,
    /// Stages owned by marketing; the last one is the handoff stage.
    pub marketing: Vec<String>,
    /// Stages owned by sales.
    pub sales: Vec<String>,
    /// Exit stages (leaving the funnel), e.g. recycled, disqualified.
    pub exits: Vec<String>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Self {
            stages: s(&["lead", "mql", "sal", "sql", "opportunity", "customer"]),
            marketing: s(&["lead", "mql"]),
            sales: s(&["sal", "sql", "opportunity", "customer"]),
            exits: s(&["recycled", "disqualified"]),
        }
    }
}

impl Lifecycle {
    /// The canonical spelling of a stage (funnel or exit) matched case-insensitively.
    pub fn canonical_stage(&self, name: &str) -> Option<&str> {
        self.stages
            .iter()
            .chain(self.exits.iter())
            .find(|s| s.eq_ignore_ascii_case(name.trim()))
            .map(String::as_str)
    }

    /// The handoff stage: the last marketing-owned stage.
    pub fn handoff_stage(&self) -> Option<&str> {
        self.marketing.last().map(String::as_str)
    }
}

/// `[calendar]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Calendar {
    /// Working days: mon, tue, wed, thu, fri, sat, sun.
    pub days: Vec<String>,
    /// Working hours `["HH:MM", "HH:MM"]` in the workspace zone.
    pub hours: Vec<String>,
    /// Holidays `YYYY-MM-DD`: no business hours on these dates.
    pub holidays: Vec<String>,
}

impl Default for Calendar {
    fn default() -> Self {
        Self {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            hours: vec!["09:00".into(), "17:00".into()],
            holidays: Vec::new(),
        }
    }
}

/// `[sla.<name>]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// The stage whose first entry starts the clock.
    pub from_stage: String,
    /// The limit, in business hours.
    pub within_business_hours: f64,
    /// What stops the clock: `sales_touch` (first `team = sales` event), `next_stage`, or a stage name.
    #[serde(default = "default_until")]
    pub until: String,
}

/// What stops an SLA clock ([`Sla::end`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaEnd<'a> {
    /// The first `team = sales` event after the start.
    SalesTouch,
    /// The next stage entry, whatever the stage.
    NextStage,
    /// The first entry into this stage after the start.
    Stage(&'a str),
}

impl Sla {
    /// What stops the clock, as `until` names it.
    pub fn end(&self) -> SlaEnd<'_> {
        match self.until.as_str() {
            "sales_touch" => SlaEnd::SalesTouch,
            "next_stage" => SlaEnd::NextStage,
            stage => SlaEnd::Stage(stage),
        }
    }
}

fn default_until() -> String {
    "sales_touch".into()
}

/// `[friction]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Friction {
    /// A lead in a sales stage with no activity for this many days is stalled.
    pub stalled_after_days: f64,
    /// The stage that counts as "qualified" in conversion and friction cost
    /// (default: `sql` when the lifecycle has it, else the second sales stage, else the first).
    pub qualified_stage: Option<String>,
}

impl Default for Friction {
    fn default() -> Self {
        Self {
            stalled_after_days: 14.0,
            qualified_stage: None,
        }
    }
}

/// `[lead_quality]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct LeadQuality {
    /// Lead attributes to segment by, besides source, industry, employee band and persona.
    pub segments: Vec<String>,
    /// Segments with fewer leads at a step are never flagged.
    pub min_segment_size: u64,
}

impl Default for LeadQuality {
    fn default() -> Self {
        Self {
            segments: Vec::new(),
            min_segment_size: 20,
        }
    }
}

/// `[scoring]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Scoring {
    /// Score at which a lead becomes marketing-qualified.
    pub mql_threshold: f64,
    /// Optional cap on the total score.
    pub max_score: Option<f64>,
    /// Optional floor on the total score.
    pub min_score: Option<f64>,
    /// The scoring rules.
    pub rules: Vec<ScoringRule>,
    /// Leads sales can work per month (for the threshold recommendation); default: today's MQLs per month.
    pub sales_capacity_per_month: Option<f64>,
}

impl Default for Scoring {
    fn default() -> Self {
        Self {
            mql_threshold: 50.0,
            max_score: None,
            min_score: None,
            rules: Vec::new(),
            sales_capacity_per_month: None,
        }
    }
}

/// One `[[scoring.rules]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoringRule {
    /// Rule name, shown in explanations.
    pub name: String,
    /// `fit` (once per lead) or `engagement` (per matching event, decayed).
    pub kind: RuleKind,
    /// Points awarded (negative allowed).
    pub points: f64,
    /// Engagement decay half-life in days.
    #[serde(default)]
    pub half_life_days: Option<f64>,
    /// Engagement cap for this rule.
    #[serde(default)]
    pub max_points: Option<f64>,
    /// The condition.
    pub when: Condition,
}

/// `[qualification]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Qualification {
    /// Named criteria sets.
    pub sets: Vec<CriteriaSet>,
}

/// One `[[qualification.sets]]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CriteriaSet {
    /// Set name (e.g. BANT).
    pub name: String,
    /// `all`, `any`, `at_least` (with `at_least = N`) or `weighted` (with `threshold`).
    #[serde(default = "default_policy")]
    pub policy: String,
    /// For `at_least`: how many criteria must pass.
    #[serde(default)]
    pub at_least: Option<usize>,
    /// For `weighted`: the share of total weight that must pass (0..1).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// The criteria.
    pub criteria: Vec<Criterion>,
}

/// How a criteria set's criteria combine into its verdict: `policy` with `at_least` or
/// `threshold`, resolved ([`CriteriaSet::resolved_policy`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Policy {
    /// Every criterion decided passes.
    All,
    /// At least one passes.
    Any,
    /// At least N pass.
    AtLeast(usize),
    /// The passing criteria carry at least this share (0..1) of the total weight.
    Weighted(f64),
}

impl CriteriaSet {
    /// The set's policy, or the key (`policy`, `at_least`, `threshold`) and what is wrong.
    pub fn resolved_policy(&self) -> Result<Policy, (&'static str, String)> {
        match self.policy.as_str() {
            "all" => Ok(Policy::All),
            "any" => Ok(Policy::Any),
            "at_least" => match self.at_least {
                Some(n) if n >= 1 && n <= self.criteria.len() => Ok(Policy::AtLeast(n)),
                _ => Err((
                    "at_least",
                    format!(
                        "set {:?}: policy at_least needs at_least = 1..{}",
                        self.name,
                        self.criteria.len()
                    ),
                )),
            },
            "weighted" => match self.threshold {
                Some(t) if (0.0..=1.0).contains(&t) => Ok(Policy::Weighted(t)),
                _ => Err((
                    "threshold",
                    format!(
                        "set {:?}: policy weighted needs threshold between 0 and 1",
                        self.name
                    ),
                )),
            },
            other => Err((
                "policy",
                format!(
                    "set {:?}: policy {other:?} is not all, any, at_least or weighted",
                    self.name
                ),
            )),
        }
    }
}

fn default_policy() -> String {
    "all".into()
}

/// One criterion of a set.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Criterion name (e.g. Budget).
    pub name: String,
    /// What a rep should ask when the data is missing.
    #[serde(default)]
    pub ask: Option<String>,
    /// Weight for the `weighted` policy.
    #[serde(default = "one")]
    pub weight: f64,
    /// The condition (lead attributes).
    #[serde(default)]
    pub when: Option<Condition>,
    /// A plugin that decides the criterion (native host only).
    #[serde(default)]
    pub plugin: Option<String>,
}

fn one() -> f64 {
    1.0
}

/// `[routing]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Routing {
    /// Where leads no rule matches go.
    pub default: Option<String>,
    /// Seed of round-robin rotations.
    pub seed: u64,
    /// Rules in order; the first match wins.
    pub rules: Vec<RoutingRule>,
    /// `[routing.booking]`: an owner's booking page (`"ana.ruiz" = "https://cal.example.com/ana"`),
    /// which the site widget offers once the service has routed the visitor to that owner.
    pub booking: Map<String, String>,
}

/// One `[[routing.rules]]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// Rule name.
    pub name: String,
    /// The condition (lead attributes).
    pub when: Condition,
    /// A fixed owner or queue.
    #[serde(default)]
    pub route_to: Option<String>,
    /// An even rotation over these owners.
    #[serde(default)]
    pub round_robin: Vec<String>,
}

/// Kind of scoring rule.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Points once if the lead matches.
    Fit,
    /// Points per matching event, decayed and capped.
    Engagement,
}

/// A condition: `{fact, operator, value}` or `all` / `any` / `not` combinations (read by
/// `config/condition.rs`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged, deny_unknown_fields)]
pub enum Condition {
    /// Every sub-condition holds.
    All {
        /// Sub-conditions.
        all: Vec<Condition>,
    },
    /// At least one sub-condition holds.
    Any {
        /// Sub-conditions.
        any: Vec<Condition>,
    },
    /// The sub-condition does not hold.
    Not {
        /// Sub-condition.
        not: Box<Condition>,
    },
    /// A comparison of one fact with a value.
    Fact {
        /// The fact (lead attribute or event field).
        fact: String,
        /// The operator (`eq`, `gte`, `in`, ...).
        operator: String,
        /// The value compared against (absent for `exists`).
        #[serde(default)]
        value: Option<serde_json::Value>,
    },
}

/// `[attribution]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Attribution {
    /// `"won"` (a won deal) or a lifecycle stage name (entering it).
    pub conversion: String,
    /// Only touches within this many days before the conversion count.
    pub lookback_days: Option<u32>,
    /// Half-life of the time-decay model, in days.
    pub half_life_days: f64,
    /// Seed of the sampled Shapley values (more than 15 channels).
    pub seed: u64,
    /// Permutations sampled for Shapley values beyond 15 channels.
    pub shapley_samples: u32,
}

impl Default for Attribution {
    fn default() -> Self {
        Self {
            conversion: "won".into(),
            lookback_days: None,
            half_life_days: 7.0,
            seed: 42,
            shapley_samples: 20_000,
        }
    }
}

/// `[chassis]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Chassis {
    /// Gross margin as a fraction 0..1; when absent, deal margins are used.
    pub margin: Option<f64>,
    /// Length of the analysis window in days; when absent, the data's span.
    pub period_days: Option<u32>,
}

/// One `[[plugins]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Plugin {
    /// Plugin name, referenced by criteria.
    pub name: String,
    /// Path of the `.wasm` module, relative to the workspace.
    pub path: String,
    /// What the plugin's verdict is used for.
    #[serde(default = "default_role")]
    pub role: PluginRole,
    /// What a failure means for the lead.
    #[serde(default = "default_on_error")]
    pub on_error: OnError,
    /// Parameters handed to the plugin as-is.
    #[serde(default)]
    pub params: serde_json::Value,
    /// Fuel (instructions) per call.
    #[serde(default)]
    pub fuel: Option<u64>,
    /// Memory limit in MiB.
    #[serde(default)]
    pub memory_mib: Option<u32>,
    /// Wall-clock deadline per call in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Maximum verdict size in bytes.
    #[serde(default)]
    pub max_output_bytes: Option<u64>,
    /// Most functions the module may define (checked before it is compiled).
    #[serde(default)]
    pub max_functions: Option<u64>,
    /// Largest body of one function in bytes (checked before compiling).
    #[serde(default)]
    pub max_function_bytes: Option<u64>,
    /// Largest code section in bytes, all function bodies together (checked before compiling).
    #[serde(default)]
    pub max_code_bytes: Option<u64>,
    /// Most locals one function may declare (checked before compiling).
    #[serde(default)]
    pub max_locals: Option<u64>,
    /// Deepest nesting of blocks, loops and ifs in one function (checked before compiling).
    #[serde(default)]
    pub max_nesting: Option<u64>,
    /// Deepest operand stack one function may build (checked before compiling).
    #[serde(default)]
    pub max_operand_stack: Option<u64>,
    /// Deadline for compiling the module, in milliseconds.
    #[serde(default)]
    pub compile_timeout_ms: Option<u64>,
}

impl Plugin {
    /// Each limit's key in `[[plugins]]`, the value given (if any), and the range it must be in.
    pub fn limits(&self) -> [(&'static str, Option<u64>, std::ops::RangeInclusive<u64>); 11] {
        [
            ("fuel", self.fuel, 1..=1_000_000_000_000),
            ("memory_mib", self.memory_mib.map(u64::from), 1..=1024),
            ("timeout_ms", self.timeout_ms, 1..=600_000),
            ("max_output_bytes", self.max_output_bytes, 1..=16 << 20),
            ("max_functions", self.max_functions, 1..=1_000_000),
            ("max_function_bytes", self.max_function_bytes, 1..=32 << 20),
            ("max_code_bytes", self.max_code_bytes, 1..=32 << 20),
            ("max_locals", self.max_locals, 1..=50_000),
            ("max_nesting", self.max_nesting, 1..=100_000),
            ("max_operand_stack", self.max_operand_stack, 1..=1_000_000),
            ("compile_timeout_ms", self.compile_timeout_ms, 1..=600_000),
        ]
    }
}

fn default_role() -> PluginRole {
    PluginRole::Criterion
}

fn default_on_error() -> OnError {
    OnError::FailClosed
}

/// Role of a plugin.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PluginRole {
    /// A qualification criterion (pass/fail).
    Criterion,
    /// A score adjustment.
    ScoreAdjustment,
}

/// Failure policy of a plugin.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// A failing plugin fails the criterion.
    FailClosed,
    /// A failing plugin passes the criterion.
    FailOpen,
    /// A failing plugin is left out of the verdict.
    Skip,
}

impl OnError {
    /// The snake_case name used in `baton.toml` and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::FailClosed => "fail_closed",
            OnError::FailOpen => "fail_open",
            OnError::Skip => "skip",
        }
    }
}

impl Config {
    /// The lead attributes its rules name (scoring rules, qualification criteria, routing rules),
    /// each once, in the order first named; an engagement rule's event fields are not attributes.
    /// A store that has no lead with one of them yet still knows the column (empty).
    pub fn rule_attributes(&self) -> Vec<String> {
        use crate::conditions::{Cond, EVENT_FIELDS};
        let scoring = self.scoring.rules.iter().map(|r| {
            let events = r.kind == RuleKind::Engagement;
            (&r.when, events)
        });
        let criteria = self
            .qualification
            .sets
            .iter()
            .flat_map(|s| &s.criteria)
            .filter_map(|c| c.when.as_ref().map(|w| (w, false)));
        let routing = self.routing.rules.iter().map(|r| (&r.when, false));
        let mut out: Vec<String> = Vec::new();
        for (when, events) in scoring.chain(criteria).chain(routing) {
            let Ok(cond) = Cond::compile("", when) else {
                continue;
            };
            for (fact, _, _) in cond.facts() {
                let event_field = events && EVENT_FIELDS.contains(&fact);
                if !event_field && !out.iter().any(|o| o.eq_ignore_ascii_case(fact)) {
                    out.push(fact.to_string());
                }
            }
        }
        out
    }
}

/// A `baton.toml` problem, naming the key and its line (`baton.toml:12: `scoring.rules.0.points`: …`;
/// a line 0 or an empty key is left out of the text).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}{}: {message}", if *line > 0 { format!(":{line}") } else { String::new() }, if key.is_empty() { String::new() } else { format!(": `{key}`") })]
#[non_exhaustive]
pub struct ConfigError {
    /// The file name as given by the caller.
    pub file: String,
    /// Dotted key path, e.g. `sla.first_touch.from_stage`.
    pub key: String,
    /// 1-based line (0 when the key is absent from the file, e.g. a default).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A problem with `key` at `line` of `file`.
    pub fn new(file: &str, key: &str, line: usize, message: String) -> ConfigError {
        ConfigError {
            file: file.into(),
            key: key.into(),
            line,
            message,
        }
    }
}

/// A validated configuration together with the resolved time zone.
#[derive(Debug, Clone)]
pub struct Framework {
    /// The configuration as written (defaults filled in).
    pub config: Config,
    /// The workspace time zone.
    pub tz: TimeZone,
    /// Working days, Monday = 0.
    pub working_days: [bool; 7],
    /// Start of the working day.
    pub day_start: Time,
    /// End of the working day.
    pub day_end: Time,
    /// Holidays, sorted.
    pub holidays: Vec<Date>,
    /// Stage names: `[lifecycle] stages` then `exits` (what a workspace's stage indices name).
    pub stage_names: std::sync::Arc<[String]>,
}

impl Framework {
    #[cfg(feature = "toml")]
    /// Parses and validates `baton.toml` text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Framework, ConfigError> {
        Self::from_toml_with_zone(file, text, None)
    }

    #[cfg(feature = "toml")]
    /// As [`Framework::from_toml`], with the workspace zone's rules given as TZif bytes (what a
    /// build without the time-zone database needs for any zone but UTC).
    pub fn from_toml_with_zone(
        file: &str,
        text: &str,
        tzif: Option<&[u8]>,
    ) -> Result<Framework, ConfigError> {
        let syntax = |e: toml::de::Error| {
            let span = e.span();
            ConfigError {
                file: file.into(),
                key: span
                    .as_ref()
                    .map(|s| key_path_at(text, s.start))
                    .unwrap_or_default(),
                line: span.as_ref().map_or(0, |s| line_of(text, s.start)),
                message: e.message().trim().to_string(),
            }
        };
        let keyed = |(key, message): (String, String)| ConfigError {
            file: file.into(),
            line: line_of_key(text, &key),
            key,
            message,
        };
        let doc = DeTable::parse(text).map_err(syntax)?;
        let mut path = Vec::new();
        let value = toml_to_json(doc.get_ref(), &mut path)
            .map_err(|message| keyed((path.join("."), message)))?;
        let config = config_from_value(value).map_err(keyed)?;
        Self::validate(config, &|key| line_of_key(text, key), file, tzif)
    }

    /// Parses and validates a configuration given as JSON text with `baton.toml`'s structure (a
    /// page's config object); `file` names it in errors, which carry the key path.
    pub fn from_json(file: &str, text: &str) -> Result<Framework, ConfigError> {
        Self::from_json_with_zone(file, text, None)
    }

    /// As [`Framework::from_json`], with the workspace zone's rules given as TZif bytes.
    pub fn from_json_with_zone(
        file: &str,
        text: &str,
        tzif: Option<&[u8]>,
    ) -> Result<Framework, ConfigError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ConfigError {
            file: file.into(),
            key: String::new(),
            line: e.line(),
            message: e.to_string(),
        })?;
        let config = config_from_value(value).map_err(|(key, message)| ConfigError {
            file: file.into(),
            line: 0,
            key,
            message,
        })?;
        Self::validate(config, &|_| 0, file, tzif)
    }

    /// Validates an already-built configuration (e.g. the defaults, or one from JSON).
    pub fn from_config(config: Config) -> Result<Framework, ConfigError> {
        Self::validate(config, &|_| 0, "baton.toml", None)
    }

    fn validate(
        config: Config,
        line: &dyn Fn(&str) -> usize,
        file: &str,
        tzif: Option<&[u8]>,
    ) -> Result<Framework, ConfigError> {
        let err = |key: &str, message: String| ConfigError {
            file: file.into(),
            key: key.into(),
            line: line(key),
            message,
        };
        let tz = time_zone(&config.workspace.timezone, tzif)
            .map_err(|message| err("workspace.timezone", message))?;
        let cur = &config.workspace.currency;
        if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(err(
                "workspace.currency",
                format!("expected an ISO 4217 code such as \"USD\", got {cur:?}"),
            ));
        }
        #[cfg(feature = "analysis-config")]
        for (code, rate) in &config.currency.rates {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(err(
                    "currency.rates",
                    format!("{code:?} is not an ISO 4217 code such as \"EUR\""),
                ));
            }
            if !(rate.is_finite() && *rate > 0.0) {
                return Err(err(
                    "currency.rates",
                    format!("the rate of {code} must be a positive number"),
                ));
            }
        }
        let lc = &config.lifecycle;
        if lc.stages.is_empty() {
            return Err(err("lifecycle.stages", "needs at least one stage".into()));
        }
        let mut seen: Vec<String> = Vec::new();
        for s in lc.stages.iter().chain(lc.exits.iter()) {
            let lower = s.to_ascii_lowercase();
            if s.trim().is_empty() {
                return Err(err("lifecycle.stages", "a stage name is empty".into()));
            }
            if seen.contains(&lower) {
                return Err(err(
                    "lifecycle.stages",
                    format!("stage {s:?} is listed twice (stages and exits share one namespace)"),
                ));
            }
            seen.push(lower);
        }
        for (key, list) in [
            ("lifecycle.marketing", &lc.marketing),
            ("lifecycle.sales", &lc.sales),
        ] {
            for s in list {
                if !lc.stages.iter().any(|x| x == s) {
                    return Err(err(
                        key,
                        format!("{s:?} is not one of lifecycle.stages {:?}", lc.stages),
                    ));
                }
            }
        }
        if let Some(s) = lc.marketing.iter().find(|s| lc.sales.contains(s)) {
            return Err(err(
                "lifecycle.sales",
                format!("{s:?} is owned by both marketing and sales"),
            ));
        }
        let mut working_days = [false; 7];
        for d in &config.calendar.days {
            let i = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .position(|x| x.eq_ignore_ascii_case(d.get(..3).unwrap_or(d)) && d.len() >= 3)
                .ok_or_else(|| {
                    err(
                        "calendar.days",
                        format!("{d:?} is not a weekday (mon, tue, wed, thu, fri, sat, sun)"),
                    )
                })?;
            working_days[i] = true;
        }
        if config.calendar.hours.len() != 2 {
            return Err(err(
                "calendar.hours",
                "expected two times, [\"09:00\", \"17:00\"]".into(),
            ));
        }
        let parse_time = |t: &str| -> Result<Time, ConfigError> {
            crate::time::syntax::parse_clock(t)
                .ok_or_else(|| err("calendar.hours", format!("{t:?} is not a time HH:MM")))
        };
        let day_start = parse_time(&config.calendar.hours[0])?;
        let day_end = parse_time(&config.calendar.hours[1])?;
        if day_end <= day_start {
            return Err(err(
                "calendar.hours",
                "the end of the working day must be after its start".into(),
            ));
        }
        let mut holidays = Vec::new();
        for h in &config.calendar.holidays {
            holidays.push(crate::time::syntax::parse_date(h).ok_or_else(|| {
                err(
                    "calendar.holidays",
                    format!("{h:?} is not a date YYYY-MM-DD"),
                )
            })?);
        }
        crate::order::sort(&mut holidays);
        holidays.dedup();
        // The analyses' sections (left at their defaults, unread, in a build without them).
        if cfg!(feature = "analysis-config") {
            for (name, sla) in &config.sla {
                let key = format!("sla.{name}.from_stage");
                if !lc.stages.iter().any(|s| s == &sla.from_stage) {
                    return Err(err(
                        &key,
                        format!(
                            "{:?} is not one of lifecycle.stages {:?}",
                            sla.from_stage, lc.stages
                        ),
                    ));
                }
                if ["stage", "friction", "friction_cost"].contains(&name.as_str()) {
                    return Err(err(
                        &format!("sla.{name}"),
                        format!(
                            "{name:?} is a reserved name in report.json's handoff section; choose another"
                        ),
                    ));
                }
                let until_ok = match sla.end() {
                    SlaEnd::SalesTouch | SlaEnd::NextStage => true,
                    SlaEnd::Stage(stage) => lc.stages.iter().chain(&lc.exits).any(|s| s == stage),
                };
                if !until_ok {
                    return Err(err(
                        &format!("sla.{name}.until"),
                        format!(
                            "expected \"sales_touch\", \"next_stage\" or a stage name, got {:?}",
                            sla.until
                        ),
                    ));
                }
                if !(sla.within_business_hours.is_finite() && sla.within_business_hours > 0.0) {
                    return Err(err(
                        &format!("sla.{name}.within_business_hours"),
                        "must be a positive number of business hours".into(),
                    ));
                }
            }
            if let Some(q) = &config.friction.qualified_stage
                && !lc.stages.iter().any(|s| s == q)
            {
                return Err(err(
                    "friction.qualified_stage",
                    format!("{q:?} is not one of lifecycle.stages {:?}", lc.stages),
                ));
            }
            if !(config.friction.stalled_after_days.is_finite()
                && config.friction.stalled_after_days > 0.0)
            {
                return Err(err(
                    "friction.stalled_after_days",
                    "must be a positive number of days".into(),
                ));
            }
        }
        if crate::text::Analyzer::new(&config.messaging.language).is_none() {
            return Err(err(
                "messaging.language",
                format!(
                    "{:?} is not a supported language (english, german, french, spanish, italian, portuguese, dutch, swedish, norwegian, danish, finnish, russian)",
                    config.messaging.language
                ),
            ));
        }
        check_messaging(&config.messaging).map_err(|(key, message)| err(&key, message))?;
        #[cfg(feature = "service-config")]
        {
            automation::check_connectors(&config.connectors)
                .map_err(|(key, message)| err(&key, message))?;
            automation::check_automation(&config.automation)
                .map_err(|(key, message)| err(&key, message))?;
        }
        if cfg!(feature = "analysis-config") {
            let conv = &config.attribution.conversion;
            if conv != "won" && !lc.stages.iter().any(|s| s == conv) {
                return Err(err(
                    "attribution.conversion",
                    format!(
                        "expected \"won\" or one of lifecycle.stages {:?}, got {conv:?}",
                        lc.stages
                    ),
                ));
            }
            if !(config.attribution.half_life_days.is_finite()
                && config.attribution.half_life_days > 0.0)
            {
                return Err(err(
                    "attribution.half_life_days",
                    "must be a positive number of days".into(),
                ));
            }
            if let Some(m) = config.chassis.margin
                && !(0.0..=1.0).contains(&m)
            {
                return Err(err(
                    "chassis.margin",
                    format!("a margin is a fraction between 0 and 1, got {m}"),
                ));
            }
        }
        check_scoring_numbers(&config.scoring).map_err(|(key, message)| err(&key, message))?;
        if config.calendar.days.is_empty() {
            return Err(err(
                "calendar.days",
                "needs at least one working day: with none, no business hour ever passes and no SLA clock runs".into(),
            ));
        }
        for (i, set) in config.qualification.sets.iter().enumerate() {
            if let Some(j) = config.qualification.sets[..i]
                .iter()
                .position(|s| s.name == set.name)
            {
                return Err(err(
                    &format!("qualification.sets.{i}.name"),
                    format!("set {:?} is declared twice (also sets.{j})", set.name),
                ));
            }
            if set.criteria.len() > MAX_CRITERIA {
                return Err(err(
                    &format!("qualification.sets.{i}.criteria"),
                    format!(
                        "set {:?} has {} criteria; the limit is {MAX_CRITERIA}",
                        set.name,
                        set.criteria.len()
                    ),
                ));
            }
            for (j, c) in set.criteria.iter().enumerate() {
                if !(c.weight.is_finite() && (0.0..=MAX_POINTS).contains(&c.weight)) {
                    return Err(err(
                        &format!("qualification.sets.{i}.criteria.{j}.weight"),
                        format!(
                            "criterion {:?}: weight must be a number from 0 to {MAX_POINTS}",
                            c.name
                        ),
                    ));
                }
            }
        }
        for (i, rule) in config.scoring.rules.iter().enumerate() {
            if rule.kind == RuleKind::Engagement
                && let Some(h) = rule.half_life_days
                && !(h.is_finite() && h > 0.0)
            {
                return Err(err(
                    &format!("scoring.rules.{i}.half_life_days"),
                    format!(
                        "rule {:?}: half-life must be a positive number of days",
                        rule.name
                    ),
                ));
            }
        }
        for (i, set) in config.qualification.sets.iter().enumerate() {
            let key = format!("qualification.sets.{i}");
            if let Err((part, message)) = set.resolved_policy() {
                return Err(err(&format!("{key}.{part}"), message));
            }
            for (j, c) in set.criteria.iter().enumerate() {
                if c.when.is_some() == c.plugin.is_some() {
                    return Err(err(
                        &format!("{key}.criteria.{j}"),
                        format!(
                            "criterion {:?}: give exactly one of `when` or `plugin`",
                            c.name
                        ),
                    ));
                }
            }
        }
        for (i, r) in config.routing.rules.iter().enumerate() {
            if r.route_to.is_some() != r.round_robin.is_empty() {
                return Err(err(
                    &format!("routing.rules.{i}"),
                    format!(
                        "routing rule {:?}: give exactly one of `route_to` or `round_robin`",
                        r.name
                    ),
                ));
            }
        }
        for (owner, url) in &config.routing.booking {
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || url.len() > 2_000
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(err(
                    &format!("routing.booking.{owner}"),
                    format!(
                        "the booking link of {owner:?} must be an http(s) URL without spaces, got {url:?}"
                    ),
                ));
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, p) in config.plugins.iter().enumerate() {
            if names.contains(&p.name.as_str()) {
                return Err(err(
                    &format!("plugins.{i}.name"),
                    format!("plugin {:?} is declared twice", p.name),
                ));
            }
            names.push(&p.name);
            #[cfg(feature = "plugin-host")]
            for (key, value, range) in p.limits() {
                if let Some(v) = value
                    && !range.contains(&v)
                {
                    return Err(err(
                        &format!("plugins.{i}.{key}"),
                        format!(
                            "plugin {:?}: {key} = {v} is outside {}..={}",
                            p.name,
                            range.start(),
                            range.end()
                        ),
                    ));
                }
            }
        }
        let lifecycle = &config.lifecycle;
        let stage_names = lifecycle
            .stages
            .iter()
            .chain(&lifecycle.exits)
            .cloned()
            .collect();
        Ok(Framework {
            stage_names,
            config,
            tz,
            working_days,
            day_start,
            day_end,
            holidays,
        })
    }
}

impl Framework {
    /// The stage that counts as "qualified" (see [`Friction::qualified_stage`]).
    pub fn qualified_stage(&self) -> Option<&str> {
        let lc = &self.config.lifecycle;
        if let Some(q) = &self.config.friction.qualified_stage {
            return Some(q);
        }
        if lc.stages.iter().any(|s| s == "sql") {
            return Some("sql");
        }
        lc.sales.get(1).or(lc.sales.first()).map(String::as_str)
    }
}

impl Default for Framework {
    fn default() -> Self {
        // The defaults are valid by construction; a failure here is a bug caught by the tests.
        match Framework::from_config(Config::default()) {
            Ok(f) => f,
            Err(e) => panic!("default configuration is invalid: {e}"),
        }
    }
}

/// Most criteria in one qualification set.
pub const MAX_CRITERIA: usize = 1_000;

/// Largest magnitude of any points value, score bound or weight in `[scoring]`.
pub const MAX_POINTS: f64 = 1e9;

/// Points and score bounds are finite and ordered: `points = 1e308` would make scores `inf`.
fn check_scoring_numbers(scoring: &Scoring) -> Result<(), (String, String)> {
    let bounded = |x: f64| x.is_finite() && x.abs() <= MAX_POINTS;
    let mut values = vec![
        (
            "scoring.mql_threshold".to_string(),
            Some(scoring.mql_threshold),
            false,
        ),
        ("scoring.max_score".into(), scoring.max_score, false),
        ("scoring.min_score".into(), scoring.min_score, false),
    ];
    for (i, rule) in scoring.rules.iter().enumerate() {
        values.push((
            format!("scoring.rules.{i}.points"),
            Some(rule.points),
            false,
        ));
        values.push((
            format!("scoring.rules.{i}.max_points"),
            rule.max_points,
            true,
        ));
    }
    for (key, value, non_negative) in values {
        if let Some(v) = value
            && !(bounded(v) && (!non_negative || v >= 0.0))
        {
            let range = if non_negative {
                "from 0 to 1e9"
            } else {
                "from -1e9 to 1e9"
            };
            return Err((key, format!("must be a finite number {range}")));
        }
    }
    if let (Some(min), Some(max)) = (scoring.min_score, scoring.max_score)
        && min > max
    {
        return Err((
            "scoring.min_score".into(),
            format!("min_score = {min} is above max_score = {max}"),
        ));
    }
    if let Some(c) = scoring.sales_capacity_per_month
        && !(c.is_finite() && c > 0.0)
    {
        return Err((
            "scoring.sales_capacity_per_month".into(),
            "must be a positive number of leads".into(),
        ));
    }
    Ok(())
}

#[cfg(feature = "toml")]
/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(feature = "toml")]
/// The line where a dotted key path is written, or 0 when the file does not write it.
fn line_of_key(text: &str, path: &str) -> usize {
    let Ok(doc) = DeTable::parse(text) else {
        return 0;
    };
    let mut table = doc.get_ref();
    let mut parts = path.split('.').peekable();
    let mut line = 0;
    while let Some(part) = parts.next() {
        let Some((key, value)) = table.get_key_value(part) else {
            return line;
        };
        line = line_of(text, key.span().start);
        match value.get_ref() {
            DeValue::Table(t) => table = t,
            DeValue::Array(items) => {
                // `rules.3.x`: step into the indexed table.
                let next = parts.peek().and_then(|p| p.parse::<usize>().ok());
                match next.and_then(|i| items.get(i)) {
                    Some(item) => {
                        parts.next();
                        line = line_of(text, item.span().start);
                        match item.get_ref() {
                            DeValue::Table(t) => table = t,
                            _ => return line,
                        }
                    }
                    None => return line,
                }
            }
            _ => return line,
        }
    }
    line
}

/// The zone named `name`: from its TZif bytes when given, else from the bundled database. jiff's
/// databases answer `UTC` (any case) with `TimeZone::UTC`; a build without the `tzdb` feature
/// has no database, so that one answer is given here, the same.
fn time_zone(name: &str, tzif: Option<&[u8]>) -> Result<TimeZone, String> {
    if let Some(bytes) = tzif {
        #[cfg(feature = "zones")]
        // jiff's reason is left out: formatting its errors links all of its error texts (~8 KB
        // of the browser package) for a message about a file the package itself ships.
        return TimeZone::tzif(name, bytes).map_err(|_| {
            format!(
                "the TZif data given for {name:?} is not valid: not a TZif file (RFC 8536), or truncated ({} bytes)",
                bytes.len()
            )
        });
        #[cfg(not(feature = "zones"))]
        return Err(format!(
            "this build (the widget build) knows UTC only: {name:?} ({} bytes of TZif data given) needs the full engine",
            bytes.len()
        ));
    }
    if name.eq_ignore_ascii_case("UTC") {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|_| {
        if cfg!(feature = "tzdb") {
            format!(
                "unknown IANA time zone {name:?} (e.g. \"America/New_York\", \"Europe/Berlin\", \"UTC\")"
            )
        } else if !cfg!(feature = "zones") {
            format!(
                "time zone {name:?} needs the time zone database, which this build (the widget build) leaves out: use \"UTC\" or the full engine"
            )
        } else {
            format!(
                "time zone {name:?} needs its rules: this build has no time-zone database, so pass the zone's TZif bytes (the npm package ships them as tz/{name})"
            )
        }
    })
}

#[cfg(feature = "toml")]
/// The time zone a `baton.toml` text names in `[workspace] timezone`, if it names one other than
/// UTC (what a build without the database must be given TZif bytes for); `None` for invalid TOML.
pub fn zone_to_load(text: &str) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    let workspace = doc.get_ref().get("workspace")?;
    let DeValue::Table(t) = workspace.get_ref() else {
        return None;
    };
    match t.get("timezone")?.get_ref() {
        DeValue::String(zone) if !zone.eq_ignore_ascii_case("UTC") => Some(zone.to_string()),
        _ => None,
    }
}

/// Builds the configuration from a JSON tree: TOML and JSON configurations both go through this
/// one deserializer (one copy of the code in the browser build). Errors give the dotted key path
/// (`scoring.rules.3.points`) and serde's message.
fn config_from_value(value: serde_json::Value) -> Result<Config, (String, String)> {
    keyed::deserialize(&value).map_err(|(mut key, message)| {
        // serde names an unknown field in its message; make sure the path ends at it.
        if let Some(field) = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
            && key.last().map(String::as_str) != Some(field)
        {
            key.push(field.to_string());
        }
        (key.join("."), message)
    })
}

#[cfg(feature = "toml")]
/// A TOML document as a JSON tree (datetimes become their text); `path` is left at the key of a
/// value JSON cannot hold (an integer beyond 64 bits, `nan` or `inf`).
fn toml_to_json(table: &DeTable<'_>, path: &mut Vec<String>) -> Result<serde_json::Value, String> {
    let mut out = serde_json::Map::new();
    for (key, value) in table.iter() {
        path.push(key.get_ref().to_string());
        let v = toml_value_to_json(value.get_ref(), path)?;
        path.pop();
        out.insert(key.get_ref().to_string(), v);
    }
    Ok(serde_json::Value::Object(out))
}

#[cfg(feature = "toml")]
fn toml_value_to_json(
    value: &DeValue<'_>,
    path: &mut Vec<String>,
) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        DeValue::String(s) => J::String(s.to_string()),
        DeValue::Boolean(b) => J::Bool(*b),
        DeValue::Datetime(d) => J::String(d.to_string()),
        DeValue::Integer(i) => {
            let n = i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| format!("integer {i} is out of range"))?;
            J::Number(n.into())
        }
        DeValue::Float(f) => {
            let x: f64 = f
                .as_str()
                .parse()
                .map_err(|_| format!("invalid float {f}"))?;
            J::Number(
                serde_json::Number::from_f64(x)
                    .ok_or_else(|| format!("{f} is not a usable number here"))?,
            )
        }
        DeValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(toml_value_to_json(item.get_ref(), path)?);
                path.pop();
            }
            J::Array(out)
        }
        DeValue::Table(t) => toml_to_json(t, path)?,
    })
}

#[cfg(feature = "toml")]
/// The dotted key path of the deepest key whose entry contains `offset`.
fn key_path_at(text: &str, offset: usize) -> String {
    let (doc, _) = DeTable::parse_recoverable(text);
    let mut path = Vec::new();
    descend(doc.get_ref(), offset, &mut path);
    path.join(".")
}

#[cfg(feature = "toml")]
/// Pushes onto `path` the keys leading to the entry at `offset`; true when found.
fn descend(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    for (key, value) in table.iter() {
        path.push(key.get_ref().to_string());
        if key.span().contains(&offset) {
            return true;
        }
        match value.get_ref() {
            // A table's own span covers only its header, so search inside every table.
            DeValue::Table(t) => {
                if descend(t, offset, path) || value.span().contains(&offset) {
                    return true;
                }
            }
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let found = match item.get_ref() {
                        DeValue::Table(t) => descend(t, offset, path),
                        _ => false,
                    };
                    if found || item.span().contains(&offset) {
                        return true;
                    }
                    path.pop();
                }
                if value.span().contains(&offset) {
                    return true;
                }
            }
            _ => {
                if value.span().contains(&offset) {
                    return true;
                }
            }
        }
        path.pop();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let f = Framework::from_toml("baton.toml", "").expect("empty config");
        assert_eq!(f.config.lifecycle.handoff_stage(), Some("mql"));
        assert_eq!(f.working_days, [true, true, true, true, true, false, false]);
        assert!(f.config.sla.is_empty());
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = "[workspace]\nname = \"x\"\n\n[calendar]\nhourz = [\"09:00\", \"17:00\"]\n";
        let e = Framework::from_toml("baton.toml", text).expect_err("unknown key");
        assert_eq!(e.line, 5);
        assert_eq!(e.key, "calendar.hourz");
        assert!(e.message.contains("unknown field `hourz`"), "{}", e.message);
    }

    #[test]
    fn wrong_type_names_key_and_line() {
        let text = "[workspace]\nname = \"x\"\ncurrency = 12\n";
        let e = Framework::from_toml("baton.toml", text).expect_err("wrong type");
        assert_eq!(e.line, 3);
        assert_eq!(e.key, "workspace.currency");
        assert!(e.message.contains("invalid type"), "{}", e.message);
    }

    #[test]
    fn nested_errors_name_the_indexed_key() {
        let text = "[scoring]\n[[scoring.rules]]\nname = \"a\"\nkind = \"fit\"\npoints = 5\nwhen = { fact = \"employees\", operator = \"gte\", value = 10 }\n\n[[scoring.rules]]\nname = \"b\"\nkind = \"fit\"\npoints = \"five\"\nwhen = { fact = \"employees\", operator = \"gte\", value = 10 }\n";
        let e = Framework::from_toml("baton.toml", text).expect_err("wrong type");
        assert_eq!((e.key.as_str(), e.line), ("scoring.rules.1.points", 11));
        // The same configuration as JSON (a page's config object) names the same key.
        let json = r#"{"scoring":{"rules":[{"name":"b","kind":"fit","points":"five","when":{"fact":"employees","operator":"gte","value":10}}]}}"#;
        let e = Framework::from_json("config", json).expect_err("wrong type");
        assert_eq!(e.key, "scoring.rules.0.points");
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = Framework::from_toml("baton.toml", "[workspace]\nname = 1e999\n").expect_err("inf");
        assert_eq!((e.key.as_str(), e.line), ("workspace.name", 2));
    }

    #[test]
    fn toml_numbers_in_every_notation() {
        let text = "[scoring]\nmql_threshold = 1_000\nmax_score = 0x7D0\nmin_score = -1_0.5e0\n";
        let f = Framework::from_toml("baton.toml", text).expect("numbers");
        assert_eq!(f.config.scoring.mql_threshold, 1000.0);
        assert_eq!(f.config.scoring.max_score, Some(2000.0));
        assert_eq!(f.config.scoring.min_score, Some(-10.5));
    }

    #[test]
    fn connector_and_automation_errors_name_key_and_line() {
        let ok = "[connectors.hubspot]\nsecret_env = \"HS_SECRET\"\n[connectors.salesforce]\norganization_id = \"00D5g000004ABCD\"\n[automation]\nescalate_after_business_hours = 2\n[[automation.notify]]\nname = \"s\"\nformat = \"slack\"\nurl_env = \"SLACK_URL\"\n";
        let f = Framework::from_toml("baton.toml", ok).expect("valid");
        assert_eq!(f.config.automation.due_soon_share, 0.75);
        assert_eq!(
            f.config.connectors.hubspot.map(|h| h.api_base),
            Some("https://api.hubapi.com".to_string())
        );
        for (text, key, line, says) in [
            (
                "[connectors.hubspot]\nsecret_env = \"my-secret-value\"\n",
                "connectors.hubspot.secret_env",
                2,
                "not an environment variable name",
            ),
            (
                "[connectors.salesforce]\norganization_id = \"00D\"\n",
                "connectors.salesforce.organization_id",
                2,
                "15 or 18",
            ),
            (
                "[connectors.salesforce]\norganization_id = \"00D5g000004ABCD\"\ntoken_env = \"T\"\n",
                "connectors.salesforce.instance_url",
                0,
                "instance_url",
            ),
            (
                "[automation]\ndue_soon_share = 1.5\n",
                "automation.due_soon_share",
                2,
                "between 0 and 1",
            ),
            (
                "[[automation.notify]]\nname = \"x\"\nformat = \"json\"\nurl = \"https://h.example\"\n",
                "automation.notify.0.secret_env",
                0,
                "signing secret",
            ),
            (
                "[[automation.notify]]\nname = \"x\"\nformat = \"slack\"\nurl = \"ftp://h\"\n",
                "automation.notify.0.url",
                4,
                "http(s) URL",
            ),
            (
                "[[automation.notify]]\nname = \"x\"\nformat = \"teams\"\nurl = \"https://h\"\n",
                "automation.notify.0.format",
                3,
                "unknown variant",
            ),
        ] {
            let e = Framework::from_toml("baton.toml", text).expect_err(text);
            assert_eq!(e.key, key, "{text}");
            assert!(e.message.contains(says), "{text}: {}", e.message);
            if line > 0 {
                assert_eq!(e.line, line, "{text}");
            }
        }
    }

    #[test]
    fn semantic_errors_name_key_and_line() {
        let text = "[workspace]\ntimezone = \"Mars/Olympus\"\n";
        let e = Framework::from_toml("baton.toml", text).expect_err("bad tz");
        assert_eq!((e.key.as_str(), e.line), ("workspace.timezone", 2));
        let text = "[sla.first_touch]\nfrom_stage = \"mqll\"\nwithin_business_hours = 4\n";
        let e = Framework::from_toml("baton.toml", text).expect_err("bad stage");
        assert_eq!((e.key.as_str(), e.line), ("sla.first_touch.from_stage", 2));
    }

    #[test]
    fn condition_errors_name_the_nested_key() {
        let rule = |when: &str| {
            format!("[[scoring.rules]]\nname = \"r\"\nkind = \"fit\"\npoints = 5\nwhen = {when}\n")
        };
        let cases = [
            (
                r#"{ all = [{ fact = "industry", operator = "eq", value = "x" }, { fact = "employees", operatr = "gte" }] }"#,
                "scoring.rules.0.when.all.1.operatr",
                "unknown field `operatr`",
            ),
            (
                r#"{ any = [{ not = { fact = "employees" } }] }"#,
                "scoring.rules.0.when.any.0.not",
                "missing field `operator`",
            ),
            (
                r#"{ all = [], fact = "employees", operator = "exists" }"#,
                "scoring.rules.0.when",
                "`all` combines conditions and cannot sit with",
            ),
            (
                r#"{ all = [], any = [] }"#,
                "scoring.rules.0.when",
                "one of `all`, `any` or `not`, not several",
            ),
            (
                r#"{ operator = "eq" }"#,
                "scoring.rules.0.when",
                "missing field `fact`",
            ),
            (
                r#""employees""#,
                "scoring.rules.0.when",
                "invalid type: string",
            ),
        ];
        for (when, key, message) in cases {
            let e = Framework::from_toml("baton.toml", &rule(when)).expect_err(when);
            assert_eq!((e.key.as_str(), e.line), (key, 5), "{when}");
            assert!(e.message.contains(message), "{when}: {}", e.message);
        }
        // Every shape reads as before.
        let text = rule(
            r#"{ all = [{ fact = "employees", operator = "exists" }, { not = { any = [{ fact = "industry", operator = "in", value = ["a", "b"] }] } }] }"#,
        );
        let f = Framework::from_toml("baton.toml", &text).expect("valid");
        let fact = |f: &str, op: &str, value: Option<serde_json::Value>| Condition::Fact {
            fact: f.into(),
            operator: op.into(),
            value,
        };
        assert_eq!(
            f.config.scoring.rules[0].when,
            Condition::All {
                all: vec![
                    fact("employees", "exists", None),
                    Condition::Not {
                        not: Box::new(Condition::Any {
                            any: vec![fact("industry", "in", Some(serde_json::json!(["a", "b"])))]
                        })
                    },
                ]
            }
        );
    }
}
