//! Generator throughput: leads simulated and written as CSV per second.

use baton::generate::{GenOptions, generate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_generate(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(20_000));
    group.bench_function("leads_20k", |b| {
        b.iter(|| {
            generate(
                &GenOptions {
                    leads: 20_000,
                    seed: 1,
                    ..GenOptions::default()
                },
                dir.path(),
            )
            .expect("gen")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
