//! Calls, email engagement, appointments, payments and generic source events.

use super::{announce, integration, record, seed, ProcessError};
use crate::app::intake::{capture, IntakeError, IntakeRequest};
use crate::app::lifecycle::{transition, TransitionError, TransitionOutcome};
use crate::app::matching::{all_by_email, find_lead, update_lead, MatchHints};
use crate::app::Services;
use crate::domain::inbound::{
    AppointmentEvent, AppointmentEventKind, CallCompleted, EmailEngagement, EmailEventKind, InboundEvent, PaymentSucceeded, SourceEvent,
};
use crate::domain::intake_form::RawSubmission;
use crate::domain::lead::PaymentRecord;
use crate::domain::lifecycle::Cause;
use crate::domain::text::Label;
use crate::domain::touchpoint::{Touchpoint, TouchpointKind};
use crate::domain::{Actor, ContactChannel, LeadEventKind, LeadId, LeadStatus, SourceChannel, SourceDetail, TimelineKind};
use crate::ports::{Claim, ProviderKey, TeamAlert};
use std::collections::BTreeMap;
use tracing::warn;

/// Creates (or joins, by intake's dedupe) a lead through the same capture path as web forms,
/// with an idempotency key from the event: a redelivery finds the same lead. `None` when intake
/// refuses the fields (recorded as the event's outcome; retrying would not help).
pub(crate) async fn capture_lead(
    services: &Services,
    event: &InboundEvent,
    mut fields: BTreeMap<String, String>,
    channel: SourceChannel,
) -> Result<Option<LeadId>, ProcessError> {
    fields.entry("source_channel".into()).or_insert_with(|| channel.as_str().to_string());
    if !fields.contains_key("service_line") {
        if let Some(line) = &services.config.webhooks.service_line {
            fields.insert("service_line".into(), line.as_str().to_string());
        }
    }
    let request = IntakeRequest {
        submission: RawSubmission { fields, ip: None, user_agent: None },
        idempotency_key: Some(format!("webhook:{}", seed(event, "capture"))),
    };
    match capture(services, request).await {
        Ok(accepted) => Ok(Some(accepted.lead_id)),
        Err(IntakeError::Invalid(errors)) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            warn!(?fields, "an integration's lead was refused by intake");
            Ok(None)
        }
        Err(IntakeError::InProgress) => Err(ProcessError::Busy),
        Err(IntakeError::KeyReused) => Err(ProcessError::Step("idempotency key reused".into())),
        Err(IntakeError::Store(e)) => Err(e.into()),
        // Integrations are not screened (`capture` is the trusted path); kept for completeness.
        Err(IntakeError::Screened(_)) => Ok(None),
    }
}

/// Alerts the lead's assignee (or team) once per event.
pub(crate) async fn alert_team(services: &Services, event: &InboundEvent, lead_id: LeadId, reason: &str) -> Result<(), ProcessError> {
    let action = format!("alert:{}", seed(event, reason));
    match services.once.claim(lead_id, &action, services.clock.now(), chrono::Duration::seconds(60)).await? {
        Claim::Done { .. } => return Ok(()),
        Claim::Held => return Err(ProcessError::Busy),
        Claim::Acquired => {}
    }
    let lead = services.leads.get(lead_id).await?;
    let user_id = lead.as_ref().and_then(|l| l.assignee().map(str::to_string));
    // The assignee's team (from the roster), so the team can pick it up when they are away.
    let team = user_id.as_deref().and_then(|m| services.config.team.team_of(m)).map(str::to_string);
    let alert = TeamAlert { lead_id, user_id: user_id.clone(), team, reason: reason.into() };
    if let Err(e) = services.alerts.alert(&alert).await {
        let _ = services.once.abandon(lead_id, &action).await;
        return Err(ProcessError::Step(e.to_string()));
    }
    services.once.finish(lead_id, &action, "sent", services.clock.now()).await?;
    record(services, lead_id, event, reason, Actor::System("alerts".into()), TimelineKind::TeamAlerted { user_id, reason: reason.into() })
        .await?;
    Ok(())
}

fn step(r: Result<TransitionOutcome, TransitionError>) -> Result<(), ProcessError> {
    match r {
        Ok(_) | Err(TransitionError::Invalid(_)) => Ok(()),
        Err(TransitionError::Store(e)) => Err(e.into()),
        Err(TransitionError::Queue(e)) => Err(e.into()),
        Err(e @ TransitionError::LeadMissing(_)) => Err(ProcessError::Step(e.to_string())),
    }
}

fn touchpoint(event: &InboundEvent, kind: TouchpointKind, channel: SourceChannel, page: Option<&str>) -> Touchpoint {
    Touchpoint { at: event.occurred_at, kind, channel, detail: Default::default(), page: page.and_then(|p| Label::parse(p, 1000).ok()) }
}

/// Records an integration's touchpoint and asks for a new score (`lead.touchpoint_added`).
async fn touch(services: &Services, event: &InboundEvent, lead_id: LeadId, tp: Touchpoint) -> Result<(), ProcessError> {
    record(services, lead_id, event, "touchpoint", integration(event.provider), TimelineKind::TouchpointRecorded { touchpoint: tp })
        .await?;
    announce(services, lead_id, event, LeadEventKind::TouchpointAdded).await?;
    Ok(())
}

/// The campaign tags a call came with: attribution credits its source and keywords, not
/// "phone".
fn call_detail(call: &CallCompleted) -> SourceDetail {
    let label = |v: &Option<String>| v.as_deref().and_then(|s| Label::parse(s, 200).ok());
    SourceDetail {
        utm_source: label(&call.tracking_source),
        utm_medium: label(&call.medium),
        utm_campaign: label(&call.campaign),
        utm_term: label(&call.keywords),
        gclid: label(&call.gclid),
        landing_page: call.landing_page.as_deref().and_then(|p| Label::parse(p, 1000).ok()),
        ..SourceDetail::default()
    }
}

/// The caller's name and state as intake fields, when they are usable as such (a caller-ID
/// name that is not a person's name, a state that is not a code, are left out rather than
/// failing the capture).
fn caller_fields(call: &CallCompleted) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(name) = call.caller_name.as_deref().filter(|n| crate::domain::text::PersonName::parse(n).is_ok()) {
        out.insert("name".to_string(), name.to_string());
    }
    if let Some(state) =
        call.caller_state.as_deref().map(str::trim).filter(|s| (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic()))
    {
        out.insert("state".to_string(), state.to_ascii_uppercase());
    }
    out
}

/// A completed call: matched by the caller's number, or a new lead with source `phone_call`,
/// its name, state, source, keywords and campaign from the phone system.
pub(super) async fn call(services: &Services, event: &InboundEvent, call: &CallCompleted) -> Result<String, ProcessError> {
    let found = find_lead(services, &MatchHints { phone: Some(call.caller.clone()), ..Default::default() }).await?;
    let detail = call_detail(call);
    let (lead_id, how) = match found {
        Some((lead, _)) => {
            // A signed phone system (not an anonymous caller) may fill what the lead lacks.
            let (name, state) = (caller_fields(call).remove("name"), caller_fields(call).remove("state"));
            if name.is_some() || state.is_some() {
                update_lead(services, lead.id, |l| {
                    let mut changed = false;
                    if l.contact.first_name.is_none() && l.contact.last_name.is_none() {
                        if let Some(n) = &name {
                            let (first, last) = match n.rsplit_once(' ') {
                                Some((f, l)) => (f, Some(l)),
                                None => (n.as_str(), None),
                            };
                            l.contact.first_name = crate::domain::text::PersonName::parse(first).ok();
                            l.contact.last_name = last.and_then(|x| crate::domain::text::PersonName::parse(x).ok());
                            changed = true;
                        }
                    }
                    if l.context.location.state.is_none() {
                        if let Some(s) = &state {
                            l.context.location.state = Label::parse(s, 3).ok();
                            changed = true;
                        }
                    }
                    changed
                })
                .await?;
            }
            (lead.id, "matched")
        }
        None => {
            let mut fields = caller_fields(call);
            fields.insert("phone".to_string(), call.caller.as_e164().to_string());
            for (field, value) in [
                ("utm_source", &detail.utm_source),
                ("utm_medium", &detail.utm_medium),
                ("utm_campaign", &detail.utm_campaign),
                ("utm_term", &detail.utm_term),
                ("gclid", &detail.gclid),
                ("landing_page", &detail.landing_page),
            ] {
                if let Some(v) = value {
                    fields.insert(field.to_string(), v.as_str().to_string());
                }
            }
            match capture_lead(services, event, fields, SourceChannel::PhoneCall).await? {
                Some(id) => (id, "created"),
                None => return Ok("unmatched".into()),
            }
        }
    };
    let logged = TimelineKind::CallLogged {
        provider: event.provider.as_str().into(),
        call_id: event.event_id.clone(),
        answered: call.answered,
        duration_seconds: call.duration_seconds,
        recording_url: call.recording_url.clone(),
        tracking_source: call.tracking_source.clone(),
        keywords: call.keywords.clone(),
    };
    record(services, lead_id, event, "call", integration(event.provider), logged).await?;
    let mut tp = touchpoint(event, TouchpointKind::Call, SourceChannel::PhoneCall, None);
    tp.detail = detail;
    touch(services, event, lead_id, tp).await?;
    if call.answered {
        if let Some(lead) = services.leads.get(lead_id).await? {
            if matches!(lead.status, LeadStatus::New | LeadStatus::Unresponsive) {
                let cause = Cause::new(Actor::Lead, "call.answered").with_seed(seed(event, "call")).at(event.occurred_at);
                step(transition(services, lead_id, LeadStatus::Contacted, cause).await)?;
            }
        }
    } else {
        alert_team(services, event, lead_id, "call.missed").await?;
    }
    Ok(format!("call:{how}:{lead_id}"))
}

/// An email event: a hard bounce or a complaint marks the address invalid / unsubscribed (the
/// opt-out list and the leads' email consent); opens and clicks are touchpoints.
pub(super) async fn email(services: &Services, event: &InboundEvent, email: &EmailEngagement) -> Result<String, ProcessError> {
    let mut touched = 0;
    for address in &email.recipients {
        let reason = match email.kind {
            EmailEventKind::HardBounce => Some("hard_bounce"),
            EmailEventKind::Complaint => Some("complaint"),
            _ => None,
        };
        if let Some(reason) = reason {
            services.suppressions.suppress(ContactChannel::Email, address.as_str(), reason, event.occurred_at).await?;
        }
        for lead in all_by_email(services, address).await? {
            touched += 1;
            let entry = TimelineKind::EmailEngagement {
                provider_message_id: email.message_id.clone(),
                event: email.kind,
                link: email.link.clone(),
            };
            let step_name = format!("email:{}", address.as_str());
            record(services, lead.id, event, &step_name, integration(event.provider), entry).await?;
            if let Some(reason) = reason {
                let at = event.occurred_at;
                update_lead(services, lead.id, |l| match l.consent.email.as_mut() {
                    Some(c) if c.revoked_at.is_none() => {
                        c.revoked_at = Some(at);
                        c.revoked_via = Some(reason.to_string());
                        true
                    }
                    _ => false,
                })
                .await?;
                let revoked = TimelineKind::ConsentRevoked { channel: ContactChannel::Email, via: reason.into() };
                record(services, lead.id, event, &format!("revoked:{}", address.as_str()), integration(event.provider), revoked).await?;
                if email.kind == EmailEventKind::Complaint {
                    announce(services, lead.id, event, LeadEventKind::OptedOut).await?;
                }
            }
            let kind = match email.kind {
                EmailEventKind::Open => Some(TouchpointKind::EmailOpen),
                EmailEventKind::Click => Some(TouchpointKind::EmailClick),
                _ => None,
            };
            if let Some(kind) = kind {
                touch(services, event, lead.id, touchpoint(event, kind, SourceChannel::Other, email.link.as_deref())).await?;
            }
        }
    }
    Ok(format!("email:{}:{touched}", email.kind.as_str()))
}

/// An appointment event moves the status; a no-show starts the configured re-engagement.
pub(super) async fn appointment(services: &Services, event: &InboundEvent, a: &AppointmentEvent) -> Result<String, ProcessError> {
    let key = ProviderKey::new(event.provider, "appointment", &a.appointment_id);
    let referenced = a.reference.as_deref().and_then(|r| crate::app::references::lead_of(services, crate::app::references::BOOKING, r));
    let hints =
        MatchHints { lead_id: a.lead_id.or(referenced), provider_keys: vec![key.clone()], phone: a.phone.clone(), email: a.email.clone() };
    let (lead_id, how) = match find_lead(services, &hints).await? {
        Some((lead, _)) => (lead.id, "matched"),
        None if a.kind == AppointmentEventKind::Booked => {
            let mut fields = BTreeMap::new();
            if let Some(p) = &a.phone {
                fields.insert("phone".to_string(), p.as_e164().to_string());
            }
            if let Some(e) = &a.email {
                fields.insert("email".to_string(), e.as_str().to_string());
            }
            if let Some(n) = &a.name {
                fields.insert("name".to_string(), n.clone());
            }
            match capture_lead(services, event, fields, SourceChannel::WebForm).await? {
                Some(id) => (id, "created"),
                None => return Ok("unmatched".into()),
            }
        }
        None => return Ok("unmatched".into()),
    };
    services.inbound.link(&key, lead_id).await?;
    let entry = TimelineKind::AppointmentChanged {
        provider: event.provider.as_str().into(),
        appointment_id: a.appointment_id.clone(),
        event: a.kind,
        starts_at: a.starts_at,
    };
    record(services, lead_id, event, "appointment", integration(event.provider), entry).await?;
    // Reminders follow the appointment: scheduled at a booking, moved with it, stopped when it
    // is cancelled, missed or attended.
    crate::app::reminders::on_appointment(services, lead_id, a).await?;
    // The person books, moves and cancels; the practice marks no-shows and visits.
    let (to, actor) = match a.kind {
        AppointmentEventKind::Booked | AppointmentEventKind::Rescheduled => (LeadStatus::Booked, Actor::Lead),
        AppointmentEventKind::Canceled => (LeadStatus::Canceled, Actor::Lead),
        AppointmentEventKind::NoShow => (LeadStatus::NoShow, integration(event.provider)),
        AppointmentEventKind::Showed => (LeadStatus::Showed, integration(event.provider)),
    };
    let trigger = format!("appointment.{}", a.kind.as_str());
    if a.kind == AppointmentEventKind::Booked {
        touch(services, event, lead_id, touchpoint(event, TouchpointKind::AppointmentRequest, SourceChannel::WebForm, None)).await?;
    }
    let cause = Cause::new(actor, trigger.clone()).with_seed(seed(event, "appointment")).at(event.occurred_at);
    let result = transition(services, lead_id, to, cause).await;
    let moved = matches!(result, Ok(TransitionOutcome::Changed { .. } | TransitionOutcome::AlreadyApplied { .. }));
    step(result)?;
    if a.kind == AppointmentEventKind::NoShow && moved {
        let action = services.config.lifecycle.no_show_reengagement.clone();
        record(
            services,
            lead_id,
            event,
            "reengagement",
            Actor::System("lifecycle".into()),
            TimelineKind::ReengagementTriggered { action, trigger },
        )
        .await?;
        alert_team(services, event, lead_id, "appointment.no_show").await?;
    }
    Ok(format!("appointment:{}:{how}:{lead_id}", a.kind.as_str()))
}

/// A payment converts the lead and adds to its revenue (once per payment id).
pub(super) async fn payment(services: &Services, event: &InboundEvent, p: &PaymentSucceeded) -> Result<String, ProcessError> {
    let customer = p.customer_id.as_ref().map(|c| ProviderKey::new(event.provider, "customer", c));
    let referenced = p.reference.as_deref().and_then(|r| crate::app::references::lead_of(services, crate::app::references::PAYMENT, r));
    let hints = MatchHints {
        lead_id: p.lead_id.or(referenced),
        provider_keys: customer.iter().cloned().collect(),
        phone: p.phone.clone(),
        email: p.email.clone(),
    };
    let Some((lead, _)) = find_lead(services, &hints).await? else {
        return Ok("unmatched".into());
    };
    if let Some(key) = &customer {
        services.inbound.link(key, lead.id).await?;
    }
    let record_payment = PaymentRecord {
        provider: event.provider.as_str().into(),
        payment_id: p.payment_id.clone(),
        amount: p.amount.clone(),
        at: event.occurred_at,
    };
    update_lead(services, lead.id, |l| {
        if l.payments.iter().any(|x| x.provider == record_payment.provider && x.payment_id == record_payment.payment_id) {
            return false;
        }
        l.payments.push(record_payment.clone());
        true
    })
    .await?;
    let entry = TimelineKind::PaymentReceived {
        provider: event.provider.as_str().into(),
        payment_id: p.payment_id.clone(),
        amount: p.amount.clone(),
    };
    // One entry per payment, even when both the checkout and its payment intent report it.
    let entry_seed = format!("payment:{}", p.payment_id);
    let tl = crate::domain::TimelineEntry::derived(
        lead.id,
        event.occurred_at,
        &format!("{}:{entry_seed}", lead.id),
        integration(event.provider),
        entry,
    );
    super::append(services, event, &tl).await?;
    let cause = Cause::new(integration(event.provider), "payment.succeeded").with_seed(entry_seed).at(event.occurred_at);
    step(transition(services, lead.id, LeadStatus::Converted, cause).await)?;
    // Revenue for the reports: a later payment on a converted lead changes no status.
    announce(services, lead.id, event, LeadEventKind::PaymentReceived).await?;
    Ok(format!("payment:{}:{}:{}", lead.id, p.amount.minor, p.amount.currency.code()))
}

/// A generic source: inquiries (chats, DMs, registrations) go through intake; page views,
/// downloads and ad clicks are touchpoints on the lead they name.
pub(super) async fn source(services: &Services, event: &InboundEvent, s: &SourceEvent) -> Result<String, ProcessError> {
    let is_inquiry = matches!(
        s.touchpoint,
        TouchpointKind::FormSubmission
            | TouchpointKind::Chat
            | TouchpointKind::SocialMessage
            | TouchpointKind::EventRegistration
            | TouchpointKind::Call
            | TouchpointKind::Referral
            | TouchpointKind::WalkIn
            | TouchpointKind::Other
    );
    if is_inquiry && (s.fields.contains_key("phone") || s.fields.contains_key("email")) {
        return Ok(match capture_lead(services, event, s.fields.clone(), s.channel).await? {
            Some(id) => format!("source:{}:inquiry:{id}", s.source),
            None => format!("source:{}:invalid", s.source),
        });
    }
    let region = services.config.organization.phone_region;
    let hints = MatchHints {
        lead_id: s.lead_id,
        provider_keys: Vec::new(),
        phone: s.fields.get("phone").and_then(|p| crate::domain::Phone::parse(p, region).ok()),
        email: s.fields.get("email").and_then(|e| crate::domain::Email::parse(e).ok()),
    };
    let Some((lead, _)) = find_lead(services, &hints).await? else {
        return Ok(format!("source:{}:unmatched", s.source));
    };
    touch(services, event, lead.id, touchpoint(event, s.touchpoint, s.channel, s.page.as_deref())).await?;
    Ok(format!("source:{}:touchpoint:{}", s.source, lead.id))
}
