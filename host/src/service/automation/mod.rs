//! Handoff automation: when a lead becomes a handoff (an entry into an SLA's stage arrives, or
//! its live score crosses `mql_threshold` with qualification passed), it is routed, its SLA
//! clocks' "due soon", "breached" and escalation instants are scheduled, notices go out through
//! a durable outbox, and the lead's score goes back to its CRM.
//!
//! Everything it decides is a task in the store (`handoff`, `timer`, `outbox`, `turn`,
//! `writeback`), written in one transaction with what caused it, so a restart recovers every
//! pending timer and message and nothing is sent twice for one event. The instants come from
//! core (`live::handoff_instants`, the workspace calendar); the clock is the service's.
//!
//! - [`handoff`]: which leads changed, what each now is, what fires when.
//! - [`outbox`]: the messages (Slack, signed JSON, CRM write-back) and their delivery.

pub mod handoff;
pub mod outbox;

use std::sync::Arc;

use baton_core::Instant;
use serde::{Deserialize, Deserializer, Serializer};

use super::engine::App;
use super::http::log_event;
use crate::error::HostError;

/// The running automation: the scheduler and the outbox's delivery.
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    /// Stops both after the pass they are in.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// What the automation takes as history: rows stored before it first ran, and handoffs that
/// started before that instant, are not acted on (a seeded store's past MQLs are not routed).
#[derive(Debug, Clone, Copy)]
pub struct Since {
    /// The instant it first ran.
    pub at: Instant,
}

/// Starts the automation on `app`'s store (recording, the first time, where history ends).
pub async fn start(app: Arc<App>) -> Result<Workers, HostError> {
    let store_err = super::store_error;
    let since = match app
        .store
        .meta("automation_since")
        .await
        .map_err(store_err)?
    {
        Some(v) => Instant(v.parse().unwrap_or(0)),
        None => {
            let (_, top) = app
                .store
                .leads_since((i64::MAX, i64::MAX))
                .await
                .map_err(store_err)?;
            let now = app.clock.now();
            app.store
                .set_meta("automation_seq", &format!("{},{}", top.0, top.1))
                .await
                .map_err(store_err)?;
            app.store
                .set_meta("automation_since", &now.0.to_string())
                .await
                .map_err(store_err)?;
            now
        }
    };
    let since = Since { at: since };
    let (stop, rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(schedule_loop(app.clone(), since, rx.clone()));
    let delivery = tokio::spawn(outbox::delivery_loop(app, rx));
    Ok(Workers {
        stop,
        handles: vec![scheduler, delivery],
    })
}

async fn schedule_loop(app: Arc<App>, since: Since, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = handoff::pass(&app, since).await {
            app.metrics.store_error(e.kind());
            log_event(
                "error",
                &format!("automation: {e} (retried on the next pass)"),
            );
        }
        tokio::select! {
            () = app.written.notified() => {}
            () = tokio::time::sleep(app.clock.tick()) => {}
            _ = stop.changed() => break,
        }
    }
}

/// Serde for instants kept in tasks: RFC 3339 text.
pub mod rfc3339 {
    use super::*;

    /// Writes an instant.
    pub fn serialize<S: Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_string())
    }

    /// Reads an instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// An RFC 3339 instant.
    pub fn parse(text: &str) -> Result<Instant, String> {
        text.parse::<jiff::Timestamp>()
            .map(|t| Instant(t.as_microsecond()))
            .map_err(|e| format!("{text:?} is not an RFC 3339 instant: {e}"))
    }

    /// Serde for an optional instant.
    pub mod option {
        use super::*;

        /// Writes an optional instant.
        pub fn serialize<S: Serializer>(t: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&t.to_string()),
                None => s.serialize_none(),
            }
        }

        /// Reads an optional instant.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Instant>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|t| parse(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}
