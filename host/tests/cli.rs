//! The `baton` binary end to end: outputs, exit codes (0 ok, 2 bad input, 1 internal) and messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("baton runs")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn analyze_writes_report_and_summary() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = fixtures().join("dirty");
    let o = baton(&[
        "analyze",
        dir.to_str().expect("utf8"),
        "--out",
        out.path().to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("data quality: 42 rows read, 18 used, 24 rejected, 6 warnings"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(
        report["as_of"], "2026-11-01T05:30:00Z",
        "default as_of is the latest timestamp"
    );
    assert!(
        std::fs::read_to_string(out.path().join("report.md"))
            .expect("md")
            .contains("| leads.csv | rejected | duplicate_id | lead_id | 1 | 6 |")
    );
}

#[test]
fn as_of_is_taken_as_given() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = fixtures().join("dirty");
    let o = baton(&[
        "analyze",
        dir.to_str().expect("utf8"),
        "--out",
        out.path().to_str().expect("utf8"),
        "--as-of",
        "2026-04-01 12:00",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("report.json")).expect("report.json"),
    )
    .expect("json");
    // Local time in the workspace zone (New York, EDT in April).
    assert_eq!(report["as_of"], "2026-04-01T16:00:00Z");
    let o = baton(&[
        "analyze",
        dir.to_str().expect("utf8"),
        "--out",
        out.path().to_str().expect("utf8"),
        "--as-of",
        "tuesday",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--as-of: \"tuesday\" is not an RFC 3339 timestamp"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_column_exits_2_naming_file_and_column() {
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(
        ws.path().join("leads.csv"),
        "id,created_at\nL1,2026-01-01\n",
    )
    .expect("write");
    let o = baton(&[
        "analyze",
        ws.path().to_str().expect("utf8"),
        "--out",
        ws.path().join("out").to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "leads.csv: missing required column `lead_id` (the header has: id, created_at)"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_config_exits_2_naming_key_and_line() {
    let ws = tempfile::tempdir().expect("tmp");
    std::fs::write(
        ws.path().join("leads.csv"),
        "lead_id,created_at\nL1,2026-01-01\n",
    )
    .expect("write");
    std::fs::write(
        ws.path().join("baton.toml"),
        "[workspace]\nname = \"x\"\n\n[sla.first_touch]\nfrom_stage = \"mql\"\nwithin_hours = 4\n",
    )
    .expect("write");
    let o = baton(&[
        "analyze",
        ws.path().to_str().expect("utf8"),
        "--out",
        ws.path().join("out").to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("baton.toml:6: `sla.first_touch.within_hours`: unknown field `within_hours`"),
        "{e}"
    );
}

#[test]
fn not_a_workspace_exits_2() {
    let o = baton(&["analyze", "/definitely/not/here", "--out", "/tmp/x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a workspace folder"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn gen_is_deterministic_per_seed() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    let c = tempfile::tempdir().expect("tmp");
    for (dir, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        let o = baton(&[
            "gen",
            "--leads",
            "300",
            "--seed",
            seed,
            "--out",
            dir.path().to_str().expect("utf8"),
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for f in [
        "leads.csv",
        "events.csv",
        "stages.csv",
        "deals.csv",
        "feedback.csv",
        "assets.csv",
        "baton.toml",
    ] {
        let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(f)).expect("file");
        assert_eq!(read(&a), read(&b), "{f} differs for the same seed");
    }
    assert_ne!(
        std::fs::read(a.path().join("events.csv")).expect("a"),
        std::fs::read(c.path().join("events.csv")).expect("c")
    );
}

#[test]
fn help_explains_the_commands() {
    let o = baton(&["--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for cmd in ["analyze", "gen", "import"] {
        assert!(text.contains(cmd), "{text}");
    }
    let o = baton(&["import", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("hubspot"));
}

/// `baton score` writes what `baton analyze` writes as `scored_leads.csv` (a workspace without
/// plugins), with `--as-of` (then it reads only leads and events) and without (then it reads
/// the files that date the data too): on a generated workspace and on the dirty fixture.
#[test]
fn score_writes_analyzes_scored_leads() {
    let generated = tempfile::tempdir().expect("tmp");
    let g = generated.path().to_str().expect("utf8");
    let o = baton(&[
        "gen", "--leads", "400", "--seed", "11", "--out", g, "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dirty = fixtures().join("dirty");
    for dir in [g, dirty.to_str().expect("utf8")] {
        for as_of in [Some("2026-10-15T12:00:00Z"), None] {
            let out = tempfile::tempdir().expect("tmp");
            let o_dir = out.path().to_str().expect("utf8");
            let mut a = vec!["analyze", dir, "--out", o_dir, "--quiet"];
            let s_out = out.path().join("score.csv").display().to_string();
            let mut s = vec!["score", dir, "--quiet", "--out"];
            s.push(&s_out);
            if let Some(t) = as_of {
                a.extend(["--as-of", t]);
                s.extend(["--as-of", t]);
            }
            let o = baton(&a);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let o = baton(&s);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let want = std::fs::read(out.path().join("scored_leads.csv")).expect("analyze");
            let got = std::fs::read(&s_out).expect("score");
            assert!(want.len() > 100, "{dir}: {}", want.len());
            assert!(
                want == got,
                "{dir} at {as_of:?}: baton score differs from analyze"
            );
        }
    }
}
