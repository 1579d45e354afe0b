//! Unforgeable references for links and values that leave the system: an unsubscribe link, a
//! confirmation link for a new contact point, the reference handed to a scheduling or payment
//! tool, a signed form-start time. A raw lead id in such a place would let anyone who sees or
//! guesses it act on someone else's lead; a token names its subject only under our key.
//!
//! A token is `v1.<subject>.<expiry>.<mac>` in URL-safe base64 without padding: the subject
//! bytes, the expiry (seconds since the epoch, UTC) and an HMAC-SHA256 over the purpose, the
//! subject and the expiry. The purpose is not in the token, so a token minted for one use
//! (say, `unsubscribe`) never verifies for another (say, `booking`). Tokens are not secret
//! containers: the subject is readable, so it must be an id, never personal data.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use zeroize::Zeroizing;

/// The shortest signing key accepted (bytes).
pub const MIN_KEY_LEN: usize = 32;

const VERSION: &str = "v1";

/// What a token is for; part of the signed data, so a token verifies only for its purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose(pub &'static str);

/// Why a token was not accepted. The variants are for logs and tests; a public answer says
/// only that the link is not valid, whichever it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkTokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    #[error("no link signing key is configured")]
    NoKey,
    #[error("the link signing key is shorter than {MIN_KEY_LEN} bytes")]
    ShortKey,
}

/// Signs and verifies link tokens with one HMAC key. Every function of a deployment shares the
/// key (AWS: a SecureString beside the webhook secrets; locally: the environment or a key made
/// per process), so a link minted by one function verifies in another.
#[derive(Clone)]
pub struct LinkSigner {
    key: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkSigner").field("configured", &self.key.is_some()).finish()
    }
}

impl LinkSigner {
    /// A signer over `key` (at least [`MIN_KEY_LEN`] bytes).
    pub fn new(key: &[u8]) -> Result<Self, LinkTokenError> {
        if key.len() < MIN_KEY_LEN {
            return Err(LinkTokenError::ShortKey);
        }
        Ok(LinkSigner { key: Some(Zeroizing::new(key.to_vec())) })
    }

    /// A signer with a fresh random key: links verify only within this process (the local
    /// runner, tests).
    pub fn random() -> Self {
        use aes_gcm::aead::rand_core::RngCore;
        let mut key = Zeroizing::new(vec![0u8; MIN_KEY_LEN]);
        aes_gcm::aead::OsRng.fill_bytes(&mut key);
        LinkSigner { key: Some(key) }
    }

    /// A signer without a key: every sign and verify fails with [`LinkTokenError::NoKey`]. For
    /// functions that never make or read links; a function that does checks
    /// [`is_configured`](Self::is_configured) at init.
    pub fn unconfigured() -> Self {
        LinkSigner { key: None }
    }

    pub fn is_configured(&self) -> bool {
        self.key.is_some()
    }

    /// A token for `subject` (an id, never personal data) valid for `purpose` until `expires_at`.
    pub fn sign(&self, purpose: Purpose, subject: &str, expires_at: DateTime<Utc>) -> Result<String, LinkTokenError> {
        let expiry = expires_at.timestamp();
        let mac = self.mac(purpose, subject.as_bytes(), expiry)?.finalize().into_bytes();
        Ok(format!(
            "{VERSION}.{}.{}.{}",
            URL_SAFE_NO_PAD.encode(subject.as_bytes()),
            URL_SAFE_NO_PAD.encode(expiry.to_be_bytes()),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// The subject of `token` if it was signed for `purpose` with this key and has not expired
    /// at `now`. The signature is checked (in constant time) before the expiry is looked at.
    pub fn verify(&self, purpose: Purpose, token: &str, now: DateTime<Utc>) -> Result<String, LinkTokenError> {
        let mut parts = token.trim().split('.');
        let (Some(VERSION), Some(subject), Some(expiry), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkTokenError::Malformed);
        };
        let subject = URL_SAFE_NO_PAD.decode(subject).map_err(|_| LinkTokenError::Malformed)?;
        let expiry: [u8; 8] = URL_SAFE_NO_PAD.decode(expiry).ok().and_then(|b| b.try_into().ok()).ok_or(LinkTokenError::Malformed)?;
        let expiry = i64::from_be_bytes(expiry);
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| LinkTokenError::Malformed)?;
        self.mac(purpose, &subject, expiry)?.verify_slice(&mac).map_err(|_| LinkTokenError::BadSignature)?;
        if now.timestamp() >= expiry {
            return Err(LinkTokenError::Expired);
        }
        String::from_utf8(subject).map_err(|_| LinkTokenError::Malformed)
    }

    fn mac(&self, purpose: Purpose, subject: &[u8], expiry: i64) -> Result<Hmac<Sha256>, LinkTokenError> {
        let key = self.key.as_ref().ok_or(LinkTokenError::NoKey)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| LinkTokenError::ShortKey)?;
        // Length-prefixed fields: no choice of purpose and subject can collide with another.
        for field in [purpose.0.as_bytes(), subject] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac.update(&expiry.to_be_bytes());
        Ok(mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    const UNSUBSCRIBE: Purpose = Purpose("unsubscribe");
    const BOOKING: Purpose = Purpose("booking");

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()
    }

    fn signer() -> LinkSigner {
        LinkSigner::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_token_verifies_for_its_purpose_until_it_expires() {
        let token = signer().sign(UNSUBSCRIBE, "01JEXAMPLE", now() + Duration::days(30)).unwrap();
        assert_eq!(signer().verify(UNSUBSCRIBE, &token, now()).unwrap(), "01JEXAMPLE");
        assert_eq!(signer().verify(UNSUBSCRIBE, &token, now() + Duration::days(30)), Err(LinkTokenError::Expired));
    }

    #[test]
    fn a_token_never_verifies_for_another_purpose_or_key() {
        let token = signer().sign(UNSUBSCRIBE, "lead-1", now() + Duration::hours(1)).unwrap();
        assert_eq!(signer().verify(BOOKING, &token, now()), Err(LinkTokenError::BadSignature));
        let other = LinkSigner::new(&[8u8; 32]).unwrap();
        assert_eq!(other.verify(UNSUBSCRIBE, &token, now()), Err(LinkTokenError::BadSignature));
        assert_eq!(LinkSigner::random().verify(UNSUBSCRIBE, &token, now()), Err(LinkTokenError::BadSignature));
    }

    #[test]
    fn a_changed_subject_or_expiry_does_not_verify() {
        let token = signer().sign(UNSUBSCRIBE, "lead-1", now() + Duration::hours(1)).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let other_subject = format!("v1.{}.{}.{}", URL_SAFE_NO_PAD.encode("lead-2"), parts[2], parts[3]);
        assert_eq!(signer().verify(UNSUBSCRIBE, &other_subject, now()), Err(LinkTokenError::BadSignature));
        let later = URL_SAFE_NO_PAD.encode((now() + Duration::days(999)).timestamp().to_be_bytes());
        let other_expiry = format!("v1.{}.{later}.{}", parts[1], parts[3]);
        assert_eq!(signer().verify(UNSUBSCRIBE, &other_expiry, now()), Err(LinkTokenError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed_and_no_key_refuses() {
        for bad in ["", "v1", "v1.a.b", "v2.a.b.c", "v1.a.b.c.d", "v1.!!.AAAAAAAAAAA.AA"] {
            assert_eq!(signer().verify(UNSUBSCRIBE, bad, now()), Err(LinkTokenError::Malformed), "{bad}");
        }
        assert_eq!(LinkSigner::unconfigured().sign(UNSUBSCRIBE, "x", now()), Err(LinkTokenError::NoKey));
        assert_eq!(LinkSigner::new(b"short").unwrap_err(), LinkTokenError::ShortKey);
    }
}
