//! Archiving: open leads that have gone silent for the configured period of their
//! service line (`[archive]`) move to `unresponsive` through the lifecycle's validated
//! transition (timeline entry, `lead.status_changed`, audit step). From then on the consent gates
//! send them nothing (`app::messaging::never_messaged`): cadences and reminders stop. With a
//! retention period, the personal data is set to expire by DynamoDB TTL and an anonymized stub
//! is kept (see [`super::retention`]).
//!
//! Candidates come from the status index, read only below the creation time the shortest period
//! allows (a lead cannot have been silent longer than it has existed): no scan. "Silent" means
//! no change to the lead (a reply, a contact attempt, a status change, a staff edit all update
//! it) for the period.

use super::{StepError, StepReport, Window};
use crate::app::lifecycle::{transition, TransitionError, TransitionOutcome};
use crate::app::Services;
use crate::domain::erasure::anonymize_lead;
use crate::domain::lifecycle::Cause;
use crate::domain::{Actor, AuditAction, AuditActor, AuditEntry, Lead, LeadId, LeadStatus};
use crate::ports::{LeadFilter, ListCursor, StoreError};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use tracing::{info, warn};

/// The component name on the timeline and in the audit trail.
pub const COMPONENT: &str = "hygiene";
/// The transition's trigger.
pub const TRIGGER: &str = "hygiene.unresponsive";
/// Statuses the lifecycle lets a silent lead leave for `unresponsive` (a booked lead waits for
/// its appointment's outcome instead).
pub const ARCHIVABLE: [LeadStatus; 6] =
    [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Qualified, LeadStatus::Showed, LeadStatus::NoShow, LeadStatus::Canceled];
/// Most leads one run looks at; the rest wait for the next run.
pub const MAX_PER_RUN: usize = 5_000;
const PAGE: usize = 100;

/// When the lead last changed in a way that shows life.
pub fn last_activity(lead: &Lead) -> DateTime<Utc> {
    [Some(lead.created_at), Some(lead.updated_at), lead.status_changed_at, lead.first_contact_at]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(lead.created_at)
}

/// Whether `lead` is due for archiving at `now`.
pub fn is_due(services: &Services, lead: &Lead, now: DateTime<Utc>) -> bool {
    let Some(days) = services.config.data_quality.archive.after_days(&lead.context.service_line) else { return false };
    !lead.test
        && lead.archived_at.is_none()
        && ARCHIVABLE.contains(&lead.status)
        && now - last_activity(lead) >= Duration::days(days.into())
}

/// Archives every due lead.
pub async fn run(services: &Services, window: Window) -> Result<StepReport, StepError> {
    let now = window.to;
    let mut report = StepReport { step: "archive", ..Default::default() };
    let settings = &services.config.data_quality.archive;
    let shortest = settings.service_lines.values().copied().chain([settings.unresponsive_after_days]).filter(|d| *d > 0).min();
    let Some(shortest) = shortest else { return Ok(report) };
    let created_before = now - Duration::days(shortest.into());
    let start = ListCursor::from_sort_key(&format!("{}#{}", created_before.to_rfc3339_opts(SecondsFormat::Millis, true), LeadId::random()));
    for status in ARCHIVABLE {
        let mut cursor = Some(start.clone());
        while let Some(c) = cursor.take() {
            if report.examined >= MAX_PER_RUN {
                report.skipped += 1;
                return Ok(report);
            }
            let page = services.listing.list_leads(&LeadFilter::Status(status), Some(&c), PAGE).await?;
            for lead in page.items {
                report.examined += 1;
                if !is_due(services, &lead, now) {
                    continue;
                }
                match archive_one(services, &lead, now).await {
                    Ok(true) => {
                        report.changed += 1;
                        report.lead_ids.push(lead.id);
                    }
                    Ok(false) => {}
                    Err(StepError::Transition(e)) if !e.is_retryable() => {
                        warn!(lead_id = %lead.id, error = %e, "lead not archived");
                        report.skipped += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
            cursor = page.next;
        }
    }
    info!(examined = report.examined, archived = report.changed, "archive step done");
    Ok(report)
}

/// Archives one lead: the transition, then `archived_at` and the personal-data expiry.
/// Returns whether this call archived it.
pub async fn archive_one(services: &Services, lead: &Lead, now: DateTime<Utc>) -> Result<bool, StepError> {
    let seed = format!("archive:{}", last_activity(lead).timestamp_millis());
    let cause = Cause::new(Actor::System(COMPONENT.into()), TRIGGER).with_seed(seed).at(now);
    match transition(services, lead.id, LeadStatus::Unresponsive, cause).await {
        Ok(TransitionOutcome::Changed { .. } | TransitionOutcome::AlreadyApplied { .. }) => {}
        Ok(TransitionOutcome::Unchanged) => {}
        Err(TransitionError::LeadMissing(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let retention = services.config.data_quality.archive.retention_days;
    let expires = (retention > 0).then(|| now + Duration::days(retention.into()));
    let Some(archived) = mark_archived(services, lead.id, now, expires).await? else { return Ok(false) };
    if let Some(at) = expires {
        services.hygiene.expire_personal_data(&archived, &anonymize_lead(&archived, now), at).await?;
    }
    Ok(true)
}

/// Sets `archived_at` (and the expiry) on an `unresponsive` lead, retrying on conflicts; `None`
/// when the lead is gone or no longer unresponsive.
pub async fn mark_archived(
    services: &Services,
    id: LeadId,
    now: DateTime<Utc>,
    expires: Option<DateTime<Utc>>,
) -> Result<Option<Lead>, StoreError> {
    for _ in 0..5 {
        let Some(mut lead) = services.leads.get(id).await? else { return Ok(None) };
        if lead.status != LeadStatus::Unresponsive {
            return Ok(None);
        }
        if lead.archived_at.is_some() && lead.personal_data_expires_at == expires.or(lead.personal_data_expires_at) {
            return Ok(Some(lead));
        }
        lead.archived_at = lead.archived_at.or(Some(now));
        lead.personal_data_expires_at = expires.or(lead.personal_data_expires_at);
        lead.updated_at = now;
        lead.version += 1;
        match services.leads.save(&lead).await {
            Ok(()) => {
                let entry = AuditEntry::new(now, AuditActor::system(COMPONENT), AuditAction::Update)
                    .lead(id)
                    .fields(&["archived_at", "personal_data_expires_at"])
                    .derived(&format!("{id}:archived:{}", now.timestamp_millis()));
                crate::app::audit::record(services, &entry).await?;
                return Ok(Some(lead));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}
