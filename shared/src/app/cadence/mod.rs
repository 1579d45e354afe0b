//! Follow-up cadences at work: enrolling a lead (at most one active cadence), switching it when
//! its service line or tier selects another, stopping it on stop events, pausing and resuming
//! it for a team member, and closing call tasks with the outcome of the call. The steps
//! themselves run in [`step`], one due item at a time, from the `followup` scheduled function.
//!
//! Every change is a versioned write of the enrollment (re-read and re-decided on a conflict),
//! then the scheduler item (kind `cadence`, key = lead id, payload = generation and step), then
//! the timeline entry with an id derived from the cause: a redelivered event changes nothing, and
//! one that finds its enrollment saved but its item missing schedules it again.

pub mod history;
pub mod records;
pub mod render;
pub mod step;

use super::audit::append_system;
use super::Services;
use crate::domain::cadence::{always_stops, Cadence, Enrollment, EnrollmentState, StepPayload, StepRef, StopEvent};
use crate::domain::task::TaskStatus;
use crate::domain::{Actor, EventId, Lead, LeadEvent, LeadEventKind, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use crate::ports::{DueItem, StoreError};
use chrono::{DateTime, Utc};
use tracing::info;

/// The scheduler kind of cadence steps.
pub const CADENCE_KIND: &str = "cadence";

/// The audit trail's name for the cadence consumer's own steps (`system:cadence`): enrolling,
/// switching, stopping, closing call tasks.
pub(crate) const COMPONENT: &str = "cadence";

/// The audit trail's name for the steps the `followup` function runs (`system:followup`).
pub(crate) const FOLLOWUP: &str = "followup";

/// Rounds of read-decide-save before giving up on a busy enrollment.
const ATTEMPTS: usize = 5;

/// Why a cadence change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CadenceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a notice could not be sent: {0}")]
    Notice(#[from] super::notices::NoticeError),
    #[error("a message could not be sent now: {0}")]
    Send(String),
    #[error("no such lead")]
    LeadMissing,
    #[error("the lead is not enrolled in a cadence")]
    NotEnrolled,
    #[error("the cadence is {0}")]
    WrongState(&'static str),
    /// The text may go, but not now (`app::pacing`): the step waits until `until`.
    #[error("the text waits for the sender until {until}")]
    Paced { until: DateTime<Utc>, reason: crate::domain::pacing::WaitReason },
}

impl CadenceError {
    pub fn is_retryable(&self) -> bool {
        match self {
            CadenceError::Store(e) => e.is_retryable(),
            CadenceError::Notice(_) | CadenceError::Send(_) | CadenceError::Paced { .. } => true,
            _ => false,
        }
    }
}

pub(crate) fn actor() -> Actor {
    Actor::System("cadence".into())
}

/// The reference to step `i` of `cadence` at `at`.
pub(crate) fn step_ref(cadence: &Cadence, i: usize, at: DateTime<Utc>) -> Option<StepRef> {
    cadence.steps.get(i).map(|s| StepRef { step: i as u32, name: s.name.clone(), channel: s.channel, at })
}

/// When step `i` is due for `e` (never before `now`), deferrals so far included.
pub(crate) fn due_of(cadence: &Cadence, lead: &Lead, e: &Enrollment, i: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    cadence.planned_for(i, lead.created_at, e).max(now)
}

/// Schedules the item for `e`'s next step (or the wait for its call task).
pub(crate) async fn schedule(services: &Services, e: &Enrollment, wait: bool, at: DateTime<Utc>) -> Result<(), StoreError> {
    let payload = StepPayload { generation: e.generation, step: e.next_step, wait };
    let item = DueItem::new(CADENCE_KIND, e.lead_id.to_string(), at, payload.to_json());
    services.due.schedule(&item, services.clock.now()).await
}

/// Reads, changes and saves the enrollment with optimistic concurrency. `change` returns
/// `false` to leave it as it is. Returns the saved (or unchanged) enrollment.
pub(crate) async fn update<F>(services: &Services, lead_id: LeadId, mut change: F) -> Result<Option<(Enrollment, bool)>, StoreError>
where
    F: FnMut(&mut Enrollment) -> bool,
{
    for _ in 0..ATTEMPTS {
        let Some(mut e) = services.cadence.enrollment(lead_id).await? else { return Ok(None) };
        let before = e.clone();
        if !change(&mut e) {
            return Ok(Some((before, false)));
        }
        e.version = before.version + 1;
        e.updated_at = services.clock.now();
        match services.cadence.save_enrollment(&e).await {
            Ok(()) => return Ok(Some((e, true))),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(StoreError::Conflict)
}

/// Reacts to a lead event (the `cadence` consumer).
pub async fn on_event(services: &Services, event: &LeadEvent) -> Result<(), CadenceError> {
    let Some(lead) = services.leads.get(event.lead_id).await? else { return Err(CadenceError::LeadMissing) };
    let seed = event.id.to_string();
    match event.kind {
        // Leads whose service line has a scoring model are enrolled on `lead.scored` (with their
        // band); the others at capture.
        LeadEventKind::Captured if services.config.scoring.model_for(&lead.context.service_line).is_none() => {
            enroll_or_switch(services, &lead, "captured", &seed).await
        }
        LeadEventKind::Scored => enroll_or_switch(services, &lead, "scored", &seed).await,
        LeadEventKind::StatusChanged => on_status(services, &lead, &seed).await,
        LeadEventKind::Replied => stop_if(services, &lead, StopEvent::Replied, &seed).await,
        LeadEventKind::OptedOut => stop_if(services, &lead, StopEvent::OptedOut, &seed).await,
        LeadEventKind::ContactRecorded => step::on_contact(services, &lead, &seed).await,
        _ => Ok(()),
    }
}

/// Enrolls the lead in the cadence its service line, source, band and tier select, or switches
/// an active enrollment to it when that changed.
pub async fn enroll_or_switch(services: &Services, lead: &Lead, reason: &str, seed: &str) -> Result<(), CadenceError> {
    // Closed leads, and the team's own test submissions (never messaged): no cadence,
    // so no call task for anyone either.
    if !lead.status.is_open() || lead.test {
        return Ok(());
    }
    let Some(cadence) = services.config.followup.book.select(lead) else { return Ok(()) };
    let current = services.cadence.enrollment(lead.id).await?;
    match &current {
        None => {}
        Some(e) if e.cadence == cadence.name => return repair(services, lead, e).await,
        // A cadence that stopped (booked, replied) or finished is not restarted by a rescore, and
        // a paused one waits for its team member.
        Some(e) if e.state != EnrollmentState::Active => return Ok(()),
        Some(_) => {}
    }
    enroll(services, lead, cadence, current, reason, seed).await
}

/// Starts `cadence` for the lead, replacing `current` (its pending step is cancelled).
pub async fn enroll(
    services: &Services,
    lead: &Lead,
    cadence: &Cadence,
    current: Option<Enrollment>,
    reason: &str,
    seed: &str,
) -> Result<(), CadenceError> {
    let now = services.clock.now();
    let mut current = current;
    for _ in 0..ATTEMPTS {
        let generation = current.as_ref().map_or(1, |c| c.generation + 1);
        let mut e = Enrollment::new(lead.id, &cadence.name, generation, 0, now);
        e.version = current.as_ref().map_or(1, |c| c.version + 1);
        // A first enrollment starts at the first step (catching up in order after downtime); a
        // switch starts at the first step not yet due, so passed steps are not sent in a burst.
        let start = if current.is_none() {
            Some(0).filter(|_| !cadence.steps.is_empty())
        } else {
            cadence.first_step_from(now, lead.created_at, now)
        };
        match start {
            Some(i) => {
                e.next_step = i;
                e.next_due = Some(due_of(cadence, lead, &e, i, now));
            }
            None => {
                e.next_step = cadence.steps.len();
                e.state = EnrollmentState::Completed;
            }
        }
        match services.cadence.save_enrollment(&e).await {
            Ok(()) => {
                if let Some(old) = &current {
                    close_open_task(services, lead.id, old, TaskStatus::Cancelled, seed).await?;
                }
                match e.next_due {
                    Some(at) => schedule(services, &e, false, at).await?,
                    None => {
                        services.due.cancel(CADENCE_KIND, &lead.id.to_string()).await?;
                    }
                }
                let previous = current.as_ref().map(|c| c.cadence.clone());
                let kind = TimelineKind::CadenceEnrolled {
                    cadence: cadence.name.clone(),
                    previous: previous.clone(),
                    reason: reason.to_string(),
                    next: e.next_due.and_then(|at| step_ref(cadence, e.next_step, at)),
                };
                let entry_seed = format!("{}:cadence-enrolled:{}:{seed}", lead.id, cadence.name);
                append_system(services, COMPONENT, &TimelineEntry::derived(lead.id, now, &entry_seed, actor(), kind)).await?;
                info!(lead_id = %lead.id, cadence = %cadence.name, previous = previous.as_deref().unwrap_or(""), generation, "enrolled in a cadence");
                return Ok(());
            }
            Err(StoreError::Conflict) => {
                current = services.cadence.enrollment(lead.id).await?;
                if current.as_ref().is_some_and(|c| c.cadence == cadence.name && c.state == EnrollmentState::Active) {
                    return Ok(());
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// Schedules an active enrollment's item again if a crash lost it (a redelivered event finds the
/// enrollment saved but nothing due).
async fn repair(services: &Services, lead: &Lead, e: &Enrollment) -> Result<(), CadenceError> {
    if e.state != EnrollmentState::Active {
        return Ok(());
    }
    if let Some(at) = e.next_due {
        if services.due.get(CADENCE_KIND, &lead.id.to_string()).await?.is_none() {
            schedule(services, e, e.awaiting_task.is_some(), at).await?;
        }
    }
    Ok(())
}

/// A status change: a rebooking cadence starts (a no-show), or the cadence stops.
async fn on_status(services: &Services, lead: &Lead, seed: &str) -> Result<(), CadenceError> {
    let book = &services.config.followup.book;
    let current = services.cadence.enrollment(lead.id).await?;
    if let Some(c) = book.select_on_status(lead, lead.status) {
        if current.as_ref().is_some_and(|e| e.cadence == c.name && e.state == EnrollmentState::Active) {
            return Ok(());
        }
        return enroll(services, lead, c, current, &format!("status:{}", lead.status.as_str()), seed).await;
    }
    let event = if lead.status == LeadStatus::OptedOut { StopEvent::OptedOut } else { StopEvent::Status(lead.status) };
    stop_if(services, lead, event, seed).await
}

/// Stops the lead's cadence if `event` is one of its stop events.
async fn stop_if(services: &Services, lead: &Lead, event: StopEvent, seed: &str) -> Result<(), CadenceError> {
    let Some(e) = services.cadence.enrollment(lead.id).await? else { return Ok(()) };
    if !matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused) {
        return Ok(());
    }
    let stops = match services.config.followup.book.get(&e.cadence) {
        Some(c) => c.stops_on(event),
        None => true,
    };
    let closed = matches!(event, StopEvent::Status(s) if always_stops(s));
    if stops || closed {
        stop(services, lead.id, &event.label(), seed).await?;
    }
    Ok(())
}

/// Stops the lead's cadence: cancels the pending step and any open call task.
pub async fn stop(services: &Services, lead_id: LeadId, reason: &str, seed: &str) -> Result<bool, CadenceError> {
    let mut cancelled = None;
    let updated = update(services, lead_id, |e| {
        if !matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused) {
            return false;
        }
        cancelled = Some(e.next_step);
        e.state = EnrollmentState::Stopped;
        e.reason = Some(reason.to_string());
        e.next_due = None;
        true
    })
    .await?;
    let Some((e, true)) = updated else { return Ok(false) };
    services.due.cancel(CADENCE_KIND, &lead_id.to_string()).await?;
    close_open_task(services, lead_id, &e, TaskStatus::Cancelled, seed).await?;
    let kind = TimelineKind::CadenceStopped {
        cadence: e.cadence.clone(),
        reason: reason.to_string(),
        cancelled_step: cancelled.map(|s| s as u32),
    };
    let now = services.clock.now();
    let entry_seed = format!("{lead_id}:cadence-stopped:{}:{seed}", e.generation);
    append_system(services, COMPONENT, &TimelineEntry::derived(lead_id, now, &entry_seed, actor(), kind)).await?;
    info!(lead_id = %lead_id, cadence = %e.cadence, reason, "cadence stopped");
    Ok(true)
}

/// Closes the call task `e` waits for, if it is still open.
pub(crate) async fn close_open_task(
    services: &Services,
    lead_id: LeadId,
    e: &Enrollment,
    status: TaskStatus,
    seed: &str,
) -> Result<(), StoreError> {
    let Some(id) = &e.awaiting_task else { return Ok(()) };
    let Some(mut task) = services.cadence.task(lead_id, id).await? else { return Ok(()) };
    if !task.is_open() {
        return Ok(());
    }
    let now = services.clock.now();
    task.close(status, None, "cadence", now);
    services.cadence.save_task(&task).await?;
    let kind = TimelineKind::TaskClosed { task_id: task.id.clone(), status, outcome: None };
    let entry_seed = format!("{lead_id}:task-closed:{}:{seed}", task.id);
    append_system(services, COMPONENT, &TimelineEntry::derived(lead_id, now, &entry_seed, actor(), kind)).await?;
    Ok(())
}

/// A team member pauses the lead's cadence: the pending step is cancelled (and an awaited call
/// task with it) until they resume.
pub async fn pause(services: &Services, lead_id: LeadId, by: &str) -> Result<Enrollment, CadenceError> {
    pause_recorded(services, lead_id, by).await.map(|(e, _)| e)
}

/// [`pause`], with the id of the `cadence_paused` timeline entry when this call paused it
/// (`None`: it was paused already), for the audit trail of the staff route.
pub async fn pause_recorded(services: &Services, lead_id: LeadId, by: &str) -> Result<(Enrollment, Option<EventId>), CadenceError> {
    let mut state = None;
    let updated = update(services, lead_id, |e| {
        state = Some(e.state);
        if e.state != EnrollmentState::Active {
            return false;
        }
        e.state = EnrollmentState::Paused;
        e.reason = Some(format!("paused by {by}"));
        e.next_due = None;
        true
    })
    .await?;
    let Some((e, changed)) = updated else { return Err(CadenceError::NotEnrolled) };
    if !changed {
        return match state {
            Some(EnrollmentState::Paused) => Ok((e, None)),
            Some(s) => Err(CadenceError::WrongState(s.as_str())),
            None => Err(CadenceError::NotEnrolled),
        };
    }
    services.due.cancel(CADENCE_KIND, &lead_id.to_string()).await?;
    let now = services.clock.now();
    let seed = format!("pause:{}", e.version);
    close_open_task(services, lead_id, &e, TaskStatus::Cancelled, &seed).await?;
    let kind = TimelineKind::CadencePaused { cadence: e.cadence.clone(), by: by.to_string() };
    let entry = TimelineEntry::derived(lead_id, now, &format!("{lead_id}:cadence-{seed}"), Actor::User(by.to_string()), kind);
    services.timeline.append(&entry).await?;
    info!(lead_id = %lead_id, cadence = %e.cadence, "cadence paused");
    Ok((e, Some(entry.id)))
}

/// Resumes a paused cadence at its next step (a call task that was awaited is not repeated).
pub async fn resume(services: &Services, lead_id: LeadId, by: &str) -> Result<Enrollment, CadenceError> {
    resume_recorded(services, lead_id, by).await.map(|(e, _)| e)
}

/// [`resume`], with the id of the `cadence_resumed` timeline entry when this call resumed it
/// (`None`: it was running already), for the audit trail of the staff route.
pub async fn resume_recorded(services: &Services, lead_id: LeadId, by: &str) -> Result<(Enrollment, Option<EventId>), CadenceError> {
    let lead = services.leads.get(lead_id).await?.ok_or(CadenceError::LeadMissing)?;
    let now = services.clock.now();
    let mut state = None;
    let mut cadence_missing = false;
    let updated = update(services, lead_id, |e| {
        state = Some(e.state);
        if e.state != EnrollmentState::Paused {
            return false;
        }
        let Some(c) = services.config.followup.book.get(&e.cadence) else {
            cadence_missing = true;
            return false;
        };
        if e.awaiting_task.take().is_some() {
            e.next_step += 1;
            e.last_step_at = Some(now);
        }
        e.generation += 1;
        e.reason = None;
        if e.next_step < c.steps.len() {
            e.state = EnrollmentState::Active;
            e.next_due = Some(due_of(c, &lead, e, e.next_step, now));
        } else {
            e.state = EnrollmentState::Completed;
            e.next_due = None;
        }
        true
    })
    .await?;
    let Some((e, changed)) = updated else { return Err(CadenceError::NotEnrolled) };
    if cadence_missing {
        return Err(CadenceError::WrongState("no longer configured"));
    }
    if !changed {
        return match state {
            Some(EnrollmentState::Active) => Ok((e, None)),
            Some(s) => Err(CadenceError::WrongState(s.as_str())),
            None => Err(CadenceError::NotEnrolled),
        };
    }
    let cadence = services.config.followup.book.get(&e.cadence).expect("checked above");
    if let Some(at) = e.next_due {
        schedule(services, &e, false, at).await?;
    }
    let kind = TimelineKind::CadenceResumed {
        cadence: e.cadence.clone(),
        by: by.to_string(),
        next: e.next_due.and_then(|at| step_ref(cadence, e.next_step, at)),
    };
    let seed = format!("{lead_id}:cadence-resume:{}", e.version);
    let entry = TimelineEntry::derived(lead_id, now, &seed, Actor::User(by.to_string()), kind);
    services.timeline.append(&entry).await?;
    info!(lead_id = %lead_id, cadence = %e.cadence, "cadence resumed");
    Ok((e, Some(entry.id)))
}
