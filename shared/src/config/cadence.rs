//! `[[cadences]]` and `[followup]`: follow-up sequences and the contact rules they obey.
//!
//! ```toml
//! [followup]
//! allowed_hours = "08:00-21:00"      # local to the person (47 CFR 64.1200(c)(1))
//! max_messages_per_24h = 4            # texts + emails, the acknowledgement included; 0 = off
//! [[followup.state_rules]]
//! states = ["FL", "OK"]               # FTSA and Oklahoma's law: 8 a.m.-8 p.m., 3 per 24 h
//! allowed_hours = "08:00-20:00"
//! max_messages_per_24h = 3
//!
//! [[cadences]]
//! name = "med-spa"
//! service_lines = ["med_spa"]         # also: sources, bands, tiers, on_status (all optional)
//! stop_on = ["booked", "showed", "replied"]
//! [[cadences.steps]]
//! name = "call-2m"
//! after = "2m"                        # from = "capture" (default) | "enrollment" | "previous"
//! channel = "call_task"               # sms | email | call_task | notification
//! ```
//!
//! Message templates can name only [`MESSAGE_PLACEHOLDERS`], task titles only
//! [`TASK_PLACEHOLDERS`], notifications only the team-notice placeholders: none can carry a
//! health detail, so no text to a person or a staff phone ever names a condition.

use super::locate::KeyPath;
use super::validate::Problems;
use super::ServiceLine;
use crate::domain::cadence::rules::{StateRule, Window};
use crate::domain::cadence::{
    parse_duration, Anchor, Cadence, CadenceBook, Condition, ContactRules, Selector, Step, StepChannel, StopEvent,
};
use crate::domain::franchise::Milestone;
use crate::domain::scoring::ScoreBand;
use crate::domain::template::Template;
use crate::domain::urgency::UrgencyTier;
use crate::domain::{LeadStatus, ServiceLineId, SourceChannel};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFollowup {
    pub allowed_hours: Option<String>,
    pub max_messages_per_24h: Option<u32>,
    pub honor_preferred_times: Option<bool>,
    pub honor_preferred_channel: Option<bool>,
    /// The notification a member gets with a call task.
    pub task_notice: Option<String>,
    #[serde(default)]
    pub state_rules: Vec<RawStateRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStateRule {
    pub states: Vec<String>,
    pub allowed_hours: String,
    pub max_messages_per_24h: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCadence {
    pub name: String,
    #[serde(default)]
    pub service_lines: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub bands: Vec<String>,
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub on_status: Vec<String>,
    pub stop_on: Option<Vec<String>>,
    pub scheduling_link: Option<String>,
    #[serde(default)]
    pub steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: Option<String>,
    pub after: String,
    pub from: Option<String>,
    pub channel: String,
    pub text: Option<String>,
    pub subject: Option<String>,
    pub title: Option<String>,
    pub wait: Option<String>,
    #[serde(default)]
    pub conditions: Vec<String>,
    pub milestone: Option<String>,
}

/// Placeholders of texts and emails to the person.
pub const MESSAGE_PLACEHOLDERS: &[&str] = &["first_name", "org_name", "service_line_name", "assignee_name", "scheduling_link"];

/// Placeholders of call task titles (staff-facing: ids and the service line only).
pub const TASK_PLACEHOLDERS: &[&str] = &["lead_id", "short_code", "service_line_name", "cadence", "step"];

/// Placeholders of the task notice (as team notices, plus the task's title).
pub const TASK_NOTICE_PLACEHOLDERS: &[&str] =
    &["lead_id", "short_code", "link", "service_line", "service_line_name", "tier", "score", "band", "title"];

const DEFAULT_TITLE: &str = "Call lead {short_code} ({service_line_name})";
const DEFAULT_TASK_NOTICE: &str = "leadflow: call task for lead {short_code} ({service_line_name}): {title}. {link}";

/// Words that claim the practice tried to call the person.
const CLAIMS_A_CALL: &[&str] = &["tried to call", "tried calling", "tried to reach", "missed our call", "called you"];

/// The stop events of a cadence that lists none.
pub const DEFAULT_STOP_ON: &[&str] = &["booked", "showed", "replied"];

/// The validated `[followup]` and `[[cadences]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupConfig {
    pub book: CadenceBook,
    pub task_notice: Template,
}

impl Default for FollowupConfig {
    fn default() -> Self {
        FollowupConfig {
            book: CadenceBook::default(),
            task_notice: Template::parse(DEFAULT_TASK_NOTICE, TASK_NOTICE_PLACEHOLDERS).expect("the default task notice parses"),
        }
    }
}

/// Validates both sections, reporting every problem with its key.
pub(super) fn validate(
    followup: &RawFollowup,
    cadences: &[RawCadence],
    lines: &BTreeMap<ServiceLineId, ServiceLine>,
    p: &mut Problems<'_>,
) -> FollowupConfig {
    let mut out = FollowupConfig::default();
    out.book.rules = rules(followup, p);
    if let Some(t) = &followup.task_notice {
        match Template::parse(t, TASK_NOTICE_PLACEHOLDERS) {
            Ok(t) => out.task_notice = t,
            Err(e) => p.add(&KeyPath::root().key("followup").key("task_notice"), format!("template {e}")),
        }
    }
    let mut names = BTreeSet::new();
    for (i, raw) in cadences.iter().enumerate() {
        let here = KeyPath::root().key("cadences").index(i);
        if raw.name.trim().is_empty() || raw.name.len() > 64 {
            p.add(&here.key("name"), "must be 1 to 64 characters");
        } else if !names.insert(raw.name.clone()) {
            p.add(&here.key("name"), "repeats a cadence listed earlier");
        }
        if let Some(c) = cadence(raw, &here, lines, p) {
            out.book.cadences.push(c);
        }
    }
    out
}

fn hours(value: &str, at: &KeyPath, p: &mut Problems<'_>) -> Window {
    Window::parse(value).unwrap_or_else(|| {
        p.add(at, "must be \"HH:MM-HH:MM\" with the start before the end (for example \"08:00-21:00\")");
        Window::federal()
    })
}

fn rules(raw: &RawFollowup, p: &mut Problems<'_>) -> ContactRules {
    let here = KeyPath::root().key("followup");
    let mut r = ContactRules::default();
    if let Some(h) = &raw.allowed_hours {
        r.window = hours(h, &here.key("allowed_hours"), p);
    }
    if let Some(n) = raw.max_messages_per_24h {
        r.max_messages_per_24h = n;
    }
    if let Some(b) = raw.honor_preferred_times {
        r.honor_preferred_times = b;
    }
    if let Some(b) = raw.honor_preferred_channel {
        r.honor_preferred_channel = b;
    }
    for (i, s) in raw.state_rules.iter().enumerate() {
        let at = here.key("state_rules").index(i);
        let mut states = Vec::new();
        for (j, code) in s.states.iter().enumerate() {
            match crate::domain::geo::state_zone(code) {
                Some((c, _)) => states.push(c.to_string()),
                None => p.add(&at.key("states").index(j), "is not a US state code (FL, OK, ...)"),
            }
        }
        if s.states.is_empty() {
            p.add(&at.key("states"), "must list at least one state");
        }
        let window = hours(&s.allowed_hours, &at.key("allowed_hours"), p);
        r.states.push(StateRule { states, window, max_messages_per_24h: s.max_messages_per_24h });
    }
    r
}

fn list<T>(values: &[String], at: &KeyPath, what: &str, parse: impl Fn(&str) -> Option<T>, p: &mut Problems<'_>) -> Vec<T> {
    super::lists::parse_each(values, at, &format!("is not {what}"), parse, p)
}

fn cadence(raw: &RawCadence, here: &KeyPath, lines: &BTreeMap<ServiceLineId, ServiceLine>, p: &mut Problems<'_>) -> Option<Cadence> {
    let selector = Selector {
        service_lines: list(
            &raw.service_lines,
            &here.key("service_lines"),
            "a configured service line",
            |s| ServiceLineId::parse(s).filter(|id| lines.contains_key(id)),
            p,
        )
        .into_iter()
        .collect(),
        sources: list(&raw.sources, &here.key("sources"), "a source channel (web_form, phone_call, chat, ...)", SourceChannel::parse, p)
            .into_iter()
            .collect(),
        bands: list(&raw.bands, &here.key("bands"), "a score band (hot, warm, cold)", ScoreBand::parse, p).into_iter().collect(),
        tiers: list(&raw.tiers, &here.key("tiers"), "an urgency tier (crisis, urgent, routine)", UrgencyTier::parse, p)
            .into_iter()
            .collect(),
        on_status: list(&raw.on_status, &here.key("on_status"), "a lead status", LeadStatus::parse, p).into_iter().collect(),
    };
    let stop_on: BTreeSet<StopEvent> = match &raw.stop_on {
        Some(v) => list(v, &here.key("stop_on"), "a stop event (a lead status such as booked, replied or opted_out)", StopEvent::parse, p)
            .into_iter()
            .collect(),
        None => DEFAULT_STOP_ON.iter().filter_map(|s| StopEvent::parse(s)).collect(),
    };
    if let Some(link) = &raw.scheduling_link {
        if !link.starts_with("https://") {
            p.add(&here.key("scheduling_link"), "must be an https:// link");
        }
    }
    if raw.steps.is_empty() {
        p.add(here, "a cadence needs at least one [[cadences.steps]] entry");
    }
    let mut steps = Vec::new();
    let mut ok = true;
    for (j, s) in raw.steps.iter().enumerate() {
        match step(s, j, &here.key("steps").index(j), raw.scheduling_link.is_some(), p) {
            Some(st) => steps.push(st),
            None => ok = false,
        }
    }
    ok.then(|| Cadence { name: raw.name.clone(), selector, steps, stop_on, scheduling_link: raw.scheduling_link.clone() })
}

fn step(raw: &RawStep, j: usize, here: &KeyPath, has_link: bool, p: &mut Problems<'_>) -> Option<Step> {
    let before = p.count();
    let channel = StepChannel::parse(&raw.channel);
    if channel.is_none() {
        p.add(&here.key("channel"), "must be one of sms, email, call_task, notification");
    }
    let after = match parse_duration(&raw.after) {
        Ok(d) => d,
        Err(e) => {
            p.add(&here.key("after"), e.to_string());
            chrono::Duration::zero()
        }
    };
    let anchor = match raw.from.as_deref() {
        None => Anchor::Capture,
        Some(f) => Anchor::parse(f).unwrap_or_else(|| {
            p.add(&here.key("from"), "must be capture, enrollment or previous");
            Anchor::Capture
        }),
    };
    let wait = raw.wait.as_deref().and_then(|w| match parse_duration(w) {
        Ok(d) if d > chrono::Duration::zero() => Some(d),
        Ok(_) => {
            p.add(&here.key("wait"), "must be longer than zero");
            None
        }
        Err(e) => {
            p.add(&here.key("wait"), e.to_string());
            None
        }
    });
    let conditions = list(
        &raw.conditions,
        &here.key("conditions"),
        "a condition (only_if_last_call_unanswered, only_if_no_reply, only_after_call_attempt, business_hours_only)",
        Condition::parse,
        p,
    );
    let milestone = raw.milestone.as_deref().and_then(|m| {
        let got = Milestone::parse(m);
        if got.is_none() {
            p.add(&here.key("milestone"), "must be discovery_call, fdd_sent, validation, discovery_day or signed");
        }
        got
    });
    let template = |value: &Option<String>, key: &str, known: &[&str], required: bool, p: &mut Problems<'_>| -> Option<Template> {
        match value {
            None if required => {
                p.add(&here.key(key), format!("is required for a {} step", raw.channel.trim()));
                None
            }
            None => None,
            Some(v) => match Template::parse(v, known) {
                Ok(t) => {
                    if !has_link && v.contains("{scheduling_link") {
                        p.add(&here.key(key), "uses {scheduling_link} but the cadence has no scheduling_link");
                    }
                    Some(t)
                }
                Err(e) => {
                    p.add(&here.key(key), format!("template {e}"));
                    None
                }
            },
        }
    };
    let notice_known = super::sla::NOTICE_PLACEHOLDERS;
    let (text, subject, title) = match channel {
        Some(StepChannel::Sms) => (template(&raw.text, "text", MESSAGE_PLACEHOLDERS, true, p), None, None),
        Some(StepChannel::Email) => (
            template(&raw.text, "text", MESSAGE_PLACEHOLDERS, true, p),
            template(&raw.subject, "subject", MESSAGE_PLACEHOLDERS, true, p),
            None,
        ),
        Some(StepChannel::CallTask) => {
            let title = template(&raw.title.clone().or_else(|| Some(DEFAULT_TITLE.to_string())), "title", TASK_PLACEHOLDERS, true, p);
            (None, None, title)
        }
        Some(StepChannel::Notification) => (template(&raw.text, "text", notice_known, true, p), None, None),
        None => (None, None, None),
    };
    let unused = |value: &Option<String>, key: &str, p: &mut Problems<'_>| {
        if value.is_some() {
            p.add(&here.key(key), format!("is not used by a {} step", raw.channel.trim()));
        }
    };
    match channel {
        Some(StepChannel::Sms | StepChannel::Notification) => {
            unused(&raw.subject, "subject", p);
            unused(&raw.title, "title", p);
        }
        Some(StepChannel::Email) => unused(&raw.title, "title", p),
        Some(StepChannel::CallTask) => {
            unused(&raw.text, "text", p);
            unused(&raw.subject, "subject", p);
        }
        None => {}
    }
    if raw.wait.is_some() && channel != Some(StepChannel::CallTask) {
        p.add(&here.key("wait"), "only a call_task step waits for an outcome");
    }
    // A text that says a call was attempted must only follow an attempted call.
    for (key, value) in [("text", &raw.text), ("subject", &raw.subject)] {
        let Some(v) = value else { continue };
        let lower = v.to_lowercase();
        if CLAIMS_A_CALL.iter().any(|w| lower.contains(w)) && !conditions.contains(&Condition::OnlyAfterCallAttempt) {
            p.add(&here.key(key), "says a call was attempted: add the only_after_call_attempt condition");
        }
        if channel == Some(StepChannel::Email) && crate::app::compose::has_sms_wording(v) {
            p.add(&here.key(key), "an email must not say \"Reply STOP\" (its opt-out is the unsubscribe link in the footer)");
        }
    }
    if p.count() > before {
        return None;
    }
    Some(Step {
        name: raw.name.clone().unwrap_or_else(|| format!("step-{}", j + 1)),
        anchor,
        after,
        channel: channel?,
        text,
        subject,
        title,
        wait,
        conditions,
        milestone,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn base() -> String {
        crate::config::DEFAULT_CONFIG.to_string()
    }

    fn problems(extra: &str) -> Vec<String> {
        let src = format!("{}\n{extra}", base());
        Config::from_toml(&src, "test.toml").unwrap_err().problems.iter().map(|p| p.to_string()).collect()
    }

    fn line_of(extra: &str, needle: &str) -> usize {
        let src = format!("{}\n{extra}", base());
        src[..src.find(needle).unwrap()].matches('\n').count() + 1
    }

    const BAD: &str = r#"
[[cadences]]
name = "broken"
service_lines = ["med_spa"]

[[cadences.steps]]
after = "5m"
channel = "fax"

[[cadences.steps]]
after = "-1h"
channel = "sms"
text = "Hi {first_name}"

[[cadences.steps]]
after = "1d"
channel = "email"
subject = "Hello"
text = "Hi {first_name}, about your {concern}"
"#;

    #[test]
    fn a_bad_channel_a_negative_offset_and_an_unknown_placeholder_are_located() {
        let got = problems(BAD);
        assert_eq!(got.len(), 3, "{got:?}");
        let fax = line_of(BAD, "\"fax\"");
        let neg = line_of(BAD, "\"-1h\"");
        let concern = line_of(BAD, "about your {concern}");
        let n = index_of_broken();
        assert!(
            got[0].starts_with(&format!(
                "line {fax}, column 11: `cadences[{n}].steps[0].channel`: must be one of sms, email, call_task, notification"
            )),
            "{got:?}"
        );
        assert!(got[1].starts_with(&format!("line {neg}, column 9: `cadences[{n}].steps[1].after`: must not be negative")), "{got:?}");
        assert!(
            got[2].starts_with(&format!(
                "line {concern}, column 8: `cadences[{n}].steps[2].text`: template uses unknown placeholder `{{concern}}`"
            )),
            "{got:?}"
        );
    }

    /// The index the appended cadence gets after the shipped ones.
    pub(super) fn index_of_broken() -> usize {
        Config::embedded_default().unwrap().followup.book.cadences.len()
    }

    #[test]
    fn the_shipped_cadences_load() {
        let c = Config::embedded_default().unwrap();
        let spa = c.followup.book.get("med-spa").unwrap();
        assert_eq!(spa.steps.len(), 7);
        assert!(c.followup.book.get("franchise-nurture").is_some());
    }

    #[test]
    fn a_scheduling_link_placeholder_needs_a_link_and_state_rules_need_states() {
        let extra = r#"
[[followup.state_rules]]
states = ["XX"]
allowed_hours = "20:00-08:00"

[[cadences]]
name = "nolink"
[[cadences.steps]]
after = "1d"
channel = "sms"
text = "Book: {scheduling_link}"
wait = "1h"
"#;
        let got = problems(extra);
        assert!(got.iter().any(|g| g.contains("state_rules[1].states[0]`: is not a US state code")), "{got:?}");
        assert!(got.iter().any(|g| g.contains("state_rules[1].allowed_hours`")), "{got:?}");
        assert!(got.iter().any(|g| g.contains("uses {scheduling_link} but the cadence has no scheduling_link")), "{got:?}");
        assert!(got.iter().any(|g| g.contains("only a call_task step waits")), "{got:?}");
    }
}
