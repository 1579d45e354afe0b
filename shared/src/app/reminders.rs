//! Appointment reminders, anchored on the appointment's time: at each configured offset before
//! it (`[messaging.reminders] offsets`, by default 48 h, 24 h and 2 h) a text, or an email when
//! no text may go, through the consent gate and the person's quiet hours. A booking or a move
//! schedules them (a move replaces the schedule: reminders of the old time never go out), a
//! cancellation, a no-show or a visit stops them, and the person's "C" or "R" answer confirms
//! or asks to reschedule (`app::inbound`, reaching the team).
//!
//! One scheduler item per lead (kind `reminder`, key = lead id; a lead has one upcoming
//! appointment at a time: a new booking replaces the earlier one's reminders), chained from one
//! offset to the next, run by the `followup` function's tick like cadence steps. A reminder that
//! quiet hours would push past the appointment is skipped, not sent late.

use super::messaging::{send_sms_to_lead, Delivery, MessagingError};
use super::scheduler::Outcome;
use super::Services;
use crate::domain::cadence::rules::Check;
use crate::domain::cadence::Allowed;
use crate::domain::inbound::{AppointmentEvent, AppointmentEventKind};
use crate::domain::timeline::SkipReason;
use crate::domain::{Actor, ContactChannel, Lead, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{Claim, DueItem, EmailPurpose, MessagePurpose, SendError, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// The scheduler kind of reminders.
pub const REMINDER_KIND: &str = "reminder";

/// The purpose recorded on the timeline for a reminder sent or not sent.
pub const PURPOSE: &str = "appointment_reminder";

/// A reminder due closer to the appointment than this is not sent (it would arrive too late).
const TOO_LATE_MINUTES: i64 = 15;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    appointment_id: String,
    /// The appointment's start, epoch milliseconds.
    starts_at: i64,
    /// The offset (index into the configured offsets) this item sends.
    offset: usize,
}

fn starts(p: &Payload) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(p.starts_at).single().unwrap_or_default()
}

/// The first offset at or after `from` whose reminder is still ahead at `now`, and its time.
fn next_reminder(offsets: &[Duration], starts_at: DateTime<Utc>, from: usize, now: DateTime<Utc>) -> Option<(usize, DateTime<Utc>)> {
    (from..offsets.len()).map(|i| (i, starts_at - offsets[i])).find(|(_, at)| *at >= now - Duration::minutes(1))
}

/// Schedules, moves or stops the reminders of a lead's appointment.
pub async fn on_appointment(services: &Services, lead_id: LeadId, a: &AppointmentEvent) -> Result<(), StoreError> {
    let key = lead_id.to_string();
    let now = services.clock.now();
    match (a.kind, a.starts_at) {
        (AppointmentEventKind::Booked | AppointmentEventKind::Rescheduled, Some(at)) if at > now => {
            let offsets = &services.config.messaging.reminders.offsets;
            match next_reminder(offsets, at, 0, now) {
                Some((i, due)) => {
                    let payload = Payload { appointment_id: a.appointment_id.clone(), starts_at: at.timestamp_millis(), offset: i };
                    let item = DueItem::new(REMINDER_KIND, key, due.max(now), serde_json::to_string(&payload).expect("payload"));
                    services.due.schedule(&item, now).await?;
                    info!(lead_id = %lead_id, reminders = offsets.len() - i, "appointment reminders scheduled");
                }
                None => {
                    services.due.cancel(REMINDER_KIND, &key).await?;
                }
            }
        }
        // Cancelled, missed, attended, or moved to no known time: nothing more to remind.
        _ => {
            services.due.cancel(REMINDER_KIND, &key).await?;
        }
    }
    Ok(())
}

/// Stops the reminders of a lead's appointment (the person asked to reschedule).
pub async fn stop(services: &Services, lead_id: LeadId) -> Result<(), StoreError> {
    services.due.cancel(REMINDER_KIND, &lead_id.to_string()).await.map(|_| ())
}

/// "on Wednesday, September 30", "today", "tomorrow", and "10:30 AM", in the person's zone.
pub fn when(services: &Services, lead: &Lead, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> (String, String) {
    let zone = crate::domain::geo::zone_of(lead, services.config.organization.time_zone).zone;
    let local = starts_at.with_timezone(&zone);
    let days = (local.date_naive() - now.with_timezone(&zone).date_naive()).num_days();
    let day = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        _ => local.format("on %A, %B %-d").to_string(),
    };
    (day, local.format("%-I:%M %p").to_string())
}

/// Renders a reminder template for the lead.
pub fn render(
    services: &Services,
    lead: &Lead,
    template: &crate::domain::template::Template,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    first_name: Option<&str>,
) -> String {
    let r = &services.config.messaging.reminders;
    let (day, time) = when(services, lead, starts_at, now);
    let line = services.config.service_line(&lead.context.service_line).map(|l| l.name.clone());
    template.render(|name| match name {
        "first_name" => first_name.map(str::to_string),
        "org_name" => Some(services.config.organization.name.clone()),
        "appointment_day" => Some(day.clone()),
        "appointment_time" => Some(time.clone()),
        "confirm_word" => r.confirm_words.iter().next().cloned(),
        "reschedule_word" => r.reschedule_words.iter().next().cloned(),
        "service_line_name" => line.clone(),
        _ => None,
    })
}

/// Runs one due reminder.
pub async fn run(services: &Services, item: &DueItem, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
    let Ok(lead_id) = item.key.parse::<LeadId>() else { return Ok(Outcome::Done) };
    let Ok(p) = serde_json::from_str::<Payload>(&item.payload) else {
        warn!(lead_id = %lead_id, "reminder item with a bad payload dropped");
        return Ok(Outcome::Done);
    };
    let Some(lead) = services.leads.get(lead_id).await? else { return Ok(Outcome::Done) };
    let starts_at = starts(&p);
    let offsets = &services.config.messaging.reminders.offsets;
    let chain_next = |from: usize| match next_reminder(offsets, starts_at, from, now) {
        Some((i, at)) => Outcome::Chain(DueItem::new(
            REMINDER_KIND,
            item.key.clone(),
            at.max(now),
            serde_json::to_string(&Payload { offset: i, ..p.clone() }).expect("payload"),
        )),
        None => Outcome::Done,
    };
    if !lead.status.is_open() && lead.status != crate::domain::LeadStatus::Booked || starts_at <= now {
        return Ok(Outcome::Done);
    }
    // Quiet hours of the person (not the daily cap: a reminder is about their own appointment).
    let zone = crate::domain::geo::zone_of(&lead, services.config.organization.time_zone);
    let rules = crate::domain::cadence::ContactRules { max_messages_per_24h: 0, ..services.config.followup.book.rules.clone() };
    if let Allowed::At(at, _) = rules.next_allowed(now, Check { zone, sent: &[], is_message: true, preferred: None }) {
        if at > starts_at - Duration::minutes(TOO_LATE_MINUTES) {
            record(services, &lead, &p, now, not_sent_kind(SkipReason::QuietHours)).await?;
            return Ok(chain_next(p.offset + 1));
        }
        return Ok(Outcome::Chain(DueItem { due_at: at, attempts: 0, ..item.clone() }));
    }
    let action = format!("reminder:{}:{}:{}", p.appointment_id, p.starts_at, p.offset);
    match services.once.claim(lead.id, &action, now, Duration::seconds(120)).await? {
        Claim::Held => return Ok(Outcome::Retry),
        Claim::Done { .. } => return Ok(chain_next(p.offset + 1)),
        Claim::Acquired => {}
    }
    match send(services, &lead, starts_at, now).await {
        Ok(Sent::Done(kind)) => {
            services.once.finish(lead.id, &action, "done", services.clock.now()).await?;
            record(services, &lead, &p, now, *kind).await?;
            Ok(chain_next(p.offset + 1))
        }
        Ok(Sent::Later(until)) => {
            let _ = services.once.abandon(lead.id, &action).await;
            Ok(Outcome::Chain(DueItem { due_at: until.max(now + Duration::seconds(1)), attempts: 0, ..item.clone() }))
        }
        Err(e) => {
            let _ = services.once.abandon(lead.id, &action).await;
            warn!(lead_id = %lead.id, error = %e, "reminder not sent; retried next tick");
            Ok(Outcome::Retry)
        }
    }
}

enum Sent {
    Done(Box<TimelineKind>),
    Later(DateTime<Utc>),
}

fn not_sent_kind(reason: SkipReason) -> TimelineKind {
    TimelineKind::MessageNotSent { channel: ContactChannel::Sms, purpose: PURPOSE.into(), reason }
}

/// A text when one may go, else an email when one may go.
async fn send(services: &Services, lead: &Lead, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Sent, MessagingError> {
    let r = &services.config.messaging.reminders;
    let values = super::compose::person_values(services, lead);
    let text = super::compose::sms_within_budget(services, &values, |first| render(services, lead, &r.sms, starts_at, now, first));
    let sms_reason = match send_sms_to_lead(services, lead, MessagePurpose::Reminder, text.clone()).await {
        Ok(Delivery::Sent(m)) => {
            return Ok(Sent::Done(Box::new(TimelineKind::MessageSent {
                channel: ContactChannel::Sms,
                purpose: PURPOSE.into(),
                provider_message_id: m.provider_message_id,
                text,
            })))
        }
        Ok(Delivery::Paced { until, .. }) => return Ok(Sent::Later(until)),
        Ok(Delivery::Blocked(reason)) => reason,
        Err(MessagingError::Send(SendError::Rejected(_))) => SkipReason::NotMobile,
        Err(e) => return Err(e),
    };
    let subject = render(services, lead, &r.email_subject, starts_at, now, values.first_name.as_deref());
    let body = render(services, lead, &r.email_text, starts_at, now, values.first_name.as_deref());
    match super::email::send_email_to_lead(services, lead, EmailPurpose::Reminder, subject, body.clone(), None).await? {
        Delivery::Sent(m) => Ok(Sent::Done(Box::new(TimelineKind::MessageSent {
            channel: ContactChannel::Email,
            purpose: PURPOSE.into(),
            provider_message_id: m.provider_message_id,
            text: body,
        }))),
        Delivery::Paced { until, .. } => Ok(Sent::Later(until)),
        Delivery::Blocked(_) => Ok(Sent::Done(Box::new(not_sent_kind(sms_reason)))),
    }
}

async fn record(services: &Services, lead: &Lead, p: &Payload, now: DateTime<Utc>, kind: TimelineKind) -> Result<(), StoreError> {
    let seed = format!("{}:reminder:{}:{}:{}", lead.id, p.appointment_id, p.starts_at, p.offset);
    let entry = TimelineEntry::derived(lead.id, now, &seed, Actor::System("reminders".into()), kind);
    super::audit::append_system(services, "followup", &entry).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_start_at_the_first_offset_still_ahead() {
        let at = Utc.with_ymd_and_hms(2026, 3, 10, 15, 0, 0).unwrap();
        let offsets = [Duration::hours(48), Duration::hours(24), Duration::hours(2)];
        assert_eq!(next_reminder(&offsets, at, 0, at - Duration::days(5)), Some((0, at - Duration::hours(48))));
        assert_eq!(next_reminder(&offsets, at, 0, at - Duration::hours(30)), Some((1, at - Duration::hours(24))));
        assert_eq!(next_reminder(&offsets, at, 2, at - Duration::hours(3)), Some((2, at - Duration::hours(2))));
        assert_eq!(next_reminder(&offsets, at, 0, at - Duration::hours(1)), None);
    }
}
