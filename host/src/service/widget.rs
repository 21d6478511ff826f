//! The site widget's side of the service: what a site key may post (touches of visitor ids),
//! `POST /v1/identify` (a visitor becomes a lead, or is found to be one, and its touches go with
//! it), and `GET /v1/widget/visitors/{id}` (whether the service decided the visitor should talk
//! to sales, and the routed owner's booking link).
//!
//! A visitor id is the widget's own (`visitor-` and up to 64 letters, digits or dashes). The
//! browser never learns a lead's id: once identified, a visitor's later touches are written under
//! its lead by the service (task `visitor`, keyed by visitor id).

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baton_core::{FileKind, JsonRows};
use serde_json::{Map, Value, json};

use super::auth::Need;
use super::automation::handoff;
use super::engine::App;
use super::http::{ApiError, AppState, Peer, authorize, text};
use super::intake;
use super::store::{Put, StoreError, Task};

/// What every visitor id starts with.
pub const VISITOR_PREFIX: &str = "visitor-";
/// Most attributes one identify may carry.
const MAX_ATTRIBUTES: usize = 30;
/// Lead columns a visitor may not set: the service sets them, or the CRM owns them.
const RESERVED: &[&str] = &["lead_id", "created_at", "owner", "team", "email"];

/// Whether `id` is a visitor id the widget makes.
pub fn is_visitor_id(id: &str) -> bool {
    id.strip_prefix(VISITOR_PREFIX).is_some_and(|rest| {
        (1..=64).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// The lead an identified visitor is.
pub async fn lead_of(app: &App, visitor: &str) -> Result<Option<String>, StoreError> {
    Ok(app
        .store
        .task("visitor", visitor)
        .await?
        .and_then(|t| serde_json::from_str::<Value>(&t.body).ok())
        .and_then(|b| b["lead_id"].as_str().map(str::to_string)))
}

/// An erased lead's identities are forgotten: a visitor that was tied to it is anonymous again
/// (its later touches are held under its visitor id, as any visitor's). Reads every identity:
/// erasure is rare.
pub async fn forget_lead(app: &App, lead: &str) -> Result<u64, StoreError> {
    let tied: Vec<(Task, Put)> = app
        .store
        .tasks_prefixed("visitor", "")
        .await?
        .into_iter()
        .filter(|t| {
            serde_json::from_str::<Value>(&t.body)
                .is_ok_and(|b| b["lead_id"].as_str() == Some(lead))
        })
        .map(|mut t| {
            t.state = "erased".into();
            t.body = "{}".into();
            (t, Put::Replace)
        })
        .collect();
    let n = tied.len() as u64;
    app.store.put_tasks(tied).await?;
    Ok(n)
}

/// A site key's events: every row's `lead_id` must be a visitor id and `team` empty; a visitor
/// identified as a lead has its touches written under the lead. Returns the visitors of the batch
/// that were not identified when it was read.
pub async fn site_events(app: &App, rows: &mut JsonRows) -> Result<Vec<String>, ApiError> {
    let forbidden = |m: String| ApiError::new(StatusCode::FORBIDDEN, "forbidden", m);
    let mut anonymous = Vec::new();
    let mut known: Vec<(String, Option<String>)> = Vec::new();
    for i in 0..rows.len() {
        if rows.field(i, "team").is_some_and(|t| !t.is_empty()) {
            return Err(forbidden(format!(
                "events[{i}]: a site key may not set `team` (touches from the site are the visitor's)"
            )));
        }
        let visitor = rows.field(i, "lead_id").unwrap_or("").to_string();
        if !is_visitor_id(&visitor) {
            return Err(forbidden(format!(
                "events[{i}].lead_id: a site key posts touches of visitor ids (`{VISITOR_PREFIX}` and up to 64 letters, digits or dashes), got {visitor:?}"
            )));
        }
        let lead = match known.iter().find(|(v, _)| *v == visitor) {
            Some((_, lead)) => lead.clone(),
            None => {
                let lead = lead_of(app, &visitor).await?;
                if lead.is_none() {
                    anonymous.push(visitor.clone());
                }
                known.push((visitor.clone(), lead.clone()));
                lead
            }
        };
        if let Some(lead) = lead {
            rows.set_field(i, "lead_id", &lead);
        }
    }
    Ok(anonymous)
}

/// After a site batch is written: a visitor identified meanwhile (between the batch's read of
/// the identities and its write) has the touches just written moved to its lead.
pub async fn settle(app: &App, anonymous: &[String]) -> Result<(), StoreError> {
    for visitor in anonymous {
        if let Some(lead) = lead_of(app, visitor).await?
            && lead != *visitor
        {
            app.store.merge_lead(visitor, &lead).await?;
        }
    }
    Ok(())
}

/// An identify request, checked.
struct Identify {
    visitor: String,
    email: String,
    attributes: Map<String, Value>,
}

fn unprocessable(field: &str, message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_value",
        format!("{field}: {message}"),
    )
}

/// Reads and checks an identify body.
fn identify_request(body: &str) -> Result<Identify, ApiError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            format!("the body is not a JSON object: {e}"),
        )
    })?;
    let Value::Object(mut object) = value else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            "the body must be a JSON object: {\"visitor_id\": …, \"email\": …, other attributes}",
        ));
    };
    let visitor = match object.remove("visitor_id") {
        Some(Value::String(v)) if is_visitor_id(&v) => v,
        other => {
            return Err(unprocessable(
                "visitor_id",
                format!(
                    "expected the widget's visitor id (`{VISITOR_PREFIX}` and up to 64 letters, digits or dashes), got {}",
                    other.map_or("nothing".into(), |v| v.to_string())
                ),
            ));
        }
    };
    let email = match object.remove("email") {
        Some(Value::String(e)) if plausible_email(e.trim()) => e.trim().to_string(),
        other => {
            return Err(unprocessable(
                "email",
                format!(
                    "expected an email address, got {}",
                    other.map_or("nothing".into(), |v| v.to_string())
                ),
            ));
        }
    };
    if object.len() > MAX_ATTRIBUTES {
        return Err(unprocessable(
            "attributes",
            format!("at most {MAX_ATTRIBUTES} attributes, got {}", object.len()),
        ));
    }
    for (name, value) in &object {
        let lower = name.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) {
            return Err(unprocessable(
                name,
                "a visitor may not set this column (the service or the CRM does)".into(),
            ));
        }
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let valid_value = match value {
            Value::String(s) => s.chars().count() <= 500,
            Value::Number(_) | Value::Bool(_) | Value::Null => true,
            _ => false,
        };
        if !valid_name || !valid_value {
            return Err(unprocessable(
                name,
                "an attribute is a name of letters, digits and `_` (at most 64) with a string (at most 500 characters), number or boolean".into(),
            ));
        }
    }
    Ok(Identify {
        visitor,
        email,
        attributes: object,
    })
}

/// An address with one `@`, something on each side, a dot in the domain, no spaces.
fn plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `POST /v1/identify`: ties a visitor to the lead with its email (the CRM's, when it has one),
/// or makes the visitor a lead with the attributes given; the visitor's touches go with it.
pub async fn identify(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = text(body).await?;
    authorize(&app, &headers, peer, Need::Touch).await?;
    let request = identify_request(&body)?;
    let answer = {
        // One identity change at a time (a CRM merge included).
        let _one = app.connector_lock.lock().await;
        tie(&app, &request).await?
    };
    app.written.notify_one();
    Ok(axum::Json(answer).into_response())
}

/// The email of a stored lead.
async fn email_of(app: &App, lead: &str) -> Result<Option<String>, StoreError> {
    let rows = app.store.leads(vec![lead.to_string()]).await?;
    Ok(rows.last().and_then(|r| super::store::email_in(&r.body)))
}

/// Finds or makes the visitor's lead, records the identity and moves the touches.
async fn tie(app: &App, r: &Identify) -> Result<Value, ApiError> {
    let email = r.email.to_lowercase();
    // A visitor identified before (an identity, or the lead it became) with the same email is
    // a retry; with another email, another person. An identity whose lead was erased is none.
    let earlier = lead_of(app, &r.visitor)
        .await?
        .unwrap_or_else(|| r.visitor.clone());
    let lead = match email_of(app, &earlier).await? {
        Some(e) if e == email => Some(earlier),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "visitor_identified",
                "this visitor is already identified with another email; a new person on this browser starts a new visitor (batonWidget.reset())",
            ));
        }
        None => None,
    };
    let lead = match lead {
        Some(lead) => lead,
        None => match app.store.leads_by_email(&email).await?.into_iter().next() {
            Some(lead) => lead,
            None => {
                create_lead(app, r).await?;
                r.visitor.clone()
            }
        },
    };
    let identity = Task {
        kind: "visitor".into(),
        key: r.visitor.clone(),
        state: "identified".into(),
        due: 0,
        body: json!({ "lead_id": lead }).to_string(),
    };
    app.store.put_tasks(vec![(identity, Put::Replace)]).await?;
    if lead != r.visitor {
        app.store.merge_lead(&r.visitor, &lead).await?;
    }
    let touches = app
        .store
        .lead_rows(&lead)
        .await?
        .iter()
        .filter(|row| row.kind == FileKind::Events)
        .count();
    // The same answer whether the email was the CRM's or new: a public key learns nothing
    // about who is in the CRM.
    Ok(json!({ "visitor_id": r.visitor, "identified": true, "touches": touches }))
}

/// Writes the visitor's lead row: its id, now, the email and the attributes given, checked by
/// the intake as any lead row.
async fn create_lead(app: &App, r: &Identify) -> Result<(), ApiError> {
    let mut row = r.attributes.clone();
    row.insert("lead_id".into(), json!(r.visitor));
    row.insert("created_at".into(), json!(app.clock.now().to_string()));
    row.insert("email".into(), json!(r.email));
    let rows = intake::parse(FileKind::Leads, &Value::Object(row).to_string())?;
    let answer = intake::take(app, FileKind::Leads, rows, None).await?;
    if let Some(refused) = answer.rows.iter().find(|a| a.status == "rejected") {
        let why: Vec<String> = refused
            .problems
            .iter()
            .map(|p| format!("{} {} ({:?})", p.field, p.reason, p.value))
            .collect();
        return Err(unprocessable(
            "lead",
            format!("the visitor's lead row is refused: {}", why.join("; ")),
        ));
    }
    Ok(())
}

/// `GET /v1/widget/visitors/{id}`: whether the service routed the visitor's lead to sales and,
/// when `[routing.booking]` has one for its owner, the booking link. Nothing else of the lead.
pub async fn visitor(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Touch).await?;
    if !is_visitor_id(&id) {
        return Err(unprocessable(
            "visitor_id",
            format!("expected the widget's visitor id, got {id:?}"),
        ));
    }
    let lead = lead_of(&app, &id).await?;
    let handoff = match &lead {
        Some(lead) => handoff::handoff_of(&app, lead).await?,
        None => None,
    };
    let booking = handoff
        .as_ref()
        .and_then(|h| h.owner.as_ref())
        .and_then(|o| app.framework.config.routing.booking.get(o));
    let answer = json!({
        "visitor_id": id,
        "identified": lead.is_some(),
        "talk_to_sales": handoff.is_some(),
        "booking_url": booking,
    });
    Ok(axum::Json(answer).into_response())
}
