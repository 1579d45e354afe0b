//! Where a lead came from: the channel and the campaign tags that came with it.

use super::text::Label;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// The channel an inquiry arrived through.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum SourceChannel {
        WebForm => "web_form",
        PhoneCall => "phone_call",
        Chat => "chat",
        SocialDm => "social_dm",
        PhysicianReferral => "physician_referral",
        PatientReferral => "patient_referral",
        Event => "event",
        WalkIn => "walk_in",
        PaidAd => "paid_ad",
        Other => "other",
    }
    parse(s) => s.trim();
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
    // Attribution detail. The keyword is `utm_term`; the ad group and the creative
    // have fields of their own (`creative` falls back to `utm_content` where a page sends only
    // that), and Microsoft Advertising's click id joins Google's and Meta's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_group: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creative: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msclkid: Option<Label>,
    /// TikTok's click id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttclid: Option<Label>,
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
    /// What the site's snippet knew about the visitor before the inquiry (first-party cookie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<Journey>,
}

/// One arrival on the site with what brought the visitor (tags, click ids, referrer, landing
/// page) and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touch {
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub detail: SourceDetail,
}

/// The visitor's way to the inquiry: the first and the latest touch kept in the site's
/// first-party cookie, how many visits it counted, and (when the site's visitor accepted
/// analytics) the anonymous visitor id whose page views and key events join the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    pub first: Touch,
    pub latest: Touch,
    /// Visits (sessions) up to and including the one of the inquiry.
    pub visits: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<VisitorId>,
}

impl Journey {
    /// Time from the first visit to `inquiry_at` (never negative).
    pub fn lead_time(&self, inquiry_at: DateTime<Utc>) -> chrono::Duration {
        (inquiry_at - self.first.at).max(chrono::Duration::zero())
    }
}

/// An anonymous visitor id made by the site's snippet (random, URL-safe): it names a browser,
/// never a person, until that browser sends the form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VisitorId(String);

impl VisitorId {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let ok = (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| VisitorId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VisitorId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        VisitorId::parse(&value).ok_or_else(|| "a visitor id is 16-64 URL-safe characters".to_string())
    }
}

impl From<VisitorId> for String {
    fn from(v: VisitorId) -> String {
        v.0
    }
}
