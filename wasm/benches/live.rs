//! The one-lead calls a page makes (`scoreLead`, `qualify`), natively: the same Rust the browser
//! runs, without the JS boundary (the browser harness measures that; README reports both).

use baton_wasm::{MemoryWorkspace, live};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_live(c: &mut Criterion) {
    let toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/acme/baton.toml"
    ))
    .expect("acme baton.toml");
    let toml = toml
        .split("# WebAssembly plugins")
        .next()
        .unwrap_or_default();
    let engine = MemoryWorkspace::new(toml).expect("acme config");
    let lead = r#"{"lead_id":"P1","created_at":"2026-01-01T00:00:00Z","employees":800,"industry":"software","persona":"champion"}"#;
    // The browser harness's lead: 8 events alternating an email open and a pricing-page view.
    let events = format!(
        "[{}]",
        (0..8)
            .map(|i| format!(
                r#"{{"ts":"2026-01-0{}T10:00:00Z","type":"{}","channel":"web"}}"#,
                i + 2,
                if i % 2 == 1 {
                    "pricing_page_view"
                } else {
                    "email_open"
                }
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let as_of = Some("2026-02-01T00:00:00Z");
    let mut group = c.benchmark_group("live");
    group.bench_function("score_lead_8_events", |b| {
        b.iter(|| live::score(engine.framework(), engine.facts(), lead, &events, as_of))
    });
    // What the browser runs: the lead and events as `flatten` hands them over (bindings.rs).
    let flat = {
        let mut text = String::from(
            "9 29\u{1e}\u{1f}lead_id\u{1d}sP1\u{1f}created_at\u{1d}s2026-01-01T00:00:00Z\u{1f}employees\u{1d}t800\u{1f}industry\u{1d}ssoftware\u{1f}persona\u{1d}schampion",
        );
        for i in 0..8 {
            let kind = if i % 2 == 1 {
                "pricing_page_view"
            } else {
                "email_open"
            };
            text += &format!(
                "\u{1e}\u{1f}ts\u{1d}s2026-01-0{}T10:00:00Z\u{1f}type\u{1d}s{kind}\u{1f}channel\u{1d}sweb",
                i + 2
            );
        }
        text
    };
    let flat_score = || {
        live::lead_workspace_flat(engine.framework(), engine.facts(), &flat)
            .map(|ws| live::score_workspace(&ws, as_of))
    };
    let answer = flat_score()
        .expect("the harness lead takes the fast path")
        .expect("scored");
    assert_eq!(
        Ok(answer),
        live::score(engine.framework(), engine.facts(), lead, &events, as_of).map_err(|_| ())
    );
    group.bench_function("score_lead_8_events_flat", |b| b.iter(flat_score));
    // The same lead through the general ingestion (the route of every call before the fast path).
    group.bench_function("score_lead_8_events_ingested", |b| {
        b.iter(|| {
            live::lead_workspace_ingested(engine.framework(), engine.facts(), lead, &events)
                .and_then(|ws| live::score_workspace(&ws, as_of))
        })
    });
    group.bench_function("qualify_8_events", |b| {
        b.iter(|| live::qualify(engine.framework(), engine.facts(), lead, &events, as_of))
    });
    // The same with a `matches` rule (its expression is compiled with the rules, on each call).
    let with_regex = MemoryWorkspace::new(&format!(
        "{toml}\n[[scoring.rules]]\nname = \"Leader title\"\nkind = \"fit\"\npoints = 5\n\
         when = {{ fact = \"title\", operator = \"matches\", value = \"^(vp|head|chief|c[eot]o)\\\\b\" }}\n"
    ))
    .expect("acme config with a matches rule");
    group.bench_function("score_lead_8_events_matches_rule", |b| {
        b.iter(|| {
            live::score(
                with_regex.framework(),
                with_regex.facts(),
                lead,
                &events,
                as_of,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_live);
criterion_main!(benches);
