//! The score consumer's use case: when a lead is captured, inquires again, gains a touchpoint or
//! changes, score it with its service line's model, assign it when it has nobody (or when a
//! crisis must go to the on-call member), start its response-time clock, and tell whoever got it.
//!
//! Safe to run twice for one event and concurrently for one lead: the lead is written with
//! optimistic concurrency (a lost race re-reads and decides again, so a lead is assigned once),
//! timeline entries and published events have ids derived from the triggering event, and each
//! notice and the SLA scheduling are guarded by once-only markers.

use super::assign::choose;
use super::notices::{send_once, NoticeError};
use super::Services;
use crate::domain::routing::Assignment;
use crate::domain::scoring::{LeadScore, ScoreInput};
use crate::domain::sla::SlaStep;
use crate::domain::team_notice::NoticeKind;
use crate::domain::touchpoint::Touchpoint;
use crate::domain::urgency::{UrgencyAssessment, UrgencyTier};
use crate::domain::{Actor, EventId, Lead, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{Claim, DueItem, QueueError, StoreError};
use chrono::{DateTime, Duration, Utc};
use tracing::{info, warn};

/// The scheduler kind of the SLA ladder.
pub const SLA_KIND: &str = "sla";

/// Timeline entries read to find a lead's touchpoints.
const MAX_TIMELINE: usize = 1000;

/// What the score step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreOutcome {
    Scored {
        score: Option<u32>,
        assigned: Option<String>,
    },
    /// Closed leads are not scored or assigned.
    Closed,
}

/// Why the step must be retried.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("lead {0} does not exist")]
    LeadMissing(LeadId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("a notice could not be sent: {0}")]
    Notice(#[from] NoticeError),
}

/// Every touchpoint on the lead's timeline, oldest first.
pub async fn touchpoints(services: &Services, id: LeadId) -> Result<Vec<Touchpoint>, StoreError> {
    let mut out = Vec::new();
    let mut after = None;
    let mut read = 0;
    loop {
        let page = services.timeline.list(id, after, 200).await?;
        read += page.items.len();
        for e in page.items {
            match e.kind {
                TimelineKind::LeadCaptured { touchpoint, .. }
                | TimelineKind::RepeatInquiry { touchpoint }
                | TimelineKind::TouchpointRecorded { touchpoint } => out.push(touchpoint),
                _ => {}
            }
        }
        match page.next {
            Some(n) if read < MAX_TIMELINE => after = Some(n),
            _ => return Ok(out),
        }
    }
}

/// Urgency in the lead's own words and form fields.
pub fn urgency(services: &Services, lead: &Lead) -> UrgencyAssessment {
    let ctx = &lead.context;
    let texts = [ctx.concern.as_ref().map(|c| c.as_str()), ctx.service_interest.as_ref().map(|s| s.as_str())];
    let stated = ctx.stated_urgency == Some(crate::domain::context::StatedUrgency::Urgent);
    services.config.scoring.phrases_for(&ctx.service_line).assess(texts.into_iter().flatten(), stated)
}

/// Scores `lead` with its service line's model (`None` when no model covers the line).
pub fn score_of(
    services: &Services,
    lead: &Lead,
    touchpoints: &[Touchpoint],
    urgency: &UrgencyAssessment,
    now: DateTime<Utc>,
) -> Option<LeadScore> {
    let scoring = &services.config.scoring;
    scoring
        .model_for(&lead.context.service_line)
        .map(|m| m.score(ScoreInput { lead, touchpoints, urgency, territories: &scoring.territories, now }))
}

/// What one attempt decided and stored.
struct Decision {
    lead: Lead,
    previous_score: Option<u32>,
    score_changed: bool,
    assigned: Option<(Assignment, Option<crate::domain::routing::MemberId>)>,
    pending: Option<String>,
    due_moved: bool,
}

/// Scores (and routes) the lead an event is about.
pub async fn score(services: &Services, event: &LeadEvent) -> Result<ScoreOutcome, ScoreError> {
    // An inquiry from a visitor the site counted: their page views and key events join the
    // lead first, so this score already counts them.
    if matches!(event.kind, LeadEventKind::Captured | LeadEventKind::InquiryRepeated) {
        if let Some(lead) = services.leads.get(event.lead_id).await? {
            let joined = super::visits::join(services, &lead).await?;
            if joined > 0 {
                info!(lead_id = %lead.id, joined, "site visits joined");
            }
        }
    }
    let mut decision = None;
    for _ in 0..5 {
        let lead = services.leads.get(event.lead_id).await?.ok_or(ScoreError::LeadMissing(event.lead_id))?;
        if !lead.status.is_open() {
            return Ok(ScoreOutcome::Closed);
        }
        let d = decide(services, lead).await?;
        if !(d.score_changed || d.assigned.is_some() || d.due_moved) {
            decision = Some(d);
            break;
        }
        match services.leads.save(&d.lead).await {
            Ok(()) => {
                decision = Some(d);
                break;
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let d = decision.ok_or(StoreError::Conflict)?;
    record(services, event, &d).await?;
    let lead = &d.lead;
    Ok(ScoreOutcome::Scored {
        score: lead.score.as_ref().map(|s| s.score),
        assigned: lead.assignment.as_ref().map(|a| a.member.to_string()),
    })
}

/// Computes the new state of the lead (nothing is written).
async fn decide(services: &Services, mut lead: Lead) -> Result<Decision, StoreError> {
    let now = services.clock.now();
    let tps = touchpoints(services, lead.id).await?;
    let urgency = urgency(services, &lead);
    let tier = urgency.tier;
    let previous_score = lead.score.as_ref().map(|s| s.score);
    let new_score = score_of(services, &lead, &tps, &urgency, now);
    let score_changed = match (&lead.score, &new_score) {
        (Some(old), Some(new)) => !old.same_result(new),
        (None, Some(_)) => true,
        _ => false,
    };
    if score_changed {
        lead.score = new_score;
    }
    let band = lead.score.as_ref().map(|s| s.band);

    // Assign when nobody has the lead, or move a crisis to the on-call member.
    let needs = match &lead.assignment {
        None => true,
        // A staff member's choice stands, even for a crisis.
        Some(a) => tier == UrgencyTier::Crisis && !a.on_call && a.rule != super::assign::MANUAL_RULE,
    };
    let mut assigned = None;
    let mut pending = None;
    if needs && lead.first_contact_at.is_none() {
        match choose(services, &lead, tier, band, now).await? {
            Ok(a) if lead.assignment.as_ref().is_none_or(|old| old.member != a.member || a.on_call) => {
                let previous = lead.assignment.as_ref().map(|o| o.member.clone());
                lead.assignment = Some(a.clone());
                assigned = Some((a, previous));
            }
            Ok(_) => {}
            Err(reason) if lead.assignment.is_none() => pending = Some(reason),
            Err(_) => {}
        }
    }

    // The response-time clock: set once, moved earlier when the lead turns more urgent.
    let mut due_moved = false;
    if lead.first_contact_at.is_none() {
        let policy = &services.config.sla.policy;
        let due = policy.deadline(&lead.context.service_line, lead.source.channel, tier, &services.config.business_hours, lead.created_at);
        if lead.first_contact_due_at.is_none_or(|old| due < old) {
            lead.first_contact_due_at = Some(due);
            due_moved = true;
        }
    }
    if score_changed || assigned.is_some() || due_moved {
        lead.updated_at = now;
        lead.version += 1;
    }
    Ok(Decision { lead, previous_score, score_changed, assigned, pending, due_moved })
}

/// Timeline, notices, the SLA item and the `lead.scored` event, after the lead is stored.
async fn record(services: &Services, event: &LeadEvent, d: &Decision) -> Result<(), ScoreError> {
    let lead = &d.lead;
    let now = services.clock.now();
    let span = tracing::info_span!("score", lead_id = %lead.id, event_id = %event.id);
    let _enter = span.enter();
    let actor = || Actor::System("score".into());
    let seed = |part: &str| format!("{}:{part}", event.id);
    if d.score_changed {
        if let Some(s) = &lead.score {
            let kind = TimelineKind::ScoreChanged {
                model: s.model.clone(),
                model_version: s.model_version,
                from: d.previous_score,
                to: s.score,
                band: s.band,
                tier: s.urgency.tier,
            };
            super::audit::append_system(services, "score", &TimelineEntry::derived(lead.id, now, &seed("score"), actor(), kind)).await?;
            info!(score = s.score, band = s.band.as_str(), tier = s.urgency.tier.as_str(), model = %s.model, version = s.model_version, "lead scored");
        }
    }
    if let Some((a, previous)) = &d.assigned {
        let kind = TimelineKind::Assigned {
            member: a.member.clone(),
            rule: a.rule.clone(),
            reason: a.reason.clone(),
            previous: previous.clone(),
            on_call: a.on_call,
        };
        super::audit::append_system(services, "score", &TimelineEntry::derived(lead.id, now, &seed("assigned"), actor(), kind)).await?;
        info!(member = %a.member, rule = %a.rule, on_call = a.on_call, "lead assigned");
    }
    // The assignee is told once per assignment, even if an earlier copy died before telling.
    if let Some(a) = &lead.assignment {
        let tier = lead.score.as_ref().map_or(UrgencyTier::Routine, |s| s.urgency.tier);
        let kind = if a.on_call && tier == UrgencyTier::Crisis { NoticeKind::CrisisPage } else { NoticeKind::Assigned };
        let notice_seed = format!("assigned:{}:{}", a.member, a.at.timestamp_millis());
        send_once(services, lead, &a.member, kind, None, &notice_seed).await?;
    }
    schedule_sla(services, lead, d, now).await?;
    if let Some(reason) = &d.pending {
        let retry_at = route_retry_at(services, lead, now);
        let kind = TimelineKind::AssignmentPending { reason: reason.clone(), retry_at };
        super::audit::append_system(services, "score", &TimelineEntry::derived(lead.id, now, &seed("pending"), actor(), kind)).await?;
        info!(retry_at = %retry_at, "nobody could take the lead now");
    }
    if lead.score.is_some() {
        let scored = LeadEvent {
            id: EventId::derived(now, seed("scored").as_bytes()),
            kind: LeadEventKind::Scored,
            lead_id: lead.id,
            occurred_at: now,
        };
        services.queue.publish(&scored).await?;
    }
    Ok(())
}

/// When to try routing again for a lead nobody could take: when the clock starts (the next
/// opening), or in 15 minutes when it already runs.
fn route_retry_at(services: &Services, lead: &Lead, now: DateTime<Utc>) -> DateTime<Utc> {
    let tier = lead.score.as_ref().map_or(UrgencyTier::Routine, |s| s.urgency.tier);
    let start = services.config.sla.policy.clock_start(&lead.context.service_line, tier, &services.config.business_hours, lead.created_at);
    if start > now {
        start
    } else {
        now + Duration::minutes(15)
    }
}

/// Starts the SLA ladder once (or moves it earlier when the deadline moved before it began).
async fn schedule_sla(services: &Services, lead: &Lead, d: &Decision, now: DateTime<Utc>) -> Result<(), ScoreError> {
    let Some(due) = lead.first_contact_due_at.filter(|_| lead.first_contact_at.is_none()) else { return Ok(()) };
    let key = lead.id.to_string();
    let step = |s: SlaStep| serde_json::to_string(&s).expect("an SLA step serializes");
    let item = if lead.assignment.is_some() {
        DueItem::new(SLA_KIND, key.clone(), due, step(SlaStep::Escalate { level: 0 }))
    } else {
        DueItem::new(SLA_KIND, key.clone(), route_retry_at(services, lead, now).min(due.max(now)), step(SlaStep::Route))
    };
    match services.once.claim(lead.id, "sla-scheduled", now, Duration::seconds(60)).await? {
        Claim::Acquired => {
            services.due.schedule(&item, now).await?;
            services.once.finish(lead.id, "sla-scheduled", "scheduled", now).await?;
        }
        Claim::Done { .. } if d.due_moved => {
            // An earlier deadline (the lead turned urgent) moves a ladder that has not started.
            let current = services.due.get(SLA_KIND, &key).await?;
            let not_started = current.as_ref().is_some_and(|c| {
                matches!(serde_json::from_str::<SlaStep>(&c.payload), Ok(SlaStep::Escalate { level: 0 }) | Ok(SlaStep::Route))
                    && c.due_at > due
            });
            if not_started {
                services.due.schedule(&item, now).await?;
            }
        }
        Claim::Done { .. } => {}
        Claim::Held => warn!("another copy is scheduling the SLA; it will finish"),
    }
    Ok(())
}
