//! One CRM export file read whole: decoded from the encoding it was written in, split on the
//! separator it uses, with each row's line number (line 1 is the header, whatever the line
//! ending) and column lookup by what a header names rather than letter for letter.

use std::path::{Path, PathBuf};

use crate::error::HostError;
use crate::text_encoding::{TextEncoding, decode_file};

use super::ImportSummary;

/// An export CSV read whole (exports are modest; the canonical files are streamed).
pub(crate) struct Table {
    /// The file name.
    pub(crate) name: String,
    /// The header, trimmed.
    pub(crate) headers: Vec<String>,
    /// The headers as [`header_key`] reads them.
    keys: Vec<String>,
    /// The data rows.
    pub(crate) rows: Vec<csv::StringRecord>,
}

/// What reading an export file gave.
pub(crate) enum Read {
    /// A header and zero or more rows.
    Table(Table),
    /// A 0-byte file.
    Empty,
}

impl Table {
    /// Reads an export file; the encoding and separator, when they are not UTF-8 and a comma,
    /// are said in the summary.
    pub(crate) fn read(path: &Path, summary: &mut ImportSummary) -> Result<Read, HostError> {
        let name = file_name(path);
        let bytes = read_capped(path)?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Read::Empty);
        }
        let (text, encoding) = decode_file(&bytes);
        if encoding != TextEncoding::Utf8 {
            summary
                .caveats
                .push(format!("{name}: not UTF-8; read as {encoding}"));
        }
        // One line ending for the CSV reader, which numbers lines at `\n` only.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let separator = baton_core::sniff_separator(text.as_bytes());
        if separator != b',' {
            let shown = if separator == b'\t' {
                "tab".to_string()
            } else {
                format!("{:?}", separator as char)
            };
            summary.caveats.push(format!(
                "{name}: fields are separated by {shown}, not commas"
            ));
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(separator)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| HostError::Input(format!("{name}: line 1: cannot read the header: {e}")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                HostError::Input(format!("{name}: line {line}: {e}"))
            })?;
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows.push(record);
        }
        Ok(Read::Table(Table {
            name,
            keys: headers.iter().map(|h| header_key(h)).collect(),
            headers,
            rows,
        }))
    }

    /// The position of the first header naming any alias, in alias order ([`header_key`]).
    pub(crate) fn column(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|a| {
            let key = header_key(a);
            self.keys.iter().position(|k| *k == key)
        })
    }

    /// Every header naming one of the aliases, in alias order (alternatives read row by row).
    pub(crate) fn field(&self, aliases: &[&str]) -> Field {
        let mut columns = Vec::new();
        for a in aliases {
            let key = header_key(a);
            for (i, k) in self.keys.iter().enumerate() {
                if *k == key && !columns.contains(&i) {
                    columns.push(i);
                }
            }
        }
        Field {
            used: vec![0; columns.len()],
            columns,
        }
    }

    /// Whether some header names each of the alias groups.
    pub(crate) fn has_all(&self, groups: &[&[&str]]) -> bool {
        groups.iter().all(|g| self.column(g).is_some())
    }

    /// A field of a row by position, trimmed ("" when absent).
    pub(crate) fn get(row: &csv::StringRecord, col: Option<usize>) -> &str {
        col.and_then(|c| row.get(c)).map_or("", str::trim)
    }

    /// A short description of the file for messages: its rows and first columns.
    pub(crate) fn describe(&self) -> String {
        let shown: Vec<&str> = self.headers.iter().take(6).map(String::as_str).collect();
        let more = self.headers.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(", … {more} more")
        } else {
            String::new()
        };
        format!(
            "{} rows; columns {}{more}",
            self.rows.len(),
            shown.join(", ")
        )
    }
}

/// A canonical value that several export columns may hold (`CompletedDateTime`, then
/// `ActivityDate`, then `CreatedDate`): per row the first non-empty one, counted per column.
pub(crate) struct Field {
    columns: Vec<usize>,
    used: Vec<u64>,
}

impl Field {
    /// Whether the export has any of the columns.
    pub(crate) fn present(&self) -> bool {
        !self.columns.is_empty()
    }

    /// The columns, in the order they are tried.
    pub(crate) fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// This row's value: the first non-empty column's, trimmed ("" when all are empty).
    pub(crate) fn get<'r>(&mut self, row: &'r csv::StringRecord) -> &'r str {
        for (i, &c) in self.columns.iter().enumerate() {
            let v = row.get(c).map_or("", str::trim);
            if !v.is_empty() {
                self.used[i] += 1;
                return v;
            }
        }
        ""
    }

    /// When values came from more than one column, says how many from each.
    pub(crate) fn note(&self, table: &Table, what: &str, summary: &mut ImportSummary) {
        let from: Vec<String> = self
            .columns
            .iter()
            .zip(&self.used)
            .filter(|(_, n)| **n > 0)
            .map(|(&c, n)| format!("{} ({n} rows)", table.headers[c]))
            .collect();
        if from.len() > 1 {
            summary.caveats.push(format!(
                "{}: {what} taken row by row from the first non-empty of {}",
                table.name,
                from.join(", ")
            ));
        }
    }
}

/// What a header names, for matching: lower case, words only, without the articles "a", "an"
/// and "the" ("Became an Other Lifecycle Date" = "Became a Other Lifecycle Date"), and without
/// the `property_` / `properties_` prefix warehouse syncs (Fivetran, Airbyte) put on HubSpot
/// properties. `CreatedDate`, `created_date` and `Created Date` are one name.
pub(crate) fn header_key(header: &str) -> String {
    let h = header.trim().trim_start_matches('\u{feff}');
    let lower = h.to_lowercase();
    let h = ["property_", "properties_", "properties."]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    h.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "a" | "an" | "the"))
        .collect()
}

/// Most bytes one export file may have (1 GiB): beyond it the file is refused, not truncated.
const MAX_EXPORT_BYTES: u64 = 1 << 30;

fn read_capped(path: &Path) -> Result<Vec<u8>, HostError> {
    let len = std::fs::metadata(path)
        .map_err(|e| HostError::io(path, e))?
        .len();
    if len > MAX_EXPORT_BYTES {
        return Err(HostError::Input(format!(
            "{}: is {len} bytes; an export file may have at most {MAX_EXPORT_BYTES}",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| HostError::io(path, e))
}

/// The file name of a path, for messages.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
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
        .filter(|p| {
            p.extension().is_some_and(|x| {
                x.eq_ignore_ascii_case("csv")
                    || x.eq_ignore_ascii_case("tsv")
                    || x.eq_ignore_ascii_case("txt")
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_by_what_they_name() {
        assert_eq!(
            header_key("Became an Other Lifecycle Date"),
            header_key("Became a Other Lifecycle Date")
        );
        assert_eq!(header_key("CreatedDate"), header_key("created_date"));
        assert_eq!(header_key("Created Date"), "createddate");
        assert_eq!(
            header_key("property_hs_lifecyclestage_lead_date"),
            header_key("hs_lifecyclestage_lead_date")
        );
        assert_eq!(header_key("\u{feff}Record ID"), "recordid");
        assert_ne!(header_key("Country/Region"), header_key("Country"));
    }
}
