//! One due cadence item: a step to run, or the end of a call task's wait.
//!
//! A step, in order: stale or stopped → nothing; the opt-out status, a milestone already reached
//! and the step's conditions may skip it; the person's preferred channel may skip a message; the
//! consent gate (texts and emails) may skip it with its reason; business hours, the person's
//! quiet hours, the daily cap and their preferred times may defer it to the first allowed minute
//! (never dropped); otherwise it runs, exactly once (a once-only marker per generation and step,
//! so a crash after sending never sends twice). Each decision is a `cadence_step` timeline entry
//! naming the step, channel, outcome and next step.

use super::history::{history, History};
use super::{actor, due_of, render, schedule, step_ref, stop, update, CadenceError, CADENCE_KIND, COMPONENT, FOLLOWUP};
use crate::app::audit::append_system;
use crate::app::email::{email_gate, send_email_to_lead, EmailGate};
use crate::app::messaging::{send_sms_to_lead, sms_gate, Delivery, MessagingError, SmsGate};
use crate::app::notices::send_notice_once;
use crate::app::scheduler::Outcome;
use crate::app::Services;
use crate::domain::cadence::preferred::PreferredTimes;
use crate::domain::cadence::rules::Check;
use crate::domain::cadence::{
    always_stops, Allowed, Cadence, Condition, DeferReason, Enrollment, EnrollmentState, Step, StepChannel, StepOutcome, StepPayload,
    StopEvent,
};
use crate::domain::contact_attempt::ContactOutcome;
use crate::domain::pacing::WaitReason;
use crate::domain::routing::MemberId;
use crate::domain::task::{Task, TaskStatus};
use crate::domain::team_notice::{short_code, NoticeKind, TeamNotice};
use crate::domain::{ContactChannel, Lead, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use crate::ports::{Claim, DueItem, EmailPurpose, MessagePurpose, SendError};
use chrono::{DateTime, Duration, Utc};
use tracing::{info, warn};

/// A call task waits at least this long for its outcome, even when its planned wait has passed
/// (after downtime): the member gets a real chance to call before the cadence moves on.
pub const MIN_TASK_WAIT_MINUTES: i64 = 10;

/// A call task that is the last step waits this long.
const LAST_TASK_WAIT_HOURS: i64 = 24;

/// Claims after which a step that keeps failing is recorded as failed and the cadence moves on.
const MAX_ATTEMPTS: u32 = 4;

/// Steps run at most this many at once for one lead: a call task's wait that ends when the next
/// step is due, two steps planned at the same moment, catch-up after downtime.
const MAX_INLINE: usize = 8;

/// Runs one due item at `now`, and the lead's next ones while they are due too (so a step
/// planned for the moment a call task stops waiting runs at that moment, not a tick later).
pub async fn run(services: &Services, item: &DueItem, now: DateTime<Utc>) -> Result<Outcome, CadenceError> {
    let mut current = item.clone();
    for round in 0..MAX_INLINE {
        // Steps run in one go are a millisecond apart, so the timeline keeps their order.
        let at = now + Duration::milliseconds(round as i64);
        let outcome = run_one(services, &current, at).await;
        match outcome {
            Ok(Outcome::Chain(next)) if next.due_at <= at + Duration::milliseconds(1) && round + 1 < MAX_INLINE => {
                current = DueItem { attempts: 1, ..next }
            }
            // A step reached inline that must be retried stays due (its item replaces the one
            // claimed) and the next tick tries it again.
            Ok(Outcome::Retry) | Err(_) if round > 0 => {
                return Ok(Outcome::Chain(DueItem { due_at: now + Duration::minutes(1), ..current }))
            }
            other => return other,
        }
    }
    Ok(Outcome::Chain(current))
}

/// Runs one item.
async fn run_one(services: &Services, item: &DueItem, now: DateTime<Utc>) -> Result<Outcome, CadenceError> {
    let Ok(lead_id) = item.key.parse::<LeadId>() else {
        warn!(key = %item.key, "cadence item with a bad key dropped");
        return Ok(Outcome::Done);
    };
    let Some(p) = StepPayload::parse(&item.payload) else {
        warn!(lead_id = %lead_id, "cadence item with a bad payload dropped");
        return Ok(Outcome::Done);
    };
    let Some(e) = services.cadence.enrollment(lead_id).await? else { return Ok(Outcome::Done) };
    if !current(&e, p) {
        return Ok(Outcome::Done);
    }
    let Some(lead) = services.leads.get(lead_id).await? else { return Ok(Outcome::Done) };
    let seed = format!("due:{}", item.due_at.timestamp_millis());
    let Some(cadence) = services.config.followup.book.get(&e.cadence) else {
        stop(services, lead_id, "cadence_removed", &seed).await?;
        return Ok(Outcome::Done);
    };
    if always_stops(lead.status) {
        stop(services, lead_id, lead.status.as_str(), &seed).await?;
        return Ok(Outcome::Done);
    }
    if lead.status == LeadStatus::OptedOut && cadence.stops_on(StopEvent::OptedOut) {
        stop(services, lead_id, "opted_out", &seed).await?;
        return Ok(Outcome::Done);
    }
    if p.wait {
        return wait_over(services, &lead, cadence, &e, p, now).await;
    }
    let Some(step) = cadence.steps.get(p.step) else {
        return finish(services, &lead, cadence, p, now).await.map(|_| Outcome::Done);
    };
    let span = tracing::info_span!("cadence_step", lead_id = %lead_id, cadence = %cadence.name, step = %step.name);
    let _enter = span.enter();
    let hist = history(services, lead_id).await?;
    if let Some(reason) = skip_reason(services, &lead, step, &hist).await? {
        return advance(services, &lead, cadence, p, StepOutcome::Skipped { reason }, now).await;
    }
    if let Some((until, reason)) = timing(services, &lead, step, &hist, now) {
        return defer(services, &lead, cadence, p, until, reason, now).await;
    }
    let action = format!("cadence:{}:{}:{}", cadence.name, p.generation, p.step);
    let outcome = match services.once.claim(lead_id, &action, now, Duration::seconds(120)).await? {
        Claim::Held => return Ok(Outcome::Retry),
        Claim::Done { outcome } => serde_json::from_str(&outcome).unwrap_or(StepOutcome::Failed { error: "unreadable record".into() }),
        Claim::Acquired => match perform(services, &lead, cadence, step, &e, p, now).await {
            Ok(o) => o,
            Err(CadenceError::Paced { until, reason }) => {
                // Not sent (no slot of the sender's throughput, a provider throttle, or the
                // spend breaker): the claim goes back and the step waits for the time named.
                if let Err(a) = services.once.abandon(lead_id, &action).await {
                    warn!(error = %a, "could not release the step claim; the retry waits for its lease");
                }
                let why = match reason {
                    WaitReason::Throughput => DeferReason::Paced,
                    WaitReason::Throttled => DeferReason::ProviderThrottled,
                    WaitReason::SpendPaused => DeferReason::SpendPaused,
                };
                return defer(services, &lead, cadence, p, until.max(now + Duration::seconds(1)), why, now).await;
            }
            Err(err) => {
                if let Err(a) = services.once.abandon(lead_id, &action).await {
                    warn!(error = %a, "could not release the step claim; the retry waits for its lease");
                }
                if item.attempts < MAX_ATTEMPTS {
                    warn!(error = %err, attempt = item.attempts, "cadence step failed; retried next tick");
                    return Ok(Outcome::Retry);
                }
                warn!(error = %err, "cadence step kept failing; recorded as failed");
                StepOutcome::Failed { error: err.to_string() }
            }
        },
    };
    // The marker keeps what happened, not the text sent (the timeline holds it, sealed).
    let marker = match &outcome {
        StepOutcome::Sent { provider_message_id, .. } => StepOutcome::Sent { provider_message_id: provider_message_id.clone(), text: None },
        other => other.clone(),
    };
    let encoded = serde_json::to_string(&marker).expect("an outcome serializes");
    services.once.finish(lead_id, &action, &encoded, services.clock.now()).await?;
    info!(channel = step.channel.as_str(), outcome = outcome.label(), "cadence step");
    advance(services, &lead, cadence, p, outcome, now).await
}

/// Whether an item still matches the enrollment (a switch, pause or resume makes it stale).
fn current(e: &Enrollment, p: StepPayload) -> bool {
    e.state == EnrollmentState::Active && e.generation == p.generation && e.next_step == p.step && (e.awaiting_task.is_some() == p.wait)
}

/// Why the step is skipped, if it is.
async fn skip_reason(services: &Services, lead: &Lead, step: &Step, hist: &History) -> Result<Option<String>, CadenceError> {
    if lead.status == LeadStatus::OptedOut && step.channel != StepChannel::Email && step.channel != StepChannel::Notification {
        return Ok(Some("opted_out".into()));
    }
    if step.milestone.is_some_and(|m| lead.milestones.iter().any(|r| r.milestone == m)) {
        return Ok(Some("milestone_reached".into()));
    }
    for c in &step.conditions {
        let unmet = match c {
            Condition::OnlyIfLastCallUnanswered => matches!(hist.last_call, Some((ContactOutcome::Answered, _))),
            Condition::OnlyIfNoReply => hist.replied_at.is_some(),
            Condition::OnlyAfterCallAttempt => hist.call_attempted_at.is_none(),
            Condition::BusinessHoursOnly => false,
        };
        if unmet {
            return Ok(Some(c.as_str().to_string()));
        }
    }
    let rules = &services.config.followup.book.rules;
    if rules.honor_preferred_channel && step.channel.is_message() {
        let preferred = match lead.context.preferences.preferred_channel {
            Some(ContactChannel::Sms) => Some(StepChannel::Sms),
            Some(ContactChannel::Email) => Some(StepChannel::Email),
            _ => None,
        };
        if let Some(p) = preferred.filter(|p| *p != step.channel) {
            return Ok(Some(format!("prefers_{}", p.as_str())));
        }
    }
    Ok(match step.channel {
        StepChannel::Sms => match sms_gate(services, lead).await? {
            SmsGate::Blocked(r) => Some(r.as_str().to_string()),
            SmsGate::Allowed(_) => None,
        },
        StepChannel::Email => match email_gate(services, lead).await? {
            EmailGate::Blocked(r) => Some(r.as_str().to_string()),
            EmailGate::Allowed(_) => None,
        },
        StepChannel::CallTask if lead.contact.phone.is_none() => Some("no_phone".into()),
        StepChannel::Notification if assignee(services, lead).is_none() => Some("no_assignee".into()),
        _ => None,
    })
}

/// When the step may run, if not now: business hours (its condition), the person's quiet hours,
/// the daily cap and their preferred times, each moving time forward until all hold.
fn timing(services: &Services, lead: &Lead, step: &Step, hist: &History, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DeferReason)> {
    let config = &services.config;
    let rules = &config.followup.book.rules;
    let zone = crate::domain::geo::zone_of(lead, config.organization.time_zone);
    let preferred = lead.context.preferences.preferred_times.as_ref().and_then(|l| PreferredTimes::parse(l.as_str()));
    let (mut t, mut reason) = (now, None);
    for _ in 0..8 {
        let mut moved = false;
        if step.conditions.contains(&Condition::BusinessHoursOnly) && !config.business_hours.is_open(t) {
            if let Some(open) = config.business_hours.next_opening(t) {
                t = open.with_timezone(&Utc);
                reason = reason.or(Some(DeferReason::BusinessHours));
                moved = true;
            }
        }
        // A crisis call task is the team calling back a person who asked for help now: quiet
        // hours are for automated solicitations, not for that. Texts to them still wait.
        let crisis_call = step.channel == StepChannel::CallTask && crate::app::messaging::is_crisis(services, lead);
        if step.channel.reaches_the_person() && !crisis_call {
            let check = Check { zone, sent: &hist.sent, is_message: step.channel.is_message(), preferred: preferred.as_ref() };
            if let Allowed::At(at, r) = rules.next_allowed(t, check) {
                t = at;
                reason = reason.or(Some(r));
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    reason.map(|r| (t, r))
}

/// The lead's assignee, if configured as a team member.
fn assignee(services: &Services, lead: &Lead) -> Option<MemberId> {
    lead.assignment.as_ref().map(|a| a.member.clone()).filter(|m| services.config.team.members.contains_key(m))
}

/// Does the step. `Err` only for failures worth retrying; refusals are outcomes.
async fn perform(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    step: &Step,
    e: &Enrollment,
    p: StepPayload,
    now: DateTime<Utc>,
) -> Result<StepOutcome, CadenceError> {
    let sent = |d: Result<Delivery, MessagingError>, text: String| -> Result<StepOutcome, CadenceError> {
        match d {
            Ok(Delivery::Sent(m)) => Ok(StepOutcome::Sent { provider_message_id: m.provider_message_id, text: Some(text) }),
            Ok(Delivery::Blocked(r)) => Ok(StepOutcome::Skipped { reason: r.as_str().to_string() }),
            Ok(Delivery::Paced { until, reason }) => Err(CadenceError::Paced { until, reason }),
            Err(MessagingError::Send(SendError::Rejected(why))) => Ok(StepOutcome::Failed { error: why }),
            Err(MessagingError::Send(err)) => Err(CadenceError::Send(err.to_string())),
            Err(MessagingError::Store(err)) => Err(err.into()),
        }
    };
    match step.channel {
        StepChannel::Sms => {
            let values = crate::app::compose::person_values(services, lead);
            let template = step.text.as_ref().expect("validated: sms steps have text");
            let text = crate::app::compose::sms_within_budget(services, &values, |first| {
                render::message(services, lead, cadence, template, first)
            });
            sent(send_sms_to_lead(services, lead, MessagePurpose::FollowUp, text.clone()).await, text)
        }
        StepChannel::Email => {
            let first = crate::app::compose::person_values(services, lead).first_name;
            let subject = render::message(
                services,
                lead,
                cadence,
                step.subject.as_ref().expect("validated: email steps have a subject"),
                first.as_deref(),
            );
            let text =
                render::message(services, lead, cadence, step.text.as_ref().expect("validated: email steps have text"), first.as_deref());
            sent(send_email_to_lead(services, lead, EmailPurpose::FollowUp, subject.clone(), text, None).await, subject)
        }
        StepChannel::CallTask => {
            let member = assignee(services, lead);
            let title = render::task_title(services, lead, cadence, step);
            let task = Task {
                id: format!("g{}-s{}", p.generation, p.step),
                lead_id: lead.id,
                member: member.clone(),
                kind: "call".into(),
                title: title.clone(),
                cadence: cadence.name.clone(),
                step: p.step,
                created_at: now,
                due_at: task_wait_end(cadence, lead, e, p.step, now),
                status: TaskStatus::Open,
                outcome: None,
                closed_at: None,
                closed_by: None,
            };
            services.cadence.create_task(&task).await?;
            if let Some(m) = &member {
                let channels = services.config.team.members[m].notify;
                let notice = TeamNotice {
                    member: m.clone(),
                    channels,
                    kind: NoticeKind::CallTask,
                    lead_id: lead.id,
                    subject: format!("leadflow: call task for lead {}", short_code(lead.id)),
                    text: render::task_notice(services, lead, &title),
                };
                send_notice_once(services, lead, notice, &format!("cadence-task:{}", task.id)).await?;
            }
            Ok(StepOutcome::TaskCreated { task_id: task.id, member })
        }
        StepChannel::Notification => {
            let Some(m) = assignee(services, lead) else { return Ok(StepOutcome::Skipped { reason: "no_assignee".into() }) };
            let text = render::notification(services, lead, step.text.as_ref().expect("validated: notification steps have text"));
            let notice = TeamNotice {
                member: m.clone(),
                channels: services.config.team.members[&m].notify,
                kind: NoticeKind::FollowUp,
                lead_id: lead.id,
                subject: format!("leadflow: lead {}", short_code(lead.id)),
                text,
            };
            send_notice_once(services, lead, notice, &format!("cadence-note:{}:{}:{}", cadence.name, p.generation, p.step)).await?;
            Ok(StepOutcome::Notified { member: m })
        }
    }
}

/// When a call task created at `now` stops waiting: its `wait`, else when the next step is
/// planned, else a day; a task created late waits at least [`MIN_TASK_WAIT_MINUTES`].
fn task_wait_end(cadence: &Cadence, lead: &Lead, e: &Enrollment, i: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let step = &cadence.steps[i];
    let planned = match step.wait {
        Some(w) => now + w,
        None if i + 1 < cadence.steps.len() => {
            let shifted = Enrollment { last_step_at: Some(now), ..e.clone() };
            cadence.planned_for(i + 1, lead.created_at, &shifted)
        }
        None => now + Duration::hours(LAST_TASK_WAIT_HOURS),
    };
    // On time (deferrals included), the wait ends as planned (the 7-day call and email go
    // together); a task created late (after downtime) still gets a few minutes before the
    // cadence moves on.
    let late = now > cadence.planned_for(i, lead.created_at, e) + Duration::minutes(1);
    if late {
        planned.max(now + Duration::minutes(MIN_TASK_WAIT_MINUTES))
    } else {
        planned.max(now)
    }
}

/// Records an attempt on the timeline.
async fn record(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    p: StepPayload,
    outcome: StepOutcome,
    next: Option<crate::domain::cadence::StepRef>,
    now: DateTime<Utc>,
) -> Result<(), CadenceError> {
    let step = &cadence.steps[p.step];
    let extra = match &outcome {
        StepOutcome::Deferred { until, .. } => format!(":{}", until.timestamp_millis()),
        _ => String::new(),
    };
    let seed = format!("{}:cadence-step:{}:{}:{}{extra}", lead.id, p.generation, p.step, outcome.label());
    let kind = TimelineKind::CadenceStep {
        cadence: cadence.name.clone(),
        step: p.step as u32,
        name: step.name.clone(),
        channel: step.channel,
        outcome,
        next,
    };
    append_system(services, FOLLOWUP, &TimelineEntry::derived(lead.id, now, &seed, actor(), kind)).await?;
    Ok(())
}

/// The item that runs `e`'s next step (or waits for its task).
fn item_for(e: &Enrollment, wait: bool, at: DateTime<Utc>) -> DueItem {
    DueItem::new(CADENCE_KIND, e.lead_id.to_string(), at, StepPayload { generation: e.generation, step: e.next_step, wait }.to_json())
}

/// The step waits until `until`.
async fn defer(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    p: StepPayload,
    until: DateTime<Utc>,
    reason: DeferReason,
    now: DateTime<Utc>,
) -> Result<Outcome, CadenceError> {
    let saved = update(services, lead.id, |e| {
        if !current(e, p) {
            return false;
        }
        // Pushed past quiet hours, the later steps move with this one, so their spacing holds
        // (two calls planned 15 minutes apart at 22:00 go at 08:00 and 08:15). Other waits (the
        // cap, preferred times, business hours, pacing) do not drag the rest of the cadence.
        let pushed = (until - cadence.planned_for(p.step, lead.created_at, e)).num_seconds();
        if reason == DeferReason::QuietHours && pushed > 0 && cadence.steps[p.step].anchor != crate::domain::cadence::Anchor::Previous {
            e.shift_seconds += pushed;
        }
        e.next_due = Some(until);
        true
    })
    .await?;
    let outcome = StepOutcome::Deferred { until, reason: reason.as_str().to_string() };
    record(services, lead, cadence, p, outcome, super::step_ref(cadence, p.step, until), now).await?;
    info!(until = %until, reason = reason.as_str(), "cadence step deferred");
    Ok(match saved {
        Some((e, true)) => Outcome::Chain(item_for(&e, false, until)),
        _ => Outcome::Done,
    })
}

/// After an attempt: a call task waits for its outcome; anything else moves to the next step.
async fn advance(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    p: StepPayload,
    outcome: StepOutcome,
    now: DateTime<Utc>,
) -> Result<Outcome, CadenceError> {
    if let StepOutcome::TaskCreated { task_id, .. } = &outcome {
        let task_due = services.cadence.task(lead.id, task_id).await?.map_or(now, |t| t.due_at);
        let saved = update(services, lead.id, |e| {
            if !current(e, p) {
                return false;
            }
            e.awaiting_task = Some(task_id.clone());
            e.next_due = Some(task_due);
            true
        })
        .await?;
        let next = saved.as_ref().and_then(|(e, _)| {
            let after = cadence
                .steps
                .get(p.step + 1)
                .map(|_| cadence.planned_at(p.step + 1, lead.created_at, e.enrolled_at, Some(now)).max(task_due));
            after.and_then(|at| step_ref(cadence, p.step + 1, at))
        });
        record(services, lead, cadence, p, outcome, next, now).await?;
        return Ok(match saved {
            Some((e, true)) => Outcome::Chain(item_for(&e, true, task_due)),
            _ => Outcome::Done,
        });
    }
    let moved = move_on(services, lead, cadence, p, now).await?;
    let next = moved.as_ref().and_then(|(e, at)| step_ref(cadence, e.next_step, *at));
    record(services, lead, cadence, p, outcome, next, now).await?;
    match moved {
        Some((e, at)) => Ok(Outcome::Chain(item_for(&e, false, at))),
        None => {
            finish(services, lead, cadence, p, now).await?;
            Ok(Outcome::Done)
        }
    }
}

/// Moves the enrollment past step `p.step`; the next step and when it is due, or `None` when
/// there is none (or the enrollment moved on meanwhile).
async fn move_on(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    p: StepPayload,
    now: DateTime<Utc>,
) -> Result<Option<(Enrollment, DateTime<Utc>)>, CadenceError> {
    let next = p.step + 1;
    if next >= cadence.steps.len() {
        return Ok(None);
    }
    let saved = update(services, lead.id, |e| {
        if !current(e, p) {
            return false;
        }
        e.awaiting_task = None;
        e.next_step = next;
        e.last_step_at = Some(now);
        e.next_due = Some(due_of(cadence, lead, e, next, now));
        true
    })
    .await?;
    Ok(match saved {
        Some((e, true)) => {
            let at = e.next_due.unwrap_or(now);
            Some((e, at))
        }
        _ => None,
    })
}

/// Every step ran: the enrollment is complete.
async fn finish(services: &Services, lead: &Lead, cadence: &Cadence, p: StepPayload, now: DateTime<Utc>) -> Result<(), CadenceError> {
    let saved = update(services, lead.id, |e| {
        if !current(e, p) {
            return false;
        }
        e.awaiting_task = None;
        e.state = EnrollmentState::Completed;
        e.next_step = cadence.steps.len();
        e.last_step_at = Some(now);
        e.next_due = None;
        true
    })
    .await?;
    if let Some((e, true)) = saved {
        let seed = format!("{}:cadence-completed:{}", lead.id, e.generation);
        let kind = TimelineKind::CadenceCompleted { cadence: cadence.name.clone() };
        append_system(services, FOLLOWUP, &TimelineEntry::derived(lead.id, now, &seed, actor(), kind)).await?;
        info!(lead_id = %lead.id, cadence = %cadence.name, "cadence completed");
    }
    Ok(())
}

/// A call task's wait ran out: the task expires (or is done, if its milestone was reached) and
/// the cadence moves on.
async fn wait_over(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    e: &Enrollment,
    p: StepPayload,
    now: DateTime<Utc>,
) -> Result<Outcome, CadenceError> {
    if let Some(mut task) = match &e.awaiting_task {
        Some(id) => services.cadence.task(lead.id, id).await?,
        None => None,
    } {
        if task.is_open() {
            let reached =
                cadence.steps.get(p.step).and_then(|s| s.milestone).is_some_and(|m| lead.milestones.iter().any(|r| r.milestone == m));
            let status = if reached { TaskStatus::Done } else { TaskStatus::Expired };
            task.close(status, None, if reached { "milestone" } else { "cadence" }, now);
            services.cadence.save_task(&task).await?;
            let seed = format!("{}:task-closed:{}:wait", lead.id, task.id);
            let kind = TimelineKind::TaskClosed { task_id: task.id.clone(), status, outcome: None };
            append_system(services, FOLLOWUP, &TimelineEntry::derived(lead.id, now, &seed, actor(), kind)).await?;
        }
    }
    match move_on(services, lead, cadence, p, now).await? {
        Some((e, at)) => Ok(Outcome::Chain(item_for(&e, false, at))),
        None => {
            finish(services, lead, cadence, p, now).await?;
            Ok(Outcome::Done)
        }
    }
}

/// A contact attempt was recorded: the awaited call task is done with the call's outcome (an
/// answered call also satisfies "only if the last call was unanswered" by skipping those steps)
/// and the cadence moves on to its next step at its planned time.
pub async fn on_contact(services: &Services, lead: &Lead, seed: &str) -> Result<(), CadenceError> {
    let Some(e) = services.cadence.enrollment(lead.id).await? else { return Ok(()) };
    let Some(task_id) = e.awaiting_task.clone().filter(|_| e.state == EnrollmentState::Active) else { return Ok(()) };
    let Some(mut task) = services.cadence.task(lead.id, &task_id).await? else { return Ok(()) };
    let Some((outcome, at)) = history(services, lead.id).await?.last_call else { return Ok(()) };
    if !task.is_open() || at < task.created_at {
        return Ok(());
    }
    let now = services.clock.now();
    task.close(TaskStatus::Done, Some(outcome), "contact", now);
    services.cadence.save_task(&task).await?;
    let kind = TimelineKind::TaskClosed { task_id: task.id.clone(), status: TaskStatus::Done, outcome: Some(outcome) };
    let entry_seed = format!("{}:task-closed:{}:{seed}", lead.id, task.id);
    append_system(services, COMPONENT, &TimelineEntry::derived(lead.id, now, &entry_seed, actor(), kind)).await?;
    let Some(cadence) = services.config.followup.book.get(&e.cadence) else { return Ok(()) };
    let p = StepPayload { generation: e.generation, step: e.next_step, wait: true };
    match move_on(services, lead, cadence, p, now).await? {
        Some((e, at)) => schedule(services, &e, false, at).await?,
        None => {
            finish(services, lead, cadence, p, now).await?;
            services.due.cancel(CADENCE_KIND, &lead.id.to_string()).await?;
        }
    }
    info!(lead_id = %lead.id, task = %task.id, outcome = outcome.as_str(), "call task done");
    Ok(())
}
