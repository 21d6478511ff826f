//! Outputs are written as one set: a symlink in `--out` is replaced, never written through, and
//! a run killed while writing (a file-size limit's SIGXFSZ, SIGKILL) leaves the complete old set.

use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 5] = [
    "report.json",
    "report.md",
    "report.html",
    "handoffs.csv",
    "scored_leads.csv",
];

fn acme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/acme")
}

fn analyze(out: &Path, as_of: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baton"));
    c.arg("analyze").arg(acme()).arg("--out").arg(out).args([
        "--no-plugins",
        "-q",
        "--as-of",
        as_of,
    ]);
    c
}

fn set(dir: &Path) -> Vec<Vec<u8>> {
    FILES
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap_or_default())
        .collect()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !FILES.contains(&n.as_str()))
        .collect()
}

const OLD: &str = "2026-09-01T00:00:00Z";
const NEW: &str = "2026-10-01T00:00:00Z";

#[test]
fn a_symlink_in_out_is_replaced_not_written_through() {
    let tmp = tempfile::tempdir().expect("tmp");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "keep me").expect("victim");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).expect("out");
    std::os::unix::fs::symlink(&victim, out.join("report.md")).expect("symlink");
    assert!(analyze(&out, OLD).status().expect("runs").success());
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
    let md = out.join("report.md");
    assert!(!md.is_symlink());
    assert!(std::fs::read_to_string(md).expect("md").starts_with("# "));
}

#[test]
fn a_run_stopped_by_a_file_size_limit_leaves_the_old_set() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    assert!(analyze(&out, OLD).status().expect("runs").success());
    let old = set(&out);
    assert!(old.iter().all(|f| !f.is_empty()));
    // 64 KiB per file: the new report.json (~300 KB) cannot be written; the kernel stops the
    // process (SIGXFSZ) in the middle of it, as a full disk stops the write.
    let cmd = analyze(&out, NEW);
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect();
    let status = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -f 64; exec '{}' {}",
            env!("CARGO_BIN_EXE_baton"),
            args.join(" ")
        ))
        .status()
        .expect("bash");
    assert!(!status.success());
    assert_eq!(set(&out), old, "the old set is intact");
    // The next run finishes cleanly and clears what the stopped one left.
    assert!(analyze(&out, NEW).status().expect("runs").success());
    let new = set(&out);
    assert_ne!(new, old);
    assert_eq!(leftovers(&out), Vec::<String>::new());
}

#[test]
fn sigkill_at_any_moment_leaves_one_complete_set() {
    let tmp = tempfile::tempdir().expect("tmp");
    let reference = tmp.path().join("reference");
    assert!(analyze(&reference, NEW).status().expect("runs").success());
    let new = set(&reference);
    let out = tmp.path().join("out");
    assert!(analyze(&out, OLD).status().expect("runs").success());
    let old = set(&out);
    for delay_ms in [5u64, 40, 80, 120, 160, 200, 260, 320] {
        let mut child = analyze(&out, NEW).spawn().expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = set(&out);
        assert!(
            now == old || now == new,
            "after a kill at {delay_ms} ms the folder mixes the two sets"
        );
        // Back to the old set for the next round.
        assert!(analyze(&out, OLD).status().expect("runs").success());
        assert_eq!(set(&out), old);
    }
}
