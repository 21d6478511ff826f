//! CRM importers: map real export columns (HubSpot, Salesforce) onto Baton's canonical files.
//!
//! Columns are matched by internal name or export label, case-insensitively. Nothing is dropped
//! quietly: unmapped columns are kept as lead attributes or listed in the summary, values that
//! cannot be mapped are written as found so that `baton analyze` reports them in `data_quality`.

mod export_folder;
pub(crate) mod export_table;
pub mod hubspot;
mod local_time;
pub mod salesforce;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use baton_core::FileKind;

use export_table::{Field, Table};
use local_time::LocalTimes;

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

/// How an export's lead table maps onto `leads.csv`: the canonical columns found (in spec order)
/// and every other column, kept as an attribute under a snake_case name.
pub(crate) struct LeadMapping {
    mapped: Vec<(&'static str, Field)>,
    extra: Vec<usize>,
    /// The `leads.csv` header.
    pub(crate) header: Vec<String>,
}

impl LeadMapping {
    /// Maps `table` by `spec` (canonical name ← aliases, several of which may be present: per
    /// row the first non-empty wins); `also_used` are columns read elsewhere (not kept as
    /// attributes). Unmapped columns are listed in the summary.
    pub(crate) fn new(
        table: &Table,
        spec: &[(&'static str, &[&str])],
        also_used: &[usize],
        summary: &mut ImportSummary,
    ) -> Self {
        let mapped: Vec<(&'static str, Field)> = spec
            .iter()
            .map(|(c, aliases)| (*c, table.field(aliases)))
            .filter(|(_, f)| f.present())
            .collect();
        let extra: Vec<usize> = (0..table.headers.len())
            .filter(|i| {
                !mapped.iter().any(|m| m.1.columns().contains(i))
                    && !also_used.contains(i)
                    && !is_sync_column(&table.headers[*i])
            })
            .collect();
        if !extra.is_empty() {
            summary.unmapped_columns.insert(
                format!("{} (kept as lead attributes)", table.name),
                extra.iter().map(|&i| table.headers[i].clone()).collect(),
            );
        }
        let mut header: Vec<String> = mapped.iter().map(|m| m.0.to_string()).collect();
        header.extend(extra.iter().map(|&i| {
            let h = &table.headers[i];
            let bare = ["property_", "properties_"]
                .iter()
                .find_map(|p| h.strip_prefix(p))
                .unwrap_or(h);
            slug(bare)
        }));
        Self {
            mapped,
            extra,
            header,
        }
    }

    /// Whether the export has a column for a canonical name.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.mapped.iter().any(|m| m.0 == name)
    }

    /// A canonical column's value in a row [`Self::row`] made ("" when the export has none).
    pub(crate) fn field<'f>(&self, name: &str, fields: &'f [String]) -> &'f str {
        self.mapped
            .iter()
            .position(|m| m.0 == name)
            .and_then(|i| fields.get(i))
            .map_or("", String::as_str)
    }

    /// One `leads.csv` row; `time_columns` are normalised to RFC 3339 UTC.
    pub(crate) fn row(
        &mut self,
        row: &csv::StringRecord,
        time_columns: &[&str],
        times: &mut LocalTimes,
    ) -> Vec<String> {
        let mut fields: Vec<String> = self
            .mapped
            .iter_mut()
            .map(|(name, field)| {
                let v = field.get(row);
                if time_columns.contains(name) {
                    times.normalize(v)
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

    /// Says, per canonical column read from several export columns, where values came from.
    pub(crate) fn note(&self, table: &Table, summary: &mut ImportSummary) {
        for (name, field) in &self.mapped {
            field.note(table, name, summary);
        }
    }
}

/// Bookkeeping columns of warehouse syncs (`_fivetran_synced`, `_airbyte_extracted_at`): not
/// lead attributes.
pub(crate) fn is_sync_column(header: &str) -> bool {
    let h = header.to_ascii_lowercase();
    h.starts_with("_fivetran")
        || h.starts_with("_airbyte")
        || h.starts_with("_sdc_")
        || export_table::header_key(&h) == "isdeleted"
}

/// Rows a warehouse sync marks deleted (`_fivetran_deleted = true`, `is_deleted`): skipped and
/// counted.
pub(crate) struct Deleted {
    column: Option<usize>,
    /// Rows skipped.
    pub(crate) skipped: u64,
}

impl Deleted {
    /// The deletion flag of a table, when it has one.
    pub(crate) fn of(table: &Table) -> Self {
        Deleted {
            column: table.column(&["_fivetran_deleted", "IsDeleted", "is_deleted", "archived"]),
            skipped: 0,
        }
    }

    /// Whether the row is a deleted record (counted).
    pub(crate) fn skip(&mut self, row: &csv::StringRecord) -> bool {
        let deleted = truthy(Table::get(row, self.column));
        self.skipped += u64::from(deleted);
        deleted
    }

    /// Says how many deleted records were skipped.
    pub(crate) fn note(&self, table: &Table, summary: &mut ImportSummary) {
        if self.skipped > 0 {
            summary.caveats.push(format!(
                "{}: {} rows are deleted records (marked in {}); not imported",
                table.name,
                self.skipped,
                self.column.map_or("", |c| table.headers[c].as_str())
            ));
        }
    }
}

/// `true`, `1`, `yes` (any case).
pub(crate) fn truthy(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v == "1" || v.eq_ignore_ascii_case("yes")
}

/// The deals' currencies: the workspace currency is the most common; the others need a rate.
#[derive(Debug, Default)]
pub(crate) struct Currencies {
    counts: BTreeMap<String, u64>,
    blank: u64,
}

impl Currencies {
    /// Counts one deal's currency code ("" when the export has none).
    pub(crate) fn count(&mut self, code: &str) {
        if code.is_empty() {
            self.blank += 1;
        } else {
            *self.counts.entry(code.to_ascii_uppercase()).or_insert(0) += 1;
        }
    }

    /// The workspace currency: the most deals' (USD when no deal names one).
    pub(crate) fn main(&self) -> String {
        let mut best: Option<(&String, u64)> = None;
        for (code, &n) in &self.counts {
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((code, n));
            }
        }
        best.map_or("USD".into(), |(c, _)| c.clone())
    }

    /// The currencies other than the main one.
    pub(crate) fn others(&self) -> Vec<String> {
        let main = self.main();
        self.counts
            .keys()
            .filter(|c| **c != main)
            .cloned()
            .collect()
    }

    /// Names the currencies found, and which deals cannot be counted without rates.
    pub(crate) fn note(&self, summary: &mut ImportSummary) {
        if self.counts.len() < 2 {
            return;
        }
        let main = self.main();
        let found: Vec<String> = self
            .counts
            .iter()
            .map(|(c, n)| format!("{c} ({n} deals)"))
            .collect();
        let others: u64 = self
            .counts
            .iter()
            .filter(|(c, _)| **c != main)
            .map(|(_, n)| n)
            .sum();
        summary.caveats.push(format!(
            "deals carry several currencies: {}; the workspace currency is {main}. Fill in [currency] rates in baton.toml (how many {main} one unit is worth) or `baton analyze` rejects the {others} other deals as currency_mismatch",
            found.join(", ")
        ));
    }
}

/// The `reason` of a stage entry whose date the export does not have: the record's current
/// stage, entered at the best date the export has (`baton analyze` counts these as approximate).
pub(crate) const APPROXIMATE: &str = "approximate: current stage, entry date unknown";

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

/// Writes the imported workspace's `baton.toml`: `[currency] rates` lists every other
/// currency the deals carry, commented out until the user gives its rate.
pub(crate) fn write_config(
    out: &Path,
    name: &str,
    timezone: &str,
    currencies: &Currencies,
    lifecycle: &str,
) -> Result<(), HostError> {
    let currency = currencies.main();
    let others = currencies.others();
    let rates = if others.is_empty() {
        String::new()
    } else {
        let entries: Vec<String> = others.iter().map(|c| format!("# {c} = ")).collect();
        format!(
            "\n# The deals carry other currencies: give how many {currency} one unit of each is worth\n\
             # (e.g. EUR = 1.08); until then `baton analyze` rejects their deals as currency_mismatch.\n\
             [currency.rates]\n{}\n",
            entries.join("\n")
        )
    };
    let text = format!(
        "# Written by `baton import`. Review the lifecycle, calendar and SLA before analysing.\n\
         [workspace]\nname = {name:?}\ntimezone = {timezone:?}\ncurrency = {currency:?}\n\n\
         {lifecycle}\n\
         [calendar]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nhours = [\"09:00\", \"17:00\"]\nholidays = []\n{rates}"
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
        let ny = jiff::tz::TimeZone::get("America/New_York").expect("zone");
        let mut t = LocalTimes::new(ny, "America/New_York");
        assert_eq!(t.normalize("2024-03-05 10:00"), "2024-03-05T15:00:00Z");
        assert_eq!(t.normalize("03/05/2024 10:00 AM"), "2024-03-05T15:00:00Z");
        assert_eq!(
            t.normalize("2024-03-05T10:00:00.000+0000"),
            "2024-03-05T10:00:00Z"
        );
        assert_eq!(t.normalize("1709650800000"), "2024-03-05T15:00:00Z");
        assert_eq!(t.normalize("soon"), "soon");
        // 02:30 on 10 March 2024 does not exist in New York: 03:30 EDT, and said.
        assert_eq!(t.normalize("03/10/2024 02:30"), "2024-03-10T07:30:00Z");
        assert_eq!(t.normalize("2024-03-10 02:45"), "2024-03-10T07:45:00Z");
        let mut summary = ImportSummary::default();
        t.note(&mut summary);
        assert_eq!(
            summary.caveats,
            vec!["2 local times fall in a DST gap in America/New_York (e.g. 03/10/2024 02:30): moved forward by the gap, as `baton analyze` does (local_time_in_gap)".to_string()]
        );
    }
}
