//! Screening at intake, before anything is stored: the honeypot field, the minimum
//! form-fill time, and the per-IP and per-phone rate limits; then, for an accepted submission,
//! test-record marking and contact validation flags.
//!
//! The form's start is a token the server signed when the form was shown (`GET
//! /forms/{id}/start`, `app::webform::start_token`): its issue time is under our key, so a bot
//! can neither invent one nor move it back to look patient. A token sent is always checked; one
//! is required while `min_fill_seconds` is on.

use super::Services;
use crate::config::data_quality::{RateLimit, SpamSettings};
use crate::crypto::{LinkSigner, LinkTokenError};
use crate::domain::contact_check::{self, ContactFlag, DomainLists};
use crate::domain::intake_form::FieldError;
use crate::domain::{Email, Phone};
use crate::ports::rate_limit::{counter_key, window};
use crate::ports::StoreError;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Start times further in the future than this (clock skew between functions) are refused.
const MAX_SKEW_MS: i64 = 5 * 60 * 1000;

/// Why a submission was refused before storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screening {
    /// Looks automated: the honeypot was filled or the form was sent too fast (422).
    Rejected(Vec<FieldError>),
    /// Too many submissions from this IP address or phone number (429 with Retry-After).
    RateLimited { field: &'static str, retry_after_seconds: u64 },
    /// The start token cannot be checked here (no signing key configured): a deployment
    /// problem, answered 503 and logged, never a refusal of the person.
    Unavailable,
}

/// Removes the honeypot and start fields from `fields` and checks them. Nothing is stored or
/// counted here.
pub fn spam_check(
    settings: &SpamSettings,
    links: &LinkSigner,
    fields: &mut BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(), Screening> {
    let mut problems = Vec::new();
    if let Some(name) = &settings.honeypot_field {
        if fields.remove(name).is_some_and(|v| !v.trim().is_empty()) {
            problems.push(FieldError::new(name, "honeypot_filled", "this field must be left empty"));
        }
    }
    if let Some(name) = &settings.start_field {
        let started = fields.remove(name).filter(|v| !v.trim().is_empty());
        match started {
            None if settings.min_fill_seconds > 0 => {
                problems.push(FieldError::new(name, "form_start_missing", "the form's start token (GET /forms/{id}/start) is required"))
            }
            None => {}
            Some(token) => match super::webform::verify_start(links, &token, now) {
                Err(LinkTokenError::NoKey | LinkTokenError::ShortKey) => return Err(Screening::Unavailable),
                Err(LinkTokenError::Expired) => {
                    problems.push(FieldError::new(name, "form_expired", "the form is too old; reload the page"))
                }
                Err(_) => problems.push(FieldError::new(name, "form_start_invalid", "the form's start token is not valid")),
                Ok(issued) => {
                    let elapsed = (now - issued).num_milliseconds();
                    if elapsed < -MAX_SKEW_MS {
                        problems.push(FieldError::new(name, "form_start_invalid", "the form's start time is in the future"));
                    } else if elapsed < i64::from(settings.min_fill_seconds) * 1000 {
                        problems.push(FieldError::new(name, "submitted_too_fast", "the form was sent too soon after it was shown"));
                    }
                }
            },
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Screening::Rejected(problems))
    }
}

async fn count(services: &Services, limit: RateLimit, scope: &'static str, value: &str) -> Result<(), RateOutcome> {
    let now = services.clock.now();
    let (start, end) = window(now, limit.window_seconds);
    let hits = services.rate.hit(&counter_key(scope, value), start, end).await.map_err(RateOutcome::Store)?;
    if hits > u64::from(limit.limit) {
        let retry = (end - now).num_seconds().max(1) as u64;
        return Err(RateOutcome::Limited(Screening::RateLimited { field: scope, retry_after_seconds: retry }));
    }
    Ok(())
}

/// A rate-limit check's failure: over the limit, or the counter could not be read.
#[derive(Debug)]
pub enum RateOutcome {
    Limited(Screening),
    Store(StoreError),
}

/// Counts a submission from `ip` against the per-IP and the per-network limits.
pub async fn limit_ip(services: &Services, ip: Option<&str>) -> Result<(), RateOutcome> {
    let spam = &services.config.data_quality.spam;
    if let (Some(limit), Some(ip)) = (spam.per_ip, ip) {
        count(services, limit, "ip", ip).await?;
    }
    if let (Some(limit), Some(net)) = (spam.per_network, ip.and_then(network_of)) {
        count(services, limit, "network", &net).await?;
    }
    Ok(())
}

/// The network an address belongs to for rate limiting: its IPv4 /24 or IPv6 /48 (what one
/// host or small provider allocation rotates through).
pub fn network_of(ip: &str) -> Option<String> {
    match ip.trim().parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network_of(&v4.to_string()),
            None => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
            }
        },
    }
}

/// Counts a submission for `phone` against the per-phone limit.
pub async fn limit_phone(services: &Services, phone: Option<&Phone>) -> Result<(), RateOutcome> {
    match (services.config.data_quality.spam.per_phone, phone) {
        (Some(limit), Some(p)) => count(services, limit, "phone", p.as_e164()).await,
        _ => Ok(()),
    }
}

/// Whether a submission with these details is one of the team's own tests.
pub fn is_test(services: &Services, phone: Option<&Phone>, email: Option<&Email>) -> bool {
    services.config.data_quality.test_records.matches(phone, email)
}

/// The contact flags: offline checks, plus the MX lookup when configured and nothing offline
/// already flagged the email.
pub async fn contact_flags(services: &Services, phone: Option<&Phone>, email: Option<&Email>) -> Vec<ContactFlag> {
    let cv = &services.config.data_quality.contact_validation;
    let lists = DomainLists { extra_disposable: &cv.extra_disposable_domains, allowed: &cv.allowed_domains };
    let flags = contact_check::check(phone, email, lists);
    match email {
        Some(e) if cv.mx_check && !flags.iter().any(|f| f.field == "email") => {
            let mx = services.mail_domains.has_mail_exchanger(e.domain()).await;
            contact_check::with_mx(flags, mx)
        }
        _ => flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn settings() -> SpamSettings {
        SpamSettings {
            honeypot_field: Some("website".into()),
            start_field: Some("form_start".into()),
            min_fill_seconds: 3,
            max_form_age_hours: 24,
            per_ip: None,
            per_phone: None,
            per_network: None,
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn codes(r: Result<(), Screening>) -> Vec<&'static str> {
        match r {
            Err(Screening::Rejected(f)) => f.iter().map(|e| e.code).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn networks_are_a_v4_slash_24_or_a_v6_slash_48() {
        assert_eq!(network_of("203.0.113.77").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network_of("2001:db8:abcd:12::1").as_deref(), Some("2001:db8:abcd::/48"));
        assert_eq!(network_of("::ffff:203.0.113.9").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network_of("not an address"), None);
    }

    #[test]
    fn honeypot_and_the_signed_start_are_checked_and_removed() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap();
        let links = LinkSigner::random();
        let token = |at: DateTime<Utc>| super::super::webform::start_token(&links, "inquiry", at, 24).unwrap();
        let ten_ago = token(now - chrono::Duration::seconds(10));
        let mut ok = fields(&[("website", ""), ("form_start", &ten_ago), ("phone", "x")]);
        assert_eq!(spam_check(&settings(), &links, &mut ok, now), Ok(()));
        assert_eq!(ok.keys().collect::<Vec<_>>(), vec!["phone"], "screening fields never reach the lead");
        let mut bot = fields(&[("website", "http://spam"), ("form_start", &ten_ago)]);
        assert_eq!(codes(spam_check(&settings(), &links, &mut bot, now)), vec!["honeypot_filled"]);
        let mut fast = fields(&[("form_start", &token(now - chrono::Duration::seconds(1)))]);
        assert_eq!(codes(spam_check(&settings(), &links, &mut fast, now)), vec!["submitted_too_fast"]);
        let mut missing = fields(&[]);
        assert_eq!(codes(spam_check(&settings(), &links, &mut missing, now)), vec!["form_start_missing"]);
        // An epoch time, a token from another key, or one with its time edited: not valid.
        for forged in [
            (now - chrono::Duration::seconds(60)).timestamp_millis().to_string(),
            LinkSigner::random()
                .sign(
                    super::super::webform::FORM_START,
                    &format!("inquiry:{}", (now - chrono::Duration::seconds(60)).timestamp_millis()),
                    now + chrono::Duration::hours(1),
                )
                .unwrap(),
        ] {
            let mut f = fields(&[("form_start", &forged)]);
            assert_eq!(codes(spam_check(&settings(), &links, &mut f, now)), vec!["form_start_invalid"], "{forged}");
        }
        let mut old = fields(&[("form_start", &token(now - chrono::Duration::hours(25)))]);
        assert_eq!(codes(spam_check(&settings(), &links, &mut old, now)), vec!["form_expired"]);
        // Off: no token needed, but one sent is still checked; no key: unavailable, not refused.
        let off = SpamSettings { min_fill_seconds: 0, ..settings() };
        assert_eq!(spam_check(&off, &links, &mut fields(&[]), now), Ok(()));
        assert_eq!(codes(spam_check(&off, &links, &mut fields(&[("form_start", "garbage")]), now)), vec!["form_start_invalid"]);
        assert_eq!(
            spam_check(&off, &LinkSigner::unconfigured(), &mut fields(&[("form_start", &ten_ago)]), now),
            Err(Screening::Unavailable)
        );
    }
}
