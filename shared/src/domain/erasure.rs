//! What is left of a person's records after erasure (`DELETE /people/{id}`): every value that
//! identifies or describes the person is removed; what reports count (service line, channel,
//! campaign tags, status, timings, consent decisions without their evidence) stays, anonymous.
//!
//! The timeline match is exhaustive on purpose: a new `TimelineKind` does not compile until
//! someone decides here what of it is personal.

use super::cadence::StepOutcome;
use super::consent::{ChannelConsent, Consents};
use super::context::{ContactPreferences, FranchiseProfile, LeadContext, Location};
use super::franchise::Stakeholder;
use super::inbound::{InboundEvent, InboundKind};
use super::inquiry::Inquiry;
use super::lead::{Contact, Lead};
use super::redact::PERSONAL_FIELDS;
use super::scoring::LeadScore;
use super::source::{Source, SourceDetail};
use super::text::PersonName;
use super::timeline::{TimelineEntry, TimelineKind};
use super::touchpoint::Touchpoint;
use chrono::{DateTime, Utc};

/// What replaces erased free text that must stay present (a sent message's text).
pub const ERASED: &str = "[erased]";

/// JSON keys whose values are personal in stored side records (once-only marker outcomes,
/// provider payloads): the shared list ([`PERSONAL_FIELDS`]) and what only side records use
/// (a message, an error text, a recipient `to`, a `name`). Their values become [`ERASED`].
pub const ALSO_PERSONAL_IN_RECORDS: &[&str] = &["message", "error", "to", "name"];

fn is_personal_key(k: &str) -> bool {
    PERSONAL_FIELDS.contains(&k) || ALSO_PERSONAL_IN_RECORDS.contains(&k)
}

/// Campaign tags are kept (attribution counts them); click ids, referrer and landing page can
/// carry identifiers in their query strings and go. The source name they stood for stays as
/// `utm_source` (`google` for a Google click id, the referrer's host), so reports file the
/// erased lead where they did before.
fn anonymize_detail(d: &SourceDetail) -> SourceDetail {
    let stood_for = || {
        let platform = if d.gclid.is_some() {
            Some("google".to_string())
        } else if d.fbclid.is_some() {
            Some("facebook".to_string())
        } else if d.msclkid.is_some() {
            Some("bing".to_string())
        } else if d.ttclid.is_some() {
            Some("tiktok".to_string())
        } else {
            d.referrer.as_ref().and_then(|r| crate::domain::analytics::dimension::referrer_host(r.as_str()))
        };
        platform.and_then(|p| crate::domain::text::Label::parse(&p, 200).ok())
    };
    SourceDetail {
        utm_source: d.utm_source.clone().or_else(stood_for),
        utm_medium: d.utm_medium.clone(),
        utm_campaign: d.utm_campaign.clone(),
        utm_term: d.utm_term.clone(),
        utm_content: d.utm_content.clone(),
        ad_group: d.ad_group.clone(),
        creative: d.creative.clone(),
        gclid: None,
        fbclid: None,
        msclkid: None,
        ttclid: None,
        referrer: None,
        landing_page: None,
    }
}

fn anonymize_consent(c: &mut Option<ChannelConsent>) {
    if let Some(c) = c {
        // The decision and the text version stay (proof of what was agreed); where, from which
        // address and browser goes.
        c.evidence.page = None;
        c.evidence.ip = None;
        c.evidence.user_agent = None;
    }
}

fn anonymize_touchpoint(t: &Touchpoint) -> Touchpoint {
    Touchpoint { at: t.at, kind: t.kind, channel: t.channel, detail: anonymize_detail(&t.detail), page: None }
}

/// A stakeholder with their name and addresses gone; their role and when they joined stay.
fn anonymize_stakeholder(s: &Stakeholder) -> Stakeholder {
    Stakeholder {
        name: PersonName::parse(ERASED_NAME).expect("a plain word is a name"),
        role: s.role,
        phone: None,
        email: None,
        added_at: s.added_at,
        added_by: s.added_by.clone(),
    }
}

/// What replaces an erased stakeholder's name (a name is required on a stakeholder).
pub const ERASED_NAME: &str = "Erased";

/// The score keeps its numbers, band and tier (reports count them) but not the phrases it
/// matched in the concern, which would repeat it.
fn anonymize_score(s: &LeadScore) -> LeadScore {
    let mut out = s.clone();
    out.urgency.matches.clear();
    out.urgency.negated.clear();
    for c in &mut out.contributions {
        c.detail = String::new();
    }
    out
}

/// The context without what describes the person; the service line and state stay.
fn anonymize_context(ctx: &mut LeadContext) {
    ctx.service_interest = None;
    ctx.concern = None;
    ctx.insurance = None;
    ctx.insurance_carrier = None;
    // The state is coarse enough for territory reports; city and postal code are not.
    ctx.location = Location { postal_code: None, city: None, state: ctx.location.state.clone() };
    ctx.preferences = ContactPreferences::default();
    ctx.date_of_birth = None;
    ctx.franchise = FranchiseProfile::default();
    ctx.extras.clear();
}

fn anonymize_consents(c: &mut Consents) {
    anonymize_consent(&mut c.sms);
    anonymize_consent(&mut c.call);
    anonymize_consent(&mut c.email);
}

/// The source keeps its channel and campaign tags (reports count them); its detail goes, and
/// the journey keeps its times and visit count but not its click ids, pages or the visitor id
/// that linked the site's visits to the person.
fn anonymize_source(source: &mut Source) {
    source.detail = anonymize_detail(&source.detail);
    if let Some(j) = &mut source.journey {
        j.first.detail = anonymize_detail(&j.first.detail);
        j.latest.detail = anonymize_detail(&j.latest.detail);
        j.visitor = None;
    }
}

/// An inquiry record without the person's words, contact details or consent evidence; when,
/// through which source and campaign, its triage and the decisions stay.
fn anonymize_inquiry(inquiry: &Inquiry) -> Inquiry {
    let mut out = inquiry.clone();
    out.contact = Contact::default();
    anonymize_context(&mut out.context);
    anonymize_source(&mut out.source);
    anonymize_consents(&mut out.consent);
    out
}

/// The lead with the person's data removed, as the next version, erased at `at`.
pub fn anonymize_lead(lead: &Lead, at: DateTime<Utc>) -> Lead {
    let mut out = lead.clone();
    out.contact = Contact::default();
    anonymize_context(&mut out.context);
    anonymize_source(&mut out.source);
    anonymize_consents(&mut out.consent);
    out.inquiries = out.inquiries.iter().map(anonymize_inquiry).collect();
    out.score = out.score.as_ref().map(anonymize_score);
    out.stakeholders = out.stakeholders.iter().map(anonymize_stakeholder).collect();
    out.erased_at = Some(at);
    out.updated_at = at.max(out.updated_at);
    out.version += 1;
    out
}

/// The timeline entry with personal values removed; its kind, time and actor stay.
pub fn anonymize_timeline_entry(entry: &TimelineEntry) -> TimelineEntry {
    let mut out = entry.clone();
    out.kind = match &entry.kind {
        TimelineKind::LeadCaptured { channel, touchpoint, inquiry } => {
            TimelineKind::LeadCaptured { channel: *channel, touchpoint: anonymize_touchpoint(touchpoint), inquiry: *inquiry }
        }
        TimelineKind::RepeatInquiry { touchpoint, inquiry } => {
            TimelineKind::RepeatInquiry { touchpoint: anonymize_touchpoint(touchpoint), inquiry: *inquiry }
        }
        TimelineKind::AcknowledgementSent { channel, provider_message_id, .. } => TimelineKind::AcknowledgementSent {
            channel: *channel,
            provider_message_id: provider_message_id.clone(),
            text: ERASED.to_string(),
        },
        TimelineKind::AcknowledgementSkipped { reason } => TimelineKind::AcknowledgementSkipped { reason: *reason },
        TimelineKind::AcknowledgementFailed { channel, .. } => {
            TimelineKind::AcknowledgementFailed { channel: *channel, error: ERASED.to_string() }
        }
        TimelineKind::ContactAttempted { channel, outcome, first, .. } => {
            TimelineKind::ContactAttempted { channel: *channel, outcome: *outcome, note: None, first: *first }
        }
        TimelineKind::TouchpointRecorded { touchpoint } => {
            TimelineKind::TouchpointRecorded { touchpoint: anonymize_touchpoint(touchpoint) }
        }
        TimelineKind::StatusChanged { from, to, trigger, reason, .. } => {
            TimelineKind::StatusChanged { from: *from, to: *to, trigger: trigger.clone(), reason: reason.clone(), note: None }
        }
        TimelineKind::MessageReceived { channel, provider, provider_message_id, .. } => TimelineKind::MessageReceived {
            channel: *channel,
            provider: provider.clone(),
            provider_message_id: provider_message_id.clone(),
            text: None,
        },
        TimelineKind::MessageSent { channel, purpose, provider_message_id, .. } => TimelineKind::MessageSent {
            channel: *channel,
            purpose: purpose.clone(),
            provider_message_id: provider_message_id.clone(),
            text: ERASED.to_string(),
        },
        // A recording is the person's voice and a link may carry their address: both go; the
        // tracking source is a campaign label and stays.
        TimelineKind::CallLogged { provider, call_id, answered, duration_seconds, tracking_source, keywords, .. } => {
            TimelineKind::CallLogged {
                provider: provider.clone(),
                call_id: call_id.clone(),
                answered: *answered,
                duration_seconds: *duration_seconds,
                recording_url: None,
                tracking_source: tracking_source.clone(),
                keywords: keywords.clone(),
            }
        }
        TimelineKind::EmailEngagement { provider_message_id, event, .. } => {
            TimelineKind::EmailEngagement { provider_message_id: provider_message_id.clone(), event: *event, link: None }
        }
        TimelineKind::StakeholderAdded { stakeholder } => {
            TimelineKind::StakeholderAdded { stakeholder: anonymize_stakeholder(stakeholder) }
        }
        TimelineKind::MilestoneReached { milestone, .. } => TimelineKind::MilestoneReached { milestone: *milestone, note: None },
        // A cadence step keeps what was done and when; the text sent (it greets the person by
        // name) and a provider's error (it may repeat the address) go.
        TimelineKind::CadenceStep { cadence, step, name, channel, outcome, next } => TimelineKind::CadenceStep {
            cadence: cadence.clone(),
            step: *step,
            name: name.clone(),
            channel: *channel,
            outcome: anonymize_step_outcome(outcome),
            next: next.clone(),
        },
        // The staff console: notes, what was written and the edited values go; who, when,
        // which channel and which fields stay.
        TimelineKind::Reassigned { member, previous, reason, .. } => {
            TimelineKind::Reassigned { member: member.clone(), previous: previous.clone(), reason: reason.clone(), note: None }
        }
        TimelineKind::ContactEdited { changes } => TimelineKind::ContactEdited {
            changes: changes
                .iter()
                .map(|c| super::timeline::FieldChange { field: c.field.clone(), before: None, after: None })
                .collect(),
        },
        TimelineKind::NoteAdded { .. } => {
            TimelineKind::NoteAdded { note: super::text::FreeText::parse(ERASED, 100).expect("the erased marker is valid text") }
        }
        TimelineKind::StaffMessageSent { channel, provider_message_id, quiet_hours_override, .. } => TimelineKind::StaffMessageSent {
            channel: *channel,
            provider_message_id: provider_message_id.clone(),
            subject: None,
            text: ERASED.to_string(),
            quiet_hours_override: *quiet_hours_override,
            note: None,
        },
        // Ids, codes, numbers and times only: nothing personal to remove.
        kind @ (TimelineKind::ScoreChanged { .. }
        | TimelineKind::Assigned { .. }
        | TimelineKind::AssignmentPending { .. }
        | TimelineKind::TeamNotified { .. }
        | TimelineKind::Escalated { .. }
        | TimelineKind::MessageNotSent { .. }
        | TimelineKind::ConsentRevoked { .. }
        | TimelineKind::ConsentGranted { .. }
        | TimelineKind::ContactPointConfirmed { .. }
        | TimelineKind::HelpRequested { .. }
        | TimelineKind::AppointmentChanged { .. }
        | TimelineKind::PaymentReceived { .. }
        | TimelineKind::ReengagementTriggered { .. }
        | TimelineKind::TeamAlerted { .. }
        // Campaign tags, kept for reports like the lead's own.
        | TimelineKind::SourceRetagged { .. }
        | TimelineKind::Merged { .. }
        // Cadence names, reasons, staff user ids, task ids and outcomes.
        | TimelineKind::CadenceEnrolled { .. }
        | TimelineKind::CadenceStopped { .. }
        | TimelineKind::CadencePaused { .. }
        | TimelineKind::CadenceResumed { .. }
        | TimelineKind::CadenceCompleted { .. }
        | TimelineKind::TaskClosed { .. }) => kind.clone(),
    };
    out
}

/// A cadence step's outcome without the message text or a provider's error text.
fn anonymize_step_outcome(outcome: &StepOutcome) -> StepOutcome {
    match outcome {
        StepOutcome::Sent { provider_message_id, text } => {
            StepOutcome::Sent { provider_message_id: provider_message_id.clone(), text: text.as_ref().map(|_| ERASED.to_string()) }
        }
        StepOutcome::Failed { .. } => StepOutcome::Failed { error: ERASED.to_string() },
        other @ (StepOutcome::TaskCreated { .. }
        | StepOutcome::Notified { .. }
        | StepOutcome::Skipped { .. }
        | StepOutcome::Deferred { .. }) => other.clone(),
    }
}

/// A stored webhook event with everything the provider told about the person removed: its
/// content becomes `ignored` (what it was stays, as `erased:{type}`), while its provider, id and
/// times stay, so a redelivery of the same event is still recognised and never handled again.
pub fn anonymize_inbound_event(event: &InboundEvent) -> InboundEvent {
    let what = match &event.kind {
        InboundKind::Ignored { what } if what.starts_with("erased:") => return event.clone(),
        InboundKind::Sms(_) => "sms",
        InboundKind::Call(_) => "call",
        InboundKind::Email(_) => "email",
        InboundKind::Appointment(_) => "appointment",
        InboundKind::Payment(_) => "payment",
        InboundKind::Source(_) => "source",
        InboundKind::Ignored { .. } => "ignored",
    };
    InboundEvent { kind: InboundKind::Ignored { what: format!("erased:{what}") }, ..event.clone() }
}

/// Replaces the values of personal keys ([`is_personal_key`]) anywhere in a JSON document (marker outcomes and
/// other side records whose exact shape belongs to another module).
pub fn anonymize_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_personal_key(k) && !v.is_null() {
                    *v = serde_json::Value::String(ERASED.into());
                } else {
                    anonymize_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(anonymize_json),
        _ => {}
    }
}

/// A marker outcome (JSON text) with its personal values removed; an id (the timeline entry a
/// note became) names nothing and stays, so a retry with the same idempotency key still finds
/// it; other text that is not JSON is replaced whole.
pub fn anonymize_outcome(outcome: &str) -> String {
    if outcome.parse::<super::ids::EventId>().is_ok() {
        return outcome.to_string();
    }
    match serde_json::from_str::<serde_json::Value>(outcome) {
        Ok(mut v) => {
            anonymize_json(&mut v);
            v.to_string()
        }
        Err(_) => ERASED.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::LeadId;
    use crate::domain::timeline::Actor;

    fn entry(kind: TimelineKind) -> TimelineEntry {
        TimelineEntry::new(LeadId::random(), "2026-03-03T15:30:00Z".parse().unwrap(), Actor::User("maria".into()), kind)
    }

    #[test]
    fn every_kind_with_free_text_or_links_loses_them_and_keeps_its_facts() {
        let note = || Some(crate::domain::text::FreeText::parse("she mentioned the divorce", 1000).unwrap());
        let cases = vec![
            TimelineKind::ContactAttempted {
                channel: crate::domain::ContactChannel::Call,
                outcome: crate::domain::contact_attempt::ContactOutcome::Answered,
                note: note(),
                first: true,
            },
            TimelineKind::StatusChanged {
                from: crate::domain::LeadStatus::New,
                to: crate::domain::LeadStatus::Qualified,
                trigger: "user".into(),
                reason: None,
                note: note(),
            },
            TimelineKind::MessageReceived {
                channel: crate::domain::ContactChannel::Sms,
                provider: "twilio".into(),
                provider_message_id: "SM1".into(),
                text: note(),
            },
            TimelineKind::MessageSent {
                channel: crate::domain::ContactChannel::Sms,
                purpose: "help".into(),
                provider_message_id: "m-1".into(),
                text: "she mentioned the divorce".into(),
            },
            TimelineKind::CallLogged {
                provider: "calls".into(),
                call_id: "CAL1".into(),
                answered: true,
                duration_seconds: 60,
                recording_url: Some("https://calls.example/rec/she-mentioned-the-divorce".into()),
                tracking_source: Some("Google Ads".into()),
                keywords: Some("knee pain clinic".into()),
            },
            TimelineKind::EmailEngagement {
                provider_message_id: "ses-1".into(),
                event: crate::domain::inbound::EmailEventKind::Click,
                link: Some("https://x.example/?she-mentioned-the-divorce".into()),
            },
            TimelineKind::MilestoneReached { milestone: crate::domain::franchise::Milestone::FddSent, note: note() },
        ];
        for kind in cases {
            let original = entry(kind);
            let anon = anonymize_timeline_entry(&original);
            let text = serde_json::to_string(&anon).unwrap();
            assert!(!text.contains("divorce"), "{text}");
            assert_eq!((anon.id, anon.at, &anon.actor), (original.id, original.at, &original.actor));
            assert_eq!(std::mem::discriminant(&anon.kind), std::mem::discriminant(&original.kind));
            assert_eq!(anonymize_timeline_entry(&anon), anon, "erasing twice changes nothing");
        }
        let call = anonymize_timeline_entry(&entry(TimelineKind::CallLogged {
            provider: "calls".into(),
            call_id: "CAL1".into(),
            answered: true,
            duration_seconds: 60,
            recording_url: None,
            tracking_source: Some("Google Ads".into()),
            keywords: None,
        }));
        assert!(serde_json::to_string(&call).unwrap().contains("Google Ads"), "campaign labels stay for attribution");
    }

    #[test]
    fn the_sites_fields_and_the_journeys_links_go_but_its_times_and_tags_stay() {
        let lead: Lead = serde_json::from_value(serde_json::json!({
            "id": "01JQ0000000000000000000002", "status": "new", "contact": {"phone": "+12015550123"},
            "context": {"service_line": "med_spa", "extras": [{"name": "symptoms", "label": "Symptoms", "value": "numb left foot"}]},
            "source": {"channel": "web_form", "detail": {"utm_source": "newsletter"}, "journey": {
                "first": {"at": "2026-02-20T15:00:00Z", "detail": {"utm_campaign": "spring", "gclid": "Cj0abc", "landing_page": "https://x.example/feet"}},
                "latest": {"at": "2026-03-03T15:00:00Z", "detail": {"utm_source": "newsletter", "referrer": "https://mail.example/"}},
                "visits": 4, "visitor": "dmlzaXRvci0xMjM0NTY3OA"}},
            "created_at": "2026-03-03T15:30:00Z", "updated_at": "2026-03-03T15:30:00Z", "version": 1
        }))
        .unwrap();
        let anon = anonymize_lead(&lead, "2026-04-01T00:00:00Z".parse().unwrap());
        let text = serde_json::to_string(&anon).unwrap();
        for gone in ["numb", "Cj0abc", "/feet", "mail.example", "dmlzaXRvci"] {
            assert!(!text.contains(gone), "{gone}: {text}");
        }
        let j = anon.source.journey.unwrap();
        assert_eq!(
            (j.visits, j.first.at, j.first.detail.utm_campaign.unwrap().as_str()),
            (4, lead.source.journey.as_ref().unwrap().first.at, "spring")
        );
        assert_eq!(j.first.detail.utm_source.unwrap().as_str(), "google", "the click id's platform stays as the source");
    }

    #[test]
    fn stakeholders_and_score_phrases_go_but_the_counts_stay() {
        let mut lead: Lead = serde_json::from_value(serde_json::json!({
            "id": "01JQ0000000000000000000001", "status": "qualified", "contact": {"email": "a@example.com"},
            "context": {"service_line": "franchise"}, "source": {"channel": "web_form"},
            "created_at": "2026-03-03T15:30:00Z", "updated_at": "2026-03-03T15:30:00Z", "version": 3,
            "stakeholders": [{"name": "Pat Quill", "role": "spouse", "email": "pat@example.com", "added_at": "2026-03-03T15:30:00Z", "added_by": "dev"}],
            "score": {"model": "franchise", "model_version": 1, "score": 70, "band": "warm",
                "urgency": {"tier": "urgent", "matches": [{"phrase": "bankruptcy", "tier": "urgent"}], "negated": ["not divorced"], "stated_urgent": false},
                "contributions": [{"factor": "urgency", "signal": "urgent", "points": 10, "detail": "urgent: matched bankruptcy"}],
                "scored_at": "2026-03-03T15:30:00Z"}
        }))
        .unwrap();
        let at = lead.created_at + chrono::Duration::days(1);
        lead = anonymize_lead(&lead, at);
        let text = serde_json::to_string(&lead).unwrap();
        for gone in ["Pat", "Quill", "pat@example.com", "bankruptcy", "divorced", "a@example.com"] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        assert_eq!(lead.stakeholders.len(), 1);
        assert_eq!(lead.stakeholders[0].role, crate::domain::franchise::StakeholderRole::Spouse);
        let score = lead.score.as_ref().unwrap();
        assert_eq!((score.score, score.contributions[0].points), (70, 10));
        assert_eq!((lead.erased_at, lead.version), (Some(at), 4));
    }

    #[test]
    fn an_erased_webhook_event_keeps_only_its_identity() {
        let event: InboundEvent = serde_json::from_value(serde_json::json!({
            "provider": "twilio", "event_id": "SM1", "occurred_at": "2026-03-03T15:30:00Z", "received_at": "2026-03-03T15:30:00Z",
            "kind": {"type": "sms", "from": "+12015550123", "body": "my knee is swollen"}
        }))
        .unwrap();
        let anon = anonymize_inbound_event(&event);
        assert_eq!(anon.kind, InboundKind::Ignored { what: "erased:sms".into() });
        assert_eq!((anon.provider, &anon.event_id, anon.occurred_at), (event.provider, &event.event_id, event.occurred_at));
        assert_eq!(anonymize_inbound_event(&anon), anon);
    }

    #[test]
    fn json_side_records_lose_personal_values_only() {
        let out = anonymize_outcome(r#"{"result":"sent","provider_message_id":"m-1","text":"Hi Ann","nested":[{"phone":"+1201"}]}"#);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["result"], "sent");
        assert_eq!(v["provider_message_id"], "m-1");
        assert_eq!(v["text"], ERASED);
        assert_eq!(v["nested"][0]["phone"], ERASED);
        assert_eq!(anonymize_outcome("Hi Ann, plain text"), ERASED);
        let entry = crate::domain::ids::EventId::new_at("2026-03-03T15:30:00Z".parse().unwrap()).to_string();
        assert_eq!(anonymize_outcome(&entry), entry);
    }
}
