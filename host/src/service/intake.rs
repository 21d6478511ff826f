//! Intake: a batch of rows checked by core's ingestion exactly as the files would be (each row's
//! reason, field and value), the usable ones written to the store under keys that make a retry
//! count once, and the answer row by row.

use baton_core::quality::RowFinding;
use baton_core::{FileKind, JsonRows};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::engine::App;
use super::snapshot;
use super::store::{NewRow, StoreError, Written};

/// Most rows one request may hold.
pub const MAX_BATCH_ROWS: usize = 1_000;

/// The answer to a batch.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct IntakeAnswer {
    /// Rows new to the store.
    pub accepted: u64,
    /// Leads or deals sent again with new values: the stored row was replaced.
    pub updated: u64,
    /// Rows the store already had (a retry): nothing changed.
    pub duplicates: u64,
    /// Rows stored that the analyses count as rejected until another row arrives (an event
    /// for a lead not sent yet: `unknown_lead`).
    pub held: u64,
    /// Rows not stored, with the reason the files would give.
    pub rejected: u64,
    /// Per row, in the order sent.
    pub rows: Vec<RowAnswer>,
}

/// What happened to one row.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RowAnswer {
    /// Its position in the batch (0-based).
    pub index: usize,
    /// `accepted`, `updated`, `duplicate`, `held` or `rejected`.
    pub status: &'static str,
    /// The key it is stored under (what makes a retry the same row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Why it is rejected or held: the ingestion's findings (reason, field, value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// What it was used with a caveat for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

/// One finding of the ingestion about a row.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// `bad_timestamp`, `unknown_lead`, … (`report.json`'s `data_quality` reasons).
    pub reason: &'static str,
    /// The field.
    pub field: String,
    /// What was found.
    pub value: String,
}

/// Why a batch could not be taken at all.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The body is not a JSON object or array of objects.
    #[error("{0}")]
    Malformed(String),
    /// More rows than a batch may hold.
    #[error("a batch holds at most {MAX_BATCH_ROWS} rows; this one has {0}: send it in parts")]
    TooMany(usize),
    /// A site key tried more than touch events.
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ingestion could not read the batch.
    #[error("{0}")]
    Unreadable(String),
}

fn problem(f: &RowFinding) -> Problem {
    Problem {
        reason: f.reason.name(),
        field: f.field.clone(),
        value: f.example.clone(),
    }
}

/// Reads one object or an array of objects as rows of `kind`.
pub fn parse(kind: FileKind, body: &str) -> Result<JsonRows, IntakeError> {
    let rows = JsonRows::parse(kind, body, &[]).map_err(|e| {
        IntakeError::Malformed(format!(
            "the body is not a JSON object or array of {} objects: {e}",
            kind.stem()
        ))
    })?;
    if rows.len() > MAX_BATCH_ROWS {
        return Err(IntakeError::TooMany(rows.len()));
    }
    Ok(rows)
}

/// Checks, stores and answers a batch of `kind` rows. `idempotency_key` names the request for
/// rows without an id of their own.
pub async fn take(
    app: &App,
    kind: FileKind,
    rows: JsonRows,
    idempotency_key: Option<&str>,
) -> Result<IntakeAnswer, IntakeError> {
    let n = rows.len();
    let mut context = Vec::new();
    if kind != FileKind::Leads {
        let mut ids: Vec<String> = (0..n)
            .filter_map(|i| rows.field(i, "lead_id"))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        ids.sort();
        ids.dedup();
        let leads = app.store.leads(ids).await?;
        let leads =
            snapshot::json_rows(FileKind::Leads, leads.iter().map(|r| r.body.as_str()), &[])
                .map_err(|e| IntakeError::Unreadable(e.to_string()))?;
        context.push(("leads.ndjson", leads));
        // Only the assets the batch's events name: whether each is known is all the check
        // reads of them.
        if kind == FileKind::Events
            && let Some(assets) = &app.asset_rows
        {
            let mut named = (0..n)
                .filter_map(|i| rows.field(i, "asset_id"))
                .filter(|s| !s.is_empty())
                .peekable();
            if named.peek().is_some() {
                let named = assets.named(named).map_err(IntakeError::Unreadable)?;
                context.push(("assets.ndjson", named));
            }
        }
    }
    let name = format!("{}.ndjson", kind.stem());
    let (findings, pairs) = {
        let pairs: Vec<Vec<(String, String)>> = (0..n)
            .map(|i| {
                rows.pairs(i)
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        let (_, findings) =
            baton_core::ingest::check_rows(app.framework.clone(), context, &name, rows)
                .map_err(|e| IntakeError::Unreadable(e.to_string()))?;
        (findings, pairs)
    };
    let mut answers: Vec<RowAnswer> = (0..n)
        .map(|index| RowAnswer {
            index,
            status: "accepted",
            key: None,
            problems: Vec::new(),
            warnings: Vec::new(),
        })
        .collect();
    let mut refused = vec![false; n];
    for f in &findings {
        let Some(i) = (f.line as usize).checked_sub(1).filter(|&i| i < n) else {
            continue;
        };
        if !f.rejected {
            answers[i].warnings.push(problem(f));
        } else if f.reason.depends_on_other_rows() {
            answers[i].problems.push(problem(f));
        } else {
            if !refused[i] {
                answers[i].problems.clear();
            }
            refused[i] = true;
            answers[i].problems.push(problem(f));
        }
    }
    let mut to_write = Vec::new();
    let mut written_at = Vec::new();
    for (i, row) in pairs.iter().enumerate() {
        if refused[i] {
            answers[i].status = "rejected";
            answers[i].problems.retain(|p| {
                !matches!(
                    p.reason,
                    "unknown_lead" | "before_lead_created" | "unknown_asset" | "duplicate_id"
                )
            });
            continue;
        }
        let refs: Vec<(&str, &str)> = row.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = snapshot::body(&refs);
        let (key, replaces) = key_of(kind, &refs, &body, idempotency_key, i);
        let lead_id = value(&refs, "lead_id").to_string();
        answers[i].key = Some(key.clone());
        to_write.push(NewRow {
            kind,
            key,
            lead_id,
            body,
            replaces,
        });
        written_at.push(i);
    }
    let written = if to_write.is_empty() {
        Vec::new()
    } else {
        let w = app.store.write(to_write).await?;
        app.written.notify_one();
        w
    };
    let mut out = IntakeAnswer {
        accepted: 0,
        updated: 0,
        duplicates: 0,
        held: 0,
        rejected: 0,
        rows: Vec::new(),
    };
    for (&i, w) in written_at.iter().zip(&written) {
        let a = &mut answers[i];
        let held = a.problems.iter().any(|p| p.reason != "duplicate_id");
        a.problems.retain(|p| p.reason != "duplicate_id");
        a.status = match w {
            Written::Unchanged => "duplicate",
            _ if held => "held",
            w => w.as_str(),
        };
    }
    for a in &answers {
        match a.status {
            "accepted" => out.accepted += 1,
            "updated" => out.updated += 1,
            "duplicate" => out.duplicates += 1,
            "held" => out.held += 1,
            _ => out.rejected += 1,
        }
        for p in &a.problems {
            app.metrics.rejected(kind.stem(), p.reason);
        }
    }
    for (status, count) in [
        ("accepted", out.accepted),
        ("updated", out.updated),
        ("duplicate", out.duplicates),
        ("held", out.held),
        ("rejected", out.rejected),
    ] {
        app.metrics.rows(kind.stem(), status, count);
    }
    out.rows = answers;
    Ok(out)
}

fn value<'a>(pairs: &[(&str, &'a str)], column: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(column))
        .map_or("", |(_, v)| v)
}

/// A row's key: its id (leads, deals, events with `event_id`), else the request's
/// `Idempotency-Key` and the row's position, else a digest of the row itself.
fn key_of(
    kind: FileKind,
    pairs: &[(&str, &str)],
    body: &str,
    idempotency_key: Option<&str>,
    index: usize,
) -> (String, bool) {
    let id = match kind {
        FileKind::Leads => Some(("lead_id", true)),
        FileKind::Deals => Some(("deal_id", true)),
        FileKind::Events => Some(("event_id", false)),
        _ => None,
    };
    if let Some((column, replaces)) = id {
        let v = value(pairs, column);
        if !v.is_empty() {
            return (v.to_string(), replaces);
        }
    }
    if let Some(k) = idempotency_key {
        return (format!("request:{k}#{index}"), false);
    }
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    (format!("sha256:{hex}"), false)
}
