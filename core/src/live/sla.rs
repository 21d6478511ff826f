//! A lead's SLA clocks at an instant, in business hours on the workspace calendar, computed for
//! that lead alone (not by running the whole handoff analysis).

use serde::Serialize;

use super::lead::bad_input;
use crate::calendar::BusinessClock;
use crate::stats::round6;
use crate::{Error, Instant, Workspace};

/// One SLA clock of a lead.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SlaClock {
    /// The SLA's name in `[sla]`.
    pub sla: String,
    /// The stage whose entry starts it.
    pub from_stage: String,
    /// Its limit.
    pub within_business_hours: f64,
    /// When the clock started.
    pub started: Option<Instant>,
    /// When it stopped, if it did by `now`.
    pub stopped: Option<Instant>,
    /// Business hours elapsed (to the stop, or to `now`).
    pub business_hours: Option<f64>,
    /// Business hours left while it runs (negative: overdue).
    pub remaining_business_hours: Option<f64>,
    /// The instant its limit is reached in business hours (when it started; `None` when that is over a month after `now`).
    pub deadline: Option<Instant>,
    /// `met`, `breached`, `pending` or `not_started`.
    pub status: &'static str,
    /// Whether `now` is within business hours.
    pub open_now: bool,
}

/// Every SLA clock of the lead `lead_id` at `now`, in `[sla]` order.
pub fn sla_clocks(ws: &Workspace, lead_id: &str, now: Instant) -> Result<Vec<SlaClock>, Error> {
    let lead = ws
        .lead_index(lead_id)
        .ok_or_else(|| bad_input("slaClock", format!("no lead {lead_id:?} in the workspace")))?;
    let first = ws.stages_of(lead, now).first().map_or(now, |e| e.ts);
    // The table runs a month past `now`, so a running clock's deadline can be named.
    let horizon = Instant(now.0.saturating_add(31 * 86_400_000_000));
    let clock = BusinessClock::new(&ws.framework, first.min(now), horizon);
    let open_now = clock.is_open(now);
    let clocks = crate::handoff::lead_clocks(ws, lead, now, &clock);
    Ok(ws
        .framework
        .config
        .sla
        .iter()
        .zip(clocks)
        .map(|((name, sla), c)| SlaClock {
            sla: name.clone(),
            from_stage: sla.from_stage.clone(),
            within_business_hours: sla.within_business_hours,
            started: c.map(|c| c.started),
            stopped: c.and_then(|c| c.stopped),
            business_hours: c.map(|c| round6(c.business_hours)),
            remaining_business_hours: c
                .filter(|c| c.stopped.is_none())
                .map(|c| round6(sla.within_business_hours - c.business_hours)),
            deadline: c
                .and_then(|c| clock.add_business_hours(c.started, sla.within_business_hours)),
            status: c.map_or("not_started", |c| c.outcome.as_str()),
            open_now,
        })
        .collect())
}
