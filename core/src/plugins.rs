//! WebAssembly plugins, the engine's side: building each lead's ABI v1 input, validating the
//! verdicts, applying the failure policy, and summarising it all for the report.
//!
//! Running a module is the host's job (the native host implements [`PluginRunner`] with
//! wasmtime); the browser build has no runner, and plugin criteria are then reported as undecided.

use crate::order::Map;

use baton_plugin::{Reads, Verdict};
use serde::Serialize;

use crate::config::{OnError, Plugin, PluginRole};
use crate::model::{AttrValue, Event, LeadIx, Workspace};
use crate::qualification::{PluginAnswer, PluginVerdicts};
use crate::scoring::{ScoringModel, score_lead};
use crate::stats::round6;
use crate::time::{Instant, MICROS_PER_DAY};

/// Largest input document handed to a plugin by default (128 KB); older events are left out first.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 128 * 1024;

/// Leads per batch handed to the runner (bounds the memory held by inputs and outputs).
const BATCH: usize = 4096;

/// Failure examples kept per plugin in the report.
const EXAMPLES: usize = 5;

/// Why a plugin call gave no usable verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// It used up its fuel (instruction budget).
    FuelExhausted,
    /// It tried to grow memory beyond its limit.
    MemoryLimit,
    /// It ran past its wall-clock deadline.
    Deadline,
    /// It trapped (`unreachable`, out-of-bounds access, stack overflow, a Rust panic...).
    Trap,
    /// It exited with a non-zero status (an SDK plugin returning `Err`).
    Exit,
    /// It wrote more than the output limit.
    OutputTooLarge,
    /// Its output is not a valid verdict.
    InvalidOutput,
    /// The lead's input exceeds the input limit even without events.
    InputTooLarge,
    /// The module does not speak ABI v1 (no marker, another version, or no `_start`).
    AbiMismatch,
    /// The module was refused before running (imports outside the allowed WASI subset, too
    /// large, not a WebAssembly module, or a precompiled artifact).
    Refused,
}

impl FailureKind {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::FuelExhausted => "fuel_exhausted",
            FailureKind::MemoryLimit => "memory_limit",
            FailureKind::Deadline => "deadline",
            FailureKind::Trap => "trap",
            FailureKind::Exit => "exit",
            FailureKind::OutputTooLarge => "output_too_large",
            FailureKind::InvalidOutput => "invalid_output",
            FailureKind::InputTooLarge => "input_too_large",
            FailureKind::AbiMismatch => "abi_mismatch",
            FailureKind::Refused => "refused",
        }
    }
}

/// A failed call: what kind, and the specifics (the plugin's message, its log, a backtrace).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Failure {
    /// The kind.
    pub kind: FailureKind,
    /// What happened, in words.
    pub message: String,
}

/// What one call gave back, as the host saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    /// The bytes written on stdout, or why there are none worth reading.
    pub output: Result<Vec<u8>, Failure>,
    /// Fuel (instructions) the call used.
    pub fuel_used: u64,
}

/// Runs plugin modules: implemented by the native host.
pub trait PluginRunner: Sync {
    /// Calls plugin `index` (its position in `[[plugins]]`) once per input, each in a fresh
    /// instance, and answers in input order.
    fn call_batch(&self, index: usize, inputs: &[Vec<u8>]) -> Vec<CallResult>;

    /// The largest input a call accepts.
    fn max_input_bytes(&self, _index: usize) -> usize {
        DEFAULT_MAX_INPUT_BYTES
    }

    /// What plugin `index` reads (its description's input query); `None` sends everything.
    fn reads(&self, _index: usize) -> Option<Reads> {
        None
    }
}

/// One lead's outcome for one plugin.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadOutcome {
    /// A valid verdict.
    Verdict(Verdict),
    /// A failure; the plugin's `on_error` policy decides what it means.
    Failed(Failure),
}

/// Every plugin's outcome for every lead, and the report section.
#[derive(Debug, Clone, Default)]
pub struct PluginResults {
    /// Per plugin (config order): per lead.
    pub outcomes: Vec<(Plugin, Vec<LeadOutcome>)>,
    /// Per lead: the sum of the score adjustments (after the failure policy).
    pub adjustments: Vec<f64>,
    /// Per lead: leads a `fail_closed` score-adjustment plugin failed on get the minimum score.
    pub floored: Vec<bool>,
    /// Per lead: what score-adjustment plugins did, e.g. `meddic-completeness +6 (MEDDIC 3/6)`.
    pub notes: Vec<Vec<String>>,
    /// Per lead: the first `route_to` a plugin gave, in config order.
    pub routes: Vec<Option<String>>,
    /// The report section.
    pub summary: Vec<PluginSummary>,
    /// The leads the per-lead vectors are of, in order; empty: every lead of the workspace.
    pub leads: Vec<LeadIx>,
}

impl PluginResults {
    /// The position of `lead` in the per-lead vectors.
    pub fn position(&self, lead: LeadIx) -> Option<usize> {
        if self.leads.is_empty() {
            Some(lead as usize)
        } else {
            self.leads.iter().position(|&l| l == lead)
        }
    }

    /// The lead at `position` of the per-lead vectors.
    fn lead_at(&self, position: usize) -> LeadIx {
        self.leads
            .get(position)
            .copied()
            .unwrap_or(position as LeadIx)
    }
}

/// One plugin over all leads, for `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PluginSummary {
    /// Name in `baton.toml`.
    pub name: String,
    /// Module path as configured.
    pub path: String,
    /// `criterion` or `score_adjustment`.
    pub role: PluginRole,
    /// The failure policy.
    pub on_error: OnError,
    /// Calls made (one per lead).
    pub calls: u64,
    /// Valid verdicts: qualified (criterion plugins).
    pub qualified: u64,
    /// Valid verdicts: not qualified.
    pub not_qualified: u64,
    /// Valid verdicts without a decision (missing data).
    pub undecided: u64,
    /// Sum of the score adjustments given (score-adjustment plugins).
    pub adjustment_total: f64,
    /// Leads it routed.
    pub routed: u64,
    /// Failed calls.
    pub failures: u64,
    /// Failed calls per kind.
    pub failures_by_kind: Map<String, u64>,
    /// The first failures, by lead id.
    pub failure_examples: Vec<FailureExample>,
    /// Median fuel per call.
    pub fuel_median: u64,
    /// Largest fuel used by a call.
    pub fuel_max: u64,
    /// The most frequent reasons given, with counts (at most 10).
    pub top_reasons: Vec<ReasonCount>,
}

/// A failed call named by lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FailureExample {
    /// Lead id.
    pub lead: String,
    /// Kind.
    pub kind: FailureKind,
    /// What happened.
    pub message: String,
}

/// A reason and how many leads it was given for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReasonCount {
    /// The reason.
    pub reason: String,
    /// Leads.
    pub leads: u64,
}

/// Builds lead `lead`'s ABI v1 input for `plugin`, leaving out the oldest events when the document
/// would exceed `max_bytes`; `Err` when even the event-less input is too large. With `reads` (the
/// plugin's input query, from its description), only what it reads is sent: the attributes it
/// names, stage entries if asked, the event fields it names within its window, the score if asked.
///
/// The document is written straight from the workspace through borrowed mirrors of the SDK's
/// [`baton_plugin::Input`] (same fields, same order); a test checks that every document reads back
/// into `Input` and writes out byte for byte the same.
pub fn plugin_input(
    ws: &Workspace,
    model: &ScoringModel,
    plugin: &Plugin,
    lead: LeadIx,
    as_of: Instant,
    max_bytes: usize,
    reads: Option<&Reads>,
) -> Result<Vec<u8>, Failure> {
    if let Some(problem) = reads.and_then(Reads::problem) {
        return Err(Failure {
            kind: FailureKind::InvalidOutput,
            message: format!("its description's input query is not valid: {problem}"),
        });
    }
    let l = &ws.leads[lead as usize];
    let attributes: Vec<(&str, AttrRef<'_>)> = ws
        .attributes
        .iter()
        .filter(|a| reads.is_none_or(|r| r.attributes.contains(&a.name)))
        .filter_map(|a| {
            let v = match a.values.get(lead) {
                AttrValue::Missing => return None,
                AttrValue::Number(n) if !n.is_finite() => return None,
                AttrValue::Number(n) => AttrRef::Number(n),
                AttrValue::Bool(b) => AttrRef::Bool(b),
                AttrValue::Text(s) => AttrRef::Text(ws.text(s)),
            };
            Some((a.name.as_str(), v))
        })
        .collect();
    let first = ws.stages.partition_point(|s| s.lead < lead);
    let stages: Vec<StageRef<'_>> = ws.stages[first..]
        .iter()
        .take_while(|s| s.lead == lead && reads.is_none_or(|r| r.stages))
        .filter(|s| s.ts <= as_of)
        .map(|s| StageRef {
            stage: &ws.stage_names[s.stage as usize],
            at: s.ts,
        })
        .collect();
    let fields = EventFields::of(reads);
    let since = reads
        .and_then(|r| r.events_within_days)
        .map_or(i64::MIN, |d| as_of.0 - (d * MICROS_PER_DAY as f64) as i64);
    let all = ws.events_of(lead);
    let events: Vec<EventRef<'_>> = all[..all.partition_point(|e| e.ts <= as_of)]
        .iter()
        .filter(|e| fields.any && e.ts.0 >= since)
        .map(|e| fields.event(ws, e, as_of))
        .collect();
    let score = reads
        .is_none_or(|r| r.score)
        .then(|| score_of(model, ws, lead, as_of));
    let mut input = InputRef {
        abi: baton_plugin::ABI_VERSION,
        plugin: &plugin.name,
        as_of,
        params: &plugin.params,
        lead: LeadRef {
            id: ws.text(l.id),
            created_at: l.created_at,
            stage: stages.last().map(|s| s.stage),
            stages: &stages,
            attributes: Attributes(&attributes),
        },
        events: &events,
        events_omitted: 0,
        score: score.as_ref().map(|(s, grade)| ScoreRef {
            total: s.score,
            fit: s.fit,
            engagement: s.engagement,
            grade: grade.as_deref(),
            priority: s.priority.as_deref(),
            mql: s.mql,
            mql_threshold: model.mql_threshold,
            reasons: s
                .reasons
                .iter()
                .map(|r| ReasonRef {
                    rule: &r.rule,
                    kind: match r.kind {
                        crate::config::RuleKind::Fit => "fit",
                        crate::config::RuleKind::Engagement => "engagement",
                    },
                    points: r.points,
                    event_count: r.event_count as u64,
                })
                .collect(),
            undecided: s
                .undecided
                .iter()
                .map(|u| UndecidedRef {
                    rule: &u.rule,
                    missing: &u.missing,
                })
                .collect(),
        }),
    };
    let encode = |i: &InputRef<'_>| serde_json::to_vec(i).unwrap_or_default();
    let bytes = encode(&input);
    if bytes.len() <= max_bytes {
        return Ok(bytes);
    }
    // Keep the newest events that fit: the largest kept tail, by bisection.
    let total = events.len();
    let (mut lo, mut hi) = (0usize, total);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        input.events = &events[total - mid..];
        input.events_omitted = (total - mid) as u64;
        if encode(&input).len() <= max_bytes {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    input.events = &events[total - lo..];
    input.events_omitted = (total - lo) as u64;
    let bytes = encode(&input);
    if bytes.len() <= max_bytes {
        Ok(bytes)
    } else {
        Err(Failure {
            kind: FailureKind::InputTooLarge,
            message: format!(
                "the lead's input is {} bytes without events, over the {max_bytes}-byte limit",
                bytes.len()
            ),
        })
    }
}

/// Borrowed mirror of [`baton_plugin::Input`]: same fields, same order.
#[derive(Serialize)]
struct InputRef<'a> {
    abi: u32,
    plugin: &'a str,
    as_of: Instant,
    params: &'a serde_json::Value,
    lead: LeadRef<'a>,
    events: &'a [EventRef<'a>],
    #[serde(skip_serializing_if = "is_zero")]
    events_omitted: u64,
    /// Left out when the plugin's query does not read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<ScoreRef<'a>>,
}

/// The lead's explained score and its grade as text.
fn score_of(
    model: &ScoringModel,
    ws: &Workspace,
    lead: LeadIx,
    as_of: Instant,
) -> (crate::scoring::LeadScore, Option<String>) {
    let s = score_lead(model, ws, lead, as_of);
    let grade = s.grade.map(String::from);
    (s, grade)
}

/// Which event fields a plugin's query reads (all without a query).
struct EventFields {
    any: bool,
    at: bool,
    age_days: bool,
    kind: bool,
    channel: bool,
    team: bool,
    campaign: bool,
    asset: bool,
}

impl EventFields {
    fn of(reads: Option<&Reads>) -> EventFields {
        let has = |f: &str| reads.is_none_or(|r| r.event_fields.iter().any(|x| x == f));
        EventFields {
            any: reads.is_none_or(|r| !r.event_fields.is_empty()),
            at: has("at"),
            age_days: has("age_days"),
            kind: has("type"),
            channel: has("channel"),
            team: has("team"),
            campaign: has("campaign"),
            asset: has("asset"),
        }
    }

    fn event<'a>(&self, ws: &'a Workspace, e: &Event, as_of: Instant) -> EventRef<'a> {
        EventRef {
            at: self.at.then_some(e.ts),
            age_days: self
                .age_days
                .then(|| round6((as_of.0 - e.ts.0) as f64 / MICROS_PER_DAY as f64)),
            kind: self.kind.then(|| ws.text(e.kind)),
            channel: self.channel.then(|| ws.text(e.channel)),
            team: e.team.filter(|_| self.team).map(|t| t.as_str()),
            campaign: e.campaign.filter(|_| self.campaign).map(|c| ws.text(c)),
            asset: e.asset.filter(|_| self.asset).map(|a| ws.text(a)),
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Borrowed mirror of [`baton_plugin::Lead`].
#[derive(Serialize)]
struct LeadRef<'a> {
    id: &'a str,
    created_at: Instant,
    stage: Option<&'a str>,
    stages: &'a [StageRef<'a>],
    attributes: Attributes<'a>,
}

/// Borrowed mirror of [`baton_plugin::StageEntry`].
#[derive(Serialize)]
struct StageRef<'a> {
    stage: &'a str,
    at: Instant,
}

/// Borrowed mirror of [`baton_plugin::Event`]; a field the plugin's query does not read is left out.
#[derive(Serialize)]
struct EventRef<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<Instant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    age_days: Option<f64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset: Option<&'a str>,
}

/// Borrowed mirror of [`baton_plugin::Score`].
#[derive(Serialize)]
struct ScoreRef<'a> {
    total: f64,
    fit: f64,
    engagement: f64,
    grade: Option<&'a str>,
    priority: Option<&'a str>,
    mql: bool,
    mql_threshold: f64,
    reasons: Vec<ReasonRef<'a>>,
    undecided: Vec<UndecidedRef<'a>>,
}

/// Borrowed mirror of [`baton_plugin::ScoreReason`].
#[derive(Serialize)]
struct ReasonRef<'a> {
    rule: &'a str,
    kind: &'static str,
    points: f64,
    event_count: u64,
}

/// Borrowed mirror of [`baton_plugin::Undecided`].
#[derive(Serialize)]
struct UndecidedRef<'a> {
    rule: &'a str,
    missing: &'a str,
}

/// A lead attribute's value as JSON.
enum AttrRef<'a> {
    Number(f64),
    Bool(bool),
    Text(&'a str),
}

/// The attributes as a JSON object, in name order (the workspace keeps them sorted by name, as
/// the SDK's `BTreeMap` does).
struct Attributes<'a>(&'a [(&'a str, AttrRef<'a>)]);

impl Serialize for Attributes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            match value {
                AttrRef::Number(n) => map.serialize_entry(name, n)?,
                AttrRef::Bool(b) => map.serialize_entry(name, b)?,
                AttrRef::Text(t) => map.serialize_entry(name, t)?,
            }
        }
        map.end()
    }
}

/// Reads a plugin's stdout as a verdict and checks it fits the plugin's role.
pub fn parse_verdict(plugin: &Plugin, output: &[u8], max_score: f64) -> Result<Verdict, Failure> {
    let invalid = |message: String| Failure {
        kind: FailureKind::InvalidOutput,
        message,
    };
    let text = std::str::from_utf8(output).map_err(|e| {
        invalid(format!(
            "output is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(invalid("the plugin wrote nothing on stdout".into()));
    }
    let mut v: Verdict = serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "output is not a verdict: {e} (output starts {:?})",
            text.chars().take(80).collect::<String>()
        ))
    })?;
    match plugin.role {
        PluginRole::Criterion => {
            if v.qualified.is_none() && v.missing_data.is_empty() {
                return Err(invalid(
                    "a criterion plugin must set `qualified` or list `missing_data`".into(),
                ));
            }
            // A criterion's points are not used: dropped, so no summary adds them up.
            v.score_adjustment = None;
        }
        PluginRole::ScoreAdjustment => match v.score_adjustment {
            None => {
                return Err(invalid(
                    "a score_adjustment plugin must set `score_adjustment`".into(),
                ));
            }
            Some(x) if !x.is_finite() || x.abs() > max_score.abs().max(1.0) * 10.0 => {
                let shown = if x.is_finite() && x.abs() < 1e9 {
                    format!("{x}")
                } else {
                    format!("{x:e}")
                };
                return Err(invalid(format!(
                    "score_adjustment {shown} is out of range (|adjustment| ≤ {})",
                    max_score.abs().max(1.0) * 10.0
                )));
            }
            Some(_) => {}
        },
    }
    if let Some(r) = &v.route_to
        && r.trim().is_empty()
    {
        return Err(invalid("route_to is empty".into()));
    }
    #[cfg(feature = "plugin-host")]
    check_strings(&v).map_err(invalid)?;
    Ok(v)
}

/// Most reasons one verdict may give, and the longest reason in characters.
pub const MAX_REASONS: usize = 20;
/// Longest reason in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Most `missing_data` entries, and the longest in characters.
pub const MAX_MISSING: usize = 50;
/// Longest `missing_data` entry or `route_to` in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// What a plugin writes lands in report.json, report.md, report.html and CSV cells: each string
/// is one line of printable text of bounded length (no control or bidirectional-override
/// characters), and there are boundedly many.
#[cfg(feature = "plugin-host")]
fn check_strings(v: &Verdict) -> Result<(), String> {
    let one = |field: String, text: &str, max: usize| -> Result<(), String> {
        let chars = text.chars().count();
        if chars > max {
            return Err(format!(
                "{field} is {chars} characters long; the limit is {max}"
            ));
        }
        if let Some(c) = text.chars().find(|&c| {
            c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        }) {
            return Err(format!(
                "{field} holds the control character U+{:04X}; verdict strings are one line of printable text",
                c as u32
            ));
        }
        Ok(())
    };
    if v.reasons.len() > MAX_REASONS {
        return Err(format!(
            "the verdict gives {} reasons; the limit is {MAX_REASONS}",
            v.reasons.len()
        ));
    }
    if v.missing_data.len() > MAX_MISSING {
        return Err(format!(
            "missing_data lists {} entries; the limit is {MAX_MISSING}",
            v.missing_data.len()
        ));
    }
    for (i, r) in v.reasons.iter().enumerate() {
        one(format!("reasons[{i}]"), r, MAX_REASON_CHARS)?;
    }
    for (i, m) in v.missing_data.iter().enumerate() {
        one(format!("missing_data[{i}]"), m, MAX_NAME_CHARS)?;
    }
    if let Some(r) = &v.route_to {
        one("route_to".into(), r, MAX_NAME_CHARS)?;
    }
    Ok(())
}

/// Runs every configured plugin on every lead and applies the failure policies.
pub fn evaluate(
    ws: &Workspace,
    model: &ScoringModel,
    as_of: Instant,
    runner: &dyn PluginRunner,
) -> PluginResults {
    evaluate_leads(ws, model, as_of, runner, Vec::new())
}

/// [`evaluate`] on the given leads only (empty: every lead): a lead card's plugin verdicts.
pub fn evaluate_leads(
    ws: &Workspace,
    model: &ScoringModel,
    as_of: Instant,
    runner: &dyn PluginRunner,
    leads: Vec<LeadIx>,
) -> PluginResults {
    let n = if leads.is_empty() {
        ws.leads.len()
    } else {
        leads.len()
    };
    let mut results = PluginResults {
        leads,
        outcomes: Vec::new(),
        adjustments: vec![0.0; n],
        floored: vec![false; n],
        notes: vec![Vec::new(); n],
        routes: vec![None; n],
        summary: Vec::new(),
    };
    let max_score = model_max_score(ws);
    for (index, plugin) in ws.framework.config.plugins.iter().enumerate() {
        let max_input = runner.max_input_bytes(index);
        let reads = runner.reads(index);
        let mut outcomes = Vec::with_capacity(n);
        let mut fuel = Vec::with_capacity(n);
        let mut start = 0;
        while start < n {
            let end = (start + BATCH).min(n);
            let mut inputs = Vec::with_capacity(end - start);
            let mut prepared: Vec<Result<usize, Failure>> = Vec::with_capacity(end - start);
            for pos in start..end {
                let lead = results.lead_at(pos);
                match plugin_input(ws, model, plugin, lead, as_of, max_input, reads.as_ref()) {
                    Ok(bytes) => {
                        prepared.push(Ok(inputs.len()));
                        inputs.push(bytes);
                    }
                    Err(f) => prepared.push(Err(f)),
                }
            }
            let calls = runner.call_batch(index, &inputs);
            for p in prepared {
                let outcome = match p {
                    Err(f) => LeadOutcome::Failed(f),
                    Ok(i) => match calls.get(i) {
                        Some(c) => {
                            fuel.push(c.fuel_used);
                            match &c.output {
                                Ok(out) => match parse_verdict(plugin, out, max_score) {
                                    Ok(v) => LeadOutcome::Verdict(v),
                                    Err(f) => LeadOutcome::Failed(f),
                                },
                                Err(f) => LeadOutcome::Failed(f.clone()),
                            }
                        }
                        None => LeadOutcome::Failed(Failure {
                            kind: FailureKind::Trap,
                            message: "the host returned no result for this call".into(),
                        }),
                    },
                };
                outcomes.push(outcome);
            }
            start = end;
        }
        for (lead, o) in outcomes.iter().enumerate() {
            match o {
                LeadOutcome::Verdict(v) => {
                    if plugin.role == PluginRole::ScoreAdjustment {
                        let points = v.score_adjustment.unwrap_or(0.0);
                        results.adjustments[lead] += points;
                        let why = if v.reasons.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", v.reasons.join("; "))
                        };
                        results.notes[lead].push(format!("{} {points:+}{why}", plugin.name));
                    }
                    if results.routes[lead].is_none() {
                        results.routes[lead].clone_from(&v.route_to);
                    }
                }
                LeadOutcome::Failed(f) => {
                    if plugin.role == PluginRole::ScoreAdjustment {
                        let effect = if plugin.on_error == OnError::FailClosed {
                            results.floored[lead] = true;
                            "score set to the minimum (fail_closed)"
                        } else {
                            "no adjustment"
                        };
                        results.notes[lead].push(format!(
                            "{} failed ({}): {effect}",
                            plugin.name,
                            f.kind.as_str()
                        ));
                    }
                }
            }
        }
        results
            .summary
            .push(summarize(ws, plugin, &outcomes, &mut fuel, &results));
        results.outcomes.push((plugin.clone(), outcomes));
    }
    results
}

fn model_max_score(ws: &Workspace) -> f64 {
    ws.framework.config.scoring.max_score.unwrap_or(100.0)
}

fn summarize(
    ws: &Workspace,
    plugin: &Plugin,
    outcomes: &[LeadOutcome],
    fuel: &mut [u64],
    results: &PluginResults,
) -> PluginSummary {
    let mut s = PluginSummary {
        name: plugin.name.clone(),
        path: plugin.path.clone(),
        role: plugin.role,
        on_error: plugin.on_error,
        calls: outcomes.len() as u64,
        qualified: 0,
        not_qualified: 0,
        undecided: 0,
        adjustment_total: 0.0,
        routed: 0,
        failures: 0,
        failures_by_kind: Map::new(),
        failure_examples: Vec::new(),
        fuel_median: 0,
        fuel_max: 0,
        top_reasons: Vec::new(),
    };
    let mut reasons: Map<&str, u64> = Map::new();
    for (lead, o) in outcomes.iter().enumerate() {
        match o {
            LeadOutcome::Verdict(v) => {
                match v.qualified {
                    Some(true) => s.qualified += 1,
                    Some(false) => s.not_qualified += 1,
                    None if plugin.role == PluginRole::Criterion => s.undecided += 1,
                    None => {}
                }
                s.adjustment_total += v.score_adjustment.unwrap_or(0.0);
                s.routed += u64::from(v.route_to.is_some());
                for r in &v.reasons {
                    *reasons.entry(r.as_str()).or_default() += 1;
                }
            }
            LeadOutcome::Failed(f) => {
                s.failures += 1;
                *s.failures_by_kind
                    .entry(f.kind.as_str().to_string())
                    .or_default() += 1;
                if s.failure_examples.len() < EXAMPLES {
                    s.failure_examples.push(FailureExample {
                        lead: ws
                            .text(ws.leads[results.lead_at(lead) as usize].id)
                            .to_string(),
                        kind: f.kind,
                        message: f.message.clone(),
                    });
                }
            }
        }
    }
    s.adjustment_total = round6(s.adjustment_total);
    let mut top: Vec<(&str, u64)> = reasons.into_iter().collect();
    crate::order::sort_by(&mut top, |a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    s.top_reasons = top
        .into_iter()
        .take(10)
        .map(|(reason, leads)| ReasonCount {
            reason: reason.to_string(),
            leads,
        })
        .collect();
    if !fuel.is_empty() {
        crate::order::sort_unstable(fuel);
        s.fuel_median = fuel[(fuel.len() - 1) / 2];
        s.fuel_max = fuel[fuel.len() - 1];
    }
    s
}

impl PluginVerdicts for PluginResults {
    fn verdict(&self, plugin: &str, lead: LeadIx) -> Option<PluginAnswer> {
        let (p, outcomes) = self.outcomes.iter().find(|(p, _)| p.name == plugin)?;
        match outcomes.get(self.position(lead)?)? {
            LeadOutcome::Verdict(v) => Some(PluginAnswer {
                passed: v.qualified.unwrap_or(false),
                skipped: false,
                reasons: v.reasons.clone(),
                missing_data: if v.qualified.is_some() {
                    Vec::new()
                } else {
                    v.missing_data.clone()
                },
            }),
            LeadOutcome::Failed(f) => {
                let what = format!(
                    "plugin {:?} failed ({}): {}",
                    p.name,
                    f.kind.as_str(),
                    f.message
                );
                Some(match p.on_error {
                    OnError::FailClosed => PluginAnswer {
                        passed: false,
                        skipped: false,
                        reasons: vec![format!("{what}; counted as failed (fail_closed)")],
                        missing_data: vec![],
                    },
                    OnError::FailOpen => PluginAnswer {
                        passed: true,
                        skipped: false,
                        reasons: vec![format!("{what}; counted as passed (fail_open)")],
                        missing_data: vec![],
                    },
                    OnError::Skip => PluginAnswer {
                        passed: false,
                        skipped: true,
                        reasons: vec![format!("{what}; left out of the set (skip)")],
                        missing_data: vec![],
                    },
                })
            }
        }
    }
}
