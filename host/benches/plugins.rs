//! Plugin calls: one lead's verdict in a fresh instance, JSON both ways (the input built from the
//! workspace, the verdict parsed and checked), for a no-op WAT module (the host's floor), the Rust
//! enterprise-fit example and its AssemblyScript port; a batch over every acme lead on all cores;
//! and loading a module cold (compile) against cached (deserialize Baton's own artifact).

use std::path::Path;

use baton::plugins::{HostOptions, PluginHost};
use baton_core::config::{Plugin, PluginRole};
use baton_core::plugins::{PluginRunner, parse_verdict, plugin_input};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const NOOP: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"qualified\":true}")
  (func (export "baton_plugin_abi_v1"))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 18))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

fn plugin(name: &str, path: &Path, params: serde_json::Value) -> Plugin {
    let mut p = baton::plugins::commands::adhoc_plugin(path, PluginRole::Criterion, params);
    p.name = name.into();
    p
}

fn bench_plugins(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let acme = root.join("examples").join("acme");
    let ws = baton::workspace_dir::load_workspace(&acme, true).expect("acme");
    let as_of = ws.latest_timestamp().expect("data");
    let model = baton_core::scoring::ScoringModel::compile(&ws).expect("rules");
    let tmp = tempfile::tempdir().expect("tmp");
    let noop = tmp.path().join("noop.wat");
    std::fs::write(&noop, NOOP).expect("noop");
    let params = ws.framework.config.plugins[0].params.clone();
    let mut modules = vec![
        ("noop_wat", noop.clone()),
        (
            "rust_enterprise_fit",
            acme.join("plugins").join("enterprise-fit.wasm"),
        ),
    ];
    let as_module = root.join("plugins/examples/enterprise-fit-as/build/enterprise-fit-as.wasm");
    if as_module.exists() {
        modules.push(("assemblyscript_enterprise_fit", as_module));
    } else {
        eprintln!(
            "note: {} is not built (bash scripts/build-plugins.sh); its benchmark is left out",
            as_module.display()
        );
    }
    let options = HostOptions {
        cache_dir: None,
        threads: 1,
        shared_dirs: Vec::new(),
    };

    let mut group = c.benchmark_group("plugin_verdict_per_lead");
    group.throughput(Throughput::Elements(1));
    for (name, path) in &modules {
        let p = plugin(name, path, params.clone());
        let host = PluginHost::new(std::slice::from_ref(&p), Path::new("/"), options.clone())
            .expect("loads");
        host.set_clock(as_of);
        // The plugin's input query, as `baton analyze` asks it; the Rust plugin declares one, so
        // it is measured with the whole input too.
        let reads = host.reads(0);
        let variants = if reads.is_some() {
            vec![
                (name.to_string(), reads),
                (format!("{name}_whole_input"), None),
            ]
        } else {
            vec![(name.to_string(), None)]
        };
        for (label, reads) in variants {
            let n = ws.leads.len() as u32;
            let mut lead = 0u32;
            group.bench_function(label, |b| {
                b.iter(|| {
                    lead = (lead + 1) % n;
                    let input =
                        plugin_input(&ws, &model, &p, lead, as_of, 128 * 1024, reads.as_ref())
                            .expect("input");
                    let r = host.call(0, &input);
                    parse_verdict(&p, &r.output.expect("runs"), 100.0).expect("verdict")
                })
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("plugin_batch_acme");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ws.leads.len() as u64));
    let p = plugin("rust_enterprise_fit", &modules[1].1, params.clone());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let host = PluginHost::new(
        std::slice::from_ref(&p),
        Path::new("/"),
        HostOptions {
            cache_dir: None,
            threads,
            shared_dirs: Vec::new(),
        },
    )
    .expect("loads");
    let reads = host.reads(0);
    let inputs: Vec<Vec<u8>> = (0..ws.leads.len() as u32)
        .map(|l| {
            plugin_input(&ws, &model, &p, l, as_of, 128 * 1024, reads.as_ref()).expect("input")
        })
        .collect();
    group.bench_function(format!("rust_enterprise_fit_{threads}_threads"), |b| {
        b.iter(|| host.call_batch(0, &inputs))
    });
    group.finish();

    let mut group = c.benchmark_group("plugin_load");
    group.sample_size(10);
    let cache = tempfile::tempdir().expect("cache");
    group.bench_function("cold_compile_rust_enterprise_fit", |b| {
        b.iter(|| {
            PluginHost::new(std::slice::from_ref(&p), Path::new("/"), options.clone())
                .expect("loads")
        })
    });
    let cached = HostOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        threads: 1,
        shared_dirs: Vec::new(),
    };
    PluginHost::new(std::slice::from_ref(&p), Path::new("/"), cached.clone())
        .expect("warms the cache");
    group.bench_function("cached_rust_enterprise_fit", |b| {
        b.iter(|| {
            PluginHost::new(std::slice::from_ref(&p), Path::new("/"), cached.clone())
                .expect("loads")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_plugins);
criterion_main!(benches);
