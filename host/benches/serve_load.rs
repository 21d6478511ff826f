//! A bounded loopback load generator for `baton serve`: intake in batches of 100 and one event
//! at a time, lead cards with and without plugins, the report recomputed after a write, and the
//! server's RSS over the run. Traffic goes to 127.0.0.1 only; every phase stops by itself.
//!
//! `cargo bench -p baton --bench serve_load` (env: BATON_LOAD_LEADS, default 122,000 generated
//! leads ≈ 1M events; BATON_LOAD_SECONDS per phase, default 5; BATON_LOAD_SUSTAIN, the mixed
//! run whose RSS is sampled, default 60 s).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{Server, agent, baton, env, pct, rss_mib, start};

/// Runs `threads` clients for `seconds`, each calling `call(thread, n)`; latencies in µs.
fn phase(
    threads: usize,
    seconds: u64,
    call: impl Fn(&ureq::Agent, usize, u64) -> bool + Send + Sync + 'static,
) -> (u64, Vec<u64>, f64) {
    let call = Arc::new(call);
    let failures = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (call, failures) = (call.clone(), failures.clone());
            std::thread::spawn(move || {
                let a = agent();
                let mut lat = Vec::new();
                let mut n = 0;
                while began.elapsed() < Duration::from_secs(seconds) {
                    let t0 = Instant::now();
                    if !call(&a, t, n) {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    lat.push(t0.elapsed().as_micros() as u64);
                    n += 1;
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    all.sort_unstable();
    (
        failures.load(Ordering::Relaxed),
        all,
        began.elapsed().as_secs_f64(),
    )
}

fn ok(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> bool {
    match result {
        Ok(mut r) => r.status() == 200 && r.body_mut().read_to_string().is_ok(),
        Err(_) => false,
    }
}

fn post(a: &ureq::Agent, url: &str, token: &str, body: String) -> bool {
    ok(a.post(url)
        .header("authorization", &format!("Bearer {token}"))
        .send(body))
}

fn get(a: &ureq::Agent, url: &str, token: &str) -> bool {
    ok(a.get(url)
        .header("authorization", &format!("Bearer {token}"))
        .call())
}

fn event(id: &str, lead: &str) -> String {
    format!(
        r#"{{"lead_id":"{lead}","ts":"2026-06-30T09:00:00Z","type":"page_view","channel":"web","event_id":"{id}"}}"#
    )
}

/// Mixed traffic for `seconds` (one client posting batches of 100, two posting single events,
/// one reading cards), the server's RSS sampled every 5 s.
fn sustained(server: &Server, ingest: &str, read: &str, ids: &Arc<Vec<String>>, seconds: u64) {
    if seconds == 0 {
        return;
    }
    let pid = server.child.id();
    let (base, ingest, read, ids) = (
        server.base.clone(),
        ingest.to_string(),
        read.to_string(),
        ids.clone(),
    );
    let sampler = std::thread::spawn(move || {
        let began = Instant::now();
        let mut samples = vec![rss_mib(pid)];
        while began.elapsed() < Duration::from_secs(seconds) {
            std::thread::sleep(Duration::from_secs(5));
            samples.push(rss_mib(pid));
        }
        samples
    });
    let (fail, lat, secs) = phase(4, seconds, move |a, t, n| match t {
        0 => {
            let rows: Vec<String> = (0..100)
                .map(|i| {
                    event(
                        &format!("m{t}-{n}-{i}"),
                        &ids[(n as usize * 11 + i) % ids.len()],
                    )
                })
                .collect();
            post(
                a,
                &format!("{base}/v1/events"),
                &ingest,
                format!("[{}]", rows.join(",")),
            )
        }
        1 | 2 => post(
            a,
            &format!("{base}/v1/events"),
            &ingest,
            event(&format!("m{t}-{n}"), &ids[(n as usize * 3) % ids.len()]),
        ),
        _ => get(
            a,
            &format!(
                "{base}/v1/leads/{}?as_of=2026-09-30T17:00:00Z",
                ids[(n as usize * 17) % ids.len()]
            ),
            &read,
        ),
    });
    let samples = sampler.join().expect("sampler");
    let text: Vec<String> = samples.iter().map(|m| format!("{m:.0}")).collect();
    println!(
        "sustained mixed load, {secs:.0} s ({} requests, {fail} failed): RSS every 5 s {} MiB",
        lat.len(),
        text.join(" → ")
    );
}

fn main() {
    let leads = env("BATON_LOAD_LEADS", 122_000);
    let sustain = env("BATON_LOAD_SUSTAIN", 60);
    let seconds = env("BATON_LOAD_SECONDS", 5);
    let ws = tempfile::tempdir().expect("tmp");
    let dir = ws.path().to_str().expect("utf8").to_string();
    baton(&[
        "gen",
        "--leads",
        &leads.to_string(),
        "--seed",
        "3",
        "--out",
        &dir,
        "--quiet",
    ]);
    let ingest = baton(&["serve", "token", "create", &dir, "--scope", "ingest"]);
    let read = baton(&["serve", "token", "create", &dir, "--scope", "read"]);
    let t0 = Instant::now();
    let server = start(ws.path(), &[], &[]);
    let started = t0.elapsed().as_secs_f64();
    let pid = server.child.id();
    let ids: Vec<String> = std::fs::read_to_string(ws.path().join("leads.csv"))
        .expect("leads")
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or("").to_string())
        .collect();
    let ids = Arc::new(ids);
    println!(
        "store seeded with {leads} generated leads in {started:.1} s (first start); RSS {:.0} MiB",
        rss_mib(pid)
    );

    let t0 = Instant::now();
    let a = agent();
    assert!(get(&a, &format!("{}/v1/report", server.base), &read));
    println!(
        "report of the seeded store: {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    assert!(post(
        &a,
        &format!("{}/v1/events", server.base),
        &ingest,
        event("one-write", &ids[0])
    ));
    let t0 = Instant::now();
    assert!(get(&a, &format!("{}/v1/report", server.base), &read));
    println!(
        "report recomputed after one write (the seeded store: every row read again): {:.2} s",
        t0.elapsed().as_secs_f64()
    );

    let (base, tok, lead_ids) = (server.base.clone(), read.clone(), ids.clone());
    let (fail, lat, _) = phase(2, seconds, move |a, _, n| {
        get(
            a,
            &format!(
                "{base}/v1/leads/{}?as_of=2026-09-30T17:00:00Z",
                lead_ids[(n as usize * 13) % lead_ids.len()]
            ),
            &tok,
        )
    });
    println!(
        "lead card, no plugins (2 clients): p50 {:.2} ms, p99 {:.2} ms, {fail} failed",
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    let rss_before = rss_mib(pid);
    let url = format!("{}/v1/events", server.base);
    let (tok, lead_ids) = (ingest.clone(), ids.clone());
    let (fail, lat, secs) = phase(4, seconds, move |a, t, n| {
        let rows: Vec<String> = (0..100)
            .map(|i| {
                event(
                    &format!("b{t}-{n}-{i}"),
                    &lead_ids[(n as usize * 7 + i) % lead_ids.len()],
                )
            })
            .collect();
        post(a, &url, &tok, format!("[{}]", rows.join(",")))
    });
    println!(
        "intake, batches of 100 (4 clients): {:.0} events/s, p50 {:.2} ms, p99 {:.2} ms per batch, {fail} failed",
        lat.len() as f64 * 100.0 / secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );

    let url = format!("{}/v1/events", server.base);
    let (tok, lead_ids) = (ingest.clone(), ids.clone());
    let (fail, lat, secs) = phase(8, seconds, move |a, t, n| {
        post(
            a,
            &url,
            &tok,
            event(&format!("s{t}-{n}"), &lead_ids[n as usize % lead_ids.len()]),
        )
    });
    println!(
        "intake, one event per request (8 clients): {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {fail} failed",
        lat.len() as f64 / secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    let rss_after = rss_mib(pid);
    println!("RSS over the intake phases: {rss_before:.0} MiB → {rss_after:.0} MiB");

    let t0 = Instant::now();
    let a = agent();
    assert!(get(&a, &format!("{}/v1/report", server.base), &read));
    println!(
        "report recomputed after writes: {:.2} s",
        t0.elapsed().as_secs_f64()
    );

    sustained(&server, &ingest, &read, &ids, sustain);
    drop(server);

    let acme = tempfile::tempdir().expect("tmp");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/acme");
    let o = Command::new("cp")
        .args([
            "-r",
            &format!("{}/.", repo.display()),
            acme.path().to_str().expect("utf8"),
        ])
        .status()
        .expect("cp");
    assert!(o.success());
    let adir = acme.path().to_str().expect("utf8").to_string();
    let aread = baton(&["serve", "token", "create", &adir, "--scope", "read"]);
    let server = start(acme.path(), &[], &[]);
    let base = server.base.clone();
    let unusable = Arc::new(AtomicU64::new(0));
    let counted = unusable.clone();
    let (fail, lat, _) = phase(2, seconds, move |a, _, n| {
        let url = format!(
            "{base}/v1/leads/L{:07}?as_of=2026-06-30T17:00:00Z",
            1 + (n * 13) % 3000
        );
        match a
            .get(&url)
            .header("authorization", &format!("Bearer {aread}"))
            .call()
        {
            Ok(mut r) if r.status() == 422 => {
                counted.fetch_add(1, Ordering::Relaxed);
                r.body_mut().read_to_string().is_ok()
            }
            r => ok(r),
        }
    });
    println!(
        "lead card, acme's two plugins (2 clients): p50 {:.2} ms, p99 {:.2} ms, {fail} failed, {} answered 422 (leads whose own row acme's files reject)",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        unusable.load(Ordering::Relaxed)
    );
}
