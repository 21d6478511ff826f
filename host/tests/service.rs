//! `baton serve` end to end over HTTP on 127.0.0.1: the card and the report equal `baton card`
//! and `baton analyze` on the same data, intake answers row by row as the files would, retries
//! count once, every auth refusal, CORS, body limits, erasure, and SIGKILL under load.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::{Client, Server, baton, repo, token, workspace_copy};

const AS_OF: &str = "2026-09-30T17:00:00Z";

fn generated(leads: &str, seed: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let o = baton(&[
        "gen",
        "--leads",
        leads,
        "--seed",
        seed,
        "--out",
        dir.path().to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

fn lead_ids(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("leads.csv")).expect("leads.csv");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("id").to_string())
        .collect()
}

#[test]
fn every_card_equals_baton_card_and_the_report_equals_baton_analyze() {
    let ws = generated("120", "11");
    let read = token(ws.path(), None, "read", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let dir = ws.path().to_str().expect("utf8");
    for id in lead_ids(ws.path()) {
        let served = http.get(&format!("/v1/leads/{id}?as_of={AS_OF}"), &read);
        assert_eq!(served.status, 200, "{}", served.body);
        let cli = baton(&["card", dir, &id, "--as-of", AS_OF]);
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("json");
        assert_eq!(served.json(), cli, "lead {id}");
    }
    // The report: the bytes `baton analyze` writes for the folder at the same as_of.
    let out = tempfile::tempdir().expect("tmp");
    let o = baton(&[
        "analyze",
        dir,
        "--out",
        out.path().to_str().expect("utf8"),
        "--as-of",
        AS_OF,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(out.path().join("report.json")).expect("report.json");
    let served = http.get(&format!("/v1/report?as_of={AS_OF}"), &read);
    assert_eq!(served.status, 200);
    assert_eq!(
        served.body, written,
        "GET /v1/report differs from baton analyze"
    );
    let html = http.get(&format!("/v1/report.html?as_of={AS_OF}"), &read);
    assert_eq!(
        html.body,
        std::fs::read_to_string(out.path().join("report.html")).expect("html")
    );
    // And `baton analyze --database` reads the same store.
    let out2 = tempfile::tempdir().expect("tmp");
    let db = ws.path().join("baton.db");
    let o = baton(&[
        "analyze",
        dir,
        "--database",
        db.to_str().expect("utf8"),
        "--out",
        out2.path().to_str().expect("utf8"),
        "--as-of",
        AS_OF,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(out2.path().join("report.json")).expect("json"),
        written
    );
}

#[test]
fn acme_with_its_plugins_serves_the_cards_and_report_of_the_folder() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let read = token(ws.path(), None, "read", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let dir = ws.path().to_str().expect("utf8");
    let as_of = "2026-06-30T17:00:00Z";
    for id in lead_ids(ws.path()).iter().step_by(150) {
        let served = http
            .get(&format!("/v1/leads/{id}?as_of={as_of}"), &read)
            .json();
        let cli = baton(&["card", dir, id, "--as-of", as_of]);
        let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("json");
        assert_eq!(served, cli, "lead {id}");
        assert_eq!(
            served["plugins"].as_array().map(Vec::len),
            Some(2),
            "both plugins ran"
        );
    }
    // acme has rows its ingestion rejects (92): the store keeps them, so the report counts them.
    let out = tempfile::tempdir().expect("tmp");
    let o = baton(&[
        "analyze",
        dir,
        "--out",
        out.path().to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(o.status.success());
    let served = http.get("/v1/report", &read);
    assert_eq!(
        served.body,
        std::fs::read_to_string(out.path().join("report.json")).expect("json")
    );
}

fn post_events_as_file_and_api(rows: &str, csv: &str) {
    // The same rows as events.csv beside acme's leads: what the files say of them.
    let ws = workspace_copy(&repo().join("examples/acme"));
    let ingest = token(ws.path(), None, "ingest", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let answer = http.post("/v1/events", &ingest, rows);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = answer.json();
    let files = workspace_copy(&repo().join("examples/acme"));
    std::fs::write(files.path().join("events.csv"), csv).expect("write");
    let out = tempfile::tempdir().expect("tmp");
    let o = baton(&[
        "analyze",
        files.path().to_str().expect("utf8"),
        "--out",
        out.path().to_str().expect("utf8"),
        "--quiet",
        "--no-plugins",
    ]);
    assert!(o.status.success());
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json")).expect("json"),
    )
    .expect("json");
    let findings = report["data_quality"]["files"]["events"]["rejections"]
        .as_array()
        .expect("rejections")
        .clone();
    assert!(!findings.is_empty());
    for f in findings {
        for line in f["lines"].as_array().expect("lines") {
            let index = line.as_u64().expect("line") as usize - 2;
            let row = &answer["rows"][index];
            let problem = &row["problems"][0];
            assert_eq!(problem["reason"], f["reason"], "row {index}: {row}");
            assert_eq!(problem["field"], f["field"], "row {index}: {row}");
            if f["lines"][0] == *line {
                assert_eq!(problem["value"], f["example"], "row {index}: {row}");
            }
        }
    }
}

#[test]
fn intake_rejects_each_row_as_the_files_would_with_reason_field_and_value() {
    let rows = r#"[
        {"lead_id":"L0000001","ts":"2026-05-01T10:00:00Z","type":"page_view","channel":"web","event_id":"t-1"},
        {"lead_id":"L0000001","ts":"yesterday","type":"page_view","channel":"web","event_id":"t-2"},
        {"lead_id":"L0000001","ts":"2026-05-01T11:00:00Z","type":"","channel":"web","event_id":"t-3"},
        {"lead_id":"L0000001","ts":"2026-05-01T12:00:00Z","type":"call","channel":"phone","team":"partner","event_id":"t-4"},
        {"lead_id":"nobody","ts":"2026-05-01T12:00:00Z","type":"call","channel":"phone","event_id":"t-5"}
    ]"#;
    let csv = "lead_id,ts,type,channel,team,event_id\n\
        L0000001,2026-05-01T10:00:00Z,page_view,web,,t-1\n\
        L0000001,yesterday,page_view,web,,t-2\n\
        L0000001,2026-05-01T11:00:00Z,,web,,t-3\n\
        L0000001,2026-05-01T12:00:00Z,call,phone,partner,t-4\n\
        nobody,2026-05-01T12:00:00Z,call,phone,,t-5\n";
    post_events_as_file_and_api(rows, csv);
}

#[test]
fn intake_statuses_retries_and_the_card_changing() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let ingest = token(ws.path(), None, "ingest", &[]);
    let read = token(ws.path(), None, "read", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let before = http
        .get("/v1/leads/L0000001?as_of=2026-06-30T17:00:00Z", &read)
        .json();
    let batch = r#"[
        {"lead_id":"L0000001","ts":"2026-06-30T09:00:00Z","type":"pricing_page_view","channel":"web","event_id":"x-1"},
        {"lead_id":"V-visitor-9","ts":"2026-06-30T09:00:00Z","type":"page_view","channel":"web","event_id":"x-2"},
        {"lead_id":"L0000001","ts":"bad","type":"page_view","channel":"web","event_id":"x-3"}
    ]"#;
    let first = http.post("/v1/events", &ingest, batch).json();
    assert_eq!(
        (
            first["accepted"].as_u64(),
            first["held"].as_u64(),
            first["rejected"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{first}"
    );
    assert_eq!(first["rows"][1]["status"], "held");
    assert_eq!(first["rows"][1]["problems"][0]["reason"], "unknown_lead");
    assert_eq!(first["rows"][2]["problems"][0]["reason"], "bad_timestamp");
    // A retry counts once.
    let again = http.post("/v1/events", &ingest, batch).json();
    assert_eq!(
        (
            again["accepted"].as_u64(),
            again["duplicates"].as_u64(),
            again["rejected"].as_u64()
        ),
        (Some(0), Some(2), Some(1)),
        "{again}"
    );
    // Rows without an id of their own: the Idempotency-Key makes the retry the same rows.
    let auth = format!("Bearer {ingest}");
    let stage = r#"{"lead_id":"L0000001","ts":"2026-06-30T10:00:00Z","stage":"mql"}"#;
    let headers = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "sync-42"),
    ];
    let s1 = http
        .send("POST", "/v1/stages", &headers, Some(stage))
        .json();
    let s2 = http
        .send("POST", "/v1/stages", &headers, Some(stage))
        .json();
    assert_eq!(
        (s1["accepted"].as_u64(), s2["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let after = http
        .get("/v1/leads/L0000001?as_of=2026-06-30T17:00:00Z", &read)
        .json();
    assert_ne!(
        before["score"], after["score"],
        "the pricing page visit counts"
    );
    let timeline = after["timeline"].as_array().expect("timeline");
    assert!(timeline.iter().any(|e| e["type"] == "pricing_page_view"));
    // The lead sent again with a new value replaces it.
    let lead = r#"{"lead_id":"L0000001","created_at":"2026-03-20T17:48:36Z","employees":"5000","country":"NL"}"#;
    assert_eq!(http.post("/v1/leads", &ingest, lead).json()["updated"], 1);
    let card = http
        .get("/v1/leads/L0000001?as_of=2026-06-30T17:00:00Z", &read)
        .json();
    assert_eq!(card["attributes"]["employees"], 5000.0, "{card}");
    assert_eq!(card["route_to"], "enterprise-team");
    // Sales' answer.
    let rejected = http.post("/v1/leads/L0000001/reject", &ingest, "{}");
    assert_eq!(rejected.status, 422, "a rejection needs a reason");
    let ok = http
        .post(
            "/v1/leads/L0000001/reject",
            &ingest,
            r#"{"reason":"no budget","actor":"dev.patel","ts":"2026-06-30T12:00:00Z"}"#,
        )
        .json();
    assert_eq!(ok["accepted"], 1, "{ok}");
    let card = http
        .get("/v1/leads/L0000001?as_of=2026-06-30T17:00:00Z", &read)
        .json();
    let last_stage = card["timeline"]
        .as_array()
        .expect("t")
        .iter()
        .rev()
        .find(|e| e["kind"] == "stage")
        .cloned()
        .expect("stage");
    assert_eq!(
        (last_stage["stage"].as_str(), last_stage["reason"].as_str()),
        (Some("recycled"), Some("no budget"))
    );
    // Erasure.
    let admin = token(ws.path(), None, "admin", &[]);
    let erased = http.send(
        "DELETE",
        "/v1/leads/L0000001",
        &[("authorization", &format!("Bearer {admin}"))],
        None,
    );
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert!(erased.json()["erased_rows"].as_u64().expect("n") >= 4);
    assert_eq!(http.get("/v1/leads/L0000001", &read).status, 404);
}

#[test]
fn every_refusal_is_clear() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let ingest = token(ws.path(), None, "ingest", &[]);
    let read = token(ws.path(), None, "read", &[]);
    let site = token(ws.path(), None, "site", &["https://www.acme.example"]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let event =
        r#"{"lead_id":"visitor-1","ts":"2026-06-30T09:00:00Z","type":"page_view","channel":"web"}"#;
    assert_eq!(http.send("GET", "/healthz", &[], None).status, 200);
    assert_eq!(http.send("GET", "/readyz", &[], None).status, 200);
    let none = http.send("GET", "/v1/leads/L0000001", &[], None);
    assert_eq!(
        (none.status, none.json()["error"].as_str()),
        (401, Some("no_token"))
    );
    assert_eq!(
        http.get("/v1/leads/L0000001", "baton_read_0000_nope")
            .status,
        401
    );
    assert_eq!(
        http.post("/v1/events", &read, event).status,
        403,
        "read may not write"
    );
    assert_eq!(
        http.get("/v1/leads/L0000001", &ingest).status,
        403,
        "ingest may not read"
    );
    assert_eq!(
        http.send(
            "DELETE",
            "/v1/leads/L0000001",
            &[("authorization", &format!("Bearer {ingest}"))],
            None
        )
        .status,
        403
    );
    // The site key: from its origin only, touch events only, no team, never reading.
    let from = |origin: &'static str| {
        vec![
            ("x-baton-site-key", site.as_str()),
            ("origin", origin),
            ("content-type", "application/json"),
        ]
    };
    let ok = http.send(
        "POST",
        "/v1/events",
        &from("https://www.acme.example"),
        Some(event),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.allow_origin.as_deref(), Some("https://www.acme.example"));
    assert_eq!(
        http.send(
            "POST",
            "/v1/events",
            &from("https://evil.example"),
            Some(event)
        )
        .status,
        403
    );
    assert_eq!(
        http.send(
            "POST",
            "/v1/events",
            &[("x-baton-site-key", site.as_str())],
            Some(event)
        )
        .status,
        403,
        "no Origin"
    );
    let team = r#"{"lead_id":"visitor-1","ts":"2026-06-30T09:00:00Z","type":"call","channel":"phone","team":"sales"}"#;
    assert_eq!(
        http.send(
            "POST",
            "/v1/events",
            &from("https://www.acme.example"),
            Some(team)
        )
        .status,
        403
    );
    for path in ["/v1/stages", "/v1/deals", "/v1/leads"] {
        assert_eq!(
            http.send("POST", path, &from("https://www.acme.example"), Some(event))
                .status,
            403,
            "{path}"
        );
    }
    assert_eq!(
        http.send(
            "GET",
            "/v1/leads/V1",
            &from("https://www.acme.example"),
            None
        )
        .status,
        403
    );
    let preflight = http.send(
        "OPTIONS",
        "/v1/events",
        &[
            ("origin", "https://www.acme.example"),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert_eq!(
        (preflight.status, preflight.allow_origin.as_deref()),
        (204, Some("https://www.acme.example"))
    );
    // Rate limits: the burst, then 429 with Retry-After.
    let mut limited = None;
    for _ in 0..200 {
        let a = http.send(
            "POST",
            "/v1/events",
            &from("https://www.acme.example"),
            Some(event),
        );
        if a.status == 429 {
            limited = Some(a);
            break;
        }
    }
    let limited = limited.expect("rate limited within 200 requests");
    assert!(limited.retry_after.is_some());
    // Bounded bodies and batches, with the limit in the message.
    let big = format!("[{}]", vec![event; 1001].join(","));
    let too_many = http.post("/v1/events", &ingest, &big);
    assert_eq!(too_many.status, 413);
    assert!(
        too_many.json()["message"]
            .as_str()
            .expect("m")
            .contains("at most 1000 rows")
    );
    let too_big = oversized_post(&server.base, &ingest, 3 << 20);
    assert!(too_big.starts_with("HTTP/1.1 413"), "{too_big}");
    assert!(too_big.contains("2 MiB"), "{too_big}");
    let malformed = http.post("/v1/events", &ingest, "[{\"lead_id\": ");
    assert_eq!(
        (malformed.status, malformed.json()["error"].as_str()),
        (400, Some("malformed_body"))
    );
    // The service still serves.
    assert_eq!(http.get("/v1/leads/L0000001", &read).status, 200);
    let metrics = http.get("/metrics", &read).body;
    assert!(
        metrics.contains("baton_rows_total{kind=\"events\",outcome=\"rejected\"}")
            || metrics.contains("baton_rows_total{kind=\"events\",outcome=\"held\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("baton_requests_total{route=\"/v1/events\",status=\"403\"}"));
    let api: serde_json::Value = http.get("/openapi.json", &read).json();
    assert_eq!(api["openapi"], "3.1.0");
    assert!(api["components"]["schemas"]["LeadCard"]["properties"]["sla"].is_object());
    assert!(api["paths"]["/v1/leads/{id}"]["get"].is_object());
    let hubspot = &api["paths"]["/v1/connectors/hubspot"]["post"];
    assert!(hubspot["security"].is_null(), "signed, not a bearer token");
    assert!(
        api["components"]["schemas"]["ConnectorAnswer"]["properties"]["duplicates"].is_object()
    );
    let program = &api["paths"]["/v1/widget/program"]["get"];
    assert_eq!(program["x-baton-scope"], "site");
    assert!(program["responses"]["200"]["content"]["application/octet-stream"].is_object());
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_row_and_duplicates_none() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let ingest = token(ws.path(), None, "ingest", &[]);
    let mut server = Server::start(ws.path(), None);
    let base = server.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (base, ingest, stop, acked) = (base.clone(), ingest.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(std::time::Duration::from_secs(10))).build().into();
                let mut batch_no = 0;
                while !stop.load(Ordering::SeqCst) && batch_no < 400 {
                    let ids: Vec<String> = (0..50).map(|i| format!("k{w}-{batch_no}-{i}")).collect();
                    let rows: Vec<String> = ids
                        .iter()
                        .map(|id| format!(r#"{{"lead_id":"L0000001","ts":"2026-06-30T09:00:00Z","type":"page_view","channel":"web","event_id":"{id}"}}"#))
                        .collect();
                    let body = format!("[{}]", rows.join(","));
                    let result = agent.post(format!("{base}/v1/events")).header("authorization", &format!("Bearer {ingest}")).send(body);
                    match result {
                        Ok(mut r) if r.status() == 200 => {
                            let _ = r.body_mut().read_to_string();
                            acked.lock().expect("lock").extend(ids);
                        }
                        _ => break,
                    }
                    batch_no += 1;
                }
            })
        })
        .collect();
    support::eventually("some acknowledged rows", || {
        acked.lock().expect("lock").len() >= 2_000
    });
    server.kill();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.join();
    }
    let acked = acked.lock().expect("lock").clone();
    // Count the store's rows directly.
    let conn = rusqlite_count(&ws.path().join("baton.db"));
    let stored: std::collections::HashSet<String> = conn.iter().cloned().collect();
    assert_eq!(stored.len(), conn.len(), "no key twice");
    for id in &acked {
        assert!(stored.contains(id), "acknowledged {id} lost");
    }
    // And it starts again on the same store, seeding nothing twice.
    let read = token(ws.path(), None, "read", &[]);
    let again = Server::start(ws.path(), None);
    let status = Client::new(&again.base).get("/v1/status", &read).json();
    assert_eq!(
        status["rows"]["events"].as_u64(),
        Some(24_355 + stored.len() as u64),
        "{status}"
    );
}

/// Posts `bytes` of body on a raw connection and reads the answer, whether or not the server
/// read the whole body first (it answers 413 at the limit and may close before the rest).
fn oversized_post(base: &str, token: &str, bytes: usize) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {bytes}\r\n\r\n"
    );
    let mut writer = stream.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let chunk = vec![b'x'; 64 << 10];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            if writer.write_all(&chunk[..n]).is_err() {
                break;
            }
            left -= n;
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n")
            && String::from_utf8_lossy(&answer).contains("}")
        {
            break;
        }
    }
    let _ = sender.join();
    String::from_utf8_lossy(&answer).to_string()
}

fn rusqlite_count(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT key FROM rows WHERE kind = 'events' AND key LIKE 'k%-%-%'")
        .expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn a_draft_is_checked_as_core_checks_it_against_the_workspace() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let read = token(ws.path(), None, "read", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let text = "Acme cuts onboarding time by 40% and integrates with your CRM in a day.";
    let body = serde_json::json!({ "text": text, "audience": "sales" }).to_string();
    let served = http.post("/v1/messages/check", &read, &body);
    assert_eq!(served.status, 200, "{}", served.body);
    let folder = baton::workspace_dir::load_workspace(ws.path(), true).expect("acme");
    let expected = baton_core::live::check_message(&folder, text, "sales").expect("check");
    let expected: serde_json::Value = serde_json::to_value(&expected).expect("json");
    assert_eq!(served.json(), expected);
    let bad = http.post("/v1/messages/check", &read, "{\"txt\": 1}");
    assert_eq!(bad.status, 400, "{}", bad.body);
    // The findings `baton check` and the browser's checkMessage give for the shared fixture.
    let fixture = repo().join("tests/fixtures/messaging/check");
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture.join("expected.json")).expect("expected.json"),
    )
    .expect("json");
    let draft = std::fs::read_to_string(fixture.join("draft.txt")).expect("draft.txt");
    let body = serde_json::json!({ "text": draft, "audience": want["audience"] }).to_string();
    let served = http.post("/v1/messages/check", &read, &body).json();
    let got = served["findings"].as_array().expect("findings");
    let want = want["findings"].as_array().expect("findings");
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(want) {
        for key in ["rule", "severity", "message", "span"] {
            assert_eq!(g[key], w[key], "{key} of {g:#}");
        }
    }
}

#[test]
fn an_events_asset_is_checked_against_the_workspaces_assets() {
    // Intake reads only the assets a batch names: a known one passes, an unknown one is
    // warned about as the files would (`unknown_asset`), and the row is still accepted.
    let ws = workspace_copy(&repo().join("examples/acme"));
    let ingest = token(ws.path(), None, "ingest", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let batch = r#"[
        {"lead_id":"L0000001","ts":"2026-05-01T10:00:00Z","type":"email_click","channel":"email","asset_id":"ast_launch_announcement","event_id":"as-1"},
        {"lead_id":"L0000001","ts":"2026-05-01T10:05:00Z","type":"email_click","channel":"email","asset_id":"ast_nope","event_id":"as-2"},
        {"lead_id":"L0000001","ts":"2026-05-01T10:06:00Z","type":"page_view","channel":"web","event_id":"as-3"}
    ]"#;
    let answer = http.post("/v1/events", &ingest, batch).json();
    assert_eq!(answer["accepted"], 3, "{answer}");
    assert!(answer["rows"][0]["warnings"].is_null(), "{answer}");
    assert_eq!(
        answer["rows"][1]["warnings"][0]["reason"], "unknown_asset",
        "{answer}"
    );
    assert_eq!(
        answer["rows"][1]["warnings"][0]["field"], "asset_id",
        "{answer}"
    );
    assert!(answer["rows"][2]["warnings"].is_null(), "{answer}");
    let alone = http.post(
        "/v1/events",
        &ingest,
        r#"{"lead_id":"L0000001","ts":"2026-05-01T10:07:00Z","type":"email_click","channel":"email","asset_id":"ast_nope","event_id":"as-4"}"#,
    );
    assert_eq!(
        alone.json()["rows"][0]["warnings"][0]["reason"],
        "unknown_asset"
    );
}

/// `baton widget build WORKSPACE --out OUT`.
fn widget_build(workspace: &Path, out: &Path) -> std::process::Output {
    let path = |p: &Path| p.to_str().expect("utf8").to_string();
    baton(&["widget", "build", &path(workspace), "--out", &path(out)])
}

#[test]
fn the_widget_program_is_served_to_the_site_key_as_baton_widget_build_writes_it() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let site = token(ws.path(), None, "site", &["https://www.acme.example"]);
    let read = token(ws.path(), None, "read", &[]);
    let ingest = token(ws.path(), None, "ingest", &[]);
    let built = tempfile::tempdir().expect("tmp");
    let out = widget_build(ws.path(), built.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("7 rules")
            && stdout.contains("attributes read: employees, industry, persona"),
        "{stdout}"
    );
    let file = std::fs::read(built.path().join("program.bin")).expect("program.bin");
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let origin = "https://www.acme.example";
    let from_site = [("x-baton-site-key", site.as_str()), ("origin", origin)];
    let got = http.send("GET", "/v1/widget/program", &from_site, None);
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.bytes, file, "the service's program is the CLI's");
    assert_eq!(got.allow_origin.as_deref(), Some(origin));
    let program = baton_core::program::Program::from_bytes(&got.bytes).expect("a program");
    assert_eq!(program.scoring.rules.len(), 7);
    assert_eq!(program.scoring.mql_threshold, 50.0);
    assert_eq!(program.qualification.sets.len(), 3);
    // The page keeps what it has: the same ETag is answered 304 with no body.
    let etag = got.etag.expect("an ETag");
    let mut again = from_site.to_vec();
    again.push(("if-none-match", etag.as_str()));
    let cached = http.send("GET", "/v1/widget/program", &again, None);
    assert_eq!((cached.status, cached.bytes.len()), (304, 0));
    // The preflight of a page's GET with its site-key header allows it.
    let pre = http.send(
        "OPTIONS",
        "/v1/widget/program",
        &[("origin", origin), ("access-control-request-method", "GET")],
        None,
    );
    assert_eq!(
        (pre.status, pre.allow_origin.as_deref()),
        (204, Some(origin))
    );
    // Ingest tokens may fetch it (a build step); a read token, another origin or none may not.
    assert_eq!(http.get("/v1/widget/program", &ingest).status, 200);
    assert_eq!(http.get("/v1/widget/program", &read).status, 403);
    let evil = [
        ("x-baton-site-key", site.as_str()),
        ("origin", "https://evil.example"),
    ];
    assert_eq!(
        http.send("GET", "/v1/widget/program", &evil, None).status,
        403
    );
    assert_eq!(
        http.send("GET", "/v1/widget/program", &[], None).status,
        401
    );
}

#[test]
fn rules_the_widget_cannot_run_are_refused_by_name_by_the_cli_and_the_service() {
    let ws = workspace_copy(&repo().join("examples/acme"));
    let config = ws.path().join("baton.toml");
    let text = std::fs::read_to_string(&config).expect("baton.toml");
    let rule = "\n[[scoring.rules]]\nname = \"Pricing pages\"\nkind = \"engagement\"\npoints = 5\nwhen = { fact = \"type\", operator = \"matches\", value = \"^pricing\" }\n";
    std::fs::write(&config, format!("{text}{rule}")).expect("write");
    let built = tempfile::tempdir().expect("tmp");
    let out = widget_build(ws.path(), built.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("baton.toml: [scoring] rule \"Pricing pages\" cannot run in the site widget")
            && stderr.contains("no regular-expression engine"),
        "{stderr}"
    );
    assert!(
        !built.path().join("program.bin").exists(),
        "nothing written"
    );
    let ingest = token(ws.path(), None, "ingest", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let got = http.get("/v1/widget/program", &ingest);
    assert_eq!(got.status, 409, "{}", got.body);
    assert_eq!(got.json()["error"], "widget_program_refused");
    assert!(got.body.contains("Pricing pages"), "{}", got.body);
}
