//! `[connectors]` and `[automation]`: what `baton serve` takes from the CRMs, what it sends when a
//! handoff is due, and where it writes scores back. Secrets are never in the file: each is named
//! by the environment variable that holds it.

use serde::{Deserialize, Serialize};

/// `[connectors]`: the CRMs the service takes webhooks from and writes back to.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Connectors {
    /// `[connectors.hubspot]`: a HubSpot app's webhooks and the CRM API.
    pub hubspot: Option<HubSpotConnector>,
    /// `[connectors.salesforce]`: Outbound Messages and the REST API.
    pub salesforce: Option<SalesforceConnector>,
}

impl Connectors {
    /// True when no connector is configured.
    pub fn is_empty(&self) -> bool {
        self.hubspot.is_none() && self.salesforce.is_none()
    }
}

/// `[connectors.hubspot]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HubSpotConnector {
    /// The environment variable holding the app's client secret (webhook signatures).
    pub secret_env: String,
    /// The URL HubSpot posts to, as HubSpot sees it (signature v3 signs it); by default the
    /// request's `Host` and `X-Forwarded-Proto`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The environment variable holding a private app's access token; without it, no write-back.
    #[serde(default)]
    pub token_env: Option<String>,
    /// The CRM API's base URL.
    #[serde(default = "hubspot_api")]
    pub api_base: String,
}

fn hubspot_api() -> String {
    "https://api.hubapi.com".into()
}

/// `[connectors.salesforce]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SalesforceConnector {
    /// The org whose Outbound Messages are taken (15 or 18 characters); others are refused.
    pub organization_id: String,
    /// The environment variable holding an OAuth access token; without it, no write-back.
    #[serde(default)]
    pub token_env: Option<String>,
    /// The org's instance URL (`https://acme.my.salesforce.com`), needed for write-back.
    #[serde(default)]
    pub instance_url: Option<String>,
    /// The REST API version.
    #[serde(default = "salesforce_version")]
    pub api_version: String,
}

fn salesforce_version() -> String {
    "v60.0".into()
}

/// `[automation]`: handoff notices, escalation and write-back.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Automation {
    /// "Due soon" is sent when this share of an SLA's business hours has passed (0 < x < 1).
    pub due_soon_share: f64,
    /// Reassign to the next owner of the rotation after this many business hours untouched.
    pub escalate_after_business_hours: Option<f64>,
    /// A lead's properties are written back at most once per this many minutes.
    pub writeback_interval_minutes: f64,
    /// A notice or write-back not delivered after this many hours is given up (and counted).
    pub give_up_after_hours: f64,
    /// `[[automation.notify]]`: where notices go.
    pub notify: Vec<Notify>,
}

impl Default for Automation {
    fn default() -> Self {
        Automation {
            due_soon_share: 0.75,
            escalate_after_business_hours: None,
            writeback_interval_minutes: 15.0,
            give_up_after_hours: 24.0,
            notify: Vec::new(),
        }
    }
}

/// One `[[automation.notify]]`: an outgoing webhook.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Its name (in logs, `/metrics` and idempotency keys).
    pub name: String,
    /// The body: Slack's incoming-webhook JSON, or Baton's signed JSON.
    pub format: NotifyFormat,
    /// The URL (or `url_env`, when the URL is itself a secret, as Slack's are).
    #[serde(default)]
    pub url: Option<String>,
    /// The environment variable holding the URL.
    #[serde(default)]
    pub url_env: Option<String>,
    /// The environment variable holding the signing secret (`json` only; required there).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Which notices it gets (all by default).
    #[serde(default = "all_notices")]
    pub events: Vec<NoticeKind>,
}

/// An outgoing webhook's body.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifyFormat {
    /// `{"text": …, "blocks": […]}`, as Slack's incoming webhooks take it.
    Slack,
    /// `{"id", "type", "created", "data"}` signed with HMAC-SHA256 (`Baton-Signature`).
    Json,
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A lead became a handoff and was routed.
    Handoff,
    /// An SLA's due-soon share has passed with its clock running.
    DueSoon,
    /// An SLA's deadline passed with its clock running.
    Breached,
    /// The lead went untouched past the escalation and was reassigned.
    Escalated,
}

impl NoticeKind {
    /// Its name in bodies and keys.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Handoff => "handoff",
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Breached => "breached",
            NoticeKind::Escalated => "escalated",
        }
    }
}

fn all_notices() -> Vec<NoticeKind> {
    vec![
        NoticeKind::Handoff,
        NoticeKind::DueSoon,
        NoticeKind::Breached,
        NoticeKind::Escalated,
    ]
}

#[cfg(feature = "service-config")]
/// A key and what is wrong with it.
type Problem = (String, String);

#[cfg(feature = "service-config")]
fn env_name(key: &str, name: &str) -> Result<(), Problem> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err((
            key.into(),
            format!(
                "{name:?} is not an environment variable name (A-Z, 0-9, _): the secret itself never goes in baton.toml"
            ),
        ))
    }
}

#[cfg(feature = "service-config")]
fn http_url(key: &str, url: &str) -> Result<(), Problem> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(()),
        _ => Err((
            key.into(),
            format!("{url:?} is not an http(s) URL such as https://api.example.com"),
        )),
    }
}

#[cfg(feature = "service-config")]
/// Checks `[connectors]`: names, URLs and ids in their forms.
pub(super) fn check_connectors(c: &Connectors) -> Result<(), Problem> {
    if let Some(h) = &c.hubspot {
        env_name("connectors.hubspot.secret_env", &h.secret_env)?;
        if let Some(t) = &h.token_env {
            env_name("connectors.hubspot.token_env", t)?;
        }
        http_url("connectors.hubspot.api_base", &h.api_base)?;
        if let Some(u) = &h.public_url {
            http_url("connectors.hubspot.public_url", u)?;
        }
    }
    if let Some(s) = &c.salesforce {
        let id = &s.organization_id;
        if !(id.len() == 15 || id.len() == 18) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err((
                "connectors.salesforce.organization_id".into(),
                format!("{id:?} is not a Salesforce org id (15 or 18 letters and digits, 00D…)"),
            ));
        }
        if let Some(t) = &s.token_env {
            env_name("connectors.salesforce.token_env", t)?;
            if s.instance_url.is_none() {
                return Err((
                    "connectors.salesforce.instance_url".into(),
                    "write-back (token_env) needs the org's instance_url".into(),
                ));
            }
        }
        if let Some(u) = &s.instance_url {
            http_url("connectors.salesforce.instance_url", u)?;
        }
        let v = &s.api_version;
        let digits = v.strip_prefix('v').and_then(|v| v.split_once('.'));
        if !digits.is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|x| x.is_ascii_digit())
                && b.bytes().all(|x| x.is_ascii_digit())
        }) {
            return Err((
                "connectors.salesforce.api_version".into(),
                format!("{v:?} is not a REST API version such as \"v60.0\""),
            ));
        }
    }
    Ok(())
}

#[cfg(feature = "service-config")]
/// Checks `[automation]`: shares and durations in range, each notify target complete.
pub(super) fn check_automation(a: &Automation) -> Result<(), Problem> {
    if !(a.due_soon_share > 0.0 && a.due_soon_share < 1.0) {
        return Err((
            "automation.due_soon_share".into(),
            format!(
                "must be between 0 and 1 (a share of the SLA), got {}",
                a.due_soon_share
            ),
        ));
    }
    if let Some(h) = a.escalate_after_business_hours
        && !(h.is_finite() && h > 0.0)
    {
        return Err((
            "automation.escalate_after_business_hours".into(),
            format!("must be a positive number of business hours, got {h}"),
        ));
    }
    if !(a.writeback_interval_minutes.is_finite() && a.writeback_interval_minutes >= 0.0) {
        return Err((
            "automation.writeback_interval_minutes".into(),
            "must be 0 or more minutes".into(),
        ));
    }
    if !(a.give_up_after_hours.is_finite() && a.give_up_after_hours > 0.0) {
        return Err((
            "automation.give_up_after_hours".into(),
            "must be a positive number of hours".into(),
        ));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, n) in a.notify.iter().enumerate() {
        let key = format!("automation.notify.{i}");
        if n.name.trim().is_empty() {
            return Err((format!("{key}.name"), "a notify target needs a name".into()));
        }
        if names.contains(&n.name.as_str()) {
            return Err((
                format!("{key}.name"),
                format!("two notify targets are named {:?}", n.name),
            ));
        }
        names.push(&n.name);
        let key = key.as_str();
        match (&n.url, &n.url_env) {
            (Some(u), None) => http_url(&format!("{key}.url"), u)?,
            (None, Some(e)) => env_name(&format!("{key}.url_env"), e)?,
            _ => {
                return Err((
                    format!("{key}.url"),
                    format!(
                        "notify target {:?} needs exactly one of url and url_env",
                        n.name
                    ),
                ));
            }
        }
        match (&n.secret_env, n.format) {
            (Some(e), _) => env_name(&format!("{key}.secret_env"), e)?,
            (None, NotifyFormat::Json) => {
                return Err((
                    format!("{key}.secret_env"),
                    format!(
                        "notify target {:?} sends signed JSON: name the environment variable of its signing secret",
                        n.name
                    ),
                ));
            }
            (None, NotifyFormat::Slack) => {}
        }
    }
    Ok(())
}
