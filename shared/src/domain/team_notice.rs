//! What a team member is told about a lead: its id, a short code, a link, the service line, the
//! urgency tier and the score. Never the person's name, number or health details: a text on a
//! staff phone's lock screen must not disclose them.

use super::ids::LeadId;
use super::routing::{MemberId, NotifyChannels};
use crate::domain::string_enum::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Why a member is told.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum NoticeKind {
        /// A lead was assigned to them.
        Assigned => "assigned",
        /// A crisis lead was assigned to them as the on-call member: call now.
        CrisisPage => "crisis_page",
        /// A lead's first contact is overdue (an escalation ladder step).
        Overdue => "overdue",
        /// A follow-up cadence created a call task for them.
        CallTask => "call_task",
        /// A follow-up cadence's notification step.
        FollowUp => "follow_up",
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
