//! Every inquiry kept, tied to the right person and acted on: one scenario per way an inquiry
//! used to be lost, swallowed or hijacked, each run on the embedded adapters and on moto
//! (DynamoDB with its stream, SQS, SNS, SES), with a manual clock. moto runs no triggers: the
//! world plays the relay's stream mapping and the queues' mappings itself.

use chrono::{DateTime, Duration, TimeZone, Utc};
use lambda_http::Body;
use leadflow::app::contacts::{record as record_contact, ContactRequest};
use leadflow::config::Config;
use leadflow::domain::contact_attempt::{ContactAttempt, ContactOutcome};
use leadflow::domain::inquiry::PointKind;
use leadflow::domain::urgency::UrgencyTier;
use leadflow::domain::{ContactChannel, Lead, LeadEvent, LeadId, LeadStatus};
use leadflow::handlers;
use leadflow::ports::{Consumer, EventQueue, QueueError};
use leadflow_tests::cadence::{embedded, moto, Kind, World};
use leadflow_tests::leads::unique_phone;
use leadflow_tests::webhooks;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Each scenario on both adapters: `mod embedded { #[tokio::test] .. }` and `mod moto { .. }`.
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {
        mod on_embedded {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::embedded().await).await } )+
        }
        mod on_moto {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::moto().await).await } )+
        }
    };
}

on_both!(
    a_repeat_crisis_inquiry_is_recorded_triaged_and_pages_on_call_and_restarts_the_clock,
    a_stranger_cannot_change_or_silence_someone_elses_lead,
    a_new_contact_point_is_confirmed_through_the_address_the_lead_already_has,
    the_public_answer_is_a_receipt_of_the_same_shape_for_new_and_repeat,
    an_expired_key_with_another_body_is_a_new_request_and_staff_keys_never_count_twice,
    two_sources_using_one_event_id_are_two_events,
    a_new_service_line_opens_a_lead_of_its_own_linked_to_the_person,
    an_inquiry_after_a_closed_lead_opens_a_new_lead_that_hygiene_never_merges_into_the_old,
    leads_nobody_could_take_at_night_are_assigned_when_someone_comes_on_shift,
    escalation_passes_over_a_backup_who_is_off_shift,
    an_unmerge_restores_the_absorbed_records_cadence,
    a_tracked_call_keeps_the_callers_name_state_source_and_keywords,
    scores_decay_without_activity_and_recover_on_a_new_inquiry,
    bookings_and_payments_name_their_lead_only_through_a_signed_reference,
    a_stored_inquiry_is_processed_even_when_the_queues_fail_after_the_write,
    an_inquiry_nobody_acknowledges_raises_the_waiting_alarm,
    the_first_visit_is_one_touchpoint_written_with_the_inquiry_whatever_the_retries,
);

// ---------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------

fn ny(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, month, day, h, m, 0).unwrap().with_timezone(&Utc)
}

/// Tuesday 2026-03-03, 10:30 in New York: the practice is open, sam is on call.
fn tuesday_morning() -> DateTime<Utc> {
    ny(3, 3, 10, 30)
}

async fn world_at(kind: Kind, at: DateTime<Utc>) -> World {
    World::new(kind, Config::embedded_default().unwrap(), at).await
}

/// A form post as API Gateway hands it to the intake function; the consumers then run.
async fn post(w: &World, fields: &[(&str, &str)]) -> (u16, Value) {
    let body = serde_urlencoded::to_string(fields).unwrap();
    let req = http::Request::post("/leads").header("content-type", "application/x-www-form-urlencoded").body(Body::Text(body)).unwrap();
    let resp = handlers::intake::handle(&w.services, req).await;
    let status = resp.status().as_u16();
    let json = match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => Value::Null,
    };
    w.drain().await;
    (status, json)
}

/// The newest lead holding `phone` (the public answer never names a lead).
async fn lead_of(w: &World, phone: &str) -> Lead {
    let id = leadflow_tests::leads::lead_of_phone(&w.services, phone).await;
    w.lead(id).await
}

async fn contact(w: &World, id: LeadId, by: &str) {
    let attempt = ContactAttempt { channel: ContactChannel::Call, outcome: ContactOutcome::NoAnswer, note: None };
    record_contact(&w.services, ContactRequest { lead_id: id, attempt, by: by.into(), idempotency_key: None }).await.unwrap();
    w.drain().await;
}

/// `(member, notice)` of every team notice on the lead's timeline, in order.
async fn notices(w: &World, id: LeadId) -> Vec<(String, String)> {
    w.entries(id, "team_notified")
        .await
        .iter()
        .map(|e| (e["member"].as_str().unwrap().into(), e["notice"].as_str().unwrap().into()))
        .collect()
}

/// Fails the first `failures` sends (to `only` consumer, or to any), then passes them on.
struct FlakyQueue {
    inner: Arc<dyn EventQueue>,
    failures: AtomicU32,
    only: Option<Consumer>,
}

#[async_trait::async_trait]
impl EventQueue for FlakyQueue {
    async fn send(&self, consumer: Consumer, event: &LeadEvent) -> Result<(), QueueError> {
        if self.only.is_none_or(|c| c == consumer)
            && self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        {
            return Err(QueueError::Unavailable("injected failure".into()));
        }
        self.inner.send(consumer, event).await
    }

    async fn publish_later(&self, consumer: Consumer, event: &LeadEvent, delay: chrono::Duration) -> Result<(), QueueError> {
        self.inner.publish_later(consumer, event, delay).await
    }
}

fn flaky(w: &mut World, failures: u32, only: Option<Consumer>) {
    let inner = w.services.queue.clone();
    w.set_queue(Arc::new(FlakyQueue { inner, failures: AtomicU32::new(failures), only }));
}

// ---------------------------------------------------------------------------------------------
// A repeat inquiry is a new inquiry
// ---------------------------------------------------------------------------------------------

/// The repro: "insurance question", then the same phone with "I am having an overdose right
/// now" used to leave the lead routine, unpaged. Now the second submission is an inquiry of
/// its own: recorded, triaged as a crisis, the lead re-routed to the member on call who is paged
/// once, and the response clock running again for it after the first was answered.
async fn a_repeat_crisis_inquiry_is_recorded_triaged_and_pages_on_call_and_restarts_the_clock(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let e164 = phone.as_e164();
    let base = [("first_name", "Jo"), ("phone", e164), ("service_line", "addiction_treatment"), ("consent_sms", "on")];
    let first = [&base[..], &[("concern", "insurance question"), ("utm_source", "google")]].concat();
    assert_eq!(post(&w, &first).await.0, 202);
    let lead = lead_of(&w, e164).await;
    assert_eq!(lead.score.as_ref().unwrap().urgency.tier, UrgencyTier::Routine);
    // Someone calls back: the first inquiry is answered, its clock stopped.
    w.clock.set(tuesday_morning() + Duration::minutes(1));
    contact(&w, lead.id, "sam").await;
    assert!(w.services.due.get("sla", &lead.id.to_string()).await.unwrap().is_none());

    w.clock.set(tuesday_morning() + Duration::minutes(20));
    let second = [&base[..], &[("concern", "I am having an overdose right now"), ("utm_source", "facebook")]].concat();
    assert_eq!(post(&w, &second).await.0, 202);
    let after = lead_of(&w, e164).await;
    assert_eq!(after.id, lead.id, "the same person's open lead on the same line");
    // Both inquiries are on the lead, each with what it asked and its own triage.
    assert_eq!(after.inquiries.len(), 2);
    let (a, b) = (&after.inquiries[0], &after.inquiries[1]);
    assert_eq!(a.context.concern.as_ref().unwrap().as_str(), "insurance question");
    assert_eq!(b.context.concern.as_ref().unwrap().as_str(), "I am having an overdose right now");
    assert_eq!(a.triage.unwrap().tier, UrgencyTier::Routine);
    let triage = b.triage.unwrap();
    assert_eq!(triage.tier, UrgencyTier::Crisis);
    assert_eq!(b.source.detail.utm_source.as_ref().unwrap().as_str(), "facebook");
    // The lead's urgency is its open inquiry's: a crisis, routed to the member on call.
    assert_eq!(after.score.as_ref().unwrap().urgency.tier, UrgencyTier::Crisis);
    let assignment = after.assignment.clone().unwrap();
    assert!(assignment.on_call, "{assignment:?}");
    assert_eq!(assignment.member.as_str(), "sam", "sam carries the on-call phone on Tuesdays");
    let pages: Vec<_> = notices(&w, lead.id).await.into_iter().filter(|(_, n)| n == "crisis_page").collect();
    assert_eq!(pages, [("sam".to_string(), "crisis_page".to_string())], "paged once");
    // The timeline shows each inquiry; attribution gets the repeat as a touchpoint of its own.
    assert_eq!(w.entries(lead.id, "lead_captured").await.len(), 1);
    let repeats = w.entries(lead.id, "repeat_inquiry").await;
    assert_eq!(repeats.len(), 1);
    assert_eq!(repeats[0]["inquiry"], serde_json::to_value(b.id).unwrap());
    let sources: Vec<String> = leadflow::app::score::touchpoints(&w.services, lead.id)
        .await
        .unwrap()
        .iter()
        .filter_map(|t| t.detail.utm_source.as_ref().map(|s| s.as_str().to_string()))
        .collect();
    assert!(sources.contains(&"google".to_string()) && sources.contains(&"facebook".to_string()), "{sources:?}");
    // The response clock runs again for the new inquiry, and the ladder reaches the on-call member.
    assert_eq!(after.response_due(), Some(triage.due_at));
    let ladder = w.services.due.get("sla", &lead.id.to_string()).await.unwrap().expect("the ladder is scheduled again");
    assert_eq!(ladder.due_at, triage.due_at);
    w.fast_forward(&[lead.id], triage.due_at + Duration::seconds(30)).await;
    let overdue: Vec<_> = notices(&w, lead.id).await.into_iter().filter(|(_, n)| n == "overdue").collect();
    assert_eq!(overdue.first().map(|(m, _)| m.as_str()), Some("sam"), "{overdue:?}");
    // Redelivering the repeat's events pages nobody twice.
    w.services
        .queue
        .publish(&LeadEvent {
            id: leadflow::domain::EventId::new_at(w.now()),
            kind: leadflow::domain::LeadEventKind::InquiryRepeated,
            lead_id: lead.id,
            occurred_at: w.now(),
        })
        .await
        .unwrap();
    w.drain().await;
    assert_eq!(notices(&w, lead.id).await.iter().filter(|(_, n)| n == "crisis_page").count(), 1);
}

// ---------------------------------------------------------------------------------------------
// No anonymous request can change, read or silence another person's lead
// ---------------------------------------------------------------------------------------------

/// The repro: someone who knows a phone number posts it with their own email and
/// `consent_sms=false`. The victim's consent and contact details stay; the stranger's address is
/// held on the inquiry, unconfirmed, and nothing the practice sends ever goes to it.
async fn a_stranger_cannot_change_or_silence_someone_elses_lead(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let e164 = phone.as_e164();
    let victim = [("first_name", "Ann"), ("phone", e164), ("service_line", "med_spa"), ("consent_sms", "on"), ("state", "NJ")];
    assert_eq!(post(&w, &victim).await.0, 202);
    let before = lead_of(&w, e164).await;
    assert_eq!(w.texts_to(e164).await.len(), 1, "the acknowledgement");

    w.clock.set(tuesday_morning() + Duration::minutes(5));
    let stranger = "mallory@example.net";
    let attack = [
        ("first_name", "Mallory"),
        ("phone", e164),
        ("email", stranger),
        ("service_line", "med_spa"),
        ("consent_sms", "false"),
        ("consent_email", "true"),
    ];
    let (status, answer) = post(&w, &attack).await;
    assert_eq!(status, 202);
    assert!(answer.get("id").is_none() && answer["receipt_id"].is_string(), "{answer}");
    let after = lead_of(&w, e164).await;
    assert_eq!(after.id, before.id);
    assert_eq!(after.contact, before.contact, "contact details are never replaced by a public submission");
    assert!(after.consent.allows(ContactChannel::Sms), "an anonymous 'no' revokes nothing");
    assert!(after.consent.email.is_none(), "consent for an address the lead does not hold is not the lead's");
    let held = &after.inquiries[1];
    assert!(held.is_unconfirmed(PointKind::Email), "{:?}", held.held);
    assert_eq!(held.contact.email.as_ref().unwrap().as_str(), stranger);

    // A week of follow-up: texts keep going to the person, nothing at all to the stranger.
    w.fast_forward(&[after.id], tuesday_morning() + Duration::days(8)).await;
    assert_eq!(w.emails_to(stranger).await, 0);
    assert!(w.texts_to(e164).await.len() > 1, "the cadence still texts the person");
    assert_eq!(lead_of(&w, e164).await.contact.email, None);
}

/// A new email from a later inquiry becomes the lead's only through a channel the lead already
/// trusts: the confirmation link goes to the address it holds, never to the new one, and
/// following it makes the new address the lead's, with the consent given for it.
async fn a_new_contact_point_is_confirmed_through_the_address_the_lead_already_has(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let e164 = phone.as_e164();
    let old = format!("ann.{}@example.com", &e164[e164.len() - 4..]);
    let new = format!("ann.new.{}@example.com", &e164[e164.len() - 4..]);
    let first = [("first_name", "Ann"), ("phone", e164), ("email", &old), ("service_line", "med_spa"), ("consent_email", "on")];
    assert_eq!(post(&w, &first).await.0, 202);
    let second = [("first_name", "Ann"), ("phone", e164), ("email", &new), ("service_line", "med_spa"), ("consent_email", "on")];
    assert_eq!(post(&w, &second).await.0, 202);
    let lead = lead_of(&w, e164).await;
    assert_eq!(lead.contact.email.as_ref().unwrap().as_str(), old);
    assert_eq!(w.emails_to(&new).await, 0, "nothing to the new address");
    let sent = w.entries(lead.id, "message_sent").await;
    assert_eq!(sent.len(), 1, "one confirmation link, to the address the lead holds: {sent:?}");
    assert_eq!(sent[0]["purpose"], "contact_confirmation");
    // The person follows the link (the token a link carries).
    let point = leadflow::app::contact_points::PointRef { lead: lead.id, inquiry: lead.inquiries[1].id, kind: PointKind::Email };
    let link = leadflow::app::contact_points::confirmation_link(&w.services, point).unwrap();
    let token = link.split("token=").nth(1).unwrap();
    assert!(!link.contains(&lead.id.to_string()), "the link names no lead");
    assert!(leadflow::app::contact_points::confirm_link(&w.services, "v1.forged.AAAAAAAAAAA.AA").await.is_err());
    assert!(leadflow::app::contact_points::confirm_link(&w.services, token).await.unwrap());
    assert!(!leadflow::app::contact_points::confirm_link(&w.services, token).await.unwrap(), "once");
    let confirmed = w.lead(lead.id).await;
    assert_eq!(confirmed.contact.email.as_ref().unwrap().as_str(), new);
    assert!(confirmed.consent.allows(ContactChannel::Email));
    assert_eq!(w.entries(lead.id, "contact_point_confirmed").await.len(), 1);
}

/// The public answer names the submission, never the lead, and is the same shape whether the
/// person was new or already had an open lead.
async fn the_public_answer_is_a_receipt_of_the_same_shape_for_new_and_repeat(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let form = [("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa")];
    let (s1, new) = post(&w, &form).await;
    let (s2, repeat) = post(&w, &form).await;
    assert_eq!((s1, s2), (202, 202));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&new), ["receipt_id", "status"]);
    assert_eq!(keys(&new), keys(&repeat));
    assert_ne!(new["receipt_id"], repeat["receipt_id"]);
    let lead = lead_of(&w, phone.as_e164()).await;
    for answer in [&new, &repeat] {
        assert!(!answer.to_string().contains(&lead.id.to_string()), "{answer}");
    }
    assert_eq!(
        lead.inquiries.iter().map(|i| serde_json::to_value(i.id).unwrap()).collect::<Vec<_>>(),
        [new["receipt_id"].clone(), repeat["receipt_id"].clone()]
    );
}

// ---------------------------------------------------------------------------------------------
// Idempotency that can never swallow a different request
// ---------------------------------------------------------------------------------------------

fn keyed(body: &[(&str, &str)], key: &str) -> lambda_http::Request {
    http::Request::post("/leads")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", key)
        .body(Body::Text(serde_urlencoded::to_string(body).unwrap()))
        .unwrap()
}

/// The repro: a key that expired and came back with another person's form answered 202 with
/// the first person's lead, and the second person was never stored. Now the key is bound to the
/// request: the second person is a new lead. Staff routes bind their keys the same way, and a
/// retried contact or touchpoint counts once.
async fn an_expired_key_with_another_body_is_a_new_request_and_staff_keys_never_count_twice(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let (p1, p2) = (unique_phone(), unique_phone());
    let first = [("first_name", "Ann"), ("phone", p1.as_e164()), ("service_line", "med_spa")];
    let other = [("first_name", "Bob"), ("phone", p2.as_e164()), ("service_line", "med_spa")];
    let resp = handlers::intake::handle(&w.services, keyed(&first, "order-17")).await;
    assert_eq!(resp.status(), 202);
    // Within a day, the same key with another body is refused.
    assert_eq!(handlers::intake::handle(&w.services, keyed(&other, "order-17")).await.status(), 422);
    // After the record expired, it is a new request: Bob is stored, Ann untouched.
    w.clock.set(tuesday_morning() + Duration::hours(25));
    let resp = handlers::intake::handle(&w.services, keyed(&other, "order-17")).await;
    assert_eq!(resp.status(), 202);
    w.drain().await;
    let (ann, bob) = (lead_of(&w, p1.as_e164()).await, lead_of(&w, p2.as_e164()).await);
    assert_ne!(ann.id, bob.id);
    assert_eq!(bob.contact.first_name.as_ref().unwrap().as_str(), "Bob");
    assert_eq!(ann.inquiries.len(), 1);

    // A contact attempt retried with its key: one entry, the same answer, marked replayed.
    let attempt = ContactAttempt { channel: ContactChannel::Call, outcome: ContactOutcome::Voicemail, note: None };
    let req = || ContactRequest { lead_id: bob.id, attempt: attempt.clone(), by: "maria".into(), idempotency_key: Some("call-1".into()) };
    let (one, replayed) = record_contact(&w.services, req()).await.unwrap();
    assert!(!replayed);
    w.clock.set(w.now() + Duration::seconds(3));
    let (two, replayed) = record_contact(&w.services, req()).await.unwrap();
    assert!(replayed);
    assert_eq!(one, two);
    let mut other_attempt = req();
    other_attempt.attempt.outcome = ContactOutcome::Answered;
    assert!(matches!(
        record_contact(&w.services, other_attempt).await,
        Err(leadflow::app::contacts::ContactError::Key(leadflow::app::idempotent::KeyError::Reused))
    ));
    assert_eq!(w.entries(bob.id, "contact_attempted").await.len(), 1);
    // A touchpoint retried with its key: one entry.
    let tp = || leadflow::domain::Touchpoint {
        at: w.now(),
        kind: leadflow::domain::TouchpointKind::PageView,
        channel: leadflow::domain::SourceChannel::WebForm,
        detail: Default::default(),
        page: None,
    };
    let (e1, _) = leadflow::app::touchpoints::record(&w.services, bob.id, tp(), false, "maria", Some("tp-1")).await.unwrap();
    w.clock.set(w.now() + Duration::seconds(3));
    let (e2, replayed) = leadflow::app::touchpoints::record(&w.services, bob.id, tp(), false, "maria", Some("tp-1")).await.unwrap();
    assert_eq!((e1, replayed), (e2, true));
    assert_eq!(w.entries(bob.id, "touchpoint_recorded").await.len(), 1);
}

/// The repro: two integrations reusing one event id dropped each other's leads. Source events
/// are now kept per source: both chats become leads.
async fn two_sources_using_one_event_id_are_two_events(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let (p1, p2) = (unique_phone(), unique_phone());
    let chat = serde_json::json!({"event_id": "evt-1", "type": "chat", "fields": {"first_name": "Ann", "phone": p1.as_e164()}});
    let dm = serde_json::json!({"event_id": "evt-1", "type": "social_message", "fields": {"first_name": "Bob", "phone": p2.as_e164()}});
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::chat_source(&chat, w.now())).await.status(), 200);
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::facebook_source(&dm, w.now())).await.status(), 200);
    w.drain().await;
    let (ann, bob) = (lead_of(&w, p1.as_e164()).await, lead_of(&w, p2.as_e164()).await);
    assert_eq!(ann.source.channel, leadflow::domain::SourceChannel::Chat);
    assert_eq!(bob.source.channel, leadflow::domain::SourceChannel::SocialDm);
    // The same source repeating its event id is still one event.
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::chat_source(&chat, w.now())).await.status(), 200);
    w.drain().await;
    assert_eq!(w.services.leads.find_by_phone(&p1).await.unwrap().len(), 1);
    assert_eq!(w.lead(ann.id).await.inquiries.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// One lead per person per service line; closed leads stay closed
// ---------------------------------------------------------------------------------------------

async fn a_new_service_line_opens_a_lead_of_its_own_linked_to_the_person(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    assert_eq!(post(&w, &[("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa")]).await.0, 202);
    let spa = lead_of(&w, phone.as_e164()).await;
    w.clock.set(tuesday_morning() + Duration::minutes(3));
    assert_eq!(post(&w, &[("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "wound_care")]).await.0, 202);
    let wound = lead_of(&w, phone.as_e164()).await;
    assert_ne!(wound.id, spa.id, "one open lead per person per service line");
    assert_eq!(wound.context.service_line.as_str(), "wound_care");
    assert_eq!(wound.person_id, Some(spa.id), "linked to the person");
    assert_eq!(w.lead(spa.id).await.inquiries.len(), 1, "the med spa lead kept to its own inquiry");
    // Each line's repeat joins its own lead.
    assert_eq!(post(&w, &[("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "wound_care")]).await.0, 202);
    assert_eq!(w.lead(wound.id).await.inquiries.len(), 2);
    assert_eq!(w.services.leads.find_by_phone(&phone).await.unwrap().len(), 2);
}

async fn an_inquiry_after_a_closed_lead_opens_a_new_lead_that_hygiene_never_merges_into_the_old(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let form = [("first_name", "Ann"), ("last_name", "Lee"), ("phone", phone.as_e164()), ("service_line", "med_spa")];
    assert_eq!(post(&w, &form).await.0, 202);
    let first = lead_of(&w, phone.as_e164()).await;
    let cause = leadflow::domain::lifecycle::Cause::new(leadflow::domain::Actor::User("maria".into()), "user");
    leadflow::app::lifecycle::transition(&w.services, first.id, LeadStatus::Converted, cause).await.unwrap();
    w.drain().await;
    w.clock.set(tuesday_morning() + Duration::days(40));
    assert_eq!(post(&w, &form).await.0, 202);
    let second = lead_of(&w, phone.as_e164()).await;
    assert_ne!(second.id, first.id, "a converted lead does not swallow the person's new inquiry");
    assert_eq!(second.status, LeadStatus::New);
    assert_eq!(second.person_id, Some(first.id));
    // The daily hygiene job sees the same person twice and leaves them apart.
    let report = leadflow::app::hygiene::run(&w.services).await.unwrap();
    assert_eq!(report.steps[0].counts.get("merged"), None, "{report:?}");
    assert!(report.steps[0].counts.get("kept_apart").is_some_and(|n| *n >= 1), "{report:?}");
    assert_eq!(w.lead(second.id).await.merged_into, None);
    // And a merge that would put the open lead into the closed one is refused outright.
    let refused = leadflow::app::merge::merge(&w.services, first.id, second.id, leadflow::app::merge::How::Manual, "u-1").await;
    assert!(matches!(refused, Err(leadflow::app::merge::MergeFailure::Refused(leadflow::domain::merge::MergeError::OpenIntoClosed(_)))));
}

// ---------------------------------------------------------------------------------------------
// Nobody left unassigned
// ---------------------------------------------------------------------------------------------

/// The repros: a franchise lead at 03:00 was still unassigned at 09:05, and a Friday-night lead
/// on Monday. The franchise team starts at 09:00 (the practice opens at 08:00, covered by the
/// on-call rota): the leads are assigned at the first minute someone eligible is on shift.
async fn leads_nobody_could_take_at_night_are_assigned_when_someone_comes_on_shift(kind: Kind) {
    let w = world_at(kind, ny(3, 3, 3, 0)).await;
    let phone = unique_phone();
    let franchise = [("first_name", "Pat"), ("phone", phone.as_e164()), ("service_line", "franchise"), ("liquid_capital", "50000")];
    assert_eq!(post(&w, &franchise).await.0, 202);
    let lead = lead_of(&w, phone.as_e164()).await;
    assert!(lead.assignment.is_none(), "nobody on the franchise team works at 3 a.m.");
    w.fast_forward(&[lead.id], ny(3, 3, 8, 59)).await;
    assert!(w.lead(lead.id).await.assignment.is_none(), "08:00-08:59: still nobody of the franchise team");
    w.every_minute_until(ny(3, 3, 9, 1)).await;
    let assigned = w.lead(lead.id).await.assignment.expect("assigned at the shift start");
    assert!(["kim", "dev"].contains(&assigned.member.as_str()), "{assigned:?}");
    assert!(assigned.at <= ny(3, 3, 9, 1), "{}", assigned.at);

    // Friday 22:00 (NY), assigned on Monday morning.
    let friday = ny(3, 6, 22, 0);
    w.clock.set(friday);
    let phone = unique_phone();
    let f = [("first_name", "Lou"), ("phone", phone.as_e164()), ("service_line", "franchise"), ("liquid_capital", "50000")];
    assert_eq!(post(&w, &f).await.0, 202);
    let weekend = lead_of(&w, phone.as_e164()).await;
    assert!(weekend.assignment.is_none());
    w.fast_forward(&[weekend.id], ny(3, 9, 8, 59)).await;
    w.every_minute_until(ny(3, 9, 9, 1)).await;
    assert!(w.lead(weekend.id).await.assignment.is_some(), "assigned Monday at 09:00");
}

/// Escalation never pages someone off shift: at 08:10 a med spa lead is maria's; its ladder's
/// backup step would wake li, who starts at 09:00, so it passes to the manager, who is in.
async fn escalation_passes_over_a_backup_who_is_off_shift(kind: Kind) {
    let w = world_at(kind, ny(3, 2, 8, 10)).await;
    let phone = unique_phone();
    assert_eq!(post(&w, &[("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa")]).await.0, 202);
    let lead = lead_of(&w, phone.as_e164()).await;
    assert_eq!(lead.assignment.as_ref().unwrap().member.as_str(), "maria");
    w.fast_forward(&[lead.id], ny(3, 2, 8, 30)).await;
    let overdue: Vec<String> = notices(&w, lead.id).await.into_iter().filter(|(_, n)| n == "overdue").map(|(m, _)| m).collect();
    assert!(!overdue.contains(&"li".to_string()), "li is off shift until 09:00: {overdue:?}");
    assert_eq!(overdue.first().map(String::as_str), Some("maria"), "{overdue:?}");
    assert!(overdue.contains(&"dana".to_string()), "the manager on shift is told instead: {overdue:?}");
}

// ---------------------------------------------------------------------------------------------
// Merges, calls, decay
// ---------------------------------------------------------------------------------------------

/// An automatic merge pauses the absorbed record's cadence (its tombstone is closed), and the
/// unmerge resumes it: the restored lead carries on with its follow-up.
async fn an_unmerge_restores_the_absorbed_records_cadence(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let (p1, p2) = (unique_phone(), unique_phone());
    let a = [("first_name", "Ann"), ("last_name", "Lee"), ("phone", p1.as_e164()), ("service_line", "med_spa")];
    let b = [("first_name", "Ann"), ("last_name", "Lee"), ("phone", p2.as_e164()), ("service_line", "med_spa")];
    assert_eq!(post(&w, &a).await.0, 202);
    assert_eq!(post(&w, &b).await.0, 202);
    let (survivor, absorbed) = (lead_of(&w, p1.as_e164()).await, lead_of(&w, p2.as_e164()).await);
    let before = w.services.cadence.enrollment(absorbed.id).await.unwrap().unwrap();
    assert!(before.is_active());
    let merged =
        leadflow::app::merge::merge(&w.services, survivor.id, absorbed.id, leadflow::app::merge::How::Manual, "u-1").await.unwrap();
    assert!(matches!(merged, leadflow::app::merge::MergeOutcome::Merged { .. }));
    let paused = w.services.cadence.enrollment(absorbed.id).await.unwrap().unwrap();
    assert_eq!(paused.state, leadflow::domain::cadence::EnrollmentState::Paused);
    assert!(w.services.due.get("cadence", &absorbed.id.to_string()).await.unwrap().is_none(), "no step runs for a tombstone");
    // A while later the merge is undone: both records carry on.
    w.clock.set(tuesday_morning() + Duration::minutes(30));
    leadflow::app::merge::unmerge(&w.services, absorbed.id).await.unwrap();
    let resumed = w.services.cadence.enrollment(absorbed.id).await.unwrap().unwrap();
    assert_eq!((resumed.state, resumed.cadence.as_str()), (leadflow::domain::cadence::EnrollmentState::Active, before.cadence.as_str()));
    assert!(w.services.due.get("cadence", &absorbed.id.to_string()).await.unwrap().is_some(), "its next step is scheduled again");
    assert!(w.services.cadence.enrollment(survivor.id).await.unwrap().unwrap().is_active());
    assert_eq!(w.lead(absorbed.id).await.merged_into, None);
}

/// The repro: a CallRail call was credited to "phone". The caller's name and state now land on
/// the new lead, and the call's source and keywords in its touchpoints (attribution).
async fn a_tracked_call_keeps_the_callers_name_state_source_and_keywords(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let mut body = webhooks::call_body("CAL-keep-1", phone.as_e164(), false, 0);
    body["customer_name"] = "Rosa Diaz".into();
    body["customer_state"] = "NJ".into();
    body["keywords"] = "laser hair removal hoboken".into();
    body["campaign"] = "spring-laser".into();
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::call(&body)).await.status(), 200);
    w.drain().await;
    let lead = lead_of(&w, phone.as_e164()).await;
    assert_eq!(lead.contact.first_name.as_ref().unwrap().as_str(), "Rosa");
    assert_eq!(lead.contact.last_name.as_ref().unwrap().as_str(), "Diaz");
    assert_eq!(lead.context.location.state.as_ref().unwrap().as_str(), "NJ");
    assert_eq!(lead.source.detail.utm_source.as_ref().unwrap().as_str(), "Google Ads");
    assert_eq!(lead.source.detail.utm_term.as_ref().unwrap().as_str(), "laser hair removal hoboken");
    let tps = leadflow::app::score::touchpoints(&w.services, lead.id).await.unwrap();
    assert!(!tps.is_empty());
    for tp in &tps {
        let source = leadflow::domain::analytics::dimension::source_of(tp.kind, tp.channel, &tp.detail);
        assert_ne!(source, "phone", "a tracked call is credited to its source: {tp:?}");
        assert_eq!(tp.detail.utm_term.as_ref().unwrap().as_str(), "laser hair removal hoboken");
    }
    let calls = w.entries(lead.id, "call_logged").await;
    assert_eq!(calls[0]["keywords"], "laser hair removal hoboken");
}

/// Scores fall back while a lead stays quiet (the model's `decay`), and a new inquiry brings
/// them back.
async fn scores_decay_without_activity_and_recover_on_a_new_inquiry(kind: Kind) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/leadflow.toml")).unwrap();
    let text = text.replacen(
        "name = \"patient-standard\"\nversion = 1\n",
        "name = \"patient-standard\"\nversion = 1\ndecay = { after_days = 7, half_life_days = 7 }\n",
        1,
    );
    let config = Config::from_toml(&text, "decay test").unwrap();
    let w = World::new(kind, config, tuesday_morning()).await;
    let phone = unique_phone();
    let form =
        [("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("state", "NJ"), ("insurance_status", "insured")];
    assert_eq!(post(&w, &form).await.0, 202);
    let lead = lead_of(&w, phone.as_e164()).await;
    let fresh = lead.score.as_ref().unwrap().score;
    assert!(fresh > 0);
    assert!(w.services.due.get("decay", &lead.id.to_string()).await.unwrap().is_some(), "the decay checkpoint is armed");
    // 21 quiet days: two half-lives past the grace period.
    w.fast_forward(&[lead.id], tuesday_morning() + Duration::days(21)).await;
    let decayed = w.lead(lead.id).await.score.unwrap();
    assert!(decayed.score < fresh, "{} -> {}", fresh, decayed.score);
    assert!(decayed.contributions.iter().any(|c| c.factor == "decay"), "{:?}", decayed.contributions);
    // The person writes again: the score is back up.
    assert_eq!(post(&w, &form).await.0, 202);
    let back = w.lead(lead.id).await.score.unwrap();
    assert!(back.score > decayed.score && !back.contributions.iter().any(|c| c.factor == "decay"), "{back:?}");
}

/// A booking or a payment names its lead only through a signed reference: a raw lead id in `utm_content`
/// (which a visitor can type) is ignored and the booking matched by the invitee's contact
/// details; the signed reference from the lead's booking link is trusted.
async fn bookings_and_payments_name_their_lead_only_through_a_signed_reference(kind: Kind) {
    let w = world_at(kind, tuesday_morning()).await;
    let (victim_phone, other_phone) = (unique_phone(), unique_phone());
    assert_eq!(post(&w, &[("first_name", "Ann"), ("phone", victim_phone.as_e164()), ("service_line", "med_spa")]).await.0, 202);
    let victim = lead_of(&w, victim_phone.as_e164()).await;
    // A stranger books with the victim's raw lead id in the link.
    let mut forged = webhooks::appointment_body("apt-evt-1", "invitee.created", "apt-1", "stranger@example.net", other_phone.as_e164());
    forged["payload"]["tracking"] = serde_json::json!({"utm_content": victim.id.to_string()});
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::appointment(&forged, w.now())).await.status(), 200);
    w.drain().await;
    assert_eq!(w.lead(victim.id).await.status, LeadStatus::New, "the victim's lead is untouched");
    let strangers = lead_of(&w, other_phone.as_e164()).await;
    assert_ne!(strangers.id, victim.id);
    // The lead's own booking link carries a signed reference: that booking lands on it.
    let link = leadflow::app::references::booking_link(&w.services, "https://book.example/spa", victim.id);
    let token = link.split("utm_content=").nth(1).unwrap();
    let mut real = webhooks::appointment_body("apt-evt-2", "invitee.created", "apt-2", "ann.other@example.org", "+12015550100");
    real["payload"]["tracking"] = serde_json::json!({"utm_content": token});
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::appointment(&real, w.now())).await.status(), 200);
    w.drain().await;
    assert_eq!(w.lead(victim.id).await.status, LeadStatus::Booked);

    // Payments the same way: a raw lead id as Stripe's `client_reference_id` names nothing (the
    // payment is matched by the customer's details, here none), the signed reference does.
    let forged = webhooks::checkout_completed("evt_ref_forged", &victim.id.to_string(), 5_000, "usd", w.now());
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::stripe(&forged, w.now())).await.status(), 200);
    w.drain().await;
    assert!(w.lead(victim.id).await.payments.is_empty(), "a raw id moves no money onto the lead");
    let reference = leadflow::app::references::reference(&w.services, leadflow::app::references::PAYMENT, victim.id).unwrap();
    let real = webhooks::checkout_completed("evt_ref_real", &reference, 5_000, "usd", w.now());
    assert_eq!(handlers::webhooks::handle(&w.services, webhooks::stripe(&real, w.now())).await.status(), 200);
    w.drain().await;
    assert_eq!(w.lead(victim.id).await.payments.len(), 1, "the signed reference names the lead");
}

// ---------------------------------------------------------------------------------------------
// Stored means processed
// ---------------------------------------------------------------------------------------------

/// The repro: a queue send failing after the lead was stored answered 503 (a browser cannot
/// retry) and the lead might never be scored or acknowledged. Now the answer is 202 once the
/// inquiry is stored, and the outbox relay delivers its event when the queues work again.
async fn a_stored_inquiry_is_processed_even_when_the_queues_fail_after_the_write(kind: Kind) {
    let mut w = world_at(kind, tuesday_morning()).await;
    flaky(&mut w, 3, None);
    let phone = unique_phone();
    let (status, answer) =
        post(&w, &[("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("consent_sms", "on")]).await;
    assert_eq!(status, 202, "{answer}");
    let lead = lead_of(&w, phone.as_e164()).await;
    assert!(lead.acknowledged_at.is_some(), "acknowledged after the relay's retries");
    assert!(lead.score.is_some() && lead.assignment.is_some() && lead.inquiries[0].triage.is_some());
    assert_eq!(w.texts_to(phone.as_e164()).await.len(), 1, "exactly once");
    assert_eq!(w.entries(lead.id, "score_changed").await.len(), 1);
}

/// An inquiry the acknowledgement step never gets (its queue keeps refusing, the relay gives up
/// on the record) is caught by the watch: the alarm's log line names the lead.
async fn an_inquiry_nobody_acknowledges_raises_the_waiting_alarm(kind: Kind) {
    let mut w = world_at(kind, tuesday_morning()).await;
    let working = w.services.queue.clone();
    flaky(&mut w, 1_000, Some(Consumer::Acknowledge));
    let phone = unique_phone();
    assert_eq!(
        post(&w, &[("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("consent_sms", "on")]).await.0,
        202
    );
    let lead = lead_of(&w, phone.as_e164()).await;
    assert!(lead.acknowledged_at.is_none());
    // The relay armed the watch before it tried the queues.
    assert!(w.services.due.get("watch", &lead.id.to_string()).await.unwrap().is_some());
    let waiting = leadflow::app::watch::waiting(&w.services, lead.id).await.unwrap();
    assert!(waiting.acknowledgement, "{waiting:?}");
    w.clock.set(tuesday_morning() + Duration::minutes(7));
    assert_eq!(leadflow::app::watch::tick(&w.services, w.now()).await.unwrap(), 1, "the alarm fires for the waiting lead");
    // A lead whose steps ran raises nothing.
    let ok_phone = unique_phone();
    w.set_queue(working);
    assert_eq!(post(&w, &[("first_name", "Bo"), ("phone", ok_phone.as_e164()), ("service_line", "med_spa")]).await.0, 202);
    let fine = lead_of(&w, ok_phone.as_e164()).await;
    assert!(!leadflow::app::watch::waiting(&w.services, fine.id).await.unwrap().any());
}

// ---------------------------------------------------------------------------------------------
// The site's journey: the first visit is credited once
// ---------------------------------------------------------------------------------------------

/// Loses the answer of the first capture write: the write happened, the caller sees a failure
/// (a timeout after the transaction committed) and retries.
struct AnswerLostOnce {
    inner: Arc<dyn leadflow::ports::LeadStore>,
    lost: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl leadflow::ports::LeadStore for AnswerLostOnce {
    async fn create_or_match(
        &self,
        lead: &Lead,
        alongside: &leadflow::ports::Alongside,
    ) -> Result<leadflow::ports::CaptureOutcome, leadflow::ports::StoreError> {
        let outcome = self.inner.create_or_match(lead, alongside).await?;
        if !self.lost.swap(true, Ordering::SeqCst) {
            return Err(leadflow::ports::StoreError::Unavailable("injected: the answer was lost".into()));
        }
        Ok(outcome)
    }
    async fn get(&self, id: LeadId) -> Result<Option<Lead>, leadflow::ports::StoreError> {
        self.inner.get(id).await
    }
    async fn save_alongside(&self, lead: &Lead, alongside: &leadflow::ports::Alongside) -> Result<(), leadflow::ports::StoreError> {
        self.inner.save_alongside(lead, alongside).await
    }
    async fn find_by_phone(&self, phone: &leadflow::domain::Phone) -> Result<Vec<LeadId>, leadflow::ports::StoreError> {
        self.inner.find_by_phone(phone).await
    }
    async fn find_by_email(&self, email: &leadflow::domain::Email) -> Result<Vec<LeadId>, leadflow::ports::StoreError> {
        self.inner.find_by_email(email).await
    }
    async fn find_by_name(&self, prefix: &str, limit: usize) -> Result<Vec<LeadId>, leadflow::ports::StoreError> {
        self.inner.find_by_name(prefix, limit).await
    }
}

/// A visitor who first came from an ad weeks ago and inquires from the newsletter: the ad visit
/// is a touchpoint of its own (attribution credits it), written with the inquiry's entry and
/// event. A retry after a lost answer, and a later inquiry from the same visitor, write it
/// again under the same id: one entry, never two.
async fn the_first_visit_is_one_touchpoint_written_with_the_inquiry_whatever_the_retries(kind: Kind) {
    let mut w = world_at(kind, tuesday_morning()).await;
    let phone = unique_phone();
    let journey = |latest: &str| {
        format!(
            r#"{{"first":{{"at":"2026-02-10T15:00:00Z","utm_source":"google","utm_campaign":"spring","gclid":"Cj0first"}},"latest":{{"at":"{latest}","utm_source":"newsletter"}},"visits":3,"visitor":"Zm9vYmFyYmF6cXV4MTIzNA"}}"#
        )
    };
    let first = journey("2026-03-03T15:20:00Z");
    let form = [("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("consent_sms", "on"), ("journey", &first)];
    let real = w.services.leads.clone();
    w.services.leads = Arc::new(AnswerLostOnce { inner: real.clone(), lost: false.into() });
    let lost = handlers::intake::handle(&w.services, keyed(&form, "journey-1")).await;
    assert_eq!(lost.status(), 503, "the caller saw a failure");
    let retried = handlers::intake::handle(&w.services, keyed(&form, "journey-1")).await;
    assert_eq!(retried.status(), 202);
    w.services.leads = real;
    w.drain().await;

    let lead = lead_of(&w, phone.as_e164()).await;
    let first_visits = |entries: Vec<Value>| -> Vec<Value> { entries.into_iter().filter(|e| e["actor"]["kind"] == "lead").collect() };
    let visits = first_visits(w.entries(lead.id, "touchpoint_recorded").await);
    assert_eq!(visits.len(), 1, "{visits:?}");
    assert_eq!(visits[0]["touchpoint"]["detail"]["utm_source"], "google");
    assert_eq!(visits[0]["at"], "2026-02-10T15:00:00Z");
    assert_eq!(w.entries(lead.id, "lead_captured").await.len(), 1);
    assert_eq!(w.texts_to(phone.as_e164()).await.len(), 1, "acknowledged once");

    // A later inquiry from the same visitor (the same first touch): recorded, the visit not again.
    w.clock.set(tuesday_morning() + Duration::hours(2));
    let again = journey("2026-03-03T17:20:00Z");
    let repeat =
        [("first_name", "Ann"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("concern", "prices?"), ("journey", &again)];
    assert_eq!(post(&w, &repeat).await.0, 202);
    assert_eq!(lead_of(&w, phone.as_e164()).await.id, lead.id);
    assert_eq!(w.entries(lead.id, "repeat_inquiry").await.len(), 1);
    assert_eq!(first_visits(w.entries(lead.id, "touchpoint_recorded").await).len(), 1);
}
