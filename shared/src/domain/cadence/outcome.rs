//! What a cadence step did, as recorded on the lead's timeline: every attempt with its step,
//! channel, time (the entry's), outcome and the next step.

use super::StepChannel;
use crate::domain::routing::MemberId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StepOutcome {
    /// The message went out (SMS: its text; email: its subject. Templates carry no health data).
    Sent {
        provider_message_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// A call task was created (and its member notified).
    TaskCreated {
        task_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member: Option<MemberId>,
    },
    /// The assigned member was notified.
    Notified { member: MemberId },
    /// Not done, and why (`no_consent`, `opted_out`, `only_if_last_call_unanswered`, ...).
    Skipped { reason: String },
    /// Waits until `until` (quiet hours, the daily cap, preferred times, business hours).
    Deferred { until: DateTime<Utc>, reason: String },
    /// The provider refused it for good, or it kept failing.
    Failed { error: String },
}

impl StepOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            StepOutcome::Sent { .. } => "sent",
            StepOutcome::TaskCreated { .. } => "task_created",
            StepOutcome::Notified { .. } => "notified",
            StepOutcome::Skipped { .. } => "skipped",
            StepOutcome::Deferred { .. } => "deferred",
            StepOutcome::Failed { .. } => "failed",
        }
    }
}

/// A step referred to from another entry ("next: email-1h at 11:30").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRef {
    pub step: u32,
    pub name: String,
    pub channel: StepChannel,
    pub at: DateTime<Utc>,
}
