//! Baton's engine: reads a sales-and-marketing workspace and answers where the handoff hurts.
//!
//! The core is pure: it never opens a file, reads the clock, spawns a thread or touches JS.
//! Callers hand it readers and an `as_of` instant; it returns values. The same code runs in the
//! native `baton` CLI and in the browser through `baton-wasm`, with byte-identical results.

pub mod attribution;
pub mod calendar;
pub mod cells;
pub mod chassis;
pub mod conditions;
pub mod config;
pub mod content;
pub mod feedback;
pub mod forecast;
pub mod handoff;
pub mod ingest;
pub mod journey;
pub mod lead_quality;
pub mod live;
pub mod messaging;
pub mod model;
pub mod numerals;
pub mod order;
pub mod outcomes;
pub mod plugins;
pub mod predictive;
pub mod program;
pub mod qualification;
pub mod quality;
pub mod recommendations;
mod records;
pub mod report;
pub mod schema;
pub mod scoring;
pub mod scoring_review;
pub mod stats;
pub mod symbols;
pub mod text;
pub mod time;

pub use config::{Config, ConfigError, Framework};
pub use ingest::{FileKind, IngestError, Loader, NoTexts, TextSource};
pub use model::Workspace;
pub use records::{FileRow, Format, JsonRows, read_file_rows, sniff_separator};
pub use report::{Report, analyze};
pub use time::Instant;

/// Any error the engine reports to its callers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `baton.toml` is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A workspace file cannot be read as a whole.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A file name that is not a workspace file.
    #[error(
        "{0}: not a workspace file (expected leads, events, stages, deals, assets or feedback, as .csv, .ndjson or .jsonl)"
    )]
    UnknownFile(String),
    /// A scoring, qualification or routing rule does not fit the data's facts.
    #[error(transparent)]
    Rule(#[from] conditions::RuleError),
    /// A time given by the caller could not be read.
    #[error("{what}: {text:?} is not an RFC 3339 timestamp")]
    BadTime {
        /// What the time was for.
        what: String,
        /// The text given.
        text: String,
    },
    /// A value handed to the engine by a caller (a page, a host) is not what it expects.
    #[error("{what}: {message}")]
    Input {
        /// What the value was for, e.g. `lead`.
        what: String,
        /// What is wrong with it.
        message: String,
    },
}

impl Error {
    /// A stable machine-readable code for the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Ingest(IngestError::MissingColumn { .. }) => "missing_column",
            Error::Ingest(IngestError::NoLeads) => "no_leads",
            Error::Ingest(_) => "unreadable",
            Error::UnknownFile(_) => "unknown_file",
            Error::BadTime { .. } => "bad_time",
            Error::Rule(_) => "rule",
            Error::Input { .. } => "input",
        }
    }
}

/// The kind and format of a workspace file from its name (`events.csv`, `leads.ndjson`, ...).
pub fn classify_file(name: &str) -> Option<(FileKind, Format)> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let format = Format::from_file_name(base)?;
    let stem = base.split('.').next()?;
    Some((FileKind::from_stem(&stem.to_ascii_lowercase())?, format))
}

/// Loads a workspace from in-memory files (name → contents), as the browser build does.
pub fn load_from_memory<'a>(
    framework: impl Into<std::sync::Arc<Framework>>,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    texts: &dyn TextSource,
) -> Result<Workspace, Error> {
    let mut loader = Loader::new(framework);
    for (name, bytes) in files {
        let (kind, format) = classify_file(name).ok_or_else(|| Error::UnknownFile(name.into()))?;
        loader.add(kind, name, format, bytes)?;
    }
    Ok(loader.finish(texts)?)
}

/// Builds a workspace from rows given as JSON text ([`JsonRows`]: a page's lead and events).
pub fn load_from_json_rows<'a>(
    framework: impl Into<std::sync::Arc<Framework>>,
    files: impl IntoIterator<Item = (&'a str, JsonRows)>,
) -> Result<Workspace, Error> {
    let mut loader = Loader::new(framework);
    for (name, rows) in files {
        loader.add_json_rows(name, rows)?;
    }
    Ok(loader.finish(&NoTexts)?)
}
