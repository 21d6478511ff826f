//! `baton serve`: the live engine. Rows come in over HTTP, are checked by core's ingestion and
//! kept in the store; a lead's card and the report are core's answers on the stored rows.
//!
//! - [`store`]: SQLite (embedded, default) or PostgreSQL; versioned migrations; idempotent writes.
//! - [`snapshot`]: stored rows back into the files core ingests; seeding the store from the folder.
//! - [`engine`]: the workspace snapshot, lead cards, the report, with their caches.
//! - [`http`]: the `/v1` API, its errors, auth, limits, logs and metrics; [`openapi`] describes it.

pub mod answers;
pub mod auth;
pub mod automation;
pub mod clock;
pub mod connectors;
pub mod cors;
pub mod engine;
pub mod http;
pub mod intake;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod snapshot;
pub mod store;
pub mod widget;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::HostError;

/// `baton serve`'s options.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The workspace folder (baton.toml, plugins, assets; its data seeds an empty store).
    pub workspace: PathBuf,
    /// Where to listen (port 0: any free port, printed on stdout).
    pub listen: SocketAddr,
    /// The store: `postgres://…`, or a SQLite path; default `WORKSPACE/baton.db`.
    pub database: Option<String>,
    /// The clock: `system`, or `file:PATH` (tests and replays).
    pub clock: String,
}

/// Builds a runtime and runs `f` on it (the CLI's commands are synchronous).
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> Result<T, HostError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| HostError::Input(format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// Runs the service until SIGINT or SIGTERM, then finishes the requests it accepted and the
/// writes it queued.
pub async fn serve(options: ServeOptions) -> Result<(), HostError> {
    let clock = clock::Clock::parse(&options.clock).map_err(HostError::Input)?;
    let app =
        Arc::new(engine::App::start(&options.workspace, options.database.as_deref(), clock).await?);
    let workers = automation::start(app.clone()).await?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| HostError::Input(format!("cannot listen on {}: {e}", options.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| HostError::Input(format!("no local address: {e}")))?;
    println!("listening on http://{addr}");
    http::log_event(
        "info",
        &format!(
            "listening on http://{addr} with the {} store",
            app.store.backend()
        ),
    );
    let router = http::router(app.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| HostError::Input(format!("the server stopped: {e}")))?;
    workers.stop().await;
    app.store.close().await;
    http::log_event(
        "info",
        "stopped: every accepted request answered, every write committed",
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    http::log_event("info", "shutting down: finishing accepted requests");
}

/// `baton serve token create`: stores a new token's hash and returns the token (shown once).
pub async fn create_token(
    workspace: &std::path::Path,
    database: Option<&str>,
    scope: auth::Scope,
    origins: &[String],
    label: &str,
) -> Result<String, HostError> {
    if scope == auth::Scope::Site && origins.is_empty() {
        return Err(HostError::Input(
            "a site key needs --origin: the site origins (https://www.example.com) it may be used from".into(),
        ));
    }
    for o in origins {
        if !(o.starts_with("https://") || o.starts_with("http://"))
            || o.trim_end_matches('/').matches('/').count() != 2
        {
            return Err(HostError::Input(format!(
                "--origin {o:?}: an origin is a scheme and host (and port), e.g. https://www.example.com"
            )));
        }
    }
    let store = store::Store::open(workspace, database)
        .await
        .map_err(store_error)?;
    let now = clock::system_now().to_string();
    let (token, record) = auth::new_token(scope, origins, label, &now).map_err(HostError::Input)?;
    store.add_token(record).await.map_err(store_error)?;
    store.close().await;
    Ok(token)
}

/// A store error as the CLI reports it.
pub fn store_error(e: store::StoreError) -> HostError {
    HostError::Input(e.to_string())
}
