//! Files a workspace names are regular files inside it: plugins, data files and asset texts
//! that lead elsewhere (absolute paths, `..`, symlinks), FIFOs and devices are refused at once,
//! and no error quotes what such a file holds.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

const LEADS: &str = "lead_id,created_at\nL1,2026-01-05T10:00:00Z\n";

/// A secret file outside the workspace, whose contents must never appear in an error.
fn secret(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("secret.txt");
    std::fs::write(&p, "(TOP-SECRET line of a private file\n").expect("secret");
    p
}

fn workspace(root: &Path, toml: &str) -> std::path::PathBuf {
    let ws = root.join("ws");
    std::fs::create_dir_all(&ws).expect("ws");
    std::fs::write(ws.join("leads.csv"), LEADS).expect("leads");
    std::fs::write(ws.join("baton.toml"), toml).expect("toml");
    ws
}

fn plugin_toml(path: &str) -> String {
    format!(
        "[[plugins]]\nname = \"p\"\npath = \"{path}\"\n\n[[qualification.sets]]\nname = \"S\"\n\n[[qualification.sets.criteria]]\nname = \"c\"\nplugin = \"p\"\n"
    )
}

/// Runs the analysis with a deadline: a hang is a failure, not a stuck test.
fn analyze(ws: &Path) -> Result<baton::Analyzed, String> {
    let ws = ws.to_path_buf();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = baton::analyze_dir_with(&ws, None, &Default::default(), None, true)
            .map_err(|e| e.to_string());
        let _ = send.send(r);
    });
    receive
        .recv_timeout(Duration::from_secs(30))
        .expect("the analysis neither hangs nor takes 30 s")
}

fn refused(ws: &Path, words: &str) {
    let began = Instant::now();
    let err = analyze(ws).expect_err("refused");
    assert!(err.contains(words), "{err:?} lacks {words:?}");
    assert!(!err.contains("TOP-SECRET"), "{err}");
    assert!(began.elapsed() < Duration::from_secs(10));
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok);
}

#[test]
fn plugin_paths_outside_the_workspace_are_refused() {
    let root = tempfile::tempdir().expect("tmp");
    let s = secret(root.path());
    let ws = workspace(root.path(), &plugin_toml(&s.display().to_string()));
    refused(&ws, "outside the workspace folder");
    let ws = workspace(root.path(), &plugin_toml("../secret.txt"));
    refused(&ws, "outside the workspace folder");
    let ws = workspace(root.path(), &plugin_toml("/etc/passwd"));
    refused(&ws, "resolves to /etc/passwd, outside the workspace folder");
    symlink(&s, ws.join("link.wasm")).expect("symlink");
    std::fs::write(ws.join("baton.toml"), plugin_toml("link.wasm")).expect("toml");
    refused(&ws, "link.wasm: resolves to");
}

#[test]
fn a_text_file_as_a_plugin_is_not_read_as_wat_nor_quoted() {
    let root = tempfile::tempdir().expect("tmp");
    let ws = workspace(root.path(), &plugin_toml("notes.wasm"));
    std::fs::write(ws.join("notes.wasm"), "(TOP-SECRET notes\nmore\n").expect("notes");
    let a = analyze(&ws).expect("the run goes on with the plugin refused");
    let report = serde_json::to_string(&a.report).expect("json");
    assert!(!report.contains("TOP-SECRET"));
    assert!(!a.scored_leads_csv.contains("TOP-SECRET"));
    assert!(!baton::output::markdown(&a.report).contains("TOP-SECRET"));
    assert!(report.contains("not a WebAssembly module"), "{report}");
    // A .wat file that does not parse: the message gives the position, not the line's text.
    std::fs::write(ws.join("bad.wat"), "(module (TOP-SECRET))\n").expect("wat");
    std::fs::write(ws.join("baton.toml"), plugin_toml("bad.wat")).expect("toml");
    let a = analyze(&ws).expect("refused plugin");
    let report = serde_json::to_string(&a.report).expect("json");
    assert!(!report.contains("TOP-SECRET"), "{report}");
    assert!(
        report.contains("invalid WAT text") && report.contains("line 1, column"),
        "{report}"
    );
}

#[test]
fn a_shared_plugin_folder_is_allowed_only_when_named() {
    let root = tempfile::tempdir().expect("tmp");
    let shared = root.path().join("shared");
    std::fs::create_dir_all(&shared).expect("shared");
    std::fs::write(shared.join("p.wat"), "(module)").expect("module");
    let path = shared.join("p.wat").display().to_string();
    let ws = workspace(root.path(), &plugin_toml(&path));
    refused(&ws, "outside the workspace folder");
    let toml = format!(
        "[workspace]\nplugin_dirs = [\"{}\"]\n\n{}",
        shared.display(),
        plugin_toml(&path)
    );
    std::fs::write(ws.join("baton.toml"), toml).expect("toml");
    let a = analyze(&ws).expect("allowed: refused only for its ABI");
    assert_eq!(
        a.report.plugins[0].failures_by_kind.get("abi_mismatch"),
        Some(&1)
    );
}

#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let root = tempfile::tempdir().expect("tmp");
    let ws = workspace(root.path(), &plugin_toml("pipe.wasm"));
    mkfifo(&ws.join("pipe.wasm"));
    refused(&ws, "pipe.wasm: is a FIFO (named pipe), not a regular file");
    let toml = format!(
        "[workspace]\nplugin_dirs = [\"/dev\"]\n\n{}",
        plugin_toml("/dev/zero")
    );
    std::fs::write(ws.join("baton.toml"), toml).expect("toml");
    refused(&ws, "/dev/zero: is a device, not a regular file");
    // A FIFO as a data file is an error, not a hang and not a file silently skipped.
    std::fs::write(ws.join("baton.toml"), "").expect("toml");
    mkfifo(&ws.join("events.csv"));
    refused(
        &ws,
        "events.csv: is a FIFO (named pipe), not a regular file",
    );
}

#[test]
fn data_files_symlinked_outside_are_refused_without_quoting_them() {
    let root = tempfile::tempdir().expect("tmp");
    let s = secret(root.path());
    let ws = workspace(root.path(), "");
    std::fs::remove_file(ws.join("leads.csv")).expect("rm");
    symlink(&s, ws.join("leads.csv")).expect("symlink");
    refused(&ws, "leads.csv: resolves to");
    std::fs::remove_file(ws.join("leads.csv")).expect("rm");
    symlink("/dev/zero", ws.join("leads.csv")).expect("symlink");
    refused(
        &ws,
        "leads.csv: resolves to /dev/zero, outside the workspace folder",
    );
}

#[test]
fn asset_texts_outside_the_workspace_or_not_regular_are_not_read() {
    let root = tempfile::tempdir().expect("tmp");
    let s = secret(root.path());
    let ws = workspace(root.path(), "");
    symlink(&s, ws.join("asset.md")).expect("symlink");
    mkfifo(&ws.join("pipe.md"));
    std::fs::write(
        ws.join("assets.csv"),
        "asset_id,title,owner_team,path\nA1,One,marketing,asset.md\nA2,Two,marketing,pipe.md\n",
    )
    .expect("assets");
    let a = analyze(&ws).expect("assets warned, run goes on");
    let dq = serde_json::to_string(&a.report.data_quality).expect("json");
    assert!(!dq.contains("TOP-SECRET"), "{dq}");
    assert!(dq.contains("asset.md: resolves to"), "{dq}");
    let assets = &a.report.data_quality.files["assets"];
    assert_eq!(assets.warnings[0].count, 2, "{dq}");
    assert_eq!(assets.warnings[0].lines, [2, 3], "{dq}");
    // The FIFO alone: refused as such, without blocking.
    std::fs::write(
        ws.join("assets.csv"),
        "asset_id,title,owner_team,path\nA2,Two,marketing,pipe.md\n",
    )
    .expect("assets");
    let a = analyze(&ws).expect("asset warned");
    let dq = serde_json::to_string(&a.report.data_quality).expect("json");
    assert!(
        dq.contains("pipe.md: is a FIFO (named pipe), not a regular file"),
        "{dq}"
    );
}
