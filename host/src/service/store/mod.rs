//! The service's store: every row it accepted, the tokens it issued and the erasures it did, in
//! an embedded SQLite file (the default) or a PostgreSQL database, behind one interface.
//!
//! Rows are kept as the `(column, text)` pairs the ingestion read, by kind, with a key that makes
//! every write idempotent: a lead's id, a deal's id, an event's `event_id`, or a key the intake
//! derived. Analyses never read the store's tables directly: [`crate::service::snapshot`] turns
//! the rows back into the files core ingests.

mod migrations;
mod postgres;
mod sqlite;

use std::path::Path;

use baton_core::FileKind;

/// A store failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database is busy (locked by another writer) beyond the wait.
    #[error("the store is busy: {0}")]
    Busy(String),
    /// The disk or database is full.
    #[error("the store is full: {0}")]
    Full(String),
    /// The writer's queue is full: more load than the store takes.
    #[error("the store's write queue is full ({0} writes waiting)")]
    Overloaded(usize),
    /// Anything else the database said.
    #[error("store error: {0}")]
    Other(String),
}

impl StoreError {
    /// The short name `/metrics` counts it under.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Busy(_) => "busy",
            StoreError::Full(_) => "full",
            StoreError::Overloaded(_) => "overloaded",
            StoreError::Other(_) => "other",
        }
    }
}

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewRow {
    /// Its kind.
    pub kind: FileKind,
    /// What makes a retry of it the same row.
    pub key: String,
    /// The lead it belongs to (`lead_id`; empty for a deal without one).
    pub lead_id: String,
    /// Its `(column, text)` pairs as JSON (`[["lead_id","L1"],...]`).
    pub body: String,
    /// True when a second write with the key replaces the row (leads, deals), false when it is
    /// a retry left as it was (events, stage entries, feedback).
    pub replaces: bool,
}

/// What a write did with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A new row.
    Inserted,
    /// The row with its key was replaced (a lead or deal sent again with new values).
    Updated,
    /// The row with its key was already there as sent: nothing changed.
    Unchanged,
}

impl Written {
    /// As the intake's answer says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Written::Inserted => "accepted",
            Written::Updated => "updated",
            Written::Unchanged => "duplicate",
        }
    }
}

/// A stored row.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// Its kind.
    pub kind: FileKind,
    /// Its `(column, text)` pairs as JSON.
    pub body: String,
}

/// What takes the stored rows one at a time (a snapshot's files), without the store holding
/// them all in memory.
pub trait RowSink: Send + 'static {
    /// One row: its kind and body.
    fn row(&mut self, kind: FileKind, body: &str) -> Result<(), StoreError>;
}

/// A token as stored: only its hash.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Its public id (the part before the dot).
    pub id: String,
    /// SHA-256 of the whole token, hex.
    pub hash: String,
    /// `ingest`, `read`, `admin` or `site`.
    pub scope: String,
    /// For a site key: the origins it may be used from, comma-separated.
    pub origins: String,
    /// A label for people.
    pub label: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// A durable record of the automation (a handoff, a timer, an outbox message, …): one per
/// (kind, key), with a state and the instant it is due (micros; 0 when not scheduled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// What it is (`handoff`, `timer`, `outbox`, …).
    pub kind: String,
    /// Its key within the kind.
    pub key: String,
    /// `pending` (due work), or a final or bookkeeping state.
    pub state: String,
    /// When it is due, in microseconds since the epoch.
    pub due: i64,
    /// Its data, JSON.
    pub body: String,
}

/// How a task is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// Only when no task has its (kind, key): what makes a notice or a message once only.
    IfAbsent,
    /// Insert or replace.
    Replace,
}

/// The store: SQLite or PostgreSQL.
pub enum Store {
    /// An embedded SQLite file.
    Sqlite(sqlite::SqliteStore),
    /// A PostgreSQL database.
    Postgres(postgres::PgStore),
}

/// How many rows a kind has, by kind stem.
pub type Counts = Vec<(String, u64)>;

impl Store {
    /// Opens the store `database` names (`postgres://…`, `sqlite://path`, or a path), or the
    /// workspace's `baton.db`, and runs its migrations.
    pub async fn open(workspace: &Path, database: Option<&str>) -> Result<Store, StoreError> {
        match database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Store::Postgres(postgres::PgStore::open(url).await?))
            }
            Some(path) => {
                let path = path.strip_prefix("sqlite://").unwrap_or(path);
                let (path, max_mb) = sqlite_options(path)?;
                Ok(Store::Sqlite(sqlite::SqliteStore::open(
                    Path::new(path),
                    max_mb,
                )?))
            }
            None => Ok(Store::Sqlite(sqlite::SqliteStore::open(
                &workspace.join("baton.db"),
                None,
            )?)),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Writes rows in one transaction; when this returns, they are durable.
    pub async fn write(&self, rows: Vec<NewRow>) -> Result<Vec<Written>, StoreError> {
        match self {
            Store::Sqlite(s) => s.write(rows).await,
            Store::Postgres(s) => s.write(rows).await,
        }
    }

    /// Every row of one lead, in the order they were first written.
    pub async fn lead_rows(&self, lead_id: &str) -> Result<Vec<StoredRow>, StoreError> {
        match self {
            Store::Sqlite(s) => s.lead_rows(lead_id.to_string()).await,
            Store::Postgres(s) => s.lead_rows(lead_id).await,
        }
    }

    /// The lead rows of these leads (the context an intake batch is checked against).
    pub async fn leads(&self, ids: Vec<String>) -> Result<Vec<StoredRow>, StoreError> {
        match self {
            Store::Sqlite(s) => s.leads(ids).await,
            Store::Postgres(s) => s.leads(&ids).await,
        }
    }

    /// Hands every row to `sink`, in the order they were first written, and gives it back.
    pub async fn scan<S: RowSink>(&self, sink: S) -> Result<S, StoreError> {
        match self {
            Store::Sqlite(s) => s.scan(sink).await,
            Store::Postgres(s) => s.scan(sink).await,
        }
    }

    /// The number of writes that changed something since the store was made: a snapshot of
    /// this version is current.
    pub async fn version(&self) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.version().await,
            Store::Postgres(s) => s.version().await,
        }
    }

    /// Rows by kind.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        match self {
            Store::Sqlite(s) => s.counts().await,
            Store::Postgres(s) => s.counts().await,
        }
    }

    /// Deletes every row of a lead and logs the erasure (when and how many rows, no data).
    pub async fn erase_lead(&self, lead_id: &str, at: &str) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.erase_lead(lead_id.to_string(), at.to_string()).await,
            Store::Postgres(s) => s.erase_lead(lead_id, at).await,
        }
    }

    /// Merges the lead `from` into `into` (a CRM merge): every row of `from` but its lead row is
    /// moved to `into` (written anew, so the automation sees the change), its lead row deleted;
    /// one transaction. Returns the rows moved or deleted.
    pub async fn merge_lead(&self, from: &str, into: &str) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.merge_lead(from.to_string(), into.to_string()).await,
            Store::Postgres(s) => s.merge_lead(from, into).await,
        }
    }

    /// The ids of the leads whose `email` is this one (case-insensitive), first written first.
    pub async fn leads_by_email(&self, email: &str) -> Result<Vec<String>, StoreError> {
        let email = email.trim().to_lowercase();
        match self {
            Store::Sqlite(s) => s.leads_by_email(email).await,
            Store::Postgres(s) => s.leads_by_email(&email).await,
        }
    }

    /// The lead a stored deal belongs to (`None`: no such deal, or one without a lead).
    pub async fn deal_lead(&self, deal_id: &str) -> Result<Option<String>, StoreError> {
        match self {
            Store::Sqlite(s) => s.deal_lead(deal_id.to_string()).await,
            Store::Postgres(s) => s.deal_lead(deal_id).await,
        }
    }

    /// Stores a token's record.
    pub async fn add_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.add_token(token).await,
            Store::Postgres(s) => s.add_token(&token).await,
        }
    }

    /// The token whose hash this is.
    pub async fn token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        match self {
            Store::Sqlite(s) => s.token(hash.to_string()).await,
            Store::Postgres(s) => s.token(hash).await,
        }
    }

    /// A value of the store's own bookkeeping (`seeded_from`).
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Store::Sqlite(s) => s.meta(key.to_string()).await,
            Store::Postgres(s) => s.meta(key).await,
        }
    }

    /// Sets a value of the store's own bookkeeping.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.set_meta(key.to_string(), value.to_string()).await,
            Store::Postgres(s) => s.set_meta(key, value).await,
        }
    }

    /// Writes tasks in one transaction; per task, whether it was written (an `IfAbsent` whose
    /// key is taken is not).
    pub async fn put_tasks(&self, tasks: Vec<(Task, Put)>) -> Result<Vec<bool>, StoreError> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Store::Sqlite(s) => s.put_tasks(tasks).await,
            Store::Postgres(s) => s.put_tasks(tasks).await,
        }
    }

    /// The task of this kind and key.
    pub async fn task(&self, kind: &str, key: &str) -> Result<Option<Task>, StoreError> {
        self.tasks_where(TaskQuery::One(kind.into(), key.into()))
            .await
            .map(|mut t| t.pop())
    }

    /// The tasks of a kind whose key starts with `prefix`, by key.
    pub async fn tasks_prefixed(&self, kind: &str, prefix: &str) -> Result<Vec<Task>, StoreError> {
        self.tasks_where(TaskQuery::Prefix(kind.into(), prefix.into()))
            .await
    }

    /// Pending tasks of `kind` due at or before `now`, earliest first, at most `limit`.
    pub async fn due_tasks(
        &self,
        kind: &str,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Task>, StoreError> {
        self.tasks_where(TaskQuery::Due(kind.into(), now, limit))
            .await
    }

    async fn tasks_where(&self, q: TaskQuery) -> Result<Vec<Task>, StoreError> {
        match self {
            Store::Sqlite(s) => s.tasks(q).await,
            Store::Postgres(s) => s.tasks(q).await,
        }
    }

    /// Tasks by (kind, state).
    pub async fn task_counts(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.task_counts().await,
            Store::Postgres(s) => s.task_counts().await,
        }
    }

    /// The leads whose rows were written or replaced after the marks `since` (rows' and
    /// replacements' sequence numbers), and the marks now.
    pub async fn leads_since(
        &self,
        since: (i64, i64),
    ) -> Result<(Vec<String>, (i64, i64)), StoreError> {
        match self {
            Store::Sqlite(s) => s.leads_since(since).await,
            Store::Postgres(s) => s.leads_since(since).await,
        }
    }

    /// Finishes the writes queued so far and closes.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
            Store::Postgres(_) => {}
        }
    }
}

/// Which tasks to read.
#[derive(Debug, Clone)]
pub enum TaskQuery {
    /// One, by kind and key.
    One(String, String),
    /// A kind's whose key starts with a prefix.
    Prefix(String, String),
    /// A kind's pending ones due by an instant, at most a count.
    Due(String, i64, i64),
}

impl TaskQuery {
    /// Its statement (`?n` placeholders; PostgreSQL's are `$n`) and text parameters.
    pub(super) fn sql(&self) -> (&'static str, Vec<String>, Option<(i64, i64)>) {
        match self {
            TaskQuery::One(k, key) => (
                "SELECT kind, key, state, due, body FROM tasks WHERE kind = ?1 AND key = ?2",
                vec![k.clone(), key.clone()],
                None,
            ),
            TaskQuery::Prefix(k, p) => (
                "SELECT kind, key, state, due, body FROM tasks WHERE kind = ?1 AND substr(key, 1, length(?2)) = ?2 ORDER BY key",
                vec![k.clone(), p.clone()],
                None,
            ),
            TaskQuery::Due(k, now, limit) => (
                "SELECT kind, key, state, due, body FROM tasks WHERE state = 'pending' AND kind = ?1 AND due <= ?2 ORDER BY due, key LIMIT ?3",
                vec![k.clone()],
                Some((*now, *limit)),
            ),
        }
    }
}

/// The `email` of a lead row, as `rows.email` keeps it (other kinds: none).
fn email_of(row: &NewRow) -> Option<String> {
    (row.kind == FileKind::Leads)
        .then(|| email_in(&row.body))
        .flatten()
}

/// The `email` pair of a stored body, lower-cased and trimmed (`None` when absent or empty).
pub(crate) fn email_in(body: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_json::from_str(body).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("email"))
        .map(|(_, v)| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
}

/// A stored body with its `lead_id` pair set to `lead`.
fn with_lead(body: &str, lead: &str) -> String {
    let mut pairs: Vec<(String, String)> = serde_json::from_str(body).unwrap_or_default();
    for (k, v) in &mut pairs {
        if k.eq_ignore_ascii_case("lead_id") {
            *v = lead.to_string();
        }
    }
    serde_json::to_string(&pairs).unwrap_or_else(|_| body.to_string())
}

/// The kind a stored stem names.
fn kind_of(stem: &str) -> Result<FileKind, StoreError> {
    FileKind::from_stem(stem)
        .ok_or_else(|| StoreError::Other(format!("a stored row has an unknown kind {stem:?}")))
}

/// A SQLite path's options: `FILE?max_mb=N` caps the database at N MiB (writes past it answer
/// `507 store_full`; reads go on).
fn sqlite_options(path: &str) -> Result<(&str, Option<u64>), StoreError> {
    let Some((file, query)) = path.split_once('?') else {
        return Ok((path, None));
    };
    let mut max_mb = None;
    for option in query.split('&').filter(|o| !o.is_empty()) {
        match option.split_once('=') {
            Some(("max_mb", v)) => {
                let mb: u64 = v.parse().ok().filter(|&mb| mb > 0).ok_or_else(|| {
                    StoreError::Other(format!(
                        "--database {path}: max_mb must be a whole number of MiB above 0, got {v:?}"
                    ))
                })?;
                max_mb = Some(mb);
            }
            _ => {
                return Err(StoreError::Other(format!(
                    "--database {path}: unknown option {option:?} (SQLite takes max_mb=N)"
                )));
            }
        }
    }
    Ok((file, max_mb))
}
