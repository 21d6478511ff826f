//! Ingestion: reads the workspace files from readers the caller hands in (core opens nothing),
//! validates every row, and builds a canonical [`Workspace`].
//!
//! Files may come in any order and rows in any order within a file: references are resolved and
//! ties broken in [`Loader::finish`], on canonical (lexicographic) symbols.

mod activity;
mod assets;
mod deals;
mod leads;
pub(crate) use leads::{as_bool, as_number};
mod one_lead;

pub use crate::schema::FileKind;
pub use one_lead::{Fields, one_lead_workspace, one_lead_workspace_json};

use crate::order::Map;
use std::io::Read;

use csv::ByteRecord;
use rustc_hash::FxHashSet;

use crate::config::{Framework, PreCreationPolicy};
use crate::model::{LeadIx, Workspace};
use crate::quality::{DataQuality, Reason, Tally};
use crate::records::{Columns, Format, JsonRows, Next, Records, field};
use crate::symbols::{Sym, Symbols};
use crate::time::{Instant, LocalAdjustment, TimeParser};

/// A fatal input problem: the file cannot be read as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// A required column is not in the header.
    #[error("{file}: missing required column `{column}` (the header has: {found})")]
    MissingColumn {
        /// The file.
        file: String,
        /// The missing column.
        column: String,
        /// The header as read.
        found: String,
    },
    /// The file could not be read.
    #[error("{file}: cannot be read: {message}")]
    Unreadable {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The same kind of file was given twice.
    #[error("{file}: a {kind} file was already given ({previous}); give one file per kind")]
    DuplicateFile {
        /// The file.
        file: String,
        /// The kind.
        kind: String,
        /// The file given first.
        previous: String,
    },
    /// No leads file was given.
    #[error("no leads file: a workspace needs leads.csv (or leads.ndjson)")]
    NoLeads,
}

/// Reads asset texts named by `assets.path` (the host reads files; the browser looks up uploads).
pub trait TextSource {
    /// The text of the file at `path` (relative to the workspace), or why it cannot be had.
    fn read_text(&self, path: &str) -> Result<String, String>;
}

/// A [`TextSource`] with no files: every `path` is reported missing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTexts;

impl TextSource for NoTexts {
    fn read_text(&self, path: &str) -> Result<String, String> {
        Err(format!(
            "{path}: asset files are not available in this environment"
        ))
    }
}

/// Builds a [`Workspace`] from files handed in one at a time.
pub struct Loader {
    framework: std::sync::Arc<Framework>,
    parser: TimeParser,
    symbols: Symbols,
    tallies: Map<FileKind, Tally>,
    leads: leads::LeadRows,
    activity: activity::ActivityRows,
    deals: deals::DealRows,
    assets: assets::AssetRows,
    /// The kind whose every row's findings are kept ([`check_rows`]).
    #[cfg(feature = "row-findings")]
    each_row_of: Option<FileKind>,
}

impl Loader {
    /// A loader for a workspace with this framework.
    pub fn new(framework: impl Into<std::sync::Arc<Framework>>) -> Self {
        let framework = framework.into();
        let parser = TimeParser::new(framework.tz.clone());
        Self {
            framework,
            parser,
            symbols: Symbols::default(),
            tallies: Map::new(),
            leads: leads::LeadRows::default(),
            activity: activity::ActivityRows::default(),
            deals: deals::DealRows::default(),
            assets: assets::AssetRows::default(),
            #[cfg(feature = "row-findings")]
            each_row_of: None,
        }
    }

    /// Tells the loader how large a file of `kind` is, so it can size its tables once
    /// instead of growing them (growth would briefly hold two copies of the event table).
    pub fn expect_bytes(&mut self, kind: FileKind, bytes: u64) {
        if kind == FileKind::Events {
            // Canonical event rows are rarely shorter than 60 bytes.
            self.activity.reserve_events((bytes / 60) as usize);
        }
    }

    /// Reads one file of `kind`; `file` names it in errors and in `data_quality`.
    pub fn add(
        &mut self,
        kind: FileKind,
        file: &str,
        format: Format,
        input: impl Read,
    ) -> Result<(), IngestError> {
        self.refuse_second(kind, file)?;
        let records = Records::new(format, input, &kind.all_columns()).map_err(|e| {
            IngestError::Unreadable {
                file: file.into(),
                message: e.0,
            }
        })?;
        self.read(kind, file, format, records)
    }

    /// Reads rows of `kind` given as JSON objects in one text ([`JsonRows`]: a page's lead and
    /// its events), exactly as the same objects written one per line to an NDJSON file would be.
    pub fn add_json_rows(&mut self, file: &str, rows: JsonRows) -> Result<(), IngestError> {
        let kind = rows.kind();
        self.refuse_second(kind, file)?;
        let records: Records<&[u8]> = Records::objects(rows);
        self.read(kind, file, Format::Ndjson, records)
    }

    /// One file per kind: a second one is an error naming both.
    fn refuse_second(&self, kind: FileKind, file: &str) -> Result<(), IngestError> {
        match self.tallies.get(&kind) {
            Some(previous) => Err(IngestError::DuplicateFile {
                file: file.into(),
                kind: kind.stem().into(),
                previous: previous.file.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Validates the header and reads every row of one file.
    fn read<R: Read>(
        &mut self,
        kind: FileKind,
        file: &str,
        format: Format,
        mut records: Records<R>,
    ) -> Result<(), IngestError> {
        let unreadable = |message: String| IngestError::Unreadable {
            file: file.into(),
            message,
        };
        let all = kind.all_columns();
        let header = records.header().to_vec();
        for column in kind.required_columns() {
            if !header.iter().any(|h| h.eq_ignore_ascii_case(column)) {
                return Err(IngestError::MissingColumn {
                    file: file.into(),
                    column: (*column).into(),
                    found: header.join(", "),
                });
            }
        }
        let columns = Columns::resolve(&header, &all);
        let mut tally = Tally::new(file, format.as_str());
        #[cfg(feature = "row-findings")]
        if self.each_row_of == Some(kind) {
            tally.each = Some(Vec::new());
        }
        // Columns not read: names this kind does not use (a leads file's become attributes), and
        // a column named again in another case (`lead_id` and `Lead_ID`: the first is read; a
        // leads file's attributes named twice are merged instead, with a warning on conflict).
        tally.ignored_columns = header
            .iter()
            .enumerate()
            .filter(
                |&(i, h)| match all.iter().position(|c| c.eq_ignore_ascii_case(h)) {
                    None => kind != FileKind::Leads,
                    Some(c) => {
                        let merged =
                            kind == FileKind::Leads && !matches!(all[c], "lead_id" | "created_at");
                        !merged && columns.pos(c) != Some(i)
                    }
                },
            )
            .map(|(_, h)| h.clone())
            .collect();
        let mut record = ByteRecord::new();
        loop {
            let line = match records.next(&mut record).map_err(|e| unreadable(e.0))? {
                Next::End => break,
                Next::Malformed(line, message) => {
                    tally.rows += 1;
                    tally.reject(Reason::MalformedRow, "*", line, &message);
                    continue;
                }
                Next::Row(line) => line,
            };
            tally.rows += 1;
            let mut row = Row {
                record: &record,
                columns: &columns,
                line,
                tally: &mut tally,
                parser: &self.parser,
                symbols: &mut self.symbols,
            };
            match kind {
                FileKind::Leads => self.leads.read(&mut row, records.header()),
                FileKind::Events => self.activity.read_event(&mut row),
                FileKind::Stages => self.activity.read_stage(&mut row, &self.framework),
                FileKind::Feedback => self.activity.read_feedback(&mut row),
                FileKind::Deals => self.deals.read(
                    &mut row,
                    &self.framework.config.workspace,
                    &self.framework.config.currency,
                ),
                FileKind::Assets => self.assets.read(&mut row),
            }
        }
        if kind == FileKind::Leads {
            // NDJSON's known columns are in its header from the start; one that no object had
            // is not an attribute, as a column a CSV header does not name is not.
            self.leads.forget_absent(|pos| records.present(pos));
        }
        self.tallies.insert(kind, tally);
        Ok(())
    }

    /// Resolves references, breaks ties, and returns the canonical workspace.
    pub fn finish(self, texts: &dyn TextSource) -> Result<Workspace, IngestError> {
        self.finish_rows(texts).map(|(ws, _)| ws)
    }

    /// [`Loader::finish`], with every finding of the kind [`check_rows`] asked about, by row.
    fn finish_rows(mut self, texts: &dyn TextSource) -> Result<(Workspace, EachRow), IngestError> {
        if !self.tallies.contains_key(&FileKind::Leads) {
            return Err(IngestError::NoLeads);
        }
        let remap = self.symbols.canonicalize();
        let mut tallies = std::mem::take(&mut self.tallies);
        let mut tally_of = |k: FileKind| -> Tally {
            tallies
                .remove(&k)
                .unwrap_or_else(|| Tally::new(&format!("{}.csv", k.stem()), "absent"))
        };
        let mut lead_tally = tally_of(FileKind::Leads);
        let (leads, attributes, lead_of_sym) =
            self.leads.finish(&remap, &self.symbols, &mut lead_tally);
        let resolver = Resolver {
            symbols: &self.symbols,
            lead_of_sym: &lead_of_sym,
            created: leads.iter().map(|l| l.created_at).collect(),
            policy: self.framework.config.workspace.events_before_creation,
        };
        let mut asset_tally = tally_of(FileKind::Assets);
        let have_assets = asset_tally.format != "absent";
        let assets = self.assets.finish(&remap, texts, &mut asset_tally);
        let asset_ids: FxHashSet<Sym> = assets.iter().map(|a| a.id).collect();
        let mut event_tally = tally_of(FileKind::Events);
        let mut stage_tally = tally_of(FileKind::Stages);
        let mut feedback_tally = tally_of(FileKind::Feedback);
        let (events, event_start, stages, feedback) = self.activity.finish(
            &remap,
            &resolver,
            leads.len(),
            have_assets.then_some(&asset_ids),
            [&mut event_tally, &mut stage_tally, &mut feedback_tally],
        );
        let mut deal_tally = tally_of(FileKind::Deals);
        let deals = self.deals.finish(&remap, &resolver, &mut deal_tally);

        let mut data_quality = DataQuality::default();
        #[cfg_attr(
            not(feature = "row-findings"),
            allow(unused_mut, clippy::let_unit_value)
        )]
        let mut each = EachRow::default();
        for (kind, tally) in [
            (FileKind::Leads, lead_tally),
            (FileKind::Events, event_tally),
            (FileKind::Stages, stage_tally),
            (FileKind::Deals, deal_tally),
            (FileKind::Assets, asset_tally),
            (FileKind::Feedback, feedback_tally),
        ] {
            #[cfg(feature = "row-findings")]
            let tally = {
                let mut tally = tally;
                if let Some(rows) = tally.each.take() {
                    each = rows;
                }
                tally
            };
            let q = tally.into_file_quality();
            data_quality.rows += q.rows;
            data_quality.accepted += q.accepted;
            data_quality.rejected += q.rejected;
            data_quality.warnings += q.warnings.iter().map(|w| w.count).sum::<u64>();
            data_quality.files.insert(kind.stem().into(), q);
        }
        for a in &attributes {
            data_quality
                .lead_attributes
                .insert(a.name.clone(), a.values.type_name().into());
        }
        let stage_names = self.framework.stage_names.clone();
        #[cfg(feature = "row-findings")]
        crate::order::sort_by_key(&mut each, |f| (f.line, !f.rejected));
        let ws = Workspace {
            framework: self.framework,
            symbols: self.symbols,
            leads,
            attributes,
            events,
            event_start,
            stages,
            stage_names,
            deals,
            assets,
            feedback,
            data_quality,
        };
        Ok((ws, each))
    }
}

/// Every row's findings ([`check_rows`]); nothing in builds without them (the browser's).
#[cfg(feature = "row-findings")]
type EachRow = Vec<crate::quality::RowFinding>;
/// Every row's findings ([`check_rows`]); nothing in builds without them (the browser's).
#[cfg(not(feature = "row-findings"))]
type EachRow = ();

/// Reads `rows` (a batch a service was handed) as the files would be read, beside `context`
/// (the leads and assets the rows refer to), and says what the ingestion found of each row:
/// every rejection and warning with its line (the first object is line 1), reason, field and
/// value — the same as `data_quality` would count had the rows been in a file.
#[cfg(feature = "row-findings")]
pub fn check_rows(
    framework: impl Into<std::sync::Arc<Framework>>,
    context: Vec<(&str, JsonRows)>,
    file: &str,
    rows: JsonRows,
) -> Result<(Workspace, Vec<crate::quality::RowFinding>), IngestError> {
    let mut loader = Loader::new(framework);
    loader.each_row_of = Some(rows.kind());
    for (name, context_rows) in context {
        loader.add_json_rows(name, context_rows)?;
    }
    loader.add_json_rows(file, rows)?;
    loader.finish_rows(&NoTexts)
}

/// One row being read, with what it needs to validate and intern its fields.
pub(crate) struct Row<'a> {
    record: &'a ByteRecord,
    columns: &'a Columns,
    line: u64,
    tally: &'a mut Tally,
    parser: &'a TimeParser,
    symbols: &'a mut Symbols,
}

/// Column position → canonical name, per the kind's `all_columns` order.
pub(crate) struct Col {
    index: usize,
    name: &'static str,
}

impl Col {
    pub(crate) const fn new(index: usize, name: &'static str) -> Self {
        Self { index, name }
    }
}

/// Why a field that is not UTF-8 is rejected: the encoding it most likely is, and the fix.
pub(crate) const NOT_UTF8: &str = "not UTF-8 (Windows-1252 or Latin-1?): save the file as UTF-8";

impl<'a> Row<'a> {
    /// The field's text, or `None` after rejecting the row as malformed (invalid UTF-8).
    fn text(&mut self, col: &Col) -> Option<&'a str> {
        let record: &'a ByteRecord = self.record;
        match field(record, self.columns.pos(col.index)) {
            Ok(t) => Some(t),
            Err(()) => {
                self.tally
                    .reject(Reason::MalformedRow, col.name, self.line, NOT_UTF8);
                None
            }
        }
    }

    /// A required field: rejects the row when it is empty.
    fn required(&mut self, col: &Col) -> Option<&'a str> {
        let text = self.text(col)?;
        if text.is_empty() {
            self.reject(Reason::EmptyRequiredField, col, "empty");
            return None;
        }
        Some(text)
    }

    /// An optional field interned: `Some(None)` when empty, `None` after rejecting the row.
    fn optional_sym(&mut self, col: &Col) -> Option<Option<Sym>> {
        let text = self.text(col)?;
        Some((!text.is_empty()).then(|| self.symbols.intern(text)))
    }

    /// A required field interned.
    fn required_sym(&mut self, col: &Col) -> Option<Sym> {
        let text = self.required(col)?;
        Some(self.symbols.intern(text))
    }

    /// A required timestamp.
    fn required_time(&mut self, col: &Col) -> Option<(Instant, Option<LocalAdjustment>)> {
        let text = self.required(col)?;
        self.parse_time(col, text)
    }

    /// An optional timestamp: `Some(None)` when empty, `None` after rejecting the row.
    fn optional_time(&mut self, col: &Col) -> Option<Option<(Instant, Option<LocalAdjustment>)>> {
        let text = self.text(col)?;
        if text.is_empty() {
            return Some(None);
        }
        self.parse_time(col, text).map(Some)
    }

    fn parse_time(&mut self, col: &Col, text: &str) -> Option<(Instant, Option<LocalAdjustment>)> {
        match self.parser.parse(text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.reject(Reason::BadTimestamp, col, &format!("{text:?}: {e}"));
                None
            }
        }
    }

    /// An optional number: `Some(None)` when empty, `None` after rejecting the row.
    fn number(&mut self, col: &Col) -> Option<Option<f64>> {
        let text = self.text(col)?;
        if text.is_empty() {
            return Some(None);
        }
        match parse_number(text) {
            Some(n) => Some(Some(n)),
            None => {
                self.reject(Reason::BadNumber, col, &format!("{text:?} is not a number"));
                None
            }
        }
    }

    fn reject(&mut self, reason: Reason, col: &Col, example: &str) {
        self.tally.reject(reason, col.name, self.line, example);
    }
}

/// Parses a plain decimal number (no thousands separators, no units); finite only.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let n: f64 = text.parse().ok()?;
    n.is_finite().then_some(n)
}

/// Resolves lead references after canonicalisation.
pub(crate) struct Resolver<'a> {
    symbols: &'a Symbols,
    lead_of_sym: &'a [u32],
    created: Vec<Instant>,
    policy: PreCreationPolicy,
}

/// The result of checking a dated reference to a lead.
pub(crate) enum Resolved {
    /// A known lead, and whether the row predates the lead (kept under the `keep` policy).
    Lead(LeadIx, bool),
    /// Rejected with this reason.
    Rejected(Reason),
}

impl Resolver<'_> {
    /// The example text for a rejected reference.
    pub(crate) fn example(&self, reason: Reason, lead: Sym) -> String {
        match reason {
            Reason::UnknownLead => format!(
                "lead_id {:?} is not in leads (or its lead row was rejected)",
                self.symbols.text(lead)
            ),
            Reason::BeforeLeadCreated => "dated before the lead's created_at".into(),
            _ => String::new(),
        }
    }

    /// Checks the lead (by its canonical symbol) and the row's time against its creation.
    pub(crate) fn resolve(&self, lead: Sym, ts: Instant) -> Resolved {
        match self.lead_of_sym.get(lead.index()).copied() {
            Some(ix) if ix != u32::MAX => {
                let early = ts < self.created[ix as usize];
                if early && self.policy == PreCreationPolicy::Reject {
                    Resolved::Rejected(Reason::BeforeLeadCreated)
                } else {
                    Resolved::Lead(ix, early)
                }
            }
            _ => Resolved::Rejected(Reason::UnknownLead),
        }
    }
}

/// Records the DST warning of a row that was kept.
pub(crate) fn warn_adjustment(
    tally: &mut Tally,
    adj: Option<LocalAdjustment>,
    field: &str,
    line: u64,
) {
    match adj {
        Some(LocalAdjustment::Gap) => tally.warn(
            Reason::LocalTimeInGap,
            field,
            line,
            "local time skipped by a DST change; moved forward by the gap",
        ),
        Some(LocalAdjustment::Fold) => tally.warn(
            Reason::LocalTimeInFold,
            field,
            line,
            "local time repeated by a DST change; the earlier instant was taken",
        ),
        None => {}
    }
}
