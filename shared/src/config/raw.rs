//! The configuration file as written: plain serde structs that refuse unknown keys. Meaning
//! (time zones, templates, references between sections) is checked in `validate`.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub organization: RawOrganization,
    pub business_hours: RawBusinessHours,
    #[serde(default)]
    pub intake: RawIntake,
    #[serde(default)]
    pub consent_texts: Vec<RawConsentText>,
    #[serde(default)]
    pub service_lines: Vec<RawServiceLine>,
    // Scoring, routing, SLAs: the section types live in scoring.rs, team.rs, sla.rs.
    #[serde(default)]
    pub scoring_models: Vec<super::scoring::RawScoringModel>,
    #[serde(default)]
    pub urgency: super::scoring::RawUrgency,
    #[serde(default)]
    pub territories: Vec<super::scoring::RawTerritory>,
    #[serde(default)]
    pub team: Vec<super::team::RawMember>,
    #[serde(default)]
    pub facilities: Vec<super::team::RawFacility>,
    #[serde(default)]
    pub on_call: Vec<super::team::RawOnCall>,
    #[serde(default)]
    pub routing: super::team::RawRouting,
    #[serde(default)]
    pub sla: super::sla::RawSla,
    #[serde(default)]
    pub notifications: super::sla::RawNotifications,
    #[serde(default)]
    pub lifecycle: super::integrations::RawLifecycle,
    #[serde(default)]
    pub sms_keywords: super::integrations::RawSmsKeywords,
    #[serde(default)]
    pub webhooks: super::integrations::RawWebhooks,
    /// Duplicate detection and merges: see matching.rs.
    #[serde(default)]
    pub matching: super::matching::RawMatching,
    // Follow-up cadences: the section types live in cadence.rs.
    #[serde(default)]
    pub followup: super::cadence::RawFollowup,
    #[serde(default)]
    pub cadences: Vec<super::cadence::RawCadence>,
    // Data hygiene: the section types live in data_quality.rs.
    #[serde(default)]
    pub spam: super::data_quality::RawSpam,
    #[serde(default)]
    pub test_records: super::data_quality::RawTestRecords,
    #[serde(default)]
    pub contact_validation: super::data_quality::RawContactValidation,
    #[serde(default)]
    pub archive: super::data_quality::RawArchive,
    // Attribution and KPIs.
    #[serde(default)]
    pub attribution: super::analytics::RawAttribution,
    #[serde(default)]
    pub reports: super::analytics::RawReports,
    #[serde(default)]
    pub console: super::console::RawConsole,
    #[serde(default)]
    pub messaging: super::messaging::RawMessaging,
    // The embeddable form and the site snippet's beacons.
    #[serde(default)]
    pub forms: Vec<super::forms::RawForm>,
    #[serde(default)]
    pub web_analytics: super::forms::RawWebAnalytics,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganization {
    pub name: String,
    pub time_zone: String,
    #[serde(default = "default_region")]
    pub phone_region: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The language of the organization's own texts (consent texts without a language, forms
    /// that do not say).
    #[serde(default)]
    pub language: Option<String>,
}

fn default_region() -> String {
    "US".into()
}

fn default_currency() -> String {
    "USD".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBusinessHours {
    pub response_minutes: u32,
    pub monday: String,
    pub tuesday: String,
    pub wednesday: String,
    pub thursday: String,
    pub friday: String,
    pub saturday: String,
    pub sunday: String,
    #[serde(default)]
    pub holidays: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntake {
    #[serde(default)]
    pub default_service_line: Option<String>,
    #[serde(default)]
    pub ignored_fields: Vec<String>,
    #[serde(default)]
    pub redirect_origins: Vec<String>,
    /// Origins whose pages may post the form from the browser (CORS); `redirect_origins` when absent.
    #[serde(default)]
    pub cors_origins: Option<Vec<String>>,
    /// Seconds an inquiry may wait for its acknowledgement and triage before the alarm.
    #[serde(default)]
    pub processing_alarm_seconds: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsentText {
    pub version: String,
    pub channels: Vec<String>,
    pub text: String,
    /// The language the text is written in (the organization's when absent).
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServiceLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub acknowledgement_sms: String,
    /// 42 CFR Part 2 handling; on by default for `addiction_treatment`.
    #[serde(default)]
    pub part2: Option<bool>,
}
