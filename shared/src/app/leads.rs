//! What the team does to a lead besides moving its status: franchise stakeholders and
//! milestones (signing the agreement converts the lead).

use super::lifecycle::{transition, TransitionError};
use super::matching::update_lead;
use super::Services;
use crate::config::ServiceLineKind;
use crate::domain::franchise::{Milestone, MilestoneRecord, Stakeholder};
use crate::domain::lifecycle::Cause;
use crate::domain::text::FreeText;
use crate::domain::{Actor, EventId, Lead, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use crate::ports::StoreError;

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LeadChangeError {
    #[error("no such lead")]
    NotFound,
    #[error("stakeholders and milestones are for franchise leads")]
    NotFranchise,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

fn is_franchise(services: &Services, lead: &Lead) -> bool {
    services.config.service_line(&lead.context.service_line).is_some_and(|l| l.kind == ServiceLineKind::Franchise)
}

/// Adds a stakeholder to a franchise lead (a second add of the same person and role is a no-op).
/// Returns the lead and the id of the stakeholder's timeline entry, which derives from the
/// stakeholder as first stored: a retried request appends (and audits) nothing new.
pub async fn add_stakeholder(services: &Services, lead_id: LeadId, stakeholder: Stakeholder) -> Result<(Lead, EventId), LeadChangeError> {
    let lead = services.leads.get(lead_id).await?.ok_or(LeadChangeError::NotFound)?;
    if !is_franchise(services, &lead) {
        return Err(LeadChangeError::NotFranchise);
    }
    let same = |s: &Stakeholder| s.name == stakeholder.name && s.role == stakeholder.role;
    let lead = update_lead(services, lead_id, |l| {
        if l.stakeholders.iter().any(same) {
            return false;
        }
        l.stakeholders.push(stakeholder.clone());
        true
    })
    .await?
    .ok_or(LeadChangeError::NotFound)?;
    let stored = lead.stakeholders.iter().find(|s| same(s)).cloned().unwrap_or(stakeholder);
    let seed = format!("{lead_id}:stakeholder:{}:{}", stored.role.as_str(), stored.name.as_str());
    let entry = TimelineEntry::derived(
        lead_id,
        stored.added_at,
        &seed,
        Actor::User(stored.added_by.clone()),
        TimelineKind::StakeholderAdded { stakeholder: stored },
    );
    services.timeline.append(&entry).await?;
    Ok((lead, entry.id))
}

/// Records a franchise milestone once; `signed` converts the lead.
pub async fn reach_milestone(
    services: &Services,
    lead_id: LeadId,
    milestone: Milestone,
    note: Option<FreeText>,
    user: &str,
) -> Result<(Lead, EventId), LeadChangeError> {
    let lead = services.leads.get(lead_id).await?.ok_or(LeadChangeError::NotFound)?;
    if !is_franchise(services, &lead) {
        return Err(LeadChangeError::NotFranchise);
    }
    let at = services.clock.now();
    let seed = format!("{lead_id}:milestone:{}", milestone.as_str());
    update_lead(services, lead_id, |l| {
        if l.milestones.iter().any(|m| m.milestone == milestone) {
            return false;
        }
        l.milestones.push(MilestoneRecord { milestone, at, by: user.to_string() });
        true
    })
    .await?;
    let reached_at =
        services.leads.get(lead_id).await?.and_then(|l| l.milestones.iter().find(|m| m.milestone == milestone).map(|m| m.at)).unwrap_or(at);
    let entry = TimelineEntry {
        id: EventId::derived(reached_at, seed.as_bytes()),
        lead_id,
        at: reached_at,
        actor: Actor::User(user.to_string()),
        kind: TimelineKind::MilestoneReached { milestone, note },
    };
    services.timeline.append(&entry).await?;
    if milestone == Milestone::Signed {
        let cause = Cause::new(Actor::User(user.to_string()), "franchise.signed").with_seed(seed).at(reached_at);
        match transition(services, lead_id, LeadStatus::Converted, cause).await {
            Ok(_) | Err(TransitionError::Invalid(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let lead = services.leads.get(lead_id).await?.ok_or(LeadChangeError::NotFound)?;
    Ok((lead, entry.id))
}
