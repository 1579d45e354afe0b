//! Sending text messages. Only the consent gate (`app::messaging`) calls this for leads.

use crate::domain::string_enum::string_enum;
use crate::domain::{LeadId, Phone};
use async_trait::async_trait;

string_enum! {
    /// Why a text is sent; providers treat transactional and promotional traffic differently.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MessagePurpose {
        /// The instant answer to the person's own inquiry.
        Acknowledgement => "acknowledgement",
        /// The one confirmation allowed after an opt-out (FCC 24-24, CTIA): sent to a number that
        /// just opted out, so the consent gate's opt-out check does not apply to it. Nothing else.
        OptOutConfirmation => "opt_out_confirmation",
        /// The answer to HELP: program name, contact, "Msg & data rates may apply". It answers the
        /// person's own request and carriers require it, so it goes out even to opted-out numbers.
        HelpReply => "help_reply",
        /// The confirmation of a START: the number is subscribed again, so the normal gate applies.
        ResubscribeConfirmation => "resubscribe_confirmation",
        /// A follow-up cadence step: through the consent gate, like everything else.
        FollowUp => "follow_up",
        /// A staff member's text from the lead's page: through the consent gate too.
        Staff => "staff",
        /// An appointment reminder, or the answer to a reminder's reply ("C", "R").
        Reminder => "appointment_reminder",
    }
}

impl MessagePurpose {
    /// Transactional messages answer the person's own request.
    pub fn is_transactional(self) -> bool {
        matches!(
            self,
            MessagePurpose::Acknowledgement
                | MessagePurpose::OptOutConfirmation
                | MessagePurpose::HelpReply
                | MessagePurpose::ResubscribeConfirmation
                | MessagePurpose::Reminder
        )
    }
}

/// A text to send.
#[derive(Debug, Clone)]
pub struct OutboundSms {
    pub lead_id: Option<LeadId>,
    pub to: Phone,
    pub body: String,
    pub purpose: MessagePurpose,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub provider_message_id: String,
}

/// The provider did not accept the message.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// An outage: try again later.
    #[error("the SMS provider is unavailable: {0}")]
    Retryable(String),
    /// The provider asked to slow down: the text was not accepted; send it again after a
    /// cool-down (`domain::pacing`).
    #[error("the provider throttled the message: {0}")]
    Throttled(String),
    /// The provider refused this message for good (invalid number, opted out at the carrier).
    #[error("the SMS provider refused the message: {0}")]
    Rejected(String),
}

/// Sends texts.
#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, sms: &OutboundSms) -> Result<SentMessage, SendError>;

    /// The origination identity texts go out from (its throughput is paced as one); `default`
    /// when the provider picks it.
    fn identity(&self) -> String {
        "default".into()
    }
}
