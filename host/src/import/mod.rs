//! CRM importers: map real export columns (HubSpot, Salesforce) onto Baton's canonical files.
//!
//! Columns are matched by internal name or export label, case-insensitively. Nothing is dropped
//! quietly: unmapped columns are kept as lead attributes or listed in the summary, values that
//! cannot be mapped are written as found so that `baton analyze` reports them in `data_quality`.

pub mod hubspot;
pub mod salesforce;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

use baton_core::FileKind;

use crate::error::HostError;

/// The `stages.csv` columns the importers write: every canonical one.
pub(crate) fn stage_columns() -> Vec<&'static str> {
    FileKind::Stages.all_columns()
}

/// The `deals.csv` columns the importers write: every canonical one but `margin`, which no CRM
/// export carries.
pub(crate) fn deal_columns() -> Vec<&'static str> {
    let mut columns = FileKind::Deals.all_columns();
    columns.retain(|c| *c != "margin");
    columns
}

/// What an import did, printed after it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportSummary {
    /// The workspace written.
    pub out: PathBuf,
    /// Export files read: file → data rows.
    pub read: BTreeMap<String, u64>,
    /// Export files in the folder that the importer does not know.
    pub not_imported: Vec<String>,
    /// Canonical files written: file → rows.
    pub written: BTreeMap<String, u64>,
    /// Per export file, columns not mapped onto a canonical column (kept as attributes where noted).
    pub unmapped_columns: BTreeMap<String, Vec<String>>,
    /// Values the importer could not map, with counts (e.g. an unknown lead status).
    pub unmapped_values: BTreeMap<String, u64>,
    /// What the export cannot tell and the user should know.
    pub caveats: Vec<String>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "imported into {}", self.out.display())?;
        for (file, n) in &self.read {
            writeln!(f, "  read    {n:>8} rows  {file}")?;
        }
        for (file, n) in &self.written {
            writeln!(f, "  wrote   {n:>8} rows  {file}")?;
        }
        for file in &self.not_imported {
            writeln!(f, "  not imported: {file} (not a file this importer knows)")?;
        }
        for (file, cols) in &self.unmapped_columns {
            writeln!(
                f,
                "  {file}: columns without a canonical meaning: {}",
                cols.join(", ")
            )?;
        }
        for (value, n) in &self.unmapped_values {
            writeln!(f, "  unmapped value ({n} rows): {value}")?;
        }
        for c in &self.caveats {
            writeln!(f, "  note: {c}")?;
        }
        Ok(())
    }
}

/// An export CSV read whole (exports are modest; the canonical files are streamed).
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<csv::StringRecord>,
}

impl Table {
    pub(crate) fn read(path: &Path) -> Result<Table, HostError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| HostError::io(path, std::io::Error::other(e.to_string())))?;
        let headers = reader
            .headers()
            .map_err(|e| {
                HostError::Input(format!("{}: cannot read the header: {e}", path.display()))
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for r in reader.records() {
            rows.push(r.map_err(|e| HostError::Input(format!("{}: {e}", path.display())))?);
        }
        Ok(Table {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            headers,
            rows,
        })
    }

    /// The position of the first header matching any alias (case-insensitive).
    pub(crate) fn column(&self, aliases: &[&str]) -> Option<usize> {
        aliases
            .iter()
            .find_map(|a| self.headers.iter().position(|h| h.eq_ignore_ascii_case(a)))
    }

    /// A field of a row by position, trimmed ("" when absent).
    pub(crate) fn get(row: &csv::StringRecord, col: Option<usize>) -> &str {
        col.and_then(|c| row.get(c)).map_or("", str::trim)
    }
}

/// How an export's lead table maps onto `leads.csv`: the canonical columns found (in spec order)
/// and every other column, kept as an attribute under a snake_case name.
pub(crate) struct LeadMapping {
    mapped: Vec<(&'static str, usize)>,
    extra: Vec<usize>,
    /// The `leads.csv` header.
    pub(crate) header: Vec<String>,
}

impl LeadMapping {
    /// Maps `table` by `spec` (canonical name ← aliases); `also_used` are columns read elsewhere
    /// (not kept as attributes). Unmapped columns are listed in the summary.
    pub(crate) fn new(
        table: &Table,
        spec: &[(&'static str, &[&str])],
        also_used: &[usize],
        summary: &mut ImportSummary,
    ) -> Self {
        let mapped: Vec<(&'static str, usize)> = spec
            .iter()
            .filter_map(|(c, aliases)| table.column(aliases).map(|i| (*c, i)))
            .collect();
        let extra: Vec<usize> = (0..table.headers.len())
            .filter(|i| !mapped.iter().any(|m| m.1 == *i) && !also_used.contains(i))
            .collect();
        if !extra.is_empty() {
            summary.unmapped_columns.insert(
                format!("{} (kept as lead attributes)", table.name),
                extra.iter().map(|&i| table.headers[i].clone()).collect(),
            );
        }
        let mut header: Vec<String> = mapped.iter().map(|m| m.0.to_string()).collect();
        header.extend(extra.iter().map(|&i| slug(&table.headers[i])));
        Self {
            mapped,
            extra,
            header,
        }
    }

    /// The column of a canonical name, when the export has it.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.mapped.iter().find(|m| m.0 == name).map(|m| m.1)
    }

    /// One `leads.csv` row; `time_columns` are normalised to RFC 3339 UTC.
    pub(crate) fn row(
        &self,
        row: &csv::StringRecord,
        time_columns: &[&str],
        tz: &TimeZone,
    ) -> Vec<String> {
        let mut fields: Vec<String> = self
            .mapped
            .iter()
            .map(|(name, col)| {
                let v = Table::get(row, Some(*col));
                if time_columns.contains(name) {
                    normalize_time(v, tz)
                } else {
                    v.to_string()
                }
            })
            .collect();
        fields.extend(
            self.extra
                .iter()
                .map(|&i| Table::get(row, Some(i)).to_string()),
        );
        fields
    }
}

/// Lists the export files no importer step read.
pub(crate) fn note_unread(
    files: &[PathBuf],
    read: &[Option<&PathBuf>],
    summary: &mut ImportSummary,
) {
    for f in files {
        if !read.contains(&Some(f)) {
            summary.not_imported.push(
                f.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
            );
        }
    }
}

/// Finds the export file whose name starts with one of `prefixes` (case-insensitive).
pub(crate) fn find_export(files: &[PathBuf], prefixes: &[&str]) -> Option<PathBuf> {
    files
        .iter()
        .find(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            prefixes.iter().any(|pre| name.starts_with(pre))
        })
        .cloned()
}

/// The CSV files of an export folder, sorted.
pub(crate) fn export_files(dir: &Path) -> Result<Vec<PathBuf>, HostError> {
    if !dir.is_dir() {
        return Err(HostError::Input(format!(
            "{}: not an export folder",
            dir.display()
        )));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| HostError::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    Ok(files)
}

/// A canonical CSV being written.
pub(crate) struct Out {
    name: String,
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
    rows: u64,
}

impl Out {
    pub(crate) fn create<H: AsRef<str>>(
        dir: &Path,
        name: &str,
        header: &[H],
    ) -> Result<Out, HostError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| HostError::io(&path, e))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        writer
            .write_record(header.iter().map(|h| h.as_ref()))
            .map_err(|e| HostError::io(&path, std::io::Error::other(e.to_string())))?;
        Ok(Out {
            name: name.into(),
            path,
            writer,
            rows: 0,
        })
    }

    pub(crate) fn write<I, T>(&mut self, fields: I) -> Result<(), HostError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.rows += 1;
        self.writer
            .write_record(fields)
            .map_err(|e| HostError::io(&self.path, std::io::Error::other(e.to_string())))
    }

    pub(crate) fn finish(mut self, summary: &mut ImportSummary) -> Result<(), HostError> {
        self.writer
            .flush()
            .map_err(|e| HostError::io(&self.path, e))?;
        summary.written.insert(self.name, self.rows);
        Ok(())
    }
}

/// Normalises an export timestamp to RFC 3339 UTC; values it cannot read are returned unchanged
/// so that `baton analyze` reports them with their line.
pub(crate) fn normalize_time(text: &str, tz: &TimeZone) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let parser = baton_core::time::TimeParser::new(tz.clone());
    if let Ok((instant, _)) = parser.parse(text) {
        return instant.to_string();
    }
    // US-style exports: 03/05/2024 10:00 AM, 03/05/2024 10:00, 03/05/2024.
    for format in ["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"] {
        if let Ok(dt) = jiff::civil::DateTime::strptime(format, text)
            && let Ok(z) = dt.to_zoned(tz.clone())
        {
            return z.timestamp().to_string();
        }
    }
    if let Ok(d) = jiff::civil::Date::strptime("%m/%d/%Y", text)
        && let Ok(z) = d.to_zoned(tz.clone())
    {
        return z.timestamp().to_string();
    }
    // Unix milliseconds (HubSpot API-style exports).
    if text.len() >= 12
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Ok(ms) = text.parse::<i64>()
        && let Ok(ts) = jiff::Timestamp::from_millisecond(ms)
    {
        return ts.to_string();
    }
    text.to_string()
}

/// `Original Source Drill-Down 1` → `original_source_drill_down_1`.
pub(crate) fn slug(label: &str) -> String {
    let mut s = String::new();
    let mut last_underscore = true;
    for c in label.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
            last_underscore = false;
        } else if !last_underscore {
            s.push('_');
            last_underscore = true;
        }
    }
    while s.ends_with('_') {
        s.pop();
    }
    s
}

/// Writes the imported workspace's `baton.toml`.
pub(crate) fn write_config(
    out: &Path,
    name: &str,
    timezone: &str,
    currency: &str,
    lifecycle: &str,
) -> Result<(), HostError> {
    let text = format!(
        "# Written by `baton import`. Review the lifecycle, calendar and SLA before analysing.\n\
         [workspace]\nname = {name:?}\ntimezone = {timezone:?}\ncurrency = {currency:?}\n\n\
         {lifecycle}\n\
         [calendar]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nhours = [\"09:00\", \"17:00\"]\nholidays = []\n"
    );
    let path = out.join("baton.toml");
    std::fs::write(&path, text).map_err(|e| HostError::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_times() {
        assert_eq!(
            slug("Original Source Drill-Down 1"),
            "original_source_drill_down_1"
        );
        assert_eq!(slug("Country/Region"), "country_region");
        let ny = TimeZone::get("America/New_York").expect("zone");
        assert_eq!(
            normalize_time("2024-03-05 10:00", &ny),
            "2024-03-05T15:00:00Z"
        );
        assert_eq!(
            normalize_time("03/05/2024 10:00 AM", &ny),
            "2024-03-05T15:00:00Z"
        );
        assert_eq!(
            normalize_time("2024-03-05T10:00:00.000+0000", &ny),
            "2024-03-05T10:00:00Z"
        );
        assert_eq!(normalize_time("1709650800000", &ny), "2024-03-05T15:00:00Z");
        assert_eq!(normalize_time("soon", &ny), "soon");
    }
}
