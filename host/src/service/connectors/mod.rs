//! CRM connectors: HubSpot's webhooks and Salesforce's Outbound Messages turned into canonical
//! rows (the importers' mappings) and taken through the same intake as `POST /v1/{kind}`, so
//! every row is checked by core's ingestion and a retry counts once.
//!
//! A webhook carries one change, not the record: each CRM object's canonical columns so far are
//! kept in the store (task kind `crm`), changed, and the whole row is sent again. Deliveries
//! already taken (HubSpot's `eventId`, Salesforce's notification `Id`) are kept (kind `seen`).

pub mod hubspot;
pub mod salesforce;
pub mod signature;

use std::collections::{BTreeMap, HashMap, HashSet};

use baton_core::{FileKind, Instant};
use serde::Serialize;
use serde_json::{Map, Value};

use super::engine::App;
use super::intake::{self, IntakeError};
use super::store::{Put, StoreError, Task};

/// A CRM object's canonical columns so far, and what the connector knows about it.
pub type Columns = Map<String, Value>;

/// The answer to a connector delivery.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct ConnectorAnswer {
    /// Changes taken (new to the service).
    pub applied: u64,
    /// Changes already taken (a retry): nothing done again.
    pub duplicates: u64,
    /// Changes kept until what they need arrives (a deal without a contact yet).
    pub pending: u64,
    /// Changes the mapping does not use (a property Baton does not read), by kind.
    pub ignored: u64,
    /// Rows written, by intake status (`accepted`, `updated`, `duplicate`, `held`, `rejected`).
    pub rows: BTreeMap<String, u64>,
    /// Every row the ingestion refused or held, with why (nothing dropped silently).
    pub problems: Vec<RowProblem>,
    /// Leads erased (a CRM deletion) or merged away.
    pub erased_leads: u64,
}

/// A row the intake refused or held.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RowProblem {
    /// The change it came from (`eventId`, notification `Id`).
    pub change: String,
    /// The row's kind.
    pub kind: &'static str,
    /// `rejected` or `held`.
    pub status: &'static str,
    /// The ingestion's reasons (`reason: field = value`).
    pub reasons: Vec<String>,
}

/// Rows to take, by kind, each with the change it came from.
#[derive(Default)]
pub struct Rows {
    by_kind: Vec<(FileKind, String, Value)>,
}

impl Rows {
    /// Adds a row of `kind` from the change `change`.
    pub fn push(&mut self, kind: FileKind, change: &str, row: Value) {
        self.by_kind.push((kind, change.to_string(), row));
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }
}

/// Why a delivery could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The connector is not in `baton.toml`.
    #[error("{0}")]
    NotConfigured(String),
    /// The signature or organization is wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The body is not what the CRM sends.
    #[error("{0}")]
    Malformed(String),
    /// Intake failed as a whole.
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes `rows` through the intake, leads first (what the others are checked against), and
/// adds the outcome to `answer`. A lead's or a deal's row sent more than once (each change of a
/// delivery sends the object's whole row so far) is taken once, as its last version.
pub async fn take(
    app: &App,
    rows: Rows,
    answer: &mut ConnectorAnswer,
) -> Result<(), ConnectorError> {
    for kind in [
        FileKind::Leads,
        FileKind::Stages,
        FileKind::Events,
        FileKind::Deals,
    ] {
        let batch = last_versions(kind, &rows);
        for chunk in batch.chunks(intake::MAX_BATCH_ROWS) {
            let body = Value::Array(chunk.iter().map(|(_, _, v)| v.clone()).collect());
            let parsed = intake::parse(kind, &body.to_string())?;
            let a = intake::take(app, kind, parsed, None).await?;
            for (row, (_, change, _)) in a.rows.iter().zip(chunk) {
                *answer.rows.entry(row.status.to_string()).or_default() += 1;
                if matches!(row.status, "rejected" | "held") {
                    answer.problems.push(RowProblem {
                        change: change.clone(),
                        kind: kind.stem(),
                        status: row.status,
                        reasons: row
                            .problems
                            .iter()
                            .map(|p| format!("{}: {} = {:?}", p.reason, p.field, p.value))
                            .collect(),
                    });
                }
            }
        }
    }
    app.written.notify_one();
    Ok(())
}

/// The rows of `kind` in order; for leads and deals only the last row of each id (where it stands).
fn last_versions(kind: FileKind, rows: &Rows) -> Vec<&(FileKind, String, Value)> {
    let id = match kind {
        FileKind::Leads => Some("lead_id"),
        FileKind::Deals => Some("deal_id"),
        _ => None,
    };
    let of_kind = rows.by_kind.iter().filter(|(k, ..)| *k == kind);
    let Some(id) = id else {
        return of_kind.collect();
    };
    let all: Vec<_> = of_kind.collect();
    let mut later = HashSet::new();
    let mut keep: Vec<_> = all
        .iter()
        .rev()
        .filter(|(_, _, v)| later.insert(text(v.get(id))))
        .copied()
        .collect();
    keep.reverse();
    keep
}

/// What one delivery (a HubSpot batch, a Salesforce message) has decided so far: the rows and
/// tasks of all its changes, written together when it ends (one intake per kind and one store
/// transaction of tasks, not one per change), and the CRM objects' states as its changes left
/// them, which its later changes read before the store's. A task or state set twice is
/// written once, as last set.
#[derive(Default)]
pub struct Delivery {
    /// The rows to take.
    pub rows: Rows,
    tasks: HashMap<(String, String), (Task, Put)>,
    states: HashMap<String, Columns>,
    changed: HashSet<String>,
    seen: HashSet<String>,
}

/// Tasks to write, each with how.
pub type Tasks = Vec<(Task, Put)>;

impl Delivery {
    /// A CRM object's state: as this delivery left it, else as stored.
    pub async fn state(&self, app: &App, key: &str) -> Result<Option<Columns>, StoreError> {
        match self.states.get(key) {
            Some(columns) => Ok(Some(columns.clone())),
            None => state(app, key).await,
        }
    }

    /// Sets a CRM object's state.
    pub fn set_state(&mut self, key: &str, columns: Columns) {
        self.states.insert(key.to_string(), columns);
        self.changed.insert(key.to_string());
    }

    /// Adds a task to write with the rows.
    pub fn task(&mut self, task: (Task, Put)) {
        let id = (task.0.kind.clone(), task.0.key.clone());
        self.tasks.insert(id, task);
    }

    /// True when a change with this id was taken, by this delivery or before.
    pub async fn seen(&self, app: &App, key: &str) -> Result<bool, StoreError> {
        Ok(self.seen.contains(key) || seen(app, key).await?)
    }

    /// Marks a change taken.
    pub fn mark_seen(&mut self, key: &str, at: Instant) {
        self.task(seen_task(key, at));
        self.seen.insert(key.to_string());
    }

    /// Writes what was decided: the rows through the intake, then the tasks and changed states.
    /// Called before an erasure or a merge (which act on the store at once) and at the end of
    /// the delivery.
    pub async fn flush(
        &mut self,
        app: &App,
        answer: &mut ConnectorAnswer,
    ) -> Result<(), ConnectorError> {
        let rows = std::mem::take(&mut self.rows);
        if !rows.is_empty() {
            take(app, rows, answer).await?;
        }
        let mut tasks: Tasks = self.tasks.drain().map(|(_, t)| t).collect();
        tasks.extend(
            self.changed
                .drain()
                .filter_map(|key| Some(state_task(&key, self.states.get(&key)?))),
        );
        if !tasks.is_empty() {
            app.store.put_tasks(tasks).await?;
        }
        Ok(())
    }
}

/// The stored state of a CRM object (`crm` task `key`), if any.
pub async fn state(app: &App, key: &str) -> Result<Option<Columns>, StoreError> {
    Ok(app.store.task("crm", key).await?.and_then(|t| {
        serde_json::from_str::<Value>(&t.body)
            .ok()
            .and_then(|v| v.as_object().cloned())
    }))
}

/// A CRM object's state, to be written.
pub fn state_task(key: &str, columns: &Columns) -> (Task, Put) {
    (
        Task {
            kind: "crm".into(),
            key: key.into(),
            state: "state".into(),
            due: 0,
            body: Value::Object(columns.clone()).to_string(),
        },
        Put::Replace,
    )
}

/// A delivery's id, marked taken.
pub fn seen_task(key: &str, at: Instant) -> (Task, Put) {
    (
        Task {
            kind: "seen".into(),
            key: key.into(),
            state: "done".into(),
            due: at.0,
            body: "{}".into(),
        },
        Put::IfAbsent,
    )
}

/// True when a delivery with this id was already taken.
pub async fn seen(app: &App, key: &str) -> Result<bool, StoreError> {
    Ok(app.store.task("seen", key).await?.is_some())
}

/// Records which CRM record a lead is, for write-back.
pub fn link_task(lead_id: &str, crm: &str, object: &str, id: &str) -> (Task, Put) {
    (
        Task {
            kind: "link".into(),
            key: lead_id.into(),
            state: "state".into(),
            due: 0,
            body: serde_json::json!({"crm": crm, "object": object, "id": id}).to_string(),
        },
        Put::Replace,
    )
}

/// The text of a column value.
pub fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// The environment variable `name`, or why the connector cannot run without it.
pub fn secret(name: &str, what: &str) -> Result<String, ConnectorError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ConnectorError::NotConfigured(format!(
                "{what}: the environment variable {name} (named in baton.toml) is not set"
            ))
        })
}
