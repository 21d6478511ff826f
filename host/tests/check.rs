//! `baton check` as a content repository's CI runs it: findings at their exact line and column,
//! the exit code by `--fail-on`, the formats (JSON, GitHub annotations, SARIF), audiences from
//! front matter and HTML, severities from `baton.toml`, and clear refusals of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo")
        .to_path_buf()
}

fn acme() -> PathBuf {
    root().join("examples/acme")
}

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("baton runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_retired_claim_fails_the_check_at_its_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let content = dir.path().join("content");
    std::fs::create_dir_all(content.join("blog")).expect("dirs");
    std::fs::write(
        content.join("blog/launch.md"),
        "---\ntitle: Launch\n---\n# Launch week\n\nOur API connects to\nyour CRM. Acme stays **free forever** for teams.\n",
    )
    .expect("write");
    std::fs::write(
        content.join("blog/ok.md"),
        "Teams cut onboarding time by 40%.\n",
    )
    .expect("write");
    std::fs::write(content.join("logo.svg"), "<svg/>").expect("write");
    std::fs::create_dir_all(content.join(".git")).expect("dirs");
    std::fs::write(content.join(".git/free.md"), "free forever").expect("write");
    let out = baton(&["check", s(&acme()), s(&content)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let launch = content.join("blog/launch.md");
    // Line 7: "your CRM. Acme stays **free forever** for teams." — "free" is the 24th character.
    assert_eq!(
        stdout(&out),
        format!(
            "{}:7:24: error: retired claim \"free forever\" (matched \"free forever\") [retired_claim]\n",
            launch.display()
        )
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("checked 2 files: 1 error, 0 warnings, 0 infos (1 other files skipped"),
        "{err}"
    );
    // The hidden folder is not entered; --fail-on never keeps the exit code 0.
    let never = baton(&["check", s(&acme()), s(&content), "--fail-on", "never"]);
    assert_eq!(never.status.code(), Some(0));
}

#[test]
fn findings_equal_the_shared_fixture() {
    // The same fixture the browser's checkMessage is held to (tests/npm/pack.test.mjs).
    let dir = root().join("tests/fixtures/messaging/check");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("json");
    let out = baton(&[
        "check",
        s(&acme()),
        s(&dir.join("draft.txt")),
        "--audience",
        "champion",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(run["files_checked"], 1);
    let got = run["findings"].as_array().expect("findings");
    let want = expected["findings"].as_array().expect("findings");
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(want) {
        for key in ["rule", "severity", "message", "span", "line", "column"] {
            assert_eq!(g[key], w[key], "{key} of {g:#}");
        }
    }
}

#[test]
fn github_annotations_and_sarif() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("page.html");
    std::fs::write(
        &file,
        "<html><body>\n<p>Guaranteed results, 100%: a 5x ROI.</p>\n</body></html>\n",
    )
    .expect("write");
    let gh = baton(&["check", s(&acme()), s(&file), "--format", "github"]);
    let text = stdout(&gh);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0],
        format!(
            "::error file={},line=2,col=4,endLine=2,endColumn=22,title=baton banned_claim::banned phrase \"guaranteed results\" (matched \"Guaranteed results\")",
            file.display()
        )
    );
    assert!(
        lines[1].ends_with("title=baton number_conflict::\"5x\" for pillar \"Proven ROI\" differs from the approved \"3x\""),
        "{}",
        lines[1]
    );
    let sarif = baton(&["check", s(&acme()), s(&file), "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif json");
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["name"], "baton");
    let r = &run["results"][1];
    assert_eq!(r["ruleId"], "number_conflict");
    assert_eq!(r["level"], "error");
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (
            region["startLine"].as_u64(),
            region["startColumn"].as_u64(),
            region["endColumn"].as_u64()
        ),
        (Some(2), Some(32), Some(34))
    );
    assert_eq!(region["snippet"]["text"], "5x");
}

#[test]
fn audiences_and_severities() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).expect("dirs");
    let toml = std::fs::read_to_string(acme().join("baton.toml"))
        .expect("acme")
        .split("# WebAssembly plugins")
        .next()
        .expect("config")
        .replace("retired_claim = \"error\"", "retired_claim = \"warning\"")
        .replace("off_message = \"warning\"", "off_message = \"off\"");
    std::fs::write(ws.join("baton.toml"), toml).expect("write");
    let md = dir.path().join("cfo.md");
    std::fs::write(
        &md,
        "---\naudience: economic_buyer\n---\nOnboarding is free forever.\n",
    )
    .expect("write");
    let html = dir.path().join("nothing.html");
    std::fs::write(
        &html,
        "<meta name=\"audience\" content=\"champion\"><p>Hello.</p>",
    )
    .expect("write");
    let out = baton(&["check", s(&ws), s(&md), s(&html)]);
    // Only warnings now: exit 0 at the default --fail-on error, 1 at --fail-on warning.
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert_eq!(
        text,
        format!(
            "{md}:1:1: warning: does not cover pillar \"Proven ROI\", required for audience \"economic_buyer\" [pillar_missed]\n\
             {md}:4:15: warning: retired claim \"free forever\" (matched \"free forever\") [retired_claim]\n\
             {html}:1:1: warning: does not cover pillar \"Faster onboarding\", required for audience \"champion\" [pillar_missed]\n\
             {html}:1:1: warning: does not cover pillar \"Integrates with your stack\", required for audience \"champion\" [pillar_missed]\n",
            md = md.display(),
            html = html.display()
        ),
        "off_message is off; the HTML file's audience comes from its meta tag"
    );
    let strict = baton(&["check", s(&ws), s(&md), "--fail-on", "warning"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn bad_input_is_refused_clearly() {
    let missing = baton(&["check", s(&acme()), "/nonexistent/content"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/content"));
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        (
            "[[messaging.pillars]]\nname = \"ROI\"\nsynonyms = [\"ROI\"]\n\n[[messaging.pillars]]\nname = \"roi\"\nsynonyms = [\"payback\"]\n",
            "messaging.pillars.1.name",
            "baton.toml:6:",
        ),
        (
            "[[messaging.pillars]]\nname = \"Empty\"\n",
            "messaging.pillars.0",
            "is empty",
        ),
        (
            "[[messaging.pillars]]\nname = \"ROI\"\nphrases = [\"3x ROI\",\n  \"the of 40%\"]\n",
            "messaging.pillars.0.phrases.1",
            "baton.toml:4:",
        ),
        (
            "[messaging.severity]\nretired_claim = \"fatal\"\n",
            "severity",
            "baton.toml:2",
        ),
    ];
    for (toml, key, detail) in cases {
        std::fs::write(dir.path().join("baton.toml"), toml).expect("write");
        let out = baton(&["check", s(dir.path()), s(&acme().join("baton.toml"))]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{toml}: {err}");
        assert!(err.contains(key) && err.contains(detail), "{toml}: {err}");
    }
}

#[test]
fn the_readme_example() {
    // README's `baton check examples/acme examples/content`, run from the repository root.
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .current_dir(root())
        .args(["check", "examples/acme", "examples/content"])
        .output()
        .expect("baton runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "examples/content/blog/launch.md:9:32: error: \"50%\" for pillar \"Faster onboarding\" differs from the approved \"40%\" [number_conflict]\n\
         examples/content/blog/launch.md:11:32: error: retired claim \"free forever\" (matched \"free forever\") [retired_claim]\n"
    );
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    for line in stdout(&out).lines() {
        assert!(readme.contains(line), "README shows {line:?}");
    }
}

#[test]
fn an_audience_no_pillar_lists_is_noted() {
    let dir = tempfile::tempdir().expect("tmp");
    let md = dir.path().join("typo.md");
    std::fs::write(
        &md,
        "---\naudience: champoin\n---\nWe cut onboarding time by 40%.\n",
    )
    .expect("write");
    let out = baton(&["check", s(&acme()), s(&md)]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "note: audience \"champoin\" (e.g. {}) is required by no pillar, so no pillar_missed is reported for it; pillars list champion, end_user, economic_buyer",
            md.display()
        )),
        "{err}"
    );
    let json = baton(&["check", s(&acme()), s(&md), "--format", "json"]);
    let run: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(run["unknown_audiences"][0][0], "champoin");
}

#[test]
fn a_fifo_in_a_folder_is_skipped_and_one_named_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("ok.md"),
        "Teams cut onboarding time by 40%.\n",
    )
    .expect("write");
    let fifo = dir.path().join("notes.md");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let out = baton(&["check", s(&acme()), s(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("checked 1 file: 0 errors, 0 warnings, 0 infos (1 other files skipped"),
        "{out:?}"
    );
    let named = baton(&["check", s(&acme()), s(&fifo)]);
    assert_eq!(named.status.code(), Some(2), "{named:?}");
    assert!(
        String::from_utf8_lossy(&named.stderr).contains("notes.md"),
        "{named:?}"
    );
}
