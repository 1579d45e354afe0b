//! Tasks for team members: a cadence's call steps ("call lead 7JAWV7KM now"). A task is for the
//! lead's assignee, waits for the outcome of the call (`POST /leads/{id}/contacts`), and is
//! closed by it, by the cadence moving on without it, or by the cadence stopping.
//!
//! Titles come from templates that can name only ids, the short code and the service line, so a
//! task list shows no personal or health data.

use super::contact_attempt::ContactOutcome;
use super::routing::MemberId;
use super::LeadId;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where a task stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TaskStatus {
        Open => "open",
        /// A contact attempt was recorded for it.
        Done => "done",
        /// Its wait ran out and the cadence went on.
        Expired => "expired",
        /// The cadence stopped (the lead booked, replied, was paused...).
        Cancelled => "cancelled",
    }
}

/// A task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Unique per lead; derived from the cadence step so a retried step creates it once.
    pub id: String,
    pub lead_id: LeadId,
    /// The member it is for (`None`: the lead has no assignee yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberId>,
    pub kind: String,
    pub title: String,
    pub cadence: String,
    pub step: usize,
    pub created_at: DateTime<Utc>,
    /// When the cadence stops waiting for it.
    pub due_at: DateTime<Utc>,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ContactOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Who or what closed it (a user id, `cadence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
}

impl Task {
    pub fn is_open(&self) -> bool {
        self.status == TaskStatus::Open
    }

    /// Closes it.
    pub fn close(&mut self, status: TaskStatus, outcome: Option<ContactOutcome>, by: &str, at: DateTime<Utc>) {
        self.status = status;
        self.outcome = outcome;
        self.closed_at = Some(at);
        self.closed_by = Some(by.to_string());
    }
}
