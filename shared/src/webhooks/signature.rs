//! Sender verification with each provider's documented scheme. Every comparison of a computed
//! signature with a received one is constant-time (`hmac`'s `verify_slice`).
//!
//! * Twilio (`X-Twilio-Signature`): base64(HMAC-SHA1(auth token, full URL + each POST parameter
//!   name and value, sorted by name)). The URL is the public one Twilio called.
//! * Stripe (`Stripe-Signature: t=..,v1=..`), Calendly (`Calendly-Webhook-Signature`, same
//!   form) and leadflow's generic sources (`X-Leadflow-Signature`, same form): hex(HMAC-SHA256(
//!   secret, "{t}.{raw body}")), with `t` within five minutes of now.
//! * CallRail (`Signature`): base64(HMAC-SHA1(signing key, raw body)).

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// How far a signed timestamp may be from now (either way).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a request was refused. The HTTP answer is 401 for all of them (403 would tell a
/// prober which part it got right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the signed timestamp is outside the tolerance (a replay?)")]
    Stale,
    #[error("no signing secret is configured for this webhook")]
    NotConfigured,
}

fn hmac_sha1(key: &[u8]) -> Hmac<Sha1> {
    Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// The data Twilio signs: the URL, then each parameter's name and value, sorted by name (and
/// by value for repeated names).
pub fn twilio_signed_data(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    data
}

/// Twilio's signature of a form post to `url`.
pub fn twilio_sign(url: &str, params: &[(String, String)], auth_token: &str) -> String {
    let mut mac = hmac_sha1(auth_token.as_bytes());
    mac.update(twilio_signed_data(url, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Verifies `X-Twilio-Signature`.
pub fn verify_twilio(url: &str, params: &[(String, String)], header: Option<&str>, auth_token: Option<&str>) -> Result<(), SignatureError> {
    let token = auth_token.ok_or(SignatureError::NotConfigured)?;
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let given = base64::engine::general_purpose::STANDARD.decode(header).map_err(|_| SignatureError::Malformed)?;
    let mut mac = hmac_sha1(token.as_bytes());
    mac.update(twilio_signed_data(url, params).as_bytes());
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// The `t=..,v1=..` header value for `payload` signed at `t`.
pub fn timestamped_sign(payload: &[u8], secret: &str, t: i64) -> String {
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(format!("{t}.").as_bytes());
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Verifies a `t=..,v1=..` header (Stripe, Calendly, generic sources): one of the `v1`
/// signatures must match and `t` must be within [`TOLERANCE_SECONDS`] of `now`. Returns `t`.
pub fn verify_timestamped(header: Option<&str>, payload: &[u8], secret: Option<&str>, now: DateTime<Utc>) -> Result<i64, SignatureError> {
    let secret = secret.ok_or(SignatureError::NotConfigured)?;
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            // Other schemes (Stripe's test-mode v0) are ignored, as Stripe documents.
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(format!("{t}.").as_bytes());
    mac.update(payload);
    // Check every candidate (Stripe sends one per active secret during a rotation).
    let matched = signatures.iter().fold(false, |ok, sig| mac.clone().verify_slice(sig).is_ok() | ok);
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if (now.timestamp() - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(t)
}

/// CallRail's signature of a body.
pub fn callrail_sign(payload: &[u8], key: &str) -> String {
    let mut mac = hmac_sha1(key.as_bytes());
    mac.update(payload);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Verifies CallRail's `Signature` header.
pub fn verify_callrail(header: Option<&str>, payload: &[u8], key: Option<&str>) -> Result<(), SignatureError> {
    let key = key.ok_or(SignatureError::NotConfigured)?;
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let given = base64::engine::general_purpose::STANDARD.decode(header).map_err(|_| SignatureError::Malformed)?;
    let mut mac = hmac_sha1(key.as_bytes());
    mac.update(payload);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap()
    }

    #[test]
    fn twilio_matches_the_documented_example() {
        // The example from Twilio's "Webhooks security" documentation.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let sig = twilio_sign(url, &params, "12345");
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert_eq!(verify_twilio(url, &params, Some(&sig), Some("12345")), Ok(()));
    }

    #[test]
    fn twilio_refuses_tampering_wrong_secret_and_missing_header() {
        let params = vec![("Body".to_string(), "STOP".to_string()), ("From".to_string(), "+12015550123".to_string())];
        let url = "https://api.example/webhooks/twilio/sms";
        let sig = twilio_sign(url, &params, "secret");
        let mut tampered = params.clone();
        tampered[0].1 = "START".into();
        assert_eq!(verify_twilio(url, &tampered, Some(&sig), Some("secret")), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_twilio("https://other.example/webhooks/twilio/sms", &params, Some(&sig), Some("secret")),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_twilio(url, &params, Some(&sig), Some("wrong")), Err(SignatureError::Mismatch));
        assert_eq!(verify_twilio(url, &params, None, Some("secret")), Err(SignatureError::Missing));
        assert_eq!(verify_twilio(url, &params, Some("%%%"), Some("secret")), Err(SignatureError::Malformed));
        assert_eq!(verify_twilio(url, &params, Some(&sig), None), Err(SignatureError::NotConfigured));
    }

    #[test]
    fn timestamped_signatures_check_body_secret_and_age() {
        let body = br#"{"id":"evt_1"}"#;
        let t = now().timestamp();
        let header = timestamped_sign(body, "whsec_test", t);
        assert_eq!(verify_timestamped(Some(&header), body, Some("whsec_test"), now()), Ok(t));
        // Several v1 values (a secret rotation): one matching is enough.
        let rotated = format!("{header},v1={}", "00".repeat(32));
        assert_eq!(verify_timestamped(Some(&rotated), body, Some("whsec_test"), now()), Ok(t));
        assert_eq!(verify_timestamped(Some(&header), br#"{"id":"evt_2"}"#, Some("whsec_test"), now()), Err(SignatureError::Mismatch));
        assert_eq!(verify_timestamped(Some(&header), body, Some("whsec_other"), now()), Err(SignatureError::Mismatch));
        let old = timestamped_sign(body, "whsec_test", t - TOLERANCE_SECONDS - 1);
        assert_eq!(verify_timestamped(Some(&old), body, Some("whsec_test"), now()), Err(SignatureError::Stale));
        let future = timestamped_sign(body, "whsec_test", t + TOLERANCE_SECONDS + 1);
        assert_eq!(verify_timestamped(Some(&future), body, Some("whsec_test"), now()), Err(SignatureError::Stale));
        assert_eq!(verify_timestamped(None, body, Some("whsec_test"), now()), Err(SignatureError::Missing));
        assert_eq!(verify_timestamped(Some("v1=abcd"), body, Some("whsec_test"), now()), Err(SignatureError::Malformed));
        assert_eq!(verify_timestamped(Some(&format!("t={t}")), body, Some("whsec_test"), now()), Err(SignatureError::Malformed));
        // A replayed old signature with a fresh t does not match: t is inside the signed data.
        let replay = old.replacen(&format!("t={}", t - TOLERANCE_SECONDS - 1), &format!("t={t}"), 1);
        assert_eq!(verify_timestamped(Some(&replay), body, Some("whsec_test"), now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn callrail_signatures_cover_the_body() {
        let body = br#"{"resource_id":"CAL123"}"#;
        let sig = callrail_sign(body, "key");
        assert_eq!(verify_callrail(Some(&sig), body, Some("key")), Ok(()));
        assert_eq!(verify_callrail(Some(&sig), br#"{"resource_id":"CAL124"}"#, Some("key")), Err(SignatureError::Mismatch));
        assert_eq!(verify_callrail(Some(&sig), body, Some("other")), Err(SignatureError::Mismatch));
        assert_eq!(verify_callrail(None, body, Some("key")), Err(SignatureError::Missing));
    }
}
