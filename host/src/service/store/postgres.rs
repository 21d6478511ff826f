//! The PostgreSQL store: the same tables as SQLite's, over a few connections (`tokio-postgres`).
//! Each write is one transaction; the `meta` version row orders them.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

use super::{
    Counts, NewRow, Put, RowSink, StoreError, StoredRow, Task, TaskQuery, TokenRecord, Written,
    kind_of, migrations,
};

fn pg_sql(sql: &str) -> String {
    sql.replace("?1", "$1")
        .replace("?2", "$2")
        .replace("?3", "$3")
}

/// Connections kept open.
const CONNECTIONS: usize = 4;

/// The PostgreSQL store.
pub struct PgStore {
    clients: Vec<Mutex<Client>>,
    next: AtomicUsize,
}

fn error(e: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    match e.code() {
        Some(c) if *c == SqlState::DISK_FULL || *c == SqlState::PROGRAM_LIMIT_EXCEEDED => {
            StoreError::Full(e.to_string())
        }
        Some(c)
            if *c == SqlState::LOCK_NOT_AVAILABLE
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::TOO_MANY_CONNECTIONS =>
        {
            StoreError::Busy(e.to_string())
        }
        _ => StoreError::Other(match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        }),
    }
}

impl PgStore {
    /// Connects and runs the migrations.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            let (client, connection) = tokio_postgres::connect(url, NoTls)
                .await
                .map_err(|e| StoreError::Other(format!("cannot connect to PostgreSQL: {e}")))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    eprintln!("{{\"level\":\"error\",\"msg\":\"postgres connection: {e}\"}}");
                }
            });
            clients.push(Mutex::new(client));
        }
        let store = PgStore {
            clients,
            next: AtomicUsize::new(0),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> tokio::sync::MutexGuard<'_, Client> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len();
        self.clients[i].lock().await
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut c = self.client().await;
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await
        .map_err(error)?;
        for &(version, sql) in migrations::POSTGRES {
            let tx = c.transaction().await.map_err(error)?;
            // One migrator at a time, even with two services starting together.
            tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
                .await
                .map_err(error)?;
            let done = tx
                .query_opt(
                    "SELECT version FROM schema_migrations WHERE version = $1",
                    &[&version],
                )
                .await
                .map_err(error)?;
            if done.is_none() {
                tx.batch_execute(sql).await.map_err(error)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&version],
                )
                .await
                .map_err(error)?;
            }
            tx.commit().await.map_err(error)?;
        }
        Ok(())
    }

    /// Writes rows in one transaction.
    pub async fn write(&self, rows: Vec<NewRow>) -> Result<Vec<Written>, StoreError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(error)?;
        rows_in_order(&tx).await?;
        let insert = tx
            .prepare(
                "INSERT INTO rows (kind, key, lead_id, body, email) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, key) DO NOTHING",
            )
            .await
            .map_err(error)?;
        let find = tx
            .prepare("SELECT body FROM rows WHERE kind = $1 AND key = $2")
            .await
            .map_err(error)?;
        let update = tx
            .prepare(
                "UPDATE rows SET body = $3, lead_id = $4, email = $5 WHERE kind = $1 AND key = $2",
            )
            .await
            .map_err(error)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind = r.kind.stem();
            let email = super::email_of(r);
            let n = tx
                .execute(&insert, &[&kind, &r.key, &r.lead_id, &r.body, &email])
                .await
                .map_err(error)?;
            if n == 1 {
                out.push(Written::Inserted);
                continue;
            }
            let body: String = tx
                .query_one(&find, &[&kind, &r.key])
                .await
                .map_err(error)?
                .get(0);
            if body == r.body || !r.replaces {
                out.push(Written::Unchanged);
            } else {
                tx.execute(&update, &[&kind, &r.key, &r.body, &r.lead_id, &email])
                    .await
                    .map_err(error)?;
                tx.execute("INSERT INTO updates (lead_id) VALUES ($1)", &[&r.lead_id])
                    .await
                    .map_err(error)?;
                out.push(Written::Updated);
            }
        }
        if out.iter().any(|w| *w != Written::Unchanged) {
            bump(&tx).await?;
        }
        tx.commit().await.map_err(error)?;
        Ok(out)
    }

    async fn rows(
        &self,
        sql: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredRow>, StoreError> {
        let c = self.client().await;
        let rows = c.query(sql, args).await.map_err(error)?;
        rows.iter()
            .map(|r| {
                Ok(StoredRow {
                    kind: kind_of(r.get::<_, &str>(0))?,
                    body: r.get(1),
                })
            })
            .collect()
    }

    /// Every row of one lead.
    pub async fn lead_rows(&self, lead_id: &str) -> Result<Vec<StoredRow>, StoreError> {
        self.rows(
            "SELECT kind, body FROM rows WHERE lead_id = $1 ORDER BY seq",
            &[&lead_id],
        )
        .await
    }

    /// The lead rows of these leads.
    pub async fn leads(&self, ids: &[String]) -> Result<Vec<StoredRow>, StoreError> {
        self.rows(
            "SELECT kind, body FROM rows WHERE kind = 'leads' AND lead_id = ANY($1) ORDER BY seq",
            &[&ids],
        )
        .await
    }

    /// The lead of a deal.
    pub async fn deal_lead(&self, deal_id: &str) -> Result<Option<String>, StoreError> {
        let c = self.client().await;
        let row = c
            .query_opt(
                "SELECT lead_id FROM rows WHERE kind = 'deals' AND key = $1",
                &[&deal_id],
            )
            .await
            .map_err(error)?;
        Ok(row.map(|r| r.get::<_, String>(0)).filter(|l| !l.is_empty()))
    }

    /// The leads with this (lower-cased) email.
    pub async fn leads_by_email(&self, email: &str) -> Result<Vec<String>, StoreError> {
        let c = self.client().await;
        let rows = c
            .query(
                "SELECT lead_id FROM rows WHERE email = $1 AND kind = 'leads' ORDER BY seq",
                &[&email],
            )
            .await
            .map_err(error)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Hands every row to `sink` (fetched in one query, then handed over off the async threads).
    pub async fn scan<S: RowSink>(&self, mut sink: S) -> Result<S, StoreError> {
        let rows = self
            .rows("SELECT kind, body FROM rows ORDER BY seq", &[])
            .await?;
        tokio::task::spawn_blocking(move || {
            for r in rows {
                sink.row(r.kind, &r.body)?;
            }
            Ok(sink)
        })
        .await
        .map_err(|e| StoreError::Other(format!("reading the rows failed: {e}")))?
    }

    /// The write version.
    pub async fn version(&self) -> Result<u64, StoreError> {
        let c = self.client().await;
        let v: String = c
            .query_one("SELECT value FROM meta WHERE key = 'version'", &[])
            .await
            .map_err(error)?
            .get(0);
        Ok(v.parse().unwrap_or(0))
    }

    /// Rows by kind.
    pub async fn counts(&self) -> Result<Counts, StoreError> {
        let c = self.client().await;
        let rows = c
            .query(
                "SELECT kind, COUNT(*) FROM rows GROUP BY kind ORDER BY kind",
                &[],
            )
            .await
            .map_err(error)?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    /// Erases a lead.
    pub async fn erase_lead(&self, lead_id: &str, at: &str) -> Result<u64, StoreError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(error)?;
        let n = tx
            .execute("DELETE FROM rows WHERE lead_id = $1", &[&lead_id])
            .await
            .map_err(error)?;
        tx.execute(
            "INSERT INTO erasures (at, rows) VALUES ($1, $2)",
            &[&at, &(n as i64)],
        )
        .await
        .map_err(error)?;
        if n > 0 {
            bump(&tx).await?;
        }
        tx.commit().await.map_err(error)?;
        Ok(n)
    }

    /// Merges a lead into another.
    pub async fn merge_lead(&self, from: &str, into: &str) -> Result<u64, StoreError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(error)?;
        rows_in_order(&tx).await?;
        let rows = tx
            .query(
                "SELECT seq, kind, key, body FROM rows WHERE lead_id = $1 ORDER BY seq",
                &[&from],
            )
            .await
            .map_err(error)?;
        for r in &rows {
            let (seq, kind, key, body): (i64, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            tx.execute("DELETE FROM rows WHERE seq = $1", &[&seq])
                .await
                .map_err(error)?;
            if kind != "leads" {
                tx.execute(
                    "INSERT INTO rows (kind, key, lead_id, body) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, key) DO NOTHING",
                    &[&kind, &key, &into, &super::with_lead(&body, into)],
                )
                .await
                .map_err(error)?;
            }
        }
        if !rows.is_empty() {
            bump(&tx).await?;
        }
        tx.commit().await.map_err(error)?;
        Ok(rows.len() as u64)
    }

    /// Stores a token.
    pub async fn add_token(&self, t: &TokenRecord) -> Result<(), StoreError> {
        let c = self.client().await;
        c.execute(
            "INSERT INTO tokens (id, hash, scope, origins, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&t.id, &t.hash, &t.scope, &t.origins, &t.label, &t.created_at],
        )
        .await
        .map_err(error)?;
        Ok(())
    }

    /// A token by hash.
    pub async fn token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let c = self.client().await;
        let row = c
            .query_opt(
                "SELECT id, hash, scope, origins, label, created_at FROM tokens WHERE hash = $1",
                &[&hash],
            )
            .await
            .map_err(error)?;
        Ok(row.map(|r| TokenRecord {
            id: r.get(0),
            hash: r.get(1),
            scope: r.get(2),
            origins: r.get(3),
            label: r.get(4),
            created_at: r.get(5),
        }))
    }

    /// A bookkeeping value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let c = self.client().await;
        let row = c
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .await
            .map_err(error)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Sets a bookkeeping value.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let c = self.client().await;
        c.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
        .await
        .map_err(error)?;
        Ok(())
    }

    /// Writes tasks in one transaction.
    pub async fn put_tasks(&self, tasks: Vec<(Task, Put)>) -> Result<Vec<bool>, StoreError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(error)?;
        let mut done = Vec::new();
        for (t, put) in &tasks {
            let sql = match put {
                Put::IfAbsent => {
                    "INSERT INTO tasks (kind, key, state, due, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, key) DO NOTHING"
                }
                Put::Replace => {
                    "INSERT INTO tasks (kind, key, state, due, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state, due = excluded.due, body = excluded.body"
                }
            };
            let n = tx
                .execute(sql, &[&t.kind, &t.key, &t.state, &t.due, &t.body])
                .await
                .map_err(error)?;
            done.push(n > 0);
        }
        tx.commit().await.map_err(error)?;
        Ok(done)
    }

    /// The tasks a query names.
    pub async fn tasks(&self, q: TaskQuery) -> Result<Vec<Task>, StoreError> {
        let (sql, texts, ints) = q.sql();
        let sql = pg_sql(sql);
        let c = self.client().await;
        let rows = match ints {
            Some((now, limit)) => c.query(&sql, &[&texts[0], &now, &limit]).await,
            None => {
                let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = texts
                    .iter()
                    .map(|t| t as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                c.query(&sql, &params).await
            }
        }
        .map_err(error)?;
        Ok(rows
            .iter()
            .map(|r| Task {
                kind: r.get(0),
                key: r.get(1),
                state: r.get(2),
                due: r.get(3),
                body: r.get(4),
            })
            .collect())
    }

    /// Tasks by (kind, state).
    pub async fn task_counts(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        let c = self.client().await;
        let rows = c
            .query(
                "SELECT kind, state, COUNT(*) FROM tasks GROUP BY kind, state ORDER BY kind, state",
                &[],
            )
            .await
            .map_err(error)?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2) as u64))
            .collect())
    }

    /// The leads of the rows written or replaced after `since`, and the marks now.
    pub async fn leads_since(
        &self,
        since: (i64, i64),
    ) -> Result<(Vec<String>, (i64, i64)), StoreError> {
        let c = self.client().await;
        let top = c
            .query_one(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM rows)::bigint, (SELECT COALESCE(MAX(seq), 0) FROM updates)::bigint",
                &[],
            )
            .await
            .map_err(error)?;
        let top: (i64, i64) = (top.get(0), top.get(1));
        let rows = c
            .query(
                "SELECT lead_id FROM rows WHERE seq > $1 AND seq <= $2 AND lead_id <> '' UNION SELECT lead_id FROM updates WHERE seq > $3 AND seq <= $4 AND lead_id <> '' ORDER BY lead_id",
                &[&since.0, &top.0, &since.1, &top.1],
            )
            .await
            .map_err(error)?;
        Ok((rows.iter().map(|r| r.get(0)).collect(), top))
    }
}

async fn bump(tx: &tokio_postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'version'",
        &[],
    )
    .await
    .map_err(error)?;
    Ok(())
}

/// The advisory lock every transaction that numbers rows (`rows.seq`, `updates.seq`) takes
/// first, held until it commits: sequence numbers are then committed in order, so a reader
/// that has seen number n has seen every number below it (the automation's mark relies on it),
/// whichever connection or service wrote them.
const ROWS_LOCK: i64 = 0x6261_746f_6e52; // "batonR"

/// Takes [`ROWS_LOCK`] for the transaction.
async fn rows_in_order(tx: &tokio_postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&ROWS_LOCK])
        .await
        .map_err(error)
        .map(drop)
}
