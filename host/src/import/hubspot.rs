//! `baton import hubspot`: contacts, deals, deal–contact associations and activities.
//!
//! Files are recognised by their columns and by a name containing `contact`, `deal`,
//! `association` or `activit` / `engagement` (`hubspot-crm-exports-all-contacts-2025-04-28.csv`),
//! in HubSpot's export labels, its internal names, or a warehouse sync's (`property_createdate`). HubSpot's contact export holds only the
//! *latest* entry into each lifecycle stage ("Became a … Date"); full history needs property history.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::tz::TimeZone;

use super::export_folder::{ExportFolder, OtherExport, Role};
use super::export_table::{Table, header_key};
use super::{
    APPROXIMATE, Currencies, Deleted, ImportSummary, LeadMapping, LocalTimes, Out, deal_columns,
    stage_columns, truthy, write_config,
};
use crate::error::HostError;

/// A contact property's canonical lead column (by internal name or label), as the webhooks
/// map a property change.
pub(crate) fn contact_column(property: &str) -> Option<&'static str> {
    let key = header_key(property);
    CONTACT_COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|n| header_key(n) == key))
        .map(|(column, _)| *column)
}

/// Canonical lead column ← (internal name, export label, ...).
const CONTACT_COLUMNS: &[(&str, &[&str])] = &[
    ("lead_id", CONTACT_ID),
    ("created_at", CREATED),
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
        "Became an Other Lifecycle Date",
    ),
];

const LIFECYCLE: &str = "[lifecycle]\n\
stages = [\"subscriber\", \"lead\", \"mql\", \"sql\", \"opportunity\", \"customer\", \"evangelist\"]\n\
marketing = [\"subscriber\", \"lead\", \"mql\"]\n\
sales = [\"sql\", \"opportunity\", \"customer\", \"evangelist\"]\n\
exits = [\"other\", \"recycled\", \"disqualified\"]\n\n\
[sla.first_touch]\nfrom_stage = \"mql\"\nwithin_business_hours = 4\n";

const CONTACT_ID: &[&str] = &["hs_object_id", "Record ID", "Contact ID", "vid", "id"];
const CREATED: &[&str] = &["createdate", "Create Date"];
const DEAL_ID: &[&str] = &["Deal ID", "deal_id", "Record ID - Deal", "fromObjectId"];
const ASSOCIATED_CONTACT: &[&str] = &[
    "Contact ID",
    "contact_id",
    "Record ID - Contact",
    "toObjectId",
];

/// The contacts export (also what tells the Salesforce importer it was given a HubSpot export).
pub(crate) const CONTACTS: Role = Role {
    what: "contacts export",
    names: &["contact"],
    columns: &[
        CONTACT_ID,
        CREATED,
        &[
            "email",
            "lifecyclestage",
            "firstname",
            "First Name",
            "Lifecycle Stage",
        ],
    ],
    not: &[DEAL_ID, &["dealstage", "Deal Stage"], &["engagement_id"]],
};
const DEALS: Role = Role {
    what: "deals export",
    names: &["deal"],
    columns: &[
        &["hs_object_id", "Record ID", "Deal ID", "deal_id", "id"],
        &["dealstage", "Deal Stage", "dealname", "Deal Name"],
    ],
    not: &[ASSOCIATED_CONTACT],
};
const ASSOCIATIONS: Role = Role {
    what: "deal–contact associations export",
    names: &["association", "deal-contact", "deal_contact", "dealcontact"],
    columns: &[DEAL_ID, ASSOCIATED_CONTACT],
    not: &[&["dealstage", "Deal Stage"]],
};
const ACTIVITIES: Role = Role {
    what: "activities export",
    names: &["activit", "engagement"],
    columns: &[ACTIVITY_TIME, ACTIVITY_TYPE],
    not: &[&["engagement_id"]],
};
const ENGAGEMENT_CONTACTS: Role = Role {
    what: "engagement–contact associations",
    names: &["engagement_contact", "engagement-contact"],
    columns: &[&["engagement_id"], &["contact_id"]],
    not: &[],
};
const ACTIVITY_TIME: &[&str] = &[
    "hs_timestamp",
    "Activity date",
    "timestamp",
    "Create Date",
    "created_at",
];
const ACTIVITY_TYPE: &[&str] = &["hs_engagement_type", "Activity type", "Type"];

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
    let mut summary = ImportSummary {
        out: out.to_path_buf(),
        ..Default::default()
    };
    let mut folder = ExportFolder::open(export_dir, &mut summary)?;
    let contacts = folder.require(
        &CONTACTS,
        "a CSV with \"Record ID\" and \"Create Date\", e.g. hubspot-crm-exports-all-contacts-….csv",
        &OtherExport {
            role: &super::salesforce::LEAD,
            crm: "Salesforce",
            command: "salesforce",
        },
        &mut summary,
    )?;
    let deals = folder.take(&DEALS, &mut summary);
    let associations = folder.take(&ASSOCIATIONS, &mut summary);
    let activities = folder.take(&ACTIVITIES, &mut summary);
    let engagement_contacts = folder.take(&ENGAGEMENT_CONTACTS, &mut summary);
    folder.finish(&mut summary);
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;
    let mut times = LocalTimes::new(tz, timezone);
    write_contacts(&contacts, out, &mut times, &mut summary)?;
    let mut currencies = Currencies::default();
    if let Some(deals) = &deals {
        let deal_contacts = associated_contacts(associations.as_ref())?;
        write_deals(
            deals,
            &deal_contacts,
            associations.is_some(),
            out,
            (&mut times, &mut currencies),
            &mut summary,
        )?;
    }
    match &activities {
        Some(acts) => write_activities(acts, engagement_contacts.as_ref(), out, &mut times, &mut summary)?,
        None => summary.caveats.push("no activities export: the workspace has no touchpoint events; export calls, emails and meetings to measure speed-to-lead".into()),
    }
    times.note(&mut summary);
    currencies.note(&mut summary);
    write_config(out, "HubSpot import", timezone, &currencies, LIFECYCLE)?;
    Ok(summary)
}

/// The Baton stage of a lifecycle stage value, internal (`marketingqualifiedlead`) or label
/// ("Marketing Qualified Lead").
/// HubSpot lifecycle stage (internal name or label) → Baton stage (the webhooks map the same).
pub(crate) fn stage_of(value: &str) -> Option<&'static str> {
    let key = header_key(value);
    STAGES
        .iter()
        .find(|(internal, ..)| *internal == key)
        .map(|(_, stage, ..)| *stage)
}

/// Contacts → `leads.csv` and `stages.csv`: every dated "Became a … Date", a `lead` entry at
/// creation when the export has no lead date, and the current stage when its date is missing.
fn write_contacts(
    contacts: &Table,
    out: &Path,
    times: &mut LocalTimes,
    summary: &mut ImportSummary,
) -> Result<(), HostError> {
    let stage_cols: Vec<(&str, Option<usize>)> = STAGES
        .iter()
        .map(|(_, stage, internal, label)| (*stage, contacts.column(&[internal, label])))
        .collect();
    let stage_used: Vec<usize> = stage_cols.iter().filter_map(|s| s.1).collect();
    let mut mapping = LeadMapping::new(contacts, CONTACT_COLUMNS, &stage_used, summary);
    if !mapping.has("lead_id") || !mapping.has("created_at") {
        return Err(HostError::Input(format!(
            "{}: a HubSpot contacts export needs \"Record ID\" (hs_object_id) and \"Create Date\" (createdate); it has {}",
            contacts.name,
            contacts.headers.join(", ")
        )));
    }
    let mut leads = Out::create(out, "leads.csv", &mapping.header)?;
    let mut stages = Out::create(out, "stages.csv", &stage_columns())?;
    let time_columns = ["created_at", "owner_assigned_at", "last_contacted"];
    let mut deleted = Deleted::of(contacts);
    let (mut at_creation, mut approximate) = (0u64, 0u64);
    for row in &contacts.rows {
        if deleted.skip(row) {
            continue;
        }
        let fields = mapping.row(row, &time_columns, times);
        let id = mapping.field("lead_id", &fields).to_string();
        let created = mapping.field("created_at", &fields).to_string();
        let current = mapping.field("lifecycle_stage", &fields).to_string();
        leads.write(&fields)?;
        let mut dated: Vec<(&str, String)> = Vec::new();
        for (stage, col) in &stage_cols {
            let v = Table::get(row, *col);
            if !v.is_empty() {
                dated.push((stage, times.normalize(v)));
            }
        }
        let has = |s: &str| dated.iter().any(|d| d.0 == s);
        let current_stage = stage_of(&current);
        if !has("lead") && !has("subscriber") && current_stage != Some("subscriber") {
            stages.write([id.as_str(), &created, "lead", "created", "hubspot"])?;
            at_creation += 1;
        }
        for (stage, at) in &dated {
            stages.write([id.as_str(), at, stage, "", "hubspot"])?;
        }
        match current_stage {
            Some(stage) if !has(stage) && stage != "lead" => {
                let best = dated
                    .iter()
                    .map(|d| d.1.clone())
                    .chain([created.clone()])
                    .max()
                    .unwrap_or_default();
                stages.write([id.as_str(), &best, stage, APPROXIMATE, "hubspot"])?;
                approximate += 1;
            }
            Some(_) => {}
            None if current.is_empty() => {}
            None => {
                *summary.unmapped_values.entry(format!("lifecycle stage {current:?} (no stage entry written; map it in [lifecycle] and add its dates)")).or_insert(0) += 1;
            }
        }
    }
    deleted.note(contacts, summary);
    mapping.note(contacts, summary);
    leads.finish(summary)?;
    stages.finish(summary)?;
    if at_creation > 0 {
        summary.caveats.push(format!("{at_creation} contacts have no \"Became a Lead Date\": they enter lead at their Create Date"));
    }
    if approximate > 0 {
        summary.caveats.push(format!(
            "{approximate} contacts have a lifecycle stage without its \"Became a … Date\": the stage is entered at the latest date the export has for them (creation or an earlier stage), marked \"approximate\""
        ));
    }
    summary.caveats.push(
        "HubSpot's \"Became a … Date\" columns hold only the latest entry into each stage; recycle loops and \
         re-entries need the lifecycle stage property history"
            .into(),
    );
    Ok(())
}

/// Deal → its lead: the lowest associated contact id (several contacts: said).
fn associated_contacts(assoc: Option<&Table>) -> Result<BTreeMap<String, String>, HostError> {
    let mut deal_contacts: BTreeMap<String, String> = BTreeMap::new();
    let Some(assoc) = assoc else {
        return Ok(deal_contacts);
    };
    let d = assoc.column(DEAL_ID);
    let c = assoc.column(ASSOCIATED_CONTACT);
    if d.is_none() || c.is_none() {
        return Err(HostError::Input(format!(
            "{}: an associations export needs \"Deal ID\" and \"Contact ID\" columns; it has {}",
            assoc.name,
            assoc.headers.join(", ")
        )));
    }
    for row in &assoc.rows {
        let deal = Table::get(row, d).to_string();
        let contact = Table::get(row, c).to_string();
        deal_contacts
            .entry(deal)
            .and_modify(|e| {
                if lower_id(&contact, e) {
                    *e = contact.clone();
                }
            })
            .or_insert(contact);
    }
    Ok(deal_contacts)
}

/// Whether contact id `a` is lower than `b` (numerically when both are numbers).
fn lower_id(a: &str, b: &str) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x < y,
        _ => a < b,
    }
}

/// Deals → `deals.csv`, each with its own currency.
fn write_deals(
    deals: &Table,
    deal_contacts: &BTreeMap<String, String>,
    with_associations: bool,
    out: &Path,
    (times, currencies): (&mut LocalTimes, &mut Currencies),
    summary: &mut ImportSummary,
) -> Result<(), HostError> {
    let id = deals.column(&["hs_object_id", "Record ID", "Deal ID", "deal_id", "id"]);
    let created = deals.column(CREATED);
    let closed = deals.column(&["closedate", "Close Date"]);
    let amount = deals.column(&["amount", "Amount"]);
    let currency = deals.column(&["deal_currency_code", "Currency", "Deal Currency Code"]);
    let won = deals.column(&["hs_is_closed_won", "Is Closed Won"]);
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
        .filter(|i| !used.contains(&Some(*i)) && !super::is_sync_column(&deals.headers[*i]))
        .map(|i| deals.headers[i].clone())
        .collect();
    if !extra.is_empty() {
        summary.unmapped_columns.insert(deals.name.clone(), extra);
    }
    let mut out_deals = Out::create(out, "deals.csv", &deal_columns())?;
    let mut multiple = 0u64;
    let mut deleted = Deleted::of(deals);
    for row in &deals.rows {
        if deleted.skip(row) {
            continue;
        }
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
                ids.into_iter()
                    .reduce(|a, b| if lower_id(b, a) { b } else { a })
                    .unwrap_or("")
                    .to_string()
            }
        };
        let stage_text = header_key(Table::get(row, stage));
        let status = if truthy(Table::get(row, won)) || stage_text == "closedwon" {
            "won"
        } else if stage_text == "closedlost"
            || (truthy(Table::get(row, is_closed)) && !truthy(Table::get(row, won)))
        {
            "lost"
        } else {
            "open"
        };
        // An open deal's close date is a forecast, not something that happened.
        let closed_at = if status == "open" {
            String::new()
        } else {
            times.normalize(Table::get(row, closed))
        };
        let code = Table::get(row, currency);
        currencies.count(code);
        out_deals.write([
            deal_id,
            &lead,
            &times.normalize(Table::get(row, created)),
            status,
            &closed_at,
            Table::get(row, amount),
            code,
        ])?;
    }
    deleted.note(deals, summary);
    if multiple > 0 {
        summary.caveats.push(format!("{multiple} deals are associated with several contacts; the lowest contact id is used as the lead"));
    }
    if !with_associations && contacts_col.is_none() {
        summary.caveats.push(
            "no deal–contact associations (an `associations` export or an \"Associated Contact IDs\" column): \
             deals are written without a lead and `baton analyze` will report them"
                .into(),
        );
    }
    out_deals.finish(summary)
}

/// Activities → `events.csv` (sales activities logged on contacts; a warehouse's engagements
/// joined to their contacts).
fn write_activities(
    acts: &Table,
    engagement_contacts: Option<&Table>,
    out: &Path,
    times: &mut LocalTimes,
    summary: &mut ImportSummary,
) -> Result<(), HostError> {
    let mut ts = acts.field(ACTIVITY_TIME);
    let kind = acts.column(ACTIVITY_TYPE);
    let contact = acts.column(&[
        "Contact ID",
        "Associated Contact IDs",
        "Associated Contact ID",
        "contact_id",
    ]);
    let mut joined: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(ec) = engagement_contacts {
        let (e, c) = (ec.column(&["engagement_id"]), ec.column(&["contact_id"]));
        for row in &ec.rows {
            joined
                .entry(Table::get(row, e).to_string())
                .or_default()
                .push(Table::get(row, c).to_string());
        }
    }
    let engagement_id = acts.column(&["id", "engagement_id", "hs_object_id"]);
    if !ts.present() || kind.is_none() || (contact.is_none() && joined.is_empty()) {
        return Err(HostError::Input(format!(
            "{}: an activities export needs \"Activity date\", \"Activity type\" and \"Contact ID\" columns (or an engagement_contact table); it has {}",
            acts.name,
            acts.headers.join(", ")
        )));
    }
    let mut events = Out::create(
        out,
        "events.csv",
        &["lead_id", "ts", "type", "channel", "team"].map(String::from),
    )?;
    let mut deleted = Deleted::of(acts);
    let mut without_contact = 0u64;
    for row in &acts.rows {
        if deleted.skip(row) {
            continue;
        }
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
        let at = times.normalize(ts.get(row));
        let mut contacts: Vec<&str> = Table::get(row, contact)
            .split([';', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if contacts.is_empty()
            && let Some(cs) = joined.get(Table::get(row, engagement_id))
        {
            contacts = cs.iter().map(String::as_str).collect();
        }
        if contacts.is_empty() {
            without_contact += 1;
            events.write(["", &at, &k, channel, team])?;
        }
        for c in contacts {
            events.write([c, &at, &k, channel, team])?;
        }
    }
    deleted.note(acts, summary);
    ts.note(acts, "ts", summary);
    if without_contact > 0 {
        summary.caveats.push(format!("{}: {without_contact} activities are on no contact: written without a lead, `baton analyze` rejects them", acts.name));
    }
    events.finish(summary)
}
