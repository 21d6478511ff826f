//! A workspace on disk: `baton.toml` plus data files, streamed into the engine.

use std::io::{BufRead, BufReader, Read};

use crate::text_encoding::TextEncoding;
use std::path::{Component, Path, PathBuf};

use baton_core::{FileKind, Framework, Loader, TextSource, Workspace, classify_file};
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::HostError;
use crate::files::{Confinement, FileError};

/// Largest asset text (`assets.path`) read: 8 MiB.
pub const MAX_ASSET_BYTES: u64 = 8 << 20;
/// Largest `baton.toml` read: 4 MiB.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Reads asset files named by `assets.path`, confined to the workspace folder.
#[derive(Debug, Clone)]
pub struct DirTexts {
    root: PathBuf,
}

impl DirTexts {
    /// Asset texts under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl TextSource for DirTexts {
    fn read_text(&self, path: &str) -> Result<String, String> {
        let rel = Path::new(path);
        if rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(format!(
                "{path}: asset paths must stay inside the workspace (no absolute paths or `..`)"
            ));
        }
        let read = Confinement::new(&self.root, &[])
            .and_then(|c| c.read(path, MAX_ASSET_BYTES, "an asset text"));
        match read {
            Ok(bytes) => String::from_utf8(bytes)
                .map_err(|_| format!("{path}: not UTF-8 text (asset texts are UTF-8)")),
            Err(FileError::NotFound { .. }) => {
                Err(format!("{path}: no such file in the workspace"))
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Reads `baton.toml` from `dir`, or the defaults when there is none.
pub fn load_framework(dir: &Path) -> Result<Framework, HostError> {
    load_framework_and_text(dir).map(|(framework, _)| framework)
}

/// As [`load_framework`], with the text it was read from (`None`: no `baton.toml`, the defaults).
pub fn load_framework_and_text(dir: &Path) -> Result<(Framework, Option<String>), HostError> {
    let path = dir.join("baton.toml");
    let confined = Confinement::new(dir, &[])?;
    match confined.read("baton.toml", MAX_CONFIG_BYTES, "baton.toml") {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|e| {
                HostError::Input(format!(
                    "{}: not UTF-8 text (byte {} is not valid UTF-8)",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            let framework = Framework::from_toml(&path.display().to_string(), &text)
                .map_err(baton_core::Error::from)?;
            Ok((framework, Some(text)))
        }
        Err(FileError::NotFound { .. }) => Ok((
            Framework::from_config(Default::default()).map_err(baton_core::Error::from)?,
            None,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The data files of a workspace folder, in name order, and the files that were not recognised.
/// A data file's name that leads outside the folder (a symlink) or to anything but a regular
/// file (a FIFO, a device) is an error, not a file to read or skip.
pub fn data_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), HostError> {
    let entries = std::fs::read_dir(dir).map_err(|e| HostError::io(dir, e))?;
    let confined = Confinement::new(dir, &[])?;
    let mut data = Vec::new();
    let mut other = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| HostError::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if classify_file(&name).is_some() {
            let resolved = confined.resolve(&name)?;
            drop(crate::files::open_regular(&resolved, &name)?);
            data.push(path);
            continue;
        }
        if path.is_file()
            && (name.ends_with(".csv") || name.ends_with(".ndjson") || name.ends_with(".jsonl"))
        {
            other.push(path);
        }
    }
    data.sort();
    other.sort();
    Ok((data, other))
}

/// A data file's bytes as UTF-8: streamed as they are when the file starts as UTF-8, decoded
/// whole (with a warning naming the encoding) when it is UTF-16 or Windows-1252.
fn decoded_reader(
    path: &Path,
    name: &str,
    mut reader: BufReader<std::fs::File>,
) -> Result<Box<dyn Read>, HostError> {
    let len = reader.get_ref().metadata().map_or(u64::MAX, |m| m.len());
    let head = reader.fill_buf().map_err(|e| HostError::io(path, e))?;
    let encoding = TextEncoding::sniff(head, head.len() as u64 >= len);
    if encoding == TextEncoding::Utf8 {
        return Ok(Box::new(reader));
    }
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| HostError::io(path, e))?;
    eprintln!("warning: {name}: not UTF-8; read as {encoding}");
    Ok(Box::new(std::io::Cursor::new(
        encoding.decode(&bytes).into_owned().into_bytes(),
    )))
}

/// A data file's whole text as UTF-8 bytes (decoded as [`load_workspace`] decodes it).
pub fn read_data_file(path: &Path, name: &str) -> Result<Vec<u8>, HostError> {
    let file = crate::files::open_regular(path, name)?;
    let mut reader = decoded_reader(path, name, BufReader::with_capacity(1 << 20, file))?;
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| HostError::io(path, e))?;
    Ok(bytes)
}

/// Loads a workspace folder, streaming each file (progress on stderr unless `quiet`).
pub fn load_workspace(dir: &Path, quiet: bool) -> Result<Workspace, HostError> {
    load_workspace_of(dir, quiet, |_| true)
}

/// Loads a workspace folder with only the files of the kinds `wanted` picks (the others are
/// left unread, as if absent): for a command that needs some of the data, such as `baton
/// score`.
pub fn load_workspace_of(
    dir: &Path,
    quiet: bool,
    wanted: impl Fn(FileKind) -> bool,
) -> Result<Workspace, HostError> {
    if !dir.is_dir() {
        return Err(HostError::Input(format!(
            "{}: not a workspace folder (expected a folder with baton.toml and leads.csv)",
            dir.display()
        )));
    }
    let framework = load_framework(dir)?;
    let (mut files, unknown) = data_files(dir)?;
    files.retain(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        classify_file(&name).is_none_or(|(kind, _)| wanted(kind))
    });
    for path in &unknown {
        eprintln!(
            "warning: {}: not a workspace file name (leads, events, stages, deals, assets, feedback); skipped",
            path.display()
        );
    }
    let total: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} reading {msg:12} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    };
    let mut loader = Loader::new(framework);
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Some((kind, format)) = classify_file(&name) else {
            continue;
        };
        bar.set_message(name.clone());
        let file = crate::files::open_regular(path, &name)?;
        if let Ok(meta) = file.metadata() {
            loader.expect_bytes(kind, meta.len());
        }
        let reader = decoded_reader(path, &name, BufReader::with_capacity(1 << 20, file))?;
        let reader = bar.wrap_read(reader);
        let t0 = std::time::Instant::now();
        loader
            .add(kind, &name, format, reader)
            .map_err(baton_core::Error::from)?;
        if std::env::var_os("BATON_TIMINGS").is_some() {
            eprintln!("timing: {name}: {:.2} s", t0.elapsed().as_secs_f64());
        }
    }
    bar.set_message("resolving");
    let t0 = std::time::Instant::now();
    let ws = loader
        .finish(&DirTexts::new(dir))
        .map_err(baton_core::Error::from)?;
    bar.finish_and_clear();
    if std::env::var_os("BATON_TIMINGS").is_some() {
        eprintln!("timing: resolve: {:.2} s", t0.elapsed().as_secs_f64());
    }
    Ok(ws)
}
