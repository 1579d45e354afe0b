//! Inbound texts: STOP-family keywords and plain-language opt-outs ("please stop texting me",
//! "no me escriban más") revoke SMS consent at once (suppression for the number, consent revoked
//! on every lead holding it, open leads opted out) and get exactly one confirmation per
//! revocation (a second STOP while opted out gets nothing); START re-subscribes with a new
//! consent record (evidence: the keyword), and so does "Yes" only when the last text asked for
//! it; HELP gets the program's answer; appointment reminder answers ("C", "R") confirm or ask to
//! reschedule; anything else is a reply: a touchpoint on the lead, a `lead.replied` event
//! (cadences stop) and an alert to the assignee.

use super::events::{alert_team, capture_lead};
use super::{announce, integration, record, seed, ProcessError};
use crate::app::lifecycle::{transition, TransitionError};
use crate::app::matching::{all_by_phone, find_lead, update_lead, MatchHints};
use crate::app::messaging::{send_keyword_reply, Delivery, MessagingError};
use crate::app::Services;
use crate::domain::consent::{ChannelConsent, ConsentEvidence};
use crate::domain::inbound::{InboundEvent, InboundSms};
use crate::domain::intake_form::{ConsentTextLookup, IntakeRules};
use crate::domain::keywords::{classify, Keyword};
use crate::domain::lifecycle::Cause;
use crate::domain::text::FreeText;
use crate::domain::{Actor, ContactChannel, LeadEventKind, LeadId, LeadStatus, SourceChannel, TimelineKind};
use crate::ports::{Claim, MessagePurpose, SendError};
use std::collections::BTreeMap;

/// Handles one inbound text.
pub(super) async fn handle(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<String, ProcessError> {
    match classify(&sms.body) {
        Some(Keyword::Stop) => stop(services, event, sms).await,
        Some(Keyword::Start) => start(services, event, sms).await,
        Some(Keyword::Affirmative) if last_text_asked_for_yes(services, sms).await? => start(services, event, sms).await,
        Some(Keyword::Help) => help(services, event, sms).await,
        Some(Keyword::Affirmative) | None => match super::reminder_reply::answer(services, event, sms).await? {
            Some(outcome) => Ok(outcome),
            None => reply(services, event, sms).await,
        },
    }
}

/// Whether the last text sent to the number asked the person to answer "Yes" to receive texts
/// again (only then is "Yes" a re-subscription; otherwise it answers whatever the team asked).
async fn last_text_asked_for_yes(services: &Services, sms: &InboundSms) -> Result<bool, ProcessError> {
    let mut last: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
    for lead in all_by_phone(services, &sms.from).await? {
        let mut after = None;
        loop {
            let page = services.timeline.list(lead.id, after, 500).await?;
            for e in page.items {
                let text = match e.kind {
                    TimelineKind::MessageSent { channel: ContactChannel::Sms, text, .. } => Some(text),
                    TimelineKind::AcknowledgementSent { channel: ContactChannel::Sms, text, .. } => Some(text),
                    TimelineKind::CadenceStep {
                        channel: crate::domain::cadence::StepChannel::Sms,
                        outcome: crate::domain::cadence::StepOutcome::Sent { text: Some(text), .. },
                        ..
                    } => Some(text),
                    _ => None,
                };
                if let Some(text) = text.filter(|_| last.as_ref().is_none_or(|(at, _)| e.at >= *at)) {
                    last = Some((e.at, text));
                }
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    Ok(last.is_some_and(|(_, text)| crate::domain::keywords::asks_for_yes(&text)))
}

fn received(event: &InboundEvent, sms: &InboundSms) -> TimelineKind {
    let text: String = sms.body.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    TimelineKind::MessageReceived {
        channel: ContactChannel::Sms,
        provider: event.provider.as_str().to_string(),
        provider_message_id: event.event_id.clone(),
        text: FreeText::parse(&text, FreeText::MAX_LEN).ok(),
    }
}

fn lifecycle_step(r: Result<crate::app::lifecycle::TransitionOutcome, TransitionError>) -> Result<(), ProcessError> {
    match r {
        Ok(_) => Ok(()),
        // The lead is somewhere this cause does not move it from (converted, say): the message
        // is still recorded; nothing to retry.
        Err(TransitionError::Invalid(_)) => Ok(()),
        Err(TransitionError::Store(e)) => Err(e.into()),
        Err(TransitionError::Queue(e)) => Err(e.into()),
        Err(e @ TransitionError::LeadMissing(_)) => Err(ProcessError::Step(e.to_string())),
    }
}

async fn stop(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<String, ProcessError> {
    let at = event.occurred_at;
    // Whether the number had opted out already, decided once per inbound message (a retry after
    // the suppression below must not take its own STOP for an earlier one).
    let repeat = repeat_revocation(services, event, sms).await?;
    // The number first: from this moment the gate blocks every text to it, whatever lead.
    services.suppressions.suppress(ContactChannel::Sms, sms.from.as_e164(), "stop_keyword", at).await?;
    let leads = all_by_phone(services, &sms.from).await?;
    let via = format!("sms_keyword:{}", sms.body.trim().to_uppercase().chars().take(20).collect::<String>());
    for lead in &leads {
        update_lead(services, lead.id, |l| match l.consent.sms.as_mut() {
            Some(c) if c.revoked_at.is_none() => {
                c.revoked_at = Some(at);
                c.revoked_via = Some(via.clone());
                true
            }
            _ => false,
        })
        .await?;
        record(services, lead.id, event, "received", Actor::Lead, received(event, sms)).await?;
        record(
            services,
            lead.id,
            event,
            "revoked",
            Actor::Lead,
            TimelineKind::ConsentRevoked { channel: ContactChannel::Sms, via: via.clone() },
        )
        .await?;
        if lead.status.is_open() {
            let cause = Cause::new(Actor::Lead, "sms.stop").with_seed(seed(event, "stop")).at(at);
            lifecycle_step(transition(services, lead.id, LeadStatus::OptedOut, cause).await)?;
        }
        announce(services, lead.id, event, LeadEventKind::OptedOut).await?;
    }
    let lead_id = leads.first().map(|l| l.id);
    if repeat {
        // One confirmation per revocation: this number was told already.
        if let Some(id) = lead_id {
            let kind = TimelineKind::MessageNotSent {
                channel: ContactChannel::Sms,
                purpose: MessagePurpose::OptOutConfirmation.as_str().into(),
                reason: crate::domain::timeline::SkipReason::AlreadyOptedOut,
            };
            record(services, id, event, "opt_out_confirmation", integration(event.provider), kind).await?;
        }
        return Ok(format!("stop:{}:blocked_already_opted_out", leads.len()));
    }
    let text = services.config.sms_keywords.render(&services.config.sms_keywords.stop_confirmation, &services.config.organization.name);
    let delivery = keyword_reply_once(services, event, sms, lead_id, MessagePurpose::OptOutConfirmation, text).await?;
    Ok(format!("stop:{}:{}", leads.len(), delivery))
}

/// Whether the number was on the opt-out list before this STOP, decided at its first handling
/// and kept in a once-only marker so a redelivery decides the same.
async fn repeat_revocation(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<bool, ProcessError> {
    let owner = LeadId::derived(format!("sms-number:{}", sms.from.as_e164()).as_bytes());
    let action = format!("stop_decision:{}", seed(event, "stop"));
    match services.once.claim(owner, &action, services.clock.now(), chrono::Duration::seconds(60)).await? {
        Claim::Done { outcome } => Ok(outcome == "repeat"),
        Claim::Held => Err(ProcessError::Busy),
        Claim::Acquired => {
            let already = services.suppressions.is_suppressed(ContactChannel::Sms, sms.from.as_e164()).await?;
            let decision = if already { "repeat" } else { "first" };
            services.once.finish(owner, &action, decision, services.clock.now()).await?;
            Ok(already)
        }
    }
}

async fn start(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<String, ProcessError> {
    let at = event.occurred_at;
    services.suppressions.lift(ContactChannel::Sms, sms.from.as_e164()).await?;
    let leads = all_by_phone(services, &sms.from).await?;
    let text_ref = match services.config.consent_text(None, ContactChannel::Sms, None) {
        ConsentTextLookup::Found { version, sha256 } => Some((version, sha256)),
        _ => None,
    };
    for lead in &leads {
        // A new consent record: the person texted START from this number.
        if let Some((version, sha256)) = &text_ref {
            update_lead(services, lead.id, |l| {
                if l.consent.sms.as_ref().is_some_and(|c| c.is_active() && c.at >= at) {
                    return false;
                }
                l.consent.sms = Some(ChannelConsent {
                    granted: true,
                    text_version: version.clone(),
                    text_sha256: sha256.clone(),
                    at,
                    evidence: ConsentEvidence { captured_via: "keyword".into(), ..Default::default() },
                    revoked_at: None,
                    revoked_via: None,
                });
                true
            })
            .await?;
        }
        record(services, lead.id, event, "received", Actor::Lead, received(event, sms)).await?;
        record(
            services,
            lead.id,
            event,
            "granted",
            Actor::Lead,
            TimelineKind::ConsentGranted { channel: ContactChannel::Sms, via: "keyword".into() },
        )
        .await?;
        if lead.status == LeadStatus::OptedOut {
            let cause = Cause::new(Actor::Lead, "sms.start").with_seed(seed(event, "start")).at(at);
            let back = match lead.previous_status {
                Some(LeadStatus::Booked) => LeadStatus::Booked,
                _ => LeadStatus::Contacted,
            };
            lifecycle_step(transition(services, lead.id, back, cause).await)?;
        }
    }
    let text = services.config.sms_keywords.render(&services.config.sms_keywords.start_confirmation, &services.config.organization.name);
    let delivery =
        keyword_reply_once(services, event, sms, leads.first().map(|l| l.id), MessagePurpose::ResubscribeConfirmation, text).await?;
    Ok(format!("start:{}:{}", leads.len(), delivery))
}

async fn help(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<String, ProcessError> {
    let lead = find_lead(services, &MatchHints { phone: Some(sms.from.clone()), ..Default::default() }).await?.map(|(l, _)| l);
    if let Some(lead) = &lead {
        record(services, lead.id, event, "received", Actor::Lead, received(event, sms)).await?;
        record(services, lead.id, event, "help", Actor::Lead, TimelineKind::HelpRequested { channel: ContactChannel::Sms }).await?;
    }
    let text = services.config.sms_keywords.render(&services.config.sms_keywords.help_reply, &services.config.organization.name);
    let delivery = keyword_reply_once(services, event, sms, lead.map(|l| l.id), MessagePurpose::HelpReply, text).await?;
    Ok(format!("help:{delivery}"))
}

async fn reply(services: &Services, event: &InboundEvent, sms: &InboundSms) -> Result<String, ProcessError> {
    let found = find_lead(services, &MatchHints { phone: Some(sms.from.clone()), ..Default::default() }).await?;
    let (lead_id, how) = match found {
        Some((lead, _)) => (lead.id, "matched"),
        None => {
            // A text from a number leadflow does not know is a new inquiry.
            let fields = BTreeMap::from([("phone".to_string(), sms.from.as_e164().to_string())]);
            match capture_lead(services, event, fields, SourceChannel::Other).await? {
                Some(id) => (id, "created"),
                None => return Ok("unmatched".into()),
            }
        }
    };
    record(services, lead_id, event, "received", Actor::Lead, received(event, sms)).await?;
    announce(services, lead_id, event, LeadEventKind::Replied).await?;
    if let Some(lead) = services.leads.get(lead_id).await? {
        if matches!(lead.status, LeadStatus::New | LeadStatus::Unresponsive) {
            let cause = Cause::new(Actor::Lead, "sms.reply").with_seed(seed(event, "reply")).at(event.occurred_at);
            lifecycle_step(transition(services, lead_id, LeadStatus::Contacted, cause).await)?;
        }
    }
    alert_team(services, event, lead_id, "lead.replied").await?;
    Ok(format!("reply:{how}:{lead_id}"))
}

/// Sends a keyword reply once per inbound message, even when the job runs twice or twice at
/// once. The marker lives under an id derived from the number (there may be no lead).
async fn keyword_reply_once(
    services: &Services,
    event: &InboundEvent,
    sms: &InboundSms,
    lead_id: Option<LeadId>,
    purpose: MessagePurpose,
    text: String,
) -> Result<String, ProcessError> {
    let owner = LeadId::derived(format!("sms-number:{}", sms.from.as_e164()).as_bytes());
    let action = format!("keyword_reply:{}", seed(event, purpose.as_str()));
    match services.once.claim(owner, &action, services.clock.now(), chrono::Duration::seconds(60)).await? {
        Claim::Done { outcome } => return Ok(outcome),
        Claim::Held => return Err(ProcessError::Busy),
        Claim::Acquired => {}
    }
    let result = send_keyword_reply(services, &sms.from, lead_id, purpose, text.clone()).await;
    let (outcome, entry) = match result {
        Ok(Delivery::Paced { until, .. }) => {
            let _ = services.once.abandon(owner, &action).await;
            return Err(ProcessError::Paced { until });
        }
        Ok(Delivery::Sent(sent)) => (
            "sent".to_string(),
            TimelineKind::MessageSent {
                channel: ContactChannel::Sms,
                purpose: purpose.as_str().into(),
                provider_message_id: sent.provider_message_id,
                text,
            },
        ),
        Ok(Delivery::Blocked(reason)) => (
            format!("blocked_{}", reason.as_str()),
            TimelineKind::MessageNotSent { channel: ContactChannel::Sms, purpose: purpose.as_str().into(), reason },
        ),
        Err(MessagingError::Send(SendError::Rejected(_))) => (
            "rejected".to_string(),
            TimelineKind::MessageNotSent {
                channel: ContactChannel::Sms,
                purpose: purpose.as_str().into(),
                reason: crate::domain::timeline::SkipReason::NotMobile,
            },
        ),
        Err(e) => {
            let _ = services.once.abandon(owner, &action).await;
            return Err(ProcessError::Step(e.to_string()));
        }
    };
    services.once.finish(owner, &action, &outcome, services.clock.now()).await?;
    if let Some(id) = lead_id {
        record(services, id, event, purpose.as_str(), integration(event.provider), entry).await?;
    }
    Ok(outcome)
}
