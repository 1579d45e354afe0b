//! A lead's place in its cadence: at most one enrollment per lead, replaced when the lead
//! switches cadence. Stored with a version for optimistic concurrency (the consumer, the
//! scheduled steps and the pause route all change it).

use crate::domain::string_enum::string_enum;
use crate::domain::LeadId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where the enrollment stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EnrollmentState {
        /// Steps run as scheduled.
        Active => "active",
        /// A team member paused it: nothing runs until resumed.
        Paused => "paused",
        /// A stop event ended it.
        Stopped => "stopped",
        /// Every step ran.
        Completed => "completed",
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A lead's enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub lead_id: LeadId,
    /// The cadence's name.
    pub cadence: String,
    /// Bumped on every (re-)enrollment and resume: a scheduled step of an older generation is
    /// stale and does nothing.
    pub generation: u32,
    pub state: EnrollmentState,
    /// The step that runs next (its index), or the one whose call task is awaited.
    pub next_step: usize,
    /// When the next scheduled item is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due: Option<DateTime<Utc>>,
    /// The call task whose outcome the cadence waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting_task: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    /// When the previous step ran (anchor of `previous` offsets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step_at: Option<DateTime<Utc>>,
    /// Why it stopped or who paused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How far steps were pushed back past quiet hours, in seconds: the later steps move by as
    /// much, so their spacing holds (two calls planned 15 minutes apart at 22:00 go at 08:00
    /// and 08:15, not 10 minutes apart).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shift_seconds: i64,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1; every save stores `version + 1` of what was read.
    pub version: u64,
}

impl Enrollment {
    /// A new active enrollment at `step`.
    pub fn new(lead_id: LeadId, cadence: &str, generation: u32, step: usize, now: DateTime<Utc>) -> Enrollment {
        Enrollment {
            lead_id,
            cadence: cadence.to_string(),
            generation,
            state: EnrollmentState::Active,
            next_step: step,
            next_due: None,
            awaiting_task: None,
            enrolled_at: now,
            last_step_at: None,
            reason: None,
            shift_seconds: 0,
            updated_at: now,
            version: 1,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state == EnrollmentState::Active
    }
}

/// What a scheduled cadence item asks for (stored as the due item's payload: numbers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPayload {
    pub generation: u32,
    pub step: usize,
    /// `true`: the wait for step `step`'s call task ran out; go on to the next step.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wait: bool,
}

impl StepPayload {
    pub fn to_json(self) -> String {
        serde_json::to_string(&self).expect("a step payload serializes")
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_str(s).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_has_a_stable_wire_form() {
        let p = StepPayload { generation: 2, step: 3, wait: false };
        assert_eq!(p.to_json(), r#"{"generation":2,"step":3}"#);
        assert!(StepPayload::parse(r#"{"generation":2,"step":3,"wait":true}"#).unwrap().wait);
    }
}
