//! Alerts to the team ("your lead replied"). Kept apart from lead messaging: alerts go to staff,
//! carry ids only, and never pass the consent gate. (The scoring/routing work brings a general
//! team notifier; this port is the narrow piece webhooks need and can be folded into it.)

use crate::domain::LeadId;
use async_trait::async_trait;
use serde::Serialize;

/// One alert: ids and a reason code, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamAlert {
    pub lead_id: LeadId,
    /// The assignee, when the lead has one; otherwise the alert is for the team at large.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// `lead.replied`, `call.missed`, ...
    pub reason: String,
}

/// Delivering an alert failed.
#[derive(Debug, thiserror::Error)]
#[error("the alert could not be delivered: {0}")]
pub struct AlertError(pub String);

/// Delivers alerts to the team.
#[async_trait]
pub trait TeamAlerts: Send + Sync {
    async fn alert(&self, alert: &TeamAlert) -> Result<(), AlertError>;
}
