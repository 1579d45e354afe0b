//! Who is signed in to the console, in one cookie: the caller's id, role and facilities, when
//! they signed in and when they last did something, signed with the deployment's link-token key
//! (`crypto::link_token`) so it cannot be forged or stretched. The browser keeps it HttpOnly,
//! Secure and SameSite=Strict: no script reads it, no other site's page sends it, and no token
//! ever sits in local storage or a URL.
//!
//! A session ends [`ConsoleSettings::idle_minutes`] after the last page view or action
//! (background refreshes do not count: HIPAA's automatic logoff) and
//! [`ConsoleSettings::session_hours`] after sign-in whatever happens. Each activity re-issues the
//! cookie with the new activity time.
//!
//! Every state-changing request carries a CSRF token: the session id signed for that purpose,
//! sent as a hidden form field or the `x-csrf-token` header, and checked against the cookie.

use crate::auth::{Principal, Role};
use crate::config::console::ConsoleSettings;
use crate::crypto::{LinkSigner, Purpose};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The session cookie. `__Host-`: Secure, path `/`, no domain, so no subdomain can set it.
pub const SESSION_COOKIE: &str = "__Host-leadflow-session";
/// The sign-in transaction (state and PKCE verifier), only while the identity provider answers.
pub const SIGNIN_COOKIE: &str = "__Host-leadflow-signin";
/// A one-line notice for the next page ("Call logged."), never personal data.
pub const FLASH_COOKIE: &str = "__Host-leadflow-flash";

const SESSION: Purpose = Purpose("console-session");
const CSRF: Purpose = Purpose("console-csrf");
const SIGNIN: Purpose = Purpose("console-signin");

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random per sign-in; the CSRF token is bound to it.
    pub sid: String,
    pub user: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facilities: Vec<String>,
    /// Seconds since the epoch.
    pub signed_in: i64,
    pub active: i64,
}

/// Why a cookie does not make a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// No cookie, or one that does not verify.
    None,
    /// Idle too long.
    Idle,
    /// Signed in too long ago.
    Expired,
}

/// Random bytes, base64url.
pub fn random_token(bytes: usize) -> String {
    use aes_gcm::aead::rand_core::RngCore;
    let mut buf = vec![0u8; bytes];
    aes_gcm::aead::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

impl Session {
    /// A session for `p` signing in at `now`.
    pub fn start(p: &Principal, now: DateTime<Utc>) -> Session {
        Session {
            sid: random_token(18),
            user: p.user_id.clone(),
            role: p.role.as_str().to_string(),
            facilities: p.facilities.clone(),
            signed_in: now.timestamp(),
            active: now.timestamp(),
        }
    }

    /// The caller as the API's handlers see one (the same claims a token gives them).
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.user.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Analyst),
            facilities: self.facilities.clone(),
        }
    }

    fn ends_at(&self, settings: &ConsoleSettings) -> DateTime<Utc> {
        DateTime::from_timestamp(self.signed_in, 0).unwrap_or_default() + Duration::hours(i64::from(settings.session_hours))
    }

    /// The cookie value.
    pub fn encode(&self, signer: &LinkSigner, settings: &ConsoleSettings) -> Option<String> {
        let subject = serde_json::to_string(self).ok()?;
        signer.sign(SESSION, &subject, self.ends_at(settings)).ok()
    }

    /// The session a cookie value holds at `now`.
    pub fn decode(value: &str, signer: &LinkSigner, settings: &ConsoleSettings, now: DateTime<Utc>) -> Result<Session, SessionEnd> {
        let subject = match signer.verify(SESSION, value, now) {
            Ok(s) => s,
            Err(crate::crypto::LinkTokenError::Expired) => return Err(SessionEnd::Expired),
            Err(_) => return Err(SessionEnd::None),
        };
        let session: Session = serde_json::from_str(&subject).map_err(|_| SessionEnd::None)?;
        if Role::parse(&session.role).is_none() {
            return Err(SessionEnd::None);
        }
        if now >= session.ends_at(settings) {
            return Err(SessionEnd::Expired);
        }
        if now.timestamp() - session.active >= i64::from(settings.idle_minutes) * 60 {
            return Err(SessionEnd::Idle);
        }
        Ok(session)
    }

    /// The same session, active at `now`.
    pub fn touched(&self, now: DateTime<Utc>) -> Session {
        Session { active: now.timestamp().max(self.active), ..self.clone() }
    }

    /// The CSRF token of this session.
    pub fn csrf_token(&self, signer: &LinkSigner, settings: &ConsoleSettings) -> String {
        signer.sign(CSRF, &self.sid, self.ends_at(settings)).unwrap_or_default()
    }

    /// Whether `token` is this session's CSRF token.
    pub fn csrf_ok(&self, token: Option<&str>, signer: &LinkSigner, now: DateTime<Utc>) -> bool {
        token.is_some_and(|t| signer.verify(CSRF, t, now).is_ok_and(|sid| sid == self.sid))
    }
}

/// A sign-in under way: what the identity provider must send back (`state`), the PKCE verifier
/// only this browser holds, and where to go afterwards (a console path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInTransaction {
    pub state: String,
    pub verifier: String,
    pub next: String,
}

impl SignInTransaction {
    /// A new transaction towards `next`.
    pub fn start(next: &str) -> SignInTransaction {
        SignInTransaction { state: random_token(18), verifier: random_token(32), next: next.to_string() }
    }

    /// The PKCE S256 challenge of the verifier.
    pub fn challenge(&self) -> String {
        use sha2::Digest;
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(self.verifier.as_bytes()))
    }

    /// The cookie value (valid ten minutes).
    pub fn encode(&self, signer: &LinkSigner, now: DateTime<Utc>) -> Option<String> {
        signer.sign(SIGNIN, &serde_json::to_string(self).ok()?, now + Duration::minutes(10)).ok()
    }

    pub fn decode(value: &str, signer: &LinkSigner, now: DateTime<Utc>) -> Option<SignInTransaction> {
        serde_json::from_str(&signer.verify(SIGNIN, value, now).ok()?).ok()
    }
}

/// The S256 challenge of a PKCE verifier (what a provider checks the verifier against).
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A `Set-Cookie` value: HttpOnly and Secure always; `strict` for the session, `Lax` for the
/// sign-in transaction (it must come back with the provider's cross-site redirect). `max_age`
/// 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: i64, strict: bool) -> String {
    let same_site = if strict { "Strict" } else { "Lax" };
    format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite={same_site}; Max-Age={}", max_age.max(0))
}

/// A cookie of the request.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 15, 0, 0).unwrap()
    }

    fn settings() -> ConsoleSettings {
        ConsoleSettings { idle_minutes: 15, session_hours: 12, ..ConsoleSettings::default() }
    }

    fn signer() -> LinkSigner {
        LinkSigner::new(&[3u8; 32]).unwrap()
    }

    fn maria() -> Principal {
        Principal { user_id: "maria".into(), role: Role::Agent, facilities: vec![] }
    }

    #[test]
    fn a_session_round_trips_until_idle_or_too_old() {
        let s = Session::start(&maria(), now());
        let cookie = s.encode(&signer(), &settings()).unwrap();
        let back = Session::decode(&cookie, &signer(), &settings(), now() + Duration::minutes(14)).unwrap();
        assert_eq!(back.principal(), maria());
        assert_eq!(Session::decode(&cookie, &signer(), &settings(), now() + Duration::minutes(15)), Err(SessionEnd::Idle));
        // Activity moves the idle clock, not the end of the session.
        let later = s.touched(now() + Duration::hours(11) + Duration::minutes(50)).encode(&signer(), &settings()).unwrap();
        assert!(Session::decode(&later, &signer(), &settings(), now() + Duration::hours(11) + Duration::minutes(55)).is_ok());
        assert_eq!(Session::decode(&later, &signer(), &settings(), now() + Duration::hours(12)), Err(SessionEnd::Expired));
    }

    #[test]
    fn a_forged_or_foreign_cookie_is_no_session() {
        let s = Session::start(&maria(), now());
        let cookie = s.encode(&signer(), &settings()).unwrap();
        assert_eq!(Session::decode(&cookie, &LinkSigner::new(&[4u8; 32]).unwrap(), &settings(), now()), Err(SessionEnd::None));
        // An admin role written into the subject breaks the signature.
        let parts: Vec<&str> = cookie.split('.').collect();
        let forged_subject = URL_SAFE_NO_PAD.encode(serde_json::to_string(&Session { role: "admin".into(), ..s.clone() }).unwrap());
        let forged = format!("{}.{forged_subject}.{}.{}", parts[0], parts[2], parts[3]);
        assert_eq!(Session::decode(&forged, &signer(), &settings(), now()), Err(SessionEnd::None));
        // A CSRF token is a token for this session only.
        let csrf = s.csrf_token(&signer(), &settings());
        assert!(s.csrf_ok(Some(&csrf), &signer(), now()));
        assert!(!s.csrf_ok(None, &signer(), now()));
        assert!(!Session::start(&maria(), now()).csrf_ok(Some(&csrf), &signer(), now()));
        assert!(!s.csrf_ok(Some(&cookie), &signer(), now()), "the session cookie is no CSRF token");
    }

    #[test]
    fn cookies_are_read_and_written_with_their_attributes() {
        let mut h = http::HeaderMap::new();
        h.insert("cookie", "a=1; __Host-leadflow-session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        let c = set_cookie(SESSION_COOKIE, "v", 900, true);
        assert!(c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Strict") && c.contains("Path=/"));
        let t = SignInTransaction::start("/console/");
        assert_eq!(t.challenge(), pkce_challenge(&t.verifier));
        assert_eq!(t.challenge().len(), 43);
        let v = t.encode(&signer(), now()).unwrap();
        assert_eq!(SignInTransaction::decode(&v, &signer(), now() + Duration::minutes(9)), Some(t.clone()));
        assert_eq!(SignInTransaction::decode(&v, &signer(), now() + Duration::minutes(10)), None);
    }
}
