//! The endpoints of the connectors and the automation: `POST /v1/connectors/hubspot` (signed
//! webhook batches), `POST /v1/connectors/salesforce` (Outbound Messages, answered with the SOAP
//! `Ack`), `GET /v1/leads/{id}/handoff`, `GET /v1/automation` and the site widget's
//! `GET /v1/widget/program`.

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Need;
use super::automation::handoff;
use super::connectors::signature::{HubSpotHeaders, verify_hubspot};
use super::connectors::{ConnectorError, hubspot, salesforce, secret};
use super::http::{ApiError, AppState, Peer, authorize, text};

impl From<ConnectorError> for ApiError {
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::NotConfigured(m) => {
                ApiError::new(StatusCode::NOT_FOUND, "connector_not_configured", m)
            }
            ConnectorError::Unauthorized(m) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", m)
            }
            ConnectorError::Malformed(m) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_body", m)
            }
            ConnectorError::Intake(e) => e.into(),
            ConnectorError::Store(e) => e.into(),
        }
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The URL HubSpot called: `public_url` when configured, else what the request says (the
/// proxy's `X-Forwarded-Proto` and `Host`).
fn called_uri(public: Option<&str>, headers: &HeaderMap, path: &str) -> String {
    if let Some(p) = public {
        return p.to_string();
    }
    let proto = header_text(headers, "x-forwarded-proto").unwrap_or("http");
    let host = header_text(headers, "x-forwarded-host")
        .or_else(|| header_text(headers, header::HOST.as_str()))
        .unwrap_or("localhost");
    format!("{proto}://{host}{path}")
}

/// `POST /v1/connectors/hubspot`.
pub async fn hubspot(
    State(app): AppState,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = text(body).await?;
    let Some(cfg) = app.framework.config.connectors.hubspot.clone() else {
        return Err(
            ConnectorError::NotConfigured("no [connectors.hubspot] in baton.toml".into()).into(),
        );
    };
    let secret = secret(&cfg.secret_env, "[connectors.hubspot] secret_env")?;
    let path = uri
        .path_and_query()
        .map_or("/v1/connectors/hubspot", |p| p.as_str());
    let h = HubSpotHeaders {
        v3: header_text(&headers, "x-hubspot-signature-v3"),
        timestamp: header_text(&headers, "x-hubspot-request-timestamp"),
        legacy: header_text(&headers, "x-hubspot-signature"),
        version: header_text(&headers, "x-hubspot-signature-version"),
    };
    let called = called_uri(cfg.public_url.as_deref(), &headers, path);
    let now_ms = app.clock.now().0 / 1000;
    verify_hubspot(&secret, "POST", &called, body.as_bytes(), &h, now_ms)
        .map_err(|e| ConnectorError::Unauthorized(e.to_string()))?;
    let events = hubspot::parse(body.as_bytes())?;
    let answer = hubspot::deliver(&app, events).await?;
    Ok(axum::Json(answer).into_response())
}

fn soap(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `POST /v1/connectors/salesforce`: answers the SOAP `Ack` once every notification is taken;
/// a fault otherwise (Salesforce retries it).
pub async fn salesforce(State(app): AppState, body: Body) -> Response {
    let body = match text(body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Some(cfg) = app.framework.config.connectors.salesforce.clone() else {
        return soap(
            StatusCode::NOT_FOUND,
            salesforce::fault("Client", "no [connectors.salesforce] in baton.toml"),
        );
    };
    let msg = match salesforce::parse(body.as_bytes()) {
        Ok(m) => m,
        Err(e) => {
            return soap(
                StatusCode::BAD_REQUEST,
                salesforce::fault("Client", &e.to_string()),
            );
        }
    };
    if !salesforce::same_org(&cfg.organization_id, &msg.organization_id) {
        return soap(
            StatusCode::FORBIDDEN,
            salesforce::fault(
                "Client",
                &format!(
                    "OrganizationId {} is not the configured org ([connectors.salesforce] organization_id)",
                    msg.organization_id
                ),
            ),
        );
    }
    match salesforce::deliver(&app, msg).await {
        Ok(_) => soap(StatusCode::OK, salesforce::ACK.to_string()),
        Err(e) => {
            let status = ApiError::from(e).into_response().status();
            soap(
                status,
                salesforce::fault("Server", "the message could not be stored; retry"),
            )
        }
    }
}

/// `GET /v1/leads/{id}/handoff`: the lead's handoff as the automation keeps it, its timers and
/// its outbox messages.
pub async fn lead_handoff(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let Some(h) = handoff::handoff_of(&app, &id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_handoff",
            format!("lead {id:?} has not become a handoff since the automation started"),
        ));
    };
    let timers: Vec<Value> = handoff::timers_of(&app, &id, h.started)
        .await?
        .into_iter()
        .map(|t| {
            let b: Value = serde_json::from_str(&t.body).unwrap_or_default();
            json!({"kind": b["kind"], "sla": b["sla"], "at": baton_core::Instant(t.due).to_string(), "state": t.state})
        })
        .collect();
    let writeback = app.store.task("writeback", &id).await?;
    Ok(axum::Json(json!({
        "handoff": h,
        "timers": timers,
        "writeback": writeback.map(|t| serde_json::from_str::<Value>(&t.body).unwrap_or_default()),
    }))
    .into_response())
}

/// `GET /v1/automation`: handoffs, timers and outbox messages by state, and every message
/// given up, with why.
pub async fn automation(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let mut counts = serde_json::Map::new();
    for (kind, state, n) in app.store.task_counts().await? {
        if matches!(kind.as_str(), "handoff" | "timer" | "outbox" | "writeback") {
            let e = counts.entry(kind).or_insert_with(|| json!({}));
            e[state] = json!(n);
        }
    }
    let failed: Vec<Value> = app
        .store
        .tasks_prefixed("outbox", "")
        .await?
        .into_iter()
        .filter(|t| t.state == "failed")
        .map(|t| {
            let b: Value = serde_json::from_str(&t.body).unwrap_or_default();
            json!({"key": t.key, "target": b["target"], "attempts": b["attempts"], "last_error": b["last_error"], "created": b["created"]})
        })
        .collect();
    Ok(axum::Json(json!({"tasks": counts, "given_up": failed})).into_response())
}

/// `GET /v1/widget/program`: the site widget's scoring program (docs/widget.md), compiled from
/// the service's `[scoring]`, for its site key (from the key's origins) or an ingest or admin
/// token. `ETag` / `If-None-Match` let a page keep the bytes it has.
pub async fn widget_program(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Touch).await?;
    let program = baton_core::program::Program::for_widget(&app.framework.config).map_err(|e| {
        ApiError::new(
            StatusCode::CONFLICT,
            "widget_program_refused",
            format!(
                "{} {:?} cannot run in the site widget: {}",
                e.what, e.rule, e.reason
            ),
        )
    })?;
    let bytes = program.to_bytes();
    let etag = format!("\"{}\"", &super::auth::hash_bytes(&bytes)[..32]);
    let fresh = header_text(&headers, header::IF_NONE_MATCH.as_str()) == Some(etag.as_str());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            Body::from(bytes),
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    h.insert(
        "x-baton-program-format",
        header::HeaderValue::from(baton_core::program::FORMAT_VERSION),
    );
    Ok(response)
}

/// `GET /v1/deals/{id}`: the lead a deal belongs to, for a CRM side panel open on a deal record.
pub async fn deal(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    match app.store.deal_lead(&id).await? {
        Some(lead) => Ok(axum::Json(json!({"deal_id": id, "lead_id": lead})).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_deal",
            format!("no deal {id:?} with a lead in the store"),
        )),
    }
}

/// `GET /v1/config`: the `baton.toml` the service runs, as text, so a client runs the engine with
/// the same configuration (the CRM side panel checks drafts against the team's pillars).
pub async fn config(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let text = app.config_text.clone().unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
