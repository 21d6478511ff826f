//! `POST /v1/connectors/salesforce`: Outbound Messages (SOAP 1.1 `notifications` of Lead,
//! Contact, Opportunity, Task and Event) mapped as `baton import salesforce` maps an export, and
//! answered with the SOAP `Ack` Salesforce needs to stop retrying. A notification is taken once
//! (its `Id`); a message from another org is refused.

use baton_core::FileKind;
use quick_xml::events::Event as Xml;
use serde_json::{Value, json};

use super::{Columns, ConnectorAnswer, ConnectorError, Delivery, Rows, link_task, text};
use crate::import::salesforce::{empty_lookup, lead_column, link_key, stage_of};
use crate::service::engine::App;

/// The answer that tells Salesforce the message was taken.
pub const ACK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>"#;

/// A SOAP fault (`soapenv:Client` or `soapenv:Server`) with a reason: Salesforce shows it in the
/// Outbound Messages delivery status and retries.
pub fn fault(code: &str, reason: &str) -> String {
    let esc = quick_xml::escape::escape(reason);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:{code}</faultcode><faultstring>{esc}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#
    )
}

/// One notification: its id, the sObject's type and fields.
#[derive(Debug, Default, PartialEq)]
pub struct Notification {
    /// The notification's `Id` (what a retry repeats).
    pub id: String,
    /// `Lead`, `Contact`, `Opportunity`, `Task`, `Event`.
    pub object: String,
    /// The sObject's fields (`xsi:nil` ones empty).
    pub fields: Vec<(String, String)>,
}

impl Notification {
    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first non-empty of these fields.
    fn first(&self, names: &[&str]) -> &str {
        names
            .iter()
            .map(|n| self.get(n))
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }

    /// An id field, empty for Salesforce's empty lookup.
    fn id_field(&self, name: &str) -> &str {
        let v = self.get(name);
        if empty_lookup(v) { "" } else { v }
    }
}

/// A parsed `notifications` message.
#[derive(Debug, Default, PartialEq)]
pub struct Message {
    /// The sending org.
    pub organization_id: String,
    /// Its notifications.
    pub notifications: Vec<Notification>,
}

fn local(name: &[u8]) -> String {
    let n = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    String::from_utf8_lossy(n).into_owned()
}

/// Reads the SOAP envelope.
pub fn parse(body: &[u8]) -> Result<Message, ConnectorError> {
    let bad = |e: String| {
        ConnectorError::Malformed(format!(
            "the body is not a Salesforce Outbound Message (SOAP notifications): {e}"
        ))
    };
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut path: Vec<String> = Vec::new();
    let mut msg = Message::default();
    let mut current: Option<Notification> = None;
    let mut buf = Vec::new();
    let mut text_now = String::new();
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(format!("at byte {}: {e}", reader.buffer_position())))?;
        let empty = matches!(ev, Xml::Empty(_));
        match ev {
            Xml::Start(s) | Xml::Empty(s) => {
                let name = local(s.name().as_ref());
                if name == "Notification" {
                    current = Some(Notification::default());
                }
                if name == "sObject"
                    && let Some(n) = current.as_mut()
                {
                    for a in s.attributes().flatten() {
                        if local(a.key.as_ref()) == "type" {
                            n.object = local(&a.value);
                        }
                    }
                }
                text_now.clear();
                if empty {
                    end(&name, &path, "", &mut msg, &mut current);
                } else {
                    path.push(name);
                }
            }
            Xml::Text(t) => {
                let t = t.decode().map_err(|e| bad(e.to_string()))?;
                let t = quick_xml::escape::unescape(&t).map_err(|e| bad(e.to_string()))?;
                text_now.push_str(&t);
            }
            Xml::CData(t) => text_now.push_str(&String::from_utf8_lossy(&t)),
            Xml::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| bad(e.to_string()))? {
                    text_now.push(c);
                } else {
                    let name = r.decode().map_err(|e| bad(e.to_string()))?;
                    let c = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| bad(format!("unknown entity &{name};")))?;
                    text_now.push_str(c);
                }
            }
            Xml::End(_) => {
                let name = path.pop().unwrap_or_default();
                end(&name, &path, text_now.trim(), &mut msg, &mut current);
                text_now.clear();
            }
            Xml::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if msg.organization_id.is_empty() {
        return Err(bad("no OrganizationId".into()));
    }
    Ok(msg)
}

fn end(
    name: &str,
    path: &[String],
    text: &str,
    msg: &mut Message,
    current: &mut Option<Notification>,
) {
    let parent = path.last().map(String::as_str);
    match (parent, name) {
        (Some("notifications"), "OrganizationId") => msg.organization_id = text.to_string(),
        (Some("notifications"), "Notification") => {
            if let Some(n) = current.take() {
                msg.notifications.push(n);
            }
        }
        (Some("Notification"), "Id") => {
            if let Some(n) = current.as_mut() {
                n.id = text.to_string();
            }
        }
        (Some("sObject"), field) => {
            if let Some(n) = current.as_mut() {
                n.fields.push((field.to_string(), text.to_string()));
            }
        }
        _ => {}
    }
}

/// True when `got` is the configured org (15- and 18-character ids alike).
pub fn same_org(configured: &str, got: &str) -> bool {
    link_key(configured) == link_key(got)
}

/// A Salesforce date-time as RFC 3339 (they are UTC: `2026-03-06T21:30:00.000Z`).
fn when(v: &str) -> String {
    v.to_string()
}

/// Takes a message's notifications, and writes what they decided together.
pub async fn deliver(app: &App, msg: Message) -> Result<ConnectorAnswer, ConnectorError> {
    let _one = app.connector_lock.lock().await;
    let mut answer = ConnectorAnswer::default();
    let mut d = Delivery::default();
    for n in &msg.notifications {
        let key = format!("salesforce:{}", n.id);
        if n.id.is_empty() || d.seen(app, &key).await? {
            answer.duplicates += u64::from(!n.id.is_empty());
            continue;
        }
        let applied = match n.object.as_str() {
            "Lead" => lead(app, n, &mut d).await?,
            // A contact is a lead's only through the lead's ConvertedContactId (kept when the
            // Lead's message comes); it makes no lead of its own, as in the importer.
            "Contact" => None,
            "Opportunity" => opportunity(app, n, &mut d).await?,
            "Task" | "Event" => activity(app, n, &mut d).await?,
            _ => None,
        };
        match applied {
            Some(true) => answer.applied += 1,
            Some(false) => answer.pending += 1,
            None => answer.ignored += 1,
        }
        d.mark_seen(&key, app.clock.now());
    }
    d.flush(app, &mut answer).await?;
    Ok(answer)
}

const LEAD_FIELDS: &[&str] = &[
    "Id",
    "CreatedDate",
    "LeadSource",
    "Company",
    "Title",
    "Industry",
    "NumberOfEmployees",
    "Country",
    "OwnerId",
    "Status",
    "IsConverted",
];

async fn lead(
    app: &App,
    n: &Notification,
    d: &mut Delivery,
) -> Result<Option<bool>, ConnectorError> {
    let id = n.get("Id").to_string();
    if id.is_empty() {
        return Ok(None);
    }
    let key = format!("salesforce:lead:{}", link_key(&id));
    let mut st = d.state(app, &key).await?.unwrap_or_default();
    let mut row = Columns::new();
    for f in LEAD_FIELDS {
        if let Some(c) = lead_column(f) {
            let v = if *f == "OwnerId" {
                n.id_field(f)
            } else {
                n.get(f)
            };
            row.insert(c.into(), json!(v));
        }
    }
    row.insert("created_at".into(), json!(when(n.get("CreatedDate"))));
    let created = when(n.get("CreatedDate"));
    let changed = when(n.first(&["LastModifiedDate", "SystemModstamp", "CreatedDate"]));
    if st.get("stage").is_none() {
        d.rows.push(
            FileKind::Stages,
            &n.id,
            json!({"lead_id": id, "ts": created, "stage": "lead", "reason": "created", "actor": "salesforce"}),
        );
        st.insert("stage".into(), json!("lead"));
    }
    let status = n.get("Status");
    let converted = crate::import::truthy(n.get("IsConverted"));
    let stage = match stage_of(status) {
        Some(s) => Some(s.to_string()),
        None if converted => Some("sql".to_string()),
        None if status.is_empty() => None,
        None => Some(status.to_string()),
    };
    if let Some(stage) = stage
        && st.get("stage").and_then(Value::as_str) != Some(stage.as_str())
    {
        let ts = if converted && stage == "sql" {
            when(n.first(&["ConvertedDate", "LastModifiedDate", "CreatedDate"]))
        } else {
            changed.clone()
        };
        d.rows.push(
            FileKind::Stages,
            &n.id,
            json!({"lead_id": id, "ts": ts, "stage": stage, "reason": format!("status: {status}"), "actor": "salesforce"}),
        );
        st.insert("stage".into(), json!(stage));
    }
    d.rows.push(FileKind::Leads, &n.id, Value::Object(row));
    d.task(link_task(&id, "salesforce", "Lead", &id));
    let opp = n.id_field("ConvertedOpportunityId");
    if !opp.is_empty() {
        let opp_key = format!("salesforce:opportunity:{}", link_key(opp));
        let mut o = d.state(app, &opp_key).await?.unwrap_or_default();
        o.insert("lead_id".into(), json!(id));
        if let Some(r) = deal_rows(&o, &mut d.rows, &n.id) {
            o = r;
        }
        d.set_state(&opp_key, o);
    }
    let contact = n.id_field("ConvertedContactId");
    if !contact.is_empty() {
        let mut c = Columns::new();
        c.insert("lead_id".into(), json!(id));
        d.set_state(&format!("salesforce:contact:{}", link_key(contact)), c);
    }
    d.set_state(&key, st);
    Ok(Some(true))
}

/// An opportunity's deal row and its opportunity/customer stage entries, once its lead is known.
fn deal_rows(st: &Columns, rows: &mut Rows, change: &str) -> Option<Columns> {
    let lead = text(st.get("lead_id"));
    let row = st.get("row").and_then(Value::as_object)?.clone();
    if lead.is_empty() {
        return None;
    }
    let mut row = row;
    row.insert("lead_id".into(), json!(lead));
    let created = text(row.get("created_at"));
    rows.push(
        FileKind::Stages,
        change,
        json!({"lead_id": lead, "ts": created, "stage": "opportunity", "reason": "", "actor": "salesforce"}),
    );
    if text(row.get("status")) == "won" {
        rows.push(
            FileKind::Stages,
            change,
            json!({"lead_id": lead, "ts": text(row.get("closed_at")), "stage": "customer", "reason": "", "actor": "salesforce"}),
        );
    }
    rows.push(FileKind::Deals, change, Value::Object(row));
    Some(st.clone())
}

async fn opportunity(
    app: &App,
    n: &Notification,
    d: &mut Delivery,
) -> Result<Option<bool>, ConnectorError> {
    let id = n.get("Id").to_string();
    if id.is_empty() {
        return Ok(None);
    }
    let key = format!("salesforce:opportunity:{}", link_key(&id));
    let mut st = d.state(app, &key).await?.unwrap_or_default();
    let stage = n.get("StageName").to_ascii_lowercase();
    let closed = crate::import::truthy(n.get("IsClosed")) || stage.starts_with("closed");
    let won = crate::import::truthy(n.get("IsWon")) || stage == "closed won";
    let status = match (closed, won) {
        (false, _) => "open",
        (true, true) => "won",
        (true, false) => "lost",
    };
    let row = json!({
        "deal_id": id,
        "created_at": when(n.get("CreatedDate")),
        "status": status,
        // An open deal's CloseDate is a forecast, not something that happened.
        "closed_at": if status == "open" { String::new() } else { n.get("CloseDate").to_string() },
        "amount": n.get("Amount"),
        "currency": n.get("CurrencyIsoCode"),
    });
    st.insert("row".into(), row);
    let applied = deal_rows(&st, &mut d.rows, &n.id).is_some();
    d.set_state(&key, st);
    Ok(Some(applied))
}

async fn activity(
    app: &App,
    n: &Notification,
    d: &mut Delivery,
) -> Result<Option<bool>, ConnectorError> {
    let who = n.id_field("WhoId");
    let lead = if who.starts_with("003") {
        let c = d
            .state(app, &format!("salesforce:contact:{}", link_key(who)))
            .await?;
        c.map(|c| text(c.get("lead_id")))
            .unwrap_or_else(|| who.to_string())
    } else {
        who.to_string()
    };
    let kind = n
        .first(&["Type", "TaskSubtype", "EventSubtype"])
        .to_ascii_lowercase();
    let kind = if kind.is_empty() {
        if n.object == "Event" {
            "meeting".into()
        } else {
            "task".into()
        }
    } else {
        kind
    };
    let channel = match kind.as_str() {
        "call" => "phone",
        "email" | "list email" => "email",
        "meeting" | "event" => "meeting",
        _ => "other",
    };
    let ts = when(n.first(&[
        "ActivityDateTime",
        "StartDateTime",
        "CompletedDateTime",
        "ActivityDate",
        "CreatedDate",
    ]));
    d.rows.push(
        FileKind::Events,
        &n.id,
        json!({"event_id": n.get("Id"), "lead_id": lead, "ts": ts, "type": kind, "channel": channel, "team": "sales"}),
    );
    Ok(Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_outbound_message() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D5g000004ABCDEAA</OrganizationId>
   <ActionId>04k5g000000XYZAAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/60.0/00D5g000004ABCD</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/60.0/00D5g000004ABCD</PartnerUrl>
   <Notification>
    <Id>04l5g00000A1b2cAAA</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>00Q5g00000Lead1AAA</sf:Id>
     <sf:Company>Globex &amp; Co</sf:Company>
     <sf:ConvertedOpportunityId>000000000000000AAA</sf:ConvertedOpportunityId>
     <sf:Title xsi:nil="true"/>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"#;
        let m = parse(body).expect("parses");
        assert_eq!(m.organization_id, "00D5g000004ABCDEAA");
        assert_eq!(m.notifications.len(), 1);
        let n = &m.notifications[0];
        assert_eq!(n.id, "04l5g00000A1b2cAAA");
        assert_eq!(n.object, "Lead");
        assert_eq!(n.get("Company"), "Globex & Co");
        assert_eq!(n.get("Title"), "");
        assert_eq!(n.id_field("ConvertedOpportunityId"), "");
        assert!(same_org("00D5g000004ABCD", "00D5g000004ABCDEAA"));
        assert!(!same_org("00D5g000004ZZZZ", "00D5g000004ABCDEAA"));
        assert!(parse(b"<x/>").is_err());
    }
}
