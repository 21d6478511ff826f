//! The site widget's side of the real service (127.0.0.1, ephemeral port, SQLite and
//! PostgreSQL): touches posted as `navigator.sendBeacon` sends them (site key in the query,
//! `text/plain`), visitor ids only, retries counted once, `identify` making a visitor a lead or
//! tying it to the CRM's lead with the same email (its touches moved, later ones following), and
//! the service's handoff decision with the routed owner's booking link.

mod support;

use std::path::Path;

use support::{Client, Postgres, Server, eventually, repo, token};

const ORIGIN: &str = "http://127.0.0.1:9999";

/// The demo site's workspace (web-demo/widget: page_view 5, pricing 20, webinar 15, fit 10 at
/// 200+ employees; threshold 40; visitors with an email routed to ana.ruiz, whose booking link
/// is set), in a temporary folder with a clock file at `at`.
fn site_workspace(at: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        repo().join("web-demo/widget/baton.toml"),
        dir.path().join("baton.toml"),
    )
    .expect("baton.toml");
    std::fs::write(dir.path().join("clock"), at).expect("clock");
    dir
}

fn start(dir: &Path, database: Option<&str>) -> Server {
    let clock = format!("file:{}", dir.join("clock").display());
    Server::start_with(dir, database, &["--clock", &clock], &[])
}

/// A touch as the widget sends it.
fn touch(event: &str, visitor: &str, ts: &str, kind: &str) -> String {
    format!(
        r#"{{"event_id":"{event}","lead_id":"{visitor}","ts":"{ts}","type":"{kind}","channel":"web"}}"#
    )
}

/// A POST from the page at ORIGIN with the site key in the query and a text/plain body, as
/// sendBeacon and the widget's simple requests send it.
fn from_page(http: &Client, path: &str, site: &str, body: &str) -> support::Answer {
    http.send(
        "POST",
        &format!("{path}?site_key={site}"),
        &[
            ("origin", ORIGIN),
            ("content-type", "text/plain;charset=UTF-8"),
        ],
        Some(body),
    )
}

fn visitor_status(http: &Client, site: &str, visitor: &str) -> serde_json::Value {
    let got = http.send(
        "GET",
        &format!("/v1/widget/visitors/{visitor}?site_key={site}"),
        &[("origin", ORIGIN)],
        None,
    );
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.allow_origin.as_deref(), Some(ORIGIN));
    got.json()
}

/// The whole visitor journey on one store.
fn visitor_journey(database: Option<&str>) {
    let ws = site_workspace("2026-12-07T10:00:00Z");
    let site = token(ws.path(), database, "site", &[ORIGIN]);
    let read = token(ws.path(), database, "read", &[]);
    let ingest = token(ws.path(), database, "ingest", &[]);
    let server = start(ws.path(), database);
    let http = Client::new(&server.base);
    let visitor = "visitor-0b7c1d2e-aaaa-4bbb-8ccc-000000000001";

    // Anonymous touches: stored, held until the visitor is a lead.
    let batch = format!(
        "[{},{}]",
        touch("t1", visitor, "2026-12-07T09:50:00Z", "page_view"),
        touch("t2", visitor, "2026-12-07T09:52:00Z", "pricing_page_view")
    );
    let got = from_page(&http, "/v1/events", &site, &batch);
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.allow_origin.as_deref(), Some(ORIGIN));
    let answer = got.json();
    assert_eq!(
        (answer["held"].as_u64(), answer["accepted"].as_u64()),
        (Some(2), Some(0))
    );
    // The same batch again (a beacon whose answer the page never saw, sent again): nothing new.
    let again = from_page(&http, "/v1/events", &site, &batch).json();
    assert_eq!(again["duplicates"].as_u64(), Some(2), "{again}");
    assert_eq!(
        visitor_status(&http, &site, visitor),
        serde_json::json!({"visitor_id": visitor, "identified": false, "talk_to_sales": false, "booking_url": null})
    );

    // Identify: a new email makes the visitor a lead (created now), its touches with it.
    let id = from_page(
        &http,
        "/v1/identify",
        &site,
        &format!(
            r#"{{"visitor_id":"{visitor}","email":"Jo.Park@Initech.example","company":"Initech"}}"#
        ),
    );
    assert_eq!(id.status, 200, "{}", id.body);
    assert_eq!(id.allow_origin.as_deref(), Some(ORIGIN));
    assert_eq!(
        id.json(),
        serde_json::json!({"visitor_id": visitor, "identified": true, "touches": 2})
    );
    // A retry is the same answer; another email for the same visitor is another person.
    let retry = from_page(
        &http,
        "/v1/identify",
        &site,
        &format!(r#"{{"visitor_id":"{visitor}","email":"jo.park@initech.example"}}"#),
    );
    assert_eq!(
        (retry.status, retry.json()["touches"].as_u64()),
        (200, Some(2))
    );
    let other = from_page(
        &http,
        "/v1/identify",
        &site,
        &format!(r#"{{"visitor_id":"{visitor}","email":"someone@else.example"}}"#),
    );
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.json()["error"], "visitor_identified");

    // 5 + 20 = 25: a lead, not yet a handoff.
    let card = http.get(&format!("/v1/leads/{visitor}"), &read);
    assert_eq!(card.status, 200, "{}", card.body);
    let card = card.json();
    assert_eq!(card["created_at"], "2026-12-07T10:00:00Z");
    assert_eq!(card["attributes"]["company"], "Initech");
    assert_eq!(card["score"]["score"].as_f64(), Some(25.0));
    assert_eq!(
        visitor_status(&http, &site, visitor)["talk_to_sales"],
        false
    );

    // A webinar registration: 40, the threshold. The automation enters the handoff stage and
    // routes it; the widget is told with the owner's booking link.
    let got = from_page(
        &http,
        "/v1/events",
        &site,
        &touch("t3", visitor, "2026-12-07T10:00:00Z", "webinar_register"),
    );
    assert_eq!(got.json()["accepted"].as_u64(), Some(1), "{}", got.body);
    eventually("the service's handoff", || {
        visitor_status(&http, &site, visitor)["talk_to_sales"] == true
    });
    let status = visitor_status(&http, &site, visitor);
    assert_eq!(status["booking_url"], "https://cal.example.com/ana-ruiz");
    let handoff = http
        .get(&format!("/v1/leads/{visitor}/handoff"), &read)
        .json();
    assert_eq!(handoff["handoff"]["owner"], "ana.ruiz");
    assert_eq!(handoff["handoff"]["started"], "2026-12-07T10:00:00Z");
    // Four business hours from 10:00 on a Monday (09:00–17:00 by default).
    assert_eq!(
        handoff["handoff"]["clocks"][0]["deadline"],
        "2026-12-07T14:00:00Z"
    );

    // A second visitor whose email is a lead the CRM already has: its touches join that lead,
    // and its later touches follow, though the page keeps sending its visitor id.
    let crm = r#"{"lead_id":"C-100","created_at":"2026-11-02T15:00:00Z","email":"mia@globex.example","employees":"800"}"#;
    assert_eq!(http.post("/v1/leads", &ingest, crm).status, 200);
    let second = "visitor-second-2";
    let got = from_page(
        &http,
        "/v1/events",
        &site,
        &touch("s1", second, "2026-12-07T09:30:00Z", "page_view"),
    );
    assert_eq!(got.json()["held"].as_u64(), Some(1));
    let id = from_page(
        &http,
        "/v1/identify",
        &site,
        &format!(r#"{{"visitor_id":"{second}","email":" MIA@globex.example "}}"#),
    );
    assert_eq!(id.status, 200, "{}", id.body);
    // The answer does not tell a public caller whether the CRM knew the email.
    assert_eq!(
        id.json(),
        serde_json::json!({"visitor_id": second, "identified": true, "touches": 1})
    );
    let later = from_page(
        &http,
        "/v1/events",
        &site,
        &touch("s2", second, "2026-12-07T10:00:00Z", "pricing_page_view"),
    );
    assert_eq!(later.json()["accepted"].as_u64(), Some(1), "{}", later.body);
    let card = http.get("/v1/leads/C-100", &read).json();
    // Fit 10 (800 employees) + page 5 + pricing 20.
    assert_eq!(card["score"]["score"].as_f64(), Some(35.0), "{card}");
    let timeline: Vec<&str> = card["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert_eq!(timeline, ["page_view", "pricing_page_view"]);
    assert_eq!(
        http.get(&format!("/v1/leads/{second}"), &read).status,
        404,
        "no lead under the visitor id"
    );

    // Erasure forgets the identity: the erased person's browser is an anonymous visitor again,
    // its next touch held under the visitor id, not written under the erased lead.
    let admin = token(ws.path(), database, "admin", &[]);
    let erased = http.send(
        "DELETE",
        "/v1/leads/C-100",
        &[("authorization", &format!("Bearer {admin}"))],
        None,
    );
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(visitor_status(&http, &site, second)["identified"], false);
    let after = from_page(
        &http,
        "/v1/events",
        &site,
        &touch("s3", second, "2026-12-07T10:05:00Z", "page_view"),
    );
    assert_eq!(after.json()["held"].as_u64(), Some(1), "{}", after.body);
    assert_eq!(http.get("/v1/leads/C-100", &read).status, 404);
}

#[test]
fn a_visitor_becomes_a_lead_and_the_service_decides_the_handoff_sqlite() {
    visitor_journey(None);
}

#[test]
fn a_visitor_becomes_a_lead_and_the_service_decides_the_handoff_postgres() {
    let pg = Postgres::start();
    visitor_journey(Some(&pg.database("widget")));
}

#[test]
fn a_site_key_is_held_to_visitor_touches_and_bad_identifies_are_named() {
    let ws = site_workspace("2026-12-07T10:00:00Z");
    let site = token(ws.path(), None, "site", &[ORIGIN]);
    let server = start(ws.path(), None);
    let http = Client::new(&server.base);
    // A lead's id is not a visitor's: a public key must not add touches to the CRM's leads.
    let got = from_page(
        &http,
        "/v1/events",
        &site,
        &touch("x1", "C-100", "2026-12-07T09:00:00Z", "pricing_page_view"),
    );
    assert_eq!(got.status, 403, "{}", got.body);
    // The refusal is readable by the page (CORS on errors too) and names row and field.
    assert_eq!(got.allow_origin.as_deref(), Some(ORIGIN));
    assert!(got.body.contains("events[0].lead_id"), "{}", got.body);
    for (body, field) in [
        (r#"{"visitor_id":"visitor-1"}"#, "email"),
        (
            r#"{"visitor_id":"visitor-1","email":"not an email"}"#,
            "email",
        ),
        (r#"{"visitor_id":"L1","email":"a@b.example"}"#, "visitor_id"),
        (
            r#"{"visitor_id":"visitor-1","email":"a@b.example","owner":"me"}"#,
            "owner",
        ),
        (
            r#"{"visitor_id":"visitor-1","email":"a@b.example","employees":{"n":1}}"#,
            "employees",
        ),
    ] {
        let got = from_page(&http, "/v1/identify", &site, body);
        assert_eq!(got.status, 422, "{body}: {}", got.body);
        assert!(
            got.json()["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("{field}:"))),
            "{body}: {}",
            got.body
        );
    }
    let got = from_page(&http, "/v1/identify", &site, "[1,2]");
    assert_eq!(got.status, 400);
    // From another origin, or with no key: refused.
    let evil = http.send(
        "POST",
        &format!("/v1/identify?site_key={site}"),
        &[("origin", "https://evil.example")],
        Some(r#"{"visitor_id":"visitor-1","email":"a@b.example"}"#),
    );
    assert_eq!(evil.status, 403);
    let none = http.send(
        "GET",
        "/v1/widget/visitors/visitor-1",
        &[("origin", ORIGIN)],
        None,
    );
    assert_eq!(none.status, 401);
    // Both endpoints are in the OpenAPI document, for the site key.
    let read = token(ws.path(), None, "read", &[]);
    let api = http.get("/openapi.json", &read).json();
    assert_eq!(
        api["paths"]["/v1/identify"]["post"]["x-baton-scope"],
        "site"
    );
    assert!(api["components"]["schemas"]["Identify"]["required"].is_array());
    assert_eq!(
        api["paths"]["/v1/widget/visitors/{id}"]["get"]["parameters"][0]["name"],
        "id"
    );
}
