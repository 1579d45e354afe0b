//! Team notifications through SNS: one topic per member, named `{prefix}{member_id}` (the
//! template passes the ARN prefix, `arn:aws:sns:{region}:{account}:{stack}-team-`). The operator
//! subscribes the member's phone (SMS) and/or email to their topic once; leadflow never holds
//! staff numbers. One publish with a per-protocol message: the short text for SMS, a subject
//! and the same text for email.

use super::error::failure;
use crate::domain::team_notice::TeamNotice;
use crate::ports::{Notifier, NotifyError};
use async_trait::async_trait;
use aws_sdk_sns::Client;

/// Publishes team notices to per-member topics. Cloning shares the client.
#[derive(Debug, Clone)]
pub struct SnsTeamNotifier {
    client: Client,
    topic_arn_prefix: Option<String>,
}

impl SnsTeamNotifier {
    /// `topic_arn_prefix` is `LEADFLOW_TEAM_TOPIC_ARN_PREFIX`; without it every notify fails
    /// with `NotConfigured` (functions that never notify do not need it).
    pub fn new(client: Client, topic_arn_prefix: Option<String>) -> Self {
        SnsTeamNotifier { client, topic_arn_prefix }
    }

    /// The member's topic ARN.
    pub fn topic_arn(&self, member: &str) -> Option<String> {
        self.topic_arn_prefix.as_ref().map(|p| format!("{p}{member}"))
    }
}

/// SNS subjects: ASCII, no line breaks, under 100 characters.
fn subject(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' }).collect();
    clean.chars().take(99).collect()
}

#[async_trait]
impl Notifier for SnsTeamNotifier {
    async fn notify(&self, notice: &TeamNotice) -> Result<String, NotifyError> {
        let arn = self
            .topic_arn(notice.member.as_str())
            .ok_or_else(|| NotifyError::NotConfigured("LEADFLOW_TEAM_TOPIC_ARN_PREFIX is not set".into()))?;
        let message = serde_json::json!({ "default": notice.text, "sms": notice.text, "email": notice.text }).to_string();
        let result =
            self.client.publish().topic_arn(&arn).message_structure("json").message(message).subject(subject(&notice.subject)).send().await;
        match result {
            Ok(out) => {
                let id = out.message_id.unwrap_or_default();
                tracing::info!(lead_id = %notice.lead_id, member = %notice.member, notice = notice.kind.as_str(), message_id = %id, "team notified");
                Ok(id)
            }
            Err(e) => {
                let f = failure(&e);
                tracing::warn!(lead_id = %notice.lead_id, member = %notice.member, code = f.code.as_deref().unwrap_or(""), "team notification failed");
                Err(NotifyError::Unavailable(f.detail))
            }
        }
    }
}
