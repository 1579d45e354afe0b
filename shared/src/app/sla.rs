//! The SLA checker, run every minute: for each lead whose response is due (found through the
//! scheduler's minute buckets, never a scan), notify along the escalation ladder — the
//! assignee, then a backup, then a manager — one step per due time, until a contact attempt
//! answers the lead's open inquiries. Only people who can be reached now are told: a backup or
//! manager off shift is passed over for the next step, and when a step finds nobody at all the
//! member on call is told. A lead nobody could take (off hours) is routed again when its clock
//! starts, and at every minute while someone eligible may have come on shift or back.
//!
//! The same minute also runs the watch over stored inquiries (`app::watch`) and the score
//! decay's rescoring (`app::decay`).

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

/// Runs what the SLA function does every minute: leads waiting for someone to take them are
/// routed, due ladder steps run, the watch checks stored inquiries, decayed scores are
/// refreshed. Returns the ladder's report.
pub async fn tick(services: &Services) -> Result<TickReport, StoreError> {
    let now = services.clock.now();
    let assigned = assign_waiting(services, now).await?;
    if assigned > 0 {
        info!(assigned, "waiting leads assigned");
    }
    let report = escalations(services, now).await?;
    let waiting = super::watch::tick(services, now).await?;
    if waiting > 0 {
        warn!(waiting, "leads waiting for acknowledgement or triage");
    }
    let rescored = super::decay::tick(services, now).await?;
    if rescored > 0 {
        info!(rescored, "decayed scores refreshed");
    }
    Ok(report)
}

/// Runs the due steps of the escalation ladder.
async fn escalations(services: &Services, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
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
    // Answered (the cancel may have lost a race with this tick) or closed: the ladder stops.
    if !lead.has_open_inquiry() || !lead.status.is_open() {
        return Ok(Outcome::Done);
    }
    let policy = &services.config.sla.policy;
    if lead.assignment.is_none() {
        lead = try_assign(services, lead, now).await?;
    }
    let level = match step {
        SlaStep::Route => {
            // Routing was retried above; the ladder starts at the deadline.
            let at = lead.response_due().unwrap_or(now).max(now);
            return Ok(Outcome::Chain(next(item, at, SlaStep::Escalate { level: 0 })));
        }
        SlaStep::Escalate { level } => level,
    };
    // Steps with nobody to tell (no backup configured, everyone away or off shift) pass to the
    // next at once; a ladder that found nobody at any step tells whoever is on call.
    let availability = services.team.availability().await?;
    let team = &services.config.team;
    let reachable = |m: &MemberId| !availability.get(m).is_some_and(|a| a.is_away(now)) && team.reachable(m, now);
    let mut level = level;
    let mut told_anyone = false;
    loop {
        let Some(rung) = policy.ladder.get(level) else { return Ok(Outcome::Done) };
        let mut recipients: Vec<MemberId> =
            policy.recipients(level, lead.assignment.as_ref(), team, now).into_iter().filter(|m| reachable(m)).collect();
        if recipients.is_empty() && !told_anyone && level + 1 >= policy.ladder.len() {
            recipients = team.on_call_now(now).into_iter().filter(|m| reachable(m)).collect();
        }
        told_anyone |= !recipients.is_empty();
        for m in &recipients {
            let seed = format!("sla:{}:{level}:{m}", item.due_at.timestamp_millis());
            send_once(services, &lead, m, NoticeKind::Overdue, Some(level), &seed).await?;
        }
        let kind = TimelineKind::Escalated { level: level as u32, target: rung.notify.label(), members: recipients.clone() };
        let seed = format!("{}:escalated:{level}:{}", lead.id, item.due_at.timestamp_millis());
        super::audit::append_system(services, "sla", &TimelineEntry::derived(lead.id, now, &seed, Actor::System("sla".into()), kind))
            .await?;
        info!(level, target = %rung.notify.label(), notified = recipients.len(), "first contact overdue: escalated");
        if level == 0 {
            // The deadline passed unanswered: the ladder's first step is the breach.
            super::metrics::sla_breach(services, &lead);
        }
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

/// How many waiting leads one minute routes at most (the rest wait for the next minute).
const WAITING_PER_TICK: usize = 100;

/// Routes the open leads nobody could take yet (found through the assignee index's
/// `UNASSIGNED` partition, never a scan): someone eligible may have come on shift or back from
/// away since. Returns how many were assigned.
pub async fn assign_waiting(services: &Services, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let page = services.listing.list_leads(&crate::ports::LeadFilter::Unassigned, None, WAITING_PER_TICK).await?;
    let mut assigned = 0;
    for lead in page.items {
        // Leads the score consumer has not triaged yet are its to route (no race with it).
        let triaged = lead.inquiries.iter().all(|i| i.triage.is_some());
        if lead.assignment.is_some() || !lead.status.is_open() || !lead.has_open_inquiry() || !triaged {
            continue;
        }
        let span = tracing::info_span!("assign_waiting", lead_id = %lead.id);
        match try_assign(services, lead, now).instrument(span).await {
            Ok(l) if l.assignment.is_some() => assigned += 1,
            Ok(_) => {}
            Err(e) => warn!(error = %e, "routing a waiting lead failed; tried again next minute"),
        }
    }
    Ok(assigned)
}

/// Routes a lead nobody has yet (people may be on shift now); stores and announces it.
async fn try_assign(services: &Services, mut lead: Lead, now: DateTime<Utc>) -> Result<Lead, StepError> {
    if services.config.team.members.is_empty() {
        return Ok(lead);
    }
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
