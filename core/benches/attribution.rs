//! All attribution models on 1M paths (8 touches on average, 12 channels), Shapley included.

use baton_core::attribution::{
    AttributionOptions, MarkovChain, PathRecord, PathSet, Touch, attribute,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn paths(n: usize) -> PathSet {
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let channels: Vec<String> = (0..12).map(|i| format!("channel_{i:02}")).collect();
    let paths = (0..n)
        .map(|_| {
            let len = 1 + (next() % 15) as usize; // mean 8
            let touches: Vec<Touch> = (0..len)
                .map(|k| Touch {
                    channel: (next() % 12) as u32,
                    team: (next() % 3) as u8,
                    days_before_end: (len - k) as f64 * 3.0,
                })
                .collect();
            let converted = next() % 100 < 6;
            PathRecord {
                touches,
                converted,
                revenue: if converted { 10_000.0 } else { 0.0 },
                lead_creation: Some(0),
                deal_creation: Some(len - 1),
            }
        })
        .collect();
    PathSet { channels, paths }
}

fn bench_attribution(c: &mut Criterion) {
    let set = paths(1_000_000);
    let options = AttributionOptions {
        half_life_days: 7.0,
        seed: 42,
        shapley_samples: 20_000,
    };
    let mut group = c.benchmark_group("attribution");
    group.sample_size(10);
    group.throughput(Throughput::Elements(set.paths.len() as u64));
    group.bench_function("all_models_1m_paths_12_channels", |b| {
        b.iter(|| attribute(&set, &MarkovChain::new(&set), &options))
    });
    group.finish();
}

criterion_group!(benches, bench_attribution);
criterion_main!(benches);
