//! Rows from CSV (header row) or NDJSON (one object per line), presented alike: a header and
//! a `ByteRecord` per row, with the row's line number.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use csv::ByteRecord;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

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
        reader: csv::Reader<R>,
        header: Vec<String>,
    },
    Ndjson {
        reader: BufReader<R>,
        header: Vec<String>,
        /// How many of the header's first columns are the known ones (matched case-insensitively).
        seed: usize,
        line: u64,
        buf: Vec<u8>,
    },
    /// JSON objects handed over as one text (a page's lead and its events): read as NDJSON
    /// lines would be, numbered from 1.
    Objects {
        rows: std::vec::IntoIter<ByteRecord>,
        header: Vec<String>,
        line: u64,
    },
}

impl<R: Read> Records<R> {
    /// Opens a reader; for NDJSON `seed` is the known column list (others are appended as seen).
    pub(crate) fn new(format: Format, input: R, seed: &[&str]) -> Result<Self, ReadError> {
        match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(input);
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
                    .collect();
                Ok(Records::Csv { reader, header })
            }
            Format::Ndjson => Ok(Records::Ndjson {
                reader: BufReader::with_capacity(1 << 16, input),
                header: seed.iter().map(|s| s.to_string()).collect(),
                seed: seed.len(),
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
            line: 0,
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
            Records::Csv { reader, header } => match reader.read_byte_record(record) {
                Ok(false) => Ok(Next::End),
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line());
                    if record.len() != header.len() {
                        return Ok(Next::Malformed(
                            line,
                            format!(
                                "expected {} fields as in the header, found {}",
                                header.len(),
                                record.len()
                            ),
                        ));
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

/// JSON objects read into rows without building a `serde_json::Map` per object: a page's lead
/// (one object) or its events (an array of objects), as NDJSON lines with the same objects
/// would be read.
#[derive(Debug, Clone)]
pub struct JsonRows {
    kind: crate::ingest::FileKind,
    header: Vec<String>,
    /// How many of the header's first columns are the kind's own (matched case-insensitively).
    seed: usize,
    rows: Vec<ByteRecord>,
}

impl JsonRows {
    /// Parses one object or an array of objects, rows of a `kind` file; `defaults` are columns
    /// every row has, with the text of one an object leaves out.
    pub fn parse(
        kind: crate::ingest::FileKind,
        text: &str,
        defaults: &[(&str, &str)],
    ) -> Result<Self, String> {
        let columns = kind.all_columns();
        let mut rows = JsonRows {
            kind,
            seed: columns.len(),
            header: columns.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        };
        let mut de = serde_json::Deserializer::from_str(text);
        de::DeserializeSeed::deserialize(
            ObjectRows {
                rows: &mut rows,
                defaults,
            },
            &mut de,
        )
        .and_then(|()| de.end())
        .map_err(|e| e.to_string())?;
        Ok(rows)
    }

    /// The kind of file the rows are of.
    pub fn kind(&self) -> crate::ingest::FileKind {
        self.kind
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The text of `column` (exact name) in row `row`, if the column exists.
    pub fn field(&self, row: usize, column: &str) -> Option<&str> {
        let at = self.header.iter().position(|h| h == column)?;
        let bytes = self.rows.get(row)?.get(at)?;
        std::str::from_utf8(bytes).ok()
    }
}

/// An object, or an array of objects, into [`JsonRows`].
struct ObjectRows<'a> {
    rows: &'a mut JsonRows,
    defaults: &'a [(&'a str, &'a str)],
}

impl<'de> DeserializeSeed<'de> for ObjectRows<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectRows<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let mut record = ByteRecord::new();
            let row = ObjectRow {
                header: &mut self.rows.header,
                seed: self.rows.seed,
                record: &mut record,
                defaults: self.defaults,
                fresh: true,
            };
            if seq.next_element_seed(row)?.is_none() {
                return Ok(());
            }
            self.rows.rows.push(record);
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let mut record = ByteRecord::new();
        ObjectRow {
            header: &mut self.rows.header,
            seed: self.rows.seed,
            record: &mut record,
            defaults: self.defaults,
            fresh: true,
        }
        .visit_map(map)?;
        self.rows.rows.push(record);
        Ok(())
    }
}

/// One JSON object as a row: new keys become columns (appended in key order), values become
/// fields as their JSON text (strings unquoted, null empty); of a repeated key the last counts.
/// A key naming one of the known columns in another case (`Lead_ID`, `Type`) is that column,
/// as a CSV header's names are, unless the object also has the exact name.
struct ObjectRow<'a> {
    header: &'a mut Vec<String>,
    /// The known columns: the header's first `seed`.
    seed: usize,
    record: &'a mut ByteRecord,
    defaults: &'a [(&'a str, &'a str)],
    /// A new record (sized once for the row) rather than one reused from the previous row.
    fresh: bool,
}

impl<'de> DeserializeSeed<'de> for ObjectRow<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectRow<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut pairs: Vec<(Cow<'de, str>, Cow<'de, str>)> = Vec::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let Text(value) = map.next_value::<Text<'de>>()?;
            pairs.push((key, value));
        }
        let exact = |column: &str| pairs.iter().rev().find(|(k, _)| k == column);
        // The known column a key names in another case, when the object lacks the exact name.
        let known = &self.header[..self.seed.min(self.header.len())];
        let alias = |key: &str| {
            known
                .iter()
                .find(|c| c.eq_ignore_ascii_case(key))
                .filter(|c| exact(c).is_none())
        };
        let mut new: Vec<&str> = pairs
            .iter()
            .map(|(k, _)| k.as_ref())
            .filter(|k| alias(k).is_none())
            .chain(self.defaults.iter().map(|&(c, _)| c))
            .filter(|k| !self.header.iter().any(|h| h == k))
            .collect();
        crate::order::sort_unstable(&mut new);
        new.dedup();
        self.header.extend(new.into_iter().map(str::to_string));
        if self.fresh {
            // One allocation for the row's text and one for its field bounds, not one per growth.
            let bytes = pairs.iter().map(|(_, v)| v.len()).sum::<usize>()
                + self.defaults.iter().map(|(_, v)| v.len()).sum::<usize>();
            *self.record = ByteRecord::with_capacity(bytes, self.header.len());
        } else {
            self.record.clear();
        }
        for (i, column) in self.header.iter().enumerate() {
            let found = exact(column).or_else(|| {
                (i < self.seed)
                    .then(|| {
                        pairs
                            .iter()
                            .rev()
                            .find(|(k, _)| k.eq_ignore_ascii_case(column))
                    })
                    .flatten()
            });
            let value = match found {
                Some((_, v)) => v.as_ref(),
                None => self
                    .defaults
                    .iter()
                    .find(|(c, _)| c == column)
                    .map_or("", |(_, v)| v),
            };
            self.record.push_field(value.as_bytes());
        }
        Ok(())
    }
}

/// A key, or a value as its field text: strings as they are (borrowed when unescaped), null
/// empty, booleans and numbers as JSON writes them, arrays and objects as compact JSON.
struct Text<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed("")))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(serde_json::Number::from(v).to_string())))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(serde_json::Number::from(v).to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(
            serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()),
        )))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
        let v: Value = de::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
        let v: Value = de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Text(Cow::Owned(v.to_string())))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::FileKind;

    /// The reference: a `serde_json::Map` per object (sorted keys, last of a repeated key),
    /// values written as serde_json writes them.
    fn via_map(lines: &[&str], seed: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut header: Vec<String> = seed.iter().map(|s| s.to_string()).collect();
        let mut rows = Vec::new();
        for line in lines {
            let object: serde_json::Map<String, Value> =
                serde_json::from_str(line).expect("object");
            for key in object.keys() {
                if !header.iter().any(|h| h == key) {
                    header.push(key.clone());
                }
            }
            rows.push(
                header
                    .iter()
                    .map(|c| match object.get(c) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect(),
            );
        }
        (header, rows)
    }

    fn texts(rows: &JsonRows) -> Vec<Vec<String>> {
        rows.rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|f| String::from_utf8(f.to_vec()).expect("utf-8"))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn objects_become_the_rows_a_json_map_per_object_gives() {
        let lines = [
            r#"{"lead_id":"L1","ts":"2026-01-06T10:00:00Z","type":"email","channel":"email","zeta":1,"alpha":true}"#,
            r#"{"channel":"web","type":"visit","ts":"2026-01-07","lead_id":"L1","n":-5,"x":1.5e3,"big":18446744073709551615,"f":0.1}"#,
            r#"{"lead_id":"L\u00e9\"q\"","ts":null,"type":"a","channel":"b","tags":["a",1,{"z":1,"a":[null]}],"o":{"b":2,"a":1}}"#,
            r#"{"lead_id":"L2","type":"first","type":"second","channel":"c","ts":"2026-01-08","Type":"upper"}"#,
            r#"{}"#,
        ];
        let seed = FileKind::Events.all_columns();
        let (header, expected) = via_map(&lines, &seed);
        let parsed = JsonRows::parse(FileKind::Events, &format!("[{}]", lines.join(",")), &[])
            .expect("array");
        // Rows read early have no fields for the columns later rows added (as NDJSON rows).
        let got = texts(&parsed);
        assert_eq!(parsed.header, header);
        assert_eq!(got, expected);
        assert_eq!(got[3][2], "second", "the last of a repeated key");
        assert_eq!(got[2][0], "Lé\"q\"");
        // One object, and defaults for the columns it leaves out.
        let one = JsonRows::parse(
            FileKind::Leads,
            r#"{"lead_id":"X","created_at":"2026-01-01"}"#,
            &[("employees", ""), ("budget", "7")],
        )
        .expect("object");
        assert_eq!(one.len(), 1);
        assert_eq!(one.field(0, "budget"), Some("7"));
        assert_eq!(one.field(0, "employees"), Some(""));
        assert_eq!(one.field(0, "lead_id"), Some("X"));
        for bad in ["", "[1]", "{\"a\":1} x", "\"text\""] {
            assert!(JsonRows::parse(FileKind::Leads, bad, &[]).is_err(), "{bad}");
        }
    }
}
