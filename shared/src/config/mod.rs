//! Operator configuration: one TOML file (`config/leadflow.toml`) holding the organization,
//! business hours, consent texts, service lines and message templates. It is loaded and fully
//! validated at start-up, with errors that name the key and line. The file compiled into the
//! executable is the default; a deployment publishes its own to a parameter that the functions
//! read at init, passing over a version that does not validate ([`published`]). Secrets never
//! live here.

mod error;
mod integrations;
mod lists;
mod locate;
mod raw;
mod texts;
mod validate;

// Scoring, routing, SLAs.
pub mod scoring;
pub mod sla;
pub mod team;

// Duplicate detection and merges.
pub mod matching;
// Follow-up cadences.
pub mod cadence;
// Data hygiene.
pub mod data_quality;
// Attribution and KPIs.
pub mod analytics;
// The staff console.
pub mod console;
// Destinations, segment budget, screening limits, pacing, spend, email footer, reminders.
pub mod messaging;
// The embeddable form and the site snippet's beacons.
pub mod forms;
// The configuration published to a parameter, read at init.
pub mod published;
// The configuration reference page held against the types.
#[cfg(test)]
mod reference;

pub use error::{ConfigError, ConfigProblem};
pub use integrations::{KeywordReplies, LifecycleSettings, SourceSettings, WebhookSettings, KEYWORD_PLACEHOLDERS, RATES_NOTICE};
pub use locate::KeyPath;

use crate::domain::business_hours::BusinessHours;
use crate::domain::intake_form::{ConsentTextLookup, IntakeRules};
use crate::domain::money::Currency;
use crate::domain::template::Template;
use crate::domain::webform::{FormSpec, Language};
use crate::domain::{ContactChannel, Region, ServiceLineId};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The configuration shipped with the code, used when no file or published configuration is named.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/leadflow.toml");

/// The service line that is under 42 CFR Part 2 unless its `part2` says otherwise.
pub const DEFAULT_PART2_LINE: &str = "addiction_treatment";

/// Placeholders an acknowledgement text may use. None of them can carry health details.
pub const ACKNOWLEDGEMENT_PLACEHOLDERS: &[&str] = &["first_name", "org_name", "callback_promise", "service_line_name"];

/// Who the messages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub name: String,
    pub time_zone: Tz,
    pub phone_region: Region,
    pub currency: Currency,
    /// The language of the organization's own texts.
    pub language: Language,
}

/// What intake accepts beyond the standard fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntakeSettings {
    pub default_service_line: Option<ServiceLineId>,
    pub ignored_fields: BTreeSet<String>,
    /// Origins (`https://host[:port]`) a browser form post may be redirected back to.
    pub redirect_origins: Vec<String>,
    /// Origins whose pages may post the form from the browser (CORS preflight answers).
    pub cors_origins: Vec<String>,
    /// How long an inquiry may wait for its acknowledgement step and its triage (scoring,
    /// routing, SLA) before the "waiting too long" alarm fires; 0 turns the watch off.
    pub processing_alarm_seconds: u32,
}

/// The default of `[intake] processing_alarm_seconds`: both steps normally finish within
/// seconds of the write.
pub const DEFAULT_PROCESSING_ALARM_SECONDS: u32 = 300;

/// One version of the consent disclosure shown on forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentText {
    pub version: String,
    pub channels: BTreeSet<ContactChannel>,
    /// The language it is written in.
    pub language: Language,
    pub text: String,
    pub sha256: String,
}

/// Patient care or franchise development: they are scored and followed up differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceLineKind {
    Patient,
    Franchise,
}

/// A service line and its message templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    pub id: ServiceLineId,
    pub name: String,
    pub kind: ServiceLineKind,
    pub acknowledgement_sms: Template,
    /// Leads of this line fall under 42 CFR Part 2 (substance use disorder treatment): they are
    /// left out of analytics exports and of every payload sent to a third party
    /// (`app::privacy`).
    pub part2: bool,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub organization: Organization,
    pub business_hours: BusinessHours,
    pub intake: IntakeSettings,
    pub consent_texts: Vec<ConsentText>,
    pub service_lines: BTreeMap<ServiceLineId, ServiceLine>,
    /// Scoring models, urgency phrases, territories.
    pub scoring: scoring::ScoringConfig,
    /// Team members, facilities, on-call schedules, routing rules.
    pub team: crate::domain::routing::Team,
    /// Response-time SLAs, the escalation ladder, team notification texts.
    pub sla: sla::SlaConfig,
    pub lifecycle: LifecycleSettings,
    pub sms_keywords: KeywordReplies,
    pub webhooks: WebhookSettings,
    /// Duplicate thresholds, blocking, survivorship, the hygiene job's window.
    pub matching: matching::MatchingConfig,
    /// Follow-up cadences and the contact rules they obey (quiet hours, daily cap).
    pub followup: cadence::FollowupConfig,
    /// Spam and rate limits, test records, contact validation, archiving.
    pub data_quality: data_quality::DataQualityConfig,
    /// Attribution parameters, the source-name table, report recipients.
    pub analytics: analytics::AnalyticsConfig,
    /// The staff console: idle sign-out, refresh interval, reassignment reasons.
    pub console: console::ConsoleSettings,
    /// Destinations, segment budget, value screening, pacing, spend breaker, email footer,
    /// appointment reminders.
    pub messaging: messaging::MessagingConfig,
    /// The inquiry forms sites embed, by id.
    pub forms: BTreeMap<String, FormSpec>,
    /// The site snippet's page-view and key-event beacons.
    pub web_analytics: forms::WebAnalytics,
}

impl Config {
    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml(source: &str, origin: &str) -> Result<Config, ConfigError> {
        validate::load(source, origin)
    }

    /// Reads and validates a file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            problems: vec![ConfigProblem { key: String::new(), line: None, column: None, message: format!("cannot read the file: {e}") }],
        })?;
        Config::from_toml(&source, &origin)
    }

    /// The file named by `LEADFLOW_CONFIG`, or the embedded default.
    pub fn from_env() -> Result<Config, ConfigError> {
        match std::env::var_os("LEADFLOW_CONFIG") {
            Some(p) if !p.is_empty() => Config::from_file(Path::new(&p)),
            _ => Config::embedded_default(),
        }
    }

    /// The configuration shipped in `config/leadflow.toml`.
    pub fn embedded_default() -> Result<Config, ConfigError> {
        Config::from_toml(DEFAULT_CONFIG, "<embedded config/leadflow.toml>")
    }

    pub fn service_line(&self, id: &ServiceLineId) -> Option<&ServiceLine> {
        self.service_lines.get(id)
    }

    /// The consent text of `version`.
    pub fn consent_text_of(&self, version: &str) -> Option<&ConsentText> {
        self.consent_texts.iter().find(|t| t.version == version)
    }

    /// Whether leads of service line `id` are under 42 CFR Part 2. A line missing from the
    /// configuration counts as Part 2 when its id is `addiction_treatment` (fail closed).
    pub fn is_part2_line(&self, id: &ServiceLineId) -> bool {
        self.service_line(id).map_or(id.as_str() == DEFAULT_PART2_LINE, |l| l.part2)
    }
}

impl IntakeRules for Config {
    fn region(&self) -> Region {
        self.organization.phone_region
    }

    fn currency(&self) -> &Currency {
        &self.organization.currency
    }

    fn knows_service_line(&self, id: &ServiceLineId) -> bool {
        self.service_lines.contains_key(id)
    }

    fn default_service_line(&self) -> Option<&ServiceLineId> {
        self.intake.default_service_line.as_ref()
    }

    fn consent_text(&self, version: Option<&str>, channel: ContactChannel, language: Option<Language>) -> ConsentTextLookup {
        let found = match version {
            Some(v) => match self.consent_text_of(v) {
                Some(t) => t,
                None => return ConsentTextLookup::UnknownVersion,
            },
            // The current text for a channel is the last one listed that covers it, in the
            // form's language (the organization's when the form does not say).
            None => {
                let language = language.unwrap_or(self.organization.language);
                match self.consent_texts.iter().rev().find(|t| t.channels.contains(&channel) && t.language == language) {
                    Some(t) => t,
                    None => return ConsentTextLookup::NoneConfigured,
                }
            }
        };
        if !found.channels.contains(&channel) {
            return ConsentTextLookup::NotForChannel;
        }
        ConsentTextLookup::Found { version: found.version.clone(), sha256: found.sha256.clone() }
    }

    fn is_ignored_field(&self, name: &str) -> bool {
        self.intake.ignored_fields.contains(name)
    }

    fn form(&self, id: &str) -> Option<&FormSpec> {
        self.forms.get(id)
    }
}
