//! A bounded loopback load generator for the connectors and the handoff automation: signed
//! HubSpot webhook batches of 100 events, Salesforce Outbound Messages, how long the automation
//! takes to route every new MQL, and how fast the outbox delivers the notices once a test clock
//! jumps past every deadline. Traffic goes to 127.0.0.1 only (the service and a local receiver
//! standing in for Slack, the signed-JSON receiver and the CRMs' APIs); every phase stops by
//! itself.
//!
//! `cargo bench -p baton --bench connectors_load` (env: BATON_LOAD_CONTACTS, default 2,000
//! contacts sent as HubSpot webhooks; BATON_LOAD_SECONDS for the Salesforce phase, default 5).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use support::{agent, baton, cpu_seconds, env, pct, start};

const SECRET: &str = "load-client-secret";
const PUBLIC_URL: &str = "https://baton.example.com/v1/connectors/hubspot";
const ORG: &str = "00D5g000004ABCDEAA";
/// Monday 2026-03-09 09:00 in New York (EDT): the webhooks' and the clock's instant.
const MONDAY: &str = "2026-03-09T13:00:00Z";
/// An hour earlier: the service's first start (what the store holds before it is history).
const BEFORE: &str = "2026-03-09T12:00:00Z";
/// Friday 2026-03-13 21:00 UTC: past every deadline of a Monday MQL (the 10th is a holiday).
const LATER: &str = "2026-03-13T21:00:00Z";

/// The local receiver: answers 200 (204 for Salesforce's API) and counts what it received.
fn receiver() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let counted = count.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
                let counted = counted.clone();
                async move {
                    use axum::response::IntoResponse;
                    counted.fetch_add(1, Ordering::Relaxed);
                    let status = if req.uri().path().starts_with("/services/data/") {
                        axum::http::StatusCode::NO_CONTENT
                    } else {
                        axum::http::StatusCode::OK
                    };
                    let _ = axum::body::to_bytes(req.into_body(), 1 << 20).await;
                    status.into_response()
                }
            });
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = rx.recv().expect("receiver address");
    (format!("http://{addr}"), count)
}

fn ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .expect("timestamp")
        .as_millisecond()
}

/// The 4 events of one new contact: creation, country, size and the MQL stage.
fn contact(n: u64, first_event: u64) -> Vec<Value> {
    let at = ms(MONDAY) - 60_000 + n as i64 % 60_000;
    let id = 1_000 + n;
    let property = |name: &str, value: &str| {
        json!({"subscriptionType": "contact.propertyChange", "objectId": id, "occurredAt": at,
               "propertyName": name, "propertyValue": value})
    };
    let mut events = vec![
        json!({"subscriptionType": "contact.creation", "objectId": id, "occurredAt": at}),
        property("country", if n.is_multiple_of(3) { "DE" } else { "US" }),
        property("numemployees", "300"),
        property("lifecyclestage", "marketingqualifiedlead"),
    ];
    for (i, e) in events.iter_mut().enumerate() {
        e["eventId"] = json!(first_event + i as u64);
        e["subscriptionId"] = json!(42);
        e["portalId"] = json!(62515);
        e["attemptNumber"] = json!(0);
    }
    events
}

fn post_hubspot(a: &ureq::Agent, base: &str, body: &str) -> bool {
    let stamp = ms(MONDAY).to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("POST{PUBLIC_URL}{body}{stamp}").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    a.post(&format!("{base}/v1/connectors/hubspot"))
        .header("content-type", "application/json")
        .header("x-hubspot-signature-v3", &sig)
        .header("x-hubspot-request-timestamp", &stamp)
        .send(body)
        .is_ok_and(|r| r.status() == 200)
}

fn post_salesforce(a: &ureq::Agent, base: &str, id: u64) -> bool {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>{ORG}</OrganizationId><ActionId>04k5g000000ActnAAA</ActionId>
  <Notification><Id>04l5g{id:013}</Id>
   <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
    <sf:Id>00Q5g{id:013}</sf:Id><sf:CreatedDate>2026-03-09T12:00:00.000Z</sf:CreatedDate>
    <sf:LastModifiedDate>2026-03-09T12:00:00.000Z</sf:LastModifiedDate>
    <sf:Company>Load {id}</sf:Company><sf:NumberOfEmployees>40</sf:NumberOfEmployees>
    <sf:Country>FR</sf:Country><sf:Status>Open - Not Contacted</sf:Status>
    <sf:IsConverted>false</sf:IsConverted>
   </sObject></Notification>
 </notifications></soapenv:Body></soapenv:Envelope>"#
    );
    a.post(&format!("{base}/v1/connectors/salesforce"))
        .header("content-type", "text/xml; charset=utf-8")
        .send(body)
        .is_ok_and(|r| r.status() == 200)
}

fn automation(base: &str, read: &str) -> Value {
    let mut r = agent()
        .get(&format!("{base}/v1/automation"))
        .header("authorization", &format!("Bearer {read}"))
        .call()
        .expect("automation");
    serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("json")
}

/// Polls `GET /v1/automation` until `done` holds (at most 10 minutes); the seconds it took.
fn until(base: &str, read: &str, done: impl Fn(&Value) -> bool) -> (f64, Value) {
    let began = Instant::now();
    loop {
        let a = automation(base, read);
        if done(&a) || began.elapsed() > Duration::from_secs(600) {
            return (began.elapsed().as_secs_f64(), a);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The share of a core the process uses over 5 s, percent.
fn idle_cpu(pid: u32) -> f64 {
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(5));
    (cpu_seconds(pid) - before) / 5.0 * 100.0
}

fn count(a: &Value, kind: &str, state: &str) -> u64 {
    a["tasks"][kind][state].as_u64().unwrap_or(0)
}

/// Runs 4 clients, each calling `call(agent, n)` with the next `n` until it answers `None`;
/// the latencies in µs (sorted), the seconds it took and how many calls failed.
fn clients(
    call: impl Fn(&ureq::Agent, u64) -> Option<bool> + Send + Sync + 'static,
) -> (Vec<u64>, f64, u64) {
    let call = Arc::new(call);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (call, next, failed) = (call.clone(), next.clone(), failed.clone());
            std::thread::spawn(move || {
                let a = agent();
                let mut lat = Vec::new();
                loop {
                    let t0 = Instant::now();
                    match call(&a, next.fetch_add(1, Ordering::Relaxed)) {
                        None => return lat,
                        Some(ok) => failed.fetch_add(u64::from(!ok), Ordering::Relaxed),
                    };
                    lat.push(t0.elapsed().as_micros() as u64);
                }
            })
        })
        .collect();
    let mut lat: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("client"))
        .collect();
    lat.sort_unstable();
    let secs = began.elapsed().as_secs_f64();
    (lat, secs, failed.load(Ordering::Relaxed))
}

/// Sends every contact in signed batches of 100 events (25 contacts) from 4 clients.
fn hubspot_phase(base: &str, contacts: u64) -> (Vec<u64>, f64, u64) {
    let per_batch = 25;
    let base = base.to_string();
    clients(move |a, b| {
        let first = b * per_batch;
        (first < contacts).then(|| {
            let events: Vec<Value> = (first..(first + per_batch).min(contacts))
                .flat_map(|n| contact(n, 1 + n * 4))
                .collect();
            post_hubspot(a, &base, &Value::Array(events).to_string())
        })
    })
}

fn main() {
    let contacts = env("BATON_LOAD_CONTACTS", 2_000);
    let seconds = env("BATON_LOAD_SECONDS", 5);
    let (receiver, received) = receiver();
    let ws = tempfile::tempdir().expect("tmp");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/connectors/baton.toml");
    let toml = std::fs::read_to_string(fixture)
        .expect("fixture")
        .replace("{RECEIVER}", &receiver);
    std::fs::write(ws.path().join("baton.toml"), toml).expect("baton.toml");
    let clock = ws.path().join("clock");
    std::fs::write(&clock, BEFORE).expect("clock");
    let dir = ws.path().to_str().expect("utf8");
    let read = baton(&["serve", "token", "create", dir, "--scope", "read"]);
    let clock_arg = format!("file:{}", clock.display());
    let server = start(
        ws.path(),
        &["--clock", &clock_arg],
        &[
            ("REPLAY_HUBSPOT_SECRET", SECRET),
            ("REPLAY_HUBSPOT_TOKEN", "pat-load"),
            ("REPLAY_SALESFORCE_TOKEN", "00D!load"),
            ("REPLAY_HOOKS_SECRET", "whsec_load"),
        ],
    );
    let base = server.base.clone();
    std::fs::write(&clock, MONDAY).expect("clock");
    let pid = server.child.id();
    println!(
        "idle service, empty store (automation passes every 50 ms on the file clock): {:.0}% of a core",
        idle_cpu(pid)
    );

    let (lat, secs, failed) = hubspot_phase(&base, contacts);
    println!(
        "HubSpot webhooks, signed batches of 100 events (4 clients, {contacts} new contacts): {:.0} events/s, p50 {:.2} ms, p99 {:.2} ms per batch, {failed} failed",
        (contacts * 4) as f64 / secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    let (more, a) = until(&base, &read, |a| count(a, "handoff", "open") >= contacts);
    println!(
        "every MQL routed {more:.2} s after the last batch was answered ({:.0} handoffs/s from the first batch; {} open)",
        contacts as f64 / (secs + more),
        count(&a, "handoff", "open")
    );
    let (wait, a) = until(&base, &read, |a| count(a, "outbox", "pending") == 0);
    let delivered = count(&a, "outbox", "delivered");
    println!(
        "handoff notices and first write-backs delivered {wait:.2} s later ({delivered} messages)"
    );

    println!(
        "idle service, {contacts} open handoffs with pending timers: {:.0}% of a core",
        idle_cpu(pid)
    );

    std::fs::write(&clock, LATER).expect("clock");
    let began = Instant::now();
    let (_, a) = until(&base, &read, |a| {
        count(a, "timer", "pending") == 0 && count(a, "outbox", "pending") == 0
    });
    let secs = began.elapsed().as_secs_f64();
    let notices = count(&a, "outbox", "delivered") - delivered;
    println!(
        "clock moved past every deadline: {} timers fired and {notices} notices delivered in {secs:.2} s ({:.0} notices/s: each timer's pass loads its lead and computes its card; the outbox sends a lead's messages in order, leads side by side); the receiver counted {}",
        count(&a, "timer", "done"),
        notices as f64 / secs,
        received.load(Ordering::Relaxed)
    );

    let began = Instant::now();
    let (lat, secs, failed) = clients(move |a, n| {
        (began.elapsed() < Duration::from_secs(seconds)).then(|| post_salesforce(a, &base, n))
    });
    println!(
        "Salesforce Outbound Messages, one Lead each (4 clients): {:.0} messages/s, p50 {:.2} ms, p99 {:.2} ms, {failed} failed",
        lat.len() as f64 / secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
}
