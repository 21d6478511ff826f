//! `POST /v1/connectors/hubspot`: a HubSpot app's webhook batches (up to 100 events) mapped
//! onto the canonical rows as `baton import hubspot` maps an export: `lifecyclestage` → stage
//! entries (HubSpot's internal stage names), contact properties → lead columns, deals and their
//! contact associations → deals; a deletion is the privacy erasure, a merge makes one lead.

use baton_core::{FileKind, Instant};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Columns, ConnectorAnswer, ConnectorError, Delivery, link_task, text};
use crate::import::export_table::header_key;
use crate::import::hubspot::{contact_column, stage_of};
use crate::service::engine::App;

/// Most events one delivery may hold (HubSpot sends at most 100).
pub const MAX_EVENTS: usize = 100;

/// One webhook event, as HubSpot sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique per event; a retry (`attemptNumber` > 0) has the same.
    pub event_id: Value,
    /// `contact.creation`, `contact.propertyChange`, …
    pub subscription_type: String,
    /// When it happened, milliseconds since the epoch.
    pub occurred_at: i64,
    /// The object it is about.
    #[serde(default)]
    pub object_id: Option<Value>,
    /// The property changed.
    #[serde(default)]
    pub property_name: Option<String>,
    /// Its new value.
    #[serde(default)]
    pub property_value: Option<Value>,
    /// A merge's surviving record.
    #[serde(default)]
    pub primary_object_id: Option<Value>,
    /// A merge's records merged into it.
    #[serde(default)]
    pub merged_object_ids: Vec<Value>,
    /// An association's ends and type (`CONTACT_TO_DEAL`, `DEAL_TO_CONTACT`).
    #[serde(default)]
    pub from_object_id: Option<Value>,
    /// See `from_object_id`.
    #[serde(default)]
    pub to_object_id: Option<Value>,
    /// See `from_object_id`.
    #[serde(default)]
    pub association_type: Option<String>,
    /// True when the association was removed.
    #[serde(default)]
    pub association_removed: bool,
}

/// Reads a delivery's body: a JSON array of at most [`MAX_EVENTS`] events.
pub fn parse(body: &[u8]) -> Result<Vec<Event>, ConnectorError> {
    let events: Vec<Event> = serde_json::from_slice(body).map_err(|e| {
        ConnectorError::Malformed(format!(
            "the body is not a HubSpot webhook batch (a JSON array of events): {e}"
        ))
    })?;
    if events.len() > MAX_EVENTS {
        return Err(ConnectorError::Malformed(format!(
            "a HubSpot batch holds at most {MAX_EVENTS} events; this one has {}",
            events.len()
        )));
    }
    Ok(events)
}

fn id(v: Option<&Value>) -> String {
    text(v)
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// A property value that is a HubSpot date (milliseconds) as RFC 3339; others as sent.
fn date_value(v: &str) -> String {
    match v.parse::<i64>() {
        Ok(ms) if ms > 100_000_000_000 => iso(ms),
        _ => v.to_string(),
    }
}

/// Takes a delivery's events in the order they happened, and writes what they decided
/// together (an erasure or a merge writes what came before it first).
pub async fn deliver(app: &App, mut events: Vec<Event>) -> Result<ConnectorAnswer, ConnectorError> {
    let _one = app.connector_lock.lock().await;
    events.sort_by_key(|e| e.occurred_at);
    let mut answer = ConnectorAnswer::default();
    let mut d = Delivery::default();
    for e in &events {
        let key = format!("hubspot:{}", id(Some(&e.event_id)));
        if d.seen(app, &key).await? {
            answer.duplicates += 1;
            continue;
        }
        let change = id(Some(&e.event_id));
        let outcome = match e.subscription_type.as_str() {
            "contact.creation" | "contact.propertyChange" | "contact.restore" => {
                contact(app, e, &change, &mut d).await?
            }
            "contact.deletion" | "contact.privacyDeletion" => {
                d.flush(app, &mut answer).await?;
                erase(app, &id(e.object_id.as_ref()), &mut d, &mut answer).await?
            }
            "contact.merge" => {
                d.flush(app, &mut answer).await?;
                merge(app, e, &mut d, &mut answer).await?
            }
            "deal.creation" | "deal.propertyChange" => deal(app, e, &change, &mut d).await?,
            "contact.associationChange" | "deal.associationChange" => {
                association(app, e, &change, &mut d).await?
            }
            _ => Outcome::Ignored,
        };
        match outcome {
            Outcome::Applied => answer.applied += 1,
            Outcome::Pending => answer.pending += 1,
            Outcome::Ignored => answer.ignored += 1,
        }
        d.mark_seen(&key, Instant(e.occurred_at * 1000));
    }
    d.flush(app, &mut answer).await?;
    Ok(answer)
}

/// What one event did.
enum Outcome {
    Applied,
    Pending,
    Ignored,
}

/// The contact's state key, following merges.
async fn contact_key(
    app: &App,
    d: &Delivery,
    contact: &str,
) -> Result<(String, Columns), ConnectorError> {
    let mut id = contact.to_string();
    for _ in 0..8 {
        let key = format!("hubspot:contact:{id}");
        let st = d.state(app, &key).await?.unwrap_or_default();
        match st.get("merged_into").and_then(Value::as_str) {
            Some(into) => id = into.to_string(),
            None => return Ok((id, st)),
        }
    }
    Ok((id.clone(), Columns::new()))
}

async fn contact(
    app: &App,
    e: &Event,
    change: &str,
    d: &mut Delivery,
) -> Result<Outcome, ConnectorError> {
    let (contact, mut st) = contact_key(app, d, &id(e.object_id.as_ref())).await?;
    if contact.is_empty() || st.get("deleted").is_some() {
        return Ok(Outcome::Ignored);
    }
    let mut row = st
        .get("row")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    row.insert("lead_id".into(), json!(contact));
    let at = iso(e.occurred_at);
    let mut outcome = Outcome::Applied;
    if e.subscription_type == "contact.creation" {
        row.entry("created_at").or_insert(json!(at));
        if st.get("stage").is_none() {
            d.rows.push(
                FileKind::Stages,
                change,
                json!({"lead_id": contact, "ts": at, "stage": "lead", "reason": "created", "actor": "hubspot"}),
            );
            st.insert("stage".into(), json!("lead"));
        }
    } else if let Some(name) = &e.property_name {
        let value = text(e.property_value.as_ref());
        if header_key(name) == "lifecyclestage" {
            let stage = stage_of(&value).map_or(value.clone(), str::to_string);
            if st.get("stage").and_then(Value::as_str) != Some(stage.as_str()) && !stage.is_empty()
            {
                d.rows.push(
                    FileKind::Stages,
                    change,
                    json!({"lead_id": contact, "ts": at, "stage": stage, "reason": "lifecyclestage", "actor": "hubspot"}),
                );
                st.insert("stage".into(), json!(stage));
            }
        }
        let column = contact_column(name);
        match column {
            Some("lead_id") => {}
            Some("created_at") => {
                row.insert("created_at".into(), json!(date_value(&value)));
            }
            Some(c) => {
                row.insert(c.into(), json!(date_value(&value)));
            }
            None => {
                row.insert(crate::import::slug(name), json!(value));
            }
        }
        if column == Some("last_contacted") && !value.is_empty() {
            // HubSpot sets it when a rep logs a call, email or meeting: a sales touch.
            d.rows.push(
                FileKind::Events,
                change,
                json!({"event_id": format!("hubspot:{change}"), "lead_id": contact, "ts": date_value(&value), "type": "last_contacted", "channel": "crm", "team": "sales"}),
            );
        }
    }
    if row.contains_key("created_at") {
        d.rows
            .push(FileKind::Leads, change, Value::Object(row.clone()));
        d.task(link_task(&contact, "hubspot", "contacts", &contact));
    } else {
        outcome = Outcome::Pending;
    }
    st.insert("row".into(), Value::Object(row));
    d.set_state(&format!("hubspot:contact:{contact}"), st);
    Ok(outcome)
}

async fn erase(
    app: &App,
    contact: &str,
    d: &mut Delivery,
    answer: &mut ConnectorAnswer,
) -> Result<Outcome, ConnectorError> {
    if contact.is_empty() {
        return Ok(Outcome::Ignored);
    }
    let at = app.clock.now().to_string();
    if app.store.erase_lead(contact, &at).await? > 0 {
        answer.erased_leads += 1;
    }
    let mut st = Columns::new();
    st.insert("deleted".into(), json!(at));
    d.set_state(&format!("hubspot:contact:{contact}"), st);
    app.written.notify_one();
    Ok(Outcome::Applied)
}

async fn merge(
    app: &App,
    e: &Event,
    d: &mut Delivery,
    answer: &mut ConnectorAnswer,
) -> Result<Outcome, ConnectorError> {
    let primary = id(e.primary_object_id.as_ref().or(e.object_id.as_ref()));
    if primary.is_empty() {
        return Ok(Outcome::Ignored);
    }
    for m in &e.merged_object_ids {
        let merged = id(Some(m));
        if merged.is_empty() || merged == primary {
            continue;
        }
        if app.store.merge_lead(&merged, &primary).await? > 0 {
            answer.erased_leads += 1;
        }
        let mut st = Columns::new();
        st.insert("merged_into".into(), json!(primary));
        d.set_state(&format!("hubspot:contact:{merged}"), st);
    }
    app.written.notify_one();
    Ok(Outcome::Applied)
}

/// A deal's row once it has a creation date and a contact (the lowest id, by number, as the
/// importer picks).
fn deal_row(deal: &str, st: &Columns) -> Option<Value> {
    let mut row = st.get("row").and_then(Value::as_object).cloned()?;
    row.get("created_at")?;
    let contacts = st.get("contacts").and_then(Value::as_array)?;
    let lead = contacts
        .iter()
        .filter_map(Value::as_str)
        .min_by_key(|c| (c.len(), c.to_string()))?;
    row.insert("deal_id".into(), json!(deal));
    row.insert("lead_id".into(), json!(lead));
    row.entry("status").or_insert(json!("open"));
    Some(Value::Object(row))
}

async fn deal(
    app: &App,
    e: &Event,
    change: &str,
    d: &mut Delivery,
) -> Result<Outcome, ConnectorError> {
    let deal = id(e.object_id.as_ref());
    let key = format!("hubspot:deal:{deal}");
    let mut st = d.state(app, &key).await?.unwrap_or_default();
    let mut row = st
        .get("row")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let at = iso(e.occurred_at);
    if e.subscription_type == "deal.creation" {
        row.entry("created_at").or_insert(json!(at));
    } else if let Some(name) = &e.property_name {
        let value = text(e.property_value.as_ref());
        let status = |won: bool| if won { "won" } else { "lost" };
        match header_key(name).as_str() {
            "dealstage" => {
                let s = header_key(&value);
                let closed = match s.as_str() {
                    "closedwon" => Some(true),
                    "closedlost" => Some(false),
                    _ => None,
                };
                row.insert("status".into(), json!(closed.map_or("open", status)));
                if closed.is_some() {
                    let when = st.get("closedate").map_or(at.clone(), |v| text(Some(v)));
                    row.insert("closed_at".into(), json!(when));
                } else {
                    row.insert("closed_at".into(), json!(""));
                }
            }
            "hsisclosedwon" if crate::import::truthy(&value) => {
                row.insert("status".into(), json!("won"));
                let when = st.get("closedate").map_or(at.clone(), |v| text(Some(v)));
                row.entry("closed_at").or_insert(json!(when));
            }
            "amount" => {
                row.insert("amount".into(), json!(value));
            }
            "dealcurrencycode" => {
                row.insert("currency".into(), json!(value));
            }
            "closedate" => {
                let when = date_value(&value);
                st.insert("closedate".into(), json!(when));
                // An open deal's close date is a forecast (as the importer: not written).
                if row
                    .get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s != "open")
                {
                    row.insert("closed_at".into(), json!(when));
                }
            }
            "createdate" => {
                row.insert("created_at".into(), json!(date_value(&value)));
            }
            _ => return Ok(Outcome::Ignored),
        }
    }
    st.insert("row".into(), Value::Object(row));
    let outcome = match deal_row(&deal, &st) {
        Some(r) => {
            d.rows.push(FileKind::Deals, change, r);
            Outcome::Applied
        }
        None => Outcome::Pending,
    };
    d.set_state(&key, st);
    Ok(outcome)
}

async fn association(
    app: &App,
    e: &Event,
    change: &str,
    d: &mut Delivery,
) -> Result<Outcome, ConnectorError> {
    let (from, to) = (id(e.from_object_id.as_ref()), id(e.to_object_id.as_ref()));
    let (deal, contact) = match e.association_type.as_deref().map(header_key).as_deref() {
        Some("contacttodeal") => (to, from),
        Some("dealtocontact") => (from, to),
        _ => return Ok(Outcome::Ignored),
    };
    let (contact, _) = contact_key(app, d, &contact).await?;
    let key = format!("hubspot:deal:{deal}");
    let mut st = d.state(app, &key).await?.unwrap_or_default();
    let mut contacts: Vec<Value> = st
        .get("contacts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    contacts.retain(|c| c.as_str() != Some(contact.as_str()));
    if !e.association_removed {
        contacts.push(json!(contact));
    }
    st.insert("contacts".into(), Value::Array(contacts));
    let outcome = match deal_row(&deal, &st) {
        Some(r) => {
            d.rows.push(FileKind::Deals, change, r);
            Outcome::Applied
        }
        None => Outcome::Pending,
    };
    d.set_state(&key, st);
    Ok(outcome)
}
