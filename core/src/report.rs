//! `report.json`: one versioned document holding every section of the analysis.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Workspace;
use crate::quality::DataQuality;
use crate::time::Instant;

/// Version of the `report.json` layout; bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole analysis.
#[derive(Debug, Clone, Serialize)]
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
}

/// `report.json` → `workspace`.
#[derive(Debug, Clone, Serialize)]
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
    /// Events per team (`unassigned` when no team is given).
    pub events_by_team: BTreeMap<String, usize>,
    /// Events per channel.
    pub events_by_channel: BTreeMap<String, usize>,
    /// Deals per status.
    pub deals_by_status: BTreeMap<String, usize>,
}

/// Runs the analysis of `workspace` as of `as_of`.
pub fn analyze(workspace: &Workspace, as_of: Instant) -> Report {
    let ws = &workspace.framework.config.workspace;
    let mut events_by_team = BTreeMap::new();
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
        .collect();
    let mut deals_by_status = BTreeMap::new();
    for d in &workspace.deals {
        let status = serde_json::to_value(d.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        *deals_by_status.entry(status).or_insert(0) += 1;
    }
    Report {
        schema_version: SCHEMA_VERSION,
        workspace: WorkspaceInfo {
            name: ws.name.clone(),
            timezone: ws.timezone.clone(),
            currency: ws.currency.clone(),
        },
        as_of,
        summary: Summary {
            leads: workspace.leads.len(),
            events: workspace.events.len(),
            stage_entries: workspace.stages.len(),
            deals: workspace.deals.len(),
            assets: workspace.assets.len(),
            feedback: workspace.feedback.len(),
            first_timestamp: workspace.earliest_timestamp(),
            last_timestamp: workspace.latest_timestamp(),
            events_after_as_of,
            events_by_team,
            events_by_channel,
            deals_by_status,
        },
        data_quality: workspace.data_quality.clone(),
    }
}

impl Report {
    /// The report as pretty JSON with a trailing newline (byte-identical for identical input).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}
