//! `baton check`: the messaging audit as a linter for the files marketing and sales write
//! (Markdown, HTML, plain text): each finding of core's `Lexicon::check` placed at its file,
//! line and column, printed for people, as JSON, as GitHub annotations or as SARIF.

use std::path::{Path, PathBuf};

use baton_core::config::Severity;
use baton_core::messaging::markup::{self, Markup};
use baton_core::messaging::{Lexicon, MessageFinding, MessageRule};
use serde::Serialize;

use crate::HostError;
use crate::files::{FileError, read_capped};

/// The largest file `baton check` reads.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Folders a directory walk does not enter.
const SKIPPED_DIRS: &[&str] = &["node_modules", "target", "vendor"];

/// The files to check: each named file, and the Markdown, HTML and text files under each named
/// folder (hidden entries and dependency folders skipped), in path order; and how many other
/// files (other types, FIFOs, sockets) the folders held.
pub fn collect(paths: &[PathBuf]) -> Result<(Vec<(PathBuf, Markup)>, usize), HostError> {
    let (mut files, mut other) = (Vec::new(), 0);
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| HostError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut files, &mut other)?;
        } else {
            // A file named on the command line is read as plain text unless its name says more.
            let markup = extension(path)
                .and_then(Markup::of_extension)
                .unwrap_or(Markup::Plain);
            files.push((path.clone(), markup));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    Ok((files, other))
}

fn extension(path: &Path) -> Option<&str> {
    path.extension().and_then(|e| e.to_str())
}

fn walk(
    dir: &Path,
    files: &mut Vec<(PathBuf, Markup)>,
    other: &mut usize,
) -> Result<(), HostError> {
    let io = |source| HostError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_ref()) {
                walk(&path, files, other)?;
            }
        } else if let Some(markup) = extension(&path)
            .and_then(Markup::of_extension)
            .filter(|_| kind.is_file() || kind.is_symlink())
        {
            files.push((path, markup));
        } else {
            *other += 1;
        }
    }
    Ok(())
}

/// A finding placed in a file: 1-based line and column (in characters); the end is exclusive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placed {
    /// The file, as named or found.
    pub file: String,
    /// Line of the start.
    pub line: usize,
    /// Column of the start (characters, from 1).
    pub column: usize,
    /// Line of the end.
    pub end_line: usize,
    /// Column just past the end.
    pub end_column: usize,
    /// The finding (rule, severity, message, span in characters from the file's start).
    #[serde(flatten)]
    pub finding: MessageFinding,
}

/// What one `baton check` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRun {
    /// Files checked.
    pub files_checked: usize,
    /// Files in the folders that are not Markdown, HTML or text (not checked).
    pub files_skipped: usize,
    /// Every finding, by file, then position.
    pub findings: Vec<Placed>,
    /// Audiences files declared (or `--audience` gave) that no pillar is required for — a typo,
    /// or pillars without `audiences`: (audience, the first file that declared it).
    pub unknown_audiences: Vec<(String, String)>,
}

impl CheckRun {
    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.finding.severity == severity)
            .count()
    }
}

/// Checks the files (on every core): the file's declared audience, or `audience` when it
/// declares none.
pub fn check(
    lexicon: &Lexicon,
    files: &[(PathBuf, Markup)],
    skipped: usize,
    audience: Option<&str>,
) -> Result<CheckRun, HostError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    type FileResult = Result<Vec<(Vec<Placed>, Option<(String, String)>)>, HostError>;
    let results: Vec<FileResult> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (path, markup) in part {
                        let (placed, declared) = check_file(lexicon, path, *markup, audience)?;
                        out.push((placed, declared.map(|a| (a, path.display().to_string()))));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(HostError::Input("a check thread panicked".into())))
            })
            .collect()
    });
    let mut findings = Vec::new();
    let mut unknown_audiences: Vec<(String, String)> = Vec::new();
    for (placed, declared) in results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
    {
        if let Some((a, file)) = declared
            && !lexicon.knows_audience(&a)
            && !unknown_audiences
                .iter()
                .any(|(known, _)| known.eq_ignore_ascii_case(&a))
        {
            unknown_audiences.push((a, file));
        }
        findings.extend(placed);
    }
    Ok(CheckRun {
        files_checked: files.len(),
        files_skipped: skipped,
        findings,
        unknown_audiences,
    })
}

/// One file's findings, and the audience it was checked for (if any).
pub fn check_file(
    lexicon: &Lexicon,
    path: &Path,
    markup: Markup,
    audience: Option<&str>,
) -> Result<(Vec<Placed>, Option<String>), HostError> {
    let name = path.display().to_string();
    // Opened as every file Baton reads: without blocking, a regular file or an error naming it
    // (a FIFO called `notes.md` must not hang the run).
    let file = crate::files::open_regular(path, &name).map_err(|e| match e {
        FileError::Io { source, .. } => HostError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => other.into(),
    })?;
    let bytes = read_capped(file, &name, MAX_FILE_BYTES, "file to check").map_err(|e| match e {
        FileError::Io { source, .. } => HostError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => other.into(),
    })?;
    let (source, _) = crate::text_encoding::decode_file(&bytes);
    let prose = markup::prose(&source, markup);
    let declared = prose.audience.as_deref().or(audience).map(str::to_string);
    let check = lexicon.check(&prose.text, declared.as_deref().unwrap_or(""));
    let starts = markup::line_starts(&source);
    let placed = check
        .findings
        .into_iter()
        .map(|finding| {
            let (start, end) = finding.span.as_ref().map_or((0, 0), |s| (s.start, s.end));
            let (line, column) = markup::line_col(&starts, start);
            let (end_line, end_column) = markup::line_col(&starts, end);
            Placed {
                file: name.clone(),
                line,
                column,
                end_line,
                end_column,
                finding,
            }
        })
        .collect();
    Ok((placed, declared))
}

/// How `baton check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `file:line:col: severity: message [rule]`, one a line.
    Text,
    /// One JSON document ([`CheckRun`]).
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`): annotations on the diff.
    Github,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// The findings in a format.
pub fn render(run: &CheckRun, format: Format) -> String {
    match format {
        Format::Text => run
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{}: {}: {} [{}]\n",
                    f.file,
                    f.line,
                    f.column,
                    f.finding.severity.as_str(),
                    f.finding.message,
                    f.finding.rule.as_str()
                )
            })
            .collect(),
        Format::Json => json(run),
        Format::Github => run.findings.iter().map(github).collect(),
        Format::Sarif => sarif(run),
    }
}

fn json(run: &CheckRun) -> String {
    serde_json::to_string_pretty(run).unwrap_or_default() + "\n"
}

/// GitHub's escaping of a workflow command's message and of its properties.
fn escape(text: &str, property: bool) -> String {
    let mut out = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn github(f: &Placed) -> String {
    let level = match f.finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Off => "notice",
    };
    let mut props = format!(
        "file={},line={},col={}",
        escape(&f.file, true),
        f.line,
        f.column
    );
    if f.finding.span.is_some() {
        props += &format!(",endLine={},endColumn={}", f.end_line, f.end_column);
    }
    format!(
        "::{level} {props},title={}::{}\n",
        escape(&format!("baton {}", f.finding.rule.as_str()), true),
        escape(&f.finding.message, false)
    )
}

const RULES: [(MessageRule, &str); 5] = [
    (
        MessageRule::RetiredClaim,
        "A retired claim is still in use.",
    ),
    (MessageRule::BannedClaim, "A banned phrase is used."),
    (
        MessageRule::NumberConflict,
        "A number differs from the one its pillar approves.",
    ),
    (
        MessageRule::OffMessage,
        "The text covers no messaging pillar.",
    ),
    (
        MessageRule::PillarMissed,
        "A pillar required for the text's audience is not covered.",
    ),
];

fn sarif(run: &CheckRun) -> String {
    use serde_json::json;
    let results: Vec<serde_json::Value> = run
        .findings
        .iter()
        .map(|f| {
            let mut region = json!({ "startLine": f.line, "startColumn": f.column });
            if let Some(span) = &f.finding.span {
                region["endLine"] = json!(f.end_line);
                region["endColumn"] = json!(f.end_column);
                region["snippet"] = json!({ "text": span.text });
            }
            json!({
                "ruleId": f.finding.rule.as_str(),
                "level": match f.finding.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info | Severity::Off => "note",
                },
                "message": { "text": f.finding.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.replace('\\', "/") },
                        "region": region,
                    }
                }],
            })
        })
        .collect();
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|(rule, text)| json!({ "id": rule.as_str(), "shortDescription": { "text": text } }))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "baton",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A note for stderr on each audience no pillar is required for (empty when there is none).
pub fn audience_notes(run: &CheckRun, lexicon: &Lexicon) -> String {
    let known = lexicon.audiences();
    run.unknown_audiences
        .iter()
        .map(|(a, file)| {
            let listed = if known.is_empty() {
                "no pillar lists `audiences`".to_string()
            } else {
                format!("pillars list {}", known.join(", "))
            };
            format!("note: audience {a:?} (e.g. {file}) is required by no pillar, so no pillar_missed is reported for it; {listed}\n")
        })
        .collect()
}

/// A one-line summary for stderr.
pub fn summary(run: &CheckRun) -> String {
    let skipped = if run.files_skipped > 0 {
        format!(
            " ({} other files skipped: not Markdown, HTML or text)",
            run.files_skipped
        )
    } else {
        String::new()
    };
    let n = |count: usize, one: &str| format!("{count} {one}{}", if count == 1 { "" } else { "s" });
    format!(
        "checked {}: {}, {}, {}{skipped}",
        n(run.files_checked, "file"),
        n(run.count(Severity::Error), "error"),
        n(run.count(Severity::Warning), "warning"),
        n(run.count(Severity::Info), "info"),
    )
}

/// True when a finding is at or above `fail_on` (`None`: never fail).
pub fn fails(run: &CheckRun, fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|level| run.findings.iter().any(|f| f.finding.severity >= level))
}
