//! Analysis throughput beyond ingestion: journey, touchpoints, channels, handoff clocks, lead
//! quality and feedback on a generated workspace already in memory.

use baton::generate::{GenOptions, generate};
use baton_core::journey::{TouchpointKey, channel_coordination, stage_journey, touchpoint_journey};
use baton_core::report::{AnalysisOptions, run};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_analyze(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    generate(
        &GenOptions {
            leads: 100_000,
            seed: 1,
            ..GenOptions::default()
        },
        dir.path(),
    )
    .expect("gen");
    let ws = baton::workspace_dir::load_workspace(dir.path(), true).expect("load");
    let as_of = ws.latest_timestamp().expect("data");
    let events = ws.events.len() as u64;
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("full_report_100k_leads", |b| {
        b.iter(|| run(&ws, as_of, &AnalysisOptions::default(), None).expect("run"))
    });
    group.bench_function("stage_journey", |b| b.iter(|| stage_journey(&ws, as_of)));
    group.bench_function("touchpoint_dfg", |b| {
        b.iter(|| touchpoint_journey(&ws, as_of, TouchpointKey::Type))
    });
    group.bench_function("channel_coordination", |b| {
        b.iter(|| channel_coordination(&ws, as_of))
    });
    group.finish();
}

criterion_group!(benches, bench_analyze);
criterion_main!(benches);
