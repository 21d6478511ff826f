//! Ingestion throughput: CSV events and leads parsed, validated, interned and put in canonical order.

use std::fmt::Write as _;

use baton_core::{FileKind, Format, Framework, Loader, NoTexts};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const LEADS: usize = 20_000;
const EVENTS: usize = 200_000;

fn leads_csv() -> String {
    let mut s = String::from("lead_id,created_at,source,industry,employees,persona,owner\n");
    for i in 0..LEADS {
        let _ = writeln!(
            s,
            "L{i:07},2026-0{}-1{}T0{}:15:00Z,{},{},{},{},rep_{}",
            1 + i % 9,
            i % 10,
            i % 10,
            ["web", "paid_search", "referral", "events"][i % 4],
            ["software", "retail", "finance"][i % 3],
            10 + (i * 37) % 5000,
            ["champion", "end_user", "economic_buyer"][i % 3],
            i % 12
        );
    }
    s
}

fn events_csv() -> String {
    let mut s = String::from("lead_id,ts,type,channel,team,campaign,asset_id\n");
    for i in 0..EVENTS {
        let lead = (i * 7919) % LEADS;
        let _ = writeln!(
            s,
            "L{lead:07},2026-{:02}-{:02}T{:02}:{:02}:{:02}Z,{},{},{},{},{}",
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 60,
            (i * 7) % 60,
            [
                "email_open",
                "page_view",
                "call",
                "meeting",
                "content_download"
            ][i % 5],
            ["email", "web", "phone", "meeting", "web"][i % 5],
            ["marketing", "marketing", "sales", "sales", "marketing"][i % 5],
            ["q1_launch", "", "always_on"][i % 3],
            if i % 5 == 4 { "ast_guide" } else { "" }
        );
    }
    s
}

fn bench_ingest(c: &mut Criterion) {
    let leads = leads_csv();
    let events = events_csv();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("events_csv_200k", |b| {
        b.iter(|| {
            let mut loader = Loader::new(Framework::default());
            loader
                .add(
                    FileKind::Events,
                    "events.csv",
                    Format::Csv,
                    events.as_bytes(),
                )
                .expect("events");
            loader
        })
    });
    group.bench_function("workspace_200k_events_resolved", |b| {
        b.iter(|| {
            let mut loader = Loader::new(Framework::default());
            loader
                .add(FileKind::Leads, "leads.csv", Format::Csv, leads.as_bytes())
                .expect("leads");
            loader
                .add(
                    FileKind::Events,
                    "events.csv",
                    Format::Csv,
                    events.as_bytes(),
                )
                .expect("events");
            loader.finish(&NoTexts).expect("finish")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
