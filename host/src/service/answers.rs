//! Sales' answer to a handoff: `POST /v1/leads/{id}/accept` and `/reject`, recorded as a stage
//! entry through the same intake as any row (accept: the first sales-owned stage; reject: the
//! first exit stage, with a reason the friction analysis reads).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baton_core::FileKind;
use serde::Deserialize;

use super::auth::Need;
use super::engine::App;
use super::http::{ApiError, AppState, Peer, authorize, idempotency_key, text};
use super::intake;

/// `POST /v1/leads/{id}/accept` and `/reject`'s body.
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct Answer {
    /// Why (required to reject).
    pub reason: Option<String>,
    /// Who answered (the rep).
    pub actor: Option<String>,
    /// When (default: now).
    pub ts: Option<String>,
    /// The stage to move the lead to: for `accept`, default the first sales-owned stage; for
    /// `reject`, default the first exit stage.
    pub stage: Option<String>,
}

async fn answer(
    app: Arc<App>,
    id: String,
    headers: HeaderMap,
    peer: SocketAddr,
    body: Body,
    accept: bool,
) -> Result<Response, ApiError> {
    let text = text(body).await?;
    authorize(&app, &headers, peer, Need::Answer).await?;
    let a: Answer = if text.trim().is_empty() {
        Answer::default()
    } else {
        serde_json::from_str(&text).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_body",
                format!("the body: {e}"),
            )
        })?
    };
    let lc = &app.framework.config.lifecycle;
    let default = if accept {
        lc.sales.first()
    } else {
        lc.exits.first()
    };
    let Some(stage) = a.stage.clone().or_else(|| default.cloned()) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_stage",
            "[lifecycle] has no stage to move the lead to; give `stage`",
        ));
    };
    if !accept && a.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_reason",
            "a rejection needs a `reason`: the friction analysis and the feedback loop read it",
        ));
    }
    let row = serde_json::json!({
        "lead_id": id,
        "ts": a.ts.clone().unwrap_or_else(|| app.clock.now().to_string()),
        "stage": stage,
        "reason": a.reason.clone().unwrap_or_default(),
        "actor": a.actor.clone().unwrap_or_default(),
    });
    let rows = intake::parse(FileKind::Stages, &row.to_string())?;
    let key = idempotency_key(&headers)?;
    let answer = intake::take(&app, FileKind::Stages, rows, key.as_deref()).await?;
    let status = if answer.rejected > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(answer)).into_response())
}

pub(crate) async fn accept(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    answer(app, id, headers, peer, body, true).await
}
pub(crate) async fn reject(
    State(app): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    answer(app, id, headers, peer, body, false).await
}
