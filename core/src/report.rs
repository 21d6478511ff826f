//! `report.json`: one versioned document holding every section of the analysis.

use crate::order::CollectOrdered;
use crate::order::Map;

use serde::Serialize;

use crate::calendar::BusinessClock;
use crate::feedback::{FeedbackReport, feedback_report};
use crate::handoff::{HandoffReport, HandoffRow, handoff_analysis};
use crate::journey::{
    ChannelCoordination, StageJourney, TouchpointJourney, TouchpointKey, channel_coordination,
    stage_journey, touchpoint_journey,
};
use crate::lead_quality::{LeadQualityReport, lead_quality};
use crate::model::Workspace;
use crate::outcomes::Outcomes;
use crate::plugins::{PluginResults, PluginRunner, PluginSummary};
use crate::qualification::{NoPlugins, PluginVerdicts, QualificationModel, RoutingModel, Verdict};
use crate::quality::DataQuality;
use crate::scoring::{QuickScore, ScoringModel, score_quick};
use crate::scoring_review::{ScoringReport, scoring_review};
use crate::time::Instant;

/// Version of the `report.json` layout; bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole analysis.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    /// Layout version.
    pub schema_version: u32,
    /// Which workspace, in which zone and currency.
    pub workspace: WorkspaceInfo,
    /// The instant the analysis is "as of".
    pub as_of: Instant,
    /// What was loaded.
    pub summary: Summary,
    /// What could not be used, and why.
    pub data_quality: DataQuality,
    /// Stages, touchpoints, channel coordination, feedback.
    pub journey: JourneyReport,
    /// The marketing→sales handoff.
    pub handoff: HandoffReport,
    /// Conversion along the funnel by segment.
    pub lead_quality: LeadQualityReport,
    /// Scores, qualification and routing, and how well they predict conversion.
    pub scoring: ScoringReport,
    /// Credit for conversions by channel and by team, per model.
    pub attribution: crate::attribution::AttributionReport,
    /// Messaging consistency of assets and talk tracks.
    pub messaging: Option<crate::messaging::MessagingReport>,
    /// Which content sales uses, gaps, and lift.
    pub content: crate::content::ContentReport,
    /// The Business Chassis: the six profit levers and their sensitivity.
    pub chassis: crate::chassis::ChassisReport,
    /// Findings ranked by estimated profit effect.
    pub recommendations: Vec<crate::recommendations::Recommendation>,
    /// Weighted pipeline, next-period forecast, customer lifetime value.
    pub forecast: crate::forecast::ForecastReport,
    /// Headline KPIs (the weekly alignment pack compares these across reports).
    pub kpis: Kpis,
    /// Period-over-period KPI changes against a previous report (`--compare`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// WebAssembly plugins: verdict counts, failures by kind, fuel (absent without plugins).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginSummary>,
}

/// `report.json` → `comparison`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Comparison {
    /// The previous report's `as_of`.
    pub previous_as_of: String,
    /// KPI → change.
    pub kpis: Vec<KpiChange>,
    /// Source → pipeline change.
    pub pipeline_by_source: Vec<KpiChange>,
}

/// One KPI then and now.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KpiChange {
    /// KPI (or source) name.
    pub name: String,
    /// Previous value.
    pub previous: Option<f64>,
    /// Current value.
    pub current: Option<f64>,
    /// current − previous.
    pub change: Option<f64>,
}

impl Kpis {
    /// The changes from `previous` to `self`.
    pub fn compare(&self, previous: &Kpis, previous_as_of: &str) -> Comparison {
        let change = |name: &str, p: Option<f64>, c: Option<f64>| KpiChange {
            name: name.into(),
            previous: p,
            current: c,
            change: p.zip(c).map(|(p, c)| crate::stats::round6(c - p)),
        };
        let mut sources: Vec<&String> = self
            .pipeline_by_source
            .keys()
            .chain(previous.pipeline_by_source.keys())
            .collect();
        crate::order::sort(&mut sources);
        sources.dedup();
        Comparison {
            previous_as_of: previous_as_of.into(),
            kpis: vec![
                change(
                    "speed_to_lead_hours",
                    previous.speed_to_lead_hours,
                    self.speed_to_lead_hours,
                ),
                change(
                    "sla_compliance",
                    previous.sla_compliance,
                    self.sla_compliance,
                ),
                change("mql_to_sql", previous.mql_to_sql, self.mql_to_sql),
                change("win_rate", previous.win_rate, self.win_rate),
                change("profit", Some(previous.profit), Some(self.profit)),
            ],
            pipeline_by_source: sources
                .into_iter()
                .map(|s| {
                    change(
                        s,
                        Some(previous.pipeline_by_source.get(s).copied().unwrap_or(0.0)),
                        Some(self.pipeline_by_source.get(s).copied().unwrap_or(0.0)),
                    )
                })
                .collect(),
        }
    }
}

/// `report.json` → `kpis`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Kpis {
    /// Median business hours to the first sales touch (`first_touch`, else the first SLA).
    pub speed_to_lead_hours: Option<f64>,
    /// SLA compliance of that SLA.
    pub sla_compliance: Option<f64>,
    /// Handoff stage → qualified stage conversion.
    pub mql_to_sql: Option<f64>,
    /// Won ÷ closed deals.
    pub win_rate: Option<f64>,
    /// Open pipeline by source.
    pub pipeline_by_source: Map<String, f64>,
    /// Gross profit of the chassis window.
    pub profit: f64,
}

/// `report.json` → `journey`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct JourneyReport {
    /// Lifecycle stages.
    pub stages: StageJourney,
    /// Touchpoint directly-follows graph.
    pub touchpoints: TouchpointJourney,
    /// Channel × stage × team and overlaps.
    pub channels: ChannelCoordination,
    /// Customer feedback joined to the journey.
    pub feedback: FeedbackReport,
}

/// Choices a caller makes about an analysis.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnalysisOptions {
    /// Build the touchpoint graph over event `type` (default) or `channel`.
    pub touchpoints_by: TouchpointKey,
    /// Leave `[[plugins]]` out even when a runner is given (the browser's view of a workspace).
    pub skip_plugins: bool,
}

/// A report and the per-lead rows that go into CSV files.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// `report.json`.
    pub report: Report,
    /// The rows of `handoffs.csv`.
    pub handoff_rows: Vec<HandoffRow>,
    /// Every lead's score as of `as_of`, by lead index (explanations: [`crate::scoring::score_lead`]).
    pub scores: Vec<QuickScore>,
    /// The compiled scoring rules.
    pub scoring_model: ScoringModel,
    /// Every lead's qualification verdicts, by lead index.
    pub verdicts: Vec<Vec<Verdict>>,
    /// Every lead's route, by lead index.
    pub routes: Vec<Option<String>>,
    /// Per lead, when plugins ran: what score-adjustment plugins did (`scores` already include it).
    pub plugin_notes: Option<Vec<Vec<String>>>,
}

/// `report.json` → `workspace`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WorkspaceInfo {
    /// Display name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Currency of all amounts.
    pub currency: String,
}

/// `report.json` → `summary`: counts of what was loaded.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Summary {
    /// Leads.
    pub leads: usize,
    /// Events.
    pub events: usize,
    /// Stage entries.
    pub stage_entries: usize,
    /// Deals.
    pub deals: usize,
    /// Assets.
    pub assets: usize,
    /// Feedback rows.
    pub feedback: usize,
    /// Earliest timestamp in the data.
    pub first_timestamp: Option<Instant>,
    /// Latest timestamp in the data.
    pub last_timestamp: Option<Instant>,
    /// Events dated after `as_of` (left out of time-based analyses).
    pub events_after_as_of: usize,
    /// Stage entries whose `reason` starts with `approximate` (an importer's current stage
    /// without its date).
    #[serde(skip_serializing_if = "is_zero")]
    pub approximate_stage_entries: usize,
    /// Events per team (`unassigned` when no team is given).
    pub events_by_team: Map<String, usize>,
    /// Events per channel.
    pub events_by_channel: Map<String, usize>,
    /// Deals per status.
    pub deals_by_status: Map<String, usize>,
}

/// Runs the analysis of `workspace` as of `as_of` with default options and no plugins.
pub fn analyze(workspace: &Workspace, as_of: Instant) -> Result<Report, crate::Error> {
    Ok(run(workspace, as_of, &AnalysisOptions::default(), None)?.report)
}

/// Runs the analysis and keeps the per-lead rows; rules that do not compile are an error.
/// With a `runner`, every `[[plugins]]` module runs on every lead first; without one (the
/// browser), plugin criteria are reported as undecided.
pub fn run(
    workspace: &Workspace,
    as_of: Instant,
    options: &AnalysisOptions,
    runner: Option<&dyn PluginRunner>,
) -> Result<Analysis, crate::Error> {
    let scoring_model = ScoringModel::compile(workspace)?;
    let qualification = QualificationModel::compile(workspace)?;
    let routing = RoutingModel::compile(workspace)?;
    let from = workspace.earliest_timestamp().unwrap_or(as_of).min(as_of);
    let to = workspace.latest_timestamp().unwrap_or(as_of).max(as_of);
    let clock = BusinessClock::new(&workspace.framework, from, to);
    let outcomes = Outcomes::new(workspace, as_of);
    let stages = stage_journey(workspace, as_of);
    let touchpoints = touchpoint_journey(workspace, as_of, options.touchpoints_by);
    let channels = channel_coordination(workspace, as_of);
    let (handoff, handoff_rows) = handoff_analysis(workspace, as_of, &clock, &outcomes);
    let sla_names: Vec<&String> = workspace.framework.config.sla.keys().collect();
    let sla_index = sla_names
        .iter()
        .position(|n| n.as_str() == "first_touch")
        .or((!sla_names.is_empty()).then_some(0));
    let variants: Vec<Vec<String>> = stages.variants.iter().map(|v| v.path.clone()).collect();
    let feedback = feedback_report(workspace, as_of, &handoff_rows, sla_index, &variants);
    let lead_quality = lead_quality(workspace, &outcomes);
    let leads = 0..workspace.leads.len() as crate::model::LeadIx;
    #[cfg(feature = "plugin-host")]
    let plugin_results = match runner {
        Some(r) if !options.skip_plugins && !workspace.framework.config.plugins.is_empty() => Some(
            crate::plugins::evaluate(workspace, &scoring_model, as_of, r),
        ),
        _ => None,
    };
    // Builds without a plugin host (the browser's) are never handed a runner.
    #[cfg(not(feature = "plugin-host"))]
    let plugin_results: Option<PluginResults> = runner.and(None);
    let mut scores: Vec<QuickScore> = leads
        .clone()
        .map(|l| score_quick(&scoring_model, workspace, l, as_of))
        .collect();
    let mut routes = routing.route_all(workspace, as_of);
    if let Some(p) = &plugin_results {
        adjust_scores(workspace, p, &mut scores);
        for (route, plugin_route) in routes.iter_mut().zip(&p.routes) {
            if plugin_route.is_some() {
                route.clone_from(plugin_route);
            }
        }
    }
    let verdict_source: &dyn PluginVerdicts = match &plugin_results {
        Some(p) => p,
        None => &NoPlugins,
    };
    let verdicts: Vec<Vec<Verdict>> = leads
        .map(|l| qualification.qualify(workspace, l, as_of, verdict_source))
        .collect();
    let scoring = scoring_review(
        workspace,
        as_of,
        &scoring_model,
        &scores,
        &verdicts,
        &routes,
        &outcomes,
    );
    let (info, summary) = summary(workspace, as_of);
    let chassis = crate::chassis::chassis(workspace, as_of, &outcomes);
    let margin = chassis
        .levers
        .iter()
        .find(|l| l.lever == "margin")
        .map_or(1.0, |l| l.value);
    let report = Report {
        schema_version: SCHEMA_VERSION,
        workspace: info,
        as_of,
        summary,
        data_quality: workspace.data_quality.clone(),
        journey: JourneyReport {
            stages,
            touchpoints,
            channels,
            feedback,
        },
        handoff,
        lead_quality,
        scoring,
        attribution: crate::attribution::attribution_report(workspace, as_of),
        messaging: crate::messaging::messaging_report(workspace),
        content: crate::content::content_report(workspace, as_of, &outcomes),
        chassis: chassis.clone(),
        recommendations: Vec::new(),
        forecast: crate::forecast::forecast(workspace, as_of, margin),
        kpis: Kpis {
            speed_to_lead_hours: None,
            sla_compliance: None,
            mql_to_sql: None,
            win_rate: None,
            pipeline_by_source: Map::new(),
            profit: chassis.profit,
        },
        comparison: None,
        plugins: plugin_results
            .as_ref()
            .map(|p| p.summary.clone())
            .unwrap_or_default(),
    };
    let mut report = report;
    report.recommendations =
        crate::recommendations::recommendations(&crate::recommendations::Findings {
            ws: workspace,
            as_of,
            handoff: &report.handoff,
            lead_quality: &report.lead_quality,
            scoring: &report.scoring,
            chassis: &report.chassis,
        });
    let sla = report
        .handoff
        .slas
        .get("first_touch")
        .or_else(|| report.handoff.slas.values().next());
    report.kpis.speed_to_lead_hours = sla.and_then(|s| s.overall.median_business_hours);
    report.kpis.sla_compliance = sla.and_then(|s| s.overall.compliance_rate);
    report.kpis.mql_to_sql = report
        .lead_quality
        .steps
        .first()
        .and_then(|s| report.lead_quality.overall.get(s))
        .map(|r| r.proportion.rate);
    report.kpis.win_rate = report.forecast.win_rate;
    report.kpis.pipeline_by_source = report.forecast.pipeline_by_source.clone();
    Ok(Analysis {
        report,
        handoff_rows,
        scores,
        scoring_model,
        verdicts,
        routes,
        plugin_notes: plugin_results.map(|p| p.notes),
    })
}

/// Adds the plugins' score adjustments to the rule scores, within `[min_score, max_score]`; a lead a
/// `fail_closed` adjustment plugin failed on gets the minimum score.
fn adjust_scores(ws: &Workspace, plugins: &PluginResults, scores: &mut [QuickScore]) {
    let cfg = &ws.framework.config.scoring;
    let lo = cfg.min_score.unwrap_or(f64::NEG_INFINITY);
    let hi = cfg.max_score.unwrap_or(f64::INFINITY);
    for (i, s) in scores.iter_mut().enumerate() {
        if plugins.floored.get(i) == Some(&true) {
            s.score = cfg.min_score.unwrap_or(0.0).min(s.score);
        } else if let Some(&a) = plugins.adjustments.get(i)
            && a != 0.0
        {
            s.score = crate::stats::round6((s.score + a).clamp(lo, hi));
        }
    }
}

fn summary(workspace: &Workspace, as_of: Instant) -> (WorkspaceInfo, Summary) {
    let ws = &workspace.framework.config.workspace;
    let mut events_by_team = Map::new();
    let mut by_channel_sym = vec![0usize; workspace.symbols.len()];
    let mut events_after_as_of = 0;
    for e in &workspace.events {
        let team = e.team.map_or("unassigned", |t| t.as_str());
        *events_by_team.entry(team.to_string()).or_insert(0) += 1;
        by_channel_sym[e.channel.index()] += 1;
        if e.ts > as_of {
            events_after_as_of += 1;
        }
    }
    let events_by_channel = by_channel_sym
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(i, &n)| {
            let name = workspace.symbols.text(crate::symbols::Sym::from_index(i));
            (name.to_string(), n)
        })
        .collect_map();
    let mut deals_by_status = Map::new();
    for d in &workspace.deals {
        *deals_by_status
            .entry(d.status.as_str().to_string())
            .or_insert(0) += 1;
    }
    (
        WorkspaceInfo {
            name: ws.name.clone(),
            timezone: ws.timezone.clone(),
            currency: ws.currency.clone(),
        },
        Summary {
            leads: workspace.leads.len(),
            events: workspace.events.len(),
            stage_entries: workspace.stages.len(),
            deals: workspace.deals.len(),
            assets: workspace.assets.len(),
            feedback: workspace.feedback.len(),
            first_timestamp: workspace.earliest_timestamp(),
            last_timestamp: workspace.latest_timestamp(),
            events_after_as_of,
            approximate_stage_entries: approximate_stage_entries(workspace),
            events_by_team,
            events_by_channel,
            deals_by_status,
        },
    )
}

impl Report {
    /// The report as pretty JSON with a trailing newline (byte-identical for identical input).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .map(crate::numerals::json_without_negative_zero)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Stage entries marked approximate by their `reason`.
fn approximate_stage_entries(ws: &Workspace) -> usize {
    ws.stages
        .iter()
        .filter(|s| {
            s.reason.is_some_and(|r| {
                ws.text(r)
                    .get(..11)
                    .is_some_and(|p| p.eq_ignore_ascii_case("approximate"))
            })
        })
        .count()
}
