//! The embedded SQLite store: one file in WAL mode, written by one thread that commits the
//! writes waiting for it together (group commit, `synchronous = FULL`: a write is on disk when
//! it is answered), read by a small pool of connections.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tokio::sync::oneshot;

use super::{
    Counts, NewRow, Put, RowSink, StoreError, StoredRow, Task, TaskQuery, TokenRecord, Written,
    kind_of, migrations,
};

/// Writes waiting for the writer before new ones are refused (`503` with `Retry-After`).
pub const WRITE_QUEUE: usize = 512;
/// Writes committed in one transaction at most.
const GROUP: usize = 64;
/// The writer's page cache, in KiB, so the indexes' hot pages stay in memory. Readers keep
/// SQLite's default (2 MiB): a reader's cache is dropped whenever another connection has
/// committed, and dropping a large one costs more than it saves.
const WRITER_CACHE_KIB: i64 = 16 * 1024;
/// How long a connection waits for a lock before the store is "busy".
const BUSY_TIMEOUT_MS: u64 = 5_000;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A write other than rows (a token, a bookkeeping value, an erasure).
type Op = Box<dyn FnOnce(&Transaction<'_>) -> Result<(), rusqlite::Error> + Send>;

/// A write for the writer thread.
enum Job {
    Rows(Vec<NewRow>, Reply<Vec<Written>>),
    Other(Op, Reply<()>),
    Stop,
}

/// The SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    jobs: SyncSender<Job>,
    waiting: Arc<AtomicUsize>,
    version: Arc<AtomicU64>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One connection for point reads by index (a batch's leads), run on the calling thread:
    /// WAL readers never wait for the writer, and such a read takes microseconds, less than
    /// handing it to the blocking pool. Busy (another caller has it): the pool.
    inline: Mutex<Option<Connection>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn error(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Busy(e.to_string())
        }
        Some(ErrorCode::DiskFull) => StoreError::Full(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Other(format!("{}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(error)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(error)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(error)?;
    // A job's savepoint journals the pages it changes: in memory, not a temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(error)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .map_err(error)?;
    for &(version, sql) in migrations::SQLITE {
        let done: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()
            .map_err(error)?;
        if done.is_some() {
            continue;
        }
        let tx = conn.transaction().map_err(error)?;
        tx.execute_batch(sql).map_err(error)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, datetime('now'))",
            [version],
        )
        .map_err(error)?;
        tx.commit().map_err(error)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating) the file and runs the migrations; `max_mb` caps the database's size.
    pub fn open(path: &Path, max_mb: Option<u64>) -> Result<SqliteStore, StoreError> {
        let mut conn = connect(path)?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(error)?;
        if let Some(mb) = max_mb {
            let page: u64 = conn
                .query_row("PRAGMA page_size", [], |r| r.get(0))
                .map_err(error)?;
            conn.pragma_update(None, "max_page_count", mb * 1024 * 1024 / page.max(1))
                .map_err(error)?;
        }
        migrate(&mut conn)?;
        let version: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
                r.get(0)
            })
            .map_err(error)?;
        let version = Arc::new(AtomicU64::new(version.parse().unwrap_or(0)));
        let (jobs, queue) = std::sync::mpsc::sync_channel(WRITE_QUEUE);
        let waiting = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (waiting, version) = (waiting.clone(), version.clone());
            std::thread::Builder::new()
                .name("baton-store-writer".into())
                .spawn(move || write_loop(conn, queue, &waiting, &version))
                .map_err(|e| StoreError::Other(format!("cannot start the writer: {e}")))?
        };
        Ok(SqliteStore {
            path: path.to_path_buf(),
            jobs,
            waiting,
            version,
            readers: Arc::new(Mutex::new(Vec::new())),
            inline: Mutex::new(None),
            writer: Mutex::new(Some(writer)),
        })
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        match self.jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                Err(StoreError::Overloaded(WRITE_QUEUE))
            }
            Err(TrySendError::Disconnected(_)) => {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                Err(StoreError::Other("the store is closed".into()))
            }
        }
    }

    /// Writes rows; answered once committed.
    pub async fn write(&self, rows: Vec<NewRow>) -> Result<Vec<Written>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Rows(rows, reply))?;
        answer
            .await
            .map_err(|_| StoreError::Other("the writer stopped".into()))?
    }

    async fn other(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<(), rusqlite::Error> + Send + 'static,
    ) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Other(Box::new(f), reply))?;
        answer
            .await
            .map_err(|_| StoreError::Other("the writer stopped".into()))?
    }

    /// Runs a read on a pooled connection, off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (readers, path) = (self.readers.clone(), self.path.clone());
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().ok().and_then(|mut p| p.pop());
            let conn = match pooled {
                Some(c) => c,
                None => connect(&path)?,
            };
            let out = f(&conn).map_err(error);
            if let Ok(mut p) = readers.lock()
                && p.len() < 8
            {
                p.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Other(format!("a read failed: {e}")))?
    }

    /// Runs a short indexed read on the inline connection when it is free, else on the pool.
    async fn point_read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        if let Ok(mut slot) = self.inline.try_lock() {
            if slot.is_none() {
                *slot = Some(connect(&self.path)?);
            }
            if let Some(conn) = slot.as_ref() {
                return f(conn).map_err(error);
            }
        }
        self.read(f).await
    }

    /// Every row of one lead.
    pub async fn lead_rows(&self, lead_id: String) -> Result<Vec<StoredRow>, StoreError> {
        self.read(move |c| {
            rows_of(
                c,
                "SELECT kind, body FROM rows WHERE lead_id = ?1 ORDER BY seq",
                params![lead_id],
            )
        })
        .await?
    }

    /// The lead rows of these leads.
    pub async fn leads(&self, ids: Vec<String>) -> Result<Vec<StoredRow>, StoreError> {
        self.point_read(move |c| {
            let mut out = Vec::new();
            let mut stmt = c.prepare_cached(
                "SELECT kind, body FROM rows WHERE kind = 'leads' AND lead_id = ?1 ORDER BY seq",
            )?;
            for id in ids {
                let mut rows = stmt.query([id])?;
                while let Some(r) = rows.next()? {
                    out.push((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
                }
            }
            Ok(out)
        })
        .await
        .and_then(stored)
    }

    /// The lead of a deal.
    pub async fn deal_lead(&self, deal_id: String) -> Result<Option<String>, StoreError> {
        self.point_read(move |c| {
            c.prepare_cached("SELECT lead_id FROM rows WHERE kind = 'deals' AND key = ?1")?
                .query_row([deal_id], |r| r.get::<_, String>(0))
                .optional()
        })
        .await
        .map(|l| l.filter(|l| !l.is_empty()))
    }

    /// The leads with this (lower-cased) email.
    pub async fn leads_by_email(&self, email: String) -> Result<Vec<String>, StoreError> {
        self.point_read(move |c| {
            c.prepare_cached(
                "SELECT lead_id FROM rows WHERE email = ?1 AND kind = 'leads' ORDER BY seq",
            )?
            .query_map([email], |r| r.get(0))?
            .collect()
        })
        .await
    }

    /// Hands every row to `sink`, straight from the read (no row kept).
    pub async fn scan<S: RowSink>(&self, mut sink: S) -> Result<S, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT kind, body FROM rows ORDER BY seq")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (kind, body) = (text(r, 0)?, text(r, 1)?);
                let done = kind_of(kind).and_then(|k| sink.row(k, body));
                if let Err(e) = done {
                    return Ok(Err(e));
                }
            }
            Ok(Ok(sink))
        })
        .await?
    }

    /// The write version.
    pub async fn version(&self) -> Result<u64, StoreError> {
        Ok(self.version.load(Ordering::SeqCst))
    }

    /// Rows by kind.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT kind, COUNT(*) FROM rows GROUP BY kind ORDER BY kind")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect()
        })
        .await
    }

    /// Erases a lead.
    pub async fn erase_lead(&self, lead_id: String, at: String) -> Result<u64, StoreError> {
        let count = Arc::new(AtomicU64::new(0));
        let seen = count.clone();
        let version = self.version.clone();
        self.other(move |tx| {
            let n = tx.execute("DELETE FROM rows WHERE lead_id = ?1", [lead_id])? as u64;
            tx.execute(
                "INSERT INTO erasures (at, rows) VALUES (?1, ?2)",
                params![at, n as i64],
            )?;
            if n > 0 {
                let v = version.fetch_add(1, Ordering::SeqCst) + 1;
                tx.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'version'",
                    [v.to_string()],
                )?;
            }
            seen.store(n, Ordering::SeqCst);
            Ok(())
        })
        .await?;
        Ok(count.load(Ordering::SeqCst))
    }

    /// Merges a lead into another.
    pub async fn merge_lead(&self, from: String, into: String) -> Result<u64, StoreError> {
        let count = Arc::new(AtomicU64::new(0));
        let seen = count.clone();
        let version = self.version.clone();
        self.other(move |tx| {
            let rows: Vec<(i64, String, String, String)> = tx
                .prepare_cached("SELECT seq, kind, key, body FROM rows WHERE lead_id = ?1 ORDER BY seq")?
                .query_map([&from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            for (seq, kind, key, body) in &rows {
                tx.execute("DELETE FROM rows WHERE seq = ?1", [seq])?;
                if kind != "leads" {
                    tx.execute(
                        "INSERT INTO rows (kind, key, lead_id, body) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, key) DO NOTHING",
                        params![kind, key, into, super::with_lead(body, &into)],
                    )?;
                }
            }
            let n = rows.len() as u64;
            if n > 0 {
                let v = version.fetch_add(1, Ordering::SeqCst) + 1;
                tx.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'version'",
                    [v.to_string()],
                )?;
            }
            seen.store(n, Ordering::SeqCst);
            Ok(())
        })
        .await?;
        Ok(count.load(Ordering::SeqCst))
    }

    /// Stores a token.
    pub async fn add_token(&self, t: TokenRecord) -> Result<(), StoreError> {
        self.other(move |tx| {
            tx.execute(
                "INSERT INTO tokens (id, hash, scope, origins, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.id, t.hash, t.scope, t.origins, t.label, t.created_at],
            )
            .map(drop)
        })
        .await
    }

    /// A token by hash.
    pub async fn token(&self, hash: String) -> Result<Option<TokenRecord>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, hash, scope, origins, label, created_at FROM tokens WHERE hash = ?1",
            )?
            .query_row([hash], |r| {
                Ok(TokenRecord {
                    id: r.get(0)?,
                    hash: r.get(1)?,
                    scope: r.get(2)?,
                    origins: r.get(3)?,
                    label: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })
            .optional()
        })
        .await
    }

    /// A bookkeeping value.
    pub async fn meta(&self, key: String) -> Result<Option<String>, StoreError> {
        self.read(move |c| {
            c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        })
        .await
    }

    /// Sets a bookkeeping value.
    pub async fn set_meta(&self, key: String, value: String) -> Result<(), StoreError> {
        self.other(move |tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(drop)
        })
        .await
    }

    /// Writes tasks in one transaction.
    pub async fn put_tasks(&self, tasks: Vec<(Task, Put)>) -> Result<Vec<bool>, StoreError> {
        let out = Arc::new(Mutex::new(Vec::new()));
        let seen = out.clone();
        self.other(move |tx| {
            let mut done = Vec::new();
            for (t, put) in &tasks {
                let sql = match put {
                    Put::IfAbsent => {
                        "INSERT INTO tasks (kind, key, state, due, body) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, key) DO NOTHING"
                    }
                    Put::Replace => {
                        "INSERT INTO tasks (kind, key, state, due, body) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state, due = excluded.due, body = excluded.body"
                    }
                };
                let n = tx
                    .prepare_cached(sql)?
                    .execute(params![t.kind, t.key, t.state, t.due, t.body])?;
                done.push(n > 0);
            }
            if let Ok(mut o) = seen.lock() {
                *o = done;
            }
            Ok(())
        })
        .await?;
        Ok(out
            .lock()
            .map(|mut o| std::mem::take(&mut *o))
            .unwrap_or_default())
    }

    /// The tasks a query names.
    pub async fn tasks(&self, q: TaskQuery) -> Result<Vec<Task>, StoreError> {
        self.read(move |c| {
            let (sql, texts, ints) = q.sql();
            let mut stmt = c.prepare_cached(sql)?;
            let map = |r: &rusqlite::Row<'_>| {
                Ok(Task {
                    kind: r.get(0)?,
                    key: r.get(1)?,
                    state: r.get(2)?,
                    due: r.get(3)?,
                    body: r.get(4)?,
                })
            };
            let rows = match ints {
                Some((now, limit)) => stmt.query_map(params![texts[0], now, limit], map)?,
                None => stmt.query_map(rusqlite::params_from_iter(texts.iter()), map)?,
            };
            rows.collect()
        })
        .await
    }

    /// Tasks by (kind, state).
    pub async fn task_counts(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT kind, state, COUNT(*) FROM tasks GROUP BY kind, state ORDER BY kind, state",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })?;
            rows.collect()
        })
        .await
    }

    /// The leads of the rows written or replaced after `since`, and the marks now.
    pub async fn leads_since(
        &self,
        since: (i64, i64),
    ) -> Result<(Vec<String>, (i64, i64)), StoreError> {
        self.read(move |c| {
            let top: (i64, i64) = c.query_row(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM rows), (SELECT COALESCE(MAX(seq), 0) FROM updates)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut stmt = c.prepare_cached(
                "SELECT lead_id FROM rows WHERE seq > ?1 AND seq <= ?2 AND lead_id <> '' UNION SELECT lead_id FROM updates WHERE seq > ?3 AND seq <= ?4 AND lead_id <> '' ORDER BY lead_id",
            )?;
            let ids = stmt
                .query_map(params![since.0, top.0, since.1, top.1], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok((ids, top))
        })
        .await
    }

    /// Commits what is queued and stops the writer.
    pub async fn close(&self) {
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(handle) = handle {
            let _ = self.jobs.send(Job::Stop);
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
    }
}

fn text<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a str, rusqlite::Error> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn rows_of(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Result<Vec<StoredRow>, StoreError>, rusqlite::Error> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows: Vec<(String, String)> = stmt
        .query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(stored(rows))
}

fn stored(rows: Vec<(String, String)>) -> Result<Vec<StoredRow>, StoreError> {
    rows.into_iter()
        .map(|(kind, body)| {
            Ok(StoredRow {
                kind: kind_of(&kind)?,
                body,
            })
        })
        .collect()
}

/// The writer: takes a job, then whatever else is waiting (up to [`GROUP`]), runs each in its
/// own savepoint of one transaction, commits once, and answers each.
fn write_loop(
    mut conn: Connection,
    queue: Receiver<Job>,
    waiting: &AtomicUsize,
    version: &AtomicU64,
) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        waiting.fetch_sub(group.len(), Ordering::SeqCst);
        let stop = group.iter().any(|j| matches!(j, Job::Stop));
        commit_group(&mut conn, group, version);
        if stop {
            break;
        }
    }
}

/// One answer held until the commit.
enum Answer {
    Rows(Reply<Vec<Written>>, Result<Vec<Written>, StoreError>),
    Other(Reply<()>, Result<(), StoreError>),
}

fn commit_group(conn: &mut Connection, group: Vec<Job>, version: &AtomicU64) {
    if group.iter().all(|j| matches!(j, Job::Rows(..)))
        && let Some(outs) = commit_rows(conn, &group, version)
    {
        for (job, out) in group.into_iter().zip(outs) {
            if let Job::Rows(_, reply) = job {
                drop(reply.send(Ok(out)));
            }
        }
        return;
    }
    commit_each(conn, group, version);
}

/// The common group, rows only, in one transaction without a savepoint per job; `None` (all
/// rolled back) when a job or the commit failed, and the group is done job by job instead.
fn commit_rows(
    conn: &mut Connection,
    group: &[Job],
    version: &AtomicU64,
) -> Option<Vec<Vec<Written>>> {
    let before = version.load(Ordering::SeqCst);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .ok()?;
    let mut outs = Vec::with_capacity(group.len());
    for job in group {
        if let Job::Rows(rows, _) = job {
            outs.push(write_rows(&tx, rows).ok()?);
        }
    }
    let changed = outs
        .iter()
        .filter(|w| w.iter().any(|w| *w != Written::Unchanged))
        .count() as u64;
    let v = version.load(Ordering::SeqCst).max(before) + changed;
    if changed > 0 {
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'version'",
            [v.to_string()],
        )
        .ok()?;
    }
    tx.commit().ok()?;
    if changed > 0 {
        version.store(v, Ordering::SeqCst);
    }
    Some(outs)
}

/// A group with a savepoint per job: a job that fails leaves the others' writes alone.
fn commit_each(conn: &mut Connection, group: Vec<Job>, version: &AtomicU64) {
    let before = version.load(Ordering::SeqCst);
    let mut answers = Vec::with_capacity(group.len());
    let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = error(e);
            for job in group {
                fail(job, &e);
            }
            return;
        }
    };
    let mut changed = 0u64;
    let mut jobs = group.into_iter();
    while let Some(job) = jobs.next() {
        let failed = match job {
            Job::Rows(rows, reply) => {
                let out = in_savepoint(&tx, |sp| write_rows(sp, &rows));
                if let Ok(w) = &out
                    && w.iter().any(|w| *w != Written::Unchanged)
                {
                    changed += 1;
                }
                let failed = out.as_ref().err().map(same);
                answers.push(Answer::Rows(reply, out));
                failed
            }
            Job::Other(f, reply) => {
                let out = in_savepoint(&tx, |sp| f(sp));
                let failed = out.as_ref().err().map(same);
                answers.push(Answer::Other(reply, out));
                failed
            }
            Job::Stop => None,
        };
        // SQLite rolls the whole transaction back on some errors (a full disk or database):
        // then no job of the group is written, and each is told why.
        if let Some(e) = failed
            && tx.is_autocommit()
        {
            for answer in answers {
                match answer {
                    Answer::Rows(reply, _) => drop(reply.send(Err(same(&e)))),
                    Answer::Other(reply, _) => drop(reply.send(Err(same(&e)))),
                }
            }
            for job in jobs {
                fail(job, &e);
            }
            return;
        }
    }
    let committed = (|| {
        if changed > 0 {
            let v = version.load(Ordering::SeqCst).max(before) + changed;
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'version'",
                [v.to_string()],
            )?;
            tx.commit()?;
            version.store(v, Ordering::SeqCst);
        } else {
            tx.commit()?;
        }
        Ok::<(), rusqlite::Error>(())
    })();
    let committed = committed.map_err(error);
    for answer in answers {
        match (answer, &committed) {
            (Answer::Rows(reply, out), Ok(())) => drop(reply.send(out)),
            (Answer::Other(reply, out), Ok(())) => drop(reply.send(out)),
            (Answer::Rows(reply, _), Err(e)) => drop(reply.send(Err(same(e)))),
            (Answer::Other(reply, _), Err(e)) => drop(reply.send(Err(same(e)))),
        }
    }
}

fn same(e: &StoreError) -> StoreError {
    match e {
        StoreError::Busy(m) => StoreError::Busy(m.clone()),
        StoreError::Full(m) => StoreError::Full(m.clone()),
        StoreError::Overloaded(n) => StoreError::Overloaded(*n),
        StoreError::Other(m) => StoreError::Other(m.clone()),
    }
}

fn fail(job: Job, e: &StoreError) {
    match job {
        Job::Rows(_, reply) => drop(reply.send(Err(same(e)))),
        Job::Other(_, reply) => drop(reply.send(Err(same(e)))),
        Job::Stop => {}
    }
}

fn in_savepoint<T>(
    tx: &Transaction<'_>,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, rusqlite::Error>,
) -> Result<T, StoreError> {
    tx.execute_batch("SAVEPOINT job").map_err(error)?;
    match f(tx) {
        Ok(v) => {
            tx.execute_batch("RELEASE job").map_err(error)?;
            Ok(v)
        }
        Err(e) => {
            let _ = tx.execute_batch("ROLLBACK TO job; RELEASE job");
            Err(error(e))
        }
    }
}

fn write_rows(tx: &Transaction<'_>, rows: &[NewRow]) -> Result<Vec<Written>, rusqlite::Error> {
    let mut find = tx.prepare_cached("SELECT body FROM rows WHERE kind = ?1 AND key = ?2")?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO rows (kind, key, lead_id, body, email) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind, key) DO NOTHING",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE rows SET body = ?3, lead_id = ?4, email = ?5 WHERE kind = ?1 AND key = ?2",
    )?;
    let mut journal = tx.prepare_cached("INSERT INTO updates (lead_id) VALUES (?1)")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind = r.kind.stem();
        // Most rows are new: insert, and look at the stored row only when the key is taken.
        let email = super::email_of(r);
        if insert.execute(params![kind, r.key, r.lead_id, r.body, email])? == 1 {
            out.push(Written::Inserted);
            continue;
        }
        let stored: String = find.query_row([kind, &r.key], |x| x.get(0))?;
        out.push(match stored {
            body if body == r.body || !r.replaces => Written::Unchanged,
            _ => {
                update.execute(params![kind, r.key, r.body, r.lead_id, email])?;
                journal.execute([&r.lead_id])?;
                Written::Updated
            }
        });
    }
    Ok(out)
}
