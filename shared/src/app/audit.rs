//! Writing the audit trail from use cases and handlers. Reads are recorded before the data is
//! returned and a failed write refuses the read (fail closed); changes are recorded with ids
//! derived from the change, so a retried step records once.

use super::Services;
use crate::auth::Principal;
use crate::domain::audit::fields;
use crate::domain::{AuditAction, AuditActor, AuditEntry, TimelineEntry};
use crate::ports::StoreError;
use chrono::{DateTime, Utc};
use tracing::error;

/// Where a request came from, for its audit entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
    /// `METHOD /pattern`.
    pub route: String,
}

impl From<&Principal> for AuditActor {
    fn from(p: &Principal) -> Self {
        AuditActor::User { user_id: p.user_id.clone(), role: p.role.as_str().to_string() }
    }
}

/// An entry for a staff member's request.
pub fn staff_entry(at: DateTime<Utc>, principal: &Principal, action: AuditAction, meta: &RequestMeta) -> AuditEntry {
    let mut e = AuditEntry::new(at, principal.into(), action);
    e.source_ip = meta.source_ip.clone();
    e.request_id = meta.request_id.clone();
    e.route = Some(meta.route.clone());
    e
}

/// Appends `entry`; a failure is logged with the ids involved and returned.
pub async fn record(services: &Services, entry: &AuditEntry) -> Result<(), StoreError> {
    match services.audit.append(entry).await {
        Ok(_) => Ok(()),
        Err(e) => {
            error!(audit_id = %entry.id, action = entry.action.as_str(), lead_id = ?entry.lead_id.map(|l| l.to_string()), error = %e, "audit entry not written");
            Err(e)
        }
    }
}

/// Records a leadflow component's step on a lead (scoring, the SLA checker, the webhook worker,
/// the acknowledgement): what the step wrote, derived from its timeline `entry`, once per entry
/// (the audit id derives from the entry's id, so a redelivered message records nothing twice).
pub async fn system_step(services: &Services, component: &str, entry: &TimelineEntry) -> Result<(), StoreError> {
    let mut e = AuditEntry::new(entry.at, AuditActor::system(component), AuditAction::Process)
        .lead(entry.lead_id)
        .fields(fields::written(&entry.kind))
        .derived(&entry.id.to_string());
    e.route = Some(component.to_string());
    record(services, &e).await
}

/// Appends a component's timeline `entry` and records the step ([`system_step`]).
pub async fn append_system(services: &Services, component: &str, entry: &TimelineEntry) -> Result<(), StoreError> {
    services.timeline.append(entry).await?;
    system_step(services, component, entry).await
}
