//! `[sla]` and `[notifications]`: first-contact targets per channel and urgency tier, the
//! escalation ladder, and the texts team members receive (lead id, short code, link, service
//! line, tier, score: the templates cannot name anything else, so no health details and no
//! personal data can reach a staff phone's lock screen).

use super::locate::KeyPath;
use super::validate::Problems;
use super::ServiceLine;
use crate::domain::routing::{MemberId, Team};
use crate::domain::sla::{LadderStep, LadderTarget, SlaPolicy};
use crate::domain::template::Template;
use crate::domain::urgency::UrgencyTier;
use crate::domain::{ServiceLineId, SourceChannel};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    /// Service lines whose deadlines run at night, on weekends and holidays.
    #[serde(default)]
    pub around_the_clock: Vec<String>,
    pub default_manager: Option<String>,
    /// Seconds per source channel (`web_form = 120`), plus `default`.
    #[serde(default)]
    pub first_contact_seconds: BTreeMap<String, u32>,
    /// Seconds per urgency tier (`crisis`, `urgent`, `routine`): the tighter target applies.
    #[serde(default)]
    pub tier_seconds: BTreeMap<String, u32>,
    #[serde(default)]
    pub ladder: Vec<RawLadderStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLadderStep {
    /// `assignee`, `backup`, `manager`, `on_call` (with `schedule`) or `members` (with `members`).
    pub notify: String,
    #[serde(default)]
    pub after_seconds: u32,
    pub schedule: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotifications {
    /// Link to the lead in the staff console; `{console_url}` (the deployment's public URL),
    /// `{lead_id}` and `{short_code}` are filled in.
    pub link: Option<String>,
    pub assigned: Option<String>,
    pub crisis_page: Option<String>,
    pub overdue: Option<String>,
}

/// Placeholders a team notification may use. None can carry personal or health data.
pub const NOTICE_PLACEHOLDERS: &[&str] =
    &["lead_id", "short_code", "link", "service_line", "service_line_name", "tier", "score", "band", "minutes_overdue", "level"];

/// Placeholders of the link: ids, and the console's own address.
pub const LINK_PLACEHOLDERS: &[&str] = &["console_url", "lead_id", "short_code"];

/// The lead's page in the staff console.
const DEFAULT_LINK: &str = "{console_url}/console/leads/{lead_id}";
const DEFAULT_ASSIGNED: &str = "leadflow: new {tier} lead {short_code} ({service_line_name}, score {score}) is yours. {link}";
const DEFAULT_CRISIS: &str = "leadflow CRISIS: lead {short_code} ({service_line_name}) needs a call now. {link}";
const DEFAULT_OVERDUE: &str =
    "leadflow: lead {short_code} ({service_line_name}, {tier}, score {score}) is {minutes_overdue} min overdue for a first contact. {link}";

/// Team notification templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeTemplates {
    pub link: Template,
    pub assigned: Template,
    pub crisis_page: Template,
    pub overdue: Template,
}

/// The validated SLA section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaConfig {
    pub policy: SlaPolicy,
    pub notices: NoticeTemplates,
}

impl Default for SlaConfig {
    fn default() -> Self {
        let t = |s: &str, known: &[&str]| Template::parse(s, known).expect("default templates parse");
        SlaConfig {
            policy: SlaPolicy::default(),
            notices: NoticeTemplates {
                link: t(DEFAULT_LINK, LINK_PLACEHOLDERS),
                assigned: t(DEFAULT_ASSIGNED, NOTICE_PLACEHOLDERS),
                crisis_page: t(DEFAULT_CRISIS, NOTICE_PLACEHOLDERS),
                overdue: t(DEFAULT_OVERDUE, NOTICE_PLACEHOLDERS),
            },
        }
    }
}

/// Validates `[sla]` and `[notifications]`.
pub(super) fn validate(
    raw: &RawSla,
    notices: &RawNotifications,
    lines: &BTreeMap<ServiceLineId, ServiceLine>,
    team: &Team,
    p: &mut Problems<'_>,
) -> SlaConfig {
    let mut out = SlaConfig::default();
    let sh = KeyPath::root().key("sla");
    let member = |s: &str, at: &KeyPath, p: &mut Problems<'_>| -> Option<MemberId> {
        match MemberId::parse(s).filter(|id| team.members.contains_key(id)) {
            Some(id) => Some(id),
            None => {
                p.add(at, "names no configured team member");
                None
            }
        }
    };
    for (i, l) in raw.around_the_clock.iter().enumerate() {
        match ServiceLineId::parse(l).filter(|id| lines.contains_key(id)) {
            Some(id) => {
                out.policy.around_the_clock.insert(id);
            }
            None => p.add(&sh.key("around_the_clock").index(i), "names no configured service line"),
        }
    }
    out.policy.default_manager = raw.default_manager.as_deref().and_then(|m| member(m, &sh.key("default_manager"), p));
    for (name, secs) in &raw.first_contact_seconds {
        let at = sh.key("first_contact_seconds").key(name);
        if *secs > 7 * 86_400 {
            p.add(&at, "must be at most a week (604800 seconds)");
        }
        if name == "default" {
            out.policy.default_seconds = *secs;
        } else {
            match SourceChannel::parse(name) {
                Some(c) => {
                    out.policy.channel_seconds.insert(c, *secs);
                }
                None => p.add(&at, "is not a source channel (web_form, phone_call, chat, social_dm, ...) or `default`"),
            }
        }
    }
    for (name, secs) in &raw.tier_seconds {
        match UrgencyTier::parse(name) {
            Some(t) => {
                out.policy.tier_seconds.insert(t, *secs);
            }
            None => p.add(&sh.key("tier_seconds").key(name), "must be crisis, urgent or routine"),
        }
    }
    if !raw.ladder.is_empty() {
        out.policy.ladder.clear();
    }
    for (i, s) in raw.ladder.iter().enumerate() {
        let here = sh.key("ladder").index(i);
        let notify = match s.notify.as_str() {
            "assignee" => Some(LadderTarget::Assignee),
            "backup" => Some(LadderTarget::Backup),
            "manager" => Some(LadderTarget::Manager),
            "on_call" => match s.schedule.as_deref() {
                Some(id) if team.on_call.contains_key(id) => Some(LadderTarget::OnCall(id.to_string())),
                _ => {
                    p.add(&here.key("schedule"), "an on_call step names a configured [[on_call]] schedule");
                    None
                }
            },
            "members" if !s.members.is_empty() => Some(LadderTarget::Members(
                s.members.iter().enumerate().filter_map(|(j, m)| member(m, &here.key("members").index(j), p)).collect(),
            )),
            _ => {
                p.add(&here.key("notify"), "must be assignee, backup, manager, on_call (with schedule) or members (with members)");
                None
            }
        };
        if s.after_seconds > 7 * 86_400 {
            p.add(&here.key("after_seconds"), "must be at most a week (604800 seconds)");
        }
        if let Some(notify) = notify {
            out.policy.ladder.push(LadderStep { notify, after_seconds: s.after_seconds });
        }
    }

    let nh = KeyPath::root().key("notifications");
    let mut template = |value: &Option<String>, key: &str, known: &[&str], slot: &mut Template| {
        if let Some(v) = value {
            match Template::parse(v, known) {
                Ok(t) => *slot = t,
                Err(e) => p.add(&nh.key(key), format!("template {e}")),
            }
        }
    };
    template(&notices.link, "link", LINK_PLACEHOLDERS, &mut out.notices.link);
    template(&notices.assigned, "assigned", NOTICE_PLACEHOLDERS, &mut out.notices.assigned);
    template(&notices.crisis_page, "crisis_page", NOTICE_PLACEHOLDERS, &mut out.notices.crisis_page);
    template(&notices.overdue, "overdue", NOTICE_PLACEHOLDERS, &mut out.notices.overdue);
    out
}
