//! Fuzz targets, one per parser: CSV and NDJSON ingestion, a page's JSON rows, `baton.toml`, and
//! plugin verdicts. Engine: [bolero](https://github.com/camshaft/bolero), because its targets run
//! under plain `cargo test` on stable Rust (random inputs, a bounded count: the smoke mode in
//! the test command) and the very same targets run coverage-guided under `cargo bolero test`
//! (libFuzzer) for the long mode — see docs/fuzzing.md.
//!
//! Inputs are structure-aware: a seed from the shared fixtures with a few edits applied (insert
//! a token that matters to CSV, JSON, TOML or timestamps; delete, duplicate, splice or overwrite
//! bytes; swap or cut lines). Each target asserts what must hold for any input: no panic; an
//! error names the file (and, for `baton.toml`, a line inside it); every row read is either
//! accepted or rejected, per file and in total; an accepted configuration analyses the fixture
//! workspace; an accepted verdict is within its bounds.

use std::sync::{Arc, OnceLock};

use baton_core::plugins::{MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_REASONS, parse_verdict};
use baton_core::report::{AnalysisOptions, run};
use baton_core::{FileKind, Format, Framework, JsonRows, Loader, TextSource, Workspace};
use bolero::{check, generator::TypeGenerator};

/// Inputs per target in the smoke mode (`BOLERO_RANDOM_ITERATIONS` overrides it).
const SMOKE_ITERATIONS: usize = 1_000;

/// A token that changes how CSV, JSON, TOML or a timestamp reads.
#[derive(Debug, Clone, Copy, TypeGenerator)]
enum Token {
    /// One of [`TOKENS`].
    Listed(u8),
    /// Any one byte (maybe not UTF-8).
    Byte(u8),
    /// A run of one byte: a long field, a long token, many separators.
    Run(u8, u16),
    /// An integer as text.
    Integer(i64),
    /// A float as text (`inf`, `NaN` and exponents included).
    Float(f64),
}

/// Tokens that matter to the formats read here.
const TOKENS: &[&str] = &[
    "\"",
    ",",
    "\n",
    "\r\n",
    "\r",
    "\0",
    "\t",
    "\u{feff}",
    "{",
    "}",
    "[",
    "]",
    ":",
    "=",
    "#",
    "\\",
    " ",
    "'",
    "\"\"\"",
    "-",
    ".",
    "e",
    "1e308",
    "-0",
    "NaN",
    "inf",
    "null",
    "true",
    "false",
    "\"\"",
    "{}",
    "[]",
    "9999-12-30T00:00:00Z",
    "0000-01-01",
    "2026-03-08T02:30:00",
    "2026-11-01T01:30:00",
    "2026-03-02",
    "T",
    "Z",
    "+14:00",
    "é",
    "\u{202e}",
    "\u{1d518}",
    "\u{85}",
    "\u{2028}",
    "lead_id",
    "ts",
    "type",
    "channel",
    "created_at",
    "status",
    "won",
    "lost",
    "stage",
    "asset_id",
    "deal_id",
    "kind",
    "[[scoring.rules]]",
    "[[qualification.sets]]",
    "[sla.first_touch]",
    "[[plugins]]",
    "[calendar]",
    "[workspace]",
    "when",
    "fact",
    "operator",
    "matches",
    "points",
    "max_points",
    "(a+)+$",
    "a{100}{100}",
    "reasons",
    "qualified",
    "missing_data",
    "score_adjustment",
    "route_to",
];

/// One edit of a seed file.
#[derive(Debug, Clone, Copy, TypeGenerator)]
enum Edit {
    /// Insert a token at a position.
    Insert(u16, Token),
    /// Delete up to `len` bytes at a position.
    Delete(u16, u8),
    /// Repeat a range right after itself.
    Duplicate(u16, u8),
    /// Copy a range from one position to another.
    Splice(u16, u16, u8),
    /// Replace one byte.
    Overwrite(u16, u8),
    /// Swap two lines.
    SwapLines(u8, u8),
    /// Cut the file at a position.
    Truncate(u16),
}

/// A seed (by index, modulo the seeds there are) and the edits applied to it.
#[derive(Debug, Clone, TypeGenerator)]
struct Mutation {
    seed: u8,
    #[generator(bolero::generator::produce::<Vec<Edit>>().with().len(0usize..6))]
    edits: Vec<Edit>,
}

impl Token {
    fn bytes(self) -> Vec<u8> {
        match self {
            Token::Listed(i) => TOKENS[i as usize % TOKENS.len()].as_bytes().to_vec(),
            Token::Byte(b) => vec![b],
            Token::Run(b, n) => vec![b; n as usize % 5_000],
            Token::Integer(i) => i.to_string().into_bytes(),
            Token::Float(f) => f.to_string().into_bytes(),
        }
    }
}

/// `at` as a position in a buffer of `len` bytes (0..=len).
fn pos(at: u16, len: usize) -> usize {
    at as usize % (len + 1)
}

/// The seed with the edits applied, in order.
fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for &edit in edits {
        match edit {
            Edit::Insert(at, token) => {
                let at = pos(at, b.len());
                b.splice(at..at, token.bytes());
            }
            Edit::Delete(at, len) => {
                let at = pos(at, b.len());
                let end = (at + len as usize).min(b.len());
                b.drain(at..end);
            }
            Edit::Duplicate(at, len) => {
                let at = pos(at, b.len());
                let end = (at + len as usize).min(b.len());
                let copy = b[at..end].to_vec();
                b.splice(end..end, copy);
            }
            Edit::Splice(from, to, len) => {
                let from = pos(from, b.len());
                let end = (from + len as usize).min(b.len());
                let copy = b[from..end].to_vec();
                let to = pos(to, b.len());
                b.splice(to..to, copy);
            }
            Edit::Overwrite(at, byte) => {
                if !b.is_empty() {
                    let at = at as usize % b.len();
                    b[at] = byte;
                }
            }
            Edit::SwapLines(x, y) => {
                let mut lines: Vec<Vec<u8>> =
                    b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect();
                let (x, y) = (x as usize % lines.len(), y as usize % lines.len());
                lines.swap(x, y);
                b = lines.join(&b'\n');
            }
            Edit::Truncate(at) => b.truncate(pos(at, b.len())),
        }
    }
    b
}

/// The repository's root.
fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file of the fixture workspaces, read once.
fn fixture(path: &str) -> Vec<u8> {
    let full = repo().join("tests/fixtures").join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The dirty fixture: one example of every kind of bad row, in every file kind.
struct Seeds {
    framework: Arc<Framework>,
    csv: Vec<(FileKind, Vec<u8>)>,
    ndjson: Vec<(FileKind, Vec<u8>)>,
    tomls: Vec<Vec<u8>>,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let toml = fixture("dirty/baton.toml");
        let text = String::from_utf8(toml.clone()).expect("UTF-8");
        let framework = Arc::new(Framework::from_toml("baton.toml", &text).expect("valid"));
        let csv = FileKind::ALL
            .into_iter()
            .map(|k| (k, fixture(&format!("dirty/{}.csv", k.stem()))))
            .collect();
        let ndjson = [FileKind::Leads, FileKind::Events, FileKind::Deals]
            .into_iter()
            .map(|k| (k, fixture(&format!("fuzz/{}.ndjson", k.stem()))))
            .collect();
        let tomls = vec![
            toml,
            std::fs::read(repo().join("examples/acme/baton.toml")).expect("acme baton.toml"),
            fixture("plugins/baton.toml"),
        ];
        Seeds {
            framework,
            csv,
            ndjson,
            tomls,
        }
    })
}

/// Asset texts: every path reads as one short text.
struct Texts;
impl TextSource for Texts {
    fn read_text(&self, _path: &str) -> Result<String, String> {
        Ok("Open with the customer problem. We cut onboarding time by 40%.".into())
    }
}

/// Every row read was accepted or rejected, per file and in total.
fn assert_counted(ws: &Workspace) {
    let dq = &ws.data_quality;
    for (kind, f) in &dq.files {
        assert_eq!(f.rows, f.accepted + f.rejected, "{kind}: {f:?}");
        let findings: u64 = f.rejections.iter().map(|r| r.count).sum();
        assert_eq!(findings, f.rejected, "{kind}: rejections {f:?}");
    }
    let rows: u64 = dq.files.values().map(|f| f.rows).sum();
    let accepted: u64 = dq.files.values().map(|f| f.accepted).sum();
    assert_eq!((dq.rows, dq.accepted), (rows, accepted), "{dq:?}");
    assert_eq!(dq.rows, dq.accepted + dq.rejected, "{dq:?}");
    assert!(ws.leads.len() as u64 <= dq.files["leads"].accepted);
}

/// Every line a finding names is a line of the file.
fn assert_lines_inside(file: &baton_core::quality::FileQuality, bytes: &[u8]) {
    let breaks = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
    for f in file.rejections.iter().chain(&file.warnings) {
        assert!(f.lines.iter().all(|&l| 1 <= l && l <= breaks + 1), "{f:?}");
    }
}

/// The whole analysis runs on what was accepted, and its report serializes.
fn assert_analyses(ws: &Workspace) {
    let as_of = match ws.latest_timestamp() {
        Some(t) => t,
        None => return,
    };
    if let Ok(analysis) = run(ws, as_of, &AnalysisOptions::default(), None) {
        serde_json::to_string(&analysis.report).expect("the report serializes");
        for s in &analysis.scores {
            assert!(s.score.is_finite(), "score {s:?}");
        }
    }
}

/// Loads the fixture workspace with `file` replaced by `bytes`; an error must name that file.
fn load_with(kind: FileKind, format: Format, bytes: &[u8]) -> Option<Workspace> {
    let seeds = seeds();
    let mut loader = Loader::new(seeds.framework.clone());
    let ext = if format == Format::Csv {
        "csv"
    } else {
        "ndjson"
    };
    let name = format!("{}.{ext}", kind.stem());
    for (k, seed) in &seeds.csv {
        let (file, data, fmt) = if *k == kind {
            (name.clone(), bytes, format)
        } else {
            (format!("{}.csv", k.stem()), &seed[..], Format::Csv)
        };
        if let Err(e) = loader.add(*k, &file, fmt, data) {
            assert!(e.to_string().starts_with(&file), "{e}");
            return None;
        }
    }
    match loader.finish(&Texts) {
        Ok(ws) => Some(ws),
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.starts_with(&name) || text.starts_with("no leads file"),
                "{text}"
            );
            None
        }
    }
}

/// One input of the ingestion targets: a seed file mutated, loaded with the other seeds.
fn ingest(format: Format, seeds: &[(FileKind, Vec<u8>)], m: &Mutation) {
    let (kind, seed) = &seeds[m.seed as usize % seeds.len()];
    let bytes = mutate(seed, &m.edits);
    if let Some(ws) = load_with(*kind, format, &bytes) {
        assert_counted(&ws);
        assert_lines_inside(&ws.data_quality.files[kind.stem()], &bytes);
        assert_analyses(&ws);
    }
}

#[test]
fn csv_ingestion() {
    check!()
        .with_type::<Mutation>()
        .with_iterations(SMOKE_ITERATIONS)
        .for_each(|m| ingest(Format::Csv, &seeds().csv, m));
}

#[test]
fn ndjson_ingestion() {
    check!()
        .with_type::<Mutation>()
        .with_iterations(SMOKE_ITERATIONS)
        .for_each(|m| ingest(Format::Ndjson, &seeds().ndjson, m));
}

/// A page's lead and events as JSON text (the browser's path) read as the same NDJSON lines.
#[test]
fn json_rows() {
    check!()
        .with_type::<Mutation>()
        .with_iterations(SMOKE_ITERATIONS)
        .for_each(|m| {
            let all = seeds();
            let (kind, seed) = &all.ndjson[m.seed as usize % all.ndjson.len()];
            let text = String::from_utf8_lossy(&mutate(seed, &m.edits)).into_owned();
            // One line of objects as a JSON array: `[{...},{...}]`.
            let array = format!("[{}]", text.trim().replace('\n', ","));
            for text in [array.as_str(), text.lines().next().unwrap_or("")] {
                let Ok(rows) = JsonRows::parse(*kind, text, &[]) else {
                    continue;
                };
                let n = rows.len() as u64;
                let mut loader = Loader::new(all.framework.clone());
                if *kind != FileKind::Leads {
                    loader
                        .add(FileKind::Leads, "leads.csv", Format::Csv, &all.csv[0].1[..])
                        .expect("seed leads");
                }
                let name = format!("{}.ndjson", kind.stem());
                if loader.add_json_rows(&name, rows).is_ok()
                    && let Ok(ws) = loader.finish(&Texts)
                {
                    assert_counted(&ws);
                    assert_eq!(ws.data_quality.files[kind.stem()].rows, n);
                }
            }
        });
}

/// `baton.toml`: refused with the file and a line inside it, or accepted and the fixture
/// workspace analyses under it.
#[test]
fn baton_toml() {
    check!()
        .with_type::<Mutation>()
        .with_iterations(SMOKE_ITERATIONS)
        .for_each(|m| {
            let tomls = &seeds().tomls;
            let bytes = mutate(&tomls[m.seed as usize % tomls.len()], &m.edits);
            let Ok(text) = String::from_utf8(bytes) else {
                return;
            };
            match Framework::from_toml("baton.toml", &text) {
                Err(e) => {
                    assert_eq!(e.file, "baton.toml");
                    assert!(!e.message.is_empty());
                    let lines = text.split('\n').count();
                    assert!(e.line <= lines, "line {} of {lines}: {e}", e.line);
                }
                Ok(framework) => {
                    let mut loader = Loader::new(framework);
                    let all_read = seeds().csv.iter().all(|(k, seed)| {
                        let file = format!("{}.csv", k.stem());
                        loader.add(*k, &file, Format::Csv, &seed[..]).is_ok()
                    });
                    if all_read && let Ok(ws) = loader.finish(&Texts) {
                        assert_counted(&ws);
                        assert_analyses(&ws);
                    }
                }
            }
        });
}

/// Plugin verdicts: refused as `invalid_output`, or within every bound.
#[test]
fn plugin_verdicts() {
    const VERDICTS: &[&str] = &[
        r#"{"qualified":true,"reasons":["fits the enterprise profile"],"missing_data":[]}"#,
        r#"{"qualified":null,"missing_data":["budget","authority"],"reasons":[]}"#,
        r#"{"score_adjustment":12.5,"reasons":["big account"],"route_to":"enterprise"}"#,
        r#"{"qualified":false,"score_adjustment":-3e2,"reasons":["a","b"],"route_to":"smb"}"#,
    ];
    let toml = fixture("plugins/baton.toml");
    let framework = Framework::from_toml("baton.toml", std::str::from_utf8(&toml).expect("UTF-8"))
        .expect("valid");
    let plugins = &framework.config.plugins;
    assert!(
        plugins.len() >= 2,
        "a criterion and a score_adjustment plugin"
    );
    check!()
        .with_type::<(Mutation, bool)>()
        .with_iterations(SMOKE_ITERATIONS * 4)
        .for_each(|(m, second)| {
            let seed = VERDICTS[m.seed as usize % VERDICTS.len()].as_bytes();
            let output = mutate(seed, &m.edits);
            let plugin = &plugins[usize::from(*second)];
            match parse_verdict(plugin, &output, 100.0) {
                Err(f) => assert!(!f.message.is_empty()),
                Ok(v) => {
                    assert!(v.reasons.len() <= MAX_REASONS);
                    let printable = |s: &str, max: usize| {
                        s.chars().count() <= max && !s.chars().any(char::is_control)
                    };
                    assert!(
                        v.reasons.iter().all(|r| printable(r, MAX_REASON_CHARS)),
                        "{v:?}"
                    );
                    assert!(v.missing_data.iter().all(|r| printable(r, MAX_NAME_CHARS)));
                    assert!(v.route_to.iter().all(|r| printable(r, MAX_NAME_CHARS)));
                    if let Some(x) = v.score_adjustment {
                        assert!(x.is_finite() && x.abs() <= 1000.0, "{x}");
                    }
                }
            }
        });
}

/// What the verdict target found: a criterion's `score_adjustment` is never applied, so it is
/// dropped rather than summed into the plugin summary (`1e308` twice made `inf`).
#[test]
fn a_criterion_plugins_adjustment_is_dropped() {
    let toml = fixture("plugins/baton.toml");
    let framework = Framework::from_toml("baton.toml", std::str::from_utf8(&toml).expect("UTF-8"))
        .expect("valid");
    let criterion = &framework.config.plugins[0];
    assert_eq!(criterion.role, baton_core::config::PluginRole::Criterion);
    let v = parse_verdict(
        criterion,
        br#"{"qualified":true,"score_adjustment":1e308}"#,
        100.0,
    )
    .expect("a criterion verdict");
    assert_eq!((v.qualified, v.score_adjustment), (Some(true), None));
}

/// `baton check`'s reading of a file and core's check of it: Markdown, HTML and text, mutated,
/// read as each of the three. The prose keeps the file's length in characters; every span a
/// finding or a pillar's evidence names lies inside it and is the text at those characters;
/// whole-text findings come first; numbers are finite.
#[test]
fn messaging_files() {
    use baton_core::messaging::Lexicon;
    use baton_core::messaging::markup::{Markup, prose};
    static LEXICON: OnceLock<(Lexicon, Vec<Vec<u8>>)> = OnceLock::new();
    let (lexicon, files) = LEXICON.get_or_init(|| {
        let toml = String::from_utf8(
            std::fs::read(repo().join("examples/acme/baton.toml")).expect("acme"),
        )
        .expect("UTF-8");
        let framework = Framework::from_toml("baton.toml", &toml).expect("valid");
        let lexicon = Lexicon::from_config(&framework.config.messaging).expect("english");
        let files = [
            "examples/content/blog/launch.md",
            "examples/content/blog/security.md",
            "tests/fixtures/messaging/check/draft.txt",
            "tests/fixtures/fuzz/page.html",
        ]
        .iter()
        .map(|f| std::fs::read(repo().join(f)).expect("seed"))
        .collect();
        (lexicon, files)
    });
    check!()
        .with_type::<Mutation>()
        .with_iterations(SMOKE_ITERATIONS)
        .for_each(|m| {
            let bytes = mutate(&files[m.seed as usize % files.len()], &m.edits);
            let source = String::from_utf8_lossy(&bytes);
            for markup in [Markup::Markdown, Markup::Html, Markup::Plain] {
                let p = prose(&source, markup);
                let chars: Vec<char> = p.text.chars().collect();
                assert_eq!(chars.len(), source.chars().count(), "{markup:?}");
                let check = lexicon.check(&p.text, p.audience.as_deref().unwrap_or("champion"));
                let at = |s: &baton_core::messaging::Span| {
                    assert!(s.start <= s.end && s.end <= chars.len(), "{s:?}");
                    assert_eq!(chars[s.start..s.end].iter().collect::<String>(), s.text);
                };
                let mut placed = false;
                for f in &check.findings {
                    match &f.span {
                        Some(s) => {
                            at(s);
                            placed = true;
                        }
                        None => assert!(!placed, "a whole-text finding after a placed one"),
                    }
                }
                for h in &check.pillars_hit {
                    h.evidence.iter().for_each(at);
                }
                for n in &check.conflicts {
                    at(&n.span);
                    assert!(n.value.is_finite());
                }
                assert!((0.0..=100.0).contains(&check.score));
            }
        });
}
