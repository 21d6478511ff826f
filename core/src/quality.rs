//! Data quality: every row that could not be used, and every row used with a caveat, counted by
//! file and reason with the first line numbers as examples.

use crate::order::Map;

use serde::Serialize;

/// How many example lines are kept per (reason, field).
pub const EXAMPLES_KEPT: usize = 5;

/// Why a row was rejected or flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// A required field is empty (or absent from an NDJSON object).
    EmptyRequiredField,
    /// A timestamp could not be parsed.
    BadTimestamp,
    /// A number could not be parsed.
    BadNumber,
    /// A value outside the allowed set (e.g. `team = partner`).
    InvalidValue,
    /// A number outside its allowed range (e.g. NPS 11).
    OutOfRange,
    /// The row's `lead_id` is not in `leads`.
    UnknownLead,
    /// Another row has the same id; the kept one is named in the docs' rule.
    DuplicateId,
    /// A deal with an empty `lead_id`.
    DealWithoutLead,
    /// A stage that is not in `[lifecycle]` stages or exits.
    UnknownStage,
    /// Dated before its lead's `created_at`.
    BeforeLeadCreated,
    /// A won or lost deal without `closed_at`.
    MissingCloseDate,
    /// `closed_at` earlier than `created_at`.
    ClosedBeforeCreated,
    /// An amount in another currency than the workspace's.
    CurrencyMismatch,
    /// A row the parser could not split (wrong field count, invalid JSON, invalid UTF-8).
    MalformedRow,
    /// An asset `path` that could not be read.
    MissingFile,
    /// An event names an `asset_id` that is not in `assets`.
    UnknownAsset,
    /// A naive local time in a DST gap, moved forward.
    LocalTimeInGap,
    /// A naive local time in a DST fold, the earlier instant taken.
    LocalTimeInFold,
}

impl Reason {
    /// True for a reason that lies in other rows, not in the row itself (its lead, its asset
    /// or another row with its id is missing or differs): a service keeps such a row, which
    /// the analyses count as rejected until the other row arrives.
    pub fn depends_on_other_rows(self) -> bool {
        matches!(
            self,
            Reason::UnknownLead
                | Reason::BeforeLeadCreated
                | Reason::UnknownAsset
                | Reason::DuplicateId
        )
    }

    /// The reason as the report writes it (`bad_timestamp`; the serde name, checked by a test).
    pub fn name(self) -> &'static str {
        match self {
            Reason::EmptyRequiredField => "empty_required_field",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::BadNumber => "bad_number",
            Reason::InvalidValue => "invalid_value",
            Reason::OutOfRange => "out_of_range",
            Reason::UnknownLead => "unknown_lead",
            Reason::DuplicateId => "duplicate_id",
            Reason::DealWithoutLead => "deal_without_lead",
            Reason::UnknownStage => "unknown_stage",
            Reason::BeforeLeadCreated => "before_lead_created",
            Reason::MissingCloseDate => "missing_close_date",
            Reason::ClosedBeforeCreated => "closed_before_created",
            Reason::CurrencyMismatch => "currency_mismatch",
            Reason::MalformedRow => "malformed_row",
            Reason::MissingFile => "missing_file",
            Reason::UnknownAsset => "unknown_asset",
            Reason::LocalTimeInGap => "local_time_in_gap",
            Reason::LocalTimeInFold => "local_time_in_fold",
        }
    }
}

/// One (reason, field) tally.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Finding {
    /// Why.
    pub reason: Reason,
    /// The column concerned.
    pub field: String,
    /// How many rows.
    pub count: u64,
    /// The first line numbers (1-based; line 1 is the CSV header).
    pub lines: Vec<u64>,
    /// What was found on the first example line.
    pub example: String,
}

/// The tally for one input file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FileQuality {
    /// The file name as given.
    pub file: String,
    /// `csv`, `ndjson`, or `absent`.
    pub format: String,
    /// Data rows read.
    pub rows: u64,
    /// Rows used.
    pub accepted: u64,
    /// Rows not used.
    pub rejected: u64,
    /// Rejections by reason and field.
    pub rejections: Vec<Finding>,
    /// Rows used with a caveat.
    pub warnings: Vec<Finding>,
    /// Columns this file does not use (reported, not silently ignored).
    pub ignored_columns: Vec<String>,
}

/// `report.json` → `data_quality`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DataQuality {
    /// Rows read over all files.
    pub rows: u64,
    /// Rows used over all files.
    pub accepted: u64,
    /// Rows rejected over all files.
    pub rejected: u64,
    /// Rows flagged with a warning over all files.
    pub warnings: u64,
    /// Per file kind (`leads`, `events`, ...).
    pub files: Map<String, FileQuality>,
    /// Typed lead attributes: name → `number` | `bool` | `string`.
    pub lead_attributes: Map<String, String>,
}

/// What the ingestion said of one row: a rejection or a warning, with its field and value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RowFinding {
    /// The row's line (1-based; in a CSV file line 1 is the header, in rows given as JSON the
    /// first object is line 1).
    pub line: u64,
    /// Why.
    pub reason: Reason,
    /// The column concerned (`*` for a row that could not be split).
    pub field: String,
    /// What was found, as `data_quality` examples say it.
    pub example: String,
    /// True for a rejection (the row is not used), false for a warning.
    pub rejected: bool,
}

/// Accumulates findings for one file while it is read.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) file: String,
    pub(crate) format: String,
    pub(crate) rows: u64,
    rejections: Map<(Reason, String), Finding>,
    warnings: Map<(Reason, String), Finding>,
    pub(crate) ignored_columns: Vec<String>,
    /// Every row's findings, when asked for ([`crate::ingest::check_rows`]).
    #[cfg(feature = "row-findings")]
    pub(crate) each: Option<Vec<RowFinding>>,
}

impl Tally {
    pub(crate) fn new(file: &str, format: &str) -> Self {
        Self {
            file: file.into(),
            format: format.into(),
            ..Self::default()
        }
    }

    /// Counts a rejected row.
    pub(crate) fn reject(&mut self, reason: Reason, field: &str, line: u64, example: &str) {
        self.record(reason, field, line, example, true);
        Self::add(&mut self.rejections, reason, field, line, example);
    }

    /// Counts a row kept with a caveat.
    pub(crate) fn warn(&mut self, reason: Reason, field: &str, line: u64, example: &str) {
        self.record(reason, field, line, example, false);
        Self::add(&mut self.warnings, reason, field, line, example);
    }

    /// Keeps the row's finding when every row's are asked for.
    #[cfg(feature = "row-findings")]
    fn record(&mut self, reason: Reason, field: &str, line: u64, example: &str, rejected: bool) {
        if let Some(each) = &mut self.each {
            each.push(RowFinding {
                line,
                reason,
                field: field.into(),
                example: truncate(example, 500),
                rejected,
            });
        }
    }

    /// Builds without [`crate::ingest::check_rows`] keep no per-row findings.
    #[cfg(not(feature = "row-findings"))]
    fn record(&mut self, _: Reason, _: &str, _: u64, _: &str, _: bool) {}

    fn add(
        map: &mut Map<(Reason, String), Finding>,
        reason: Reason,
        field: &str,
        line: u64,
        example: &str,
    ) {
        let finding = map
            .entry((reason, field.to_string()))
            .or_insert_with(|| Finding {
                reason,
                field: field.into(),
                count: 0,
                lines: Vec::new(),
                example: String::new(),
            });
        finding.count += 1;
        let pos = finding.lines.partition_point(|&l| l < line);
        if pos < EXAMPLES_KEPT {
            finding.lines.insert(pos, line);
            finding.lines.truncate(EXAMPLES_KEPT);
            if pos == 0 {
                finding.example = truncate(example, 120);
            }
        }
    }

    /// True when nothing was rejected or warned about.
    pub(crate) fn is_clean(&self) -> bool {
        self.rejections.is_empty() && self.warnings.is_empty()
    }

    /// Rows rejected so far.
    pub(crate) fn rejected(&self) -> u64 {
        self.rejections.values().map(|f| f.count).sum()
    }

    pub(crate) fn into_file_quality(self) -> FileQuality {
        let rejected = self.rejected();
        FileQuality {
            file: self.file,
            format: self.format,
            rows: self.rows,
            accepted: self.rows - rejected.min(self.rows),
            rejected,
            rejections: self.rejections.into_values().collect(),
            warnings: self.warnings.into_values().collect(),
            ignored_columns: self.ignored_columns,
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_are_the_serde_names() {
        for r in [
            Reason::EmptyRequiredField,
            Reason::BadTimestamp,
            Reason::CurrencyMismatch,
            Reason::LocalTimeInFold,
            Reason::MalformedRow,
        ] {
            assert_eq!(serde_json::to_value(r).expect("json"), r.name());
        }
    }

    #[test]
    fn keeps_smallest_lines_and_counts_all() {
        let mut t = Tally::new("events.csv", "csv");
        t.rows = 10;
        for line in [9, 3, 7, 2, 8, 5, 4] {
            t.reject(Reason::BadTimestamp, "ts", line, &format!("v{line}"));
        }
        let q = t.into_file_quality();
        assert_eq!(q.rejected, 7);
        assert_eq!(q.accepted, 3);
        assert_eq!(q.rejections[0].lines, vec![2, 3, 4, 5, 7]);
        assert_eq!(q.rejections[0].example, "v2");
    }
}
