//! `[spam]`, `[test_records]`, `[contact_validation]` and `[archive]`: what intake
//! refuses as automated or abusive, which submissions are the team's own tests, how contact
//! details are checked, and when unresponsive leads are archived and their personal data expires.

use super::locate::KeyPath;
use super::validate::Problems;
use super::ServiceLine;
use crate::domain::{Email, Phone, Region, ServiceLineId};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpam {
    /// A field the form hides from people (CSS); anything in it means a bot filled the form.
    pub honeypot_field: Option<String>,
    /// The field carrying when the form was shown (epoch milliseconds, set by the page's script).
    pub start_field: Option<String>,
    /// Submissions faster than this after the form was shown are refused.
    #[serde(default)]
    pub min_fill_seconds: u32,
    /// A start time older than this is refused too (a replayed or invented value).
    pub max_form_age_hours: Option<u32>,
    #[serde(default)]
    pub rate_limits: RawRateLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimits {
    pub per_ip: Option<RawLimit>,
    pub per_phone: Option<RawLimit>,
    /// Per network: an IPv4 /24 or an IPv6 /48 (one bot farm rotating addresses).
    pub per_network: Option<RawLimit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimit {
    pub limit: u32,
    pub window_seconds: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTestRecords {
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    /// Test leads older than this are deleted by the hygiene job.
    pub delete_after_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContactValidation {
    /// Domains added to the built-in list of disposable-address providers.
    #[serde(default)]
    pub extra_disposable_domains: Vec<String>,
    /// Domains never flagged (a practice's own domain that happens to be on a list).
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Look up the email domain's MX records at intake (network; off by default).
    #[serde(default)]
    pub mx_check: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    /// Days without activity after which an open lead is archived (`unresponsive`); 0 = never.
    #[serde(default)]
    pub unresponsive_after_days: u32,
    /// Per service line (`implants = 90`).
    #[serde(default)]
    pub service_lines: BTreeMap<String, u32>,
    /// Days after archiving when the lead's personal data expires (DynamoDB TTL); 0 = never.
    #[serde(default)]
    pub retention_days: u32,
}

/// One rate limit: at most `limit` submissions per fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window_seconds: u32,
}

/// The validated spam settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpamSettings {
    pub honeypot_field: Option<String>,
    pub start_field: Option<String>,
    pub min_fill_seconds: u32,
    pub max_form_age_hours: u32,
    pub per_ip: Option<RateLimit>,
    pub per_phone: Option<RateLimit>,
    /// Per IPv4 /24 or IPv6 /48.
    pub per_network: Option<RateLimit>,
}

/// Submissions that are the team's own tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestRecordSettings {
    pub emails: BTreeSet<String>,
    pub phones: BTreeSet<String>,
    pub domains: BTreeSet<String>,
    pub delete_after_days: u32,
}

impl TestRecordSettings {
    /// Whether a lead with these contact details is a test record.
    pub fn matches(&self, phone: Option<&Phone>, email: Option<&Email>) -> bool {
        phone.is_some_and(|p| self.phones.contains(p.as_e164()))
            || email.is_some_and(|e| {
                self.emails.contains(e.as_str()) || self.domains.iter().any(|d| e.domain() == d || e.domain().ends_with(&format!(".{d}")))
            })
    }
}

/// Contact validation settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactValidationSettings {
    pub extra_disposable_domains: BTreeSet<String>,
    pub allowed_domains: BTreeSet<String>,
    pub mx_check: bool,
}

/// Archiving and retention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveSettings {
    pub unresponsive_after_days: u32,
    pub service_lines: BTreeMap<ServiceLineId, u32>,
    pub retention_days: u32,
}

impl ArchiveSettings {
    /// Days of silence after which a lead of `line` is archived; `None` = never.
    pub fn after_days(&self, line: &ServiceLineId) -> Option<u32> {
        let days = self.service_lines.get(line).copied().unwrap_or(self.unresponsive_after_days);
        (days > 0).then_some(days)
    }
}

/// Everything the data-quality sections configure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataQualityConfig {
    pub spam: SpamSettings,
    pub test_records: TestRecordSettings,
    pub contact_validation: ContactValidationSettings,
    pub archive: ArchiveSettings,
}

fn field_name_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn domain_ok(s: &str) -> bool {
    Email::parse(&format!("x@{s}")).is_ok_and(|e| e.domain() == s)
}

pub(super) fn limit(raw: &Option<RawLimit>, path: &KeyPath, p: &mut Problems) -> Option<RateLimit> {
    let r = raw.as_ref()?;
    if r.limit == 0 {
        p.add(&path.key("limit"), "must be at least 1");
    }
    if r.window_seconds == 0 || r.window_seconds > 7 * 86_400 {
        p.add(&path.key("window_seconds"), "must be between 1 and 604800 (a week)");
    }
    Some(RateLimit { limit: r.limit, window_seconds: r.window_seconds })
}

/// Validates the four sections, reporting each problem with its key.
pub(super) fn validate(
    spam: &RawSpam,
    tests: &RawTestRecords,
    contact: &RawContactValidation,
    archive: &RawArchive,
    region: Region,
    service_lines: &BTreeMap<ServiceLineId, ServiceLine>,
    p: &mut Problems,
) -> DataQualityConfig {
    let root = KeyPath::root();
    let sp = root.key("spam");
    for (key, value) in [("honeypot_field", &spam.honeypot_field), ("start_field", &spam.start_field)] {
        if let Some(v) = value {
            if !field_name_ok(v) {
                p.add(&sp.key(key), "must be a form field name (letters, digits, _ and -, at most 64)");
            }
        }
    }
    if spam.honeypot_field.is_some() && spam.honeypot_field == spam.start_field {
        p.add(&sp.key("start_field"), "must differ from honeypot_field");
    }
    if spam.min_fill_seconds > 0 && spam.start_field.is_none() {
        p.add(&sp.key("min_fill_seconds"), "needs start_field (the field that carries when the form was shown)");
    }
    if spam.min_fill_seconds > 3600 {
        p.add(&sp.key("min_fill_seconds"), "must be at most 3600");
    }
    let max_age = spam.max_form_age_hours.unwrap_or(24);
    if max_age == 0 || max_age > 24 * 30 {
        p.add(&sp.key("max_form_age_hours"), "must be between 1 and 720");
    }
    let rl = sp.key("rate_limits");
    let spam = SpamSettings {
        honeypot_field: spam.honeypot_field.clone(),
        start_field: spam.start_field.clone(),
        min_fill_seconds: spam.min_fill_seconds,
        max_form_age_hours: max_age,
        per_ip: limit(&spam.rate_limits.per_ip, &rl.key("per_ip"), p),
        per_phone: limit(&spam.rate_limits.per_phone, &rl.key("per_phone"), p),
        per_network: limit(&spam.rate_limits.per_network, &rl.key("per_network"), p),
    };

    let tp = root.key("test_records");
    let mut test_records = TestRecordSettings { delete_after_days: tests.delete_after_days.unwrap_or(7), ..Default::default() };
    for (i, e) in tests.emails.iter().enumerate() {
        match Email::parse(e) {
            Ok(e) => {
                test_records.emails.insert(e.as_str().to_string());
            }
            Err(_) => p.add(&tp.key("emails").index(i), "is not an email address"),
        }
    }
    for (i, ph) in tests.phones.iter().enumerate() {
        match Phone::parse(ph, region) {
            Ok(ph) => {
                test_records.phones.insert(ph.as_e164().to_string());
            }
            Err(_) => p.add(&tp.key("phones").index(i), "is not a valid phone number"),
        }
    }
    for (i, d) in tests.domains.iter().enumerate() {
        let d = d.trim().to_lowercase();
        if domain_ok(&d) {
            test_records.domains.insert(d);
        } else {
            p.add(&tp.key("domains").index(i), "is not a domain name (for example example.com)");
        }
    }
    if test_records.delete_after_days == 0 {
        p.add(&tp.key("delete_after_days"), "must be at least 1");
    }

    let cp = root.key("contact_validation");
    let mut domains = |list: &[String], key: &str| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, d) in list.iter().enumerate() {
            let d = d.trim().to_lowercase();
            if domain_ok(&d) {
                out.insert(d);
            } else {
                p.add(&cp.key(key).index(i), "is not a domain name (for example example.com)");
            }
        }
        out
    };
    let contact_validation = ContactValidationSettings {
        extra_disposable_domains: domains(&contact.extra_disposable_domains, "extra_disposable_domains"),
        allowed_domains: domains(&contact.allowed_domains, "allowed_domains"),
        mx_check: contact.mx_check,
    };

    let ap = root.key("archive");
    let mut lines = BTreeMap::new();
    for (id, days) in &archive.service_lines {
        let line = ServiceLineId::parse(id);
        match line {
            Some(l) if service_lines.contains_key(&l) => {
                lines.insert(l, *days);
            }
            _ => p.add(&ap.key("service_lines").key(id), "is not a configured service line"),
        }
    }
    let archiving = archive.unresponsive_after_days > 0 || lines.values().any(|d| *d > 0);
    if archive.retention_days > 0 && !archiving {
        p.add(&ap.key("retention_days"), "needs unresponsive_after_days (nothing is archived otherwise)");
    }
    if archive.retention_days > 0 && archive.retention_days < 30 {
        p.add(&ap.key("retention_days"), "must be at least 30 (or 0 to keep archived leads)");
    }
    DataQualityConfig {
        spam,
        test_records,
        contact_validation,
        archive: ArchiveSettings {
            unresponsive_after_days: archive.unresponsive_after_days,
            service_lines: lines,
            retention_days: archive.retention_days,
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, DEFAULT_CONFIG};

    fn problems(extra_replace: &[(&str, &str)]) -> Vec<String> {
        let mut text = DEFAULT_CONFIG.to_string();
        for (from, to) in extra_replace {
            assert!(text.contains(from), "{from}");
            text = text.replace(from, to);
        }
        match Config::from_toml(&text, "t.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.iter().map(|p| format!("{}@{}: {}", p.key, p.line.unwrap_or(0), p.message)).collect(),
        }
    }

    #[test]
    fn the_shipped_sections_load() {
        let c = Config::embedded_default().unwrap();
        assert_eq!(c.data_quality.spam.honeypot_field.as_deref(), Some("website"));
        assert_eq!(c.data_quality.archive.after_days(&crate::domain::ServiceLineId::parse("franchise").unwrap()), Some(120));
        assert_eq!(c.data_quality.archive.after_days(&crate::domain::ServiceLineId::parse("med_spa").unwrap()), Some(60));
        assert!(c.data_quality.test_records.domains.contains("leadflow.test"));
    }

    #[test]
    fn bad_values_name_their_key_and_line() {
        let p = problems(&[
            ("phones = []", "phones = [\"call me\"]"),
            ("domains = [\"leadflow.test\"]", "domains = [\"not a domain\"]"),
            ("franchise = 120", "nosuchline = 120"),
            ("min_fill_seconds = 0", "min_fill_seconds = 5000"),
            ("per_ip = { limit = 20, window_seconds = 3600 }", "per_ip = { limit = 0, window_seconds = 3600 }"),
        ]);
        let line_of = |needle: &str| DEFAULT_CONFIG.lines().position(|l| l.contains(needle)).unwrap() + 1;
        assert!(p.iter().any(|m| m.starts_with(&format!("test_records.phones[0]@{}", line_of("phones = []")))), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("test_records.domains[0]@")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("archive.service_lines.nosuchline@")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("spam.min_fill_seconds@")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("spam.rate_limits.per_ip.limit@")), "{p:?}");
        assert!(p.iter().all(|m| !m.contains("@0:")), "every problem has a line: {p:?}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let p = problems(&[("mx_check = false", "mx_check = false\nmx_chek = true")]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("mx_chek") || p[0].starts_with("contact_validation"), "{p:?}");
    }
}
