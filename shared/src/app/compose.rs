//! What a message to a person may say about them. Every renderer of a text or email to a lead
//! (the acknowledgement, cadence steps, appointment reminders, and staff-written messages through
//! the same gate) takes the person's values from here, screened (`domain::screen`): a value that
//! fails is left out and the template's fallback greets instead ("Hi there"). The consent gate
//! checks the finished text again (`content_refusal`), so nothing reaches a person unscreened
//! even from a renderer that forgot.

use super::Services;
use crate::domain::screen::{self, links_in, Refusal, ValueRules};
use crate::domain::sms_segments;
use crate::domain::timeline::SkipReason;
use crate::domain::Lead;
use tracing::info;

/// The person's values a message may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonValues {
    /// The first name, screened; `None` when missing or refused.
    pub first_name: Option<String>,
    /// What was left out and why (codes only), for the logs and the timeline.
    pub refused: Vec<(&'static str, Refusal)>,
}

/// The lead's values, screened.
pub fn person_values(services: &Services, lead: &Lead) -> PersonValues {
    let rules = ValueRules::first_name(services.config.messaging.first_name_max_chars);
    let mut out = PersonValues::default();
    if let Some(name) = &lead.contact.first_name {
        match screen::screen(name.as_str(), &rules) {
            Ok(v) => out.first_name = Some(v),
            Err(r) => {
                info!(lead_id = %lead.id, reason = r.as_str(), "greeting left out of messages");
                out.refused.push(("first_name", r));
            }
        }
    }
    out
}

/// An automated text within the segment budget: rendered with the first name when it fits,
/// without it otherwise (a Cyrillic or accented name can turn a one-part text into three UCS-2
/// parts). `render` gets the first name to use.
pub fn sms_within_budget(services: &Services, values: &PersonValues, render: impl Fn(Option<&str>) -> String) -> String {
    let with = render(values.first_name.as_deref());
    if values.first_name.is_none() || sms_segments::count(&with).parts <= services.config.messaging.max_sms_segments {
        return with;
    }
    render(None)
}

/// Sentences that belong to texts only: keyword instructions and carrier notices. An email never
/// says "Reply STOP" (a reply to an email is not a keyword; its opt-out is the unsubscribe link).
fn sms_only(sentence: &str) -> bool {
    let s = sentence.to_lowercase();
    ["reply stop", "reply help", "reply start", "text stop", "msg & data", "msg and data"].iter().any(|w| s.contains(w))
}

/// The email form of a text: the same words without the sentences that only make sense by SMS.
pub fn email_text_from_sms(text: &str) -> String {
    let mut out = String::new();
    let mut sentence = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        sentence.push(c);
        if matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace()) {
            if !sms_only(&sentence) {
                out.push_str(&sentence);
            }
            sentence.clear();
        }
    }
    if !sms_only(&sentence) {
        out.push_str(&sentence);
    }
    out.trim().to_string()
}

/// Whether an email text carries SMS keyword instructions (refused: `Reply STOP` in an email
/// misleads; its opt-out is the unsubscribe link).
pub fn has_sms_wording(text: &str) -> bool {
    let s = text.to_lowercase();
    s.contains("reply stop") || s.contains("text stop")
}

/// Why a finished text may not go out, if it may not: it names a host nobody configured (a
/// link, a domain or an e-mail address that did not come from the operator), or an automated
/// text is over the segment budget.
pub fn content_refusal(services: &Services, body: &str, sms_budget: bool) -> Option<SkipReason> {
    let messaging = &services.config.messaging;
    let own = own_host(services);
    if links_in(body).iter().any(|h| !messaging.host_allowed(h) && own.as_deref().is_none_or(|o| !screen::host_allowed(h, o))) {
        return Some(SkipReason::UnscreenedContent);
    }
    if sms_budget && sms_segments::count(body).parts > messaging.max_sms_segments {
        return Some(SkipReason::OverSegmentBudget);
    }
    None
}

/// The host of this deployment's public URL (unsubscribe links point there).
fn own_host(services: &Services) -> Option<String> {
    let base = &services.webhooks.public_base_url;
    let rest = base.split_once("://").map_or(base.as_str(), |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or_default().to_lowercase();
    (!host.is_empty()).then_some(host)
}
