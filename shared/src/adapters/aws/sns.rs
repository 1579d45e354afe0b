//! Texts through SNS `Publish` to a phone number.

use super::error::failure;
use crate::ports::{OutboundSms, SendError, SentMessage, SmsSender};
use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;

const SMS_TYPE: &str = "AWS.SNS.SMS.SMSType";
const SENDER_ID: &str = "AWS.SNS.SMS.SenderID";
const ORIGINATION_NUMBER: &str = "AWS.MM.SMS.OriginationNumber";

/// Error codes that mean this message will never be accepted (a malformed or unreachable
/// number, an opted-out recipient, a text too long). Everything else, including permission and
/// configuration errors, is retryable: the message waits in the queue (then the dead-letter
/// queue) until the fault is fixed, instead of being recorded as undeliverable.
const REJECTED_CODES: &[&str] = &["InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid", "OptedOut", "OptedOutException"];

/// Error codes that mean "slow down": the text was not accepted and goes again after a cool-down.
const THROTTLED_CODES: &[&str] = &["Throttling", "ThrottlingException", "Throttled", "ThrottledException", "TooManyRequestsException"];

/// Sends texts with SNS. Cloning shares the client.
#[derive(Debug, Clone)]
pub struct SnsSms {
    client: Client,
    origination_number: Option<String>,
    sender_id: Option<String>,
}

impl SnsSms {
    /// `origination_number` (E.164, a registered long code or toll-free number) and `sender_id`
    /// (alphanumeric, where countries allow it) are optional: without them the account's
    /// default origination identity is used.
    pub fn new(client: Client, origination_number: Option<String>, sender_id: Option<String>) -> Self {
        SnsSms { client, origination_number, sender_id }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, SendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| SendError::Rejected(format!("cannot build the message: {e}")))
}

#[async_trait]
impl SmsSender for SnsSms {
    fn identity(&self) -> String {
        self.origination_number.clone().or_else(|| self.sender_id.clone()).unwrap_or_else(|| "default".into())
    }

    async fn send(&self, sms: &OutboundSms) -> Result<SentMessage, SendError> {
        let sms_type = if sms.purpose.is_transactional() { "Transactional" } else { "Promotional" };
        let mut request = self
            .client
            .publish()
            .phone_number(sms.to.as_e164())
            .message(&sms.body)
            .message_attributes(SMS_TYPE, string_attribute(sms_type)?);
        if let Some(number) = &self.origination_number {
            request = request.message_attributes(ORIGINATION_NUMBER, string_attribute(number)?);
        }
        if let Some(id) = &self.sender_id {
            request = request.message_attributes(SENDER_ID, string_attribute(id)?);
        }
        // Logs name the lead only: never the number or the text.
        let lead_id = sms.lead_id.map(|id| id.to_string()).unwrap_or_default();
        match request.send().await {
            Ok(out) => {
                let provider_message_id = out.message_id.unwrap_or_default();
                tracing::info!(%lead_id, purpose = sms.purpose.as_str(), message_id = %provider_message_id, "sms sent");
                Ok(SentMessage { provider_message_id })
            }
            Err(e) => {
                let mut f = failure(&e);
                // SNS echoes the number in some messages ("+1555… is not valid to publish to").
                f.detail = scrub_numbers(&f.detail);
                tracing::warn!(%lead_id, purpose = sms.purpose.as_str(), code = f.code.as_deref().unwrap_or(""), transient = f.transient, "sms not sent");
                match f.code.as_deref() {
                    Some(code) if !f.transient && REJECTED_CODES.contains(&code) => Err(SendError::Rejected(f.detail)),
                    Some(code) if THROTTLED_CODES.contains(&code) => Err(SendError::Throttled(f.detail)),
                    _ => Err(SendError::Retryable(f.detail)),
                }
            }
        }
    }
}

/// Replaces every run of seven or more digits (with an optional leading `+`) by `<number>`.
fn scrub_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 7 {
            out.push_str("<number>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::scrub_numbers;

    #[test]
    fn error_details_never_carry_a_phone_number() {
        assert_eq!(
            scrub_numbers("Invalid parameter: PhoneNumber Reason: +12015550123 is not valid to publish to"),
            "Invalid parameter: PhoneNumber Reason: <number> is not valid to publish to"
        );
        assert_eq!(
            scrub_numbers("HTTP 400: SMS message must be less than 1600 bytes"),
            "HTTP 400: SMS message must be less than 1600 bytes"
        );
    }
}
