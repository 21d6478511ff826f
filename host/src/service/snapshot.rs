//! Stored rows back into the files core ingests: one CSV text per kind, its header every column
//! the kind's rows have (in the order first seen), its rows in the order first written. A
//! workspace folder loaded into the store reads back as the same files, so the service's report
//! is the report `baton analyze` writes of that folder.

use std::borrow::Cow;
use std::path::Path;

use baton_core::{FileKind, FileRow, JsonRows, Workspace};
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

/// One kind's rows written as CSV as they are read (no row kept as strings): a column is
/// appended the first time a row has it, and rows written before it are padded with empty
/// fields when the file is made.
struct CsvTable {
    columns: Vec<String>,
    index: FxHashMap<String, usize>,
    body: csv::Writer<Vec<u8>>,
    /// Per row: where it ends in `body` and how many columns there were when it was written.
    rows: Vec<(usize, usize)>,
}

impl Default for CsvTable {
    fn default() -> Self {
        Self {
            columns: Vec::new(),
            index: FxHashMap::default(),
            body: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::new()),
            rows: Vec::new(),
        }
    }
}

impl CsvTable {
    /// Adds one stored row (its body as the store keeps it).
    fn push(&mut self, kind: FileKind, body: &str) -> Result<(), HostError> {
        let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = serde_json::from_str(body).map_err(|e| {
            HostError::Input(format!("a stored {} row is not readable: {e}", kind.stem()))
        })?;
        let mut fields: Vec<&str> = vec![""; self.columns.len()];
        for (column, text) in &pairs {
            let at = match self.index.get(column.as_ref()) {
                Some(&i) => i,
                None => {
                    self.columns.push(column.to_string());
                    self.index
                        .insert(column.to_string(), self.columns.len() - 1);
                    fields.push("");
                    self.columns.len() - 1
                }
            };
            fields[at] = text.as_ref();
        }
        let written = self.body.write_record(&fields).and_then(|()| {
            self.body.flush()?;
            Ok(())
        });
        written.map_err(|e| HostError::Input(format!("a stored {} row: {e}", kind.stem())))?;
        self.rows.push((self.body.get_ref().len(), fields.len()));
        Ok(())
    }

    /// Adds a column no row has (a lead's card: the columns of every lead).
    fn add_column(&mut self, column: &str) {
        if !self.index.keys().any(|k| k.eq_ignore_ascii_case(column)) {
            self.columns.push(column.to_string());
            self.index
                .insert(column.to_string(), self.columns.len() - 1);
        }
    }

    /// The CSV text: the header, then the rows, each as wide as the header.
    fn csv(self) -> Vec<u8> {
        if self.columns.is_empty() {
            return b"lead_id,created_at\n".to_vec();
        }
        let width = self.columns.len();
        let body = self.body.into_inner().unwrap_or_default();
        let mut out = Vec::with_capacity(body.len() + 256);
        write_record(&mut out, &self.columns);
        if self.rows.iter().all(|&(_, w)| w == width) {
            out.extend_from_slice(&body);
            return out;
        }
        let mut start = 0;
        for &(end, w) in &self.rows {
            let row = &body[start..end];
            if w == width {
                out.extend_from_slice(row);
            } else {
                out.extend_from_slice(&row[..row.len() - 1]);
                out.extend(std::iter::repeat_n(b',', width - w));
                out.push(b'\n');
            }
            start = end;
        }
        out
    }
}

/// Appends one CSV record (quoted where needed, `\n`-terminated) to `out`.
fn write_record<S: AsRef<[u8]>>(out: &mut Vec<u8>, fields: &[S]) {
    let mut w = csv::Writer::from_writer(out);
    let _ = w.write_record(fields);
    let _ = w.flush();
}

/// The stored rows read into CSV files as the store hands them over, in write order.
#[derive(Default)]
pub struct Files {
    tables: [CsvTable; 5],
}

impl super::store::RowSink for Files {
    fn row(&mut self, kind: FileKind, body: &str) -> Result<(), super::store::StoreError> {
        let Some(t) = STORED_KINDS.iter().position(|&k| k == kind) else {
            return Ok(());
        };
        self.tables[t]
            .push(kind, body)
            .map_err(|e| super::store::StoreError::Other(e.to_string()))
    }
}

impl Files {
    /// The CSV files (`leads.csv`, `events.csv`, …); a kind without rows has none (leads
    /// always have one). `lead_columns` are columns the leads file has even when no row here
    /// names them.
    pub fn finish(self, lead_columns: &[String]) -> Vec<(String, Vec<u8>)> {
        let [mut leads, events, stages, deals, feedback] = self.tables;
        if leads.columns.is_empty() {
            leads.add_column("lead_id");
            leads.add_column("created_at");
        }
        for c in lead_columns {
            leads.add_column(c);
        }
        STORED_KINDS
            .iter()
            .zip([leads, events, stages, deals, feedback])
            .filter(|(k, t)| !t.rows.is_empty() || **k == FileKind::Leads)
            .map(|(k, t)| (format!("{}.csv", k.stem()), t.csv()))
            .collect()
    }
}

/// The workspace of stored rows' CSV files plus the folder's assets file, read by core's
/// ingestion.
pub fn workspace_of_files(
    framework: &std::sync::Arc<baton_core::Framework>,
    files: Vec<(String, Vec<u8>)>,
    assets: Option<&(String, Vec<u8>)>,
    texts: &dyn baton_core::TextSource,
) -> Result<Workspace, HostError> {
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

/// The stored row's pairs as a JSON object, appended to `out`.
pub fn object(body: &str, out: &mut Vec<u8>) -> Option<()> {
    use serde::Serializer;
    let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = serde_json::from_str(body).ok()?;
    serde_json::Serializer::new(out)
        .collect_map(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
        .ok()
}

/// Stored rows of one kind as JSON rows; `defaults` as [`JsonRows::parse`] takes them.
pub fn json_rows<'a>(
    kind: FileKind,
    bodies: impl Iterator<Item = &'a str>,
    defaults: &[(&str, &str)],
) -> Result<JsonRows, HostError> {
    let mut text = b"[".to_vec();
    for body in bodies {
        if text.len() > 1 {
            text.push(b',');
        }
        object(body, &mut text).ok_or_else(|| {
            HostError::Input(format!("a stored {} row is not readable", kind.stem()))
        })?;
    }
    text.push(b']');
    let text = String::from_utf8(text)
        .map_err(|e| HostError::Input(format!("stored {} rows: {e}", kind.stem())))?;
    JsonRows::parse(kind, &text, defaults)
        .map_err(|e| HostError::Input(format!("stored {} rows: {e}", kind.stem())))
}

/// One lead's workspace for its card: its stored rows and the folder's assets (`assets`, read
/// once) taken by core's ingestion as JSON rows, as NDJSON files with those rows would be;
/// `lead_columns` (every lead's columns) are columns its lead row has even when empty.
pub fn lead_workspace(
    framework: &std::sync::Arc<baton_core::Framework>,
    rows: &[StoredRow],
    lead_columns: &[String],
    assets: Option<&(String, JsonRows)>,
    texts: &dyn baton_core::TextSource,
) -> Result<Workspace, HostError> {
    let mut loader = baton_core::Loader::new(framework.clone());
    for kind in STORED_KINDS {
        let bodies = || {
            rows.iter()
                .filter(move |r| r.kind == kind)
                .map(|r| r.body.as_str())
        };
        if kind != FileKind::Leads && bodies().next().is_none() {
            continue;
        }
        let mut defaults: Vec<(&str, &str)> = Vec::new();
        if kind == FileKind::Leads {
            let mut named = rows
                .iter()
                .filter(|r| r.kind == kind)
                .filter_map(|r| serde_json::from_str::<Vec<(String, String)>>(&r.body).ok());
            let keys: Vec<String> = named
                .by_ref()
                .flat_map(|pairs| pairs.into_iter().map(|(k, _)| k))
                .collect();
            defaults = lead_columns
                .iter()
                .filter(|c| !keys.iter().any(|k| k.eq_ignore_ascii_case(c)))
                .map(|c| (c.as_str(), ""))
                .collect();
        }
        let json = json_rows(kind, bodies(), &defaults)?;
        loader
            .add_json_rows(&format!("{}.ndjson", kind.stem()), json)
            .map_err(baton_core::Error::from)?;
    }
    if let Some((name, a)) = assets {
        loader
            .add_json_rows(name, a.clone())
            .map_err(baton_core::Error::from)?;
    }
    Ok(loader.finish(texts).map_err(baton_core::Error::from)?)
}

/// The folder's assets file as JSON rows (its name kept), read once: every card's workspace
/// takes them.
pub fn asset_json_rows(assets: &(String, Vec<u8>)) -> Result<(String, JsonRows), HostError> {
    let (name, bytes) = assets;
    let format = baton_core::classify_file(name)
        .map(|(_, f)| f)
        .unwrap_or(baton_core::Format::Csv);
    let mut text = b"[".to_vec();
    baton_core::read_file_rows(FileKind::Assets, format, bytes.as_slice(), |row| {
        if let FileRow::Row(_, fields) = row {
            if text.len() > 1 {
                text.push(b',');
            }
            use serde::Serializer;
            let _ = serde_json::Serializer::new(&mut text)
                .collect_map(fields.iter().map(|(k, v)| (*k, v.as_ref())));
        }
    })
    .map_err(|e| HostError::Input(format!("{name}: cannot be read: {e}")))?;
    text.push(b']');
    let text = String::from_utf8(text).map_err(|e| HostError::Input(format!("{name}: {e}")))?;
    let rows = JsonRows::parse(FileKind::Assets, &text, &[])
        .map_err(|e| HostError::Input(format!("{name}: {e}")))?;
    Ok((name.clone(), rows))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::store::RowSink;

    #[test]
    fn rows_written_before_a_column_appeared_are_padded_and_quoted_fields_survive() {
        let mut files = Files::default();
        for body in [
            r#"[["lead_id","L1"],["created_at","2026-01-01"]]"#,
            r#"[["lead_id","L2"],["created_at","2026-01-02"],["note","two\nlines, \"quoted\""]]"#,
            r#"[["lead_id","L3"]]"#,
        ] {
            files.row(FileKind::Leads, body).expect("a stored row");
        }
        let out = files.finish(&["Industry".to_string(), "note".to_string()]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, "leads.csv");
        assert_eq!(
            String::from_utf8(out[0].1.clone()).expect("utf8"),
            "lead_id,created_at,note,Industry\nL1,2026-01-01,,\nL2,2026-01-02,\"two\nlines, \"\"quoted\"\"\",\nL3,,,\n"
        );
    }

    #[test]
    fn no_rows_is_a_leads_file_with_its_two_columns() {
        let out = Files::default().finish(&[]);
        assert_eq!(
            out,
            vec![("leads.csv".to_string(), b"lead_id,created_at\n".to_vec())]
        );
    }
}
