//! The store's schema, as numbered migrations run in order at start; `schema_migrations` records
//! which ran. A migration is never edited once released: a change is a new one.

/// SQLite's migrations: (version, statements).
pub const SQLITE: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE rows (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        lead_id TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (kind, key)
    );
    CREATE INDEX rows_lead ON rows (lead_id, seq);
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL,
        origins TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE erasures (at TEXT NOT NULL, rows INTEGER NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('version', '0');",
    ),
    (2, LEADS_BY_ID),
    (3, TASKS),
    (
        4,
        "CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, lead_id TEXT NOT NULL);",
    ),
    (
        5,
        "ALTER TABLE rows ADD COLUMN email TEXT;
    UPDATE rows SET email = (
        SELECT nullif(lower(trim(json_extract(e.value, '$[1]'))), '') FROM json_each(rows.body) e
        WHERE lower(json_extract(e.value, '$[0]')) = 'email' LIMIT 1)
    WHERE kind = 'leads';
    CREATE INDEX rows_email ON rows (email) WHERE email IS NOT NULL;",
    ),
];

/// Migration 5, `rows.email`: a lead row's `email`, lower-cased, so the site widget's identify
/// finds the lead a visitor is without reading every lead.
///
/// Migration 4, `updates`: the lead of every replaced row (a lead or deal sent again with other
/// values keeps its place in `rows`), so the automation sees a change that wrote no new row.
///
/// The automation's durable state (migration 3): handoffs, timers, the outbox, rotation turns,
/// CRM object state and delivered webhook ids, one row per (kind, key).
const TASKS: &str = "CREATE TABLE tasks (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL,
        due BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX tasks_due ON tasks (state, due);";

/// The lead rows of a lead found without walking its events (intake checks every batch's
/// leads).
const LEADS_BY_ID: &str = "CREATE INDEX rows_kind_lead ON rows (kind, lead_id, seq);";

/// PostgreSQL's migrations: (version, statements).
pub const POSTGRES: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE rows (
        seq BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        lead_id TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (kind, key)
    );
    CREATE INDEX rows_lead ON rows (lead_id, seq);
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL,
        origins TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE erasures (at TEXT NOT NULL, rows BIGINT NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('version', '0');",
    ),
    (2, LEADS_BY_ID),
    (3, TASKS),
    (
        4,
        "CREATE TABLE updates (seq BIGSERIAL PRIMARY KEY, lead_id TEXT NOT NULL);",
    ),
    (
        5,
        "ALTER TABLE rows ADD COLUMN email TEXT;
    UPDATE rows SET email = (
        SELECT nullif(lower(trim(e->>1)), '') FROM json_array_elements(rows.body::json) e
        WHERE lower(e->>0) = 'email' LIMIT 1)
    WHERE kind = 'leads';
    CREATE INDEX rows_email ON rows (email) WHERE email IS NOT NULL;",
    ),
];
