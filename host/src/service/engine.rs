//! The service's engine: the workspace's configuration and plugins, the store, and core's
//! answers on the stored rows — a lead's card from that lead's rows, the report from a snapshot
//! of all of them, rebuilt when the data changed (never on every request).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use baton_core::content::ContentReport;
use baton_core::live::{CardContext, LeadCard};
use baton_core::{Framework, Instant, Workspace};

use super::auth::RateLimits;
use super::http::log_event;
use super::metrics::Metrics;
use super::snapshot;
use super::store::{Store, StoreError, TokenRecord};
use crate::error::HostError;

/// The start of the minute `at` is in: a card's workspace-wide inputs are computed once a minute.
pub fn minute_of(at: Instant) -> Instant {
    Instant(at.0.div_euclid(60_000_000) * 60_000_000)
}

/// All stored rows, read by core at one store version.
pub struct Snapshot {
    /// The store version read.
    pub version: u64,
    /// The workspace.
    pub ws: Workspace,
    /// When it was built.
    built: std::time::Instant,
}

/// How old the snapshot behind a card's workspace-wide inputs may get while the data changes:
/// a rebuild reads every row, so under a steady stream of writes cards start one at most this
/// often (the report always rebuilds before answering).
const CARD_SNAPSHOT_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// What a card takes from the whole workspace at an `as_of`: the content analysis (next-best
/// content ranks by lift), the assets as the messaging lexicon reads them and, when a routing pool rotates, every
/// lead's route.
struct CardExtras {
    content: ContentReport,
    assets: baton_core::content::AssetReading,
    routes: Option<HashMap<String, Option<String>>>,
}

/// The report's files at one store version and `as_of`.
pub struct Rendered {
    /// `report.json`.
    pub json: String,
    /// `report.html`.
    pub html: String,
}

/// Why an answer could not be given.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// No such lead.
    #[error("no lead {0:?}")]
    NoLead(String),
    /// The request's input is unusable.
    #[error("{0}")]
    Input(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something else failed.
    #[error("{0}")]
    Internal(String),
}

impl From<HostError> for AnswerError {
    fn from(e: HostError) -> Self {
        if e.is_input_error() {
            AnswerError::Input(e.to_string())
        } else {
            AnswerError::Internal(e.to_string())
        }
    }
}

/// The service's shared state.
pub struct App {
    /// The workspace folder.
    pub dir: PathBuf,
    /// Its configuration.
    pub framework: Arc<Framework>,
    /// The `baton.toml` it was read from at start (`None`: the defaults), for clients that run
    /// the engine with the same configuration (the CRM side panel's draft check).
    pub config_text: Option<String>,
    /// The lead attributes its rules name (`Config::rule_attributes`), worked out once: columns
    /// of every snapshot and card, though no stored lead has them yet.
    rule_columns: Arc<Vec<String>>,
    /// Its assets file (name, bytes).
    pub assets: Option<(String, Vec<u8>)>,
    /// The same as JSON rows, for a card's workspace.
    asset_json: Option<Arc<(String, baton_core::JsonRows)>>,
    /// The assets (`asset_id`, `title`, `owner_team`) as JSON objects by id: an intake batch's
    /// context, the assets its events name.
    pub asset_rows: Option<AssetRows>,
    /// The store.
    pub store: Store,
    /// The asset texts, read once.
    texts: Arc<snapshot::CachedTexts>,
    /// The plugin host, when the workspace declares plugins.
    pub plugins: Option<crate::plugins::PluginHost>,
    /// Plugin calls at one `as_of` at a time (the plugins' clock reads it).
    plugin_clock: Mutex<()>,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    rebuilding: tokio::sync::Mutex<()>,
    extras: Mutex<Vec<(ExtrasKey, Arc<CardExtras>)>>,
    reports: Mutex<Option<(ReportKey, Arc<Rendered>)>>,
    tokens: Mutex<HashMap<String, TokenRecord>>,
    /// The counters `/metrics` shows.
    pub metrics: Metrics,
    /// The site key's rate limits.
    pub limits: RateLimits,
    /// The service's clock (core never reads one).
    pub clock: super::clock::Clock,
    /// Wakes the automation when rows were written.
    pub written: tokio::sync::Notify,
    /// One connector batch at a time (a CRM object's state is read, changed and written).
    pub connector_lock: tokio::sync::Mutex<()>,
}

/// Card extras are computed once per (store version, `as_of`).
type ExtrasKey = (u64, Instant);
/// The report is computed once per (store version, `as_of` as asked).
type ReportKey = (u64, String);

/// Card extras kept (by store version and `as_of`).
const EXTRAS_KEPT: usize = 4;

fn blocking_error(e: tokio::task::JoinError) -> AnswerError {
    AnswerError::Internal(format!("a computation failed: {e}"))
}

impl App {
    /// Reads the workspace's configuration, plugins and assets, opens the store (seeding it from
    /// the folder's data files when it is new) and builds the first snapshot.
    pub async fn start(
        dir: &Path,
        database: Option<&str>,
        clock: super::clock::Clock,
    ) -> Result<App, HostError> {
        let (framework, config_text) = crate::workspace_dir::load_framework_and_text(dir)?;
        let rule_columns = Arc::new(framework.config.rule_attributes());
        let framework = Arc::new(framework);
        let assets = snapshot::assets_file(dir)?;
        let asset_json = match &assets {
            Some(a) => Some(Arc::new(snapshot::asset_json_rows(a)?)),
            None => None,
        };
        let store = Store::open(dir, database)
            .await
            .map_err(super::store_error)?;
        let app = App {
            dir: dir.to_path_buf(),
            asset_rows: None,
            framework,
            config_text,
            rule_columns,
            assets,
            asset_json,
            store,
            texts: Arc::new(snapshot::CachedTexts::new(dir)),
            plugins: None,
            plugin_clock: Mutex::new(()),
            snapshot: RwLock::new(None),
            rebuilding: tokio::sync::Mutex::new(()),
            extras: Mutex::new(Vec::new()),
            reports: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
            metrics: Metrics::default(),
            limits: RateLimits::new((50.0, 200.0), (10.0, 40.0)),
            clock,
            written: tokio::sync::Notify::new(),
            connector_lock: tokio::sync::Mutex::new(()),
        };
        let mut app = app;
        app.seed().await?;
        let snap = app
            .current()
            .await
            .map_err(|e| HostError::Input(e.to_string()))?;
        app.asset_rows = asset_rows(&snap.ws);
        app.plugins = crate::load_plugins(&snap.ws, dir)?;
        let dq = &snap.ws.data_quality;
        log_event(
            "info",
            &format!(
                "store holds {} rows ({} used, {} rejected by the ingestion, {} with warnings); {} plugins",
                dq.rows,
                dq.accepted,
                dq.rejected,
                dq.warnings,
                app.plugins.as_ref().map_or(0, |p| p.plugins().len())
            ),
        );
        Ok(app)
    }

    /// Loads the folder's data files into a new store, once.
    async fn seed(&self) -> Result<(), HostError> {
        if self
            .store
            .meta("seeded_from")
            .await
            .map_err(super::store_error)?
            .is_some()
        {
            return Ok(());
        }
        let dir = self.dir.clone();
        let seeded = tokio::task::spawn_blocking(move || snapshot::seed(&dir))
            .await
            .map_err(|e| HostError::Input(e.to_string()))??;
        for (name, rows, malformed) in &seeded.files {
            let mut line = format!("seeding the store: {name}: {rows} rows");
            if let Some((at, why)) = malformed.first() {
                line.push_str(&format!(
                    "; {} could not be split and are not stored (line {at}: {why})",
                    malformed.len()
                ));
            }
            log_event("info", &line);
        }
        for chunk in seeded.rows.chunks(5_000) {
            self.store
                .write(chunk.to_vec())
                .await
                .map_err(super::store_error)?;
        }
        self.store
            .set_meta("seeded_from", &self.dir.display().to_string())
            .await
            .map_err(super::store_error)?;
        Ok(())
    }

    /// The snapshot at the store's current version, rebuilt if the data changed.
    pub async fn current(&self) -> Result<Arc<Snapshot>, AnswerError> {
        let version = self.store.version().await?;
        if let Some(s) = self.cached_snapshot()
            && s.version == version
        {
            return Ok(s);
        }
        let _one = self.rebuilding.lock().await;
        let version = self.store.version().await?;
        if let Some(s) = self.cached_snapshot()
            && s.version == version
        {
            return Ok(s);
        }
        let files = self.store.scan(snapshot::Files::default()).await?;
        let (framework, assets, texts, columns) = (
            self.framework.clone(),
            self.assets.clone(),
            self.texts.clone(),
            self.rule_columns.clone(),
        );
        let ws = tokio::task::spawn_blocking(move || {
            snapshot::workspace_of_files(
                &framework,
                files.finish(&columns),
                assets.as_ref(),
                texts.as_ref(),
            )
        })
        .await
        .map_err(blocking_error)??;
        let snap = Arc::new(Snapshot {
            version,
            ws,
            built: std::time::Instant::now(),
        });
        if let Ok(mut s) = self.snapshot.write() {
            *s = Some(snap.clone());
        }
        Ok(snap)
    }

    fn cached_snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.read().ok().and_then(|s| s.clone())
    }

    /// The snapshot a card's workspace-wide parts use: the latest built (a rebuild is started
    /// in the background when the data changed since and it is older than
    /// [`CARD_SNAPSHOT_AGE`]), or the current one when none is built.
    async fn latest(self: &Arc<Self>) -> Result<Arc<Snapshot>, AnswerError> {
        match self.cached_snapshot() {
            Some(s) => {
                if self.store.version().await? != s.version
                    && s.built.elapsed() >= CARD_SNAPSHOT_AGE
                    && self.rebuilding.try_lock().is_ok()
                {
                    let app = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = app.current().await {
                            log_event("error", &format!("rebuilding the snapshot: {e}"));
                        }
                    });
                }
                Ok(s)
            }
            None => self.current().await,
        }
    }

    /// Whether the latest snapshot is at the store's version (`/readyz` says so).
    pub async fn snapshot_current(&self) -> Result<bool, StoreError> {
        let v = self.store.version().await?;
        Ok(self.cached_snapshot().is_some_and(|s| s.version == v))
    }

    /// The card of `lead_id` at `as_of` (default: now).
    pub async fn card(
        self: &Arc<Self>,
        lead_id: &str,
        as_of: Option<&str>,
    ) -> Result<LeadCard, AnswerError> {
        let ws = self.lead_ws(lead_id).await?;
        // Given: everything at that instant. Default: now, with the workspace-wide inputs
        // (content lift, a pool's turn) of the current minute, computed once a minute.
        let (as_of, extras_at) = match as_of {
            Some(text) => {
                let at = baton_core::live::resolve_as_of(&ws, Some(text))
                    .map_err(|_| AnswerError::Input(format!("as_of {text:?} is not an RFC 3339 time or a local time (2026-03-02T09:30:00)")))?
                    .at;
                (at, at)
            }
            None => {
                let at = self.clock.now();
                (at, minute_of(at))
            }
        };
        self.card_on(Arc::new(ws), lead_id, as_of, extras_at).await
    }

    /// The workspace of `lead_id`'s stored rows (with the assets), as a card reads it.
    pub async fn lead_ws(self: &Arc<Self>, lead_id: &str) -> Result<Workspace, AnswerError> {
        let rows = self.store.lead_rows(lead_id).await?;
        if !rows.iter().any(|r| r.kind == baton_core::FileKind::Leads) {
            return Err(AnswerError::NoLead(lead_id.to_string()));
        }
        let (framework, assets, texts) = (
            self.framework.clone(),
            self.asset_json.clone(),
            self.texts.clone(),
        );
        let mut columns: Vec<String> = self
            .latest()
            .await?
            .ws
            .attributes
            .iter()
            .map(|a| a.name.clone())
            .collect();
        // The columns the rules name, though no stored lead has them yet (a new site visitor).
        for named in self.rule_columns.iter() {
            if !columns.iter().any(|c| c.eq_ignore_ascii_case(named)) {
                columns.push(named.clone());
            }
        }
        let ws = tokio::task::spawn_blocking(move || {
            snapshot::lead_workspace(
                &framework,
                &rows,
                &columns,
                assets.as_deref(),
                texts.as_ref(),
            )
        })
        .await
        .map_err(blocking_error)??;
        if ws.lead_index(lead_id).is_none() {
            let why = ws
                .data_quality
                .files
                .get("leads")
                .and_then(|f| f.rejections.first())
                .map(|f| {
                    format!(
                        ": its row is rejected ({}: {} — {})",
                        f.field,
                        f.reason.name(),
                        f.example
                    )
                })
                .unwrap_or_default();
            return Err(AnswerError::Input(format!(
                "lead {lead_id:?} cannot be used{why}"
            )));
        }
        Ok(ws)
    }

    /// The card of `lead_id` in its workspace `ws` at `as_of`, the workspace-wide inputs taken
    /// at `extras_at`.
    pub async fn card_on(
        self: &Arc<Self>,
        ws: Arc<Workspace>,
        lead_id: &str,
        as_of: Instant,
        extras_at: Instant,
    ) -> Result<LeadCard, AnswerError> {
        let extras = self.extras(extras_at).await?;
        let app = self.clone();
        let id = lead_id.to_string();
        let card = tokio::task::spawn_blocking(move || {
            let route = extras
                .routes
                .as_ref()
                .map(|r| r.get(&id).cloned().flatten());
            let _clock = app.plugin_clock.lock();
            if let Some(h) = &app.plugins {
                h.set_clock(as_of);
            }
            let context = CardContext {
                content: &extras.content,
                assets: Some(&extras.assets),
                plugins: app
                    .plugins
                    .as_ref()
                    .map(|h| h as &dyn baton_core::plugins::PluginRunner),
                route,
            };
            baton_core::live::lead_card(&ws, &id, as_of, &context)
        })
        .await
        .map_err(blocking_error)?
        .map_err(|e| AnswerError::Input(e.to_string()))?;
        for p in &card.plugins {
            if let Some(kind) = p.failure {
                self.metrics.plugin_failure(&p.plugin, kind);
            }
        }
        Ok(card)
    }

    async fn extras(self: &Arc<Self>, as_of: Instant) -> Result<Arc<CardExtras>, AnswerError> {
        let snap = self.latest().await?;
        let key = (snap.version, as_of);
        if let Some(e) = self
            .extras
            .lock()
            .ok()
            .and_then(|x| x.iter().find(|(k, _)| *k == key).map(|(_, e)| e.clone()))
        {
            return Ok(e);
        }
        let extras = tokio::task::spawn_blocking(move || {
            let ws = &snap.ws;
            let outcomes = baton_core::outcomes::Outcomes::new(ws, as_of);
            let content = baton_core::content::content_report(ws, as_of, &outcomes);
            // A snapshot without the columns the rules read (a new store, before its first
            // leads are in it) routes nobody: each card then routes its lead alone.
            let routing = baton_core::qualification::RoutingModel::compile(ws).ok();
            let routes = routing.filter(|r| r.rotates()).map(|routing| {
                routing
                    .route_all(ws, as_of)
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (ws.text(ws.leads[i].id).to_string(), r))
                    .collect()
            });
            let lexicon = baton_core::messaging::Lexicon::new(ws);
            let assets = baton_core::content::AssetReading::new(ws, lexicon.as_ref());
            Ok::<_, AnswerError>(Arc::new(CardExtras {
                content,
                assets,
                routes,
            }))
        })
        .await
        .map_err(blocking_error)??;
        if let Ok(mut x) = self.extras.lock() {
            x.retain(|(k, _)| k.0 == key.0);
            if x.len() >= EXTRAS_KEPT {
                x.remove(0);
            }
            x.push((key, extras.clone()));
        }
        Ok(extras)
    }

    /// The report (`report.json` and `report.html`) of the current data at `as_of` (default: the
    /// data's latest timestamp, as `baton analyze`), computed once per store version and `as_of`.
    pub async fn report(
        self: &Arc<Self>,
        as_of: Option<&str>,
    ) -> Result<Arc<Rendered>, AnswerError> {
        let snap = self.current().await?;
        let key = (snap.version, as_of.unwrap_or("").to_string());
        if let Some((k, r)) = self.reports.lock().ok().and_then(|r| r.clone())
            && k == key
        {
            return Ok(r);
        }
        let app = self.clone();
        let as_of = as_of.map(str::to_string);
        let rendered = tokio::task::spawn_blocking(move || {
            let ws = &snap.ws;
            let at = baton_core::live::resolve_as_of(ws, as_of.as_deref())
                .map_err(|e| AnswerError::Input(format!("as_of: {e:?}")))?
                .at;
            let _clock = app.plugin_clock.lock();
            let analyzed = crate::analyze_workspace(
                ws,
                at,
                &baton_core::report::AnalysisOptions::default(),
                None,
                app.plugins.as_ref(),
            )?;
            for p in &analyzed.report.plugins {
                for (kind, n) in &p.failures_by_kind {
                    for _ in 0..*n {
                        app.metrics.plugin_failure(&p.name, kind);
                    }
                }
            }
            Ok::<_, AnswerError>(Arc::new(Rendered {
                json: analyzed.report.to_json(),
                html: crate::html::render(&analyzed.report),
            }))
        })
        .await
        .map_err(blocking_error)??;
        if let Ok(mut r) = self.reports.lock() {
            *r = Some((key, rendered.clone()));
        }
        Ok(rendered)
    }

    /// The token with this hash (cached once found).
    pub async fn token(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        if let Some(t) = self.tokens.lock().ok().and_then(|t| t.get(hash).cloned()) {
            return Ok(Some(t));
        }
        let found = self.store.token(hash).await?;
        if let (Some(t), Ok(mut cache)) = (&found, self.tokens.lock()) {
            cache.insert(hash.to_string(), t.clone());
        }
        Ok(found)
    }
}

/// The workspace's assets, for checking events' `asset_id` at intake: each as a JSON object.
pub struct AssetRows {
    by_id: rustc_hash::FxHashMap<String, String>,
}

impl AssetRows {
    /// The rows of the assets named (none known: an empty assets file, so that an unknown
    /// `asset_id` is still told apart from a workspace without assets).
    pub fn named<'a>(
        &self,
        ids: impl Iterator<Item = &'a str>,
    ) -> Result<baton_core::JsonRows, String> {
        let mut text = String::from("[");
        let mut seen: Vec<&str> = Vec::new();
        for id in ids {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(row) = self.by_id.get(id) {
                if text.len() > 1 {
                    text.push(',');
                }
                text.push_str(row);
            }
        }
        text.push(']');
        baton_core::JsonRows::parse(baton_core::FileKind::Assets, &text, &[])
            .map_err(|e| e.to_string())
    }
}

/// The workspace's assets as rows, for checking events' `asset_id` at intake.
fn asset_rows(ws: &Workspace) -> Option<AssetRows> {
    if ws
        .data_quality
        .files
        .get("assets")
        .is_none_or(|f| f.format == "absent")
    {
        return None;
    }
    let by_id = ws
        .assets
        .iter()
        .map(|a| {
            let row = serde_json::json!({
                "asset_id": ws.text(a.id),
                "title": a.title,
                "owner_team": a.owner_team.as_str(),
            });
            (ws.text(a.id).to_string(), row.to_string())
        })
        .collect();
    Some(AssetRows { by_id })
}
