//! The HTTP face of the service: `/v1` routes, who may call them, bounded bodies and batches,
//! one JSON log line per request with its id, and `/metrics` (browsers' calls: `cors.rs`; sales'
//! answers to a handoff: `answers.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baton_core::FileKind;
use serde::{Deserialize, Serialize};

use super::auth::{self, Need, Scope};
use super::engine::{AnswerError, App};
use super::intake::{self, IntakeError};
use super::store::StoreError;

/// The version of the `/v1` API: a client (the CRM side panel) checks it in `/v1/status`.
pub const API_VERSION: u32 = 1;
/// Largest request body: 2 MiB.
pub const MAX_BODY_BYTES: usize = 2 << 20;
/// Requests in flight before new ones are answered `503` (with `Retry-After`).
pub const MAX_IN_FLIGHT: usize = 256;
/// How long a request's body may take to arrive.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) type AppState = State<Arc<App>>;

/// One JSON log line on stderr (never a token, never a row's data).
pub fn log_event(level: &str, message: &str) {
    let line = serde_json::json!({
        "ts": super::clock::system_now().to_string(),
        "level": level,
        "msg": message,
    });
    eprintln!("{line}");
}

/// An error answer: status, a short code and a sentence.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error answer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// With `Retry-After`.
    pub fn retry(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        let mut response = (self.status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy(_) | StoreError::Overloaded(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_busy",
                format!("{e}; retry shortly"),
            )
            .retry(1),
            StoreError::Full(_) => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "store_full",
                e.to_string(),
            )
            .retry(60),
            StoreError::Other(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "store_error",
                e.to_string(),
            ),
        }
    }
}

impl From<AnswerError> for ApiError {
    fn from(e: AnswerError) -> Self {
        match e {
            AnswerError::NoLead(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "no_lead", e.to_string())
            }
            AnswerError::Input(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unusable_input", m)
            }
            AnswerError::Store(s) => s.into(),
            AnswerError::Internal(m) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m)
            }
        }
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Malformed(m) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_body", m)
            }
            IntakeError::TooMany(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                e.to_string(),
            ),
            IntakeError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            IntakeError::Store(s) => s.into(),
            IntakeError::Unreadable(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unusable_input", m)
            }
        }
    }
}

/// The router with every route and layer.
pub fn router(app: Arc<App>) -> Router {
    let v1 = Router::new()
        .route("/v1/leads", post(post_leads))
        .route("/v1/events", post(post_events))
        .route("/v1/stages", post(post_stages))
        .route("/v1/deals", post(post_deals))
        .route("/v1/feedback", post(post_feedback))
        .route("/v1/leads/{id}", get(get_card).delete(delete_lead))
        .route("/v1/leads/{id}/accept", post(super::answers::accept))
        .route("/v1/leads/{id}/reject", post(super::answers::reject))
        .route("/v1/messages/check", post(check_message))
        .route("/v1/report", get(get_report))
        .route("/v1/report.html", get(get_report_html))
        .route("/v1/status", get(status))
        .route("/v1/connectors/hubspot", post(super::routes::hubspot))
        .route("/v1/connectors/salesforce", post(super::routes::salesforce))
        .route("/v1/leads/{id}/handoff", get(super::routes::lead_handoff))
        .route("/v1/deals/{id}", get(super::routes::deal))
        .route("/v1/config", get(super::routes::config))
        .route("/v1/automation", get(super::routes::automation))
        .route("/v1/widget/program", get(super::routes::widget_program))
        .route("/v1/identify", post(super::widget::identify))
        .route("/v1/widget/visitors/{id}", get(super::widget::visitor))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi));
    let shed = tower::ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(
            |_: tower::BoxError| async {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    format!("more than {MAX_IN_FLIGHT} requests in flight; retry shortly"),
                )
                .retry(1)
            },
        ))
        .load_shed()
        // One limit for the whole service (a `ConcurrencyLimitLayer` would give each route its own).
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_IN_FLIGHT,
        ));
    v1.route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_route",
                "no such endpoint; see /openapi.json",
            )
        })
        .layer(axum::middleware::from_fn(super::cors::browser_calls))
        .layer(axum::middleware::from_fn_with_state(app.clone(), track))
        .layer(shed)
        .with_state(app)
}

/// The code of an error answer, for the metrics.
#[derive(Clone, Copy)]
struct ErrorCode(&'static str);

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Gives each request an id (a client's `X-Request-Id` if sane), logs it and counts it.
async fn track(State(app): AppState, mut request: Request, next: Next) -> Response {
    let began = std::time::Instant::now();
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(
            || format!("r{:08x}", REQUESTS.fetch_add(1, Ordering::Relaxed)),
            str::to_string,
        );
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let method = request.method().clone();
    if let Ok(v) = HeaderValue::from_str(&id) {
        request.headers_mut().insert("x-request-id", v);
    }
    let mut response = next.run(request).await;
    let seconds = began.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    app.metrics.request(&route, status, seconds);
    if let Some(ErrorCode(code)) = response.extensions().get::<ErrorCode>()
        && let Some(kind) = code.strip_prefix("store_")
    {
        app.metrics.store_error(kind);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    let line = RequestLine {
        ts: super::clock::system_now().to_string(),
        level: if status >= 500 { "error" } else { "info" },
        request_id: &id,
        method: method.as_str(),
        route: &route,
        status,
        ms: (seconds * 1000.0 * 1000.0).round() / 1000.0,
    };
    if let Ok(text) = serde_json::to_string(&line) {
        eprintln!("{text}");
    }
    response
}

/// One request's log line (never a token, a body or a query).
#[derive(Serialize)]
struct RequestLine<'a> {
    ts: String,
    level: &'static str,
    request_id: &'a str,
    method: &'a str,
    route: &'a str,
    status: u16,
    ms: f64,
}

/// Who is calling.
pub(crate) struct Caller {
    /// The token's scope.
    pub(crate) scope: Scope,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .or_else(|| {
            headers
                .get("x-baton-site-key")
                .and_then(|v| v.to_str().ok())
        })
}

/// Checks the caller's token against what the endpoint needs; a site key also against its
/// origins and rate limits.
pub(crate) async fn authorize(
    app: &App,
    headers: &HeaderMap,
    peer: SocketAddr,
    need: Need,
) -> Result<Caller, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "no_token",
            "this endpoint needs a token: `Authorization: Bearer <token>` (create one with `baton serve token create`)",
        ));
    };
    let record = app.token(&auth::hash(token)).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "the token is not one this service issued",
        )
    })?;
    let scope = Scope::parse(&record.scope).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "the token has an unknown scope",
        )
    })?;
    if !scope.grants(need) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_scope",
            format!(
                "a {} token may not do this; it needs {:?} scope",
                scope.as_str(),
                need
            ),
        ));
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if scope == Scope::Site {
        if !auth::origin_allowed(&record, origin) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                format!(
                    "this site key may be used from {} only",
                    record.origins.replace(',', ", ")
                ),
            ));
        }
        app.limits.take(&record.id, peer.ip()).map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests for this site key or client",
            )
            .retry(wait)
        })?;
    }
    Ok(Caller { scope })
}

/// The body as UTF-8 text, bounded in size and in time (a client that stops sending mid-body
/// does not hold its slot).
pub(crate) async fn text(body: Body) -> Result<String, ApiError> {
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY_BYTES));
    let bytes = read
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the body did not arrive within {} s",
                    BODY_TIMEOUT.as_secs()
                ),
            )
        })?
        .map_err(|e| {
            // The limit's error says "length limit exceeded"; anything else is a client that
            // went away or sent a broken body.
            if !e.to_string().contains("length limit") {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "body_incomplete",
                    format!("the body could not be read whole: {e}"),
                );
            }
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!(
                    "a request body holds at most {MAX_BODY_BYTES} bytes (2 MiB); send it in parts"
                ),
            )
        })?;
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            format!(
                "the body is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 200 => Ok(Some(k.to_string())),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_idempotency_key",
                "Idempotency-Key must be 1 to 200 visible ASCII characters",
            )),
        },
    }
}

pub(crate) type Peer = ConnectInfo<SocketAddr>;

async fn ingest(
    app: Arc<App>,
    kind: FileKind,
    headers: HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<Response, ApiError> {
    let need = if kind == FileKind::Events {
        Need::Touch
    } else {
        Need::Ingest
    };
    // The body is read (bounded) before anything is refused, so the connection stays usable.
    let body = text(body).await?;
    let caller = authorize(&app, &headers, peer, need).await?;
    let key = idempotency_key(&headers)?;
    let mut rows = intake::parse(kind, &body)?;
    let anonymous = match caller.scope {
        Scope::Site => super::widget::site_events(&app, &mut rows).await?,
        _ => Vec::new(),
    };
    let answer = intake::take(&app, kind, rows, key.as_deref()).await?;
    super::widget::settle(&app, &anonymous).await?;
    Ok(axum::Json(answer).into_response())
}

async fn post_leads(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    ingest(app, FileKind::Leads, headers, peer, body).await
}
async fn post_events(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    ingest(app, FileKind::Events, headers, peer, body).await
}
async fn post_stages(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    ingest(app, FileKind::Stages, headers, peer, body).await
}
async fn post_deals(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    ingest(app, FileKind::Deals, headers, peer, body).await
}
async fn post_feedback(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    ingest(app, FileKind::Feedback, headers, peer, body).await
}

/// `?as_of=`.
#[derive(Deserialize)]
struct AsOfQuery {
    as_of: Option<String>,
}

async fn get_card(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let card = app.card(&id, q.as_of.as_deref()).await?;
    Ok(json_bytes(serde_json::to_string(&card).unwrap_or_default()))
}

fn json_bytes(text: String) -> Response {
    let text = baton_core::numerals::text_without_negative_zero(text);
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn delete_lead(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Admin).await?;
    let at = app.clock.now().to_string();
    let rows = app.store.erase_lead(&id, &at).await?;
    super::widget::forget_lead(&app, &id).await?;
    log_event(
        "info",
        &format!("erased a lead on request: {rows} rows deleted"),
    );
    if rows == 0 {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_lead",
            "no rows of that lead are stored",
        ));
    }
    Ok(axum::Json(serde_json::json!({ "erased_rows": rows, "at": at })).into_response())
}

/// `POST /v1/messages/check`'s body.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct Draft {
    /// The draft's text.
    pub text: String,
    /// Who it is for: `marketing` or `sales` wording (as `checkMessage` takes it).
    #[serde(default)]
    pub audience: String,
}

async fn check_message(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let text = text(body).await?;
    authorize(&app, &headers, peer, Need::Read).await?;
    let draft: Draft = serde_json::from_str(&text).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            format!("the body: {e}"),
        )
    })?;
    let snap = app.current().await?;
    let check =
        baton_core::live::check_message(&snap.ws, &draft.text, &draft.audience).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unusable_input",
                e.to_string(),
            )
        })?;
    Ok(json_bytes(
        serde_json::to_string(&check).unwrap_or_default(),
    ))
}

async fn get_report(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let r = app.report(q.as_of.as_deref()).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], r.json.clone()).into_response())
}

async fn get_report_html(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Query(q): Query<AsOfQuery>,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let r = app.report(q.as_of.as_deref()).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        r.html.clone(),
    )
        .into_response())
}

async fn status(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let counts = app.store.counts().await?;
    let body = serde_json::json!({
        "service": "baton",
        "baton_version": env!("CARGO_PKG_VERSION"),
        "api": API_VERSION,
        "store": app.store.backend(),
        "version": app.store.version().await?,
        "snapshot_current": app.snapshot_current().await?,
        "rows": counts.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
    });
    Ok(axum::Json(body).into_response())
}

async fn readyz(State(app): AppState) -> Response {
    match app.store.version().await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            app.metrics.store_error(e.kind());
            ApiError::from(e).into_response()
        }
    }
}

async fn metrics(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    let mut text = app.metrics.render();
    text.push_str("# HELP baton_tasks The automation's durable tasks (handoffs, timers, outbox messages, write-backs), by kind and state; outbox failed = given up.\n# TYPE baton_tasks gauge\n");
    for (kind, state, n) in app.store.task_counts().await? {
        if matches!(kind.as_str(), "handoff" | "timer" | "outbox" | "writeback") {
            text.push_str(&format!(
                "baton_tasks{{kind=\"{kind}\",state=\"{state}\"}} {n}\n"
            ));
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn openapi(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&app, &headers, peer, Need::Read).await?;
    Ok(json_bytes(super::openapi::document()))
}
