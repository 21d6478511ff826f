//! A lead's card: the lead, its timeline, its score and why (after plugin adjustments), every
//! qualification verdict (plugins' included), its route, its SLA clocks and the content to send
//! next — the answer `baton card` prints and the service's `GET /v1/leads/{id}` gives, and the
//! same numbers as that lead's row of `scored_leads.csv`.

use serde::Serialize;

use super::lead::bad_input;
use super::sla::{SlaClock, sla_clocks};
use crate::content::{AssetReading, ContentReport, Suggestion};
use crate::messaging::Lexicon;
use crate::model::{AttrValue, LeadIx};
use crate::order::Map;
use crate::plugins::{LeadOutcome, PluginResults, PluginRunner};
use crate::qualification::{NoPlugins, PluginVerdicts, QualificationModel, RoutingModel, Verdict};
use crate::scoring::{LeadScore, ScoringModel, score_lead};
use crate::{Error, Instant, Workspace};

/// `GET /v1/leads/{id}` and `baton card`.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LeadCard {
    /// The lead's id.
    pub lead_id: String,
    /// The instant everything on the card is computed at.
    pub as_of: Instant,
    /// When the lead was created.
    pub created_at: Instant,
    /// The lead's attributes (typed as the workspace types them), absent ones left out.
    pub attributes: Map<String, serde_json::Value>,
    /// Events, stage entries, deals and feedback, oldest first (up to `as_of`).
    pub timeline: Vec<TimelineEntry>,
    /// The score with every point explained; `score` and `mql` after plugin adjustments, as
    /// `scored_leads.csv` has them.
    pub score: LeadScore,
    /// `scored_leads.csv`'s `top_reasons`: the three largest rules, then the plugins' notes.
    pub top_reasons: String,
    /// Whether the first criteria set is satisfied (`scored_leads.csv`'s `qualified`).
    pub qualified: Option<bool>,
    /// Every criteria set's verdict, plugin criteria decided by the plugins.
    pub verdicts: Vec<Verdict>,
    /// What each `[[plugins]]` module answered for this lead.
    pub plugins: Vec<PluginCall>,
    /// The route: a plugin's `route_to` first, else the first matching routing rule.
    pub route_to: Option<String>,
    /// Every SLA clock, in business hours on the workspace calendar.
    pub sla: Vec<SlaClock>,
    /// The assets to send next, with the reasons.
    pub next_best_content: Vec<Suggestion>,
}

/// One entry of a lead's timeline.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    /// The lead entered a lifecycle stage (or exit).
    Stage {
        /// When.
        ts: Instant,
        /// The stage.
        stage: String,
        /// Why, as recorded.
        reason: Option<String>,
        /// Who recorded it.
        actor: Option<String>,
    },
    /// A touchpoint.
    Event {
        /// When.
        ts: Instant,
        /// The event type.
        r#type: String,
        /// The channel.
        channel: String,
        /// The team that made the touch.
        team: Option<&'static str>,
        /// The campaign.
        campaign: Option<String>,
        /// The asset used.
        asset_id: Option<String>,
    },
    /// A deal was created.
    Deal {
        /// When it was created.
        ts: Instant,
        /// The deal.
        deal_id: String,
        /// `open`, `won` or `lost`.
        status: crate::model::DealStatus,
        /// When it closed.
        closed_at: Option<Instant>,
        /// Its amount in the workspace currency.
        amount: Option<f64>,
    },
    /// Feedback was given.
    Feedback {
        /// When.
        ts: Instant,
        /// `nps`, `csat` or `comment`.
        feedback: crate::model::FeedbackKind,
        /// The score given.
        score: Option<f64>,
        /// The text given.
        text: Option<String>,
    },
}

impl TimelineEntry {
    fn ts(&self) -> Instant {
        match self {
            TimelineEntry::Stage { ts, .. }
            | TimelineEntry::Event { ts, .. }
            | TimelineEntry::Deal { ts, .. }
            | TimelineEntry::Feedback { ts, .. } => *ts,
        }
    }
}

/// A plugin's answer for one lead.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PluginCall {
    /// The plugin's name in `[[plugins]]`.
    pub plugin: String,
    /// `verdict` or `failed`.
    pub outcome: &'static str,
    /// Its verdict: qualified or not (criterion plugins).
    pub qualified: Option<bool>,
    /// Points it added (score-adjustment plugins).
    pub score_adjustment: Option<f64>,
    /// Its reasons.
    pub reasons: Vec<String>,
    /// Its route.
    pub route_to: Option<String>,
    /// The failure kind (`trap`, `timeout`, `fuel`, ...), when it failed; its `on_error` policy
    /// decided what that meant.
    pub failure: Option<&'static str>,
    /// What the failure was.
    pub message: Option<String>,
}

/// What a card needs besides the lead: the workspace's content analysis at `as_of` (next-best
/// content ranks assets by their lift over the whole workspace) and the plugin runner.
pub struct CardContext<'a> {
    /// `report.content` of the whole workspace at the card's `as_of`.
    pub content: &'a ContentReport,
    /// The workspace's assets as its messaging lexicon reads them, which next-best content
    /// ranks by; read once by a caller that gives many cards (`None`: read here).
    pub assets: Option<&'a AssetReading>,
    /// The plugin host, when the caller has one (none in the browser).
    pub plugins: Option<&'a dyn PluginRunner>,
    /// The lead's route by `[routing]` as the whole workspace routes it (a round-robin pool's
    /// turn counts the leads before it), used when the lead's rule is a pool; `None`: route
    /// `ws`'s leads here.
    pub route: Option<Option<String>>,
}

/// The card of the lead `lead_id` of `ws` at `as_of`. `ws` may be the whole workspace or a
/// workspace of that lead's rows alone: every value on the card depends on the lead's own rows,
/// except next-best content's lift, which `context.content` brings.
pub fn lead_card(
    ws: &Workspace,
    lead_id: &str,
    as_of: Instant,
    context: &CardContext<'_>,
) -> Result<LeadCard, Error> {
    let lead = ws
        .lead_index(lead_id)
        .ok_or_else(|| bad_input("lead", format!("no lead {lead_id:?}")))?;
    let scoring = ScoringModel::compile(ws)?;
    let qualification = QualificationModel::compile(ws)?;
    let routing = RoutingModel::compile(ws)?;
    let results = plugin_results(ws, &scoring, lead, as_of, context.plugins);
    let verdict_source: &dyn PluginVerdicts = match &results {
        Some(r) => r,
        None => &NoPlugins,
    };
    let verdicts = qualification.qualify(ws, lead, as_of, verdict_source);
    let mut score = score_lead(&scoring, ws, lead, as_of);
    let mut top_reasons = score.top_reasons(3);
    let mut route_to = match &context.route {
        Some(route) if routing.pooled(ws, lead, as_of) => route.clone(),
        _ => routing.route_all(ws, as_of).swap_remove(lead as usize),
    };
    if let Some(r) = &results {
        score.score = adjusted_score(ws, r, score.score);
        score.mql = score.score >= scoring.mql_threshold;
        for note in r.notes.first().into_iter().flatten() {
            if !top_reasons.is_empty() {
                top_reasons.push_str("; ");
            }
            top_reasons.push_str(note);
        }
        if let Some(Some(plugin_route)) = r.routes.first() {
            route_to = Some(plugin_route.clone());
        }
    }
    let read_here;
    let reading = match context.assets {
        Some(r) => r,
        None => {
            read_here = AssetReading::new(ws, Lexicon::new(ws).as_ref());
            &read_here
        }
    };
    let next_best_content =
        crate::content::next_best_content(ws, lead, as_of, context.content, reading);
    Ok(LeadCard {
        lead_id: lead_id.to_string(),
        as_of,
        created_at: ws.leads[lead as usize].created_at,
        attributes: attributes(ws, lead),
        timeline: timeline(ws, lead, as_of),
        top_reasons,
        qualified: verdicts.first().map(|v| v.qualified),
        verdicts,
        plugins: results.as_ref().map(plugin_calls).unwrap_or_default(),
        route_to,
        sla: sla_clocks(ws, lead_id, as_of)?,
        next_best_content,
        score,
    })
}

/// Every plugin's outcome for the lead, when there is a runner (the native host) and plugins.
#[cfg(feature = "plugin-host")]
fn plugin_results(
    ws: &Workspace,
    scoring: &ScoringModel,
    lead: LeadIx,
    as_of: Instant,
    runner: Option<&dyn PluginRunner>,
) -> Option<PluginResults> {
    match runner {
        Some(runner) if !ws.framework.config.plugins.is_empty() => Some(
            crate::plugins::evaluate_leads(ws, scoring, as_of, runner, vec![lead]),
        ),
        _ => None,
    }
}

/// Builds without a plugin host (the browser's) are never handed a runner.
#[cfg(not(feature = "plugin-host"))]
fn plugin_results(
    _: &Workspace,
    _: &ScoringModel,
    _: LeadIx,
    _: Instant,
    _: Option<&dyn PluginRunner>,
) -> Option<PluginResults> {
    None
}

/// The score after the plugins' adjustments and `fail_closed` floors, as the analysis applies them.
fn adjusted_score(ws: &Workspace, results: &PluginResults, score: f64) -> f64 {
    let cfg = &ws.framework.config.scoring;
    if results.floored.first() == Some(&true) {
        return cfg.min_score.unwrap_or(0.0).min(score);
    }
    match results.adjustments.first() {
        Some(&a) if a != 0.0 => crate::stats::round6((score + a).clamp(
            cfg.min_score.unwrap_or(f64::NEG_INFINITY),
            cfg.max_score.unwrap_or(f64::INFINITY),
        )),
        _ => score,
    }
}

fn plugin_calls(results: &PluginResults) -> Vec<PluginCall> {
    results
        .outcomes
        .iter()
        .filter_map(|(plugin, outcomes)| {
            let call = match outcomes.first()? {
                LeadOutcome::Verdict(v) => PluginCall {
                    plugin: plugin.name.clone(),
                    outcome: "verdict",
                    qualified: v.qualified,
                    score_adjustment: v.score_adjustment,
                    reasons: v.reasons.clone(),
                    route_to: v.route_to.clone(),
                    failure: None,
                    message: None,
                },
                LeadOutcome::Failed(f) => PluginCall {
                    plugin: plugin.name.clone(),
                    outcome: "failed",
                    qualified: None,
                    score_adjustment: None,
                    reasons: Vec::new(),
                    route_to: None,
                    failure: Some(f.kind.as_str()),
                    message: Some(f.message.clone()),
                },
            };
            Some(call)
        })
        .collect()
}

fn attributes(ws: &Workspace, lead: LeadIx) -> Map<String, serde_json::Value> {
    ws.attributes
        .iter()
        .filter_map(|a| {
            let value = match a.values.get(lead) {
                AttrValue::Missing => return None,
                AttrValue::Number(n) => serde_json::json!(n),
                AttrValue::Bool(b) => serde_json::Value::Bool(b),
                AttrValue::Text(t) => serde_json::Value::String(ws.text(t).to_string()),
            };
            Some((a.name.clone(), value))
        })
        .collect()
}

/// The lead's rows up to `as_of`, oldest first; at one instant stages, then events, deals, feedback.
fn timeline(ws: &Workspace, lead: LeadIx, as_of: Instant) -> Vec<TimelineEntry> {
    let text = |s: Option<crate::symbols::Sym>| s.map(|s| ws.text(s).to_string());
    let mut out: Vec<TimelineEntry> = ws
        .stages_of(lead, as_of)
        .iter()
        .map(|s| TimelineEntry::Stage {
            ts: s.ts,
            stage: ws.stage_names[s.stage as usize].clone(),
            reason: text(s.reason),
            actor: text(s.actor),
        })
        .collect();
    out.extend(
        ws.events_of(lead)
            .iter()
            .filter(|e| e.ts <= as_of)
            .map(|e| TimelineEntry::Event {
                ts: e.ts,
                r#type: ws.text(e.kind).to_string(),
                channel: ws.text(e.channel).to_string(),
                team: e.team.map(|t| t.as_str()),
                campaign: text(e.campaign),
                asset_id: text(e.asset),
            }),
    );
    out.extend(
        ws.deals
            .iter()
            .filter(|d| d.lead == lead && d.created_at <= as_of)
            .map(|d| TimelineEntry::Deal {
                ts: d.created_at,
                deal_id: ws.text(d.id).to_string(),
                status: d.status,
                closed_at: d.closed_at,
                amount: d.amount,
            }),
    );
    out.extend(
        ws.feedback
            .iter()
            .filter(|f| f.lead == lead && f.ts <= as_of)
            .map(|f| TimelineEntry::Feedback {
                ts: f.ts,
                feedback: f.kind,
                score: f.score,
                text: f.text.clone(),
            }),
    );
    // Stable: within one instant the kinds keep the order they were added in.
    crate::order::sort_by_key(&mut out, TimelineEntry::ts);
    out
}
