//! Notifications to team members (not to leads: those go through the consent gate). Each member
//! has a notification topic; what it delivers to (their phone by SMS, their email) is set up
//! once, outside leadflow, so no staff number or address sits in configuration.

use crate::domain::team_notice::TeamNotice;
use async_trait::async_trait;

/// The notification could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Throttling or an outage: retry later.
    #[error("the notification service is unavailable: {0}")]
    Unavailable(String),
    /// No topic is configured for notifications in this environment.
    #[error("team notifications are not configured: {0}")]
    NotConfigured(String),
}

/// Delivers team notifications.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Hands the notice over; returns the provider's message id.
    async fn notify(&self, notice: &TeamNotice) -> Result<String, NotifyError>;
}
