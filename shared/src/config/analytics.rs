//! `[attribution]` and `[reports]`: the attribution models' parameters, the default milestone,
//! the source-name table, and who receives the weekly summary.
//!
//! ```toml
//! [attribution]
//! half_life_days = 7          # time decay
//! first_percent = 40          # position-based: first touch
//! last_percent = 40           #                 last touch (the rest goes to the middle)
//! default_milestone = "converted"   # or "booked", "qualified"
//!
//! [attribution.source_aliases]
//! facebook = ["fb", "facebook.com", "m.facebook.com", "l.facebook.com"]
//!
//! [reports]
//! weekly_recipients = ["owner@harborhealth.example"]
//! ```

use super::locate::KeyPath;
use super::validate::Problems;
use crate::domain::analytics::{AnalyticsSettings, Milestone, SourceAliases};
use crate::domain::Email;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttribution {
    /// Time-decay half-life in days (fractions allowed, at least one hour).
    pub half_life_days: Option<f64>,
    pub first_percent: Option<u8>,
    pub last_percent: Option<u8>,
    pub default_milestone: Option<String>,
    /// Canonical source name -> the spellings that mean it.
    #[serde(default)]
    pub source_aliases: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReports {
    /// Staff addresses the weekly summary goes to (none: it is not sent).
    #[serde(default)]
    pub weekly_recipients: Vec<String>,
    /// Sources listed by name in the weekly summary (the rest are summed as "others").
    pub weekly_top_sources: Option<usize>,
}

/// The validated sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsConfig {
    pub half_life_hours: u32,
    pub first_percent: u8,
    pub last_percent: u8,
    pub default_milestone: Milestone,
    pub aliases: SourceAliases,
    pub weekly_recipients: Vec<Email>,
    pub weekly_top_sources: usize,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            half_life_hours: 7 * 24,
            first_percent: 40,
            last_percent: 40,
            default_milestone: Milestone::Converted,
            aliases: SourceAliases::default(),
            weekly_recipients: Vec::new(),
            weekly_top_sources: 5,
        }
    }
}

impl super::Config {
    /// What a lead's contribution to the report counters depends on.
    pub fn analytics_settings(&self) -> AnalyticsSettings {
        let a = &self.analytics;
        AnalyticsSettings::new(
            self.organization.time_zone,
            self.organization.currency.clone(),
            a.half_life_hours,
            a.first_percent,
            a.last_percent,
        )
    }

    /// Whether a lead of this service line is kept out of analytics and exports (42 CFR Part 2):
    /// the one rule, [`super::Config::is_part2_line`] (what `app::privacy` applies).
    pub fn is_part2(&self, line: &crate::domain::ServiceLineId) -> bool {
        self.is_part2_line(line)
    }
}

/// Validates `[attribution]` and `[reports]`.
pub(super) fn validate(attribution: &RawAttribution, reports: &RawReports, p: &mut Problems<'_>) -> AnalyticsConfig {
    let mut out = AnalyticsConfig::default();
    let at = KeyPath::root().key("attribution");
    if let Some(days) = attribution.half_life_days {
        let hours = (days * 24.0).round();
        if !days.is_finite() || !(1.0..=24.0 * 365.0).contains(&hours) {
            p.add(&at.key("half_life_days"), "must be between one hour (0.042) and 365 days");
        } else {
            out.half_life_hours = hours as u32;
        }
    }
    out.first_percent = attribution.first_percent.unwrap_or(40);
    out.last_percent = attribution.last_percent.unwrap_or(40);
    if u16::from(out.first_percent) + u16::from(out.last_percent) > 100 {
        let key = if attribution.last_percent.is_some() { "last_percent" } else { "first_percent" };
        p.add(&at.key(key), "first_percent and last_percent must add up to at most 100");
    }
    if let Some(m) = &attribution.default_milestone {
        match Milestone::parse(m) {
            Some(m) => out.default_milestone = m,
            None => p.add(&at.key("default_milestone"), "must be converted, booked or qualified"),
        }
    }
    for (canonical, aliases) in &attribution.source_aliases {
        let here = at.key("source_aliases").key(canonical);
        if canonical.trim().is_empty() {
            p.add(&here, "a canonical source name must not be empty");
        }
        for (i, a) in aliases.iter().enumerate() {
            if a.trim().is_empty() {
                p.add(&here.index(i), "an alias must not be empty");
            }
        }
    }
    match SourceAliases::new(attribution.source_aliases.iter().map(|(k, v)| (k.as_str(), v.as_slice()))) {
        Ok(t) => out.aliases = t,
        Err(conflicts) => {
            for c in conflicts {
                let list = &attribution.source_aliases[&c.second];
                let i = list.iter().position(|a| crate::domain::analytics::dimension::clean_value(a) == c.alias).unwrap_or(0);
                p.add(&at.key("source_aliases").key(&c.second).index(i), c.to_string());
            }
        }
    }
    let rt = KeyPath::root().key("reports");
    for (i, r) in reports.weekly_recipients.iter().enumerate() {
        match Email::parse(r) {
            Ok(e) => out.weekly_recipients.push(e),
            Err(_) => p.add(&rt.key("weekly_recipients").index(i), "is not an email address"),
        }
    }
    if let Some(n) = reports.weekly_top_sources {
        if !(1..=50).contains(&n) {
            p.add(&rt.key("weekly_top_sources"), "must be between 1 and 50");
        } else {
            out.weekly_top_sources = n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn with(extra: &str) -> Result<Config, crate::config::ConfigError> {
        let base = crate::config::DEFAULT_CONFIG.split("\n[attribution]").next().unwrap().split("\n[reports]").next().unwrap().to_string();
        Config::from_toml(&format!("{base}\n{extra}"), "test.toml")
    }

    #[test]
    fn the_shipped_file_has_aliases_and_part2() {
        let c = Config::embedded_default().unwrap();
        assert_eq!(c.analytics.aliases.normalize("m.facebook.com"), "facebook");
        assert!(c.is_part2(&crate::domain::ServiceLineId::parse("addiction_treatment").unwrap()));
        assert!(!c.is_part2(&crate::domain::ServiceLineId::parse("med_spa").unwrap()));
        assert_eq!(c.analytics.half_life_hours, 168);
    }

    #[test]
    fn mistakes_name_their_key() {
        let err = with("[attribution]\nfirst_percent = 70\nlast_percent = 40\ndefault_milestone = \"paid\"\n").unwrap_err().to_string();
        assert!(err.contains("`attribution.last_percent`: first_percent and last_percent must add up to at most 100"), "{err}");
        assert!(err.contains("`attribution.default_milestone`: must be converted, booked or qualified"), "{err}");
        let err = with("[attribution.source_aliases]\nfacebook = [\"fb\"]\nfbads = [\"x\", \"FB\"]\n").unwrap_err().to_string();
        assert!(err.contains("`attribution.source_aliases.fbads[1]`: `fb` is listed for both `facebook` and `fbads`"), "{err}");
        let err = with("[reports]\nweekly_recipients = [\"not-an-address\"]\n").unwrap_err().to_string();
        assert!(err.contains("`reports.weekly_recipients[0]`: is not an email address"), "{err}");
        let c = with("[attribution]\nhalf_life_days = 3.5\n").unwrap();
        assert_eq!(c.analytics.half_life_hours, 84);
    }
}
