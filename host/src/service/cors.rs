//! Calls from browsers: the site widget's pages (a public site key, also as `?site_key=`) and the
//! CRM side panel (a rep's token from its `chrome-extension://` origin): preflights answered on
//! every route and CORS headers on every answer to a token-carrying call, refusals included.

use axum::extract::{Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Requests from pages and extensions: a site key may come as `?site_key=` (`navigator.sendBeacon`
/// and a simple CORS request cannot set a header); a preflight is answered on every route; and
/// every answer to a request with a token and an `Origin` — a site key's from a page, a rep's
/// from the CRM side panel — carries CORS headers, a refusal included, so the caller can read
/// why. Tokens are bearer credentials, never cookies: allowing other origins to read an answer
/// gives them nothing their own token does not.
pub(crate) async fn browser_calls(mut request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return preflight(request.headers().clone()).await;
    }
    let query_key = Query::<SiteKeyQuery>::try_from_uri(request.uri())
        .ok()
        .and_then(|Query(q)| q.site_key);
    let headers = request.headers_mut();
    if let Some(key) = query_key
        && !headers.contains_key(header::AUTHORIZATION)
        && !headers.contains_key("x-baton-site-key")
        && let Ok(v) = HeaderValue::from_str(&key)
    {
        headers.insert("x-baton-site-key", v);
    }
    let with_token =
        headers.contains_key("x-baton-site-key") || headers.contains_key(header::AUTHORIZATION);
    let origin = with_token
        .then(|| headers.get(header::ORIGIN).cloned())
        .flatten();
    let mut response = next.run(request).await;
    if let Some(origin) = origin
        && !response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after, x-request-id, etag, x-baton-program-format"),
        );
    }
    response
}

/// `?site_key=`.
#[derive(Deserialize)]
struct SiteKeyQuery {
    site_key: Option<String>,
}

/// Allows `origin` to read the answer.
fn cors(headers: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// A browser's preflight, on any route: allowed here, and the real request's token (and a site
/// key's origins) checked when it comes.
async fn preflight(headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let h = response.headers_mut();
        cors(h, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "authorization, content-type, x-baton-site-key, idempotency-key, x-request-id",
            ),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}
