//! Sending email. For leads only the consent gate (`app::email`) calls this; reports and team
//! notices go to configured staff addresses.

use super::sms::{SendError, SentMessage};
use crate::domain::{Email, LeadId};
use async_trait::async_trait;

/// Why an email is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailPurpose {
    /// A follow-up to the person's own inquiry (a cadence step).
    FollowUp,
    /// A report to staff (the weekly summary).
    StaffReport,
    /// A notice to a team member about a lead.
    TeamNotice,
    /// The instant acknowledgement, when the lead's phone cannot take texts (a landline).
    Acknowledgement,
    /// A staff member's e-mail from the lead's page (through the consent gate).
    Staff,
}

impl EmailPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailPurpose::FollowUp => "follow_up",
            EmailPurpose::StaffReport => "staff_report",
            EmailPurpose::TeamNotice => "team_notice",
            EmailPurpose::Acknowledgement => "acknowledgement",
            EmailPurpose::Staff => "staff",
        }
    }
}

/// An email to send: plain text always, HTML optionally.
#[derive(Debug, Clone)]
pub struct OutboundEmail {
    pub lead_id: Option<LeadId>,
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub purpose: EmailPurpose,
}

/// Sends email.
#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send(&self, email: &OutboundEmail) -> Result<SentMessage, SendError>;
}
