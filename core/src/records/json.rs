//! JSON objects as rows: an NDJSON line, or a page's lead (one object) and its events (an array),
//! read straight into `ByteRecord`s by a serde visitor, without a `serde_json::Map` per object.

use std::borrow::Cow;

use csv::ByteRecord;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// JSON objects read into rows without building a `serde_json::Map` per object: a page's lead
/// (one object) or its events (an array of objects), as NDJSON lines with the same objects
/// would be read.
#[derive(Debug, Clone)]
pub struct JsonRows {
    kind: crate::schema::FileKind,
    pub(super) header: Vec<String>,
    /// Per header column, whether some object had it (or a default gave it).
    pub(super) present: Vec<bool>,
    /// How many of the header's first columns are the kind's own (matched case-insensitively).
    seed: usize,
    pub(super) rows: Vec<ByteRecord>,
}

impl JsonRows {
    /// Parses one object or an array of objects, rows of a `kind` file; `defaults` are columns
    /// every row has, with the text of one an object leaves out.
    pub fn parse(
        kind: crate::schema::FileKind,
        text: &str,
        defaults: &[(&str, &str)],
    ) -> Result<Self, String> {
        let columns = kind.all_columns();
        let mut rows = JsonRows {
            kind,
            present: Vec::new(),
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
    pub fn kind(&self) -> crate::schema::FileKind {
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

    /// Row `row`'s `(column, text)` pairs: every column some object had, in the header's order
    /// (the kind's own columns first), empty where this object left it out.
    pub fn pairs(&self, row: usize) -> Vec<(&str, &str)> {
        let Some(record) = self.rows.get(row) else {
            return Vec::new();
        };
        self.header
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.present.get(i).copied().unwrap_or(false))
            .map(|(i, h)| {
                let text = record.get(i).and_then(|b| std::str::from_utf8(b).ok());
                (h.as_str(), text.unwrap_or(""))
            })
            .collect()
    }

    /// The text of `column` (exact name) in row `row`, if the column exists.
    pub fn field(&self, row: usize, column: &str) -> Option<&str> {
        let at = self.header.iter().position(|h| h == column)?;
        let bytes = self.rows.get(row)?.get(at)?;
        std::str::from_utf8(bytes).ok()
    }

    /// Sets `column` (exact name, a column of the rows) of row `row` to `text`; false when the
    /// row or column does not exist.
    pub fn set_field(&mut self, row: usize, column: &str, text: &str) -> bool {
        let Some(at) = self.header.iter().position(|h| h == column) else {
            return false;
        };
        let Some(record) = self.rows.get_mut(row) else {
            return false;
        };
        let fields: Vec<Vec<u8>> = (0..record.len().max(at + 1))
            .map(|i| match i == at {
                true => text.as_bytes().to_vec(),
                false => record.get(i).unwrap_or_default().to_vec(),
            })
            .collect();
        *record = ByteRecord::from(fields);
        true
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

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let mut record = ByteRecord::new();
            if seq.next_element_seed(self.row(&mut record))?.is_none() {
                return Ok(());
            }
            self.rows.rows.push(record);
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<(), A::Error> {
        let mut record = ByteRecord::new();
        self.row(&mut record).visit_map(map)?;
        self.rows.rows.push(record);
        Ok(())
    }
}

impl ObjectRows<'_> {
    /// The reader of the next object into `record`, a new row.
    fn row<'b>(&'b mut self, record: &'b mut ByteRecord) -> ObjectRow<'b> {
        ObjectRow {
            header: &mut self.rows.header,
            present: &mut self.rows.present,
            seed: self.rows.seed,
            record,
            defaults: self.defaults,
            fresh: true,
        }
    }
}

/// One JSON object as a row: new keys become columns (appended in key order), values become
/// fields as their JSON text (strings unquoted, null empty); of a repeated key the last counts.
/// A key naming one of the known columns in another case (`Lead_ID`, `Type`) is that column,
/// as a CSV header's names are, unless the object also has the exact name.
pub(super) struct ObjectRow<'a> {
    pub(super) header: &'a mut Vec<String>,
    /// Per header column, whether an object so far had it (or a default gave it).
    pub(super) present: &'a mut Vec<bool>,
    /// The known columns: the header's first `seed`.
    pub(super) seed: usize,
    pub(super) record: &'a mut ByteRecord,
    pub(super) defaults: &'a [(&'a str, &'a str)],
    /// A new record (sized once for the row) rather than one reused from the previous row.
    pub(super) fresh: bool,
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
            if pairs.len() > super::MAX_COLUMNS {
                return Err(de::Error::custom(format_args!(
                    "the object has more than {} keys, the limit of columns",
                    super::MAX_COLUMNS
                )));
            }
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
        let in_header = |k: &str| self.header.iter().any(|h| h == k);
        // Most keys are already columns: that cheap test first, the case-insensitive one after.
        let mut new: Vec<&str> = pairs
            .iter()
            .map(|(k, _)| k.as_ref())
            .filter(|k| !in_header(k) && alias(k).is_none())
            .chain(
                self.defaults
                    .iter()
                    .map(|&(c, _)| c)
                    .filter(|c| !in_header(c)),
            )
            .collect();
        crate::order::sort_unstable(&mut new);
        new.dedup();
        if self.header.len() + new.len() > super::MAX_COLUMNS {
            return Err(de::Error::custom(format_args!(
                "its keys would make the file's columns {}; the limit is {}",
                self.header.len() + new.len(),
                super::MAX_COLUMNS
            )));
        }
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
                Some((_, v)) => Some(v.as_ref()),
                None => self
                    .defaults
                    .iter()
                    .find(|(c, _)| c == column)
                    .map(|&(_, v)| v),
            };
            if self.present.len() <= i {
                self.present.resize(i + 1, false);
            }
            self.present[i] |= value.is_some();
            self.record.push_field(value.unwrap_or("").as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::FileKind;

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

    #[test]
    fn random_objects_read_as_a_json_map_per_object_reads_them() {
        // Keys from a pool (the known columns in their own case, others, repeats), values of every
        // JSON type; a small LCG keeps the test deterministic without a dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let keys = [
            "lead_id", "ts", "type", "channel", "team", "asset_id", "budget", "Budget", "x y", "é",
            "a\\\"b",
        ];
        let values = [
            "null",
            "true",
            "false",
            "0",
            "-7",
            "1.5",
            "1e3",
            "-0.0",
            "18446744073709551615",
            "\"\"",
            "\" padded \"",
            "\"caf\\u00e9\"",
            "\"line\\nbreak\"",
            "[]",
            "[1,\"a\",null]",
            "{}",
            "{\"b\":1,\"a\":[true]}",
        ];
        for _ in 0..200 {
            let lines: Vec<String> = (0..1 + next(4))
                .map(|_| {
                    let fields: Vec<String> = (0..next(7))
                        .map(|_| {
                            format!(
                                "\"{}\":{}",
                                keys[next(keys.len() as u64) as usize],
                                values[next(values.len() as u64) as usize]
                            )
                        })
                        .collect();
                    format!("{{{}}}", fields.join(","))
                })
                .collect();
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let seed = FileKind::Events.all_columns();
            let (header, expected) = via_map(&refs, &seed);
            let parsed = JsonRows::parse(FileKind::Events, &format!("[{}]", refs.join(",")), &[])
                .expect("array");
            assert_eq!(parsed.header, header, "{refs:?}");
            assert_eq!(texts(&parsed), expected, "{refs:?}");
        }
    }
}
