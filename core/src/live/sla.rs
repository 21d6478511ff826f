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

/// One running SLA clock's instants, as the live service schedules them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClockInstants {
    /// The SLA's name in `[sla]`.
    pub sla: String,
    /// When the clock started.
    pub started: Instant,
    /// When it stopped, if it did by `now`.
    pub stopped: Option<Instant>,
    /// When `due_soon_share` of its business hours has passed.
    pub due_soon: Option<Instant>,
    /// When its limit is reached.
    pub deadline: Option<Instant>,
}

/// A lead's handoff at `now` as the live service schedules it: every started SLA clock's
/// instants, the escalation instant and the first touch that stops escalation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HandoffInstants {
    /// The earliest start of its clocks (the handoff).
    pub started: Option<Instant>,
    /// Every clock that started, in `[sla]` order.
    pub clocks: Vec<ClockInstants>,
    /// `escalate_after` business hours after the handoff.
    pub escalate_at: Option<Instant>,
    /// The first stop of any of its clocks: the lead is touched, escalation is off.
    pub touched: Option<Instant>,
}

/// The instants of the lead `lead_id`'s handoff at `now`: for each started SLA clock, when
/// `due_soon_share` of it has passed and its deadline (business-hours instants on the workspace
/// calendar, holidays and DST included), and `escalate_after` business hours after the earliest
/// start. An instant more than a month past `now` is `None`.
pub fn handoff_instants(
    ws: &Workspace,
    lead_id: &str,
    now: Instant,
    due_soon_share: f64,
    escalate_after: Option<f64>,
) -> Result<HandoffInstants, Error> {
    let lead = ws
        .lead_index(lead_id)
        .ok_or_else(|| bad_input("slaClock", format!("no lead {lead_id:?} in the workspace")))?;
    let first = ws.stages_of(lead, now).first().map_or(now, |e| e.ts);
    let horizon = Instant(now.0.saturating_add(31 * 86_400_000_000));
    let clock = BusinessClock::new(&ws.framework, first.min(now), horizon);
    let clocks: Vec<ClockInstants> = crate::handoff::lead_clocks(ws, lead, now, &clock)
        .into_iter()
        .zip(ws.framework.config.sla.iter())
        .filter_map(|(c, (name, sla))| {
            let c = c?;
            let within = sla.within_business_hours;
            Some(ClockInstants {
                sla: name.clone(),
                started: c.started,
                stopped: c.stopped,
                due_soon: clock.add_business_hours(c.started, within * due_soon_share),
                deadline: clock.add_business_hours(c.started, within),
            })
        })
        .collect();
    let started = clocks.iter().map(|c| c.started).min();
    Ok(HandoffInstants {
        started,
        escalate_at: started
            .zip(escalate_after)
            .and_then(|(s, h)| clock.add_business_hours(s, h)),
        touched: clocks.iter().filter_map(|c| c.stopped).min(),
        clocks,
    })
}
