//! Answers to appointment reminders: a reply that is one of `[messaging.reminders]`
//! `confirm_words` ("C") or `reschedule_words` ("R"), from a number whose lead has an upcoming
//! appointment it was reminded of, confirms it or asks to move it. Either way the team hears of
//! it (an alert to the assignee, on the timeline) and the person gets one short answer; a
//! reschedule request stops the remaining reminders of the old time. Any other reply, or one
//! with no reminded appointment, is an ordinary reply.

use super::events::alert_team;
use super::{record, seed, ProcessError};
use crate::app::matching::{find_lead, MatchHints};
use crate::app::messaging::{send_sms_to_lead, Delivery};
use crate::app::reminders;
use crate::app::Services;
use crate::domain::inbound::{AppointmentEventKind, InboundEvent, InboundSms};
use crate::domain::{Actor, ContactChannel, LeadId, TimelineKind};
use crate::ports::{Claim, MessagePurpose};
use chrono::{DateTime, Utc};

/// What the reply asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Confirm,
    Reschedule,
}

/// The lead's upcoming appointment a reminder was sent for: its start.
async fn reminded_appointment(services: &Services, lead_id: LeadId, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ProcessError> {
    // The current appointment (id, start): a booking or a move sets it; a cancellation, a no-show
    // or a visit of that same appointment clears it.
    let mut current: Option<(String, DateTime<Utc>)> = None;
    let mut reminded = false;
    let mut after = None;
    loop {
        let page = services.timeline.list(lead_id, after, 500).await?;
        for e in page.items {
            match e.kind {
                TimelineKind::AppointmentChanged { event, starts_at, appointment_id, .. } => match event {
                    AppointmentEventKind::Booked | AppointmentEventKind::Rescheduled => {
                        reminded = false;
                        current = starts_at.map(|at| (appointment_id, at));
                    }
                    _ if current.as_ref().is_some_and(|(id, _)| *id == appointment_id) => {
                        reminded = false;
                        current = None;
                    }
                    _ => {}
                },
                TimelineKind::MessageSent { purpose, .. } if purpose == reminders::PURPOSE => reminded = true,
                _ => {}
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(current.map(|(_, at)| at).filter(|at| reminded && *at > now - chrono::Duration::hours(1)))
}

/// Handles the reply if it answers a reminder; `None` otherwise.
pub(super) async fn answer(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<Option<String>, ProcessError> {
    let r = &services.config.messaging.reminders;
    let word: String = sms.body.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_uppercase();
    let answer = if r.confirm_words.contains(&word) {
        Answer::Confirm
    } else if r.reschedule_words.contains(&word) {
        Answer::Reschedule
    } else {
        return Ok(None);
    };
    let Some((lead, _)) = find_lead(services, &MatchHints { phone: Some(sms.from.clone()), ..Default::default() }).await? else {
        return Ok(None);
    };
    let Some(starts_at) = reminded_appointment(services, lead.id, event.occurred_at).await? else { return Ok(None) };
    let received = TimelineKind::MessageReceived {
        channel: ContactChannel::Sms,
        provider: event.provider.as_str().to_string(),
        provider_message_id: event.event_id.clone(),
        text: crate::domain::text::FreeText::parse(&word, 20).ok(),
    };
    record(services, lead.id, event, "received", Actor::Lead, received).await?;
    let (reason, template) = match answer {
        Answer::Confirm => ("appointment.confirmed", &r.confirmed_reply),
        Answer::Reschedule => {
            reminders::stop(services, lead.id).await?;
            ("appointment.reschedule_requested", &r.reschedule_reply)
        }
    };
    alert_team(services, event, lead.id, reason).await?;
    // One answer per reply, even when the job runs twice.
    let action = format!("reminder_answer:{}", seed(event, reason));
    match services.once.claim(lead.id, &action, services.clock.now(), chrono::Duration::seconds(60)).await? {
        Claim::Done { outcome } => return Ok(Some(outcome)),
        Claim::Held => return Err(ProcessError::Busy),
        Claim::Acquired => {}
    }
    let first = crate::app::compose::person_values(services, &lead).first_name;
    let text = reminders::render(services, &lead, template, starts_at, services.clock.now(), first.as_deref());
    let outcome = match send_sms_to_lead(services, &lead, MessagePurpose::Reminder, text.clone()).await {
        Ok(Delivery::Sent(m)) => {
            let kind = TimelineKind::MessageSent {
                channel: ContactChannel::Sms,
                purpose: "appointment_reply".into(),
                provider_message_id: m.provider_message_id,
                text,
            };
            record(services, lead.id, event, "reminder_answer", super::integration(event.provider), kind).await?;
            format!("{reason}:answered")
        }
        Ok(Delivery::Paced { until, .. }) => {
            let _ = services.once.abandon(lead.id, &action).await;
            return Err(ProcessError::Paced { until });
        }
        Ok(Delivery::Blocked(why)) => format!("{reason}:answer_{}", why.as_str()),
        Err(e) => {
            let _ = services.once.abandon(lead.id, &action).await;
            return Err(ProcessError::Step(e.to_string()));
        }
    };
    services.once.finish(lead.id, &action, &outcome, services.clock.now()).await?;
    Ok(Some(outcome))
}
