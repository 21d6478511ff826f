//! `baton serve` under faults, over HTTP on 127.0.0.1: a plugin that loops or traps on one lead's
//! card, more requests in flight than the service takes (and clients that leave mid-body), and
//! the store locked by another process. Each is answered clearly and the service keeps serving.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use support::{Client, Server, baton, token};

const LEADS: &str = "lead_id,created_at,employees\nA1,2026-01-05T10:00:00Z,50\nA2,2026-01-06T10:00:00Z,5000\nBAD3,2026-01-07T10:00:00Z,700\n";
const AS_OF: &str = "2026-02-01T12:00:00Z";

/// A plugin answering `{"qualified":true}` unless its input holds "BAD", when `hostile` runs.
fn plugin(hostile: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 200) "{{\"qualified\":true}}")
  (func (export "baton_plugin_abi_v1"))
  (func $read_all (result i32)
    (local $n i32)
    (block $done
      (loop $more
        (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $n)))
        (i32.store (i32.const 4) (i32.sub (i32.const 120000) (local.get $n)))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $n (i32.add (local.get $n) (i32.load (i32.const 8))))
        (br $more)))
    (local.get $n))
  (func $has_bad (param $n i32) (result i32)
    (local $i i32)
    (block $no
      (loop $scan
        (br_if $no (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n)))
        (if (i32.and
              (i32.and
                (i32.eq (i32.load8_u offset=1024 (local.get $i)) (i32.const 66))
                (i32.eq (i32.load8_u offset=1025 (local.get $i)) (i32.const 65)))
              (i32.eq (i32.load8_u offset=1026 (local.get $i)) (i32.const 68)))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const 0))
  (func (export "_start")
    (if (call $has_bad (call $read_all))
      (then {hostile})
      (else
        (i32.store (i32.const 0) (i32.const 200))
        (i32.store (i32.const 4) (i32.const 18))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))))"#
    )
}

/// Three leads, a plugin that loops forever on BAD3 (`on_error = "fail_closed"`: not qualified) and
/// one that traps on it (`on_error = "fail_open"`: its criterion passes).
fn hostile_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path();
    std::fs::write(p.join("leads.csv"), LEADS).expect("leads");
    std::fs::write(
        p.join("looper.wat"),
        plugin("(loop $forever (br $forever))"),
    )
    .expect("wat");
    std::fs::write(p.join("trapper.wat"), plugin("(unreachable)")).expect("wat");
    std::fs::write(
        p.join("baton.toml"),
        r#"[[plugins]]
name = "looper"
path = "looper.wat"
on_error = "fail_closed"
# far past what its fuel lasts, so fuel (not the clock) stops it even on a loaded machine
timeout_ms = 10000

[[plugins]]
name = "trapper"
path = "trapper.wat"
on_error = "fail_open"

[[qualification.sets]]
name = "Plugins"
policy = "all"

[[qualification.sets.criteria]]
name = "Looper says yes"
plugin = "looper"

[[qualification.sets.criteria]]
name = "Trapper says yes"
plugin = "trapper"
"#,
    )
    .expect("toml");
    dir
}

fn failure<'a>(card: &'a serde_json::Value, plugin: &str) -> &'a serde_json::Value {
    let calls = card["plugins"].as_array().expect("plugins");
    &calls
        .iter()
        .find(|c| c["plugin"] == plugin)
        .unwrap_or_else(|| panic!("no call of {plugin}: {card}"))["failure"]
}

#[test]
fn a_plugin_that_loops_or_traps_fails_that_card_by_its_policy_and_the_service_keeps_serving() {
    let ws = hostile_workspace();
    let read = token(ws.path(), None, "read", &[]);
    let server = Server::start(ws.path(), None);
    let http = Client::new(&server.base);
    let dir = ws.path().to_str().expect("utf8");
    for round in 0..3 {
        for id in ["A1", "BAD3", "A2"] {
            let served = http.get(&format!("/v1/leads/{id}?as_of={AS_OF}"), &read);
            assert_eq!(served.status, 200, "round {round}, {id}: {}", served.body);
            let card = served.json();
            if id == "BAD3" {
                assert_eq!(failure(&card, "looper"), "fuel_exhausted", "{card}");
                assert_eq!(failure(&card, "trapper"), "trap", "{card}");
                // looper fails closed, so the set is not met; trapper's criterion passes.
                assert_eq!(card["qualified"], false, "{card}");
            } else {
                assert!(failure(&card, "looper").is_null(), "{card}");
                assert!(failure(&card, "trapper").is_null(), "{card}");
                assert_eq!(card["qualified"], true, "{card}");
            }
            if round == 0 {
                let cli = baton(&["card", dir, id, "--as-of", AS_OF]);
                assert!(cli.status.success());
                let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("json");
                assert_eq!(card, cli, "lead {id}: the service and `baton card` agree");
            }
        }
    }
    // Three BAD3 cards: three failures of each kind, by plugin.
    let metrics = http.get("/metrics", &read).body;
    for line in [
        "baton_plugin_failures_total{plugin=\"looper\",kind=\"fuel_exhausted\"} 3",
        "baton_plugin_failures_total{plugin=\"trapper\",kind=\"trap\"} 3",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
}

/// The three leads alone (no plugins) served, with an ingest and a read token.
struct Plain {
    ws: tempfile::TempDir,
    ingest: String,
    read: String,
    server: Server,
    http: Client,
}

impl Plain {
    fn start() -> Plain {
        let ws = tempfile::tempdir().expect("tmp");
        std::fs::write(ws.path().join("leads.csv"), LEADS).expect("leads");
        let ingest = token(ws.path(), None, "ingest", &[]);
        let read = token(ws.path(), None, "read", &[]);
        let server = Server::start(ws.path(), None);
        let http = Client::new(&server.base);
        Plain {
            ws,
            ingest,
            read,
            server,
            http,
        }
    }
}

/// Opens a request to `/v1/events` that announces a body and sends only part of it.
fn half_request(base: &str, token: &str) -> TcpStream {
    let addr = base.strip_prefix("http://").expect("http");
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{{\"lead_id\":"
    );
    s.write_all(head.as_bytes()).expect("write");
    s
}

#[test]
fn more_requests_in_flight_than_it_takes_are_shed_with_retry_after_and_clients_leaving_mid_body_cost_nothing()
 {
    let Plain {
        ws: _ws,
        ingest,
        read,
        server,
        http,
    } = Plain::start();
    // Requests held mid-body fill every slot: 16 more than the 256, since one arriving while
    // others take their slots may be shed at once (the semaphore is fair: a request that finds
    // another waiting is shed even with a slot free) and then holds none…
    let held: Vec<TcpStream> = (0..256 + 16)
        .map(|_| half_request(&server.base, &ingest))
        .collect();
    support::eventually("the next request is shed", || {
        http.get("/v1/status", &read).status == 503
    });
    let shed = http.get("/v1/status", &read);
    assert_eq!(shed.status, 503, "{}", shed.body);
    assert_eq!(shed.json()["error"], "overloaded");
    assert_eq!(shed.retry_after.as_deref(), Some("1"));
    assert!(
        shed.body.contains("256 requests in flight"),
        "{}",
        shed.body
    );
    // …and the clients leave mid-body: their slots come back, nothing was stored.
    drop(held);
    support::eventually("requests are served again", || {
        http.get("/v1/status", &read).status == 200
    });
    let status = http.get("/v1/status", &read).json();
    assert_eq!(
        status["rows"]["events"],
        serde_json::Value::Null,
        "{status}"
    );
    let ok = http.post(
        "/v1/events",
        &ingest,
        r#"{"lead_id":"A1","ts":"2026-01-10T10:00:00Z","type":"page_view","channel":"web","event_id":"e1"}"#,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["accepted"], 1);
    assert_eq!(http.get("/v1/status", &read).json()["rows"]["events"], 1);
    // A client that closes after part of its body gets nothing stored either.
    let mut s = half_request(&server.base, &ingest);
    s.shutdown(std::net::Shutdown::Write).expect("shutdown");
    let mut answer = String::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = s.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    assert_eq!(http.get("/v1/status", &read).json()["rows"]["events"], 1);
}

#[test]
fn the_store_locked_by_another_process_answers_503_store_busy_and_recovers() {
    let Plain {
        ws,
        ingest,
        read,
        server: _server,
        http,
    } = Plain::start();
    let event = |id: &str| {
        format!(
            r#"{{"lead_id":"A1","ts":"2026-01-10T10:00:00Z","type":"page_view","channel":"web","event_id":"{id}"}}"#
        )
    };
    let locker = lock(&ws.path().join("baton.db"));
    let busy = http.post("/v1/events", &ingest, &event("e1"));
    assert_eq!(busy.status, 503, "{}", busy.body);
    assert_eq!(busy.json()["error"], "store_busy");
    assert_eq!(busy.retry_after.as_deref(), Some("1"));
    // Reads go on while the write lock is held elsewhere.
    let card = http.get(&format!("/v1/leads/A1?as_of={AS_OF}"), &read);
    assert_eq!(card.status, 200, "{}", card.body);
    drop(locker);
    let retried = http.post("/v1/events", &ingest, &event("e1"));
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(
        retried.json()["accepted"],
        1,
        "the refused row was not stored"
    );
    let metrics = http.get("/metrics", &read).body;
    assert!(
        metrics.contains("baton_store_errors_total{kind=\"busy\"} 1"),
        "{metrics}"
    );
}

/// Another process's write lock on the store (an exclusive transaction held open).
fn lock(db: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).expect("open");
    c.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    c
}

#[test]
fn a_full_store_answers_507_store_full_reads_go_on_and_nothing_accepted_is_lost() {
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(ws.path().join("leads.csv"), LEADS).expect("leads");
    let db = ws.path().join("baton.db");
    let url = db.to_str().expect("utf8");
    let ingest = token(ws.path(), Some(url), "ingest", &[]);
    let read = token(ws.path(), Some(url), "read", &[]);
    // A cap 1 MiB above what the store holds now (`FILE?max_mb=N`, SQLite's max_page_count).
    let held = std::fs::metadata(&db).expect("db").len()
        + std::fs::metadata(ws.path().join("baton.db-wal")).map_or(0, |m| m.len());
    let cap = held / (1024 * 1024) + 2;
    let mut server = Server::start(ws.path(), Some(&format!("{url}?max_mb={cap}")));
    let http = Client::new(&server.base);
    let batch = |b: usize| {
        let rows: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    r#"{{"lead_id":"A1","ts":"2026-01-10T10:00:00Z","type":"page_view","channel":"web","event_id":"b{b}-e{i}-{pad}"}}"#,
                    pad = "x".repeat(100)
                )
            })
            .collect();
        format!("[{}]", rows.join(","))
    };
    let (mut accepted, mut full) = (0u64, None);
    for b in 0..200 {
        let answer = http.post("/v1/events", &ingest, &batch(b));
        match answer.status {
            200 => accepted += answer.json()["accepted"].as_u64().expect("accepted"),
            507 => {
                full = Some(answer);
                break;
            }
            other => panic!("batch {b}: {other} {}", answer.body),
        }
    }
    let full = full.expect("the store fills up within 200 batches of 500 events");
    assert_eq!(full.json()["error"], "store_full", "{}", full.body);
    assert!(accepted > 0, "some batches fit before the cap");
    // Reads go on.
    let card = http.get(&format!("/v1/leads/A1?as_of={AS_OF}"), &read);
    assert_eq!(card.status, 200, "{}", card.body);
    assert_eq!(http.get("/healthz", &read).status, 200);
    let metrics = http.get("/metrics", &read).body;
    assert!(
        metrics.contains("baton_store_errors_total{kind=\"full\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        http.get("/v1/status", &read).json()["rows"]["events"],
        accepted,
        "every accepted row is stored and none of the refused batch"
    );
    server.stop();
    // A bad option is refused at start, naming it.
    let out = baton(&[
        "serve",
        ws.path().to_str().expect("utf8"),
        "--listen",
        "127.0.0.1:0",
        "--database",
        &format!("{url}?max_size=3"),
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown option \"max_size=3\""),
        "{out:?}"
    );
}

#[test]
fn a_client_that_stops_sending_its_body_gets_408_after_30_s_and_frees_its_slot() {
    let Plain {
        ws: _ws,
        ingest,
        read,
        server,
        http,
    } = Plain::start();
    let mut slow = half_request(&server.base, &ingest);
    slow.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let began = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The server answers and closes; read until the end of its answer.
    while let Ok(n) = slow.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&answer).contains("\"body_timeout\"") {
            break;
        }
    }
    let waited = began.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"body_timeout\""), "{answer}");
    assert!(
        waited >= Duration::from_secs(29) && waited < Duration::from_secs(59),
        "answered after {waited:?}"
    );
    // Nothing was stored, and the service goes on.
    let status = http.get("/v1/status", &read).json();
    assert_eq!(
        status["rows"]["events"].as_u64().unwrap_or(0),
        0,
        "{status}"
    );
}
