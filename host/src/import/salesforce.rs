//! `baton import salesforce`: Lead, LeadHistory, Opportunity, Task and Event exports.
//!
//! Lead statuses become lifecycle stages through a mapping (the standard picklist by default);
//! statuses it does not know are written as found and listed, so `baton analyze` reports them.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::tz::TimeZone;

use super::{
    ImportSummary, LeadMapping, Out, Table, deal_columns, export_files, find_export,
    normalize_time, note_unread, stage_columns, write_config,
};
use crate::error::HostError;

/// Lead status (lower-case) → Baton stage. Covers Salesforce's standard picklist and common variants.
const STATUS_STAGES: &[(&str, &str)] = &[
    ("new", "lead"),
    ("open - not contacted", "mql"),
    ("open", "mql"),
    ("assigned", "mql"),
    ("marketing qualified", "mql"),
    ("working - contacted", "sal"),
    ("working", "sal"),
    ("in process", "sal"),
    ("accepted", "sal"),
    ("qualified", "sql"),
    ("closed - converted", "sql"),
    ("converted", "sql"),
    ("closed - not converted", "disqualified"),
    ("unqualified", "disqualified"),
    ("dead", "disqualified"),
    ("nurturing", "recycled"),
    ("recycled", "recycled"),
];

const LIFECYCLE: &str = "[lifecycle]\n\
stages = [\"lead\", \"mql\", \"sal\", \"sql\", \"opportunity\", \"customer\"]\n\
marketing = [\"lead\", \"mql\"]\n\
sales = [\"sal\", \"sql\", \"opportunity\", \"customer\"]\n\
exits = [\"recycled\", \"disqualified\"]\n\n\
[sla.first_touch]\nfrom_stage = \"mql\"\nwithin_business_hours = 4\n";

const LEAD_COLUMNS: &[(&str, &[&str])] = &[
    ("lead_id", &["Id", "Lead ID"]),
    ("created_at", &["CreatedDate", "Created Date"]),
    ("source", &["LeadSource", "Lead Source"]),
    ("company", &["Company"]),
    ("title", &["Title"]),
    ("industry", &["Industry"]),
    ("employees", &["NumberOfEmployees", "No. of Employees"]),
    ("country", &["Country"]),
    ("owner", &["OwnerId", "Lead Owner"]),
    ("status", &["Status", "Lead Status"]),
    ("is_converted", &["IsConverted", "Converted"]),
];

fn stage_of(status: &str) -> Option<&'static str> {
    let s = status.trim().to_ascii_lowercase();
    STATUS_STAGES.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
}

/// Imports a Salesforce export folder into a workspace at `out` (naive dates read as UTC,
/// which is how Salesforce's data export writes them).
pub fn import(export_dir: &Path, out: &Path) -> Result<ImportSummary, HostError> {
    let tz = TimeZone::UTC;
    let files = export_files(export_dir)?;
    let lead_path = find_export(&files, &["lead.csv", "leads.csv", "lead_"]).ok_or_else(|| {
        HostError::Input(format!(
            "{}: no Lead export (Lead.csv with Id and CreatedDate)",
            export_dir.display()
        ))
    })?;
    let history_path = find_export(&files, &["leadhistory"]);
    let opp_path = find_export(
        &files,
        &["opportunity.csv", "opportunities", "opportunity_"],
    );
    let task_path = find_export(&files, &["task"]);
    let event_path = find_export(&files, &["event"]);
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;
    let mut summary = ImportSummary {
        out: out.to_path_buf(),
        ..Default::default()
    };
    let known = [
        Some(&lead_path),
        history_path.as_ref(),
        opp_path.as_ref(),
        task_path.as_ref(),
        event_path.as_ref(),
    ];
    note_unread(&files, &known, &mut summary);

    let leads = Table::read(&lead_path)?;
    summary
        .read
        .insert(leads.name.clone(), leads.rows.len() as u64);
    let converted_date = leads.column(&["ConvertedDate", "Converted Date"]);
    let converted_opp = leads.column(&["ConvertedOpportunityId"]);
    let converted_contact = leads.column(&["ConvertedContactId"]);
    let read_elsewhere: Vec<usize> = [converted_date, converted_opp, converted_contact]
        .into_iter()
        .flatten()
        .collect();
    let mapping = LeadMapping::new(&leads, LEAD_COLUMNS, &read_elsewhere, &mut summary);
    let (id_col, created_col) = (mapping.column("lead_id"), mapping.column("created_at"));
    if id_col.is_none() || created_col.is_none() {
        return Err(HostError::Input(format!(
            "{}: a Lead export needs Id and CreatedDate columns",
            leads.name
        )));
    }
    let mut out_leads = Out::create(out, "leads.csv", &mapping.header)?;
    let mut opp_lead: BTreeMap<String, String> = BTreeMap::new();
    let mut contact_lead: BTreeMap<String, String> = BTreeMap::new();
    let mut stages = Out::create(out, "stages.csv", &stage_columns())?;
    let mut converted_without_history = Vec::new();
    let mut created_of: BTreeMap<String, String> = BTreeMap::new();
    for row in &leads.rows {
        let id = Table::get(row, id_col).to_string();
        out_leads.write(mapping.row(row, &["created_at"], &tz))?;
        let created_at = normalize_time(Table::get(row, created_col), &tz);
        stages.write([id.as_str(), &created_at, "lead", "", "salesforce"])?;
        created_of.insert(id.clone(), created_at);
        let opp = Table::get(row, converted_opp);
        if !opp.is_empty() {
            opp_lead.insert(opp.to_string(), id.clone());
        }
        let contact = Table::get(row, converted_contact);
        if !contact.is_empty() {
            contact_lead.insert(contact.to_string(), id.clone());
        }
        let cdate = Table::get(row, converted_date);
        if !cdate.is_empty() {
            converted_without_history.push((id.clone(), normalize_time(cdate, &tz)));
        }
    }
    out_leads.finish(&mut summary)?;

    let mut has_history: std::collections::BTreeSet<String> = Default::default();
    if let Some(path) = &history_path {
        let hist = Table::read(path)?;
        summary
            .read
            .insert(hist.name.clone(), hist.rows.len() as u64);
        let lead = hist.column(&["LeadId", "ParentId"]);
        let field = hist.column(&["Field"]);
        let new_value = hist.column(&["NewValue"]);
        let created = hist.column(&["CreatedDate"]);
        let actor = hist.column(&["CreatedById"]);
        if lead.is_none() || field.is_none() || new_value.is_none() || created.is_none() {
            return Err(HostError::Input(format!(
                "{}: LeadHistory needs LeadId, Field, NewValue and CreatedDate",
                hist.name
            )));
        }
        let old_value = hist.column(&["OldValue"]);
        let mut status_rows: Vec<&csv::StringRecord> = hist
            .rows
            .iter()
            .filter(|r| Table::get(r, field).eq_ignore_ascii_case("Status"))
            .collect();
        status_rows.sort_by_key(|r| {
            (
                Table::get(r, lead),
                normalize_time(Table::get(r, created), &tz),
            )
        });
        let mut previous_lead = "";
        for row in status_rows {
            let id = Table::get(row, lead);
            // The first change's OldValue is the status the lead had since it was created.
            if id != previous_lead {
                previous_lead = id;
                let initial = Table::get(row, old_value);
                if let (Some(stage), Some(created_at)) = (stage_of(initial), created_of.get(id))
                    && stage != "lead"
                {
                    stages.write([
                        id,
                        created_at.as_str(),
                        stage,
                        "initial status",
                        "salesforce",
                    ])?;
                }
            }
            let status = Table::get(row, new_value);
            let stage = match stage_of(status) {
                Some(s) => s.to_string(),
                None => {
                    *summary.unmapped_values.entry(format!("lead status {status:?} (written as found; add it to [lifecycle] or rename it)")).or_insert(0) += 1;
                    status.to_string()
                }
            };
            has_history.insert(id.to_string());
            stages.write([
                id,
                &normalize_time(Table::get(row, created), &tz),
                &stage,
                "",
                Table::get(row, actor),
            ])?;
        }
    } else {
        summary.caveats.push(
            "no LeadHistory export: stage history is limited to creation and conversion dates"
                .into(),
        );
    }
    let mut converted_added = 0;
    for (id, date) in &converted_without_history {
        if !has_history.contains(id) {
            stages.write([id.as_str(), date, "sql", "converted", "salesforce"])?;
            converted_added += 1;
        }
    }
    if converted_added > 0 {
        summary.caveats.push(format!("{converted_added} converted leads without status history: their ConvertedDate is used as entry into sql"));
    }

    if let Some(path) = &opp_path {
        let opps = Table::read(path)?;
        summary
            .read
            .insert(opps.name.clone(), opps.rows.len() as u64);
        let id = opps.column(&["Id", "Opportunity ID"]);
        let created = opps.column(&["CreatedDate", "Created Date"]);
        let close = opps.column(&["CloseDate", "Close Date"]);
        let amount = opps.column(&["Amount"]);
        let won = opps.column(&["IsWon", "Won"]);
        let closed = opps.column(&["IsClosed", "Closed"]);
        let stage_name = opps.column(&["StageName", "Stage"]);
        let currency = opps.column(&["CurrencyIsoCode", "Opportunity Currency"]);
        let mut deals = Out::create(out, "deals.csv", &deal_columns())?;
        let mut orphans = 0;
        for row in &opps.rows {
            let deal = Table::get(row, id);
            let lead = opp_lead.get(deal).map_or("", String::as_str);
            if lead.is_empty() {
                orphans += 1;
            }
            let t = |v: &str| v.eq_ignore_ascii_case("true") || v == "1";
            let stage = Table::get(row, stage_name).to_ascii_lowercase();
            let is_closed = t(Table::get(row, closed)) || stage.starts_with("closed");
            let is_won = t(Table::get(row, won)) || stage == "closed won";
            let status = if !is_closed {
                "open"
            } else if is_won {
                "won"
            } else {
                "lost"
            };
            let close_at = if status == "open" {
                String::new()
            } else {
                normalize_time(Table::get(row, close), &tz)
            };
            let created_at = normalize_time(Table::get(row, created), &tz);
            deals.write([
                deal,
                lead,
                &created_at,
                status,
                &close_at,
                Table::get(row, amount),
                Table::get(row, currency),
            ])?;
            if !lead.is_empty() {
                stages.write([lead, &created_at, "opportunity", "", "salesforce"])?;
                if status == "won" {
                    stages.write([lead, &close_at, "customer", "", "salesforce"])?;
                }
            }
        }
        if orphans > 0 {
            summary.caveats.push(format!("{orphans} opportunities are not the ConvertedOpportunityId of any lead: written without a lead, `baton analyze` reports them"));
        }
        deals.finish(&mut summary)?;
    }
    stages.finish(&mut summary)?;

    let mut events = Out::create(
        out,
        "events.csv",
        &["lead_id", "ts", "type", "channel", "team", "campaign"].map(String::from),
    )?;
    for (path, kind_default) in [(&task_path, "task"), (&event_path, "meeting")] {
        let Some(path) = path else { continue };
        let t = Table::read(path)?;
        summary.read.insert(t.name.clone(), t.rows.len() as u64);
        let who = t.column(&["WhoId", "Name ID"]);
        let when = t.column(&[
            "ActivityDateTime",
            "StartDateTime",
            "CompletedDateTime",
            "ActivityDate",
            "CreatedDate",
        ]);
        let kind = t.column(&["Type", "TaskSubtype", "EventSubtype"]);
        if who.is_none() || when.is_none() {
            return Err(HostError::Input(format!(
                "{}: activities need WhoId and ActivityDate (or CreatedDate)",
                t.name
            )));
        }
        for row in &t.rows {
            let who_id = Table::get(row, who);
            let lead = contact_lead.get(who_id).map_or(who_id, String::as_str);
            let k = Table::get(row, kind);
            let k = if k.is_empty() {
                kind_default.to_string()
            } else {
                k.to_ascii_lowercase()
            };
            let channel = match k.as_str() {
                "call" => "phone",
                "email" | "list email" => "email",
                "meeting" | "event" => "meeting",
                _ => "other",
            };
            events.write([
                lead,
                &normalize_time(Table::get(row, when), &tz),
                &k,
                channel,
                "sales",
                "",
            ])?;
        }
    }
    events.finish(&mut summary)?;
    if task_path.is_none() && event_path.is_none() {
        summary.caveats.push(
            "no Task or Event export: no sales touches, so speed-to-lead cannot be measured".into(),
        );
    }
    write_config(out, "Salesforce import", "UTC", "USD", LIFECYCLE)?;
    Ok(summary)
}
