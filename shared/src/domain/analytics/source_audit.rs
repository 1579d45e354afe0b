//! The source-tag audit: which leads carry source or campaign tags reports cannot use (a source
//! name the normalization table does not know, a paid visit with no source or no campaign), so
//! staff can correct them. Pure: the analytics consumer keeps the list current as leads are
//! captured and re-tagged; the listing re-checks recognition against the current table.

use super::aliases::SourceAliases;
use super::dimension::{campaign_of, channel_source, source_of, NONE};
use crate::domain::source::SourceChannel;
use crate::domain::string_enum::string_enum;
use crate::domain::text::Label;
use crate::domain::touchpoint::TouchpointKind;
use crate::domain::{Lead, LeadId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest corrected source or campaign value, in characters (as stored in the aggregates).
pub const MAX_TAG_CHARS: usize = super::dimension::MAX_VALUE_CHARS;

string_enum! {
    /// What is wrong with a lead's tags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum SourceIssue {
        /// A paid visit (a click id, a paid `utm_medium`, the paid-ad channel, or a campaign) that
        /// names no source: reports can only file it under its channel.
        SourceMissing => "source_missing",
        /// The source is neither a canonical name, an alias nor one of leadflow's own names.
        SourceUnrecognized => "source_unrecognized",
        /// A paid visit with no `utm_campaign`: its cost cannot be matched to a campaign.
        CampaignMissing => "campaign_missing",
    }
    parse(s) => s.trim();
}

/// One listed lead: its id and tags only (no contact details, no concern).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFlag {
    pub lead_id: LeadId,
    pub captured_at: DateTime<Utc>,
    pub channel: SourceChannel,
    /// The source value reports file the lead under (cleaned, before normalization).
    pub source: String,
    /// The campaign value, or `(none)`.
    pub campaign: String,
    /// The lead's facility as the role matrix reads it (`Lead::facility`: the preferred
    /// facility, lower-cased), `(none)` without one: managers see the leads of their facilities.
    pub facility: String,
    pub issues: Vec<SourceIssue>,
}

impl SourceFlag {
    /// The issues that still hold under the current normalization table (an alias added since
    /// the lead was listed makes its source recognized).
    pub fn current_issues(&self, aliases: &SourceAliases) -> Vec<SourceIssue> {
        self.issues.iter().copied().filter(|i| *i != SourceIssue::SourceUnrecognized || !aliases.is_recognized(&self.source)).collect()
    }
}

const PAID_MEDIUMS: &[&str] = &["cpc", "ppc", "paid", "paidsearch", "paid_search", "paidsocial", "paid_social", "display", "cpm", "cpv"];

/// Whether the lead arrived through paid media.
fn paid(lead: &Lead) -> bool {
    let d = &lead.source.detail;
    lead.source.channel == SourceChannel::PaidAd
        || d.gclid.is_some()
        || d.fbclid.is_some()
        || d.msclkid.is_some()
        || d.utm_medium.as_ref().is_some_and(|m| PAID_MEDIUMS.contains(&m.as_str().trim().to_lowercase().as_str()))
}

/// What is wrong with `lead`'s tags (empty: nothing to correct).
pub fn issues(lead: &Lead, aliases: &SourceAliases) -> Vec<SourceIssue> {
    let kind = TouchpointKind::for_inquiry(lead.source.channel);
    let source = source_of(kind, lead.source.channel, &lead.source.detail);
    let campaign = campaign_of(&lead.source.detail);
    let named = source != channel_source(lead.source.channel) || lead.source.detail.utm_source.is_some();
    let paid = paid(lead);
    let mut out = Vec::new();
    if !named && (paid || campaign != NONE) {
        out.push(SourceIssue::SourceMissing);
    }
    if !aliases.is_recognized(&source) {
        out.push(SourceIssue::SourceUnrecognized);
    }
    if paid && campaign == NONE {
        out.push(SourceIssue::CampaignMissing);
    }
    out
}

/// The listing entry for `lead`, or `None` when its tags are fine.
pub fn flag(lead: &Lead, aliases: &SourceAliases) -> Option<SourceFlag> {
    let issues = issues(lead, aliases);
    if issues.is_empty() {
        return None;
    }
    let kind = TouchpointKind::for_inquiry(lead.source.channel);
    Some(SourceFlag {
        lead_id: lead.id,
        captured_at: lead.created_at,
        channel: lead.source.channel,
        source: source_of(kind, lead.source.channel, &lead.source.detail),
        campaign: campaign_of(&lead.source.detail),
        facility: lead.facility().unwrap_or_else(|| NONE.to_string()),
        issues,
    })
}

/// A correction: the new `utm_source` and/or `utm_campaign`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retag {
    pub source: Option<Label>,
    pub campaign: Option<Label>,
}

impl Retag {
    /// Whether `lead` already carries these tags (re-tagging it again changes nothing).
    pub fn already_applied(&self, lead: &Lead) -> bool {
        let d = &lead.source.detail;
        self.source.as_ref().is_none_or(|s| d.utm_source.as_ref() == Some(s))
            && self.campaign.as_ref().is_none_or(|c| d.utm_campaign.as_ref() == Some(c))
    }

    /// `lead` with the tags applied (version and times untouched).
    pub fn apply(&self, lead: &Lead) -> Lead {
        let mut next = lead.clone();
        if let Some(s) = &self.source {
            next.source.detail.utm_source = Some(s.clone());
        }
        if let Some(c) = &self.campaign {
            next.source.detail.utm_campaign = Some(c.clone());
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliases() -> SourceAliases {
        let fb = vec!["fb".to_string(), "facebook.com".into()];
        SourceAliases::new([("facebook", fb.as_slice()), ("newsletter", &[][..])]).unwrap()
    }

    fn lead(channel: &str, detail: serde_json::Value) -> Lead {
        serde_json::from_value(serde_json::json!({
            "id": "01JQ0000000000000000000001", "status": "new", "contact": {"email": "a@example.com"},
            "context": {"service_line": "med_spa"}, "source": {"channel": channel, "detail": detail},
            "created_at": "2026-03-03T15:30:00Z", "updated_at": "2026-03-03T15:30:00Z", "version": 1
        }))
        .unwrap()
    }

    #[test]
    fn well_tagged_and_untagged_organic_leads_are_fine() {
        let a = aliases();
        assert!(issues(&lead("web_form", serde_json::json!({"utm_source": "FB", "utm_campaign": "spring"})), &a).is_empty());
        assert!(issues(&lead("web_form", serde_json::json!({})), &a).is_empty(), "direct is a source");
        assert!(issues(&lead("phone_call", serde_json::json!({})), &a).is_empty());
        assert!(issues(&lead("web_form", serde_json::json!({"utm_source": "newsletter"})), &a).is_empty(), "organic: no campaign needed");
    }

    #[test]
    fn missing_and_unrecognized_tags_are_named() {
        let a = aliases();
        let l = lead("web_form", serde_json::json!({"utm_source": "faceboook", "utm_campaign": "spring"}));
        assert_eq!(issues(&l, &a), [SourceIssue::SourceUnrecognized]);
        let l = lead("paid_ad", serde_json::json!({}));
        assert_eq!(issues(&l, &a), [SourceIssue::SourceMissing, SourceIssue::CampaignMissing]);
        let l = lead("web_form", serde_json::json!({"utm_medium": "CPC", "utm_source": "fb"}));
        assert_eq!(issues(&l, &a), [SourceIssue::CampaignMissing]);
        let l = lead("web_form", serde_json::json!({"utm_campaign": "spring"}));
        assert_eq!(issues(&l, &a), [SourceIssue::SourceMissing]);
        let l = lead("web_form", serde_json::json!({"gclid": "Cj0"}));
        assert_eq!(issues(&l, &a), [SourceIssue::CampaignMissing], "a click id names google");
        let l = lead("web_form", serde_json::json!({"referrer": "https://www.yelp.com/biz/x"}));
        assert_eq!(issues(&l, &a), [SourceIssue::SourceUnrecognized]);
    }

    #[test]
    fn a_new_alias_clears_the_unrecognized_issue_when_listed() {
        let l = lead("web_form", serde_json::json!({"utm_source": "yelp.com"}));
        let mut l = l;
        l.context.preferred_facility = Some(Label::parse("Hoboken ", 100).unwrap());
        let f = flag(&l, &aliases()).unwrap();
        assert_eq!((f.source.as_str(), f.facility.as_str()), ("yelp.com", "hoboken"));
        let yelp = vec!["yelp.com".to_string()];
        let later = SourceAliases::new([("yelp", yelp.as_slice())]).unwrap();
        assert!(f.current_issues(&later).is_empty());
        assert_eq!(f.current_issues(&aliases()), [SourceIssue::SourceUnrecognized]);
    }

    #[test]
    fn a_retag_fixes_the_tags_and_is_idempotent() {
        let a = aliases();
        let l = lead("paid_ad", serde_json::json!({"gclid": "x"}));
        let r = Retag { source: Some(Label::parse("facebook", 100).unwrap()), campaign: Some(Label::parse("spring", 100).unwrap()) };
        assert!(!r.already_applied(&l));
        let fixed = r.apply(&l);
        assert!(r.already_applied(&fixed));
        assert!(issues(&fixed, &a).is_empty());
        for i in SourceIssue::ALL {
            assert_eq!(SourceIssue::parse(i.as_str()), Some(i));
        }
    }
}
