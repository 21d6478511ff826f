//! Webhook signatures: HubSpot's v3 (HMAC-SHA256 over method, URI, body and timestamp, base64)
//! with v1/v2 (SHA-256 of the secret and the request) when v3 is absent, and Baton's own
//! outgoing signature (HMAC-SHA256 over `timestamp.body`, the scheme Stripe's webhooks use).
//! Every comparison is constant-time.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<Sha256>;

/// How old a v3 timestamp may be (HubSpot: reject requests older than five minutes).
pub const MAX_AGE_MS: i64 = 5 * 60 * 1000;

/// Why a request's signature is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature header.
    #[error("no X-HubSpot-Signature-v3 (or X-HubSpot-Signature) header")]
    Missing,
    /// The v3 timestamp is absent, unreadable or too old.
    #[error("{0}")]
    Stale(String),
    /// The signature does not match.
    #[error(
        "the {0} signature does not match (is connectors.hubspot.secret_env the app's client secret, and public_url the URL HubSpot calls?)"
    )]
    Mismatch(&'static str),
}

/// What HubSpot sent to sign a request.
pub struct HubSpotHeaders<'a> {
    /// `X-HubSpot-Signature-v3`.
    pub v3: Option<&'a str>,
    /// `X-HubSpot-Request-Timestamp` (milliseconds).
    pub timestamp: Option<&'a str>,
    /// `X-HubSpot-Signature` (v1/v2).
    pub legacy: Option<&'a str>,
    /// `X-HubSpot-Signature-Version` (`v1` or `v2`).
    pub version: Option<&'a str>,
}

/// Checks a HubSpot request: v3 when present, else v1/v2. `uri` is the full URL HubSpot
/// called; `now_ms` the service's clock.
pub fn verify_hubspot(
    secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    headers: &HubSpotHeaders<'_>,
    now_ms: i64,
) -> Result<&'static str, SignatureError> {
    if let Some(sig) = headers.v3 {
        let ts = headers.timestamp.ok_or_else(|| {
            SignatureError::Stale("a v3 signature needs X-HubSpot-Request-Timestamp".into())
        })?;
        let at: i64 = ts.trim().parse().map_err(|_| {
            SignatureError::Stale(format!(
                "X-HubSpot-Request-Timestamp {ts:?} is not milliseconds since the epoch"
            ))
        })?;
        if now_ms - at > MAX_AGE_MS {
            return Err(SignatureError::Stale(format!(
                "the request is {} s old; HubSpot's v3 signatures are taken for 300 s",
                (now_ms - at) / 1000
            )));
        }
        let expected = hubspot_v3(secret, method, uri, body, ts.trim());
        return if eq(expected.as_bytes(), sig.trim().as_bytes()) {
            Ok("v3")
        } else {
            Err(SignatureError::Mismatch("v3"))
        };
    }
    let sig = headers.legacy.ok_or(SignatureError::Missing)?;
    let (name, expected) = match headers.version.map(str::trim) {
        Some("v2") => ("v2", hubspot_v2(secret, method, uri, body)),
        _ => ("v1", hubspot_v1(secret, body)),
    };
    if eq(
        expected.as_bytes(),
        sig.trim().to_ascii_lowercase().as_bytes(),
    ) {
        Ok(name)
    } else {
        Err(SignatureError::Mismatch(name))
    }
}

fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// HubSpot v3: base64(HMAC-SHA256(secret, method + decoded URI + body + timestamp)).
pub fn hubspot_v3(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(method.as_bytes());
    mac.update(decode_uri(uri).as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// HubSpot v1: hex(SHA-256(secret + body)).
pub fn hubspot_v1(secret: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(body);
    hex(&h.finalize())
}

/// HubSpot v2: hex(SHA-256(secret + method + URI + body)).
pub fn hubspot_v2(secret: &str, method: &str, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(method.as_bytes());
    h.update(uri.as_bytes());
    h.update(body);
    hex(&h.finalize())
}

/// HubSpot decodes these escapes in the URI before signing it (v3).
fn decode_uri(uri: &str) -> String {
    const DECODED: &[(&str, &str)] = &[
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ];
    let mut out = uri.to_string();
    for (from, to) in DECODED {
        out = out
            .replace(from, to)
            .replace(&from.to_ascii_lowercase(), to);
    }
    out
}

/// Baton's outgoing signature header: `t=UNIX,v1=hex(HMAC-SHA256(secret, "UNIX.body"))`.
pub fn baton_signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={unix_seconds},v1={}", hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";

    #[test]
    fn hubspots_published_v1_and_v2_examples() {
        // legacydocs.hubspot.com/docs/faq/v1-request-validation and v2-request-validation.
        let body = br#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
        assert_eq!(
            hubspot_v1(SECRET, body),
            "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
        );
        assert_eq!(
            hubspot_v2(SECRET, "GET", "https://www.example.com/webhook_uri", b""),
            "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
        );
        assert_eq!(
            hubspot_v2(
                SECRET,
                "POST",
                "https://www.example.com/webhook_uri",
                br#"{"example_field":"example_value"}"#
            ),
            "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
        );
        let h = HubSpotHeaders {
            v3: None,
            timestamp: None,
            legacy: Some("232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"),
            version: Some("v1"),
        };
        assert_eq!(verify_hubspot(SECRET, "POST", "x", body, &h, 0), Ok("v1"));
    }

    #[test]
    fn v3_by_an_independent_computation() {
        // `printf '%s' 'POSThttps://baton.example.com/v1/connectors/hubspot[]1700000000000' |
        //  openssl dgst -sha256 -hmac secret -binary | base64`
        let sig = hubspot_v3(
            "secret",
            "POST",
            "https://baton.example.com/v1/connectors/hubspot",
            b"[]",
            "1700000000000",
        );
        assert_eq!(sig, "LpkKqBmqL08bP0y5yViXTXd6yWVdVKyiZnpi9yorHOA=");
        let h = HubSpotHeaders {
            v3: Some(&sig),
            timestamp: Some("1700000000000"),
            legacy: None,
            version: None,
        };
        let uri = "https://baton.example.com/v1/connectors/hubspot";
        let check = |body: &[u8], now| verify_hubspot("secret", "POST", uri, body, &h, now);
        assert_eq!(check(b"[]", 1_700_000_100_000), Ok("v3"));
        // Six minutes later: stale.
        assert!(matches!(
            check(b"[]", 1_700_000_360_000),
            Err(SignatureError::Stale(_))
        ));
        // A changed body: no match.
        assert_eq!(
            check(b"[{}]", 1_700_000_000_000),
            Err(SignatureError::Mismatch("v3"))
        );
    }

    #[test]
    fn baton_signature_by_an_independent_computation() {
        // `printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec`
        assert_eq!(
            baton_signature("whsec", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032"
        );
    }
}
