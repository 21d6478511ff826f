//! The durable outbox: every notice and CRM write-back is a task (`outbox`, keyed by its
//! idempotency key) written in the transaction that decided it, then delivered — retried with
//! exponential backoff and jitter through receiver outages and restarts, given up after
//! `give_up_after_hours` (counted in `/metrics` and listed by `GET /v1/automation`).
//!
//! Secrets are read from the environment at delivery, never stored: the outbox keeps the
//! target's name, the body and the attempts.

use std::sync::Arc;
use std::time::Duration;

use baton_core::Instant;
use baton_core::config::{NoticeKind, NotifyFormat};
use baton_core::live::LeadCard;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::handoff::Handoff;
use super::rfc3339;
use crate::service::connectors::signature::baton_signature;
use crate::service::engine::App;
use crate::service::http::log_event;
use crate::service::store::{Put, StoreError, Task};

/// Messages delivered per pass at most.
const PER_PASS: i64 = 50;
/// The first retry's delay; each next one doubles, up to [`MAX_BACKOFF_S`].
const FIRST_BACKOFF_S: f64 = 10.0;
/// The longest delay between two attempts.
const MAX_BACKOFF_S: f64 = 600.0;
/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What a notice says.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `handoff`, `due_soon`, `breached`, `escalated`.
    pub kind: &'static str,
    /// The lead.
    pub lead_id: String,
    /// The instant it is about (the handoff's start, the due-soon instant, the deadline, the
    /// escalation instant).
    #[serde(with = "rfc3339")]
    pub at: Instant,
    /// The SLA (due soon, breached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// When the handoff started.
    #[serde(with = "rfc3339")]
    pub handoff_started: Instant,
    /// Its owner now.
    pub owner: Option<String>,
    /// Its owner before an escalation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_owner: Option<String>,
    /// The routing rule.
    pub rule: Option<String>,
    /// The score (after plugin adjustments), grade and priority.
    pub score: f64,
    /// Grade A–D.
    pub grade: Option<String>,
    /// Priority (`A1`…).
    pub priority: Option<String>,
    /// Why, as `scored_leads.csv` says it.
    pub top_reasons: String,
    /// The company, if known.
    pub company: Option<String>,
}

impl Notice {
    /// The notice of `kind` about a lead's handoff at `at`.
    pub fn new(
        kind: NoticeKind,
        card: &LeadCard,
        h: &Handoff,
        at: Instant,
        sla: Option<&str>,
    ) -> Notice {
        Notice {
            kind: kind.as_str(),
            lead_id: card.lead_id.clone(),
            at,
            sla: sla.map(str::to_string),
            handoff_started: h.started,
            owner: h.owner.clone(),
            previous_owner: h.previous_owner.clone(),
            rule: h.rule.clone(),
            score: card.score.score,
            grade: card.score.grade.map(String::from),
            priority: card.score.priority.clone(),
            top_reasons: card.top_reasons.clone(),
            company: card
                .attributes
                .get("company")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// The key that makes it once only: what, which lead, which handoff, which SLA.
    fn key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.kind,
            self.lead_id,
            self.handoff_started.0,
            self.sla.as_deref().unwrap_or("-")
        )
    }

    fn text(&self) -> String {
        let who = self.owner.as_deref().unwrap_or("nobody");
        let lead = match &self.company {
            Some(c) => format!("{} ({c})", self.lead_id),
            None => self.lead_id.clone(),
        };
        let grade = self.priority.as_deref().unwrap_or("-");
        match self.kind {
            "handoff" => format!(
                "New handoff: {lead}, score {} ({grade}), routed to {who}. Why: {}",
                self.score, self.top_reasons
            ),
            "due_soon" => format!(
                "Due soon: {lead} ({who}) — SLA {} runs out soon; act before {}",
                self.sla.as_deref().unwrap_or(""),
                self.at
            ),
            "breached" => format!(
                "SLA breached: {lead} ({who}) — {} passed its deadline at {}",
                self.sla.as_deref().unwrap_or(""),
                self.at
            ),
            _ => format!(
                "Escalated: {lead} untouched — reassigned from {} to {who}",
                self.previous_owner.as_deref().unwrap_or("nobody")
            ),
        }
    }
}

/// Where a message goes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Target {
    /// An `[[automation.notify]]` target, by name.
    Notify {
        /// Its name.
        name: String,
    },
    /// HubSpot's `PATCH /crm/v3/objects/contacts/{id}`.
    HubSpot {
        /// The contact id.
        id: String,
    },
    /// Salesforce's `PATCH /services/data/vXX.X/sobjects/Lead/{id}`.
    Salesforce {
        /// The Lead id.
        id: String,
    },
}

/// An outbox message as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Where it goes.
    pub target: Target,
    /// The JSON body.
    pub body: String,
    /// When it was queued.
    #[serde(with = "rfc3339")]
    pub created: Instant,
    /// Attempts so far.
    pub attempts: u32,
    /// The last attempt's failure.
    pub last_error: Option<String>,
    /// When it was delivered.
    #[serde(with = "rfc3339::option")]
    pub delivered: Option<Instant>,
}

fn queued(key: String, target: Target, body: String, now: Instant) -> (Task, Put) {
    let m = Message {
        target,
        body,
        created: now,
        attempts: 0,
        last_error: None,
        delivered: None,
    };
    (
        Task {
            kind: "outbox".into(),
            key,
            state: "pending".into(),
            due: now.0,
            body: serde_json::to_string(&m).unwrap_or_default(),
        },
        Put::IfAbsent,
    )
}

/// The notice as each `[[automation.notify]]` target that takes its kind gets it.
pub fn notices(app: &App, notice: &Notice, now: Instant) -> Vec<(Task, Put)> {
    let key = notice.key();
    app.framework
        .config
        .automation
        .notify
        .iter()
        .filter(|n| n.events.iter().any(|k| k.as_str() == notice.kind))
        .map(|n| {
            let id = format!("{key}:{}", n.name);
            let body = match n.format {
                NotifyFormat::Slack => json!({
                    "text": notice.text(),
                    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": notice.text()}}],
                }),
                NotifyFormat::Json => json!({
                    "id": id,
                    "type": format!("handoff.{}", notice.kind),
                    "created": now.to_string(),
                    "data": notice,
                }),
            };
            queued(
                id,
                Target::Notify {
                    name: n.name.clone(),
                },
                body.to_string(),
                now,
            )
        })
        .collect()
}

/// The properties Baton writes back, by CRM field name.
fn properties(crm: &str, card: &LeadCard, owner: Option<&str>) -> serde_json::Map<String, Value> {
    let names: [&str; 5] = if crm == "salesforce" {
        [
            "Baton_Score__c",
            "Baton_Grade__c",
            "Baton_Priority__c",
            "Baton_Owner__c",
            "Baton_Reasons__c",
        ]
    } else {
        [
            "baton_score",
            "baton_grade",
            "baton_priority",
            "baton_owner",
            "baton_reasons",
        ]
    };
    let s = &card.score;
    let values = [
        json!(s.score),
        json!(s.grade.map(String::from).unwrap_or_default()),
        json!(s.priority.clone().unwrap_or_default()),
        json!(owner.unwrap_or_default()),
        json!(card.top_reasons),
    ];
    names.iter().map(|n| n.to_string()).zip(values).collect()
}

/// What the last write-back sent (task `writeback`, keyed by lead).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Written {
    sent: serde_json::Map<String, Value>,
    #[serde(with = "rfc3339::option")]
    at: Option<Instant>,
    count: u64,
}

/// The write-back of a lead that came from a CRM: only the properties that changed since the
/// last one, at most once per `writeback_interval_minutes` (a change inside the interval is
/// sent when it ends).
pub async fn writeback(
    app: &App,
    lead: &str,
    card: &LeadCard,
    owner: Option<&str>,
    now: Instant,
) -> Result<Vec<(Task, Put)>, StoreError> {
    let Some(link) = app.store.task("link", lead).await? else {
        return Ok(Vec::new());
    };
    let link: Value = serde_json::from_str(&link.body).unwrap_or_default();
    let (crm, id) = (
        link["crm"].as_str().unwrap_or_default(),
        link["id"].as_str().unwrap_or_default().to_string(),
    );
    let conn = &app.framework.config.connectors;
    let enabled = match crm {
        "hubspot" => conn.hubspot.as_ref().is_some_and(|h| h.token_env.is_some()),
        "salesforce" => conn
            .salesforce
            .as_ref()
            .is_some_and(|s| s.token_env.is_some()),
        _ => false,
    };
    if !enabled || id.is_empty() {
        return Ok(Vec::new());
    }
    let stored = app.store.task("writeback", lead).await?;
    let mut last: Written = stored
        .as_ref()
        .and_then(|t| serde_json::from_str(&t.body).ok())
        .unwrap_or_default();
    let props = properties(crm, card, owner);
    let changed: serde_json::Map<String, Value> = props
        .into_iter()
        .filter(|(k, v)| last.sent.get(k) != Some(v))
        .collect();
    let state = |t: &str, due: Instant, w: &Written| {
        (
            Task {
                kind: "writeback".into(),
                key: lead.into(),
                state: t.into(),
                due: due.0,
                body: serde_json::to_string(w).unwrap_or_default(),
            },
            Put::Replace,
        )
    };
    if changed.is_empty() {
        // Nothing to send: a wait for the interval's end is no longer needed.
        return Ok(match stored {
            Some(t) if t.state == "pending" => vec![state("done", Instant(0), &last)],
            _ => Vec::new(),
        });
    }
    let interval = (app.framework.config.automation.writeback_interval_minutes * 60e6) as i64;
    if let Some(at) = last.at
        && now.0 < at.0 + interval
    {
        return Ok(vec![state("pending", Instant(at.0 + interval), &last)]);
    }
    last.count += 1;
    let key = format!("writeback:{lead}:{}", last.count);
    let (target, body) = match crm {
        "salesforce" => (
            Target::Salesforce { id },
            Value::Object(changed.clone()).to_string(),
        ),
        _ => (
            Target::HubSpot { id },
            json!({ "properties": changed }).to_string(),
        ),
    };
    last.sent.extend(changed);
    last.at = Some(now);
    Ok(vec![
        queued(key, target, body, now),
        state("done", Instant(0), &last),
    ])
}

/// An HTTP request to make.
struct Request {
    method: &'static str,
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// Why a message cannot be sent at all (retrying would not help).
struct Permanent(String);

fn env(name: &str) -> Result<String, Permanent> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Permanent(format!("the environment variable {name} is not set")))
}

/// The request a message is, with its secrets read now.
fn request(app: &App, key: &str, m: &Message, now: Instant) -> Result<Request, Permanent> {
    let json_headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("Idempotency-Key".to_string(), key.to_string()),
    ];
    let conn = &app.framework.config.connectors;
    match &m.target {
        Target::Notify { name } => {
            let n = app
                .framework
                .config
                .automation
                .notify
                .iter()
                .find(|n| &n.name == name)
                .ok_or_else(|| {
                    Permanent(format!("no [[automation.notify]] named {name:?} any more"))
                })?;
            let url = match (&n.url, &n.url_env) {
                (Some(u), _) => u.clone(),
                (None, Some(e)) => env(e)?,
                _ => return Err(Permanent(format!("notify target {name:?} has no url"))),
            };
            let mut headers = json_headers;
            if let Some(e) = &n.secret_env {
                let secret = env(e)?;
                let t = now.0.div_euclid(1_000_000);
                headers.push((
                    "Baton-Signature".into(),
                    baton_signature(&secret, t, m.body.as_bytes()),
                ));
            }
            Ok(Request {
                method: "POST",
                url,
                headers,
                body: m.body.clone(),
            })
        }
        Target::HubSpot { id } => {
            let h = conn
                .hubspot
                .as_ref()
                .ok_or_else(|| Permanent("[connectors.hubspot] is gone".into()))?;
            let token = env(h.token_env.as_deref().unwrap_or_default())?;
            let mut headers = json_headers;
            headers.push(("Authorization".into(), format!("Bearer {token}")));
            Ok(Request {
                method: "PATCH",
                url: format!(
                    "{}/crm/v3/objects/contacts/{id}",
                    h.api_base.trim_end_matches('/')
                ),
                headers,
                body: m.body.clone(),
            })
        }
        Target::Salesforce { id } => {
            let s = conn
                .salesforce
                .as_ref()
                .ok_or_else(|| Permanent("[connectors.salesforce] is gone".into()))?;
            let token = env(s.token_env.as_deref().unwrap_or_default())?;
            let base = s.instance_url.as_deref().unwrap_or_default();
            let mut headers = json_headers;
            headers.push(("Authorization".into(), format!("Bearer {token}")));
            Ok(Request {
                method: "PATCH",
                url: format!(
                    "{}/services/data/{}/sobjects/Lead/{id}",
                    base.trim_end_matches('/'),
                    s.api_version
                ),
                headers,
                body: m.body.clone(),
            })
        }
    }
}

/// How one attempt ended.
enum Attempt {
    Delivered,
    Retry(String),
    Refused(String),
}

fn send(agent: &ureq::Agent, r: Request) -> Attempt {
    let mut req = match r.method {
        "PATCH" => agent.patch(&r.url),
        _ => agent.post(&r.url),
    };
    for (k, v) in &r.headers {
        req = req.header(k, v);
    }
    match req.send(r.body.as_str()) {
        Ok(resp) => {
            let status = resp.status().as_u16();
            match status {
                200..=299 => Attempt::Delivered,
                408 | 409 | 425 | 429 | 500..=599 => Attempt::Retry(format!("HTTP {status}")),
                _ => Attempt::Refused(format!("HTTP {status} (not retried)")),
            }
        }
        Err(e) => Attempt::Retry(e.to_string()),
    }
}

/// The delay before attempt `n + 1`: doubling from 10 s to at most 10 min, each with jitter
/// (between half and all of it), so receivers coming back are not hit by every sender at once.
fn backoff(attempts: u32) -> Duration {
    let full =
        (FIRST_BACKOFF_S * 2f64.powi(attempts.saturating_sub(1).min(16) as i32)).min(MAX_BACKOFF_S);
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    let jitter = 0.5 + f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX) / 2.0;
    Duration::from_secs_f64(full * jitter)
}

/// When the lead's previous write-back (`writeback:{lead}:{n-1}` for `key` =
/// `writeback:{lead}:{n}`) is due, if it is still pending. Only the previous one is looked
/// up: a write-back is sent only once the one before it is no longer pending, so when that one
/// is delivered or given up, so is every earlier one.
async fn earlier_writeback_due(app: &App, key: &str) -> Result<Option<i64>, StoreError> {
    let Some((prefix, n)) = key
        .rsplit_once(':')
        .and_then(|(p, n)| Some((p, n.parse::<u64>().ok()?)))
        .filter(|&(_, n)| n > 1)
    else {
        return Ok(None);
    };
    Ok(app
        .store
        .task("outbox", &format!("{prefix}:{}", n - 1))
        .await?
        .filter(|t| t.state == "pending")
        .map(|t| t.due))
}

/// Delivers what is due, until stopped.
pub async fn delivery_loop(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    loop {
        if let Err(e) = deliver_due(&app, &agent).await {
            app.metrics.store_error(e.kind());
            log_event("error", &format!("outbox: {e} (retried on the next pass)"));
        }
        tokio::select! {
            () = tokio::time::sleep(app.clock.tick()) => {}
            _ = stop.changed() => break,
        }
    }
}

async fn deliver_due(app: &Arc<App>, agent: &ureq::Agent) -> Result<(), StoreError> {
    let now = app.clock.now();
    // One lane a lead: its messages go in the order they are due, one at a time; the leads'
    // lanes are sent side by side, a round at a time, each round committed in one transaction.
    let mut lanes: Vec<(String, std::collections::VecDeque<Task>)> = Vec::new();
    for t in app.store.due_tasks("outbox", now.0, PER_PASS).await? {
        let lane = lane_of(&t.key).to_string();
        match lanes.iter_mut().find(|(l, _)| *l == lane) {
            Some((_, queue)) => queue.push_back(t),
            None => lanes.push((lane, [t].into())),
        }
    }
    loop {
        let round: Vec<Task> = lanes
            .iter_mut()
            .filter_map(|(_, q)| q.pop_front())
            .collect();
        if round.is_empty() {
            return Ok(());
        }
        let mut sends = Vec::new();
        for t in round {
            if let Some(send) = prepare(app, agent, t, now).await? {
                sends.push(send);
            }
        }
        let mut done = Vec::new();
        for (t, m, target, attempt) in sends {
            let attempt = match attempt {
                Ok(handle) => handle
                    .await
                    .unwrap_or_else(|e| Attempt::Retry(e.to_string())),
                Err(Permanent(why)) => Attempt::Refused(why),
            };
            done.push(settle(app, t, m, &target, attempt, now));
        }
        app.store.put_tasks(done).await?;
    }
}

/// The lead a message is about, whose messages are sent one at a time: `writeback:{lead}:{n}`,
/// `{kind}:{lead}:{started}:{sla}:{target}` (a key of another shape is its own lane).
fn lane_of(key: &str) -> &str {
    let head = match key.strip_prefix("writeback:") {
        Some(rest) => return rest.rsplit_once(':').map_or(key, |(lead, _)| lead),
        None => key.rsplitn(4, ':').nth(3),
    };
    head.and_then(|h| h.split_once(':'))
        .map_or(key, |(_, lead)| lead)
}

/// A message being sent: the task, its message, the target's name and the attempt under way
/// (or why it cannot be made).
type Sending = (
    Task,
    Message,
    String,
    Result<tokio::task::JoinHandle<Attempt>, Permanent>,
);

/// Starts sending a due message, or says why not now: unreadable (failed at once), or a
/// write-back waiting for an earlier one of its lead.
async fn prepare(
    app: &Arc<App>,
    agent: &ureq::Agent,
    mut t: Task,
    now: Instant,
) -> Result<Option<Sending>, StoreError> {
    let Ok(m) = serde_json::from_str::<Message>(&t.body) else {
        t.state = "failed".into();
        app.store.put_tasks(vec![(t, Put::Replace)]).await?;
        return Ok(None);
    };
    let target = match &m.target {
        Target::Notify { name } => name.clone(),
        Target::HubSpot { .. } => "hubspot".into(),
        Target::Salesforce { .. } => "salesforce".into(),
    };
    if !matches!(m.target, Target::Notify { .. })
        && let Some(due) = earlier_writeback_due(app, &t.key).await?
    {
        // A lead's write-backs reach the CRM in the order they were decided: after an
        // outage, an older one's retry must not land after (and over) a newer one.
        t.due = due.max(now.0);
        app.store.put_tasks(vec![(t, Put::Replace)]).await?;
        return Ok(None);
    }
    let attempt = request(app, &t.key, &m, now).map(|r| {
        let agent = agent.clone();
        tokio::task::spawn_blocking(move || send(&agent, r))
    });
    Ok(Some((t, m, target, attempt)))
}

/// The task as an attempt leaves it: delivered, due again after a backoff, or given up.
fn settle(
    app: &App,
    mut t: Task,
    mut m: Message,
    target: &str,
    attempt: Attempt,
    now: Instant,
) -> (Task, Put) {
    m.attempts += 1;
    let give_up = (app.framework.config.automation.give_up_after_hours * 3600e6) as i64;
    let outcome = match attempt {
        Attempt::Delivered => {
            m.delivered = Some(now);
            m.last_error = None;
            t.state = "delivered".into();
            "delivered"
        }
        Attempt::Retry(why) if now.0 - m.created.0 < give_up => {
            m.last_error = Some(why);
            t.due = now.0 + backoff(m.attempts).as_micros() as i64;
            "retried"
        }
        Attempt::Retry(why) | Attempt::Refused(why) => {
            log_event(
                "warn",
                &format!(
                    "outbox: gave up on a message to {target} after {} attempts: {why}",
                    m.attempts
                ),
            );
            m.last_error = Some(why);
            t.state = "failed".into();
            "failed"
        }
    };
    app.metrics.outbox(target, outcome);
    t.body = serde_json::to_string(&m).unwrap_or_default();
    (t, Put::Replace)
}

#[cfg(test)]
mod tests {
    use super::lane_of;

    #[test]
    fn a_messages_lane_is_its_lead() {
        assert_eq!(lane_of("writeback:101:2"), "101");
        assert_eq!(lane_of("writeback:a:b:12"), "a:b");
        assert_eq!(
            lane_of("breached:101:1772832600000000:first_touch:ops"),
            "101"
        );
        assert_eq!(
            lane_of("handoff:00Q5g00000Lead1AAA:1772829000000000:-:sales-slack"),
            "00Q5g00000Lead1AAA"
        );
        assert_eq!(lane_of("odd"), "odd");
    }
}
