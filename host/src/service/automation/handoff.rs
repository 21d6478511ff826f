//! One pass of the automation: the leads whose rows changed since the last pass are looked at
//! (a new handoff is routed and scheduled, a touch cancels what is pending, a score over the
//! threshold becomes the handoff stage entry), then the timers now due fire.

use std::sync::Arc;

use baton_core::config::NoticeKind;
use baton_core::live::{HandoffInstants, LeadCard, handoff_instants};
use baton_core::qualification::{RouteChoice, RoutingModel};
use baton_core::{FileKind, Instant, Workspace};
use serde::{Deserialize, Serialize};

use super::outbox::{self, Notice};
use super::{Since, rfc3339};
use crate::service::engine::{AnswerError, App, minute_of};
use crate::service::http::log_event;
use crate::service::store::{Put, StoreError, Task};

/// Timers fired (and leads looked at) per pass at most; the rest wait for the next pass.
const PER_PASS: i64 = 200;

/// A lead's handoff as the automation keeps it (task `handoff`, keyed by lead).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handoff {
    /// The lead.
    pub lead_id: String,
    /// When its first SLA clock started (the handoff stage entry).
    #[serde(with = "rfc3339")]
    pub started: Instant,
    /// `stage` (an entry into the SLA's stage arrived) or `score` (Baton wrote that entry).
    pub trigger: String,
    /// Who it is assigned to now.
    pub owner: Option<String>,
    /// The `[[routing.rules]]` that routed it (`None`: the default, a plugin, or nobody).
    pub rule: Option<String>,
    /// The rotation it was routed in, when its rule is a pool.
    pub pool: Vec<String>,
    /// Its owner's place in the pool.
    pub pool_index: Option<usize>,
    /// Who had it before an escalation.
    pub previous_owner: Option<String>,
    /// Each running clock's instants, as scheduled.
    pub clocks: Vec<ClockPlan>,
    /// When it escalates unless touched.
    #[serde(with = "rfc3339::option")]
    pub escalate_at: Option<Instant>,
    /// When every clock had stopped.
    #[serde(with = "rfc3339::option")]
    pub closed: Option<Instant>,
}

/// One clock's scheduled instants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockPlan {
    /// The SLA.
    pub sla: String,
    /// Its due-soon instant.
    #[serde(with = "rfc3339::option")]
    pub due_soon: Option<Instant>,
    /// Its deadline.
    #[serde(with = "rfc3339::option")]
    pub deadline: Option<Instant>,
}

/// A scheduled notice (task `timer`): the handoff it belongs to, what and for which SLA.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Timer {
    lead_id: String,
    #[serde(with = "rfc3339")]
    started: Instant,
    kind: NoticeKind,
    sla: String,
}

/// Runs one pass at the clock's now.
pub async fn pass(app: &Arc<App>, since: Since) -> Result<(), StoreError> {
    // Two marks: the last row written and the last row replaced that a pass looked at.
    let seq = app
        .store
        .meta("automation_seq")
        .await?
        .and_then(|v| {
            let (a, b) = v.split_once(',').unwrap_or((v.as_str(), "0"));
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or((0, 0));
    let (leads, top) = app.store.leads_since(seq).await?;
    // The clock is read after the rows are: a row stamped at the instant it is written (an
    // acceptance) is then never later than the `now` it is judged at.
    let now = app.clock.now();
    for lead in &leads {
        evaluate(app, lead, now, since).await?;
    }
    if top != seq {
        app.store
            .set_meta("automation_seq", &format!("{},{}", top.0, top.1))
            .await?;
    }
    for t in app.store.due_tasks("timer", now.0, PER_PASS).await? {
        fire(app, t, now).await?;
    }
    for t in app.store.due_tasks("writeback", now.0, PER_PASS).await? {
        evaluate(app, &t.key, now, since).await?;
    }
    for mut t in app.store.due_tasks("recheck", now.0, PER_PASS).await? {
        let lead = t.key.clone();
        t.state = "done".into();
        app.store.put_tasks(vec![(t, Put::Replace)]).await?;
        evaluate(app, &lead, now, since).await?;
    }
    Ok(())
}

/// A lead to look at again at `at`: its latest row is dated after the instant it was looked
/// at (a CRM's clock ahead of the service's), so a stop it records has not happened yet.
fn recheck(lead: &str, at: Instant) -> (Task, Put) {
    task("recheck", lead, "pending", at, &serde_json::json!({}))
}

/// A stored task's body as `T`.
fn body<T: for<'de> Deserialize<'de>>(t: &Task) -> Option<T> {
    serde_json::from_str(&t.body).ok()
}

fn task(kind: &str, key: &str, state: &str, due: Instant, body: &impl Serialize) -> (Task, Put) {
    (
        Task {
            kind: kind.into(),
            key: key.into(),
            state: state.into(),
            due: due.0,
            body: serde_json::to_string(body).unwrap_or_default(),
        },
        Put::Replace,
    )
}

/// The lead's handoff, if the automation has one.
pub async fn handoff_of(app: &App, lead: &str) -> Result<Option<Handoff>, StoreError> {
    Ok(app
        .store
        .task("handoff", lead)
        .await?
        .and_then(|t| body(&t)))
}

/// The timers of one handoff.
pub async fn timers_of(app: &App, lead: &str, started: Instant) -> Result<Vec<Task>, StoreError> {
    app.store
        .tasks_prefixed("timer", &format!("{lead}|{}|", started.0))
        .await
}

/// A lead whose rows changed: what it is now.
async fn evaluate(
    app: &Arc<App>,
    lead: &str,
    now: Instant,
    since: Since,
) -> Result<(), StoreError> {
    let ws = match app.lead_ws(lead).await {
        Ok(ws) => Arc::new(ws),
        Err(AnswerError::Store(e)) => return Err(e),
        Err(AnswerError::NoLead(_)) => return gone(app, lead, now).await,
        // A lead whose row is rejected is not a handoff (its rows are reported by the intake).
        Err(_) => return Ok(()),
    };
    let card = match app.card_on(ws.clone(), lead, now, minute_of(now)).await {
        Ok(c) => c,
        Err(AnswerError::Store(e)) => return Err(e),
        Err(e) => {
            log_event("warn", &format!("automation: lead {lead:?}: {e}"));
            return Ok(());
        }
    };
    let cfg = &app.framework.config.automation;
    let Ok(inst) = handoff_instants(
        &ws,
        lead,
        now,
        cfg.due_soon_share,
        cfg.escalate_after_business_hours,
    ) else {
        return Ok(());
    };
    let existing = handoff_of(app, lead).await?;
    let owner = match (inst.started, existing) {
        (Some(started), Some(h)) if h.started == started => update(app, h, &inst, now).await?,
        (Some(started), _) if started >= since.at => {
            open(app, &ws, &card, &inst, started, now).await?
        }
        (_, existing) => {
            if inst.started.is_none() {
                promote(app, &ws, &card, now).await;
            }
            existing.and_then(|h| h.owner)
        }
    };
    let mut tasks = outbox::writeback(app, lead, &card, owner.as_deref(), now).await?;
    if let Some(latest) = ws.latest_timestamp().filter(|&t| t > now) {
        tasks.push(recheck(lead, latest));
    }
    app.store.put_tasks(tasks).await?;
    Ok(())
}

/// An erased (or merged-away) lead: its handoff closes and what is pending is cancelled.
async fn gone(app: &App, lead: &str, now: Instant) -> Result<(), StoreError> {
    let Some(mut h) = handoff_of(app, lead).await? else {
        return Ok(());
    };
    let mut tasks = cancel_all(app, &h, |_| true).await?;
    h.closed.get_or_insert(now);
    tasks.push(task("handoff", lead, "closed", Instant(0), &h));
    app.store.put_tasks(tasks).await.map(drop)
}

/// Cancels the handoff's pending timers that `which` picks.
async fn cancel_all(
    app: &App,
    h: &Handoff,
    which: impl Fn(&Timer) -> bool,
) -> Result<Vec<(Task, Put)>, StoreError> {
    Ok(timers_of(app, &h.lead_id, h.started)
        .await?
        .into_iter()
        .filter(|t| t.state == "pending")
        .filter_map(|t| {
            let timer: Timer = body(&t)?;
            which(&timer).then(|| {
                let mut t = t;
                t.state = "cancelled".into();
                (t, Put::Replace)
            })
        })
        .collect())
}

/// A handoff already routed: a stopped clock cancels its timers, a touch the escalation; when
/// every clock stopped, the handoff closes.
async fn update(
    app: &App,
    mut h: Handoff,
    inst: &HandoffInstants,
    now: Instant,
) -> Result<Option<String>, StoreError> {
    let stopped = |sla: &str| {
        inst.clocks
            .iter()
            .any(|c| c.sla == sla && c.stopped.is_some())
    };
    let mut tasks = cancel_all(app, &h, |t| match t.kind {
        NoticeKind::Escalated => inst.touched.is_some(),
        _ => stopped(&t.sla),
    })
    .await?;
    if h.closed.is_none() && inst.clocks.iter().all(|c| c.stopped.is_some()) {
        h.closed = inst.touched.map(|_| {
            inst.clocks
                .iter()
                .filter_map(|c| c.stopped)
                .max()
                .unwrap_or(now)
        });
        tasks.push(task("handoff", &h.lead_id, "closed", Instant(0), &h));
    }
    app.store.put_tasks(tasks).await?;
    Ok(h.owner)
}

/// A new handoff: routed (a pool's turn kept in the store), its timers scheduled and the
/// handoff notice queued, in one transaction.
async fn open(
    app: &App,
    ws: &Workspace,
    card: &LeadCard,
    inst: &HandoffInstants,
    started: Instant,
    now: Instant,
) -> Result<Option<String>, StoreError> {
    let lead = card.lead_id.as_str();
    let mut tasks = Vec::new();
    let mut h = Handoff {
        lead_id: lead.to_string(),
        started,
        trigger: trigger_of(ws, lead, started),
        owner: None,
        rule: None,
        pool: Vec::new(),
        pool_index: None,
        previous_owner: None,
        clocks: inst
            .clocks
            .iter()
            .map(|c| ClockPlan {
                sla: c.sla.clone(),
                due_soon: c.due_soon,
                deadline: c.deadline,
            })
            .collect(),
        escalate_at: inst.escalate_at,
        closed: None,
    };
    route(app, ws, card, now, &mut h, &mut tasks).await?;
    let key = |kind: NoticeKind, sla: &str| format!("{lead}|{}|{}|{sla}", started.0, kind.as_str());
    for c in inst.clocks.iter().filter(|c| c.stopped.is_none()) {
        for (kind, at) in [
            (NoticeKind::DueSoon, c.due_soon),
            (NoticeKind::Breached, c.deadline),
        ] {
            let Some(at) = at else { continue };
            let timer = Timer {
                lead_id: lead.into(),
                started,
                kind,
                sla: c.sla.clone(),
            };
            tasks.push(task("timer", &key(kind, &c.sla), "pending", at, &timer));
        }
    }
    if let (Some(at), None) = (inst.escalate_at, inst.touched) {
        let timer = Timer {
            lead_id: lead.into(),
            started,
            kind: NoticeKind::Escalated,
            sla: String::new(),
        };
        tasks.push(task(
            "timer",
            &key(NoticeKind::Escalated, ""),
            "pending",
            at,
            &timer,
        ));
    }
    let notice = Notice::new(NoticeKind::Handoff, card, &h, started, None);
    tasks.extend(outbox::notices(app, &notice, now));
    tasks.push(task("handoff", lead, "open", Instant(0), &h));
    app.store.put_tasks(tasks).await?;
    app.metrics.automation("handoff");
    log_event(
        "info",
        &format!(
            "handoff routed to {} by {}",
            h.owner.as_deref().unwrap_or("nobody"),
            h.rule.as_deref().unwrap_or("the default")
        ),
    );
    Ok(h.owner)
}

/// `score` when the entry that started the clock is Baton's own, else `stage`.
fn trigger_of(ws: &Workspace, lead: &str, started: Instant) -> String {
    let by_baton = ws.lead_index(lead).is_some_and(|ix| {
        ws.stages_of(ix, started)
            .iter()
            .any(|e| e.ts == started && e.actor.is_some_and(|a| ws.text(a) == "baton"))
    });
    if by_baton { "score" } else { "stage" }.into()
}

/// The owner: a plugin's `route_to`, else the first matching rule (a pool's next turn, kept
/// in the store), else `[routing] default`.
async fn route(
    app: &App,
    ws: &Workspace,
    card: &LeadCard,
    now: Instant,
    h: &mut Handoff,
    tasks: &mut Vec<(Task, Put)>,
) -> Result<(), StoreError> {
    if let Some(r) = card.plugins.iter().find_map(|p| p.route_to.clone()) {
        h.owner = Some(r);
        return Ok(());
    }
    let Ok(routing) = RoutingModel::compile(ws) else {
        return Ok(());
    };
    let Some(ix) = ws.lead_index(&h.lead_id) else {
        return Ok(());
    };
    match routing.choice(ws, ix, now) {
        RouteChoice::Owner { rule, owner } => {
            h.owner = Some(owner.to_string());
            h.rule = rule.map(str::to_string);
        }
        RouteChoice::Pool {
            rule, owners, seed, ..
        } if !owners.is_empty() => {
            let turn: u64 = app
                .store
                .task("turn", rule)
                .await?
                .and_then(|t| t.body.parse().ok())
                .unwrap_or(0);
            let k = ((seed + turn) % owners.len() as u64) as usize;
            h.owner = Some(owners[k].clone());
            h.rule = Some(rule.to_string());
            h.pool = owners.to_vec();
            h.pool_index = Some(k);
            tasks.push((
                Task {
                    kind: "turn".into(),
                    key: rule.into(),
                    state: "state".into(),
                    due: 0,
                    body: (turn + 1).to_string(),
                },
                Put::Replace,
            ));
        }
        _ => {}
    }
    Ok(())
}

/// A lead over the threshold with qualification passed, in a marketing stage before the
/// handoff stage: Baton enters it into the handoff stage (through the intake, as any row), and
/// the next pass routes it.
async fn promote(app: &App, ws: &Workspace, card: &LeadCard, now: Instant) {
    let lc = &app.framework.config.lifecycle;
    let Some(handoff_stage) = lc.marketing.last() else {
        return;
    };
    if !card.score.mql || card.qualified == Some(false) {
        return;
    }
    let Some(ix) = ws.lead_index(&card.lead_id) else {
        return;
    };
    let current = ws
        .stages_of(ix, now)
        .last()
        .map(|e| ws.stage_names[e.stage as usize].clone());
    let before = current
        .as_ref()
        .is_none_or(|s| lc.marketing.contains(s) && s != handoff_stage);
    if !before {
        return;
    }
    let threshold = app.framework.config.scoring.mql_threshold;
    let reason = match card.qualified {
        Some(true) => format!("score {} ≥ {threshold}, qualified", card.score.score),
        _ => format!("score {} ≥ {threshold}", card.score.score),
    };
    let row = serde_json::json!({
        "lead_id": card.lead_id, "ts": now.to_string(), "stage": handoff_stage,
        "reason": reason, "actor": "baton",
    });
    let taken = match crate::service::intake::parse(FileKind::Stages, &row.to_string()) {
        Ok(rows) => crate::service::intake::take(app, FileKind::Stages, rows, None).await,
        Err(e) => Err(e),
    };
    if let Err(e) = taken {
        log_event(
            "warn",
            &format!("automation: cannot enter the handoff stage: {e}"),
        );
    }
}

/// A due timer: its notice is queued unless the clock stopped (or the lead was touched) by its
/// instant; an escalation reassigns to the next owner of the rotation.
async fn fire(app: &Arc<App>, mut t: Task, now: Instant) -> Result<(), StoreError> {
    let at = Instant(t.due);
    let timer: Option<Timer> = body(&t);
    let handoff = match &timer {
        Some(timer) => handoff_of(app, &timer.lead_id).await?,
        None => None,
    };
    let (Some(timer), Some(mut h)) = (timer, handoff) else {
        t.state = "cancelled".into();
        return app.store.put_tasks(vec![(t, Put::Replace)]).await.map(drop);
    };
    let ws = match app.lead_ws(&timer.lead_id).await {
        Ok(ws) => Arc::new(ws),
        Err(AnswerError::Store(e)) => return Err(e),
        Err(_) => {
            t.state = "cancelled".into();
            return app.store.put_tasks(vec![(t, Put::Replace)]).await.map(drop);
        }
    };
    let cfg = &app.framework.config.automation;
    let inst = handoff_instants(
        &ws,
        &timer.lead_id,
        now,
        cfg.due_soon_share,
        cfg.escalate_after_business_hours,
    )
    .ok();
    let stopped = inst.as_ref().is_none_or(|inst| match timer.kind {
        NoticeKind::Escalated => inst.touched.is_some_and(|x| x <= at),
        _ => inst
            .clocks
            .iter()
            .find(|c| c.sla == timer.sla)
            .is_none_or(|c| c.stopped.is_some_and(|s| s <= at)),
    });
    if h.started != timer.started || stopped {
        t.state = "cancelled".into();
        return app.store.put_tasks(vec![(t, Put::Replace)]).await.map(drop);
    }
    let card = match app.card_on(ws, &timer.lead_id, now, minute_of(now)).await {
        Ok(c) => c,
        Err(AnswerError::Store(e)) => return Err(e),
        Err(_) => return Ok(()),
    };
    let mut tasks = Vec::new();
    if timer.kind == NoticeKind::Escalated {
        escalate(&mut h);
        tasks.push(task("handoff", &h.lead_id, "open", Instant(0), &h));
        tasks.extend(outbox::writeback(app, &h.lead_id, &card, h.owner.as_deref(), now).await?);
    }
    let sla = (!timer.sla.is_empty()).then_some(timer.sla.as_str());
    let notice = Notice::new(timer.kind, &card, &h, at, sla);
    tasks.extend(outbox::notices(app, &notice, now));
    t.state = "done".into();
    tasks.push((t, Put::Replace));
    app.store.put_tasks(tasks).await?;
    app.metrics.automation(timer.kind.as_str());
    Ok(())
}

/// Reassigns to the next owner of the rotation (a fixed owner keeps the lead: the notice says
/// it is escalated, to whoever watches the channel).
fn escalate(h: &mut Handoff) {
    if let Some(k) = h.pool_index
        && h.pool.len() > 1
    {
        let next = (k + 1) % h.pool.len();
        h.previous_owner = h.owner.take();
        h.owner = Some(h.pool[next].clone());
        h.pool_index = Some(next);
    } else {
        h.previous_owner = h.owner.clone();
    }
}
