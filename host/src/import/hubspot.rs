//! `baton import hubspot`: contacts, deals, deal–contact associations and activities.
//!
//! Expected files (CSV, names starting with): `contacts`, `deals`, optionally `associations`
//! (deal ↔ contact ids) and `activities` / `engagements`. HubSpot's contact export holds only the
//! *latest* entry into each lifecycle stage ("Became a … Date"); full history needs property history.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::tz::TimeZone;

use super::{
    ImportSummary, LeadMapping, Out, Table, deal_columns, export_files, find_export,
    normalize_time, note_unread, stage_columns, write_config,
};
use crate::error::HostError;

/// Canonical lead column ← (internal name, export label, ...).
const CONTACT_COLUMNS: &[(&str, &[&str])] = &[
    ("lead_id", &["hs_object_id", "Record ID", "Contact ID"]),
    ("created_at", &["createdate", "Create Date"]),
    ("source", &["hs_analytics_source", "Original Source"]),
    ("company", &["company", "Company Name"]),
    ("title", &["jobtitle", "Job Title"]),
    ("industry", &["industry", "Industry"]),
    ("employees", &["numemployees", "Number of Employees"]),
    ("country", &["country", "Country/Region", "Country"]),
    ("persona", &["hs_persona", "Persona"]),
    ("owner", &["hubspot_owner_id", "Contact owner"]),
    ("lead_status", &["hs_lead_status", "Lead Status"]),
    ("lifecycle_stage", &["lifecyclestage", "Lifecycle Stage"]),
    (
        "owner_assigned_at",
        &["hubspot_owner_assigneddate", "Owner Assigned Date"],
    ),
    (
        "last_contacted",
        &["notes_last_contacted", "Last Contacted"],
    ),
    (
        "source_detail_1",
        &["hs_analytics_source_data_1", "Original Source Drill-Down 1"],
    ),
    (
        "source_detail_2",
        &["hs_analytics_source_data_2", "Original Source Drill-Down 2"],
    ),
];

/// HubSpot lifecycle stage → (Baton stage, internal date column, export label of the date column).
const STAGES: &[(&str, &str, &str, &str)] = &[
    (
        "subscriber",
        "subscriber",
        "hs_lifecyclestage_subscriber_date",
        "Became a Subscriber Date",
    ),
    (
        "lead",
        "lead",
        "hs_lifecyclestage_lead_date",
        "Became a Lead Date",
    ),
    (
        "marketingqualifiedlead",
        "mql",
        "hs_lifecyclestage_marketingqualifiedlead_date",
        "Became a Marketing Qualified Lead Date",
    ),
    (
        "salesqualifiedlead",
        "sql",
        "hs_lifecyclestage_salesqualifiedlead_date",
        "Became a Sales Qualified Lead Date",
    ),
    (
        "opportunity",
        "opportunity",
        "hs_lifecyclestage_opportunity_date",
        "Became an Opportunity Date",
    ),
    (
        "customer",
        "customer",
        "hs_lifecyclestage_customer_date",
        "Became a Customer Date",
    ),
    (
        "evangelist",
        "evangelist",
        "hs_lifecyclestage_evangelist_date",
        "Became an Evangelist Date",
    ),
    (
        "other",
        "other",
        "hs_lifecyclestage_other_date",
        "Became a Other Lifecycle Date",
    ),
];

const LIFECYCLE: &str = "[lifecycle]\n\
stages = [\"subscriber\", \"lead\", \"mql\", \"sql\", \"opportunity\", \"customer\", \"evangelist\"]\n\
marketing = [\"subscriber\", \"lead\", \"mql\"]\n\
sales = [\"sql\", \"opportunity\", \"customer\", \"evangelist\"]\n\
exits = [\"other\", \"recycled\", \"disqualified\"]\n\n\
[sla.first_touch]\nfrom_stage = \"mql\"\nwithin_business_hours = 4\n";

/// Imports a HubSpot export folder into a workspace at `out`, reading naive dates as UTC.
pub fn import(export_dir: &Path, out: &Path) -> Result<ImportSummary, HostError> {
    import_with_zone(export_dir, out, "UTC")
}

/// Imports with naive export dates read in `timezone` (the portal's time zone).
pub fn import_with_zone(
    export_dir: &Path,
    out: &Path,
    timezone: &str,
) -> Result<ImportSummary, HostError> {
    let tz = TimeZone::get(timezone)
        .map_err(|_| HostError::Input(format!("unknown time zone {timezone:?}")))?;
    let files = export_files(export_dir)?;
    let contacts_path = find_export(&files, &["contacts", "all-contacts"]).ok_or_else(|| {
        HostError::Input(format!(
            "{}: no contacts export (a CSV whose name starts with `contacts`, with a \"Record ID\" column)",
            export_dir.display()
        ))
    })?;
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;
    let mut summary = ImportSummary {
        out: out.to_path_buf(),
        ..Default::default()
    };
    let deals_path = find_export(&files, &["deals", "all-deals"]);
    let assoc_path = find_export(&files, &["associations", "deal-contact", "deal_contact"]);
    let activity_path = find_export(&files, &["activities", "engagements"]);
    note_unread(
        &files,
        &[
            Some(&contacts_path),
            deals_path.as_ref(),
            assoc_path.as_ref(),
            activity_path.as_ref(),
        ],
        &mut summary,
    );

    // Contacts → leads + stages.
    let contacts = Table::read(&contacts_path)?;
    summary
        .read
        .insert(contacts.name.clone(), contacts.rows.len() as u64);
    let stage_cols: Vec<(&str, Option<usize>)> = STAGES
        .iter()
        .map(|(_, stage, internal, label)| (*stage, contacts.column(&[internal, label])))
        .collect();
    let stage_used: Vec<usize> = stage_cols.iter().filter_map(|s| s.1).collect();
    let mapping = LeadMapping::new(&contacts, CONTACT_COLUMNS, &stage_used, &mut summary);
    let id_col = mapping.column("lead_id");
    if id_col.is_none() || mapping.column("created_at").is_none() {
        return Err(HostError::Input(format!(
            "{}: a HubSpot contacts export needs \"Record ID\" (hs_object_id) and \"Create Date\" (createdate)",
            contacts.name
        )));
    }
    let mut leads = Out::create(out, "leads.csv", &mapping.header)?;
    let mut stages = Out::create(out, "stages.csv", &stage_columns())?;
    let time_columns = ["created_at", "owner_assigned_at", "last_contacted"];
    for row in &contacts.rows {
        leads.write(mapping.row(row, &time_columns, &tz))?;
        let id = Table::get(row, id_col);
        for (stage, col) in &stage_cols {
            let v = Table::get(row, *col);
            if !v.is_empty() {
                stages.write([id, &normalize_time(v, &tz), stage, "", "hubspot"])?;
            }
        }
    }
    leads.finish(&mut summary)?;
    stages.finish(&mut summary)?;
    summary.caveats.push(
        "HubSpot's \"Became a … Date\" columns hold only the latest entry into each stage; recycle loops and \
         re-entries need the lifecycle stage property history"
            .into(),
    );

    // Deals (+ associations) → deals.
    let mut deal_contacts: BTreeMap<String, String> = BTreeMap::new();
    if let Some(path) = &assoc_path {
        let assoc = Table::read(path)?;
        summary
            .read
            .insert(assoc.name.clone(), assoc.rows.len() as u64);
        let d = assoc.column(&["Deal ID", "deal_id", "Record ID - Deal", "fromObjectId"]);
        let c = assoc.column(&[
            "Contact ID",
            "contact_id",
            "Record ID - Contact",
            "toObjectId",
        ]);
        if d.is_none() || c.is_none() {
            return Err(HostError::Input(format!(
                "{}: an associations export needs \"Deal ID\" and \"Contact ID\" columns",
                assoc.name
            )));
        }
        for row in &assoc.rows {
            // Deals with several contacts: the lowest contact id is taken as the lead, and said.
            let deal = Table::get(row, d).to_string();
            let contact = Table::get(row, c).to_string();
            deal_contacts
                .entry(deal)
                .and_modify(|e| {
                    if contact < *e {
                        *e = contact.clone();
                    }
                })
                .or_insert(contact);
        }
    }
    if let Some(path) = &deals_path {
        let deals = Table::read(path)?;
        summary
            .read
            .insert(deals.name.clone(), deals.rows.len() as u64);
        let id = deals.column(&["hs_object_id", "Record ID", "Deal ID"]);
        let created = deals.column(&["createdate", "Create Date"]);
        let closed = deals.column(&["closedate", "Close Date"]);
        let amount = deals.column(&["amount", "Amount"]);
        let currency = deals.column(&["deal_currency_code", "Currency"]);
        let won = deals.column(&["hs_is_closed_won", "Is Closed Won", "Is closed won"]);
        let is_closed = deals.column(&["hs_is_closed", "Is Closed", "Is deal closed?"]);
        let stage = deals.column(&["dealstage", "Deal Stage"]);
        let contacts_col = deals.column(&[
            "Associated Contact IDs",
            "associatedcontactids",
            "Associated Contact ID",
        ]);
        let used = [
            id,
            created,
            closed,
            amount,
            currency,
            won,
            is_closed,
            stage,
            contacts_col,
        ];
        let extra: Vec<String> = (0..deals.headers.len())
            .filter(|i| !used.contains(&Some(*i)))
            .map(|i| deals.headers[i].clone())
            .collect();
        if !extra.is_empty() {
            summary.unmapped_columns.insert(deals.name.clone(), extra);
        }
        let mut out_deals = Out::create(out, "deals.csv", &deal_columns())?;
        let mut multiple = 0u64;
        for row in &deals.rows {
            let deal_id = Table::get(row, id);
            let lead = match deal_contacts.get(deal_id) {
                Some(c) => c.clone(),
                None => {
                    let ids: Vec<&str> = Table::get(row, contacts_col)
                        .split([';', ','])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect();
                    if ids.len() > 1 {
                        multiple += 1;
                    }
                    ids.into_iter().min().unwrap_or("").to_string()
                }
            };
            let truthy = |v: &str| {
                v.eq_ignore_ascii_case("true") || v == "1" || v.eq_ignore_ascii_case("yes")
            };
            let stage_text = Table::get(row, stage)
                .to_ascii_lowercase()
                .replace([' ', '_', '-'], "");
            let status = if truthy(Table::get(row, won)) || stage_text == "closedwon" {
                "won"
            } else if stage_text == "closedlost"
                || (truthy(Table::get(row, is_closed)) && !truthy(Table::get(row, won)))
            {
                "lost"
            } else {
                "open"
            };
            let closed_at = if status == "open" {
                String::new()
            } else {
                normalize_time(Table::get(row, closed), &tz)
            };
            out_deals.write([
                deal_id,
                &lead,
                &normalize_time(Table::get(row, created), &tz),
                status,
                &closed_at,
                Table::get(row, amount),
                Table::get(row, currency),
            ])?;
        }
        if multiple > 0 {
            summary.caveats.push(format!("{multiple} deals are associated with several contacts; the lowest contact id is used as the lead"));
        }
        if assoc_path.is_none() && contacts_col.is_none() {
            summary.caveats.push(
                "no deal–contact associations (an `associations` export or an \"Associated Contact IDs\" column): \
                 deals are written without a lead and `baton analyze` will report them"
                    .into(),
            );
        }
        out_deals.finish(&mut summary)?;
    }

    // Activities → events (sales activities logged on contacts).
    if let Some(path) = &activity_path {
        let acts = Table::read(path)?;
        summary
            .read
            .insert(acts.name.clone(), acts.rows.len() as u64);
        let ts = acts.column(&[
            "hs_timestamp",
            "Activity date",
            "Activity Date",
            "Create Date",
        ]);
        let kind = acts.column(&[
            "hs_engagement_type",
            "Activity type",
            "Activity Type",
            "Type",
        ]);
        let contact = acts.column(&[
            "Contact ID",
            "Associated Contact IDs",
            "Associated Contact ID",
            "contact_id",
        ]);
        if ts.is_none() || kind.is_none() || contact.is_none() {
            return Err(HostError::Input(format!(
                "{}: an activities export needs \"Activity date\", \"Activity type\" and \"Contact ID\" columns",
                acts.name
            )));
        }
        let mut events = Out::create(
            out,
            "events.csv",
            &["lead_id", "ts", "type", "channel", "team"].map(String::from),
        )?;
        for row in &acts.rows {
            let k = Table::get(row, kind).to_ascii_lowercase();
            let (channel, team) = match k.as_str() {
                "call" | "calls" => ("phone", "sales"),
                "email" | "emails" | "incoming_email" | "forwarded_email" => ("email", "sales"),
                "meeting" | "meetings" => ("meeting", "sales"),
                "linkedin_message" => ("social", "sales"),
                "marketing_email" => ("email", "marketing"),
                _ => {
                    *summary
                        .unmapped_values
                        .entry(format!(
                            "activity type {k:?} (written with channel \"other\", no team)"
                        ))
                        .or_insert(0) += 1;
                    ("other", "")
                }
            };
            for c in Table::get(row, contact)
                .split([';', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                events.write([
                    c,
                    &normalize_time(Table::get(row, ts), &tz),
                    &k,
                    channel,
                    team,
                ])?;
            }
        }
        events.finish(&mut summary)?;
    } else {
        summary.caveats.push("no activities export: the workspace has no touchpoint events; export calls, emails and meetings to measure speed-to-lead".into());
    }
    write_config(out, "HubSpot import", timezone, "USD", LIFECYCLE)?;
    Ok(summary)
}
