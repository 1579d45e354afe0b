//! `[matching]`: where a pair of records becomes a probable duplicate (queued for review) and
//! where it is merged automatically, how large a blocking-key block may grow, how the daily
//! hygiene job reads changes, and `[matching.survivorship]`, which record's value each field
//! keeps when two records merge.
//!
//! ```toml
//! [matching]
//! review_threshold = 4.5
//! auto_merge_threshold = 6.5
//! max_block = 200
//!
//! [matching.survivorship]
//! default = "most_recent_verified"
//! source_priority = ["phone_call", "web_form", "chat"]
//! fields = { first_name = "longest_non_empty", last_name = "longest_non_empty" }
//! ```

use super::locate::KeyPath;
use super::validate::Problems;
use crate::domain::matching::MatchThresholds;
use crate::domain::merge::{MergeField, Rule, Survivorship};
use crate::domain::SourceChannel;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatching {
    pub review_threshold: Option<f64>,
    pub auto_merge_threshold: Option<f64>,
    pub max_block: Option<usize>,
    /// Leads the hygiene job handles per run at most (the rest wait for the next run).
    pub max_changed_per_run: Option<usize>,
    /// How far back the first run reads (no watermark yet).
    pub initial_lookback_days: Option<u32>,
    /// Changes read again from before the watermark, for writes that landed late.
    pub overlap_seconds: Option<u32>,
    #[serde(default)]
    pub survivorship: RawSurvivorship,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSurvivorship {
    pub default: Option<String>,
    pub source_priority: Option<Vec<String>>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// The validated `[matching]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingConfig {
    pub thresholds: MatchThresholds,
    /// Blocks with more members than this are skipped (their members meet through other keys).
    pub max_block: usize,
    pub max_changed_per_run: usize,
    pub initial_lookback_days: u32,
    pub overlap_seconds: u32,
    pub survivorship: Survivorship,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        MatchingConfig {
            thresholds: MatchThresholds::default(),
            max_block: 200,
            max_changed_per_run: 20_000,
            initial_lookback_days: 30,
            overlap_seconds: 300,
            survivorship: Survivorship::default(),
        }
    }
}

// Config derives Eq: thresholds are validated finite numbers, so equality is total here.
impl Eq for MatchingConfig {}

fn rule(value: &str, path: &KeyPath, p: &mut Problems<'_>) -> Option<Rule> {
    let r = Rule::parse(value.trim());
    if r.is_none() {
        p.add(path, "must be \"most_recent_verified\", \"longest_non_empty\" or \"source_priority\"");
    }
    r
}

/// Validates `[matching]`, reporting each problem with its key.
pub(super) fn validate(raw: &RawMatching, p: &mut Problems<'_>) -> MatchingConfig {
    let here = KeyPath::root().key("matching");
    let mut out = MatchingConfig::default();
    let threshold = |v: Option<f64>, name: &str, default: f64, p: &mut Problems<'_>| match v {
        None => default,
        Some(x) if x.is_finite() && x > 0.0 && x <= 50.0 => x,
        Some(_) => {
            p.add(&here.key(name), "must be a number above 0 and at most 50 (match points)");
            default
        }
    };
    let review = threshold(raw.review_threshold, "review_threshold", out.thresholds.review, p);
    let auto_merge = threshold(raw.auto_merge_threshold, "auto_merge_threshold", out.thresholds.auto_merge, p);
    if auto_merge <= review {
        let key = if raw.auto_merge_threshold.is_some() { "auto_merge_threshold" } else { "review_threshold" };
        p.add(&here.key(key), "auto_merge_threshold must be above review_threshold");
    }
    out.thresholds = MatchThresholds { review, auto_merge };
    match raw.max_block {
        Some(n) if !(2..=10_000).contains(&n) => p.add(&here.key("max_block"), "must be from 2 to 10000"),
        Some(n) => out.max_block = n,
        None => {}
    }
    match raw.max_changed_per_run {
        Some(n) if !(1..=1_000_000).contains(&n) => p.add(&here.key("max_changed_per_run"), "must be from 1 to 1000000"),
        Some(n) => out.max_changed_per_run = n,
        None => {}
    }
    match raw.initial_lookback_days {
        Some(n) if !(1..=3650).contains(&n) => p.add(&here.key("initial_lookback_days"), "must be from 1 to 3650"),
        Some(n) => out.initial_lookback_days = n,
        None => {}
    }
    match raw.overlap_seconds {
        Some(n) if n > 86_400 => p.add(&here.key("overlap_seconds"), "must be at most 86400"),
        Some(n) => out.overlap_seconds = n,
        None => {}
    }
    let sv = here.key("survivorship");
    if let Some(d) = &raw.survivorship.default {
        if let Some(r) = rule(d, &sv.key("default"), p) {
            out.survivorship.default = r;
        }
    }
    if let Some(list) = &raw.survivorship.source_priority {
        let mut channels = Vec::new();
        for (i, c) in list.iter().enumerate() {
            match SourceChannel::parse(c.trim()) {
                Some(ch) if channels.contains(&ch) => p.add(&sv.key("source_priority").index(i), "repeats a channel listed earlier"),
                Some(ch) => channels.push(ch),
                None => p.add(&sv.key("source_priority").index(i), "names no source channel (web_form, phone_call, chat, ...)"),
            }
        }
        out.survivorship.source_priority = channels;
    }
    if !raw.survivorship.fields.is_empty() {
        out.survivorship.fields.clear();
    }
    for (name, value) in &raw.survivorship.fields {
        let path = sv.key("fields").key(name);
        match MergeField::parse(name) {
            Some(f) => {
                if let Some(r) = rule(value, &path, p) {
                    out.survivorship.fields.insert(f, r);
                }
            }
            None => p.add(&path, "names no mergeable field (first_name, last_name, phone, email, date_of_birth, postal_code)"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    /// The shipped configuration with its `[matching]` block replaced by `section`.
    fn with(section: &str) -> Result<Config, crate::config::ConfigError> {
        let src = crate::config::DEFAULT_CONFIG;
        let start = src.find("\n[matching]\n").expect("the shipped file has [matching]");
        let end = src.find("# end of [matching]").expect("the block ends with its marker");
        Config::from_toml(&format!("{}\n{section}\n{}", &src[..start], &src[end..]), "test.toml")
    }

    #[test]
    fn the_shipped_configuration_has_the_default_thresholds() {
        let c = Config::embedded_default().unwrap();
        assert_eq!(c.matching.thresholds, crate::domain::matching::MatchThresholds::default());
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let Err(e) = with("[matching]\nreview_threshold = 7.0\nauto_merge_threshold = 6.0\nmax_block = 1\n") else { panic!("accepted") };
        let keys: Vec<&str> = e.problems.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"matching.auto_merge_threshold"), "{e}");
        assert!(keys.contains(&"matching.max_block"), "{e}");
        assert!(e.problems.iter().all(|p| p.line.is_some()), "{e}");
        let Err(e) = with("[matching.survivorship]\ndefault = \"newest\"\nfields = { phone = \"source_priority\", shoe_size = \"longest_non_empty\" }\nsource_priority = [\"fax\"]\n")
        else {
            panic!("accepted")
        };
        let keys: Vec<&str> = e.problems.iter().map(|p| p.key.as_str()).collect();
        assert!(keys.contains(&"matching.survivorship.default"), "{e}");
        assert!(keys.contains(&"matching.survivorship.fields.shoe_size"), "{e}");
        assert!(keys.contains(&"matching.survivorship.source_priority[0]"), "{e}");
    }
}
