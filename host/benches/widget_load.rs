//! A bounded loopback load generator for the site widget's side of `baton serve`: visitors that
//! each post their touches (one batch of 3, then the same batch again, as a beacon and the next
//! page's outbox would), identify with a new email, and ask for the service's decision until the
//! automation has routed them. Traffic goes to 127.0.0.1 only and stops by itself.
//!
//! The service's site-key rate limits (10 requests/s per client address) would measure the limit,
//! not the service, from one loopback client: the generator uses an ingest token, which the same
//! endpoints take and which is not rate-limited.
//!
//! `cargo bench -p baton --bench widget_load` (env: BATON_WIDGET_VISITORS, default 2,000;
//! BATON_WIDGET_CLIENTS, default 4).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{agent, baton, env, pct, start};

/// One request; its latency in µs, or why it failed.
fn call(
    a: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    body: Option<String>,
) -> Result<(u64, String), String> {
    let t0 = Instant::now();
    let auth = format!("Bearer {token}");
    let response = match body {
        Some(b) => a.post(url).header("authorization", &auth).send(b),
        None => a.get(url).header("authorization", &auth).call(),
    };
    let mut r = response.map_err(|e| format!("{method} {url}: {e}"))?;
    let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("{method} {url}: {} {text}", r.status()));
    }
    Ok((t0.elapsed().as_micros() as u64, text))
}

fn touches(v: &str) -> String {
    let kinds = ["page_view", "pricing_page_view", "webinar_register"];
    let rows: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| format!(r#"{{"event_id":"{v}-{i}","lead_id":"{v}","ts":"2026-12-07T09:5{i}:00Z","type":"{k}","channel":"web"}}"#))
        .collect();
    format!("[{}]", rows.join(","))
}

fn main() {
    let visitors = env("BATON_WIDGET_VISITORS", 2_000) as usize;
    let clients = env("BATON_WIDGET_CLIENTS", 4) as usize;
    let ws = tempfile::tempdir().expect("tmp");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::copy(
        repo.join("web-demo/widget/baton.toml"),
        ws.path().join("baton.toml"),
    )
    .expect("baton.toml");
    std::fs::write(ws.path().join("clock"), "2026-12-07T10:00:00Z").expect("clock");
    let dir = ws.path().to_str().expect("utf8").to_string();
    let ingest = baton(&["serve", "token", "create", &dir, "--scope", "ingest"]);
    let clock = format!("file:{dir}/clock");
    let server = start(ws.path(), &["--clock", &clock], &[]);
    let base = Arc::new(server.base.clone());
    let began = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (base, token) = (base.clone(), ingest.clone());
            std::thread::spawn(move || {
                let a = agent();
                let (mut post, mut ident) = (Vec::new(), Vec::new());
                for n in (c..visitors).step_by(clients) {
                    let v = format!("visitor-load-{n}");
                    for _ in 0..2 {
                        let (us, _) = call(
                            &a,
                            "POST",
                            &format!("{base}/v1/events"),
                            &token,
                            Some(touches(&v)),
                        )
                        .expect("touches");
                        post.push(us);
                    }
                    let body = format!(
                        r#"{{"visitor_id":"{v}","email":"{v}@load.example","employees":500}}"#
                    );
                    let (us, _) = call(
                        &a,
                        "POST",
                        &format!("{base}/v1/identify"),
                        &token,
                        Some(body),
                    )
                    .expect("identify");
                    ident.push(us);
                }
                (post, ident)
            })
        })
        .collect();
    let (mut post, mut ident) = (Vec::new(), Vec::new());
    for h in handles {
        let (p, i) = h.join().expect("client");
        post.extend(p);
        ident.extend(i);
    }
    let sent = began.elapsed().as_secs_f64();
    post.sort_unstable();
    ident.sort_unstable();
    println!(
        "{visitors} visitors, {clients} clients: {:.0} visitors/s (2 touch batches of 3 + identify each, {sent:.1} s)",
        visitors as f64 / sent
    );
    println!(
        "touch batches: p50 {:.2} ms, p99 {:.2} ms",
        pct(&post, 0.5),
        pct(&post, 0.99)
    );
    println!(
        "identify (a new lead each): p50 {:.2} ms, p99 {:.2} ms",
        pct(&ident, 0.5),
        pct(&ident, 0.99)
    );
    // The decision: every visitor (50 points: past the threshold of 40) routed.
    let a = agent();
    let mut polls = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut n = 0;
    while n < visitors {
        let url = format!("{base}/v1/widget/visitors/visitor-load-{n}");
        let (us, text) = call(&a, "GET", &url, &ingest, None).expect("decision");
        polls.push(us);
        if text.contains(r#""talk_to_sales":true"#) {
            n += 1;
        } else {
            assert!(
                Instant::now() < deadline,
                "visitor {n} not routed within 300 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    polls.sort_unstable();
    println!(
        "every visitor routed {:.1} s after the last identify was answered; decision reads p50 {:.2} ms, p99 {:.2} ms",
        began.elapsed().as_secs_f64() - sent,
        pct(&polls, 0.5),
        pct(&polls, 0.99)
    );
}
