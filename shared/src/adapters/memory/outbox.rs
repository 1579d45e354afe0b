//! The embedded message sender: every "sent" message lands in an outbox that the local runner
//! shows at `GET /local/outbox` and tests read directly.

use crate::domain::LeadId;
use crate::ports::{AlertError, Clock, EmailSender, OutboundEmail, OutboundSms, SendError, SentMessage, SmsSender, TeamAlert, TeamAlerts};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// One message that would have gone out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub channel: String,
    pub recipient: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<LeadId>,
    pub purpose: String,
    pub provider_message_id: String,
    pub at: DateTime<Utc>,
    /// Email only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<String>,
    /// Email only: extra headers (`List-Unsubscribe`, `List-Unsubscribe-Post`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub headers: Vec<(String, String)>,
}

/// The outbox. Cloning shares it.
#[derive(Clone)]
pub struct MemoryOutbox {
    entries: Arc<Mutex<Vec<OutboxEntry>>>,
    clock: Arc<dyn Clock>,
    notify: Arc<Notify>,
    failing: Arc<AtomicU32>,
    throttling: Arc<AtomicU32>,
}

impl MemoryOutbox {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        MemoryOutbox {
            entries: Arc::default(),
            clock,
            notify: Arc::new(Notify::new()),
            failing: Arc::default(),
            throttling: Arc::default(),
        }
    }

    /// Everything sent so far, oldest first.
    pub fn entries(&self) -> Vec<OutboxEntry> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// What was sent after the first `n` entries (a watcher reads only what is new).
    pub fn entries_since(&self, n: usize) -> Vec<OutboxEntry> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).iter().skip(n).cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Makes the next `n` sends fail as retryable (a provider outage).
    pub fn fail_next(&self, n: u32) {
        self.failing.store(n, Ordering::SeqCst);
    }

    /// Makes the next `n` texts fail as throttled (the provider says "slow down").
    pub fn throttle_next(&self, n: u32) {
        self.throttling.store(n, Ordering::SeqCst);
    }

    /// Waits until the outbox holds at least `n` entries; false on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            if self.len() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.len() >= n;
            }
        }
    }

    /// Whether an entry was sent to or about the person.
    pub(super) fn concerns(&self, e: &OutboxEntry, person: &crate::ports::PersonKeys) -> bool {
        e.lead_id.is_some_and(|id| person.lead_ids.contains(&id)) || person.phones.iter().any(|p| p.as_e164() == e.recipient)
    }

    /// Removes the entries `doomed` picks; returns how many.
    pub(super) fn remove_where(&self, doomed: impl Fn(&OutboxEntry) -> bool) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let before = entries.len();
        entries.retain(|e| !doomed(e));
        before - entries.len()
    }

    pub(super) fn push(&self, entry: OutboxEntry) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
        self.notify.notify_waiters();
    }
}

#[async_trait]
impl SmsSender for MemoryOutbox {
    async fn send(&self, sms: &OutboundSms) -> Result<SentMessage, SendError> {
        if self.failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(SendError::Retryable("injected failure".into()));
        }
        if self.throttling.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(SendError::Throttled("injected throttling".into()));
        }
        let id = format!("local-sms-{}", ulid::Ulid::new());
        self.push(OutboxEntry {
            channel: "sms".into(),
            recipient: sms.to.as_e164().to_string(),
            text: sms.body.clone(),
            lead_id: sms.lead_id,
            purpose: sms.purpose.as_str().into(),
            provider_message_id: id.clone(),
            at: self.clock.now(),
            subject: None,
            headers: Vec::new(),
        });
        Ok(SentMessage { provider_message_id: id })
    }
}

/// Alerts land in the outbox too, as `channel: "alert"` entries addressed to the user (or
/// `team`), so the local runner shows them at `GET /local/outbox` next to the texts.
#[async_trait]
impl TeamAlerts for MemoryOutbox {
    async fn alert(&self, alert: &TeamAlert) -> Result<(), AlertError> {
        self.push(OutboxEntry {
            channel: "alert".into(),
            recipient: alert.user_id.clone().or_else(|| alert.team.clone()).unwrap_or_else(|| "team".into()),
            text: alert.reason.clone(),
            lead_id: Some(alert.lead_id),
            purpose: "team_alert".into(),
            provider_message_id: format!("local-alert-{}", ulid::Ulid::new()),
            at: self.clock.now(),
            subject: None,
            headers: Vec::new(),
        });
        Ok(())
    }
}

/// Emails land in the outbox as `channel: "email"` entries with their subject.
#[async_trait]
impl EmailSender for MemoryOutbox {
    async fn send(&self, email: &OutboundEmail) -> Result<SentMessage, SendError> {
        if self.failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(SendError::Retryable("injected failure".into()));
        }
        let id = format!("local-email-{}", ulid::Ulid::new());
        self.push(OutboxEntry {
            channel: "email".into(),
            recipient: email.to.as_str().to_string(),
            text: email.text.clone(),
            lead_id: email.lead_id,
            purpose: email.purpose.as_str().into(),
            provider_message_id: id.clone(),
            at: self.clock.now(),
            subject: Some(email.subject.clone()),
            headers: email.headers.clone(),
        });
        Ok(SentMessage { provider_message_id: id })
    }
}
