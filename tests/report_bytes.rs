//! The outputs of `baton analyze` byte for byte: SHA-256 of report.json, report.md,
//! report.html, handoffs.csv and scored_leads.csv for `examples/acme` and two generated
//! workspaces, against `tests/fixtures/report_bytes.txt`. A refactoring must leave every one
//! unchanged; a change meant to alter an output re-blesses the file with
//! `BATON_BLESS=1 cargo test -p baton-tests --test report_bytes` and says why in its commit.

use std::fmt::Write as _;
use std::path::Path;

use baton::generate::{GenOptions, generate};
use sha2::{Digest, Sha256};

/// `name file sha256` lines for one workspace's outputs.
fn digests(name: &str, dir: &Path, out: &mut String) {
    let analyzed = baton::analyze_dir_with(dir, None, &Default::default(), None, true)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let report = &analyzed.report;
    let files = [
        ("report.json", report.to_json()),
        ("report.md", baton::output::markdown(report)),
        ("report.html", baton::html::render(report)),
        ("handoffs.csv", analyzed.handoffs_csv.clone()),
        ("scored_leads.csv", analyzed.scored_leads_csv.clone()),
    ];
    for (file, text) in files {
        let hash = Sha256::digest(text.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(out, "{name} {file} {} {hex}", text.len()).expect("write");
    }
}

#[test]
fn outputs_are_byte_identical_to_the_blessed_ones() {
    let mut got = String::new();
    digests(
        "acme",
        &baton_tests::repo_root().join("examples/acme"),
        &mut got,
    );
    for (seed, leads, error_rate) in [(7, 400, 0.0), (11, 300, 0.05)] {
        let dir = tempfile::tempdir().expect("tmp");
        generate(
            &GenOptions {
                leads,
                seed,
                error_rate,
                quiet: true,
                ..GenOptions::default()
            },
            dir.path(),
        )
        .expect("generate");
        digests(&format!("generated-{seed}"), dir.path(), &mut got);
    }
    let blessed = baton_tests::fixtures().join("report_bytes.txt");
    if std::env::var_os("BATON_BLESS").is_some() {
        std::fs::write(&blessed, &got).expect("bless");
        return;
    }
    let want = std::fs::read_to_string(&blessed).expect("tests/fixtures/report_bytes.txt");
    assert_eq!(got, want, "an output changed (name file bytes sha256)");
}
