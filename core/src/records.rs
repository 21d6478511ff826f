//! Rows from CSV (header row) or NDJSON (one object per line), presented alike: a header and
//! a `ByteRecord` per row, with the row's line number.

use std::io::{BufRead, BufReader, Read};

use csv::ByteRecord;
use serde::de::DeserializeSeed;

mod json;

pub use json::JsonRows;
use json::ObjectRow;

/// The encoding of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// Newline-delimited JSON objects.
    Ndjson,
}

impl Format {
    /// The format for a file name's extension (`.csv`, `.ndjson`, `.jsonl`).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
            Some(Format::Ndjson)
        } else {
            None
        }
    }

    /// `csv` or `ndjson`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }
}

/// Most columns a file may have (HubSpot's all-properties exports reach 1,500 or so): wider
/// files are refused, since work per row grows with the columns a row names.
pub const MAX_COLUMNS: usize = 5_000;

/// What reading the next row gave.
pub(crate) enum Next {
    /// A row at this line.
    Row(u64),
    /// A row that could not be split; the message says why.
    Malformed(u64, String),
    /// End of input.
    End,
}

/// A fatal read error (I/O or an unreadable header).
#[derive(Debug)]
pub(crate) struct ReadError(pub String);

/// Reads rows from CSV or NDJSON.
pub(crate) enum Records<R: Read> {
    Csv {
        reader: csv::Reader<Tail<BufReader<R>>>,
        header: Vec<String>,
        /// The field separator, sniffed from the header line.
        separator: u8,
    },
    Ndjson {
        reader: BufReader<R>,
        header: Vec<String>,
        /// How many of the header's first columns are the known ones (matched case-insensitively).
        seed: usize,
        /// Per header column, whether a line so far had it.
        present: Vec<bool>,
        line: u64,
        buf: Vec<u8>,
    },
    /// JSON objects handed over as one text (a page's lead and its events): read as NDJSON
    /// lines would be, numbered from 1.
    Objects {
        rows: std::vec::IntoIter<ByteRecord>,
        header: Vec<String>,
        present: Vec<bool>,
        line: u64,
    },
}

impl<R: Read> Records<R> {
    /// Opens a reader; for NDJSON `seed` is the known column list (others are appended as seen).
    pub(crate) fn new(format: Format, input: R, seed: &[&str]) -> Result<Self, ReadError> {
        match format {
            Format::Csv => {
                let mut input = BufReader::with_capacity(1 << 16, input);
                let separator = sniff_separator(input.fill_buf().unwrap_or(&[]));
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .delimiter(separator)
                    .buffer_capacity(1 << 16)
                    .from_reader(Tail::new(input));
                let header = reader
                    .byte_headers()
                    .map_err(|e| ReadError(format!("cannot read the header row: {e}")))?
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let text = String::from_utf8_lossy(h);
                        let text = if i == 0 {
                            text.trim_start_matches('\u{feff}').to_string()
                        } else {
                            text.to_string()
                        };
                        text.trim().to_string()
                    })
                    .collect::<Vec<String>>();
                if header.len() > MAX_COLUMNS {
                    return Err(ReadError(format!(
                        "the header row has {} columns; the limit is {MAX_COLUMNS}",
                        header.len()
                    )));
                }
                Ok(Records::Csv {
                    reader,
                    header,
                    separator,
                })
            }
            Format::Ndjson => Ok(Records::Ndjson {
                reader: BufReader::with_capacity(1 << 16, input),
                header: seed.iter().map(|s| s.to_string()).collect(),
                seed: seed.len(),
                present: Vec::new(),
                line: 0,
                buf: Vec::new(),
            }),
        }
    }

    /// Rows from JSON objects given as one text ([`JsonRows`]).
    pub(crate) fn objects(rows: JsonRows) -> Self {
        Records::Objects {
            rows: rows.rows.into_iter(),
            header: rows.header,
            present: rows.present,
            line: 0,
        }
    }

    /// Whether the header column at `pos` holds anything: a CSV's columns always do; a column of
    /// JSON objects only once some object had its key.
    pub(crate) fn present(&self, pos: usize) -> bool {
        match self {
            Records::Csv { .. } => true,
            Records::Ndjson { present, .. } | Records::Objects { present, .. } => {
                present.get(pos).copied().unwrap_or(false)
            }
        }
    }

    /// The column names known so far.
    pub(crate) fn header(&self) -> &[String] {
        match self {
            Records::Csv { header, .. }
            | Records::Ndjson { header, .. }
            | Records::Objects { header, .. } => header,
        }
    }

    /// Reads the next row into `record`.
    pub(crate) fn next(&mut self, record: &mut ByteRecord) -> Result<Next, ReadError> {
        match self {
            Records::Csv {
                reader,
                header,
                separator,
            } => match reader.read_byte_record(record) {
                Ok(false) => Ok(Next::End),
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line());
                    let next = reader.position().line();
                    let runaway = if next > line + 1 || reader.get_ref().eof {
                        runaway_quote(record, header.len(), *separator, line, next, reader)
                    } else {
                        None
                    };
                    if record.len() != header.len() {
                        let mut message = format!(
                            "expected {} fields as in the header, found {}",
                            header.len(),
                            record.len()
                        );
                        if let Some(r) = runaway {
                            message = format!("{r}; {message}");
                        }
                        return Ok(Next::Malformed(line, message));
                    }
                    if let Some(r) = runaway {
                        return Ok(Next::Malformed(line, r));
                    }
                    Ok(Next::Row(line))
                }
                Err(e) => match e.kind() {
                    csv::ErrorKind::Io(_) => Err(ReadError(e.to_string())),
                    _ => {
                        let line = e.position().map_or(0, |p| p.line());
                        Ok(Next::Malformed(line, e.to_string()))
                    }
                },
            },
            Records::Ndjson {
                reader,
                header,
                seed,
                present,
                line,
                buf,
            } => loop {
                buf.clear();
                let n = reader
                    .read_until(b'\n', buf)
                    .map_err(|e| ReadError(e.to_string()))?;
                if n == 0 {
                    return Ok(Next::End);
                }
                *line += 1;
                let text = trim_ascii(buf);
                if text.is_empty() {
                    continue;
                }
                let Ok(text) = std::str::from_utf8(text) else {
                    return Ok(Next::Malformed(*line, "invalid UTF-8".into()));
                };
                let mut de = serde_json::Deserializer::from_str(text);
                let read = ObjectRow {
                    header,
                    present,
                    seed: *seed,
                    record,
                    defaults: &[],
                    fresh: false,
                }
                .deserialize(&mut de)
                .and_then(|()| de.end());
                if let Err(e) = read {
                    return Ok(Next::Malformed(*line, format!("not a JSON object: {e}")));
                }
                return Ok(Next::Row(*line));
            },
            Records::Objects { rows, line, .. } => match rows.next() {
                None => Ok(Next::End),
                Some(row) => {
                    *line += 1;
                    *record = row;
                    Ok(Next::Row(*line))
                }
            },
        }
    }
}

/// The input of a CSV reader, remembering its last byte that is not a line end: a file whose
/// last record holds a line break but does not end in `"` ran to its end inside a quoted field.
pub(crate) struct Tail<R> {
    inner: R,
    last: Option<u8>,
    eof: bool,
    /// The previous chunk ended in `\r`: a `\n` starting this one belongs to it.
    after_cr: bool,
}

impl<R> Tail<R> {
    fn new(inner: R) -> Self {
        Tail {
            inner,
            last: None,
            eof: false,
            after_cr: false,
        }
    }
}

impl<R: Read> Read for Tail<R> {
    /// Reads with every line ending (`\r\n`, `\r`, `\n`) as one `\n`: the CSV reader counts
    /// lines at `\n` and would number every row after a `\r\n` one too low.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            self.eof |= n == 0 && !buf.is_empty();
            let kept = normalize_line_endings(&mut buf[..n], &mut self.after_cr);
            if let Some(&b) = buf[..kept]
                .iter()
                .rev()
                .find(|b| !matches!(b, b'\r' | b'\n'))
            {
                self.last = Some(b);
            }
            // A chunk that was only the `\n` of a split `\r\n` is not the end of the input.
            if kept > 0 || n == 0 {
                return Ok(kept);
            }
        }
    }
}

/// Rewrites `\r\n` and a lone `\r` as `\n` in place; returns the bytes kept.
fn normalize_line_endings(buf: &mut [u8], after_cr: &mut bool) -> usize {
    // The common case, a chunk without `\r`, is left as it is.
    if !*after_cr && !buf.contains(&b'\r') {
        return buf.len();
    }
    let mut kept = 0;
    for i in 0..buf.len() {
        let b = buf[i];
        if b == b'\n' && *after_cr {
            *after_cr = false;
            continue;
        }
        *after_cr = b == b'\r';
        buf[kept] = if b == b'\r' { b'\n' } else { b };
        kept += 1;
    }
    kept
}

/// The field separator of a CSV file: the one of `,` `;` tab `|` found most often outside quotes
/// in its first line (a comma when none is, or on a tie with it). European Excel writes `;`.
pub fn sniff_separator(head: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = candidates.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (1..4).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    candidates[best]
}

/// Why a record that spans lines `line..next` looks like a runaway quote: a quoted field that
/// never closes and swallows the rest of the file, or one that swallowed lines shaped like rows
/// (as many commas as the header has separators). Legitimate multi-line text passes.
fn runaway_quote<R: Read>(
    record: &ByteRecord,
    columns: usize,
    separator: u8,
    line: u64,
    next: u64,
    reader: &csv::Reader<Tail<BufReader<R>>>,
) -> Option<String> {
    let (index, field) = record
        .iter()
        .enumerate()
        .find(|(_, f)| f.contains(&b'\n'))?;
    let breaks = field.iter().filter(|&&b| b == b'\n').count() as u64;
    let column = index + 1;
    let tail = reader.get_ref();
    if tail.eof && index + 1 == record.len() && tail.last != Some(b'"') {
        let breaks = breaks - u64::from(field.ends_with(b"\n"));
        let last = line + breaks;
        return Some(format!(
            "unclosed quote in column {column} from line {line}: it swallows the {breaks} lines to the end of the file ({}..{last})",
            line + 1
        ));
    }
    let rowlike = field
        .split(|&b| b == b'\n')
        .skip(1)
        .filter(|l| columns >= 3 && l.iter().filter(|&&b| b == separator).count() + 1 >= columns)
        .count();
    if rowlike == 0 {
        return None;
    }
    let last = next.saturating_sub(1).max(line + breaks);
    Some(format!(
        "quote in column {column} from line {line} runs to line {last}, swallowing {breaks} lines ({rowlike} like rows): an unclosed quote?"
    ))
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

/// Column positions of one file, resolved once from its header.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    positions: Vec<Option<usize>>,
}

impl Columns {
    /// Resolves `names` (case-insensitive) against `header`.
    pub(crate) fn resolve(header: &[String], names: &[&str]) -> Self {
        Self {
            positions: names
                .iter()
                .map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
                .collect(),
        }
    }

    /// The position of the `i`-th requested column.
    pub(crate) fn pos(&self, i: usize) -> Option<usize> {
        self.positions.get(i).copied().flatten()
    }
}

/// The field at `pos` as trimmed UTF-8 text; `Err(())` when it is not valid UTF-8.
#[allow(clippy::result_unit_err)]
pub(crate) fn field(record: &ByteRecord, pos: Option<usize>) -> Result<&str, ()> {
    match pos.and_then(|p| record.get(p)) {
        None => Ok(""),
        Some(bytes) => std::str::from_utf8(bytes).map(str::trim).map_err(|_| ()),
    }
}

/// One row of a file as the ingestion splits it: its line and its `(column, text)` pairs in the
/// header's order, or why it could not be split.
pub enum FileRow<'a> {
    /// A row: its line (line 1 is a CSV file's header; an NDJSON file's first object) and fields.
    Row(u64, Vec<(&'a str, std::borrow::Cow<'a, str>)>),
    /// A row that could not be split, with the reason.
    Malformed(u64, String),
}

/// Reads every row of a `kind` file as [`FileRow`]s, splitting it exactly as the ingestion does
/// (separator sniffed, line endings normalised, NDJSON objects' keys as columns): for a caller
/// that stores rows to be ingested later, such as the live service's store.
pub fn read_file_rows<R: Read>(
    kind: crate::schema::FileKind,
    format: Format,
    input: R,
    mut each: impl FnMut(FileRow<'_>),
) -> Result<(), String> {
    let mut records = Records::new(format, input, &kind.all_columns()).map_err(|e| e.0)?;
    let mut record = ByteRecord::new();
    loop {
        match records.next(&mut record).map_err(|e| e.0)? {
            Next::End => return Ok(()),
            Next::Malformed(line, message) => each(FileRow::Malformed(line, message)),
            Next::Row(line) => {
                let header = records.header();
                let fields = record
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i < header.len() && records.present(i))
                    .map(|(i, bytes)| (header[i].as_str(), String::from_utf8_lossy(bytes)))
                    .collect();
                each(FileRow::Row(line, fields));
            }
        }
    }
}
