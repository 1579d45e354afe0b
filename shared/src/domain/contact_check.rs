//! Contact validation beyond syntax: what the phone number's numbering-plan metadata
//! says about its line, and whether an email domain is a throwaway service or cannot receive
//! mail at all. The results are flags kept on the lead (shown by `GET /leads/{id}`), never a
//! reason to drop a value: a person who typed a landline still wants a call.
//!
//! Everything here runs without network. The optional MX lookup is a port
//! (`ports::mail_domains`) whose answer is folded in with [`with_mx`].

use super::email::Email;
use super::phone::{LineType, Phone};
use crate::domain::string_enum::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The built-in disposable-domain list (see the file's header for its source).
const DISPOSABLE_LIST: &str = include_str!("disposable_domains.txt");

/// Reserved names (RFC 2606, RFC 6761) and local-only suffixes that never receive mail.
const NON_DELIVERABLE_SUFFIXES: &[&str] = &["test", "example", "invalid", "localhost", "local", "internal", "lan", "home.arpa"];
const NON_DELIVERABLE_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];

/// One problem found with a contact value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContactFlag {
    /// `phone` or `email`.
    pub field: String,
    pub code: FlagCode,
}

string_enum! {
    /// What was found.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FlagCode {
        /// A fixed line: no texts (the consent gate refuses them).
        Landline => "landline",
        /// A toll-free number: no texts.
        TollFree => "toll_free",
        /// The numbering plan cannot tell mobile from landline (the US and the rest of NANP, offline):
        /// texts are attempted, and a carrier refusal is recorded.
        LineTypeUnknown => "line_type_unknown",
        /// A throwaway mailbox service.
        DisposableDomain => "disposable_domain",
        /// A reserved or local-only domain that can never receive mail (`example.com`, `.test`).
        UndeliverableDomain => "undeliverable_domain",
        /// The domain publishes no mail exchanger (only with the optional MX check).
        NoMailExchanger => "no_mail_exchanger",
    }
}

fn builtin() -> &'static BTreeSet<&'static str> {
    static SET: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| DISPOSABLE_LIST.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect())
}

/// Number of domains in the built-in disposable list.
pub fn builtin_disposable_count() -> usize {
    builtin().len()
}

/// `domain` and each parent domain (`a.b.com`, `b.com`, `com`).
fn suffixes(domain: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(domain), |d| d.split_once('.').map(|(_, rest)| rest))
}

/// The lists a domain is checked against: the built-in one plus the operator's.
#[derive(Debug, Clone, Copy)]
pub struct DomainLists<'a> {
    pub extra_disposable: &'a BTreeSet<String>,
    pub allowed: &'a BTreeSet<String>,
}

/// Whether `domain` (or a parent) is a disposable-mail service.
pub fn is_disposable(domain: &str, lists: DomainLists<'_>) -> bool {
    if suffixes(domain).any(|d| lists.allowed.contains(d)) {
        return false;
    }
    suffixes(domain).any(|d| builtin().contains(d) || lists.extra_disposable.contains(d))
}

/// Whether `domain` can never receive mail (reserved for documentation or local use).
pub fn is_undeliverable(domain: &str) -> bool {
    NON_DELIVERABLE_DOMAINS.contains(&domain)
        || suffixes(domain).any(|d| NON_DELIVERABLE_SUFFIXES.contains(&d) || NON_DELIVERABLE_DOMAINS.contains(&d))
}

/// What the line-type metadata says, as a flag (none for a known mobile or VoIP number).
pub fn phone_flag(phone: &Phone) -> Option<FlagCode> {
    match phone.line_type() {
        LineType::FixedLine => Some(FlagCode::Landline),
        LineType::TollFree => Some(FlagCode::TollFree),
        LineType::FixedLineOrMobile | LineType::Other => Some(FlagCode::LineTypeUnknown),
        LineType::Mobile | LineType::Voip => None,
    }
}

/// What is wrong with an email address's domain, offline.
pub fn email_flag(email: &Email, lists: DomainLists<'_>) -> Option<FlagCode> {
    let domain = email.domain();
    if is_undeliverable(domain) {
        Some(FlagCode::UndeliverableDomain)
    } else if is_disposable(domain, lists) {
        Some(FlagCode::DisposableDomain)
    } else {
        None
    }
}

/// Every offline flag for a contact.
pub fn check(phone: Option<&Phone>, email: Option<&Email>, lists: DomainLists<'_>) -> Vec<ContactFlag> {
    let mut out = Vec::new();
    if let Some(code) = phone.and_then(phone_flag) {
        out.push(ContactFlag { field: "phone".into(), code });
    }
    if let Some(code) = email.and_then(|e| email_flag(e, lists)) {
        out.push(ContactFlag { field: "email".into(), code });
    }
    out
}

/// Adds the MX lookup's answer: `Some(false)` (no mail exchanger) flags the email.
pub fn with_mx(mut flags: Vec<ContactFlag>, has_mx: Option<bool>) -> Vec<ContactFlag> {
    let already = flags.iter().any(|f| f.field == "email");
    if has_mx == Some(false) && !already {
        flags.push(ContactFlag { field: "email".into(), code: FlagCode::NoMailExchanger });
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    fn lists<'a>(extra: &'a BTreeSet<String>, allowed: &'a BTreeSet<String>) -> DomainLists<'a> {
        DomainLists { extra_disposable: extra, allowed }
    }

    #[test]
    fn the_builtin_list_has_a_few_hundred_well_known_services() {
        assert!(builtin_disposable_count() > 300, "{}", builtin_disposable_count());
        let none = BTreeSet::new();
        for d in ["mailinator.com", "yopmail.com", "guerrillamail.com", "10minutemail.com", "sharklasers.com"] {
            assert!(is_disposable(d, lists(&none, &none)), "{d}");
        }
        assert!(is_disposable("eu.mailinator.com", lists(&none, &none)), "subdomains match");
        for d in ["gmail.com", "outlook.com", "harborhealth.org", "canada.ca"] {
            assert!(!is_disposable(d, lists(&none, &none)), "{d}");
        }
    }

    #[test]
    fn operator_lists_extend_and_override() {
        let extra = BTreeSet::from(["burner.example.net".to_string()]);
        let allowed = BTreeSet::from(["mailinator.com".to_string()]);
        assert!(is_disposable("burner.example.net", lists(&extra, &allowed)));
        assert!(!is_disposable("mailinator.com", lists(&extra, &allowed)));
    }

    #[test]
    fn reserved_domains_are_undeliverable() {
        for d in ["example.com", "x.example.org", "clinic.test", "host.localhost", "a.invalid"] {
            assert!(is_undeliverable(d), "{d}");
        }
        assert!(!is_undeliverable("examples.com"));
    }

    #[test]
    fn line_types_become_flags() {
        // NANP numbers cannot be told apart offline.
        let us = Phone::parse("201-555-0123", Region::US).unwrap();
        assert_eq!(phone_flag(&us), Some(FlagCode::LineTypeUnknown));
        let toll_free = Phone::parse("800-555-0199", Region::US).unwrap();
        assert_eq!(phone_flag(&toll_free), Some(FlagCode::TollFree));
        let gb: Region = "GB".parse().unwrap();
        assert_eq!(phone_flag(&Phone::parse("07400 123456", gb).unwrap()), None, "a UK mobile");
        assert_eq!(phone_flag(&Phone::parse("020 7946 0000", gb).unwrap()), Some(FlagCode::Landline), "a London landline");
    }

    #[test]
    fn checks_collect_flags_and_mx_adds_one() {
        let none = BTreeSet::new();
        let e = Email::parse("someone@mailinator.com").unwrap();
        let flags = check(None, Some(&e), lists(&none, &none));
        assert_eq!(flags, vec![ContactFlag { field: "email".into(), code: FlagCode::DisposableDomain }]);
        let ok = Email::parse("ann@harborhealth.org").unwrap();
        let flags = with_mx(check(None, Some(&ok), lists(&none, &none)), Some(false));
        assert_eq!(flags, vec![ContactFlag { field: "email".into(), code: FlagCode::NoMailExchanger }]);
        assert!(with_mx(Vec::new(), None).is_empty());
    }
}
