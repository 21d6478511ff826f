//! Hostile plugins: each misbehaviour must end in its own clear failure, for the leads it hits,
//! with the host alive and every other lead (and every other plugin) still answered.
//!
//! Modules are written in WAT here and compiled at test time. Most of them behave on every lead
//! except `BAD3`, whose id they look for in their input: that proves one lead's failure does not
//! touch the next lead's fresh instance.

use std::path::Path;

use baton_core::plugins::FailureKind;
use serde_json::Value;

/// Three leads; only `BAD3` triggers the hostile behaviour of per-lead modules.
const LEADS: &str = "lead_id,created_at,employees\nA1,2026-01-05T10:00:00Z,50\nA2,2026-01-06T10:00:00Z,5000\nBAD3,2026-01-07T10:00:00Z,700\n";

/// Reads stdin to offset 1024 (n bytes at 16), answers with the verdict at offset 200 (18
/// bytes) unless the input contains "BAD", in which case `$hostile` runs.
fn per_lead(hostile_body: &str, extra: &str) -> String {
    module(r#"{"qualified":true}"#, hostile_body, extra)
}

/// [`per_lead`] answering `ok` on the well-behaved leads.
fn module(ok: &str, hostile_body: &str, extra: &str) -> String {
    let ok_len = ok.len();
    let ok = ok.replace('"', "\\\"");
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 200) "{ok}")
  (func (export "baton_plugin_abi_v1"))
  (func $read_all (result i32)
    (local $n i32)
    (block $done
      (loop $more
        (i32.store (i32.const 0) (i32.add (i32.const 1024) (local.get $n)))
        (i32.store (i32.const 4) (i32.sub (i32.const 120000) (local.get $n)))
        (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $n (i32.add (local.get $n) (i32.load (i32.const 8))))
        (br $more)))
    (local.get $n))
  (func $has_bad (param $n i32) (result i32)
    (local $i i32)
    (block $no
      (loop $scan
        (br_if $no (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $n)))
        (if (i32.and
              (i32.and
                (i32.eq (i32.load8_u offset=1024 (local.get $i)) (i32.const 66))
                (i32.eq (i32.load8_u offset=1025 (local.get $i)) (i32.const 65)))
              (i32.eq (i32.load8_u offset=1026 (local.get $i)) (i32.const 68)))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const 0))
  (func $ok
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const {ok_len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  {extra}
  (func (export "_start")
    (if (call $has_bad (call $read_all))
      (then {hostile_body})
      (else (call $ok)))))"#
    )
}

/// A module that always answers "qualified" (the well-behaved neighbour).
fn good() -> String {
    per_lead("(call $ok)", "")
}

struct Run {
    report: Value,
    scored: String,
}

/// Writes a workspace with the hostile module as plugin `hostile` (criterion "Hostile" in set
/// "Hostile") and a good plugin `good` (set "Good"), then runs `baton analyze`'s pipeline.
fn run(module: &[u8], extra_toml: &str, on_error: &str) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    write_workspace(dir.path(), module, extra_toml, on_error);
    let analyzed = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect("the host survives and the analysis completes");
    Run {
        report: serde_json::to_value(&analyzed.report).expect("json"),
        scored: analyzed.scored_leads_csv,
    }
}

/// The file name for `module`: WAT text is read only from a `.wat` file.
fn module_file(stem: &str, module: &[u8]) -> String {
    let text = module
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_none_or(|&b| b == b'(' || b == b';');
    format!("{stem}.{}", if text { "wat" } else { "wasm" })
}

fn write_workspace(dir: &Path, module: &[u8], extra_toml: &str, on_error: &str) {
    std::fs::write(dir.join("leads.csv"), LEADS).expect("leads");
    let hostile = module_file("hostile", module);
    std::fs::write(dir.join(&hostile), module).expect("module");
    std::fs::write(dir.join("good.wat"), good()).expect("good");
    let toml = format!(
        r#"[[plugins]]
name = "hostile"
path = "{hostile}"
on_error = "{on_error}"
{extra_toml}

[[plugins]]
name = "good"
path = "good.wat"

[[qualification.sets]]
name = "Hostile"
policy = "all"

[[qualification.sets.criteria]]
name = "Hostile rule"
plugin = "hostile"

[[qualification.sets]]
name = "Good"
policy = "all"

[[qualification.sets.criteria]]
name = "Good rule"
plugin = "good"
"#
    );
    std::fs::write(dir.join("baton.toml"), toml).expect("toml");
}

fn plugin<'a>(r: &'a Run, name: &str) -> &'a Value {
    r.report["plugins"]
        .as_array()
        .expect("plugins section")
        .iter()
        .find(|p| p["name"] == name)
        .expect("plugin summary")
}

/// Asserts that `kind` failed exactly `leads` leads of `hostile`, with a message containing
/// `words`, and that the good plugin answered all three leads.
fn assert_failed(r: &Run, kind: FailureKind, leads: &[&str], words: &str) {
    let h = plugin(r, "hostile");
    assert_eq!(h["calls"], 3, "{h}");
    assert_eq!(h["failures"], leads.len() as u64, "{h}");
    assert_eq!(
        h["failures_by_kind"][kind.as_str()],
        leads.len() as u64,
        "{h}"
    );
    let examples: Vec<&str> = h["failure_examples"]
        .as_array()
        .expect("examples")
        .iter()
        .map(|e| e["lead"].as_str().expect("lead"))
        .collect();
    assert_eq!(examples, leads);
    let message = h["failure_examples"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.contains(words),
        "{kind:?}: {message:?} lacks {words:?}"
    );
    // The neighbour is untouched.
    let g = plugin(r, "good");
    assert_eq!(
        (g["qualified"].as_u64(), g["failures"].as_u64()),
        (Some(3), Some(0)),
        "{g}"
    );
    // Leads the hostile module behaved on still have its verdict.
    assert_eq!(h["qualified"], 3 - leads.len() as u64, "{h}");
}

#[test]
fn infinite_loop_runs_out_of_fuel() {
    // A deadline far past what 11M instructions take, so fuel is what stops the loop even on a
    // loaded machine (at 50 ms it was sometimes the deadline).
    let r = run(
        per_lead("(loop $forever (br $forever))", "").as_bytes(),
        "timeout_ms = 10000",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::FuelExhausted,
        &["BAD3"],
        "used all of its 11000000 fuel",
    );
}

#[test]
fn infinite_loop_with_unlimited_fuel_hits_the_deadline() {
    let r = run(
        per_lead("(loop $forever (br $forever))", "").as_bytes(),
        "fuel = 1000000000000\ntimeout_ms = 20",
        "fail_closed",
    );
    assert_failed(&r, FailureKind::Deadline, &["BAD3"], "20 ms deadline");
}

#[test]
fn memory_growth_bomb_stops_at_the_limit() {
    let body = "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable";
    let r = run(
        per_lead(body, "").as_bytes(),
        "memory_mib = 4",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::MemoryLimit,
        &["BAD3"],
        "its limit is 4 MiB",
    );
}

#[test]
fn a_module_declaring_too_much_memory_fails_every_lead() {
    let module = good().replace(
        "(memory (export \"memory\") 2)",
        "(memory (export \"memory\") 1000)",
    );
    let r = run(module.as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::MemoryLimit,
        &["A1", "A2", "BAD3"],
        "its limit is 16 MiB",
    );
}

#[test]
fn huge_output_is_cut_off() {
    // One write of 1 MiB from memory grown for it.
    let body = "(drop (memory.grow (i32.const 16))) (i32.store (i32.const 0) (i32.const 0)) (i32.store (i32.const 4) (i32.const 1048576)) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))";
    let r = run(per_lead(body, "").as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::OutputTooLarge,
        &["BAD3"],
        "more than 20480 bytes",
    );
}

#[test]
fn writing_stdout_forever_is_cut_off() {
    let r = run(
        per_lead("(loop $w (call $ok) (br $w))", "").as_bytes(),
        "max_output_bytes = 1000",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::OutputTooLarge,
        &["BAD3"],
        "more than 1000 bytes",
    );
}

#[test]
fn reading_stdin_forever_is_named() {
    let body = "(loop $r (drop (call $read_all)) (br $r))";
    // A generous deadline, so that the fuel runs out first even in a debug build.
    let r = run(
        per_lead(body, "").as_bytes(),
        "timeout_ms = 60000",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::FuelExhausted,
        &["BAD3"],
        "kept reading stdin after the end of its input",
    );
}

/// A module that writes `text` (as WAT data) on stdout for the bad lead.
fn writes(text: &str) -> String {
    writes_or(r#"{"qualified":true}"#, text)
}

/// [`writes`], answering `ok` for the other leads.
fn writes_or(ok: &str, text: &str) -> String {
    module(
        ok,
        &format!(
            "(i32.store (i32.const 0) (i32.const 300)) (i32.store (i32.const 4) (i32.const {})) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
            // WAT reads `\\` as one byte.
            text.len() - text.matches("\\\\").count()
        ),
        &format!("(data (i32.const 300) \"{}\")", text.replace('"', "\\\"")),
    )
}

#[test]
fn invalid_utf8_output_is_invalid() {
    let module = per_lead(
        "(i32.store (i32.const 0) (i32.const 300)) (i32.store (i32.const 4) (i32.const 4)) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
        r#"(data (i32.const 300) "{\ff\fe}")"#,
    );
    let r = run(module.as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "not UTF-8 (invalid byte at offset 1)",
    );
}

#[test]
fn invalid_json_output_is_invalid() {
    let r = run(writes("{qualified: yes").as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "output is not a verdict",
    );
}

#[test]
fn wrong_types_and_unknown_fields_are_invalid() {
    let r = run(
        writes(r#"{"qualified": "yes"}"#).as_bytes(),
        "",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "expected a boolean",
    );
    let r = run(
        writes(r#"{"qualifed": true}"#).as_bytes(),
        "",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "unknown field `qualifed`",
    );
    let r = run(writes(r#"{"reasons": []}"#).as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "must set `qualified`",
    );
}

#[test]
fn out_of_range_score_adjustment_is_invalid() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("leads.csv"), LEADS).expect("leads");
    std::fs::write(
        dir.path().join("adjust.wat"),
        writes_or(
            r#"{"score_adjustment":5}"#,
            r#"{"score_adjustment": 1e300}"#,
        ),
    )
    .expect("module");
    std::fs::write(
        dir.path().join("baton.toml"),
        "[scoring]\nmql_threshold = 4\n\n[[plugins]]\nname = \"adjust\"\npath = \"adjust.wat\"\nrole = \"score_adjustment\"\non_error = \"skip\"\n",
    )
    .expect("toml");
    let analyzed = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect("analysis completes");
    let p = &analyzed.report.plugins[0];
    assert_eq!(p.failures, 1);
    assert!(
        p.failure_examples[0]
            .message
            .contains("score_adjustment 1e300 is out of range")
    );
    // +5 for A1 and A2; BAD3 failed under `skip`: no adjustment.
    assert_eq!(p.adjustment_total, 10.0);
    assert_eq!(analyzed.report.scoring.mqls, 2);
    let scores: Vec<&str> = analyzed
        .scored_leads_csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).expect("score"))
        .collect();
    assert_eq!(scores, ["5", "5", "0"]);
}

#[test]
fn out_of_bounds_pointer_is_a_trap_not_a_crash() {
    let body = "(i32.store (i32.const 0) (i32.const 0x7ffffff0)) (i32.store (i32.const 4) (i32.const 64)) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))";
    let r = run(per_lead(body, "").as_bytes(), "", "fail_closed");
    assert_failed(&r, FailureKind::Trap, &["BAD3"], "out-of-bounds pointer");
    let body =
        "(drop (call $fd_write (i32.const 1) (i32.const 0xfffffff0) (i32.const 4) (i32.const 8)))";
    let r = run(per_lead(body, "").as_bytes(), "", "fail_closed");
    assert_failed(&r, FailureKind::Trap, &["BAD3"], "fd_write iovec array");
    let body = "(drop (i32.load (i32.const 0x7ffffff0)))";
    let r = run(per_lead(body, "").as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::Trap,
        &["BAD3"],
        "out of bounds memory access",
    );
}

#[test]
fn unreachable_is_a_trap_with_a_backtrace() {
    let r = run(per_lead("unreachable", "").as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::Trap,
        &["BAD3"],
        "`unreachable` instruction executed",
    );
    let h = plugin(&r, "hostile");
    let msg = h["failure_examples"][0]["message"]
        .as_str()
        .expect("message");
    assert!(msg.contains("backtrace:"), "{msg}");
}

#[test]
fn deep_recursion_overflows_the_stack() {
    let r = run(
        per_lead(
            "(call $down (i32.const 0))",
            "(func $down (param i32) (call $down (i32.add (local.get 0) (i32.const 1))))",
        )
        .as_bytes(),
        "fuel = 1000000000",
        "fail_closed",
    );
    assert_failed(&r, FailureKind::Trap, &["BAD3"], "stack overflow");
}

#[test]
fn exit_status_and_truncated_log_are_reported() {
    // 3000 bytes of log (three writes of the 1000 bytes at 4096), then exit 3.
    let body = "(i32.store (i32.const 0) (i32.const 4096)) (i32.store (i32.const 4) (i32.const 1000)) (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))) (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))) (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))) (call $proc_exit (i32.const 3))";
    let extra = format!("(data (i32.const 4096) \"{}\")", "x".repeat(1000));
    let r = run(per_lead(body, &extra).as_bytes(), "", "fail_closed");
    assert_failed(&r, FailureKind::Exit, &["BAD3"], "exited with status 3");
    let msg = plugin(&r, "hostile")["failure_examples"][0]["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(msg.contains("(1976 more bytes not kept)"), "{msg}");
}

#[test]
fn state_never_leaks_from_one_lead_to_the_next() {
    // Counts its runs in a global and in memory; qualified only on its first run. A reused
    // instance would answer false from the second lead on.
    let module = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (data (i32.const 200) "{\"qualified\":true} ")
  (data (i32.const 300) "{\"qualified\":false}")
  (func (export "baton_plugin_abi_v1"))
  (func (export "_start")
    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
    (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1)))
    (i32.store (i32.const 0)
      (select (i32.const 200) (i32.const 300)
        (i32.and (i32.eq (global.get $runs) (i32.const 1)) (i32.eq (i32.load (i32.const 100)) (i32.const 1)))))
    (i32.store (i32.const 4) (i32.const 19))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let r = run(module.as_bytes(), "", "fail_closed");
    let h = plugin(&r, "hostile");
    assert_eq!(
        (h["qualified"].as_u64(), h["failures"].as_u64()),
        (Some(3), Some(0)),
        "{h}"
    );
}

fn assert_refused(module: &[u8], kind: FailureKind, words: &str) {
    let r = run(module, "", "fail_closed");
    assert_failed(&r, kind, &["A1", "A2", "BAD3"], words);
    // `baton plugin check` names the same problem.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(module_file("m", module));
    std::fs::write(&file, module).expect("write");
    let err = baton::plugins::commands::check(&file).expect_err("refused");
    assert!(err.to_string().contains(words), "{err}");
}

#[test]
fn filesystem_socket_and_unknown_imports_are_refused() {
    let with_import = |import: &str| {
        good().replacen(
            "(memory",
            &format!("(import {import} (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))\n  (memory"),
            1,
        )
    };
    assert_refused(
        with_import(r#""wasi_snapshot_preview1" "path_open""#).as_bytes(),
        FailureKind::Refused,
        "imports wasi_snapshot_preview1.path_open (filesystem access)",
    );
    assert_refused(
        with_import(r#""wasi_snapshot_preview1" "sock_send""#).as_bytes(),
        FailureKind::Refused,
        "imports wasi_snapshot_preview1.sock_send (network sockets)",
    );
    assert_refused(
        with_import(r#""env" "fetch""#).as_bytes(),
        FailureKind::Refused,
        "imports env.fetch, which no plugin may import",
    );
}

#[test]
fn missing_or_wrong_abi_marker_is_refused() {
    assert_refused(
        good()
            .replace("(func (export \"baton_plugin_abi_v1\"))", "")
            .as_bytes(),
        FailureKind::AbiMismatch,
        "no ABI marker: expected an exported function named baton_plugin_abi_v1",
    );
    assert_refused(
        good()
            .replace("baton_plugin_abi_v1", "baton_plugin_abi_v2")
            .as_bytes(),
        FailureKind::AbiMismatch,
        "speaks plugin ABI v2",
    );
    assert_refused(
        good()
            .replace("(export \"_start\")", "(export \"run\")")
            .as_bytes(),
        FailureKind::AbiMismatch,
        "no `_start` export",
    );
}

#[test]
fn a_100_mb_module_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_workspace(dir.path(), b"", "", "fail_open");
    let f = std::fs::File::create(dir.path().join("hostile.wat")).expect("file");
    f.set_len(100 * 1000 * 1000).expect("sparse 100 MB");
    let analyzed = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect("analysis completes");
    let h = &analyzed.report.plugins[0];
    assert_eq!(h.failures_by_kind.get("refused"), Some(&3));
    assert!(
        h.failure_examples[0]
            .message
            .contains("the module is 100.0 MB; plugins are limited to 33.6 MB")
    );
    // fail_open: the hostile criterion passes every lead.
    assert_eq!(analyzed.report.scoring.qualification[0].qualified, 3);
}

#[test]
fn precompiled_artifacts_and_non_modules_are_refused() {
    let engine = wasmtime::Engine::default();
    let artifact = engine
        .precompile_module(good().as_bytes())
        .expect("precompiles");
    assert_refused(&artifact, FailureKind::Refused, "precompiled artifact");
    assert_refused(
        b"\0asm\x0d\0\x01\0",
        FailureKind::AbiMismatch,
        "WebAssembly component",
    );
    assert_refused(
        b"PK\x03\x04zip",
        FailureKind::Refused,
        "not a WebAssembly module",
    );
}

#[test]
fn on_error_policies_decide_the_criterion() {
    let module = per_lead("unreachable", "");
    let qualified = |on_error: &str| {
        let r = run(module.as_bytes(), "", on_error);
        (
            r.report["scoring"]["qualification"][0]["qualified"].as_u64(),
            r.report["scoring"]["qualification"][0]["criteria"][0]["failed"].as_u64(),
            r.scored,
        )
    };
    let (closed, closed_failed, _) = qualified("fail_closed");
    assert_eq!((closed, closed_failed), (Some(2), Some(1)));
    let (open, open_failed, _) = qualified("fail_open");
    assert_eq!((open, open_failed), (Some(3), Some(0)));
    // skip: the criterion is left out of BAD3's set, which then has no criteria left and passes
    // under `all`; the note says why.
    let (skip, skip_failed, scored) = qualified("skip");
    assert_eq!((skip, skip_failed), (Some(3), Some(0)));
    let bad = scored.lines().find(|l| l.starts_with("BAD3")).expect("row");
    assert!(bad.contains("left out of the set (skip)"), "{bad}");
}

// ---- Host calls that must not escape the limits (bounds first, fuel for bytes, deadline) ----

/// Peak resident memory of this test process in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `module` and asserts the run took under `secs` and grew the host by under 512 MiB.
fn run_bounded(module: &str, extra_toml: &str, secs: u64) -> Run {
    let before = peak_rss_kib();
    let began = std::time::Instant::now();
    let r = run(module.as_bytes(), extra_toml, "fail_closed");
    let took = began.elapsed();
    assert!(took.as_secs() < secs, "took {took:?}");
    let grew = peak_rss_kib().saturating_sub(before);
    assert!(grew < 512 * 1024, "host memory grew by {grew} KiB");
    r
}

const RANDOM_GET: &str = r#"(import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))"#;

fn with_random_get(body: &str) -> String {
    per_lead(body, "").replacen("(memory", &format!("{RANDOM_GET}\n  (memory"), 1)
}

#[test]
fn random_get_of_4_gib_is_refused_before_the_host_allocates() {
    let module = with_random_get("(drop (call $random_get (i32.const 1024) (i32.const -1)))");
    let r = run_bounded(&module, "", 20);
    assert_failed(
        &r,
        FailureKind::Trap,
        &["BAD3"],
        "random_get buffer at 0x400+4294967295 is outside the plugin's 131072-byte memory",
    );
}

#[test]
fn random_get_in_a_start_section_fails_each_lead_at_once() {
    // A `start` function runs at instantiation, on every lead, before `_start`.
    let module = with_random_get("(call $ok)").replacen(
        "(func (export \"baton_plugin_abi_v1\"))",
        "(func (export \"baton_plugin_abi_v1\"))\n  (func $bomb (drop (call $random_get (i32.const 0) (i32.const -1))))\n  (start $bomb)",
        1,
    );
    let r = run_bounded(&module, "", 20);
    assert_failed(
        &r,
        FailureKind::Trap,
        &["A1", "A2", "BAD3"],
        "random_get buffer",
    );
}

#[test]
fn bytes_a_host_call_moves_are_paid_in_fuel() {
    // 16 MiB of random bytes per call, forever: the fuel (11M) pays for fewer than one call.
    let body = "(drop (memory.grow (i32.const 254))) (loop $l (drop (call $random_get (i32.const 0) (i32.const 16777216))) (br $l))";
    let r = run_bounded(&with_random_get(body), "", 20);
    assert_failed(&r, FailureKind::FuelExhausted, &["BAD3"], "fuel");
}

#[test]
fn a_host_call_loop_meets_the_deadline() {
    let body = "(drop (memory.grow (i32.const 254))) (loop $l (drop (call $random_get (i32.const 0) (i32.const 16777216))) (br $l))";
    let r = run_bounded(
        &with_random_get(body),
        "fuel = 1000000000000\ntimeout_ms = 30",
        20,
    );
    assert_failed(&r, FailureKind::Deadline, &["BAD3"], "30 ms deadline");
}

#[test]
fn fd_write_with_128m_iovecs_is_refused_before_any_list_is_built() {
    let body =
        "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 134217728) (i32.const 8)))";
    let r = run_bounded(&per_lead(body, ""), "", 20);
    assert_failed(
        &r,
        FailureKind::Trap,
        &["BAD3"],
        "fd_write iovec array at 0x0+1073741824 is outside",
    );
}

#[test]
fn fd_read_with_128m_iovecs_is_refused_before_any_list_is_built() {
    let body =
        "(drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 134217728) (i32.const 8)))";
    let r = run_bounded(&per_lead(body, ""), "", 20);
    assert_failed(&r, FailureKind::Trap, &["BAD3"], "fd_read iovec array");
}

#[test]
fn millions_of_empty_iovecs_cost_fuel() {
    // 2M zero-length iovecs (16 MiB of zeros) per fd_write, forever.
    let body = "(drop (memory.grow (i32.const 254))) (loop $l (drop (call $fd_write (i32.const 2) (i32.const 131072) (i32.const 2000000) (i32.const 16))) (br $l))";
    // A generous deadline, so that the fuel runs out first even in a debug build.
    let r = run_bounded(&per_lead(body, ""), "timeout_ms = 60000", 60);
    assert_failed(&r, FailureKind::FuelExhausted, &["BAD3"], "fuel");
}

#[test]
fn zero_length_reads_are_not_called_reading_after_the_end() {
    // Reads nothing (a zero-length buffer), forever, and never reached the end of stdin.
    let body = "(i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 0)) (loop $r (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))) (br $r))";
    let r = run_bounded(&per_lead(body, ""), "timeout_ms = 60000", 60);
    assert_failed(
        &r,
        FailureKind::FuelExhausted,
        &["BAD3"],
        "kept calling fd_read with zero-length buffers",
    );
    let h = plugin(&r, "hostile");
    assert!(!h.to_string().contains("after the end of its input"), "{h}");
}

// ---- Compile bombs: refused by limits checked before compiling ----

fn leb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(id: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

/// A binary module with the ABI's exports and `bodies` as its functions (each body: locals
/// vector and code, without the size prefix); function 0 is `_start`, 1 the ABI marker.
fn binary_module(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(1, &[1, 0x60, 0, 0], &mut m);
    let mut funcs = Vec::new();
    leb(bodies.len() as u64, &mut funcs);
    funcs.extend(std::iter::repeat_n(0u8, bodies.len()));
    section(3, &funcs, &mut m);
    section(5, &[1, 0, 1], &mut m);
    let mut exports = vec![3];
    for (name, kind, index) in [
        ("memory", 2u8, 0u8),
        ("_start", 0, 0),
        ("baton_plugin_abi_v1", 0, 1),
    ] {
        exports.push(name.len() as u8);
        exports.extend_from_slice(name.as_bytes());
        exports.extend([kind, index]);
    }
    section(7, &exports, &mut m);
    let mut code = Vec::new();
    leb(bodies.len() as u64, &mut code);
    for b in bodies {
        leb(b.len() as u64, &mut code);
        code.extend_from_slice(b);
    }
    section(10, &code, &mut m);
    m
}

/// An empty body: no locals, `end`.
fn empty_body() -> Vec<u8> {
    vec![0, 0x0b]
}

fn assert_refused_fast(module: &[u8], words: &str) {
    let began = std::time::Instant::now();
    let before = peak_rss_kib();
    assert_refused(module, FailureKind::Refused, words);
    let took = began.elapsed();
    assert!(took.as_secs() < 30, "took {took:?}");
    let grew = peak_rss_kib().saturating_sub(before);
    assert!(grew < 1024 * 1024, "host memory grew by {grew} KiB");
}

#[test]
fn a_million_empty_functions_are_refused_before_compiling() {
    let module = binary_module(&vec![empty_body(); 1_000_000]);
    assert!(module.len() > 3_000_000);
    assert_refused_fast(
        &module,
        "the module defines 1000000 functions; the limit is 20000 (max_functions), checked before compiling",
    );
}

#[test]
fn a_deep_operand_stack_is_refused_before_compiling() {
    // 20,000 constants pushed, then dropped: 20,000 deep.
    let mut body = vec![0];
    for _ in 0..20_000 {
        body.extend([0x41, 0]);
    }
    body.extend(std::iter::repeat_n(0x1a, 20_000));
    body.push(0x0b);
    let module = binary_module(&[empty_body(), empty_body(), body]);
    assert_refused_fast(
        &module,
        "function 3 builds an operand stack 10001 deep; the limit is 10000 (max_operand_stack)",
    );
}

#[test]
fn deep_nesting_is_refused_before_compiling() {
    let mut body = vec![0];
    body.extend(std::iter::repeat_n([0x02, 0x40], 5_000).flatten());
    body.extend(std::iter::repeat_n(0x0b, 5_001));
    let module = binary_module(&[empty_body(), body]);
    assert_refused_fast(
        &module,
        "function 2 nests blocks 1001 deep; the limit is 1000 (max_nesting)",
    );
}

#[test]
fn too_many_locals_are_refused_before_compiling() {
    // One declaration of 20,000 i32 locals.
    let mut body = vec![1];
    leb(20_000, &mut body);
    body.extend([0x7f, 0x0b]);
    let module = binary_module(&[body, empty_body()]);
    assert_refused_fast(
        &module,
        "function 1 declares 20000 or more locals; the limit is 10000 (max_locals)",
    );
}

#[test]
fn a_huge_function_body_and_a_huge_code_section_are_refused() {
    let mut big = vec![0];
    big.extend(std::iter::repeat_n(0x01, 2 << 20));
    big.push(0x0b);
    assert_refused_fast(
        &binary_module(&[empty_body(), big]),
        "function 2 is 2097154 bytes; the limit is 1048576 (max_function_bytes)",
    );
    let mut mib = vec![0];
    mib.extend(std::iter::repeat_n(0x01, (1 << 20) - 8));
    mib.push(0x0b);
    let module = binary_module(&vec![mib; 17]);
    assert_refused_fast(&module, "(max_code_bytes), checked before compiling");
}

#[test]
fn compile_limits_are_configurable_and_checked_with_key_and_line() {
    let module = binary_module(&vec![empty_body(); 50]);
    let r = run(&module, "max_functions = 10", "fail_closed");
    assert_failed(
        &r,
        FailureKind::Refused,
        &["A1", "A2", "BAD3"],
        "the module defines 50 functions; the limit is 10 (max_functions)",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write_workspace(
        dir.path(),
        good().as_bytes(),
        "max_nesting = 0",
        "fail_closed",
    );
    let err = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("baton.toml:5: `plugins.0.max_nesting`"),
        "{err}"
    );
    assert!(
        err.contains("max_nesting = 0 is outside 1..=100000"),
        "{err}"
    );
}

#[test]
fn a_compile_deadline_refuses_a_slow_compile() {
    // 15,000 distinct small functions (a fresh module each run, so no cache hit) take far more
    // than 1 ms to compile.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let bodies: Vec<Vec<u8>> = (0..15_000u64)
        .map(|i| {
            let mut b = vec![0, 0x42];
            leb((nonce ^ i) & 0x3f_ffff_ffff, &mut b);
            b.extend([0x1a, 0x0b]);
            b
        })
        .collect();
    let r = run(
        &binary_module(&bodies),
        "compile_timeout_ms = 1",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::Refused,
        &["A1", "A2", "BAD3"],
        "compiling the module took longer than 1 ms (compile_timeout_ms)",
    );
}

// ---- What a plugin says is data: bounded, one line, escaped for each output ----

#[test]
fn a_verdict_string_with_a_newline_or_too_long_is_invalid() {
    let r = run(
        writes(r#"{"qualified":true,"reasons":["ok\\n## Injected heading"]}"#).as_bytes(),
        "",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "reasons[0] holds the control character U+000A",
    );
    let long = "x".repeat(600);
    let r = run(
        writes(&format!(r#"{{"qualified":true,"reasons":["{long}"]}}"#)).as_bytes(),
        "",
        "fail_closed",
    );
    assert_failed(
        &r,
        FailureKind::InvalidOutput,
        &["BAD3"],
        "reasons[0] is 600 characters long; the limit is 500",
    );
}

#[test]
fn plugin_text_is_escaped_in_markdown_html_and_csv() {
    let verdict = r#"{"qualified":true,"reasons":["<script>alert(1)</script> **bold** [x](y)"],"route_to":"=HYPERLINK(1)"}"#;
    let dir = tempfile::tempdir().expect("tempdir");
    write_workspace(
        dir.path(),
        module(verdict, "(call $ok)", "").as_bytes(),
        "",
        "fail_closed",
    );
    let a = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect("analysis");
    let md = baton::output::markdown(&a.report);
    assert!(!md.contains("<script>"), "{md}");
    assert!(
        md.contains(r"\<script\>alert(1)\</script\> \*\*bold\*\* \[x\](y)"),
        "{md}"
    );
    let html = baton::html::render(&a.report);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    let routed: Vec<&str> = a
        .scored_leads_csv
        .lines()
        .skip(1)
        .filter(|l| l.contains("HYPERLINK"))
        .collect();
    assert_eq!(routed.len(), 3, "{}", a.scored_leads_csv);
    for line in routed {
        assert!(line.contains(",'=HYPERLINK(1),"), "{line}");
        assert!(!line.contains(",=HYPERLINK"), "{line}");
    }
}

#[test]
fn a_plugin_log_is_one_line_in_every_message() {
    let body = "(i32.store (i32.const 0) (i32.const 400)) (i32.store (i32.const 4) (i32.const 22)) (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))) unreachable";
    let module = per_lead(body, r#"(data (i32.const 400) "oops\n## Injected\n<b>x")"#);
    let r = run(module.as_bytes(), "", "fail_closed");
    assert_failed(
        &r,
        FailureKind::Trap,
        &["BAD3"],
        "log: oops ## Injected <b>x",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write_workspace(dir.path(), module.as_bytes(), "", "fail_closed");
    let a = baton::analyze_dir_with(dir.path(), None, &Default::default(), None, true)
        .expect("analysis");
    let md = baton::output::markdown(&a.report);
    assert!(!md.contains("\n## Injected"), "{md}");
    assert!(md.contains(r"oops \#\# Injected \<b\>x"), "{md}");
}
