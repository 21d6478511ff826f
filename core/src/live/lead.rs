//! The one-lead workspace a caller's lead and events become, and what the ingestion said of
//! them: a row it would reject is an error naming the input and field; a row used with a
//! caveat comes back as an [`InputWarning`].

use std::sync::Arc;

use serde::Serialize;

use crate::config::Condition;
use crate::{Error, FileKind, Framework, JsonRows, Workspace};

/// An error about a value a caller handed in (`lead`, `events[3]`, `attribution`).
pub(crate) fn bad_input(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Input {
        what: what.into(),
        message: e.to_string(),
    }
}

/// The lead attributes the configuration's rules read (computed once per engine).
pub fn rule_facts(framework: &Framework) -> Vec<String> {
    let config = &framework.config;
    let conditions = config
        .scoring
        .rules
        .iter()
        .map(|r| &r.when)
        .chain(
            config
                .qualification
                .sets
                .iter()
                .flat_map(|s| s.criteria.iter().filter_map(|c| c.when.as_ref())),
        )
        .chain(config.routing.rules.iter().map(|r| &r.when));
    let mut facts = Vec::new();
    for condition in conditions {
        collect_facts(condition, &mut facts);
    }
    facts.retain(|f| !EVENT_FACTS.contains(&f.as_str()));
    crate::order::sort(&mut facts);
    facts.dedup();
    facts
}

/// A one-lead workspace from a lead object and its events (the same columns as the files);
/// `facts` ([`rule_facts`]) the lead does not have become empty columns, so rules on them are
/// unknown rather than refused. Clean input is read straight into the workspace; anything the
/// ingestion would reject or warn about goes through it as an NDJSON file, which says why.
pub fn lead_workspace(
    framework: &Arc<Framework>,
    facts: &[String],
    lead_json: &str,
    events_json: &str,
) -> Result<Workspace, Error> {
    match crate::ingest::one_lead_workspace_json(framework, facts, lead_json, events_json) {
        Some(ws) => Ok(ws),
        None => lead_workspace_ingested(framework, facts, lead_json, events_json),
    }
}

/// The one-lead workspace of a placeholder lead (`-`), for a call that reads the configuration
/// but no lead (`checkMessage` without workspace files): read directly, or the general way when
/// the configuration's facts need it. Not through [`lead_workspace`]: its JSON fast path is
/// not in the browser builds (+1.2 KB gzipped in the widget).
pub fn placeholder_workspace(
    framework: &Arc<Framework>,
    facts: &[String],
) -> Result<Workspace, Error> {
    use std::borrow::Cow;
    let lead = [
        ("lead_id", Cow::Borrowed("-")),
        ("created_at", Cow::Borrowed("2000-01-01T00:00:00Z")),
    ];
    match crate::ingest::one_lead_workspace(framework, facts, &lead[..], &[]) {
        Some(ws) => Ok(ws),
        None => lead_workspace_ingested(
            framework,
            facts,
            r#"{"lead_id":"-","created_at":"2000-01-01T00:00:00Z"}"#,
            "",
        ),
    }
}

/// [`lead_workspace`] through the general ingestion (the lead and events read as NDJSON files).
pub fn lead_workspace_ingested(
    framework: &Arc<Framework>,
    facts: &[String],
    lead_json: &str,
    events_json: &str,
) -> Result<Workspace, Error> {
    let empty: Vec<(&str, &str)> = facts.iter().map(|f| (f.as_str(), "")).collect();
    let lead =
        JsonRows::parse(FileKind::Leads, lead_json, &empty).map_err(|e| bad_input("lead", e))?;
    if lead.len() != 1 {
        return Err(bad_input(
            "lead",
            "expected one object (the lead), not a list",
        ));
    }
    let id = lead.field(0, "lead_id").unwrap_or_default();
    let events_json = if events_json.trim().is_empty() {
        "[]"
    } else {
        events_json
    };
    if !events_json.trim_start().starts_with('[') {
        return Err(bad_input("events", "expected a list of event objects"));
    }
    let events = JsonRows::parse(FileKind::Events, events_json, &[("lead_id", id)])
        .map_err(|e| bad_input("events", e))?;
    let mut files = vec![("leads.ndjson", lead)];
    if !events.is_empty() {
        files.push(("events.ndjson", events));
    }
    let ws = crate::load_from_json_rows(framework.clone(), files)?;
    refuse_rejected(&ws)?;
    Ok(ws)
}

/// The files a page's lead and events become, and what an answer calls them.
const PAGE_FILES: [(&str, &str); 2] = [("leads", "lead"), ("events", "events")];

/// The input a row of a page's lead or events is: `lead`, or the event's index (`events[3]`).
fn input_name(stem: &str, rows: &str, line: u64) -> String {
    if stem == "leads" {
        rows.to_string()
    } else {
        format!("{rows}[{}]", line.saturating_sub(1))
    }
}

/// A lead or event the engine could not use is an error naming it and its field, not a row
/// left out of the answer: a page gets told, where a file's rejected rows are counted.
fn refuse_rejected(ws: &Workspace) -> Result<(), Error> {
    for (stem, rows) in PAGE_FILES {
        let Some(file) = ws.data_quality.files.get(stem) else {
            continue;
        };
        let Some((finding, line)) = file
            .rejections
            .iter()
            .filter_map(|f| f.lines.first().map(|&l| (f, l)))
            .min_by_key(|&(_, l)| l)
        else {
            continue;
        };
        let reason = serde_json::to_value(finding.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let what = input_name(stem, rows, line);
        let others = match file.rejected {
            0 | 1 => String::new(),
            n => format!(" ({n} of the {} {rows} given cannot be used)", file.rows),
        };
        return Err(bad_input(
            &what,
            format!(
                "`{}`: {} ({reason}){others}",
                finding.field, finding.example
            ),
        ));
    }
    Ok(())
}

/// Facts that name an event's own fields, not lead attributes.
const EVENT_FACTS: &[&str] = &[
    "type",
    "channel",
    "team",
    "campaign",
    "asset_id",
    "asset",
    "ts",
    "age_days",
    "lead_id",
    "created_at",
    "stage",
    "source",
    "owner",
];

/// Every fact a condition names.
fn collect_facts(condition: &Condition, out: &mut Vec<String>) {
    match condition {
        Condition::All { all: parts } | Condition::Any { any: parts } => {
            parts.iter().for_each(|c| collect_facts(c, out));
        }
        Condition::Not { not } => collect_facts(not, out),
        Condition::Fact { fact, .. } => out.push(fact.clone()),
    }
}

/// A lead field or event field the engine used with a caveat (a `data_quality` warning).
#[derive(Serialize, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InputWarning {
    /// Why (`bad_number`, `local_time_in_gap`, `before_lead_created`, ...).
    pub reason: crate::quality::Reason,
    /// The field concerned.
    pub field: String,
    /// Which inputs: `lead`, or events by index (`events[3]`); the first ones when many.
    pub inputs: Vec<String>,
    /// How many inputs have it.
    pub count: u64,
    /// What was found in the first.
    pub example: String,
}

/// The warnings the ingestion gave the lead and its events: the lead's first, each file's in
/// the order `data_quality` lists them.
pub(crate) fn input_warnings(ws: &Workspace) -> Vec<InputWarning> {
    PAGE_FILES
        .iter()
        .filter_map(|&(stem, rows)| Some((stem, rows, ws.data_quality.files.get(stem)?)))
        .flat_map(|(stem, rows, file)| {
            file.warnings.iter().map(move |w| InputWarning {
                reason: w.reason,
                field: w.field.clone(),
                inputs: w.lines.iter().map(|&l| input_name(stem, rows, l)).collect(),
                count: w.count,
                example: w.example.clone(),
            })
        })
        .collect()
}
