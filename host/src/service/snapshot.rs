//! Stored rows back into the files core ingests: one CSV text per kind, its header every column
//! the kind's rows have (in the order first seen), its rows in the order first written. A
//! workspace folder loaded into the store reads back as the same files, so the service's report
//! is the report `baton analyze` writes of that folder.

use std::path::Path;

use baton_core::{FileKind, FileRow, Workspace};
use rustc_hash::FxHashMap;

use super::store::{NewRow, StoredRow};
use crate::error::HostError;

/// The kinds the store holds (assets stay in the workspace folder, with the configuration).
pub const STORED_KINDS: [FileKind; 5] = [
    FileKind::Leads,
    FileKind::Events,
    FileKind::Stages,
    FileKind::Deals,
    FileKind::Feedback,
];

/// One kind's rows being gathered into a CSV text.
#[derive(Default)]
struct Table {
    columns: Vec<String>,
    index: FxHashMap<String, usize>,
    rows: Vec<Vec<(usize, String)>>,
}

impl Table {
    fn push(&mut self, pairs: Vec<(String, String)>) {
        let row = pairs
            .into_iter()
            .map(|(column, text)| {
                let at = match self.index.get(&column) {
                    Some(&i) => i,
                    None => {
                        self.columns.push(column.clone());
                        self.index.insert(column, self.columns.len() - 1);
                        self.columns.len() - 1
                    }
                };
                (at, text)
            })
            .collect();
        self.rows.push(row);
    }

    fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&self.columns);
        let mut record = vec![String::new(); self.columns.len()];
        for row in &self.rows {
            record.iter_mut().for_each(String::clear);
            for (at, text) in row {
                record[*at].clone_from(text);
            }
            let _ = w.write_record(&record);
        }
        w.into_inner().unwrap_or_default()
    }
}

/// The CSV files (`leads.csv`, `events.csv`, …) of stored rows; a kind without rows has none.
/// `lead_columns` are columns the leads file has even when no row here names them (a lead's
/// card: the columns of every lead, so its rules read the same facts).
pub fn files(
    rows: &[StoredRow],
    lead_columns: &[String],
) -> Result<Vec<(String, Vec<u8>)>, HostError> {
    let mut tables: Vec<Table> = STORED_KINDS.iter().map(|_| Table::default()).collect();
    for r in rows {
        let Some(t) = STORED_KINDS.iter().position(|&k| k == r.kind) else {
            continue;
        };
        let pairs: Vec<(String, String)> = serde_json::from_str(&r.body).map_err(|e| {
            HostError::Input(format!(
                "a stored {} row is not readable: {e}",
                r.kind.stem()
            ))
        })?;
        tables[t].push(pairs);
    }
    let leads = &mut tables[0];
    for c in lead_columns {
        if !leads.index.keys().any(|k| k.eq_ignore_ascii_case(c)) {
            leads.columns.push(c.clone());
            leads.index.insert(c.clone(), leads.columns.len() - 1);
        }
    }
    Ok(STORED_KINDS
        .iter()
        .zip(&tables)
        .filter(|(k, t)| !t.rows.is_empty() || **k == FileKind::Leads)
        .map(|(k, t)| {
            let bytes = if t.columns.is_empty() {
                b"lead_id,created_at\n".to_vec()
            } else {
                t.csv()
            };
            (format!("{}.csv", k.stem()), bytes)
        })
        .collect())
}

/// The workspace of stored rows plus the folder's assets file, read by core's ingestion
/// (`lead_columns` as [`files`] takes them).
pub fn workspace(
    framework: &std::sync::Arc<baton_core::Framework>,
    rows: &[StoredRow],
    lead_columns: &[String],
    assets: Option<&(String, Vec<u8>)>,
    texts: &dyn baton_core::TextSource,
) -> Result<Workspace, HostError> {
    let files = files(rows, lead_columns)?;
    let mut named: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    if let Some((name, bytes)) = assets {
        named.push((name.as_str(), bytes.as_slice()));
    }
    Ok(baton_core::load_from_memory(
        framework.clone(),
        named,
        texts,
    )?)
}

/// The folder's asset texts (`assets.path`), each read once and kept: every card and snapshot
/// reads the same files.
pub struct CachedTexts {
    dir: crate::workspace_dir::DirTexts,
    read: std::sync::Mutex<FxHashMap<String, Result<String, String>>>,
}

impl CachedTexts {
    /// Asset texts under `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: crate::workspace_dir::DirTexts::new(dir),
            read: std::sync::Mutex::new(FxHashMap::default()),
        }
    }
}

impl baton_core::TextSource for CachedTexts {
    fn read_text(&self, path: &str) -> Result<String, String> {
        if let Some(t) = self.read.lock().ok().and_then(|m| m.get(path).cloned()) {
            return t;
        }
        let text = self.dir.read_text(path);
        if let Ok(mut m) = self.read.lock() {
            m.insert(path.to_string(), text.clone());
        }
        text
    }
}

/// A row's `(column, text)` pairs as the store keeps them.
pub fn body(pairs: &[(&str, &str)]) -> String {
    serde_json::to_string(pairs).unwrap_or_default()
}

/// The key a seeded row is stored under: its id when the kind has one and this is its first
/// row, else its file and line (so the store holds every row of the file, duplicates too).
fn seed_key(
    kind: FileKind,
    pairs: &[(&str, &str)],
    file: &str,
    line: u64,
    seen: &mut FxHashMap<String, ()>,
) -> (String, bool) {
    let id_column = match kind {
        FileKind::Leads => Some("lead_id"),
        FileKind::Deals => Some("deal_id"),
        FileKind::Events => Some("event_id"),
        _ => None,
    };
    let id = id_column.and_then(|c| {
        pairs
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(c) && !v.is_empty())
            .map(|(_, v)| v.to_string())
    });
    match id {
        Some(id) if seen.insert(id.clone(), ()).is_none() => (id, true),
        _ => (format!("{file}:{line}"), false),
    }
}

/// One seeded file: its name, rows read, and the rows that could not be split (line, why).
pub type SeededFile = (String, u64, Vec<(u64, String)>);

/// What seeding the store from the folder read.
pub struct Seeded {
    /// Rows to store, per file in name order.
    pub rows: Vec<NewRow>,
    /// Per file: its name, rows read, rows that could not be split (not stored).
    pub files: Vec<SeededFile>,
}

/// Every row of the folder's data files (not assets), as rows to store.
pub fn seed(dir: &Path) -> Result<Seeded, HostError> {
    let (paths, _) = crate::workspace_dir::data_files(dir)?;
    let mut out = Seeded {
        rows: Vec::new(),
        files: Vec::new(),
    };
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Some((kind, format)) = baton_core::classify_file(&name) else {
            continue;
        };
        if kind == FileKind::Assets {
            continue;
        }
        let bytes = crate::workspace_dir::read_data_file(&path, &name)?;
        let mut seen = FxHashMap::default();
        let (mut count, mut malformed) = (0u64, Vec::new());
        let rows = &mut out.rows;
        baton_core::read_file_rows(kind, format, bytes.as_slice(), |row| match row {
            FileRow::Row(line, fields) => {
                count += 1;
                let pairs: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_ref())).collect();
                let (key, replaces) = seed_key(kind, &pairs, &name, line, &mut seen);
                let lead_id = pairs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("lead_id"))
                    .map_or("", |(_, v)| v)
                    .to_string();
                rows.push(NewRow {
                    kind,
                    key,
                    lead_id,
                    body: body(&pairs),
                    replaces,
                });
            }
            FileRow::Malformed(line, message) => {
                count += 1;
                malformed.push((line, message));
            }
        })
        .map_err(|e| HostError::Input(format!("{name}: cannot be read: {e}")))?;
        out.files.push((name, count, malformed));
    }
    Ok(out)
}

/// The folder's assets file, read whole (the service keeps it with the configuration).
pub fn assets_file(dir: &Path) -> Result<Option<(String, Vec<u8>)>, HostError> {
    let (paths, _) = crate::workspace_dir::data_files(dir)?;
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if let Some((FileKind::Assets, _)) = baton_core::classify_file(&name) {
            let bytes = crate::workspace_dir::read_data_file(&path, &name)?;
            return Ok(Some((name, bytes)));
        }
    }
    Ok(None)
}
