//! Who may call what: tokens with a scope (only their SHA-256 is stored), the public site key's
//! limits (touch events for visitor ids, from listed origins), and rate limits per key and client.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant as Clock;

use sha2::{Digest, Sha256};

use super::store::TokenRecord;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// Post leads, events, stage entries, deals, feedback; accept and reject leads.
    Ingest,
    /// Read lead cards and the report, check drafts, read metrics.
    Read,
    /// Everything, erasing a lead included.
    Admin,
    /// The site widget's public key: touch events for visitor ids, from its origins only.
    Site,
    /// A rep's CRM side panel: read lead cards and the report, accept or reject a lead.
    Rep,
}

impl Scope {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
            Scope::Site => "site",
            Scope::Rep => "rep",
        }
    }

    /// The scope a stored name is.
    pub fn parse(text: &str) -> Option<Scope> {
        [
            Scope::Ingest,
            Scope::Read,
            Scope::Admin,
            Scope::Site,
            Scope::Rep,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether this scope grants `need`.
    pub fn grants(self, need: Need) -> bool {
        matches!(
            (self, need),
            (
                Scope::Admin,
                Need::Ingest | Need::Read | Need::Admin | Need::Answer
            ) | (Scope::Ingest, Need::Ingest | Need::Answer)
                | (Scope::Read, Need::Read)
                | (Scope::Rep, Need::Read | Need::Answer)
                | (Scope::Site | Scope::Ingest | Scope::Admin, Need::Touch)
        )
    }
}

/// What an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Writing data.
    Ingest,
    /// Reading a lead or the report.
    Read,
    /// Erasing a lead.
    Admin,
    /// Posting events: ingest tokens, or a site key within its limits.
    Touch,
    /// Sales' answer to a handoff (accept, reject): ingest tokens or a rep's.
    Answer,
}

/// The SHA-256 of a token, hex: what the store keeps.
pub fn hash(token: &str) -> String {
    hash_bytes(token.as_bytes())
}

/// The SHA-256 of bytes, hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new token: `baton_<scope>_<id>_<secret>` (id 8 hex digits, secret 32 random bytes), and
/// its record to store.
pub fn new_token(
    scope: Scope,
    origins: &[String],
    label: &str,
    now: &str,
) -> Result<(String, TokenRecord), String> {
    let mut bytes = [0u8; 36];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a token: {e}"))?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let id = hex(&bytes[..4]);
    let token = format!("baton_{}_{id}_{}", scope.as_str(), hex(&bytes[4..]));
    let record = TokenRecord {
        id,
        hash: hash(&token),
        scope: scope.as_str().into(),
        origins: origins.join(","),
        label: label.into(),
        created_at: now.into(),
    };
    Ok((token, record))
}

/// Whether a site key may be used from `origin` (an exact match of scheme, host and port).
pub fn origin_allowed(record: &TokenRecord, origin: Option<&str>) -> bool {
    let Some(origin) = origin else {
        return false;
    };
    record
        .origins
        .split(',')
        .any(|o| !o.is_empty() && o.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// A token bucket.
#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Clock,
}

/// Requests allowed per second, with a burst, per key and per client address.
pub struct RateLimits {
    per_key: (f64, f64),
    per_client: (f64, f64),
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets kept before the oldest are forgotten (memory stays bounded under a flood of keys).
const MAX_BUCKETS: usize = 100_000;

impl RateLimits {
    /// `key` and `client` are (requests per second, burst).
    pub fn new(key: (f64, f64), client: (f64, f64)) -> Self {
        Self {
            per_key: key,
            per_client: client,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the key's and the client's buckets; `Err(seconds)` to wait when
    /// either is empty.
    pub fn take(&self, key: &str, client: IpAddr) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > MAX_BUCKETS {
            buckets.clear();
        }
        let now = Clock::now();
        let mut check = |name: String, (rate, burst): (f64, f64)| -> Result<(), u64> {
            let b = buckets.entry(name).or_insert(Bucket {
                tokens: burst,
                at: now,
            });
            b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
            b.at = now;
            if b.tokens >= 1.0 {
                b.tokens -= 1.0;
                Ok(())
            } else {
                Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
            }
        };
        check(format!("key:{key}"), self.per_key)?;
        check(format!("client:{client}"), self.per_client)
    }
}
