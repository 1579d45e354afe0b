//! The SLA checker, run every minute: for each lead whose first human contact is due (found
//! through the scheduler's minute buckets, never a scan), notify along the escalation ladder —
//! the assignee, then a backup, then a manager — one step per due time, until a contact attempt
//! is recorded. A lead nobody could take (off hours) is routed again when its clock starts.

use super::assign::choose;
use super::notices::send_once;
use super::scheduler::{run_due, Outcome, TickOptions, TickReport};
use super::score::SLA_KIND;
use super::Services;
use crate::domain::routing::MemberId;
use crate::domain::sla::SlaStep;
use crate::domain::team_notice::NoticeKind;
use crate::domain::urgency::UrgencyTier;
use crate::domain::{Actor, Lead, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{DueItem, StoreError};
use chrono::{DateTime, Utc};
use tracing::{info, warn, Instrument};

/// Runs one tick of the SLA checker.
pub async fn tick(services: &Services) -> Result<TickReport, StoreError> {
    let now = services.clock.now();
    let report = run_due(services.due.as_ref(), SLA_KIND, now, TickOptions::default(), |item| async move {
        let span = tracing::info_span!("sla", lead_id = %item.key, attempt = item.attempts);
        match handle(services, &item, now).instrument(span).await {
            Ok(outcome) => outcome,
            Err(e) => {
                warn!(lead_id = %item.key, error = %e, "SLA step failed; retried next tick");
                Outcome::Retry
            }
        }
    })
    .await?;
    if report.handled + report.retried > 0 {
        info!(handled = report.handled, retried = report.retried, buckets = report.buckets_read, "SLA tick");
    }
    Ok(report)
}

/// Why a step failed (it is retried next tick).
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notice(#[from] super::notices::NoticeError),
}

async fn handle(services: &Services, item: &DueItem, now: DateTime<Utc>) -> Result<Outcome, StepError> {
    let Ok(lead_id) = item.key.parse::<LeadId>() else {
        warn!(key = %item.key, "SLA item with a bad key dropped");
        return Ok(Outcome::Done);
    };
    let Ok(step) = serde_json::from_str::<SlaStep>(&item.payload) else {
        warn!(key = %item.key, "SLA item with a bad payload dropped");
        return Ok(Outcome::Done);
    };
    let Some(mut lead) = services.leads.get(lead_id).await? else { return Ok(Outcome::Done) };
    // Contacted (the cancel may have lost a race with this tick) or closed: the ladder stops.
    if lead.first_contact_at.is_some() || !lead.status.is_open() {
        return Ok(Outcome::Done);
    }
    let policy = &services.config.sla.policy;
    if lead.assignment.is_none() {
        lead = try_assign(services, lead, now).await?;
    }
    let level = match step {
        SlaStep::Route => {
            // Routing was retried above; the ladder starts at the deadline.
            let at = lead.first_contact_due_at.unwrap_or(now).max(now);
            return Ok(Outcome::Chain(next(item, at, SlaStep::Escalate { level: 0 })));
        }
        SlaStep::Escalate { level } => level,
    };
    // Steps with nobody to tell (no backup configured, everyone away) pass to the next at once.
    let availability = services.team.availability().await?;
    let mut level = level;
    loop {
        let Some(rung) = policy.ladder.get(level) else { return Ok(Outcome::Done) };
        let recipients: Vec<MemberId> = policy
            .recipients(level, lead.assignment.as_ref(), &services.config.team, now)
            .into_iter()
            .filter(|m| !availability.get(m).is_some_and(|a| a.is_away(now)))
            .collect();
        for m in &recipients {
            let seed = format!("sla:{}:{level}:{m}", item.due_at.timestamp_millis());
            send_once(services, &lead, m, NoticeKind::Overdue, Some(level), &seed).await?;
        }
        let kind = TimelineKind::Escalated { level: level as u32, target: rung.notify.label(), members: recipients.clone() };
        let seed = format!("{}:escalated:{level}:{}", lead.id, item.due_at.timestamp_millis());
        super::audit::append_system(services, "sla", &TimelineEntry::derived(lead.id, now, &seed, Actor::System("sla".into()), kind))
            .await?;
        info!(level, target = %rung.notify.label(), notified = recipients.len(), "first contact overdue: escalated");
        match policy.next_step_at(level, now) {
            Some(_) if recipients.is_empty() => level += 1,
            Some(at) => return Ok(Outcome::Chain(next(item, at, SlaStep::Escalate { level: level + 1 }))),
            None => return Ok(Outcome::Done),
        }
    }
}

fn next(item: &DueItem, at: DateTime<Utc>, step: SlaStep) -> DueItem {
    DueItem::new(&item.kind, item.key.clone(), at, serde_json::to_string(&step).expect("an SLA step serializes"))
}

/// Routes a lead nobody has yet (people may be on shift now); stores and announces it.
async fn try_assign(services: &Services, mut lead: Lead, now: DateTime<Utc>) -> Result<Lead, StepError> {
    for _ in 0..5 {
        let tier = lead.score.as_ref().map_or(UrgencyTier::Routine, |s| s.urgency.tier);
        let band = lead.score.as_ref().map(|s| s.band);
        let Ok(a) = choose(services, &lead, tier, band, now).await? else { return Ok(lead) };
        let mut next = lead.clone();
        next.assignment = Some(a.clone());
        next.updated_at = now;
        next.version += 1;
        match services.leads.save(&next).await {
            Ok(()) => {
                let kind = TimelineKind::Assigned {
                    member: a.member.clone(),
                    rule: a.rule.clone(),
                    reason: a.reason.clone(),
                    previous: None,
                    on_call: a.on_call,
                };
                let seed = format!("{}:sla-assigned:{}", next.id, now.timestamp_millis());
                super::audit::append_system(
                    services,
                    "sla",
                    &TimelineEntry::derived(next.id, now, &seed, Actor::System("sla".into()), kind),
                )
                .await?;
                let notice = if a.on_call && tier == UrgencyTier::Crisis { NoticeKind::CrisisPage } else { NoticeKind::Assigned };
                send_once(services, &next, &a.member, notice, None, &format!("assigned:{}:{}", a.member, a.at.timestamp_millis())).await?;
                return Ok(next);
            }
            Err(StoreError::Conflict) => match services.leads.get(lead.id).await? {
                Some(fresh) if fresh.assignment.is_some() => return Ok(fresh),
                Some(fresh) => lead = fresh,
                None => return Ok(lead),
            },
            Err(e) => return Err(e.into()),
        }
    }
    Ok(lead)
}
