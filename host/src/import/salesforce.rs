//! `baton import salesforce`: Lead, LeadHistory, Opportunity, OpportunityContactRole, Task and
//! Event exports (Data Export, Data Loader, or a warehouse sync's tables).
//!
//! Lead statuses become lifecycle stages through a mapping (the standard picklist by default);
//! statuses it does not know are written as found and listed, so `baton analyze` reports them.
//! Opportunities find their lead through the conversion (`ConvertedOpportunityId`), then a
//! contact role on a converted contact, then the converted account.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::tz::TimeZone;

use super::export_folder::{ExportFolder, OtherExport, Role};
use super::export_table::Table;
use super::{
    APPROXIMATE, Currencies, Deleted, ImportSummary, LeadMapping, LocalTimes, Out, deal_columns,
    stage_columns, truthy, write_config,
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

/// A Lead field's canonical lead column, as the Outbound Messages map it.
pub(crate) fn lead_column(field: &str) -> Option<&'static str> {
    LEAD_COLUMNS
        .iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(field)))
        .map(|(column, _)| *column)
}

/// True for Salesforce's empty lookup (`000000000000000AAA`, or 15 zeros).
pub(crate) fn empty_lookup(v: &str) -> bool {
    let digits = v.strip_suffix("AAA").unwrap_or(v);
    digits.len() == 15 && digits.bytes().all(|b| b == b'0')
}

const LEAD_COLUMNS: &[(&str, &[&str])] = &[
    ("lead_id", &["Id", "Lead ID"]),
    ("created_at", &["CreatedDate", "Created Date"]),
    ("source", &["LeadSource", "Lead Source"]),
    ("company", &["Company"]),
    ("title", &["Title"]),
    ("industry", &["Industry"]),
    ("employees", &["NumberOfEmployees", "No. of Employees"]),
    ("country", &["Country", "Country Code", "CountryCode"]),
    ("owner", &["OwnerId", "Lead Owner"]),
    ("status", &["Status", "Lead Status"]),
    ("is_converted", &["IsConverted", "Converted"]),
];

pub(crate) const LEAD: Role = Role {
    what: "Lead export",
    names: &["lead"],
    columns: &[
        &["Id", "Lead ID"],
        &["CreatedDate", "Created Date"],
        &[
            "IsConverted",
            "ConvertedDate",
            "ConvertedOpportunityId",
            "Status",
        ],
    ],
    not: &[&["Field"], &["NewValue"]],
};
const HISTORY: Role = Role {
    what: "LeadHistory export",
    names: &["leadhistory", "lead_history", "lead history"],
    columns: &[&["LeadId", "ParentId"], &["Field"], &["NewValue"]],
    not: &[],
};
const OPPORTUNITY: Role = Role {
    what: "Opportunity export",
    names: &["opportunit"],
    columns: &[&["Id", "Opportunity ID"], &["StageName", "Stage"]],
    not: &[&["OpportunityId"], &["ContactId"], &["Field"]],
};
const CONTACT_ROLE: Role = Role {
    what: "OpportunityContactRole export",
    names: &["contactrole", "contact_role", "contact role"],
    columns: &[&["OpportunityId"], &["ContactId"]],
    not: &[],
};
const TASK: Role = Role {
    what: "Task export",
    names: &["task"],
    columns: &[
        &["WhoId"],
        &["TaskSubtype", "CompletedDateTime", "Status", "ActivityDate"],
    ],
    not: &[&["StartDateTime"], &["EventSubtype"]],
};
const EVENT: Role = Role {
    what: "Event export",
    names: &["event"],
    columns: &[
        &["WhoId"],
        &["StartDateTime", "EventSubtype", "ActivityDateTime"],
    ],
    not: &[&["TaskSubtype"]],
};

/// Lead status → Baton stage (the Outbound Messages map the same).
pub(crate) fn stage_of(status: &str) -> Option<&'static str> {
    let s = status.trim().to_ascii_lowercase();
    STATUS_STAGES.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
}

/// A Salesforce id as read: empty for the all-zero id (`000000000000000AAA`) Salesforce writes
/// for an empty lookup, counted.
#[derive(Default)]
struct Ids {
    placeholders: u64,
}

impl Ids {
    fn read<'r>(&mut self, v: &'r str) -> &'r str {
        let digits = v.strip_suffix("AAA").unwrap_or(v);
        if !v.is_empty() && digits.len() == 15 && digits.bytes().all(|b| b == b'0') {
            self.placeholders += 1;
            return "";
        }
        v
    }

    fn note(&self, summary: &mut ImportSummary) {
        if self.placeholders > 0 {
            summary.caveats.push(format!(
                "{} lookups hold 000000000000000AAA, Salesforce's empty id: read as empty",
                self.placeholders
            ));
        }
    }
}

/// The key an id is linked by: its case-sensitive 15-character form (an 18-character id adds a
/// checksum suffix; reports and exports mix the two).
pub(crate) fn link_key(id: &str) -> &str {
    if id.len() == 18 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        &id[..15]
    } else {
        id
    }
}

/// What the Lead export gives the other files: links from converted records to leads.
#[derive(Default)]
struct Conversions {
    /// Opportunity → lead.
    opportunity: BTreeMap<String, String>,
    /// Contact → lead.
    contact: BTreeMap<String, String>,
    /// Account → (converted at, lead), every lead converted into it.
    account: BTreeMap<String, Vec<(String, String)>>,
    /// Lead → created_at (RFC 3339).
    created: BTreeMap<String, String>,
    /// Lead → current status.
    status: BTreeMap<String, String>,
    /// (lead, converted at) of converted leads.
    converted: Vec<(String, String)>,
}

/// Imports a Salesforce export folder into a workspace at `out` (naive dates read as UTC,
/// which is how Salesforce's data export writes them).
pub fn import(export_dir: &Path, out: &Path) -> Result<ImportSummary, HostError> {
    let mut summary = ImportSummary {
        out: out.to_path_buf(),
        ..Default::default()
    };
    let mut folder = ExportFolder::open(export_dir, &mut summary)?;
    let leads = folder.require(
        &LEAD,
        "Lead.csv with Id, CreatedDate and IsConverted",
        &OtherExport {
            role: &super::hubspot::CONTACTS,
            crm: "HubSpot",
            command: "hubspot",
        },
        &mut summary,
    )?;
    let history = folder.take(&HISTORY, &mut summary);
    let opportunities = folder.take(&OPPORTUNITY, &mut summary);
    let roles = folder.take(&CONTACT_ROLE, &mut summary);
    let tasks = folder.take(&TASK, &mut summary);
    let events = folder.take(&EVENT, &mut summary);
    folder.finish(&mut summary);
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;

    let mut times = LocalTimes::new(TimeZone::UTC, "UTC");
    let mut ids = Ids::default();
    let mut stages = Out::create(out, "stages.csv", &stage_columns())?;
    let conversions = write_leads(&leads, out, &mut stages, &mut times, &mut ids, &mut summary)?;
    write_history(
        history.as_ref(),
        &conversions,
        &mut stages,
        &mut times,
        &mut summary,
    )?;
    let mut currencies = Currencies::default();
    if let Some(opps) = &opportunities {
        let by_role = contact_roles(roles.as_ref(), &mut ids);
        let mut deals = Out::create(out, "deals.csv", &deal_columns())?;
        write_deals(
            opps,
            &conversions,
            &by_role,
            roles.is_some(),
            (&mut deals, &mut stages),
            (&mut times, &mut ids, &mut currencies),
            &mut summary,
        )?;
        deals.finish(&mut summary)?;
    }
    stages.finish(&mut summary)?;
    write_activities(
        [tasks.as_ref(), events.as_ref()],
        &conversions,
        out,
        (&mut times, &mut ids),
        &mut summary,
    )?;
    ids.note(&mut summary);
    times.note(&mut summary);
    currencies.note(&mut summary);
    write_config(out, "Salesforce import", "UTC", &currencies, LIFECYCLE)?;
    Ok(summary)
}

/// `leads.csv` and each lead's `lead` entry at creation; the links conversion left.
fn write_leads(
    leads: &Table,
    out: &Path,
    stages: &mut Out,
    times: &mut LocalTimes,
    ids: &mut Ids,
    summary: &mut ImportSummary,
) -> Result<Conversions, HostError> {
    let converted_date = leads.column(&["ConvertedDate", "Converted Date"]);
    let converted_opp = leads.column(&["ConvertedOpportunityId"]);
    let converted_contact = leads.column(&["ConvertedContactId"]);
    let converted_account = leads.column(&["ConvertedAccountId"]);
    let read_elsewhere: Vec<usize> = [
        converted_date,
        converted_opp,
        converted_contact,
        converted_account,
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut mapping = LeadMapping::new(leads, LEAD_COLUMNS, &read_elsewhere, summary);
    if !mapping.has("lead_id") || !mapping.has("created_at") {
        return Err(HostError::Input(format!(
            "{}: a Lead export needs Id and CreatedDate columns; it has {}",
            leads.name,
            leads.headers.join(", ")
        )));
    }
    let mut out_leads = Out::create(out, "leads.csv", &mapping.header)?;
    let mut deleted = Deleted::of(leads);
    let mut c = Conversions::default();
    for row in &leads.rows {
        if deleted.skip(row) {
            continue;
        }
        let fields = mapping.row(row, &["created_at"], times);
        let id = mapping.field("lead_id", &fields).to_string();
        let created_at = mapping.field("created_at", &fields).to_string();
        let status = mapping.field("status", &fields).to_string();
        out_leads.write(&fields)?;
        stages.write([id.as_str(), &created_at, "lead", "", "salesforce"])?;
        c.created.insert(id.clone(), created_at);
        c.status.insert(id.clone(), status);
        let cdate = times.normalize(Table::get(row, converted_date));
        let opp = ids.read(Table::get(row, converted_opp));
        if !opp.is_empty() {
            c.opportunity.insert(link_key(opp).into(), id.clone());
        }
        let contact = ids.read(Table::get(row, converted_contact));
        if !contact.is_empty() {
            c.contact.insert(link_key(contact).into(), id.clone());
        }
        let account = ids.read(Table::get(row, converted_account));
        if !account.is_empty() {
            c.account
                .entry(link_key(account).into())
                .or_default()
                .push((cdate.clone(), id.clone()));
        }
        if !cdate.is_empty() {
            c.converted.push((id, cdate));
        }
    }
    deleted.note(leads, summary);
    mapping.note(leads, summary);
    out_leads.finish(summary)?;
    for converted in c.account.values_mut() {
        converted.sort();
    }
    Ok(c)
}

/// Status changes → stage entries; leads without them enter their current status
/// (approximately) at creation and `sql` at conversion.
fn write_history(
    history: Option<&Table>,
    c: &Conversions,
    stages: &mut Out,
    times: &mut LocalTimes,
    summary: &mut ImportSummary,
) -> Result<(), HostError> {
    let mut has_history: BTreeSet<String> = BTreeSet::new();
    if let Some(hist) = history {
        let lead = hist.column(&["LeadId", "ParentId"]);
        let field = hist.column(&["Field"]);
        let new_value = hist.column(&["NewValue"]);
        let created = hist.column(&["CreatedDate"]);
        let actor = hist.column(&["CreatedById"]);
        if lead.is_none() || field.is_none() || new_value.is_none() || created.is_none() {
            return Err(HostError::Input(format!(
                "{}: LeadHistory needs LeadId, Field, NewValue and CreatedDate; it has {}",
                hist.name,
                hist.headers.join(", ")
            )));
        }
        let old_value = hist.column(&["OldValue"]);
        let mut status_rows: Vec<(&str, String, &csv::StringRecord)> = hist
            .rows
            .iter()
            .filter(|r| Table::get(r, field).eq_ignore_ascii_case("Status"))
            .map(|r| {
                (
                    Table::get(r, lead),
                    times.normalize(Table::get(r, created)),
                    r,
                )
            })
            .collect();
        status_rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut previous_lead = "";
        for (id, at, row) in status_rows {
            // The first change's OldValue is the status the lead had since it was created.
            if id != previous_lead {
                previous_lead = id;
                let initial = Table::get(row, old_value);
                if let (Some(stage), Some(created_at)) = (stage_of(initial), c.created.get(id))
                    && stage != "lead"
                {
                    stages.write([id, created_at, stage, "initial status", "salesforce"])?;
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
            stages.write([id, &at, &stage, "", Table::get(row, actor)])?;
        }
    } else {
        summary.caveats.push(
            "no LeadHistory export: stage history is limited to creation, the current status and conversion dates"
                .into(),
        );
    }
    let converted: BTreeMap<&str, &str> = c
        .converted
        .iter()
        .map(|(l, d)| (l.as_str(), d.as_str()))
        .collect();
    let mut approximate = 0u64;
    for (id, status) in &c.status {
        if has_history.contains(id) {
            continue;
        }
        let stage = stage_of(status);
        // The conversion's own entry (below) is dated; the current status is not.
        let by_conversion = converted.contains_key(id.as_str()) && stage == Some("sql");
        if let (Some(stage), Some(created_at)) = (stage, c.created.get(id))
            && stage != "lead"
            && !by_conversion
        {
            stages.write([id, created_at, stage, APPROXIMATE, "salesforce"])?;
            approximate += 1;
        }
    }
    if approximate > 0 {
        summary.caveats.push(format!(
            "{approximate} leads have no status history: their current status is entered at CreatedDate, marked \"approximate\" (the export does not say when it was reached)"
        ));
    }
    let mut converted_added = 0;
    for (id, date) in &c.converted {
        if !has_history.contains(id) {
            stages.write([id.as_str(), date, "sql", "converted", "salesforce"])?;
            converted_added += 1;
        }
    }
    if converted_added > 0 {
        summary.caveats.push(format!("{converted_added} converted leads without status history: their ConvertedDate is used as entry into sql"));
    }
    Ok(())
}

/// Opportunity → contacts of its contact roles, the primary one first.
fn contact_roles(roles: Option<&Table>, ids: &mut Ids) -> BTreeMap<String, Vec<String>> {
    let mut by_opp: BTreeMap<String, Vec<(bool, String)>> = BTreeMap::new();
    if let Some(t) = roles {
        let opp = t.column(&["OpportunityId"]);
        let contact = t.column(&["ContactId"]);
        let primary = t.column(&["IsPrimary"]);
        let mut deleted = Deleted::of(t);
        for row in &t.rows {
            if deleted.skip(row) {
                continue;
            }
            let o = ids.read(Table::get(row, opp));
            let c = ids.read(Table::get(row, contact));
            if !o.is_empty() && !c.is_empty() {
                by_opp
                    .entry(link_key(o).into())
                    .or_default()
                    .push((!truthy(Table::get(row, primary)), link_key(c).into()));
            }
        }
    }
    by_opp
        .into_iter()
        .map(|(o, mut cs)| {
            cs.sort();
            (o, cs.into_iter().map(|c| c.1).collect())
        })
        .collect()
}

/// How each opportunity found its lead, counted for the notes.
#[derive(Default)]
struct DealLinks {
    conversion: u64,
    contact_role: u64,
    account: u64,
    no_account: u64,
    account_without_lead: u64,
    roles_without_lead: u64,
}

impl DealLinks {
    fn note(&self, name: &str, with_roles: bool, summary: &mut ImportSummary) {
        let unlinked = self.no_account + self.account_without_lead;
        summary.caveats.push(format!(
            "{name}: deals linked to a lead by ConvertedOpportunityId {}, by OpportunityContactRole {}, by ConvertedAccountId = AccountId {}; {unlinked} unlinked",
            self.conversion, self.contact_role, self.account
        ));
        if unlinked > 0 {
            let mut why = vec![
                format!("{} have no AccountId", self.no_account),
                format!(
                    "{} are on accounts no lead was converted into",
                    self.account_without_lead
                ),
            ];
            if self.roles_without_lead > 0 {
                why.push(format!(
                    "{} of them have contact roles on contacts no lead was converted into",
                    self.roles_without_lead
                ));
            }
            if !with_roles {
                why.push("no OpportunityContactRole export was given".into());
            }
            summary.caveats.push(format!(
                "{name}: the {unlinked} unlinked deals are written without a lead (`baton analyze` reports them): {}",
                why.join("; ")
            ));
        }
    }
}

/// `deals.csv`, with each linked deal's opportunity and customer entries.
fn write_deals(
    opps: &Table,
    c: &Conversions,
    roles: &BTreeMap<String, Vec<String>>,
    with_roles: bool,
    (deals, stages): (&mut Out, &mut Out),
    (times, ids, currencies): (&mut LocalTimes, &mut Ids, &mut Currencies),
    summary: &mut ImportSummary,
) -> Result<(), HostError> {
    let id = opps.column(&["Id", "Opportunity ID"]);
    let created = opps.column(&["CreatedDate", "Created Date"]);
    let close = opps.column(&["CloseDate", "Close Date"]);
    let amount = opps.column(&["Amount"]);
    let won = opps.column(&["IsWon", "Won"]);
    let closed = opps.column(&["IsClosed", "Closed"]);
    let stage_name = opps.column(&["StageName", "Stage"]);
    let currency = opps.column(&["CurrencyIsoCode", "Opportunity Currency", "Currency"]);
    let account = opps.column(&["AccountId", "Account ID"]);
    let mut links = DealLinks::default();
    let mut deleted = Deleted::of(opps);
    for row in &opps.rows {
        if deleted.skip(row) {
            continue;
        }
        let deal = Table::get(row, id);
        let created_at = times.normalize(Table::get(row, created));
        let lead = lead_of_deal(deal, &created_at, row, account, c, roles, ids, &mut links);
        let stage = Table::get(row, stage_name).to_ascii_lowercase();
        let is_closed = truthy(Table::get(row, closed)) || stage.starts_with("closed");
        let is_won = truthy(Table::get(row, won)) || stage == "closed won";
        let status = match (is_closed, is_won) {
            (false, _) => "open",
            (true, true) => "won",
            (true, false) => "lost",
        };
        // An open deal's CloseDate is a forecast, not something that happened.
        let close_at = if status == "open" {
            String::new()
        } else {
            times.normalize(Table::get(row, close))
        };
        let code = Table::get(row, currency);
        currencies.count(code);
        deals.write([
            deal,
            lead,
            &created_at,
            status,
            &close_at,
            Table::get(row, amount),
            code,
        ])?;
        if !lead.is_empty() {
            stages.write([lead, &created_at, "opportunity", "", "salesforce"])?;
            if status == "won" {
                stages.write([lead, &close_at, "customer", "", "salesforce"])?;
            }
        }
    }
    deleted.note(opps, summary);
    links.note(&opps.name, with_roles, summary);
    Ok(())
}

/// The lead of one opportunity: converted into it, else a contact role's converted contact,
/// else the lead converted into its account most recently before it was created.
#[allow(clippy::too_many_arguments)]
fn lead_of_deal<'c>(
    deal: &str,
    created_at: &str,
    row: &csv::StringRecord,
    account: Option<usize>,
    c: &'c Conversions,
    roles: &BTreeMap<String, Vec<String>>,
    ids: &mut Ids,
    links: &mut DealLinks,
) -> &'c str {
    if let Some(lead) = c.opportunity.get(link_key(deal)) {
        links.conversion += 1;
        return lead;
    }
    let role_contacts = roles.get(link_key(deal));
    if let Some(lead) = role_contacts
        .into_iter()
        .flatten()
        .find_map(|contact| c.contact.get(contact))
    {
        links.contact_role += 1;
        return lead;
    }
    if role_contacts.is_some() {
        links.roles_without_lead += 1;
    }
    let account = ids.read(Table::get(row, account));
    if account.is_empty() {
        links.no_account += 1;
        return "";
    }
    let Some(converted) = c.account.get(link_key(account)) else {
        links.account_without_lead += 1;
        return "";
    };
    links.account += 1;
    let before = converted.partition_point(|(at, _)| at.as_str() <= created_at);
    let (_, lead) = &converted[before.saturating_sub(1)];
    lead
}

/// Tasks and events → `events.csv`, credited to the lead a contact was converted from.
fn write_activities(
    tables: [Option<&Table>; 2],
    c: &Conversions,
    out: &Path,
    (times, ids): (&mut LocalTimes, &mut Ids),
    summary: &mut ImportSummary,
) -> Result<(), HostError> {
    let mut events = Out::create(
        out,
        "events.csv",
        &["lead_id", "ts", "type", "channel", "team", "campaign"].map(String::from),
    )?;
    for (t, kind_default) in tables.into_iter().zip(["task", "meeting"]) {
        let Some(t) = t else { continue };
        let who = t.column(&["WhoId", "Name ID"]);
        let mut when = t.field(&[
            "ActivityDateTime",
            "StartDateTime",
            "CompletedDateTime",
            "ActivityDate",
            "CreatedDate",
        ]);
        let kind = t.column(&["Type", "TaskSubtype", "EventSubtype"]);
        if who.is_none() || !when.present() {
            return Err(HostError::Input(format!(
                "{}: activities need WhoId and ActivityDate (or CreatedDate); it has {}",
                t.name,
                t.headers.join(", ")
            )));
        }
        let (mut no_who, mut contact_without_lead) = (0u64, 0u64);
        let mut deleted = Deleted::of(t);
        for row in &t.rows {
            if deleted.skip(row) {
                continue;
            }
            let who_id = ids.read(Table::get(row, who));
            let lead = match c.contact.get(link_key(who_id)) {
                Some(lead) => lead.as_str(),
                None => {
                    if who_id.is_empty() {
                        no_who += 1;
                    } else if who_id.starts_with("003") {
                        contact_without_lead += 1;
                    }
                    who_id
                }
            };
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
            let ts = times.normalize(when.get(row));
            events.write([lead, &ts, &k, channel, "sales", ""])?;
        }
        deleted.note(t, summary);
        when.note(t, "ts", summary);
        if no_who > 0 {
            summary.caveats.push(format!("{}: {no_who} activities have no WhoId (not logged on a lead or contact): written without a lead, `baton analyze` rejects them", t.name));
        }
        if contact_without_lead > 0 {
            summary.caveats.push(format!("{}: {contact_without_lead} activities are on contacts no lead was converted into: written with the contact id, `baton analyze` rejects them as unknown leads", t.name));
        }
    }
    events.finish(summary)?;
    if tables.iter().all(Option::is_none) {
        summary.caveats.push(
            "no Task or Event export: no sales touches, so speed-to-lead cannot be measured".into(),
        );
    }
    Ok(())
}
