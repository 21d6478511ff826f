//! `leads`: one row per lead; every column beyond `lead_id` and `created_at` becomes a typed attribute.

use std::cmp::Ordering;

use super::{Col, Row, parse_number, warn_adjustment};
use crate::model::{AttrColumn, Attribute, Lead};
use crate::quality::{Reason, Tally};
use crate::symbols::{Remap, Sym, Symbols};
use crate::time::{Instant, LocalAdjustment};

const LEAD_ID: Col = Col::new(0, "lead_id");
const CREATED_AT: Col = Col::new(1, "created_at");

/// Canonical lead columns whose values must be numbers.
const NUMERIC_COLUMNS: &[&str] = &["employees"];

struct LeadRow {
    id: Sym,
    created_at: Instant,
    adjustment: Option<LocalAdjustment>,
    line: u64,
}

/// Lead rows as read, before duplicates are resolved.
#[derive(Default)]
pub(super) struct LeadRows {
    rows: Vec<LeadRow>,
    /// Attribute column names.
    names: Vec<String>,
    /// Header position → attribute column, for the header positions seen so far.
    position_column: Vec<Option<usize>>,
    /// Per attribute column, one raw value per row.
    values: Vec<Vec<Option<Sym>>>,
}

impl LeadRows {
    pub(super) fn read(&mut self, row: &mut Row<'_>, header: &[String]) {
        self.map_new_columns(header);
        let Some(id) = row.required_sym(&LEAD_ID) else {
            return;
        };
        let Some((created_at, adjustment)) = row.required_time(&CREATED_AT) else {
            return;
        };
        // Per attribute column, this row's value; two header columns may name one attribute
        // (`industry` and `Industry`): the first non-empty value is kept, a conflict is a warning.
        let mut values: Vec<Option<Sym>> = vec![None; self.names.len()];
        for (pos, column) in self.position_column.iter().enumerate() {
            let Some(column) = *column else { continue };
            let text = match row.record.get(pos).map(std::str::from_utf8) {
                None => "",
                Some(Ok(t)) => t.trim(),
                Some(Err(_)) => {
                    row.tally.reject(
                        Reason::MalformedRow,
                        &self.names[column],
                        row.line,
                        crate::ingest::NOT_UTF8,
                    );
                    return;
                }
            };
            if text.is_empty() {
                continue;
            }
            match values[column] {
                None => values[column] = Some(row.symbols.intern(text)),
                Some(kept) if row.symbols.text(kept) != text => row.tally.warn(
                    Reason::InvalidValue,
                    &self.names[column],
                    row.line,
                    &format!(
                        "two columns name this attribute; {:?} is kept, {text:?} (column {:?}) is not",
                        row.symbols.text(kept),
                        header.get(pos).map_or("", String::as_str)
                    ),
                ),
                Some(_) => {}
            }
        }
        for (column, value) in values.into_iter().enumerate() {
            self.values[column].push(value);
        }
        self.rows.push(LeadRow {
            id,
            created_at,
            adjustment,
            line: row.line,
        });
        let n = self.rows.len();
        for v in &mut self.values {
            v.resize(n, None);
        }
    }

    /// Drops the attribute columns that only header positions holding nothing map to.
    pub(super) fn forget_absent(&mut self, present: impl Fn(usize) -> bool) {
        let mut keep = vec![false; self.names.len()];
        for (pos, column) in self.position_column.iter().enumerate() {
            if let Some(c) = *column {
                keep[c] |= present(pos);
            }
        }
        if keep.iter().all(|&k| k) {
            return;
        }
        let mut new_index = vec![None; keep.len()];
        let mut next = 0;
        for (c, &k) in keep.iter().enumerate() {
            if k {
                new_index[c] = Some(next);
                next += 1;
            }
        }
        for column in &mut self.position_column {
            *column = column.and_then(|c| new_index[c]);
        }
        let mut kept = keep.iter();
        self.names.retain(|_| kept.next() == Some(&true));
        let mut kept = keep.iter();
        self.values.retain(|_| kept.next() == Some(&true));
    }

    fn map_new_columns(&mut self, header: &[String]) {
        for name in header.iter().skip(self.position_column.len()) {
            let lower = name.to_ascii_lowercase();
            if lower == "lead_id" || lower == "created_at" {
                self.position_column.push(None);
                continue;
            }
            let canonical = if super::FileKind::Leads
                .optional_columns()
                .contains(&lower.as_str())
            {
                lower
            } else {
                name.clone()
            };
            let column = match self.names.iter().position(|n| *n == canonical) {
                Some(c) => c,
                None => {
                    self.names.push(canonical);
                    self.values.push(vec![None; self.rows.len()]);
                    self.names.len() - 1
                }
            };
            self.position_column.push(Some(column));
        }
    }

    /// Resolves duplicate ids, types the attributes, and maps lead symbols to lead indices.
    pub(super) fn finish(
        mut self,
        remap: &Remap,
        symbols: &Symbols,
        tally: &mut Tally,
    ) -> (Vec<Lead>, Vec<Attribute>, Vec<u32>) {
        for r in &mut self.rows {
            r.id = remap.map(r.id);
        }
        for column in &mut self.values {
            for v in column.iter_mut() {
                *v = remap.map_opt(*v);
            }
        }
        // Columns in name order, so tie-breaks and output do not depend on header order.
        let mut column_order: Vec<usize> = (0..self.names.len()).collect();
        crate::order::sort_by(&mut column_order, |&a, &b| {
            self.names[a].cmp(&self.names[b])
        });

        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        let compare = |&a: &usize, &b: &usize| -> Ordering {
            let (ra, rb) = (&self.rows[a], &self.rows[b]);
            ra.id
                .cmp(&rb.id)
                .then(ra.created_at.cmp(&rb.created_at))
                .then_with(|| {
                    column_order
                        .iter()
                        .map(|&c| self.values[c][a].cmp(&self.values[c][b]))
                        .find(|o| o.is_ne())
                        .unwrap_or(Ordering::Equal)
                })
                .then(a.cmp(&b))
        };
        crate::order::sort_unstable_by(&mut order, compare);

        let mut leads = Vec::with_capacity(order.len());
        let mut kept_rows: Vec<usize> = Vec::with_capacity(order.len());
        let mut lead_of_sym = vec![u32::MAX; symbols.len()];
        for (k, &i) in order.iter().enumerate() {
            let r = &self.rows[i];
            if k > 0 && self.rows[order[k - 1]].id == r.id {
                let kept: &LeadRow = &self.rows[kept_rows[kept_rows.len() - 1]];
                let example = format!(
                    "lead_id {:?} also at line {} (the earliest created_at is kept)",
                    symbols.text(r.id),
                    kept.line
                );
                tally.reject(Reason::DuplicateId, "lead_id", r.line, &example);
                continue;
            }
            warn_adjustment(tally, r.adjustment, "created_at", r.line);
            lead_of_sym[r.id.index()] = leads.len() as u32;
            leads.push(Lead {
                id: r.id,
                created_at: r.created_at,
                line: r.line,
            });
            kept_rows.push(i);
        }

        let attributes = column_order
            .iter()
            .map(|&c| {
                let values: Vec<Option<Sym>> =
                    kept_rows.iter().map(|&i| self.values[c][i]).collect();
                let lines: Vec<u64> = kept_rows.iter().map(|&i| self.rows[i].line).collect();
                Attribute {
                    name: self.names[c].clone(),
                    values: type_column(&self.names[c], values, &lines, symbols, tally),
                }
            })
            .collect();
        (leads, attributes, lead_of_sym)
    }
}

/// Types one lead's attribute as a column holding only its value; `None` when the value would be
/// warned about (a non-numeric `employees`).
pub(super) fn type_single(name: &str, value: Option<Sym>, symbols: &Symbols) -> Option<AttrColumn> {
    let mut tally = Tally::default();
    let column = type_column(name, vec![value], &[1], symbols, &mut tally);
    tally.is_clean().then_some(column)
}

/// Types a column: numbers if every value is one, booleans if every value is true/false, else text.
fn type_column(
    name: &str,
    values: Vec<Option<Sym>>,
    lines: &[u64],
    symbols: &Symbols,
    tally: &mut Tally,
) -> AttrColumn {
    let texts = || values.iter().flatten().map(|&s| symbols.text(s));
    if NUMERIC_COLUMNS.contains(&name) {
        let numbers = values
            .iter()
            .zip(lines)
            .map(|(v, &line)| {
                let text = symbols.text((*v)?);
                let n = as_number(text);
                if n.is_none() {
                    tally.warn(
                        Reason::BadNumber,
                        name,
                        line,
                        &format!("{text:?} is not a number; the attribute is left empty"),
                    );
                }
                n
            })
            .collect();
        return AttrColumn::Number(numbers);
    }
    let non_empty = texts().next().is_some();
    if non_empty && texts().all(|t| as_number(t).is_some()) {
        return AttrColumn::Number(
            values
                .iter()
                .map(|v| v.and_then(|s| as_number(symbols.text(s))))
                .collect(),
        );
    }
    if non_empty && texts().all(|t| as_bool(t).is_some()) {
        return AttrColumn::Bool(
            values
                .iter()
                .map(|v| v.and_then(|s| as_bool(symbols.text(s))))
                .collect(),
        );
    }
    AttrColumn::Text(values)
}

/// A number, unless written with a leading zero (ids and postal codes stay text).
pub(crate) fn as_number(text: &str) -> Option<f64> {
    let digits = text.trim_start_matches(['-', '+']);
    if digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.") {
        return None;
    }
    parse_number(text)
}

pub(crate) fn as_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
