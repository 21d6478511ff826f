//! The service on a real PostgreSQL server (Debian's package, started here in a scratch
//! folder): the same store behaviour as SQLite — seeding once, cards and report equal to the
//! folder's, idempotent intake, erasure, and no acknowledged row lost to SIGKILL.

mod support;

use support::{Client, Postgres, Server, baton, repo, token, workspace_copy};

#[test]
fn the_store_on_postgres_answers_as_on_sqlite() {
    let pg = Postgres::start();
    let ws = workspace_copy(&repo().join("examples/acme"));
    let db = Some(pg.url.as_str());
    let read = token(ws.path(), db, "read", &[]);
    let ingest = token(ws.path(), db, "ingest", &[]);
    let admin = token(ws.path(), db, "admin", &[]);
    let mut server = Server::start(ws.path(), db);
    let http = Client::new(&server.base);
    assert!(
        !ws.path().join("baton.db").exists(),
        "no SQLite file when the store is PostgreSQL"
    );
    let dir = ws.path().to_str().expect("utf8");
    let as_of = "2026-06-30T17:00:00Z";
    for id in ["L0000001", "L0000500", "L0002999"] {
        let served = http.get(&format!("/v1/leads/{id}?as_of={as_of}"), &read);
        assert_eq!(served.status, 200, "{}", served.body);
        let cli = baton(&["card", dir, id, "--as-of", as_of]);
        let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("json");
        assert_eq!(served.json(), cli, "lead {id}");
    }
    let out = tempfile::tempdir().expect("tmp");
    let o = baton(&[
        "analyze",
        dir,
        "--out",
        out.path().to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(o.status.success());
    let written = std::fs::read_to_string(out.path().join("report.json")).expect("json");
    assert_eq!(http.get("/v1/report", &read).body, written);
    // Intake: row by row, retries once.
    let batch = r#"[
        {"lead_id":"L0000001","ts":"2026-06-30T09:00:00Z","type":"pricing_page_view","channel":"web","event_id":"pg-1"},
        {"lead_id":"L0000001","ts":"nope","type":"page_view","channel":"web","event_id":"pg-2"}
    ]"#;
    let first = http.post("/v1/events", &ingest, batch).json();
    assert_eq!(
        (first["accepted"].as_u64(), first["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{first}"
    );
    assert_eq!(first["rows"][1]["problems"][0]["reason"], "bad_timestamp");
    let again = http.post("/v1/events", &ingest, batch).json();
    assert_eq!(again["duplicates"], 1);
    let lead = r#"{"lead_id":"L0000001","created_at":"2026-03-20T17:48:36Z","employees":"5000","country":"NL"}"#;
    assert_eq!(http.post("/v1/leads", &ingest, lead).json()["updated"], 1);
    // `baton analyze --database` reads the PostgreSQL store.
    let out2 = tempfile::tempdir().expect("tmp");
    let o = baton(&[
        "analyze",
        dir,
        "--database",
        &pg.url,
        "--out",
        out2.path().to_str().expect("utf8"),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let from_store = std::fs::read_to_string(out2.path().join("report.json")).expect("json");
    assert_eq!(http.get("/v1/report", &read).body, from_store);
    // Restart: nothing seeded twice.
    server.stop();
    let again = Server::start(ws.path(), db);
    let http = Client::new(&again.base);
    let status = http.get("/v1/status", &read).json();
    assert_eq!(status["store"], "postgres");
    assert_eq!(status["rows"]["events"].as_u64(), Some(24_356), "{status}");
    assert_eq!(status["rows"]["leads"].as_u64(), Some(3_000));
    let erased = http.send(
        "DELETE",
        "/v1/leads/L0000001",
        &[("authorization", &format!("Bearer {admin}"))],
        None,
    );
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(http.get("/v1/leads/L0000001", &read).status, 404);
}

#[test]
fn sigkill_on_postgres_loses_no_acknowledged_row() {
    let pg = Postgres::start();
    let url = pg.database("killed");
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(
        ws.path().join("leads.csv"),
        "lead_id,created_at\nL1,2026-01-05T09:00:00Z\n",
    )
    .expect("write");
    let ingest = token(ws.path(), Some(&url), "ingest", &[]);
    let mut server = Server::start(ws.path(), Some(&url));
    let http = Client::new(&server.base);
    let mut acked = Vec::new();
    for b in 0..40 {
        let ids: Vec<String> = (0..50).map(|i| format!("e{b}-{i}")).collect();
        let rows: Vec<String> = ids
            .iter()
            .map(|id| format!(r#"{{"lead_id":"L1","ts":"2026-01-06T09:00:00Z","type":"page_view","channel":"web","event_id":"{id}"}}"#))
            .collect();
        let a = http.post("/v1/events", &ingest, &format!("[{}]", rows.join(",")));
        assert_eq!(a.status, 200, "{}", a.body);
        acked.extend(ids);
    }
    server.kill();
    let read = token(ws.path(), Some(&url), "read", &[]);
    let again = Server::start(ws.path(), Some(&url));
    let status = Client::new(&again.base).get("/v1/status", &read).json();
    assert_eq!(
        status["rows"]["events"].as_u64(),
        Some(acked.len() as u64),
        "{status}"
    );
}
