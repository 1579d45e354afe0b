//! `[console]`: how the staff console behaves.
//!
//! ```toml
//! [console]
//! idle_minutes = 15        # signed out after this long without a page or an action (HIPAA automatic logoff)
//! session_hours = 12       # at most this long after signing in, idle or not
//! refresh_seconds = 5      # how often open pages look for changes (a new lead, a reply)
//! reassign_reasons = ["workload", "language", "specialty", "shift", "person_request", "escalation", "other"]
//! ```

use super::locate::KeyPath;
use super::validate::Problems;
use crate::domain::ServiceLineId;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    pub idle_minutes: Option<u32>,
    pub session_hours: Option<u32>,
    pub refresh_seconds: Option<u32>,
    pub reassign_reasons: Option<Vec<String>>,
}

/// The validated section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// Minutes without a page view or an action before the session ends (1 to 240). Background
    /// refreshes do not count as activity.
    pub idle_minutes: u32,
    /// Hours after sign-in when the session ends however active it is (1 to 24).
    pub session_hours: u32,
    /// Seconds between an open page's checks for changes (2 to 60).
    pub refresh_seconds: u32,
    /// Why a lead may be given to someone else (lower-case codes); the first is the default.
    pub reassign_reasons: Vec<String>,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings { idle_minutes: 15, session_hours: 12, refresh_seconds: 5, reassign_reasons: default_reasons() }
    }
}

fn default_reasons() -> Vec<String> {
    ["workload", "language", "specialty", "shift", "person_request", "escalation", "other"].map(String::from).to_vec()
}

/// Validates `[console]`.
pub(super) fn validate(raw: &RawConsole, p: &mut Problems<'_>) -> ConsoleSettings {
    let here = KeyPath::root().key("console");
    let mut out = ConsoleSettings::default();
    let mut number = |key: &str, value: Option<u32>, range: std::ops::RangeInclusive<u32>, into: &mut u32| {
        if let Some(v) = value {
            if range.contains(&v) {
                *into = v;
            } else {
                p.add(&here.key(key), format!("must be from {} to {}", range.start(), range.end()));
            }
        }
    };
    number("idle_minutes", raw.idle_minutes, 1..=240, &mut out.idle_minutes);
    number("session_hours", raw.session_hours, 1..=24, &mut out.session_hours);
    number("refresh_seconds", raw.refresh_seconds, 2..=60, &mut out.refresh_seconds);
    if let Some(reasons) = &raw.reassign_reasons {
        for (i, r) in reasons.iter().enumerate() {
            if ServiceLineId::parse(r).is_none() {
                p.add(&here.key("reassign_reasons").index(i), "must be a lower-case code (letters, digits, underscores)");
            }
        }
        if reasons.is_empty() {
            p.add(&here.key("reassign_reasons"), "must list at least one reason");
        }
        out.reassign_reasons = reasons.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn defaults_apply_and_bad_values_are_named() {
        let c = Config::embedded_default().unwrap();
        assert_eq!(c.console.idle_minutes, 15);
        assert!(c.console.reassign_reasons.contains(&"workload".to_string()));
        let src = crate::config::DEFAULT_CONFIG.to_string() + "\n[console]\nidle_minutes = 0\nreassign_reasons = [\"Too Busy\"]\n";
        let err = Config::from_toml(&src, "t").unwrap_err().to_string();
        assert!(err.contains("console.idle_minutes") && err.contains("must be from 1 to 240"), "{err}");
        assert!(err.contains("console.reassign_reasons[0]"), "{err}");
    }
}
