//! Checks across the message texts of every section, once all are read: the hosts the
//! operator wrote (the only ones a message may name, with `[messaging] allowed_link_hosts`), and
//! that every automated text fits the segment budget even with the longest values the system
//! itself fills in (a person's first name is dropped at send time when it would not fit).

use super::cadence::FollowupConfig;
use super::integrations::KeywordReplies;
use super::locate::KeyPath;
use super::messaging::MessagingConfig;
use super::raw::RawServiceLine;
use super::validate::Problems;
use super::ServiceLine;
use crate::domain::business_hours::BusinessHours;
use crate::domain::cadence::StepChannel;
use crate::domain::routing::Team;
use crate::domain::screen::links_in;
use crate::domain::sms_segments;
use crate::domain::template::Template;
use crate::domain::ServiceLineId;
use std::collections::{BTreeMap, BTreeSet};

/// Every host named in the operator's own texts and links.
pub(super) fn operator_hosts(
    lines: &BTreeMap<ServiceLineId, ServiceLine>,
    followup: &FollowupConfig,
    keywords: Option<&KeywordReplies>,
    messaging: &MessagingConfig,
) -> BTreeSet<String> {
    let mut texts: Vec<String> = lines.values().map(|l| l.acknowledgement_sms.source().to_string()).collect();
    for c in &followup.book.cadences {
        texts.extend(c.scheduling_link.clone());
        for s in &c.steps {
            texts.extend([&s.text, &s.subject].into_iter().flatten().map(|t| t.source().to_string()));
        }
    }
    if let Some(k) = keywords {
        texts.push(k.help_contact.clone());
        texts.push(k.program_name.clone());
        texts.extend([&k.help_reply, &k.stop_confirmation, &k.start_confirmation].map(|t| t.source().to_string()));
    }
    let r = &messaging.reminders;
    texts.extend([&r.sms, &r.email_subject, &r.email_text, &r.confirmed_reply, &r.reschedule_reply].map(|t| t.source().to_string()));
    texts.iter().flat_map(|t| links_in(t)).collect()
}

/// The longest callback promise an acknowledgement can make ("within 1440 minutes" is shorter).
fn longest_promise(hours: &BusinessHours) -> String {
    let minutes = format!("within {} minutes", hours.response_minutes.max(1440));
    [minutes, "by 10:00 AM on September 30".to_string(), "as soon as we reopen".to_string()]
        .into_iter()
        .max_by_key(|s| s.chars().count())
        .unwrap_or_default()
}

fn longest<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.max_by_key(|s| s.chars().count()).unwrap_or_default().to_string()
}

fn over_budget(text: &str, budget: u32) -> Option<String> {
    let s = sms_segments::count(text);
    (s.parts > budget).then(|| {
        format!(
            "is {} segments even without a first name ({:?}, {} units); [messaging] max_sms_segments is {budget}",
            s.parts, s.encoding, s.units
        )
    })
}

/// Every automated text within `[messaging] max_sms_segments`, rendered with the longest values
/// the system fills in and no first name.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_budgets(
    raw_lines: &[RawServiceLine],
    raw_cadences: &[super::cadence::RawCadence],
    lines: &BTreeMap<ServiceLineId, ServiceLine>,
    followup: &FollowupConfig,
    messaging: &MessagingConfig,
    hours: &BusinessHours,
    team: &Team,
    org: &str,
    p: &mut Problems<'_>,
) {
    let budget = messaging.max_sms_segments;
    let line_names = longest(lines.values().map(|l| l.name.as_str()));
    let member_names = longest(team.members.values().map(|m| m.name.as_str()));
    let promise = longest_promise(hours);
    for (i, raw) in raw_lines.iter().enumerate() {
        let Some(line) = ServiceLineId::parse(&raw.id).and_then(|id| lines.get(&id)) else { continue };
        let text = render(&line.acknowledgement_sms, org, &[("callback_promise", &promise), ("service_line_name", &line.name)]);
        if let Some(problem) = over_budget(&text, budget) {
            p.add(&KeyPath::root().key("service_lines").index(i).key("acknowledgement_sms"), problem);
        }
    }
    for (i, raw) in raw_cadences.iter().enumerate() {
        let Some(c) = followup.book.get(&raw.name) else { continue };
        let link = c.scheduling_link.clone().unwrap_or_default();
        for (j, s) in c.steps.iter().enumerate() {
            let Some(t) = s.text.as_ref().filter(|_| s.channel == StepChannel::Sms) else { continue };
            let text = render(t, org, &[("service_line_name", &line_names), ("assignee_name", &member_names), ("scheduling_link", &link)]);
            if let Some(problem) = over_budget(&text, budget) {
                p.add(&KeyPath::root().key("cadences").index(i).key("steps").index(j).key("text"), problem);
            }
        }
    }
    let r = &messaging.reminders;
    let word = longest(r.confirm_words.iter().chain(&r.reschedule_words).map(String::as_str));
    let text = render(
        &r.sms,
        org,
        &[
            ("appointment_day", "on Wednesday, September 30"),
            ("appointment_time", "10:30 AM"),
            ("confirm_word", &word),
            ("reschedule_word", &word),
            ("service_line_name", &line_names),
        ],
    );
    if let Some(problem) = over_budget(&text, budget) {
        p.add(&KeyPath::root().key("messaging").key("reminders").key("sms"), problem);
    }
}

/// Renders with the given values and no first name.
fn render(t: &Template, org: &str, values: &[(&str, &str)]) -> String {
    t.render(|name| match name {
        "org_name" => Some(org.to_string()),
        "first_name" => None,
        other => values.iter().find(|(k, _)| *k == other).map(|(_, v)| v.to_string()),
    })
}
