//! Test-record cleanup: leads marked as the team's own tests at intake
//! (`[test_records]`) are deleted `delete_after_days` after they were created, found through
//! the test-record index (a key range, never a scan). Each deletion is in the audit trail.

use super::{StepError, StepReport, Window};
use crate::app::Services;
use crate::domain::{AuditAction, AuditActor, AuditEntry};
use chrono::Duration;
use tracing::info;

/// The component name in the audit trail.
pub const COMPONENT: &str = "hygiene:test_records";
/// Most test leads one run deletes.
pub const MAX_PER_RUN: usize = 1_000;

/// Deletes test leads older than the configured age.
pub async fn run(services: &Services, window: Window) -> Result<StepReport, StepError> {
    let now = window.to;
    let mut report = StepReport { step: "test_records", ..Default::default() };
    let days = services.config.data_quality.test_records.delete_after_days;
    let before = now - Duration::days(days.into());
    let ids = services.hygiene.test_leads_before(before, MAX_PER_RUN + 1).await?;
    if ids.len() > MAX_PER_RUN {
        report.skipped = ids.len() - MAX_PER_RUN;
    }
    for id in ids.into_iter().take(MAX_PER_RUN) {
        report.examined += 1;
        // Only a lead that is still a test record (the index is written only for those).
        if let Some(lead) = services.leads.get(id).await? {
            if !lead.test {
                continue;
            }
        }
        if services.hygiene.delete_lead(id).await? {
            let entry = AuditEntry::new(now, AuditActor::system(COMPONENT), AuditAction::Erase)
                .lead(id)
                .fields(&["lead", "timeline"])
                .derived(&format!("{id}:test_record_deleted"));
            crate::app::audit::record(services, &entry).await?;
            report.changed += 1;
            report.lead_ids.push(id);
        }
    }
    info!(examined = report.examined, deleted = report.changed, "test-record cleanup done");
    Ok(report)
}
