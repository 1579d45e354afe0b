//! The configuration sections of the lifecycle and the integrations: disqualification reasons
//! and the no-show re-engagement, the SMS program's keyword replies, and the webhook sources.
//! Secrets are not here: they come from SSM Parameter Store (or the environment locally).

use super::locate::KeyPath;
use super::validate::Problems;
use crate::domain::template::Template;
use crate::domain::{ServiceLineId, SourceChannel};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Placeholders the keyword replies may use.
pub const KEYWORD_PLACEHOLDERS: &[&str] = &["program_name", "org_name", "help_contact"];

/// The words every HELP answer must carry (CTIA, carriers).
pub const RATES_NOTICE: &str = "Msg & data rates may apply";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLifecycle {
    #[serde(default = "default_reasons")]
    pub disqualification_reasons: Vec<String>,
    #[serde(default = "default_reengagement")]
    pub no_show_reengagement: String,
}

impl Default for RawLifecycle {
    fn default() -> Self {
        RawLifecycle { disqualification_reasons: default_reasons(), no_show_reengagement: default_reengagement() }
    }
}

fn default_reasons() -> Vec<String> {
    ["not_a_candidate", "out_of_service_area", "insurance_not_accepted", "price", "chose_competitor", "duplicate", "spam", "other"]
        .map(String::from)
        .to_vec()
}

fn default_reengagement() -> String {
    "rebook_outreach".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmsKeywords {
    pub program_name: String,
    pub help_contact: String,
    pub help_reply: String,
    pub stop_confirmation: String,
    pub start_confirmation: String,
}

impl Default for RawSmsKeywords {
    fn default() -> Self {
        RawSmsKeywords {
            program_name: "Patient messages".into(),
            help_contact: "call our office".into(),
            help_reply: "{program_name}: for help {help_contact}. Msg & data rates may apply. Reply STOP to opt out.".into(),
            stop_confirmation: "{program_name}: you are unsubscribed and will receive no more messages. Reply START to resubscribe.".into(),
            start_confirmation:
                "{program_name}: you are subscribed again. Msg & data rates may apply. Reply HELP for help, STOP to opt out.".into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhooks {
    #[serde(default)]
    pub service_line: Option<String>,
    #[serde(default)]
    pub sources: Vec<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: String,
    pub channel: String,
}

/// Lifecycle settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleSettings {
    /// The reason codes a disqualification may give.
    pub disqualification_reasons: Vec<String>,
    /// The re-engagement action a no-show starts (recorded on the timeline; the follow-up
    /// cadences pick it up through `lead.status_changed`).
    pub no_show_reengagement: String,
}

/// The SMS program's answers to keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordReplies {
    pub program_name: String,
    pub help_contact: String,
    pub help_reply: Template,
    pub stop_confirmation: Template,
    pub start_confirmation: Template,
}

impl KeywordReplies {
    /// Renders one of the replies.
    pub fn render(&self, template: &Template, org_name: &str) -> String {
        template.render(|name| match name {
            "program_name" => Some(self.program_name.clone()),
            "org_name" => Some(org_name.to_string()),
            "help_contact" => Some(self.help_contact.clone()),
            _ => None,
        })
    }
}

/// A generic webhook source (its signing secret is `source_<id>` in the secret store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSettings {
    pub id: String,
    pub channel: SourceChannel,
}

/// Webhook settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Service line of leads created from calls, texts and sources that name none.
    pub service_line: Option<ServiceLineId>,
    pub sources: BTreeMap<String, SourceSettings>,
}

pub(super) fn lifecycle(raw: RawLifecycle, p: &mut Problems<'_>) -> LifecycleSettings {
    let here = KeyPath::root().key("lifecycle");
    for (i, r) in raw.disqualification_reasons.iter().enumerate() {
        if ServiceLineId::parse(r).is_none() {
            p.add(&here.key("disqualification_reasons").index(i), "must be a lower-case code (letters, digits, underscores)");
        }
    }
    if raw.disqualification_reasons.is_empty() {
        p.add(&here.key("disqualification_reasons"), "must list at least one reason");
    }
    if ServiceLineId::parse(&raw.no_show_reengagement).is_none() {
        p.add(&here.key("no_show_reengagement"), "must be a lower-case code (letters, digits, underscores)");
    }
    LifecycleSettings { disqualification_reasons: raw.disqualification_reasons, no_show_reengagement: raw.no_show_reengagement }
}

pub(super) fn keywords(raw: RawSmsKeywords, p: &mut Problems<'_>) -> Option<KeywordReplies> {
    let here = KeyPath::root().key("sms_keywords");
    let mut template = |key: &str, text: &str| match Template::parse(text, KEYWORD_PLACEHOLDERS) {
        Ok(t) => Some(t),
        Err(e) => {
            p.add(&here.key(key), format!("template {e}"));
            None
        }
    };
    let help = template("help_reply", &raw.help_reply);
    let stop = template("stop_confirmation", &raw.stop_confirmation);
    let start = template("start_confirmation", &raw.start_confirmation);
    if !raw.help_reply.to_lowercase().contains(&RATES_NOTICE.to_lowercase()) {
        p.add(&here.key("help_reply"), format!("must say \"{RATES_NOTICE}\""));
    }
    if !raw.help_reply.contains("{help_contact}") && raw.help_contact.trim().is_empty() {
        p.add(&here.key("help_contact"), "must name how to reach the practice");
    }
    if raw.program_name.trim().is_empty() {
        p.add(&here.key("program_name"), "must not be empty");
    }
    Some(KeywordReplies {
        program_name: raw.program_name,
        help_contact: raw.help_contact,
        help_reply: help?,
        stop_confirmation: stop?,
        start_confirmation: start?,
    })
}

pub(super) fn webhooks(raw: RawWebhooks, known_lines: &dyn Fn(&ServiceLineId) -> bool, p: &mut Problems<'_>) -> WebhookSettings {
    let here = KeyPath::root().key("webhooks");
    let service_line = raw.service_line.as_deref().and_then(|s| match ServiceLineId::parse(s) {
        Some(id) if known_lines(&id) => Some(id),
        _ => {
            p.add(&here.key("service_line"), "names no configured service line");
            None
        }
    });
    let mut sources = BTreeMap::new();
    for (i, s) in raw.sources.iter().enumerate() {
        let at = here.key("sources").index(i);
        if ServiceLineId::parse(&s.id).is_none() {
            p.add(&at.key("id"), "must be a lower-case slug (letters, digits, underscores)");
            continue;
        }
        let Some(channel) = SourceChannel::parse(&s.channel) else {
            p.add(&at.key("channel"), "must be a source channel (chat, social_dm, event, ...)");
            continue;
        };
        if sources.insert(s.id.clone(), SourceSettings { id: s.id.clone(), channel }).is_some() {
            p.add(&at.key("id"), "repeats a source listed earlier");
        }
    }
    WebhookSettings { service_line, sources }
}
