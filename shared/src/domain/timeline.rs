//! The lead's timeline: an append-only, time-ordered record of everything that happened to it.

use super::channel::ContactChannel;
use super::ids::{EventId, LeadId};
use super::source::SourceChannel;
use super::touchpoint::Touchpoint;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who or what caused an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A leadflow component (`intake`, `acknowledge`, ...).
    System(String),
    /// The person the lead is about (a form post, a reply).
    Lead,
    /// A team member, by user id.
    User(String),
    /// An outside system (`twilio`, `stripe`, ...).
    Integration(String),
}

/// Why an automated message was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    NoConsent,
    ConsentRevoked,
    OptedOut,
    NoPhone,
    NotMobile,
    NoEmail,
    LeadClosed,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NoConsent => "no_consent",
            SkipReason::ConsentRevoked => "consent_revoked",
            SkipReason::OptedOut => "opted_out",
            SkipReason::NoPhone => "no_phone",
            SkipReason::NotMobile => "not_mobile",
            SkipReason::NoEmail => "no_email",
            SkipReason::LeadClosed => "lead_closed",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineKind {
    /// The lead was created by an inquiry.
    LeadCaptured { channel: SourceChannel, touchpoint: Touchpoint },
    /// The same person inquired again while the lead was open.
    RepeatInquiry { touchpoint: Touchpoint },
    /// The instant acknowledgement went out.
    AcknowledgementSent {
        channel: ContactChannel,
        provider_message_id: String,
        /// The text sent (templates carry no health details).
        text: String,
    },
    /// The acknowledgement was not sent, and why.
    AcknowledgementSkipped { reason: SkipReason },
    /// The provider refused the acknowledgement for good (an unreachable number).
    AcknowledgementFailed { channel: ContactChannel, error: String },
}

/// One entry on a lead's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: EventId,
    pub lead_id: LeadId,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(flatten)]
    pub kind: TimelineKind,
}

impl TimelineEntry {
    /// A new entry at `at` with a fresh id.
    pub fn new(lead_id: LeadId, at: DateTime<Utc>, actor: Actor, kind: TimelineKind) -> Self {
        TimelineEntry { id: EventId::new_at(at), lead_id, at, actor, kind }
    }

    /// A new entry whose id derives from `seed`, so recording the same fact twice (a
    /// redelivered message, a retried request) yields one entry.
    pub fn derived(lead_id: LeadId, at: DateTime<Utc>, seed: &str, actor: Actor, kind: TimelineKind) -> Self {
        TimelineEntry { id: EventId::derived(at, seed.as_bytes()), lead_id, at, actor, kind }
    }
}
