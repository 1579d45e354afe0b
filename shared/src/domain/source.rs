//! Where a lead came from: the channel and the campaign tags that came with it.

use super::text::Label;
use serde::{Deserialize, Serialize};

/// The channel an inquiry arrived through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceChannel {
    WebForm,
    PhoneCall,
    Chat,
    SocialDm,
    PhysicianReferral,
    PatientReferral,
    Event,
    WalkIn,
    PaidAd,
    Other,
}

impl SourceChannel {
    pub const ALL: [SourceChannel; 10] = [
        SourceChannel::WebForm,
        SourceChannel::PhoneCall,
        SourceChannel::Chat,
        SourceChannel::SocialDm,
        SourceChannel::PhysicianReferral,
        SourceChannel::PatientReferral,
        SourceChannel::Event,
        SourceChannel::WalkIn,
        SourceChannel::PaidAd,
        SourceChannel::Other,
    ];

    /// The wire name (`web_form`, `phone_call`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceChannel::WebForm => "web_form",
            SourceChannel::PhoneCall => "phone_call",
            SourceChannel::Chat => "chat",
            SourceChannel::SocialDm => "social_dm",
            SourceChannel::PhysicianReferral => "physician_referral",
            SourceChannel::PatientReferral => "patient_referral",
            SourceChannel::Event => "event",
            SourceChannel::WalkIn => "walk_in",
            SourceChannel::PaidAd => "paid_ad",
            SourceChannel::Other => "other",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// Campaign tags and click ids captured with an inquiry or touchpoint. All optional: what the
/// page knew is kept, nothing is invented.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_term: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_content: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gclid: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbclid: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<Label>,
    // Attribution detail (issue 6). The keyword is `utm_term`; the ad group and the creative
    // have fields of their own (`creative` falls back to `utm_content` where a page sends only
    // that), and Microsoft Advertising's click id joins Google's and Meta's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_group: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creative: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msclkid: Option<Label>,
}

impl SourceDetail {
    /// The keyword that matched the ad (`utm_term`).
    pub fn keyword(&self) -> Option<&Label> {
        self.utm_term.as_ref()
    }

    /// The creative (ad variant): `creative`, else `utm_content`.
    pub fn creative_or_content(&self) -> Option<&Label> {
        self.creative.as_ref().or(self.utm_content.as_ref())
    }
}

/// The lead's origin: its channel and tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub channel: SourceChannel,
    #[serde(default)]
    pub detail: SourceDetail,
}
