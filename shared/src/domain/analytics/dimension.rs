//! What reports group by, and how a lead's or touchpoint's source and campaign become the
//! values stored in the aggregates (lower-cased raw values; the alias table maps them to
//! canonical names when reports are read, so a new alias applies to history at once).

use super::milestone::Milestone;
use crate::domain::source::{SourceChannel, SourceDetail};
use crate::domain::string_enum::string_enum;
use crate::domain::touchpoint::TouchpointKind;
use serde::{Deserialize, Serialize};

/// The value of a dimension a lead or touchpoint has none of (no campaign, no facility).
pub const NONE: &str = "(none)";
/// Where values beyond the per-lead limit of an attribution dimension go.
pub const OTHER: &str = "(other)";
/// Longest stored value, in characters (aggregate keys stay small).
pub const MAX_VALUE_CHARS: usize = 100;

string_enum! {
    /// A report dimension.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Dimension {
        /// Everything together (one value, `all`).
        All => "all",
        Source => "source",
        Campaign => "campaign",
        ServiceLine => "service_line",
        Facility => "facility",
        /// The source channel (web form, phone call, chat, ...): SLA targets are per channel.
        Channel => "channel",
    }
    parse(s) => s.trim();
}

/// A family of counter rows: the funnel (keyed by the lead's capture day) or the attribution of
/// a milestone (keyed by the day the milestone was reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Funnel,
    Attribution(Milestone),
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Funnel,
        Family::Attribution(Milestone::Qualified),
        Family::Attribution(Milestone::Booked),
        Family::Attribution(Milestone::Converted),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Funnel => "funnel",
            Family::Attribution(Milestone::Qualified) => "attr_qualified",
            Family::Attribution(Milestone::Booked) => "attr_booked",
            Family::Attribution(Milestone::Converted) => "attr_converted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A lead's values for the funnel dimensions (fixed at its last reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadDims {
    pub source: String,
    pub campaign: String,
    pub service_line: String,
    pub facility: String,
    pub channel: String,
}

impl LeadDims {
    pub fn value(&self, dimension: Dimension) -> &str {
        match dimension {
            Dimension::All => "all",
            Dimension::Source => &self.source,
            Dimension::Campaign => &self.campaign,
            Dimension::ServiceLine => &self.service_line,
            Dimension::Facility => &self.facility,
            Dimension::Channel => &self.channel,
        }
    }
}

/// A stored value: trimmed, whitespace collapsed, lower-cased, at most [`MAX_VALUE_CHARS`];
/// [`NONE`] when nothing is left.
pub fn clean_value(raw: &str) -> String {
    let v: String = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().chars().take(MAX_VALUE_CHARS).collect();
    if v.is_empty() {
        NONE.to_string()
    } else {
        v
    }
}

/// The host of a referrer URL without `www.` (`https://www.google.com/search?q=x` -> `google.com`).
pub fn referrer_host(referrer: &str) -> Option<String> {
    let r = referrer.trim();
    let rest = r.split_once("://").map_or(r, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?.split(':').next()?.trim().to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty() && host.contains('.')).then_some(host)
}

/// The source name of a touchpoint: its `utm_source`, else the ad platform its click id
/// names, else its referrer's host, else a name for its channel (`direct` for a web visit with
/// no tags, `phone`, `chat`, `physician_referral`, `email` for email engagement, ...).
pub fn source_of(kind: TouchpointKind, channel: SourceChannel, detail: &SourceDetail) -> String {
    if let Some(s) = detail.utm_source.as_ref().map(|s| clean_value(s.as_str())).filter(|s| s != NONE) {
        return s;
    }
    if detail.gclid.is_some() {
        return "google".into();
    }
    if detail.fbclid.is_some() {
        return "facebook".into();
    }
    if detail.msclkid.is_some() {
        return "bing".into();
    }
    if detail.ttclid.is_some() {
        return "tiktok".into();
    }
    if let Some(host) = detail.referrer.as_ref().and_then(|r| referrer_host(r.as_str())) {
        return clean_value(&host);
    }
    if matches!(kind, TouchpointKind::EmailOpen | TouchpointKind::EmailClick) {
        return "email".into();
    }
    channel_source(channel).into()
}

/// The source name of an untagged inquiry through `channel`.
pub fn channel_source(channel: SourceChannel) -> &'static str {
    match channel {
        SourceChannel::WebForm => "direct",
        SourceChannel::PhoneCall => "phone",
        SourceChannel::Chat => "chat",
        SourceChannel::SocialDm => "social",
        SourceChannel::PhysicianReferral => "physician_referral",
        SourceChannel::PatientReferral => "patient_referral",
        SourceChannel::Event => "event",
        SourceChannel::WalkIn => "walk_in",
        SourceChannel::PaidAd => "paid_ad",
        SourceChannel::Other => "other",
    }
}

/// The campaign of a touchpoint (`utm_campaign`), or [`NONE`].
pub fn campaign_of(detail: &SourceDetail) -> String {
    detail.utm_campaign.as_ref().map_or_else(|| NONE.to_string(), |c| clean_value(c.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Label;

    fn label(s: &str) -> Option<Label> {
        Some(Label::parse(s, 1000).unwrap())
    }

    #[test]
    fn sources_come_from_tags_click_ids_referrers_then_the_channel() {
        let web = SourceChannel::WebForm;
        let form = TouchpointKind::FormSubmission;
        let tagged = SourceDetail { utm_source: label("  Facebook "), gclid: label("x"), ..Default::default() };
        assert_eq!(source_of(form, web, &tagged), "facebook");
        assert_eq!(source_of(form, web, &SourceDetail { gclid: label("Cj0"), ..Default::default() }), "google");
        assert_eq!(source_of(form, web, &SourceDetail { msclkid: label("m"), ..Default::default() }), "bing");
        assert_eq!(source_of(form, web, &SourceDetail { ttclid: label("t"), ..Default::default() }), "tiktok");
        let referred = SourceDetail { referrer: label("https://www.Yelp.com/biz/harbor?x=1"), ..Default::default() };
        assert_eq!(source_of(form, web, &referred), "yelp.com");
        assert_eq!(source_of(form, web, &SourceDetail::default()), "direct");
        assert_eq!(source_of(TouchpointKind::Call, SourceChannel::PhoneCall, &SourceDetail::default()), "phone");
        assert_eq!(source_of(TouchpointKind::EmailClick, SourceChannel::Other, &SourceDetail::default()), "email");
        assert_eq!(source_of(TouchpointKind::Referral, SourceChannel::PhysicianReferral, &Default::default()), "physician_referral");
    }

    #[test]
    fn values_are_cleaned_and_bounded() {
        assert_eq!(clean_value("  Spring   Promo "), "spring promo");
        assert_eq!(clean_value("   "), NONE);
        assert_eq!(clean_value(&"x".repeat(500)).len(), MAX_VALUE_CHARS);
        assert_eq!(referrer_host("android-app://com.google.android.gm"), Some("com.google.android.gm".into()));
        assert_eq!(referrer_host("http://localhost:8080/x"), None);
        assert_eq!(referrer_host(""), None);
        assert_eq!(referrer_host("m.facebook.com/story"), Some("m.facebook.com".into()));
        assert_eq!(campaign_of(&SourceDetail::default()), NONE);
    }

    #[test]
    fn names_round_trip() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(d));
        }
        for f in Family::ALL {
            assert_eq!(Family::parse(f.as_str()), Some(f));
        }
    }
}
