//! The score consumer's use case: when a lead is captured, inquires again, gains a touchpoint or
//! changes, triage every inquiry not yet triaged (its urgency in its own words, its response
//! deadline), score the lead with its service line's model (its urgency: the highest of its open
//! inquiries), assign it when it has nobody (or route it again when a new inquiry is a crisis),
//! start the response-time clock of each new inquiry, page the on-call member once per crisis
//! inquiry, and tell whoever got it. A new lead is linked to the person's earlier leads.
//!
//! Safe to run twice for one event and concurrently for one lead: the lead is written with
//! optimistic concurrency (a lost race re-reads and decides again, so a lead is assigned once),
//! timeline entries and published events have ids derived from the triggering event, and each
//! notice and the SLA scheduling are guarded by once-only markers.

use super::assign::choose;
use super::notices::{send_once, NoticeError};
use super::Services;
use crate::domain::inquiry::{Inquiry, Triage};
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
        let page = services.timeline.list_outline(id, after, 200).await?;
        read += page.items.len();
        for e in page.items {
            match e.kind {
                TimelineKind::LeadCaptured { touchpoint, .. }
                | TimelineKind::RepeatInquiry { touchpoint, .. }
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

/// Urgency in one inquiry's own words and form fields.
pub fn inquiry_urgency(services: &Services, lead: &Lead, inquiry: &Inquiry) -> UrgencyAssessment {
    context_urgency(services, &lead.context.service_line, &inquiry.context)
}

fn context_urgency(services: &Services, line: &crate::domain::ServiceLineId, ctx: &crate::domain::LeadContext) -> UrgencyAssessment {
    let texts = [ctx.concern.as_ref().map(|c| c.as_str()), ctx.service_interest.as_ref().map(|s| s.as_str())];
    let stated = ctx.stated_urgency == Some(crate::domain::context::StatedUrgency::Urgent);
    services.config.scoring.phrases_for(line).assess(texts.into_iter().flatten(), stated)
}

/// The lead's urgency: the highest of its open inquiries and of its own context (the first
/// inquiry's, as staff keep it up to date), in the words that set it.
pub fn urgency(services: &Services, lead: &Lead) -> UrgencyAssessment {
    let own = context_urgency(services, &lead.context.service_line, &lead.context);
    lead.open_inquiries().map(|i| inquiry_urgency(services, lead, i)).fold(own, |best, a| if a.tier > best.tier { a } else { best })
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
    /// Inquiries triaged by this decision.
    triaged: Vec<EventId>,
    /// The person's earlier lead was found and linked.
    linked: bool,
    /// The touchpoints it was scored on.
    touchpoints: Vec<Touchpoint>,
}

impl Decision {
    fn changed(&self) -> bool {
        self.score_changed || self.assigned.is_some() || self.due_moved || !self.triaged.is_empty() || self.linked
    }
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
        if !d.changed() {
            decision = Some((d, Vec::new()));
            break;
        }
        // The score and assignment entries are written with the lead: a copy that dies after
        // the write leaves a timeline that shows what the lead became.
        let entries = entries(event, &d, services.clock.now());
        let alongside = crate::ports::Alongside { entries: entries.clone(), events: Vec::new() };
        match services.leads.save_alongside(&d.lead, &alongside).await {
            Ok(()) => {
                decision = Some((d, entries));
                break;
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let (d, entries) = decision.ok_or(StoreError::Conflict)?;
    record(services, event, &d, &entries).await?;
    let lead = &d.lead;
    Ok(ScoreOutcome::Scored {
        score: lead.score.as_ref().map(|s| s.score),
        assigned: lead.assignment.as_ref().map(|a| a.member.to_string()),
    })
}

/// Computes the new state of the lead (nothing is written).
async fn decide(services: &Services, mut lead: Lead) -> Result<Decision, StoreError> {
    let now = services.clock.now();
    let linked = link_person(services, &mut lead).await?;
    let triaged = triage(services, &mut lead);
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

    // Assign when nobody has the lead; route again when a new inquiry is a crisis (to the
    // member on call now, who may not be the one who took an earlier crisis).
    let new_crisis = triaged.iter().any(|id| lead.inquiry(*id).and_then(|i| i.triage).is_some_and(|t| t.tier == UrgencyTier::Crisis));
    let needs = match &lead.assignment {
        None => true,
        // A staff member's choice stands, even for a crisis it already knew of; a new inquiry in
        // crisis pages the member on call now, whoever holds the lead.
        Some(a) => tier == UrgencyTier::Crisis && (new_crisis || (!a.on_call && a.rule != super::assign::MANUAL_RULE)),
    };
    let mut assigned = None;
    let mut pending = None;
    if needs && lead.has_open_inquiry() {
        match choose(services, &lead, tier, band, now).await? {
            Ok(a) if lead.assignment.as_ref().is_none_or(|old| old.member != a.member || (a.on_call && !old.on_call)) => {
                let previous = lead.assignment.as_ref().map(|o| o.member.clone());
                lead.assignment = Some(a.clone());
                assigned = Some((a, previous));
            }
            Ok(_) => {}
            Err(reason) if lead.assignment.is_none() => pending = Some(reason),
            Err(_) => {}
        }
    }

    // The first-response clock (a KPI): set once, moved earlier when the lead turns more urgent
    // before anyone has called.
    let mut due_moved = false;
    if lead.first_contact_at.is_none() {
        let policy = &services.config.sla.policy;
        let due = policy.deadline(&lead.context.service_line, lead.source.channel, tier, &services.config.business_hours, lead.created_at);
        if lead.first_contact_due_at.is_none_or(|old| due < old) {
            lead.first_contact_due_at = Some(due);
            due_moved = true;
        }
    }
    let mut d = Decision { lead, previous_score, score_changed, assigned, pending, due_moved, triaged, linked, touchpoints: tps };
    if d.changed() {
        d.lead.updated_at = now;
        d.lead.version += 1;
    }
    Ok(d)
}

/// Triages every inquiry not yet triaged: its urgency and its response deadline (the tighter of
/// its channel's and its tier's target, counted from its arrival, or from the next opening
/// outside business hours except for crisis and around-the-clock lines). Returns their ids.
fn triage(services: &Services, lead: &mut Lead) -> Vec<EventId> {
    let now = services.clock.now();
    let policy = &services.config.sla.policy;
    let mut done = Vec::new();
    let untriaged: Vec<usize> = (0..lead.inquiries.len()).filter(|&i| lead.inquiries[i].triage.is_none()).collect();
    for i in untriaged {
        let tier = inquiry_urgency(services, lead, &lead.inquiries[i]).tier;
        let inq = &lead.inquiries[i];
        let due_at = policy.deadline(&lead.context.service_line, inq.source.channel, tier, &services.config.business_hours, inq.at);
        lead.inquiries[i].triage = Some(Triage { tier, due_at, at: now });
        done.push(lead.inquiries[i].id);
    }
    done
}

/// Links a person's new lead to their earlier one (same phone or email, found through the
/// indexes): the lead another service line or a closed lead left behind. Only for a lead's first
/// triage; `true` when a link was made.
async fn link_person(services: &Services, lead: &mut Lead) -> Result<bool, StoreError> {
    let first_triage = lead.inquiries.len() == 1 && lead.inquiries[0].triage.is_none();
    if lead.person_id.is_some() || !first_triage {
        return Ok(false);
    }
    let mut others = Vec::new();
    if let Some(p) = &lead.contact.phone {
        others.extend(services.leads.find_by_phone(p).await?);
    }
    if let Some(e) = &lead.contact.email {
        others.extend(services.leads.find_by_email(e).await?);
    }
    others.retain(|id| *id != lead.id);
    others.sort();
    others.dedup();
    let mut earliest: Option<Lead> = None;
    for id in others {
        let Some(other) = services.leads.get(id).await? else { continue };
        if other.merged_into.is_some() || other.erased_at.is_some() || other.created_at > lead.created_at {
            continue;
        }
        if earliest.as_ref().is_none_or(|e| (other.created_at, other.id) < (e.created_at, e.id)) {
            earliest = Some(other);
        }
    }
    match earliest {
        Some(first) => {
            lead.person_id = Some(first.person());
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Timeline, notices, the SLA item and the `lead.scored` event, after the lead is stored.
/// The timeline entries a decision makes (the score's change, the assignment), with ids
/// derived from the event.
fn entries(event: &LeadEvent, d: &Decision, now: DateTime<Utc>) -> Vec<TimelineEntry> {
    let lead = &d.lead;
    let actor = || Actor::System("score".into());
    let seed = |part: &str| format!("{}:{part}", event.id);
    let mut out = Vec::new();
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
            out.push(TimelineEntry::derived(lead.id, now, &seed("score"), actor(), kind));
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
        out.push(TimelineEntry::derived(lead.id, now, &seed("assigned"), actor(), kind));
    }
    out
}

async fn record(services: &Services, event: &LeadEvent, d: &Decision, entries: &[TimelineEntry]) -> Result<(), ScoreError> {
    let lead = &d.lead;
    let now = services.clock.now();
    let span = tracing::info_span!("score", lead_id = %lead.id, event_id = %event.id);
    let _enter = span.enter();
    let actor = || Actor::System("score".into());
    let seed = |part: &str| format!("{}:{part}", event.id);
    // Stored with the lead; here they reach the audit trail (the append itself is a no-op).
    for entry in entries {
        super::audit::append_system(services, "score", entry).await?;
        match &entry.kind {
            TimelineKind::ScoreChanged { to, band, tier, model, model_version, .. } => {
                info!(score = to, band = band.as_str(), tier = tier.as_str(), model = %model, version = model_version, "lead scored")
            }
            TimelineKind::Assigned { member, rule, on_call, .. } => {
                info!(member = %member, rule = %rule, on_call = on_call, "lead assigned")
            }
            _ => {}
        }
    }
    // The assignee is told once per assignment, even if an earlier copy died before telling;
    // an on-call member is paged once per crisis inquiry, however many came in.
    if let Some(a) = &lead.assignment {
        let crisis =
            lead.open_inquiries().filter(|i| i.triage.is_some_and(|t| t.tier == UrgencyTier::Crisis)).map(|i| i.id).collect::<Vec<_>>();
        if a.on_call && !crisis.is_empty() {
            for id in crisis {
                send_once(services, lead, &a.member, NoticeKind::CrisisPage, None, &format!("crisis:{id}:{}", a.member)).await?;
            }
        } else {
            let tier = lead.score.as_ref().map_or(UrgencyTier::Routine, |s| s.urgency.tier);
            let kind = if a.on_call && tier == UrgencyTier::Crisis { NoticeKind::CrisisPage } else { NoticeKind::Assigned };
            let notice_seed = format!("assigned:{}:{}", a.member, a.at.timestamp_millis());
            send_once(services, lead, &a.member, kind, None, &notice_seed).await?;
        }
    }
    schedule_sla(services, lead, d, now).await?;
    // The next decay checkpoint (a rescore on a schedule while the lead stays quiet).
    super::decay::arm(services, lead, &d.touchpoints, now).await?;
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

/// Starts the escalation ladder for each open inquiry once (a new inquiry after the last
/// contact restarts it), or moves a ladder that has not begun earlier when a more urgent
/// inquiry's response is due sooner. A ladder already escalating for an older inquiry carries
/// on: the team is being chased for this lead already.
async fn schedule_sla(services: &Services, lead: &Lead, d: &Decision, now: DateTime<Utc>) -> Result<(), ScoreError> {
    if lead.inquiries.is_empty() {
        return schedule_legacy_sla(services, lead, d, now).await;
    }
    for inquiry in lead.open_inquiries().filter(|i| i.triage.is_some()) {
        let action = format!("sla:{}", inquiry.id);
        match services.once.claim(lead.id, &action, now, Duration::seconds(60)).await? {
            Claim::Acquired => {
                start_ladder(services, lead, now).await?;
                services.once.finish(lead.id, &action, "scheduled", now).await?;
            }
            Claim::Done { .. } => {}
            Claim::Held => warn!("another copy is scheduling the SLA; it will finish"),
        }
    }
    Ok(())
}

/// The ladder's first step for a response due at `due`: escalate from the assignee then, or,
/// with nobody assigned, route again (by the deadline at the latest).
fn first_sla_step(services: &Services, lead: &Lead, due: DateTime<Utc>, now: DateTime<Utc>) -> DueItem {
    let key = lead.id.to_string();
    let step = |s: SlaStep| serde_json::to_string(&s).expect("an SLA step serializes");
    if lead.assignment.is_some() {
        DueItem::new(SLA_KIND, key, due, step(SlaStep::Escalate { level: 0 }))
    } else {
        DueItem::new(SLA_KIND, key, route_retry_at(services, lead, now).min(due.max(now)), step(SlaStep::Route))
    }
}

/// Schedules the ladder at the lead's response deadline unless one runs already for an earlier
/// deadline or has begun escalating.
async fn start_ladder(services: &Services, lead: &Lead, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(due) = lead.response_due() else { return Ok(()) };
    let key = lead.id.to_string();
    let item = first_sla_step(services, lead, due, now);
    let current = services.due.get(SLA_KIND, &key).await?;
    let replace = match &current {
        None => true,
        Some(c) => {
            matches!(serde_json::from_str::<SlaStep>(&c.payload), Ok(SlaStep::Escalate { level: 0 }) | Ok(SlaStep::Route))
                && c.due_at > item.due_at
        }
    };
    if replace {
        services.due.schedule(&item, now).await?;
    }
    Ok(())
}

/// The ladder of a lead stored before inquiries were recorded: once per lead, moved earlier
/// when its deadline moved before it began.
async fn schedule_legacy_sla(services: &Services, lead: &Lead, d: &Decision, now: DateTime<Utc>) -> Result<(), ScoreError> {
    let Some(due) = lead.first_contact_due_at.filter(|_| lead.first_contact_at.is_none()) else { return Ok(()) };
    let key = lead.id.to_string();
    let item = first_sla_step(services, lead, due, now);
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
