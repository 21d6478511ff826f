//! WebAssembly plugins doing their job: hand-checked verdicts of the example plugins on
//! tests/fixtures/plugins, the AssemblyScript port agreeing with the Rust plugin on every acme
//! lead, determinism, and the compiled-code cache.

use std::path::PathBuf;

use baton::plugins::cache::CacheOutcome;
use baton::plugins::{HostOptions, PluginHost};
use baton_core::plugins::{LeadOutcome, PluginRunner, evaluate};
use baton_core::{Instant, Workspace};
use baton_tests::{fixtures, repo_root};

const AS_OF: &str = "2026-03-31T12:00:00Z";

fn workspace(dir: &std::path::Path) -> Workspace {
    baton::workspace_dir::load_workspace(dir, true).expect("workspace loads")
}

fn as_of() -> Instant {
    Instant::parse_rfc3339(AS_OF).expect("as_of")
}

/// The workspace's plugins, as [`host_for`].
fn host(ws: &Workspace, dir: &std::path::Path, cache: Option<PathBuf>) -> PluginHost {
    host_for(&ws.framework.config.plugins, dir, cache)
}

/// A host for `plugins` with a 10 s deadline where none is set: these tests check verdicts, and
/// a machine busy with the other tests must not fail a call (plugins_hostile.rs tests limits).
fn host_for(
    plugins: &[baton_core::config::Plugin],
    dir: &std::path::Path,
    cache: Option<PathBuf>,
) -> PluginHost {
    let mut plugins = plugins.to_vec();
    for p in &mut plugins {
        p.timeout_ms.get_or_insert(10_000);
    }
    PluginHost::new(
        &plugins,
        dir,
        HostOptions {
            cache_dir: cache,
            threads: 2,
            // The fixture's modules are acme's (its baton.toml names that folder), and the
            // AssemblyScript port is read from where it is built.
            shared_dirs: ["examples/acme/plugins", "plugins/examples"]
                .map(|d| repo_root().join(d).display().to_string())
                .to_vec(),
        },
    )
    .expect("plugins load")
}

fn verdicts(ws: &Workspace, runner: &dyn PluginRunner, plugin: usize) -> Vec<serde_json::Value> {
    let model = baton_core::scoring::ScoringModel::compile(ws).expect("rules");
    let results = evaluate(ws, &model, as_of(), runner);
    results.outcomes[plugin]
        .1
        .iter()
        .map(|o| match o {
            LeadOutcome::Verdict(v) => serde_json::to_value(v).expect("json"),
            LeadOutcome::Failed(f) => panic!("plugin failed: {f:?}"),
        })
        .collect()
}

#[test]
fn enterprise_fit_verdicts_match_hand_checked_values() {
    let dir = fixtures().join("plugins");
    let ws = workspace(&dir);
    let h = host(&ws, &dir, None);
    let got = verdicts(&ws, &h, 0);
    let expected = serde_json::json!([
        {"qualified": true, "route_to": "enterprise-team", "missing_data": [], "reasons": [
            "5000 employees ≥ 1000", "US is in our territories", "champion named",
            "budget signal: pricing_page_view 10 days ago"]},
        {"qualified": false, "missing_data": [], "reasons": [
            "5000 employees ≥ 1000", "DE is outside our territories", "champion named",
            "budget signal: demo 5 days ago"]},
        {"missing_data": ["champion_named"], "reasons": [
            "2000 employees ≥ 1000", "GB is in our territories", "budget confirmed"]},
        {"qualified": false, "missing_data": [], "reasons": [
            "300 employees < 1000", "US is in our territories", "no champion named",
            "no budget signal in the last 30 days"]},
    ]);
    assert_eq!(serde_json::Value::Array(got), expected);
}

#[test]
fn meddic_adjustments_flow_into_scores_qualification_and_routing() {
    let dir = fixtures().join("plugins");
    let analyzed =
        baton::analyze_dir_with(&dir, Some(AS_OF), &Default::default(), None, true).expect("runs");
    let r = &analyzed.report;
    // Fit 10 for ≥ 1000 employees, plus 2 points per MEDDIC element evidenced:
    // E1 4 (meeting, economic buyer, pricing page, champion), E2 3 (demo, budget known,
    // champion), E3 1 (budget known), E4 1 (demo).
    let rows: Vec<Vec<String>> = analyzed
        .scored_leads_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let scores: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(
        scores,
        [
            ("E1", "18", "true"),
            ("E2", "16", "true"),
            ("E3", "12", "true"),
            ("E4", "2", "false")
        ]
    );
    assert_eq!(r.scoring.mqls, 3);
    let meddic = &r.plugins[1];
    assert_eq!(meddic.adjustment_total, 18.0);
    assert_eq!(meddic.top_reasons[0].reason, "MEDDIC 1/6");
    assert_eq!(meddic.top_reasons[0].leads, 2);
    // The enterprise set: E1 passes; E2 and E4 fail; E3 is undecided, with the question to ask.
    let set = &r.scoring.qualification[0];
    assert_eq!(set.qualified, 1);
    let c = &set.criteria[0];
    assert_eq!(
        (c.passed, c.failed, c.missing, c.plugin.as_deref()),
        (1, 2, 1, Some("enterprise-fit"))
    );
    let e3 = analyzed
        .scored_leads_csv
        .lines()
        .find(|l| l.starts_with("E3,"))
        .expect("E3");
    assert!(
        e3.contains("Enterprise: Enterprise fit unknown, ask: Who champions this?"),
        "{e3}"
    );
    // The plugin's route wins over [routing] (none configured here).
    assert_eq!(rows[0][9], "enterprise-team");
    assert_eq!(r.plugins[0].routed, 1);
    assert!(r.plugins.iter().all(|p| p.failures == 0));
}

#[test]
fn plugin_runs_are_deterministic() {
    let dir = fixtures().join("plugins");
    let one = baton::analyze_dir_with(&dir, Some(AS_OF), &Default::default(), None, true)
        .expect("runs")
        .report
        .to_json();
    let two = baton::analyze_dir_with(&dir, Some(AS_OF), &Default::default(), None, true)
        .expect("runs")
        .report
        .to_json();
    assert_eq!(one, two);
}

fn as_module() -> PathBuf {
    let p = repo_root().join("plugins/examples/enterprise-fit-as/build/enterprise-fit-as.wasm");
    assert!(
        p.exists(),
        "{} is missing: run `bash scripts/build-plugins.sh` (the test command does)",
        p.display()
    );
    p
}

#[test]
fn assemblyscript_port_agrees_with_the_rust_plugin_on_every_acme_lead() {
    let acme = repo_root().join("examples").join("acme");
    let ws = workspace(&acme);
    let rust = host(&ws, &acme, None);
    let mut as_config = ws.framework.config.plugins.clone();
    as_config[0].path = as_module().display().to_string();
    let assemblyscript = host_for(&as_config, &acme, None);
    let a = verdicts(&ws, &rust, 0);
    let b = verdicts(&ws, &assemblyscript, 0);
    assert_eq!(a.len(), ws.leads.len());
    let qualified = a.iter().filter(|v| v["qualified"] == true).count();
    assert!(qualified > 0, "some acme leads qualify");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "lead {}", ws.text(ws.leads[i].id));
    }
}

#[test]
fn compiled_code_is_cached_and_only_trusted_artifacts_are_loaded() {
    let dir = fixtures().join("plugins");
    let ws = workspace(&dir);
    let cache = tempfile::tempdir().expect("tempdir");
    let first = host(&ws, &dir, Some(cache.path().to_path_buf()));
    assert_eq!(first.plugins()[0].cache, Some(CacheOutcome::Stored));
    let second = host(&ws, &dir, Some(cache.path().to_path_buf()));
    assert_eq!(second.plugins()[0].cache, Some(CacheOutcome::Hit));
    assert_eq!(verdicts(&ws, &first, 0), verdicts(&ws, &second, 0));
    // Tamper with every artifact: they no longer match the notes Baton wrote, so they are
    // compiled again rather than deserialized.
    for entry in std::fs::read_dir(cache.path()).expect("cache") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "cwasm") {
            let mut bytes = std::fs::read(&path).expect("read");
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0xff;
            std::fs::write(&path, bytes).expect("write");
        }
    }
    let third = host(&ws, &dir, Some(cache.path().to_path_buf()));
    assert_eq!(third.plugins()[0].cache, Some(CacheOutcome::Stored));
    assert_eq!(verdicts(&ws, &first, 0), verdicts(&ws, &third, 0));
}

#[test]
fn plugins_describe_themselves() {
    let dir = fixtures().join("plugins");
    let ws = workspace(&dir);
    let h = host(&ws, &dir, None);
    let d = h.describe(0).expect("describes");
    assert_eq!((d.name.as_str(), d.abi), ("enterprise-fit", 1));
    assert_eq!(
        d.params_schema["properties"]["min_employees"]["default"],
        1000
    );
    let d = h.describe(1).expect("describes");
    assert_eq!(d.name, "meddic-completeness");
}

#[test]
fn a_missing_module_is_a_setup_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("leads.csv"),
        "lead_id,created_at\nA,2026-01-01T00:00:00Z\n",
    )
    .expect("leads");
    std::fs::write(
        dir.path().join("baton.toml"),
        "[[plugins]]\nname = \"x\"\npath = \"nowhere/x.wasm\"\n",
    )
    .expect("toml");
    let err = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect_err("setup error");
    let msg = err.to_string();
    assert!(
        msg.contains("plugin \"x\": cannot read") && msg.contains("nowhere/x.wasm"),
        "{msg}"
    );
    assert!(err.is_input_error());
}

/// docs/schemas holds the JSON Schemas of the ABI, generated from the SDK's types; regenerate with
/// `BATON_BLESS=1 cargo test -p baton-tests --test plugins schemas`.
#[test]
fn schemas_in_docs_match_the_sdk_types() {
    let dir = repo_root().join("docs").join("schemas");
    let schemas = [
        (
            "plugin-input.schema.json",
            schemars::schema_for!(baton_plugin::Input),
        ),
        (
            "plugin-verdict.schema.json",
            schemars::schema_for!(baton_plugin::Verdict),
        ),
        (
            "plugin-description.schema.json",
            schemars::schema_for!(baton_plugin::Description),
        ),
    ];
    for (name, schema) in schemas {
        let text = serde_json::to_string_pretty(&schema).expect("json") + "\n";
        let path = dir.join(name);
        if std::env::var_os("BATON_BLESS").is_some() {
            std::fs::create_dir_all(&dir).expect("docs/schemas");
            std::fs::write(&path, &text).expect("write");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, text,
            "{name} is stale: BATON_BLESS=1 cargo test -p baton-tests --test plugins schemas"
        );
    }
    // The verdict schema refuses unknown fields, as the host does.
    let verdict: serde_json::Value =
        serde_json::to_value(schemars::schema_for!(baton_plugin::Verdict)).expect("json");
    assert_eq!(verdict["additionalProperties"], false);
}

/// The host writes inputs through borrowed mirrors of the SDK types: every acme lead's document
/// must read back into `baton_plugin::Input` and write out the same bytes (same fields, order,
/// types), with the trimming of old events too.
#[test]
fn inputs_are_exactly_the_sdk_input_type() {
    for dir in [
        repo_root().join("examples").join("acme"),
        fixtures().join("plugins"),
    ] {
        let ws = workspace(&dir);
        let as_of = ws.latest_timestamp().expect("data");
        let model = baton_core::scoring::ScoringModel::compile(&ws).expect("rules");
        let plugin = &ws.framework.config.plugins[0];
        for lead in 0..ws.leads.len() as u32 {
            for limit in [128 * 1024, 1500] {
                let Ok(bytes) = baton_core::plugins::plugin_input(
                    &ws, &model, plugin, lead, as_of, limit, None,
                ) else {
                    continue;
                };
                assert!(bytes.len() <= limit);
                let input: baton_plugin::Input = serde_json::from_slice(&bytes).expect("reads");
                assert_eq!(serde_json::to_vec(&input).expect("writes"), bytes);
                assert_eq!(input.lead.id, ws.text(ws.leads[lead as usize].id));
            }
        }
    }
}

/// A plugin's input query trims its input, never its answer: both example plugins declare one,
/// and on every third acme lead each gets the same verdict (reasons, missing data) from its
/// trimmed document as from the whole input; the trimmed document holds only what the query names
/// (no score, the named attributes, the named event fields) and is smaller.
#[test]
fn an_input_query_trims_the_input_and_changes_no_verdict() {
    use baton_core::plugins::plugin_input;
    let dir = repo_root().join("examples").join("acme");
    let ws = workspace(&dir);
    let as_of = ws.latest_timestamp().expect("data");
    let model = baton_core::scoring::ScoringModel::compile(&ws).expect("rules");
    let host = host(&ws, &dir, None);
    for (index, plugin) in ws.framework.config.plugins.iter().enumerate() {
        let reads = host
            .reads(index)
            .expect("the example plugins declare a query");
        assert!(!reads.score && !reads.event_fields.is_empty(), "{reads:?}");
        let (mut whole, mut trimmed) = (0usize, 0usize);
        for lead in (0..ws.leads.len() as u32).step_by(3) {
            let full =
                plugin_input(&ws, &model, plugin, lead, as_of, 128 * 1024, None).expect("input");
            let small = plugin_input(&ws, &model, plugin, lead, as_of, 128 * 1024, Some(&reads))
                .expect("input");
            let doc: serde_json::Value = serde_json::from_slice(&small).expect("json");
            assert!(doc.get("score").is_none(), "no score unless read");
            for name in doc["lead"]["attributes"]
                .as_object()
                .expect("attributes")
                .keys()
            {
                assert!(reads.attributes.contains(name), "{name} is not read");
            }
            for e in doc["events"].as_array().expect("events") {
                for field in e.as_object().expect("event").keys() {
                    let field = if field == "type" {
                        "type"
                    } else {
                        field.as_str()
                    };
                    assert!(reads.event_fields.iter().any(|f| f == field), "{field}");
                }
            }
            if !reads.stages {
                assert_eq!(doc["lead"]["stages"], serde_json::json!([]));
            }
            let answer = |bytes: &[u8]| host.call(index, bytes).output.expect("a verdict");
            assert_eq!(answer(&small), answer(&full), "{} lead {lead}", plugin.name);
            whole += full.len();
            trimmed += small.len();
        }
        assert!(
            trimmed * 2 < whole,
            "{}: {trimmed} of {whole} bytes",
            plugin.name
        );
    }
    // A query that names what is not an event field fails each lead, saying why.
    let bad = baton_plugin::Reads::new().event_fields(&["when"]);
    let plugin = &ws.framework.config.plugins[0];
    let e =
        plugin_input(&ws, &model, plugin, 0, as_of, 128 * 1024, Some(&bad)).expect_err("refused");
    assert!(
        e.message.contains("\"when\" is not an event field"),
        "{}",
        e.message
    );
}
