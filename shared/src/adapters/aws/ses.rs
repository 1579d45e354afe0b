//! Email through Amazon SES v2 `SendEmail`, from the configured sender identity (the template
//! scopes `ses:SendEmail` to that identity). An optional configuration set publishes delivery,
//! bounce, complaint, open and click events (the email-engagement webhook reads them).

use super::error::failure;
use crate::ports::{EmailSender, OutboundEmail, SendError, SentMessage};
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use aws_sdk_sesv2::Client;

/// SES v2 sender.
#[derive(Debug, Clone)]
pub struct SesEmail {
    client: Client,
    /// `None` when the deployment names no sender: every send is refused, not retried.
    from: Option<String>,
    configuration_set: Option<String>,
}

impl SesEmail {
    /// `from` is the verified identity (`Harbor Health <care@harborhealth.example>`).
    pub fn new(client: Client, from: Option<String>, configuration_set: Option<String>) -> Self {
        SesEmail { client, from, configuration_set }
    }
}

fn content(text: &str) -> Result<Content, SendError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| SendError::Rejected(format!("cannot build the email: {e}")))
}

#[async_trait]
impl EmailSender for SesEmail {
    async fn send(&self, email: &OutboundEmail) -> Result<SentMessage, SendError> {
        let Some(from) = &self.from else {
            return Err(SendError::Rejected("no sender identity is configured (LEADFLOW_EMAIL_FROM)".into()));
        };
        let mut body = Body::builder().text(content(&email.text)?);
        if let Some(html) = &email.html {
            body = body.html(content(html)?);
        }
        let mut message = Message::builder().subject(content(&email.subject)?).body(body.build());
        for (name, value) in &email.headers {
            let header = MessageHeader::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|e| SendError::Rejected(format!("cannot build the email header {name}: {e}")))?;
            message = message.headers(header);
        }
        let message = message.build();
        let out = self
            .client
            .send_email()
            .from_email_address(from)
            .destination(Destination::builder().to_addresses(email.to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .email_tags(
                aws_sdk_sesv2::types::MessageTag::builder()
                    .name("purpose")
                    .value(email.purpose.as_str())
                    .build()
                    .map_err(|e| SendError::Rejected(e.to_string()))?,
            )
            .send()
            .await;
        match out {
            Ok(o) => Ok(SentMessage { provider_message_id: o.message_id.unwrap_or_default() }),
            Err(e) => {
                // Never put the address in the error: SES messages can repeat it; keep the code.
                let f = failure(&e);
                let code = f.code.unwrap_or_else(|| "no answer".into());
                if f.transient {
                    Err(SendError::Retryable(format!("SES SendEmail failed ({code})")))
                } else {
                    Err(SendError::Rejected(format!("SES refused the email ({code})")))
                }
            }
        }
    }
}
