//! What a team member is told about a lead: its id, a short code, a link, the service line, the
//! urgency tier and the score. Never the person's name, number or health details: a text on a
//! staff phone's lock screen must not disclose them.

use super::ids::LeadId;
use super::routing::{MemberId, NotifyChannels};
use serde::{Deserialize, Serialize};

/// Why a member is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A lead was assigned to them.
    Assigned,
    /// A crisis lead was assigned to them as the on-call member: call now.
    CrisisPage,
    /// A lead's first contact is overdue (an escalation ladder step).
    Overdue,
    /// A follow-up cadence created a call task for them.
    CallTask,
    /// A follow-up cadence's notification step.
    FollowUp,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Assigned => "assigned",
            NoticeKind::CrisisPage => "crisis_page",
            NoticeKind::Overdue => "overdue",
            NoticeKind::CallTask => "call_task",
            NoticeKind::FollowUp => "follow_up",
        }
    }
}

/// A rendered notification for one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamNotice {
    pub member: MemberId,
    pub channels: NotifyChannels,
    pub kind: NoticeKind,
    pub lead_id: LeadId,
    /// Email subject.
    pub subject: String,
    /// The text (SMS and email body).
    pub text: String,
}

/// A short code staff can read out or type: the last 8 characters of the lead id.
pub fn short_code(id: LeadId) -> String {
    let s = id.to_string();
    s[s.len().saturating_sub(8)..].to_string()
}
