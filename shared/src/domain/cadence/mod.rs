//! Follow-up cadences: named, multi-step, multi-channel sequences a lead is enrolled in after
//! capture (chosen by service line, source, score band and urgency tier), run by the scheduler
//! one step at a time, gated by consent and the contact rules, and stopped when the lead books,
//! converts, replies, opts out or a team member pauses it.
//!
//! A cadence is configuration (`[[cadences]]` in `config/leadflow.toml`, validated by
//! `config::cadence`); this module holds the validated shape and the pure decisions: which
//! cadence a lead gets, when each step is planned, what stops it.

pub mod enrollment;
pub mod outcome;
pub mod preferred;
pub mod rules;

use super::franchise::Milestone;
use super::scoring::ScoreBand;
use super::source::SourceChannel;
use super::status::LeadStatus;
use super::template::Template;
use super::urgency::UrgencyTier;
use super::{Lead, ServiceLineId};
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub use enrollment::{Enrollment, EnrollmentState, StepPayload};
pub use outcome::{StepOutcome, StepRef};
pub use rules::{Allowed, ContactRules, DeferReason, StateRule, Window};

string_enum! {
    /// How a step reaches the person (or the team).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StepChannel {
        /// A text through the consent gate.
        Sms => "sms",
        /// An email through the consent gate.
        Email => "email",
        /// A task for the assigned team member to call, with a notification; waits for the outcome.
        CallTask => "call_task",
        /// A notification to the assigned team member (nothing goes to the person).
        Notification => "notification",
    }
    parse(s) => s.trim();
}

impl StepChannel {
    /// Texts and emails: what the consent gate, quiet hours and the daily cap govern.
    pub fn is_message(self) -> bool {
        matches!(self, StepChannel::Sms | StepChannel::Email)
    }

    /// Whether the step contacts the person (quiet hours apply).
    pub fn reaches_the_person(self) -> bool {
        !matches!(self, StepChannel::Notification)
    }
}

string_enum! {
    /// What a step's offset counts from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Anchor {
        /// The lead's capture (the brief's "2 minutes", "1 hour", "7 days").
        Capture => "capture",
        /// Enrollment in this cadence (for cadences started later, such as a rebooking sequence).
        Enrollment => "enrollment",
        /// The previous step: when it ran (or when its call task got its outcome).
        Previous => "previous",
    }
    parse(s) => s.trim();
}

string_enum! {
    /// A condition a step needs, checked when it is due; an unmet one skips the step.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Condition {
        /// Skip when the latest call to the person was answered.
        OnlyIfLastCallUnanswered => "only_if_last_call_unanswered",
        /// Skip when the person has replied since capture.
        OnlyIfNoReply => "only_if_no_reply",
        /// Skip unless a call to the person was actually attempted (recorded by a team member):
        /// for texts that say "we tried to call you".
        OnlyAfterCallAttempt => "only_after_call_attempt",
        /// Wait for the practice's business hours (the team is in).
        BusinessHoursOnly => "business_hours_only",
    }
    parse(s) => s.trim();
}

/// What ends a cadence besides a closed lead (converted, disqualified, archived always do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopEvent {
    /// The lead moved to this status.
    Status(LeadStatus),
    /// The person replied.
    Replied,
    /// The person opted out of any channel. Without it an opt-out only silences that channel:
    /// steps on channels the person still consents to go on (a permitted email after STOP).
    OptedOut,
}

impl StopEvent {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "replied" => Some(StopEvent::Replied),
            "opted_out" => Some(StopEvent::OptedOut),
            other => LeadStatus::parse(other).filter(|st| *st != LeadStatus::OptedOut).map(StopEvent::Status),
        }
    }

    pub fn label(&self) -> String {
        match self {
            StopEvent::Status(s) => s.as_str().to_string(),
            StopEvent::Replied => "replied".into(),
            StopEvent::OptedOut => "opted_out".into(),
        }
    }
}

/// Statuses that end every cadence: nobody follows up a closed lead.
pub fn always_stops(status: LeadStatus) -> bool {
    matches!(status, LeadStatus::Converted | LeadStatus::Disqualified | LeadStatus::Unresponsive)
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// A short name for the timeline (`call-2m`, `email-1h`).
    pub name: String,
    pub anchor: Anchor,
    pub after: Duration,
    pub channel: StepChannel,
    /// SMS text, email body, or notification text.
    pub text: Option<Template>,
    /// Email subject.
    pub subject: Option<Template>,
    /// Call task title (staff-facing).
    pub title: Option<Template>,
    /// How long a call task waits for its outcome; by default until the next step is due.
    pub wait: Option<Duration>,
    pub conditions: Vec<Condition>,
    /// A franchise milestone the step works toward: skipped once reached.
    pub milestone: Option<Milestone>,
}

/// Which leads a cadence is for. Empty lists match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub service_lines: BTreeSet<ServiceLineId>,
    pub sources: BTreeSet<SourceChannel>,
    pub bands: BTreeSet<ScoreBand>,
    pub tiers: BTreeSet<UrgencyTier>,
    /// Started only when the lead moves to one of these statuses (a no-show rebooking
    /// sequence); such a cadence is never chosen at capture or scoring.
    pub on_status: BTreeSet<LeadStatus>,
}

impl Selector {
    fn matches(&self, lead: &Lead) -> bool {
        let band = lead.score.as_ref().map(|s| s.band);
        let tier = lead.score.as_ref().map_or(UrgencyTier::Routine, |s| s.urgency.tier);
        (self.service_lines.is_empty() || self.service_lines.contains(&lead.context.service_line))
            && (self.sources.is_empty() || self.sources.contains(&lead.source.channel))
            && (self.bands.is_empty() || band.is_some_and(|b| self.bands.contains(&b)))
            && (self.tiers.is_empty() || self.tiers.contains(&tier))
    }
}

/// A named sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    pub name: String,
    pub selector: Selector,
    pub steps: Vec<Step>,
    pub stop_on: BTreeSet<StopEvent>,
    /// Filled into `{scheduling_link}`.
    pub scheduling_link: Option<String>,
}

impl Cadence {
    /// When step `i` is planned, given the lead's capture, the enrollment, and when the previous
    /// step ran (for `previous` anchors; its plan when it has not run).
    pub fn planned_at(
        &self,
        i: usize,
        captured: DateTime<Utc>,
        enrolled: DateTime<Utc>,
        previous_ran: Option<DateTime<Utc>>,
    ) -> DateTime<Utc> {
        let step = &self.steps[i];
        match step.anchor {
            Anchor::Capture => captured + step.after,
            Anchor::Enrollment => enrolled + step.after,
            Anchor::Previous => {
                let prev = match (previous_ran, i) {
                    (Some(p), _) => p,
                    (None, 0) => enrolled,
                    (None, _) => self.planned_at(i - 1, captured, enrolled, None),
                };
                prev + step.after
            }
        }
    }

    /// When step `i` is planned for enrollment `e`: its plan, moved by the enrollment's shift
    /// (deferrals so far) unless it counts from the previous step (which already moved).
    pub fn planned_for(&self, i: usize, captured: DateTime<Utc>, e: &Enrollment) -> DateTime<Utc> {
        let plan = self.planned_at(i, captured, e.enrolled_at, e.last_step_at);
        match self.steps[i].anchor {
            Anchor::Previous => plan,
            Anchor::Capture | Anchor::Enrollment => plan + Duration::seconds(e.shift_seconds),
        }
    }

    /// The first step planned at or after `now` (for a lead switched into this cadence late:
    /// steps whose time passed are not sent in a burst).
    pub fn first_step_from(&self, now: DateTime<Utc>, captured: DateTime<Utc>, enrolled: DateTime<Utc>) -> Option<usize> {
        (0..self.steps.len()).find(|i| self.planned_at(*i, captured, enrolled, None) >= now)
    }

    /// Whether `event` stops this cadence.
    pub fn stops_on(&self, event: StopEvent) -> bool {
        match event {
            StopEvent::Status(s) if always_stops(s) => true,
            e => self.stop_on.contains(&e),
        }
    }
}

/// The validated cadences and the rules they obey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CadenceBook {
    pub cadences: Vec<Cadence>,
    pub rules: ContactRules,
}

impl CadenceBook {
    /// The cadence a lead gets at capture or scoring: the first listed whose selector matches.
    pub fn select(&self, lead: &Lead) -> Option<&Cadence> {
        self.cadences.iter().find(|c| c.selector.on_status.is_empty() && c.selector.matches(lead))
    }

    /// The cadence a lead gets when it moves to `status` (a rebooking sequence), if any.
    pub fn select_on_status(&self, lead: &Lead, status: LeadStatus) -> Option<&Cadence> {
        self.cadences.iter().find(|c| c.selector.on_status.contains(&status) && c.selector.matches(lead))
    }

    pub fn get(&self, name: &str) -> Option<&Cadence> {
        self.cadences.iter().find(|c| c.name == name)
    }
}

/// Parses a duration such as `90s`, `2m`, `1h`, `1h30m`, `3d`, `2w`. A leading `-` is reported
/// as negative (configuration refuses it with its location).
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    if s.starts_with('-') {
        return Err(DurationError::Negative);
    }
    if s.is_empty() {
        return Err(DurationError::Malformed);
    }
    if s == "0" {
        return Ok(Duration::zero());
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| DurationError::Malformed)?;
        digits.clear();
        total += match c {
            's' => Duration::seconds(n),
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            'w' => Duration::weeks(n),
            _ => return Err(DurationError::Malformed),
        };
    }
    if !digits.is_empty() {
        return Err(DurationError::Malformed);
    }
    Ok(total)
}

/// Why a duration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("must not be negative")]
    Negative,
    #[error("must be a duration such as \"90s\", \"2m\", \"1h\", \"1h30m\", \"3d\" or \"2w\"")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_refuse_negatives() {
        assert_eq!(parse_duration("2m"), Ok(Duration::minutes(2)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("3d"), Ok(Duration::days(3)));
        assert_eq!(parse_duration("0"), Ok(Duration::zero()));
        assert_eq!(parse_duration("-5m"), Err(DurationError::Negative));
        assert_eq!(parse_duration("5"), Err(DurationError::Malformed));
        assert_eq!(parse_duration("5y"), Err(DurationError::Malformed));
    }

    fn step(name: &str, anchor: Anchor, after: Duration) -> Step {
        Step {
            name: name.into(),
            anchor,
            after,
            channel: StepChannel::CallTask,
            text: None,
            subject: None,
            title: None,
            wait: None,
            conditions: Vec::new(),
            milestone: None,
        }
    }

    #[test]
    fn steps_are_planned_from_their_anchor() {
        let t0 = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 3, 15, 0, 0).unwrap();
        let c = Cadence {
            name: "c".into(),
            selector: Selector::default(),
            steps: vec![
                step("a", Anchor::Capture, Duration::minutes(2)),
                step("b", Anchor::Previous, Duration::hours(1)),
                step("c", Anchor::Enrollment, Duration::days(1)),
            ],
            stop_on: BTreeSet::new(),
            scheduling_link: None,
        };
        let enrolled = t0 + Duration::minutes(1);
        assert_eq!(c.planned_at(0, t0, enrolled, None), t0 + Duration::minutes(2));
        // From the previous step's plan, or from when it actually ran.
        assert_eq!(c.planned_at(1, t0, enrolled, None), t0 + Duration::minutes(62));
        assert_eq!(c.planned_at(1, t0, enrolled, Some(t0 + Duration::hours(3))), t0 + Duration::hours(4));
        assert_eq!(c.planned_at(2, t0, enrolled, None), enrolled + Duration::days(1));
        // A lead switched in late starts at the first step still ahead.
        assert_eq!(c.first_step_from(t0 + Duration::minutes(30), t0, enrolled), Some(1));
        assert_eq!(c.first_step_from(t0 + Duration::days(2), t0, enrolled), None);
        assert!(c.stops_on(StopEvent::Status(LeadStatus::Converted)), "closed leads always stop");
        assert!(!c.stops_on(StopEvent::Replied));
    }

    #[test]
    fn stop_events_parse() {
        assert_eq!(StopEvent::parse("booked"), Some(StopEvent::Status(LeadStatus::Booked)));
        assert_eq!(StopEvent::parse("opted_out"), Some(StopEvent::OptedOut));
        assert_eq!(StopEvent::parse("replied"), Some(StopEvent::Replied));
        assert_eq!(StopEvent::parse("bored"), None);
    }
}
