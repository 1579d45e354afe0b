//! Picks the team member for a lead: routing rules from configuration, availability from the
//! store, and a round-robin ticket from the store's counter when several members are eligible.

use super::Services;
use crate::domain::routing::{pick, Assignment};
use crate::domain::scoring::ScoreBand;
use crate::domain::urgency::UrgencyTier;
use crate::domain::Lead;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

/// Routes `lead` now: the assignment, or why nobody could take it.
pub async fn choose(
    services: &Services,
    lead: &Lead,
    tier: UrgencyTier,
    band: Option<ScoreBand>,
    now: DateTime<Utc>,
) -> Result<Result<Assignment, String>, StoreError> {
    let team = &services.config.team;
    if team.members.is_empty() {
        return Ok(Err("no team is configured".into()));
    }
    let availability = services.team.availability().await?;
    let away = |m: &crate::domain::routing::MemberId| availability.get(m).is_some_and(|a| a.is_away(now));
    let facts = team.facts(lead, tier, band);
    let candidates = match team.candidates(&facts, now, &away) {
        Ok(c) => c,
        Err(reason) => return Ok(Err(reason)),
    };
    let member = if candidates.eligible.len() == 1 {
        candidates.eligible[0].0.clone()
    } else {
        let ticket = services.team.next_ticket(&candidates.pool).await?;
        pick(&candidates.eligible, ticket).cloned().unwrap_or_else(|| candidates.eligible[0].0.clone())
    };
    Ok(Ok(Assignment {
        member,
        rule: candidates.rule,
        reason: candidates.reason,
        skipped: candidates.skipped,
        on_call: candidates.on_call,
        at: now,
    }))
}

/// The rule name a staff member's assignment carries: routing never takes such a lead away
/// again (a crisis stays with whoever a person gave it to).
pub const MANUAL_RULE: &str = "manual";

/// What [`reassign`] did.
#[derive(Debug, Clone)]
pub struct Reassigned {
    pub lead: Lead,
    /// The `reassigned` timeline entry (`None`: the lead was already theirs, nothing changed).
    pub entry: Option<crate::domain::EventId>,
    pub previous: Option<crate::domain::routing::MemberId>,
}

/// Why a reassignment was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReassignError {
    #[error("no such lead")]
    NotFound,
    #[error("the lead is closed")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notice(#[from] super::notices::NoticeError),
}

/// Gives an open lead to `member` on a staff member's decision (`by`), for a configured
/// `reason` (validated by the caller). Everything that follows the assignee follows: the new
/// assignee is told (once), a first contact still due has its escalation ladder started again
/// for them (at the deadline, or at once when it has passed), and the lead's open call tasks
/// move to them. `seed` (the request's idempotency key) makes a retry record nothing twice.
pub async fn reassign(
    services: &Services,
    lead_id: crate::domain::LeadId,
    member: &crate::domain::routing::MemberId,
    reason: &str,
    note: Option<crate::domain::text::FreeText>,
    by: &str,
    seed: Option<&str>,
) -> Result<Reassigned, ReassignError> {
    use crate::domain::{Actor, TimelineEntry, TimelineKind};
    let now = services.clock.now();
    let mut previous = None;
    let mut changed = false;
    let lead = super::matching::update_lead(services, lead_id, |l| {
        if !l.status.is_open() || l.assignee() == Some(member.as_str()) {
            return false;
        }
        previous = l.assignment.as_ref().map(|a| a.member.clone());
        l.assignment = Some(Assignment {
            member: member.clone(),
            rule: MANUAL_RULE.into(),
            reason: reason.to_string(),
            skipped: Vec::new(),
            on_call: false,
            at: now,
        });
        changed = true;
        true
    })
    .await?
    .ok_or(ReassignError::NotFound)?;
    if !lead.status.is_open() {
        return Err(ReassignError::Closed);
    }
    let Some(assignment) = lead.assignment.clone() else { return Err(ReassignError::NotFound) };
    // Unchanged: already theirs. A retry of a reassignment that failed halfway (same key)
    // finishes its steps; each is idempotent.
    if !changed && (seed.is_none() || assignment.rule != MANUAL_RULE) {
        return Ok(Reassigned { lead, entry: None, previous: None });
    }
    let kind = TimelineKind::Reassigned { member: member.clone(), previous: previous.clone(), reason: reason.to_string(), note };
    let entry = match seed {
        // At the assignment's own time, so a retry derives the same entry.
        Some(s) => TimelineEntry::derived(lead.id, assignment.at, &format!("{}:reassign:{s}", lead.id), Actor::User(by.to_string()), kind),
        None => TimelineEntry::new(lead.id, assignment.at, Actor::User(by.to_string()), kind),
    };
    services.timeline.append(&entry).await?;
    // The new assignee hears of it like any assignment.
    let notice_seed = format!("assigned:{member}:{}", assignment.at.timestamp_millis());
    super::notices::send_once(services, &lead, member, crate::domain::team_notice::NoticeKind::Assigned, None, &notice_seed).await?;
    // A first contact still due: the ladder starts again, for the new assignee.
    if let (None, Some(due)) = (lead.first_contact_at, lead.first_contact_due_at) {
        let step = serde_json::to_string(&crate::domain::sla::SlaStep::Escalate { level: 0 }).expect("an SLA step serializes");
        let item = crate::ports::DueItem::new(super::score::SLA_KIND, lead.id.to_string(), due.max(now), step);
        services.due.schedule(&item, now).await?;
    }
    // Open call tasks go with the lead.
    for mut task in services.cadence.tasks_of_lead(lead.id).await? {
        if task.is_open() && task.member.as_ref() != Some(member) {
            task.member = Some(member.clone());
            services.cadence.save_task(&task).await?;
        }
    }
    Ok(Reassigned { lead, entry: Some(entry.id), previous })
}
