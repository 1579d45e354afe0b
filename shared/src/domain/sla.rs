//! Response-time SLAs: when the first human contact with a lead is due, and who is told, in
//! which order, when it is overdue (the escalation ladder).
//!
//! The deadline is the lead's arrival plus the tighter of its channel's target (web form 2 min,
//! phone immediate, chat 60 s, social DM 5 min by default: the domain brief's figures) and its
//! urgency tier's. Outside business hours the clock starts at the next opening, except for
//! crisis leads and for service lines staffed around the clock. Past the deadline the ladder
//! runs: step 0 at the deadline, each next step `after_seconds` after the previous one, until a
//! contact attempt is recorded or the ladder ends.

use super::business_hours::BusinessHours;
use super::context::ServiceLineId;
use super::routing::{Assignment, MemberId, Target, Team};
use super::source::SourceChannel;
use super::urgency::UrgencyTier;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Who a ladder step notifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LadderTarget {
    /// The lead's assignee.
    Assignee,
    /// The assignee's backup (for on-call leads, the schedule's backup).
    Backup,
    /// The assignee's manager (for on-call leads, the schedule's), else the default manager.
    Manager,
    /// Whoever is on call in this schedule.
    OnCall(String),
    /// These members.
    Members(Vec<MemberId>),
}

impl LadderTarget {
    pub fn label(&self) -> String {
        match self {
            LadderTarget::Assignee => "assignee".into(),
            LadderTarget::Backup => "backup".into(),
            LadderTarget::Manager => "manager".into(),
            LadderTarget::OnCall(s) => format!("on_call:{s}"),
            LadderTarget::Members(_) => "members".into(),
        }
    }
}

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LadderStep {
    pub notify: LadderTarget,
    /// Seconds after the deadline (step 0) or after the previous step.
    pub after_seconds: u32,
}

/// The SLA configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    /// First-contact target per source channel, seconds.
    pub channel_seconds: BTreeMap<SourceChannel, u32>,
    /// For channels not listed.
    pub default_seconds: u32,
    /// Tighter targets per urgency tier.
    pub tier_seconds: BTreeMap<UrgencyTier, u32>,
    /// Service lines whose clock runs at night and on holidays too.
    pub around_the_clock: BTreeSet<ServiceLineId>,
    pub ladder: Vec<LadderStep>,
    pub default_manager: Option<MemberId>,
}

impl Default for SlaPolicy {
    /// The domain brief's targets and a three-step ladder.
    fn default() -> Self {
        SlaPolicy {
            channel_seconds: [
                (SourceChannel::WebForm, 120),
                (SourceChannel::PaidAd, 120),
                (SourceChannel::PhoneCall, 0),
                (SourceChannel::Chat, 60),
                (SourceChannel::SocialDm, 300),
            ]
            .into(),
            default_seconds: 900,
            tier_seconds: [(UrgencyTier::Crisis, 300), (UrgencyTier::Urgent, 120)].into(),
            around_the_clock: BTreeSet::new(),
            ladder: vec![
                LadderStep { notify: LadderTarget::Assignee, after_seconds: 0 },
                LadderStep { notify: LadderTarget::Backup, after_seconds: 120 },
                LadderStep { notify: LadderTarget::Manager, after_seconds: 300 },
            ],
            default_manager: None,
        }
    }
}

impl SlaPolicy {
    /// The first-contact target for a lead, in seconds.
    pub fn response_seconds(&self, channel: SourceChannel, tier: UrgencyTier) -> u32 {
        let by_channel = self.channel_seconds.get(&channel).copied().unwrap_or(self.default_seconds);
        match self.tier_seconds.get(&tier) {
            Some(t) => by_channel.min(*t),
            None => by_channel,
        }
    }

    /// Whether the clock runs now for this lead, or waits for the next opening.
    pub fn runs_around_the_clock(&self, service_line: &ServiceLineId, tier: UrgencyTier) -> bool {
        tier == UrgencyTier::Crisis || self.around_the_clock.contains(service_line)
    }

    /// When the clock starts for a lead received at `received`: at once, or at the next opening.
    pub fn clock_start(
        &self,
        service_line: &ServiceLineId,
        tier: UrgencyTier,
        hours: &BusinessHours,
        received: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if self.runs_around_the_clock(service_line, tier) || hours.is_open(received) {
            return received;
        }
        hours.next_opening(received).map(|t| t.with_timezone(&Utc)).unwrap_or(received)
    }

    /// When the first human contact is due.
    pub fn deadline(
        &self,
        service_line: &ServiceLineId,
        channel: SourceChannel,
        tier: UrgencyTier,
        hours: &BusinessHours,
        received: DateTime<Utc>,
    ) -> DateTime<Utc> {
        self.clock_start(service_line, tier, hours, received) + Duration::seconds(i64::from(self.response_seconds(channel, tier)))
    }

    /// When ladder step `level + 1` is due, given step `level` ran at `at`.
    pub fn next_step_at(&self, level: usize, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.ladder.get(level + 1).map(|s| at + Duration::seconds(i64::from(s.after_seconds)))
    }

    /// The members step `level` notifies for a lead with `assignment`.
    pub fn recipients(&self, level: usize, assignment: Option<&Assignment>, team: &Team, now: DateTime<Utc>) -> Vec<MemberId> {
        let Some(step) = self.ladder.get(level) else { return Vec::new() };
        let assignee = assignment.and_then(|a| team.members.get(&a.member));
        // The on-call schedule an on-call assignment came from.
        let schedule = assignment.filter(|a| a.on_call).and_then(|a| {
            team.rules.iter().find(|r| r.name == a.rule).map(|r| &r.target).or(team.default.as_ref()).and_then(|t| match t {
                Target::OnCall(s) => team.on_call.get(s),
                _ => None,
            })
        });
        let found = match &step.notify {
            LadderTarget::Assignee => assignment.map(|a| vec![a.member.clone()]),
            LadderTarget::Backup => {
                assignee.and_then(|m| m.backup.clone()).or_else(|| schedule.and_then(|s| s.backup.clone())).map(|b| vec![b])
            }
            LadderTarget::Manager => assignee
                .and_then(|m| m.manager.clone())
                .or_else(|| schedule.and_then(|s| s.manager.clone()))
                .or_else(|| self.default_manager.clone())
                .map(|m| vec![m]),
            LadderTarget::OnCall(s) => team.on_call.get(s).and_then(|s| s.on_call(now)).map(|m| vec![m.clone()]),
            LadderTarget::Members(ms) => Some(ms.clone()),
        };
        let mut out = found.unwrap_or_default();
        // Nobody is told twice in one step; a backup who is the assignee adds nothing.
        out.dedup();
        out
    }
}

/// The SLA item's state, carried by the scheduler (ids and numbers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum SlaStep {
    /// Nobody could be assigned (off hours): try routing again when this is due.
    Route,
    /// Run ladder step `level`.
    Escalate { level: usize },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::business_hours::{Closing, DayHours};
    use chrono::{NaiveTime, TimeZone};

    fn hours() -> BusinessHours {
        let d = Some(DayHours {
            open: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            close: Closing::At(NaiveTime::from_hms_opt(18, 0, 0).unwrap()),
        });
        BusinessHours {
            time_zone: chrono_tz::America::New_York,
            week: [d, d, d, d, d, None, None],
            holidays: Default::default(),
            response_minutes: 5,
        }
    }

    fn ny(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn targets_follow_the_channel_and_the_tighter_tier() {
        let p = SlaPolicy::default();
        assert_eq!(p.response_seconds(SourceChannel::WebForm, UrgencyTier::Routine), 120);
        assert_eq!(p.response_seconds(SourceChannel::PhoneCall, UrgencyTier::Routine), 0);
        assert_eq!(p.response_seconds(SourceChannel::Chat, UrgencyTier::Routine), 60);
        assert_eq!(p.response_seconds(SourceChannel::SocialDm, UrgencyTier::Routine), 300);
        assert_eq!(p.response_seconds(SourceChannel::SocialDm, UrgencyTier::Urgent), 120);
        assert_eq!(p.response_seconds(SourceChannel::Event, UrgencyTier::Routine), 900);
    }

    #[test]
    fn the_clock_waits_for_opening_except_for_crisis_and_24_7_lines() {
        let mut p = SlaPolicy::default();
        let spa = ServiceLineId::parse("med_spa").unwrap();
        let rehab = ServiceLineId::parse("addiction_treatment").unwrap();
        p.around_the_clock.insert(rehab.clone());
        // Tuesday 10:30: open.
        assert_eq!(p.deadline(&spa, SourceChannel::WebForm, UrgencyTier::Routine, &hours(), ny(3, 10, 30)), ny(3, 10, 32));
        // Tuesday 02:00: waits for 08:00.
        assert_eq!(p.deadline(&spa, SourceChannel::WebForm, UrgencyTier::Routine, &hours(), ny(3, 2, 0)), ny(3, 8, 2));
        assert_eq!(p.deadline(&spa, SourceChannel::WebForm, UrgencyTier::Crisis, &hours(), ny(3, 2, 0)), ny(3, 2, 2));
        assert_eq!(p.deadline(&rehab, SourceChannel::WebForm, UrgencyTier::Routine, &hours(), ny(7, 2, 0)), ny(7, 2, 2));
        assert_eq!(p.next_step_at(0, ny(3, 10, 32)), Some(ny(3, 10, 34)));
        assert_eq!(p.next_step_at(1, ny(3, 10, 34)), Some(ny(3, 10, 39)));
        assert_eq!(p.next_step_at(2, ny(3, 10, 39)), None);
    }

    #[test]
    fn step_state_has_a_stable_wire_form() {
        assert_eq!(serde_json::to_string(&SlaStep::Escalate { level: 2 }).unwrap(), r#"{"step":"escalate","level":2}"#);
        assert_eq!(serde_json::from_str::<SlaStep>(r#"{"step":"route"}"#).unwrap(), SlaStep::Route);
    }

    #[test]
    fn the_clock_of_a_practice_open_to_midnight_runs_at_its_last_minute() {
        let mut h = hours();
        h.week = [Some(DayHours { open: NaiveTime::MIN, close: Closing::EndOfDay }); 7];
        let spa = ServiceLineId::parse("med_spa").unwrap();
        let p = SlaPolicy::default();
        // Saturday 23:59:30 and Sunday 00:00 (a 00:00-24:00 week): the clock starts at once.
        let late = ny(7, 23, 59) + Duration::seconds(30);
        assert_eq!(p.clock_start(&spa, UrgencyTier::Routine, &h, late), late);
        assert_eq!(p.deadline(&spa, SourceChannel::WebForm, UrgencyTier::Routine, &h, late), late + Duration::seconds(120));
        // Across the spring-forward night too (2026-03-08 02:00 never happens).
        let night = ny(8, 3, 0) - Duration::seconds(1);
        assert_eq!(p.clock_start(&spa, UrgencyTier::Routine, &h, night), night);
        // Weekdays open to midnight, the weekend closed: Friday 23:59 runs, Saturday waits for Monday.
        h.week[5] = None;
        h.week[6] = None;
        let friday = ny(6, 23, 59);
        assert_eq!(p.clock_start(&spa, UrgencyTier::Routine, &h, friday), friday);
        assert_eq!(p.clock_start(&spa, UrgencyTier::Routine, &h, ny(7, 0, 0)), ny(9, 0, 0));
    }
}
