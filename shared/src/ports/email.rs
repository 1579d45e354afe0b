//! Sending email. For leads only the consent gate (`app::email`) calls this; reports and team
//! notices go to configured staff addresses.

use super::sms::{SendError, SentMessage};
use crate::domain::string_enum::string_enum;
use crate::domain::{Email, LeadId};
use async_trait::async_trait;

string_enum! {
    /// Why an email is sent.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EmailPurpose {
        /// A follow-up to the person's own inquiry (a cadence step).
        FollowUp => "follow_up",
        /// A report to staff (the weekly summary).
        StaffReport => "staff_report",
        /// A notice to a team member about a lead.
        TeamNotice => "team_notice",
        /// The instant acknowledgement, when the lead's phone cannot take texts (a landline) or
        /// the person left only an email address.
        Acknowledgement => "acknowledgement",
        /// The link to confirm a contact point a later inquiry gave, sent to the lead's own address.
        ContactConfirmation => "contact_confirmation",
        /// A staff member's e-mail from the lead's page (through the consent gate).
        Staff => "staff",
        /// An appointment reminder.
        Reminder => "appointment_reminder",
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
