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
    /// The instant acknowledgement, when the lead's phone cannot take texts (a landline) or
    /// the person left only an email address.
    Acknowledgement,
    /// The link to confirm a contact point a later inquiry gave, sent to the lead's own address.
    ContactConfirmation,
    /// A staff member's e-mail from the lead's page (through the consent gate).
    Staff,
    /// An appointment reminder.
    Reminder,
}

impl EmailPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailPurpose::FollowUp => "follow_up",
            EmailPurpose::StaffReport => "staff_report",
            EmailPurpose::TeamNotice => "team_notice",
            EmailPurpose::Acknowledgement => "acknowledgement",
            EmailPurpose::ContactConfirmation => "contact_confirmation",
            EmailPurpose::Staff => "staff",
            EmailPurpose::Reminder => "appointment_reminder",
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
    /// Extra headers (RFC 8058 `List-Unsubscribe` and `List-Unsubscribe-Post` on every
    /// automated email to a lead).
    pub headers: Vec<(String, String)>,
}

/// Sends email.
#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send(&self, email: &OutboundEmail) -> Result<SentMessage, SendError>;
}
