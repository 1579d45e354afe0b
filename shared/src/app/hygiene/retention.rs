//! Retention: archived leads' personal data expires `[archive] retention_days` after
//! archiving. DynamoDB's TTL deletes the lead's items when `expires_at` passes (the lead item
//! carries it from `Lead::personal_data_expires_at`; its timeline, markers and claims get it
//! from `RecordHygiene::expire_personal_data`), leaving the anonymized stub (ids, status, source,
//! service line, dates) that aggregate reports count. This step
//! * gives an expiry to leads that became `unresponsive` without the archive step (a person set
//!   the status, or retention was configured later), found through the status index;
//! * in the embedded store, deletes what has expired (what the TTL does in AWS).

use super::archive::{mark_archived, COMPONENT};
use super::{StepError, StepReport, Window};
use crate::app::Services;
use crate::domain::erasure::anonymize_lead;
use crate::domain::LeadStatus;
use crate::ports::{LeadFilter, ListCursor};
use chrono::Duration;
use tracing::info;

const PAGE: usize = 100;
/// Most leads one run looks at.
pub const MAX_PER_RUN: usize = 5_000;

/// Runs the retention step.
pub async fn run(services: &Services, window: Window) -> Result<StepReport, StepError> {
    let now = window.to;
    let mut report = StepReport { step: "retention", ..Default::default() };
    let days = services.config.data_quality.archive.retention_days;
    if days > 0 {
        let mut cursor: Option<ListCursor> = None;
        loop {
            let page = services.listing.list_leads(&LeadFilter::Status(LeadStatus::Unresponsive), cursor.as_ref(), PAGE).await?;
            for lead in page.items {
                report.examined += 1;
                if lead.personal_data_expires_at.is_some() || lead.test {
                    continue;
                }
                let since = lead.archived_at.or(lead.status_changed_at).unwrap_or(now);
                let expires = since + Duration::days(days.into());
                if let Some(archived) = mark_archived(services, lead.id, now, Some(expires)).await? {
                    services.hygiene.expire_personal_data(&archived, &anonymize_lead(&archived, now), expires).await?;
                    report.changed += 1;
                    report.lead_ids.push(lead.id);
                }
            }
            match page.next {
                Some(next) if report.examined < MAX_PER_RUN => cursor = Some(next),
                Some(_) => {
                    report.skipped += 1;
                    break;
                }
                None => break,
            }
        }
    }
    let purged = services.hygiene.purge_expired(now).await?;
    report.changed += purged;
    info!(component = COMPONENT, examined = report.examined, changed = report.changed, purged, "retention step done");
    Ok(report)
}
