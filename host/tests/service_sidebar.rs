//! What the CRM side panel (the browser extension) needs of the real service: a `rep` token that
//! reads cards and answers handoffs and nothing else, calls from the extension's origin
//! (preflight, CORS on answers and refusals), and `/v1/status` naming the API version.

mod support;

use support::{Client, Server, repo, token, workspace_copy};

const EXTENSION: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

#[test]
fn a_rep_token_reads_cards_and_answers_handoffs_from_the_extension() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let rep = token(ws.path(), None, "rep", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let auth = format!("Bearer {rep}");
    let from_extension = [("authorization", auth.as_str()), ("origin", EXTENSION)];

    // The preflight of a call with an Authorization header, on any route.
    let pre = http.send(
        "OPTIONS",
        "/v1/leads/L0000002",
        &[
            ("origin", EXTENSION),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "authorization"),
        ],
        None,
    );
    assert_eq!(pre.status, 204);
    assert_eq!(pre.allow_origin.as_deref(), Some(EXTENSION));
    assert!(
        pre.allow_headers
            .as_deref()
            .is_some_and(|h| h.contains("authorization")),
        "{:?}",
        pre.allow_headers
    );

    // The status names the API the panel speaks.
    let status = http.send("GET", "/v1/status", &from_extension, None);
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.allow_origin.as_deref(), Some(EXTENSION));
    let status = status.json();
    assert_eq!(
        (status["service"].as_str(), status["api"].as_u64()),
        (Some("baton"), Some(1))
    );
    assert_eq!(status["baton_version"], env!("CARGO_PKG_VERSION"));
    assert!(status["version"].is_u64(), "the store's version: {status}");

    // The card, readable by the extension.
    let card = http.send(
        "GET",
        "/v1/leads/L0000002?as_of=2026-06-30T17:00:00Z",
        &from_extension,
        None,
    );
    assert_eq!(card.status, 200, "{}", card.body);
    assert_eq!(card.allow_origin.as_deref(), Some(EXTENSION));
    assert_eq!(card.json()["lead_id"], "L0000002");

    // A deal record's lead (the panel open on a deal).
    let deal = http.send("GET", "/v1/deals/D0000008", &from_extension, None);
    assert_eq!(deal.status, 200, "{}", deal.body);
    assert_eq!(deal.json()["lead_id"], "L0000008");
    assert_eq!(
        http.send("GET", "/v1/deals/D-none", &from_extension, None)
            .status,
        404
    );

    // The configuration the service runs, byte for byte (the panel's draft check uses it).
    let config = http.send("GET", "/v1/config", &from_extension, None);
    assert_eq!(config.status, 200, "{}", config.body);
    assert_eq!(
        config.body,
        std::fs::read_to_string(ws.path().join("baton.toml")).expect("baton.toml")
    );

    // A refusal is readable too: the panel says why.
    let bad = [
        ("authorization", "Bearer baton_rep_0000_nope"),
        ("origin", EXTENSION),
    ];
    let refused = http.send("GET", "/v1/leads/L0000002", &bad, None);
    assert_eq!(
        (refused.status, refused.allow_origin.as_deref()),
        (401, Some(EXTENSION))
    );

    // Accept and reject, but no intake and no erasure.
    let mut post = from_extension.to_vec();
    post.push(("content-type", "application/json"));
    let accept = http.send(
        "POST",
        "/v1/leads/L0000002/accept",
        &post,
        Some(r#"{"actor": "dev.patel", "ts": "2026-06-30T17:00:00Z"}"#),
    );
    assert_eq!(accept.status, 200, "{}", accept.body);
    assert_eq!(accept.json()["accepted"].as_u64(), Some(1));
    let lead = r#"{"lead_id":"X1","created_at":"2026-06-30T09:00:00Z"}"#;
    assert_eq!(http.post("/v1/leads", &rep, lead).status, 403);
    assert_eq!(
        http.send("DELETE", "/v1/leads/L0000002", &from_extension, None)
            .status,
        403
    );
    // A read token may not answer a handoff.
    let read = token(ws.path(), None, "read", &[]);
    assert_eq!(
        http.post(
            "/v1/leads/L0000003/reject",
            &read,
            r#"{"reason": "no budget"}"#
        )
        .status,
        403
    );
}
