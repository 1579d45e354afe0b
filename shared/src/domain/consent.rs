//! Consent per channel, kept with the proof a regulator asks for: which disclosure text
//! (version and hash) was shown, when, on which page, from which address and browser.

use super::channel::ContactChannel;
use super::text::Label;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where and how a consent was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvidence {
    /// The intake channel the consent came through (`web_form`, `chat`, ...).
    pub captured_via: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Label>,
    /// The configured form the box was on (`inquiry`), and the language its text was shown in:
    /// with the text version they say exactly which words the person saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// One channel's consent decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelConsent {
    /// The checkbox state as submitted: `false` records an explicit "no".
    pub granted: bool,
    /// Version of the disclosure text shown next to the checkbox.
    pub text_version: String,
    /// SHA-256 (hex) of that text, so the exact wording can be proven later.
    pub text_sha256: String,
    pub at: DateTime<Utc>,
    pub evidence: ConsentEvidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_via: Option<String>,
}

/// How a consent ends when a staff member changes the address it was given for
/// (`ChannelConsent::revoked_via`): set aside, not refused by the person.
pub const CONTACT_CHANGED: &str = "contact_changed";

impl ChannelConsent {
    /// Granted and not revoked since.
    pub fn is_active(&self) -> bool {
        self.granted && self.revoked_at.is_none()
    }

    /// Set aside because the address it was given for changed (the person said nothing).
    pub fn is_set_aside(&self) -> bool {
        self.revoked_via.as_deref() == Some(CONTACT_CHANGED)
    }
}

/// Consent for each channel; a missing entry means no consent was given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<ChannelConsent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<ChannelConsent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<ChannelConsent>,
}

impl Consents {
    pub fn get(&self, channel: ContactChannel) -> Option<&ChannelConsent> {
        match channel {
            ContactChannel::Sms => self.sms.as_ref(),
            ContactChannel::Call => self.call.as_ref(),
            ContactChannel::Email => self.email.as_ref(),
        }
    }

    pub fn get_mut(&mut self, channel: ContactChannel) -> &mut Option<ChannelConsent> {
        match channel {
            ContactChannel::Sms => &mut self.sms,
            ContactChannel::Call => &mut self.call,
            ContactChannel::Email => &mut self.email,
        }
    }

    /// Whether automated contact on `channel` is currently allowed by this record.
    pub fn allows(&self, channel: ContactChannel) -> bool {
        self.get(channel).is_some_and(ChannelConsent::is_active)
    }
}
