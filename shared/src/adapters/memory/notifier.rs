//! The embedded team notifier: each notice lands in the outbox (`GET /local/outbox`) once per
//! channel the member's topic delivers to, as `team_sms` / `team_email`, addressed to the member
//! id (leadflow never holds staff numbers).

use super::outbox::{MemoryOutbox, OutboxEntry};
use crate::domain::team_notice::TeamNotice;
use crate::ports::{Notifier, NotifyError};
use async_trait::async_trait;

#[async_trait]
impl Notifier for MemoryOutbox {
    async fn notify(&self, notice: &TeamNotice) -> Result<String, NotifyError> {
        let id = format!("local-notice-{}", ulid::Ulid::new());
        let channels = [("team_sms", notice.channels.sms), ("team_email", notice.channels.email)];
        for (channel, on) in channels {
            if on {
                self.push(OutboxEntry {
                    channel: channel.into(),
                    recipient: format!("member:{}", notice.member),
                    text: notice.text.clone(),
                    lead_id: Some(notice.lead_id),
                    purpose: notice.kind.as_str().into(),
                    provider_message_id: id.clone(),
                    at: self.clock().now(),
                    subject: None,
                    headers: Vec::new(),
                });
            }
        }
        Ok(id)
    }
}
