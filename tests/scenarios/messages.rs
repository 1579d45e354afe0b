//! What leadflow sends in a practice's name: person-supplied values screened before they are
//! rendered (and the property that no rendered message carries a person-supplied link), the
//! segment budget, destination countries, rate limits on by default, the spend breaker, paced
//! sends with crisis first, replies read as people mean them, email done properly (email-only
//! acknowledgements, one-click unsubscribe), promises true at any hour, quiet hours from the
//! area code, spacing kept after quiet hours, and appointment reminders. Message bodies are
//! asserted whole where the text is the point.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use lambda_http::RequestExt;
use leadflow::app::intake::{capture, capture_public, IntakeError, IntakeRequest};
use leadflow::app::intake_screen::Screening;
use leadflow::app::pacing::{self, PacedSend};
use leadflow::config::Config;
use leadflow::domain::cadence::parse_duration;
use leadflow::domain::intake_form::RawSubmission;
use leadflow::domain::pacing::{Lane, WaitReason};
use leadflow::domain::screen::links_in;
use leadflow::domain::{ContactChannel, LeadId, LeadStatus, Phone, Region};
use leadflow::ports::{Clock, Consumer, ManualClock, MessagePurpose, OutboundSms};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::cadence::{Kind, World};
use leadflow_tests::leads::unique_phone;
use leadflow_tests::webhooks::{appointment, twilio_sms};
use std::collections::BTreeMap;
use std::sync::Arc;

fn ny(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The shipped configuration with room for many texts in one second of the manual clock (the
/// pacing tests set their own rate).
fn config() -> Config {
    let mut c = Config::embedded_default().unwrap();
    c.messaging.pacing.parts_per_second = 1000;
    c
}

fn system(config: Config, at: DateTime<Utc>) -> (EmbeddedSystem, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(at));
    // A message a consumer sends back (a busy claim) is visible again at once.
    let settings = leadflow::adapters::memory::QueueSettings { visibility_timeout: std::time::Duration::ZERO, max_receive_count: 5 };
    (EmbeddedSystem::with_queue_settings(config, clock.clone(), settings), clock)
}

async fn lead(s: &EmbeddedSystem, pairs: &[(&str, &str)]) -> LeadId {
    let submission = RawSubmission { fields: fields(pairs), ip: None, user_agent: None };
    let id = capture(&s.services, IntakeRequest { submission, idempotency_key: None }).await.unwrap().lead_id;
    s.drain_queues().await;
    id
}

fn texts(s: &EmbeddedSystem, to: &str) -> Vec<String> {
    s.outbox.entries().into_iter().filter(|e| e.channel == "sms" && e.recipient == to).map(|e| e.text).collect()
}

async fn timeline_types(s: &EmbeddedSystem, id: LeadId) -> Vec<serde_json::Value> {
    s.services.timeline.list(id, None, 500).await.unwrap().items.iter().map(|e| serde_json::to_value(e).unwrap()).collect()
}

const SPA_ACK_THERE: &str = "Hi there, this is Harbor Health. We got your request and a care coordinator will call you within 5 minutes. Reply STOP to opt out, HELP for help.";

// ---------------------------------------------------------------------------------------------
// 1. A stranger's text never goes out in the practice's name.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_link_look_alike_or_zalgo_first_name_is_left_out_and_the_lead_is_still_captured() {
    let (s, _) = system(config(), ny(3, 10, 30));
    let zalgo = format!("Ann{}", "\u{301}".repeat(95));
    let long = "A".repeat(100);
    for name in ["Visit harborhealth-billing.com now", long.as_str(), "\u{410}nn", zalgo.as_str(), "bit.ly"] {
        let phone = unique_phone();
        let id = lead(&s, &[("first_name", name), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
        assert_eq!(texts(&s, phone.as_e164()), [SPA_ACK_THERE], "{name:?}");
        let stored = s.services.leads.get(id).await.unwrap().unwrap();
        assert!(stored.contact.first_name.is_some(), "the lead keeps what was typed ({name:?})");
    }
    let phone = unique_phone();
    lead(&s, &[("first_name", "José"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    assert_eq!(
        texts(&s, phone.as_e164()),
        ["Hi José, this is Harbor Health. We got your request and a care coordinator will call you within 5 minutes. Reply STOP to opt out, HELP for help."]
    );
}

#[tokio::test]
async fn a_name_that_would_turn_the_text_into_three_ucs2_parts_is_left_out() {
    let (s, _) = system(config(), ny(3, 10, 30));
    let phone = unique_phone();
    lead(&s, &[("first_name", "Иван"), ("phone", phone.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    let sent = texts(&s, phone.as_e164());
    assert_eq!(sent, [SPA_ACK_THERE]);
    let with_name = SPA_ACK_THERE.replace("there", "Иван");
    assert_eq!(leadflow::domain::sms_segments::count(&with_name).parts, 3, "the name would have made it three UCS-2 parts");
    assert_eq!(leadflow::domain::sms_segments::count(&sent[0]).parts, 1);
}

#[test]
fn a_template_over_the_segment_budget_without_a_name_stops_start_up() {
    let text = leadflow::config::DEFAULT_CONFIG.replace("max_sms_segments = 2", "max_sms_segments = 1");
    let err = Config::from_toml(&text, "t.toml").unwrap_err().to_string();
    assert!(err.contains("acknowledgement_sms`: is 2 segments even without a first name"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 2. Destinations and volume.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn mobiles_outside_the_allowed_countries_get_no_text_but_an_email_if_they_agreed() {
    let (s, _) = system(config(), ny(3, 10, 30));
    for number in ["+37120000000", "+998901234567", "+2348031234567", "+18765550123", "+16715550123"] {
        let id = lead(&s, &[("first_name", "Ann"), ("phone", number), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
        assert!(texts(&s, number).is_empty(), "{number}");
        let entries = timeline_types(&s, id).await;
        assert!(
            entries.iter().any(|e| e["type"] == "acknowledgement_skipped" && e["reason"] == "country_not_allowed"),
            "{number}: {entries:#?}"
        );
    }
    let email = "ann.abroad@example.com";
    lead(
        &s,
        &[
            ("first_name", "Ann"),
            ("phone", "+2348031234568"),
            ("email", email),
            ("service_line", "med_spa"),
            ("consent_sms", "true"),
            ("consent_email", "true"),
        ],
    )
    .await;
    let mail: Vec<_> = s.outbox.entries().into_iter().filter(|e| e.recipient == email).collect();
    assert_eq!(mail.len(), 1, "the acknowledgement went by email");
    assert_eq!(mail[0].purpose, "acknowledgement");
}

#[tokio::test]
async fn rate_limits_per_ip_network_and_phone_are_on_in_the_shipped_configuration() {
    let config = Config::embedded_default().unwrap();
    let spam = &config.data_quality.spam;
    assert!(spam.per_ip.is_some() && spam.per_phone.is_some() && spam.per_network.is_some());
    let limit = spam.per_network.unwrap().limit;
    let (s, _) = system(config, ny(3, 10, 30));
    let post = |ip: String| {
        let phone = unique_phone();
        let submission =
            RawSubmission { fields: fields(&[("phone", phone.as_e164()), ("service_line", "med_spa")]), ip: Some(ip), user_agent: None };
        capture_public(&s.services, IntakeRequest { submission, idempotency_key: None })
    };
    // A bot rotating addresses inside one /24: every address is new, the network is not.
    for i in 0..limit {
        post(format!("203.0.113.{}", i % 250)).await.unwrap();
    }
    match post("203.0.113.251".into()).await {
        Err(IntakeError::Screened(Screening::RateLimited { field, .. })) => assert_eq!(field, "network"),
        other => panic!("{other:?}"),
    }
    // Another network is not affected.
    post("198.51.100.7".into()).await.unwrap();
    // The same number five times a day, then no more.
    let phone = unique_phone();
    for i in 0..6 {
        let submission = RawSubmission {
            fields: fields(&[("phone", phone.as_e164()), ("service_line", "med_spa")]),
            ip: Some(format!("192.0.2.{i}")),
            user_agent: None,
        };
        let r = capture_public(&s.services, IntakeRequest { submission, idempotency_key: None }).await;
        assert_eq!(r.is_ok(), i < 5, "submission {i}: {r:?}");
    }
}

fn sms(to: &str, body: &str, purpose: MessagePurpose) -> OutboundSms {
    OutboundSms { lead_id: None, to: Phone::parse(to, Region::US).unwrap(), body: body.into(), purpose }
}

#[tokio::test]
async fn the_spend_breaker_pauses_follow_ups_but_not_acknowledgements_or_crisis_replies() {
    let mut config = Config::embedded_default().unwrap();
    config.messaging.max_texts_per_hour = 2;
    config.messaging.pacing.parts_per_second = 100;
    let (s, _) = system(config, ny(3, 10, 30));
    for i in 0..3 {
        let r =
            pacing::send(&s.services, &sms("+12015550101", &format!("ack {i}"), MessagePurpose::Acknowledgement), Lane::Acknowledgement)
                .await;
        assert!(matches!(r, Ok(PacedSend::Sent(_))), "{r:?}");
    }
    let r = pacing::send(&s.services, &sms("+12015550102", "follow-up", MessagePurpose::FollowUp), Lane::FollowUp).await.unwrap();
    assert_eq!(r, PacedSend::Wait { until: ny(3, 11, 0), reason: WaitReason::SpendPaused });
    let r = pacing::send(&s.services, &sms("+12015550103", "crisis", MessagePurpose::FollowUp), Lane::Crisis).await.unwrap();
    assert!(matches!(r, PacedSend::Sent(_)));
    assert_eq!(s.outbox.len(), 4, "three acknowledgements and the crisis reply; the follow-up waits for 11:00");
}

// ---------------------------------------------------------------------------------------------
// 3. Paced to the sender's limits, crisis first.
// ---------------------------------------------------------------------------------------------

fn one_per_second() -> Config {
    let mut c = Config::embedded_default().unwrap();
    c.messaging.pacing.parts_per_second = 1;
    c
}

#[tokio::test]
async fn a_crisis_reply_overtakes_waiting_acknowledgements_and_follow_ups_wait_for_both() {
    let t0 = ny(3, 10, 30);
    let (s, clock) = system(one_per_second(), t0);
    let send = |body: &'static str, lane: Lane| {
        let services = s.services.clone();
        async move { pacing::send(&services, &sms("+12015550111", body, MessagePurpose::Acknowledgement), lane).await.unwrap() }
    };
    assert!(matches!(send("ack A", Lane::Acknowledgement).await, PacedSend::Sent(_)));
    let b = send("ack B", Lane::Acknowledgement).await;
    assert_eq!(b, PacedSend::Wait { until: t0 + Duration::seconds(1), reason: WaitReason::Throughput });
    assert!(matches!(send("crisis C", Lane::Crisis).await, PacedSend::Wait { .. }));
    let f = send("follow-up F", Lane::FollowUp).await;
    let PacedSend::Wait { until: f_until, .. } = f else { panic!("{f:?}") };
    assert!(f_until > t0 + Duration::seconds(1), "the follow-up waits behind both");

    clock.set(t0 + Duration::seconds(1));
    // The acknowledgement comes back first, but the crisis reply is backlogged: it goes first.
    assert!(matches!(send("ack B", Lane::Acknowledgement).await, PacedSend::Wait { .. }));
    assert!(matches!(send("crisis C", Lane::Crisis).await, PacedSend::Sent(_)));
    clock.set(t0 + Duration::seconds(3));
    assert!(matches!(send("ack B", Lane::Acknowledgement).await, PacedSend::Sent(_)));
    let sent: Vec<String> = s.outbox.entries().into_iter().map(|e| e.text).collect();
    assert_eq!(sent, ["ack A", "crisis C", "ack B"]);
}

#[tokio::test]
async fn provider_throttling_cools_every_lane_down_and_the_text_goes_after_it() {
    let t0 = ny(3, 10, 30);
    let (s, clock) = system(Config::embedded_default().unwrap(), t0);
    s.outbox.throttle_next(2);
    let m = sms("+12015550112", "hello", MessagePurpose::Acknowledgement);
    let r = pacing::send(&s.services, &m, Lane::Acknowledgement).await.unwrap();
    assert_eq!(r, PacedSend::Wait { until: t0 + Duration::seconds(1), reason: WaitReason::Throttled });
    // Nothing goes during the cool-down, whatever the lane.
    let r = pacing::send(&s.services, &m, Lane::Crisis).await.unwrap();
    assert!(matches!(r, PacedSend::Wait { reason: WaitReason::Throttled, .. }), "{r:?}");
    clock.set(t0 + Duration::seconds(1));
    // A second throttle in the same minute doubles the cool-down.
    let r = pacing::send(&s.services, &m, Lane::Acknowledgement).await.unwrap();
    assert_eq!(r, PacedSend::Wait { until: t0 + Duration::seconds(3), reason: WaitReason::Throttled });
    clock.set(t0 + Duration::seconds(3));
    assert!(matches!(pacing::send(&s.services, &m, Lane::Acknowledgement).await.unwrap(), PacedSend::Sent(_)));
    assert_eq!(s.outbox.len(), 1, "sent once, after the cool-downs");
}

#[tokio::test]
async fn a_burst_of_acknowledgements_is_paced_through_the_queue_never_dropped_never_sent_twice() {
    let t0 = ny(3, 10, 30);
    let (s, clock) = system(one_per_second(), t0);
    let phones: Vec<Phone> = (0..3).map(|_| unique_phone()).collect();
    let mut ids = Vec::new();
    for p in &phones {
        let submission = RawSubmission {
            fields: fields(&[("phone", p.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]),
            ip: None,
            user_agent: None,
        };
        ids.push(capture(&s.services, IntakeRequest { submission, idempotency_key: None }).await.unwrap().lead_id);
    }
    s.drain_queues().await;
    assert_eq!(s.outbox.entries().iter().filter(|e| e.channel == "sms").count(), 1, "one slot this second");
    assert_eq!(s.queue.depth(Consumer::Acknowledge), 2, "the other two wait in the queue");
    for second in 1..=3 {
        clock.set(t0 + Duration::seconds(second));
        s.drain_queues().await;
    }
    for p in &phones {
        assert_eq!(texts(&s, p.as_e164()), [SPA_ACK_THERE], "one text each");
    }
    for id in ids {
        let sent = timeline_types(&s, id).await.into_iter().filter(|e| e["type"] == "acknowledgement_sent").count();
        assert_eq!(sent, 1);
    }
    assert!(s.queue.dead_letters(Consumer::Acknowledge).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 4. Replies read the way people mean them.
// ---------------------------------------------------------------------------------------------

async fn keyword_world() -> (World, String) {
    let w = World::new(Kind::Embedded, config(), ny(3, 10, 30)).await;
    let phone = unique_phone().as_e164().to_string();
    w.capture(&[("first_name", "Ann"), ("phone", &phone), ("service_line", "med_spa"), ("consent_sms", "true"), ("state", "NJ")]).await;
    (w, phone)
}

#[tokio::test]
async fn yes_without_a_resubscription_question_is_a_reply_for_the_team() {
    let (w, phone) = keyword_world().await;
    let id = w.services.leads.find_by_phone(&Phone::parse(&phone, Region::US).unwrap()).await.unwrap()[0];
    assert_eq!(w.webhook(twilio_sms("SMyes1", &phone, "Yes")).await, 200);
    assert_eq!(w.texts_to(&phone).await.len(), 1, "only the acknowledgement: no 'subscribed again'");
    assert!(w.entries(id, "consent_granted").await.is_empty());
    let alerts = w.entries(id, "team_alerted").await;
    assert!(alerts.iter().any(|a| a["reason"] == "lead.replied"), "{alerts:?}");
}

#[tokio::test]
async fn plain_language_opt_outs_in_english_and_spanish_get_one_confirmation_per_revocation() {
    for text in ["please stop texting me", "No me escriban más"] {
        let (w, phone) = keyword_world().await;
        let id = w.services.leads.find_by_phone(&Phone::parse(&phone, Region::US).unwrap()).await.unwrap()[0];
        w.webhook(twilio_sms("SMstop1", &phone, text)).await;
        let sent = w.texts_to(&phone).await;
        assert_eq!(sent.len(), 2, "{text}: {sent:?}");
        assert_eq!(
            sent[1],
            "Harbor Health patient messages: you are unsubscribed and will receive no more messages. Reply START to resubscribe."
        );
        assert_eq!(w.lead(id).await.status, LeadStatus::OptedOut);
        // A second revocation: no second confirmation.
        w.webhook(twilio_sms("SMstop2", &phone, "STOP")).await;
        assert_eq!(w.texts_to(&phone).await.len(), 2, "{text}");
        let not_sent = w.entries(id, "message_not_sent").await;
        assert!(not_sent.iter().any(|e| e["reason"] == "already_opted_out"), "{not_sent:?}");
        // START lifts it; a later STOP is a new revocation with its own confirmation.
        w.webhook(twilio_sms("SMstart", &phone, "START")).await;
        w.webhook(twilio_sms("SMstop3", &phone, "stop")).await;
        assert_eq!(w.texts_to(&phone).await.len(), 4, "{text}: subscribed-again, then a new confirmation");
    }
}

#[tokio::test]
async fn an_ambiguous_reply_goes_to_the_team_not_the_opt_out_list() {
    let (w, phone) = keyword_world().await;
    let id = w.services.leads.find_by_phone(&Phone::parse(&phone, Region::US).unwrap()).await.unwrap()[0];
    w.webhook(twilio_sms("SMamb", &phone, "can you stop texting me at work? call instead")).await;
    assert_ne!(w.lead(id).await.status, LeadStatus::OptedOut);
    assert!(w.entries(id, "team_alerted").await.iter().any(|a| a["reason"] == "lead.replied"));
}

#[tokio::test]
async fn yes_after_a_question_asking_for_it_resubscribes() {
    let mut config = config();
    config.sms_keywords.stop_confirmation = leadflow::domain::template::Template::parse(
        "{program_name}: you are unsubscribed. Reply YES to get texts again.",
        leadflow::config::KEYWORD_PLACEHOLDERS,
    )
    .unwrap();
    let w = World::new(Kind::Embedded, config, ny(3, 10, 30)).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w.capture(&[("phone", &phone), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    w.webhook(twilio_sms("SMs", &phone, "STOP")).await;
    w.webhook(twilio_sms("SMy", &phone, "yes")).await;
    let sent = w.texts_to(&phone).await;
    assert_eq!(
        sent.last().unwrap(),
        "Harbor Health patient messages: you are subscribed again. Msg & data rates may apply. Reply HELP for help, STOP to opt out."
    );
    assert_eq!(w.entries(id, "consent_granted").await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 5. Email done properly.
// ---------------------------------------------------------------------------------------------

fn token_of(link_header: &str) -> String {
    link_header.split("t=").nth(1).unwrap().trim_end_matches('>').to_string()
}

fn unsubscribe_request(method: &str, token: &str) -> lambda_http::Request {
    let req = http::Request::builder().method(method).uri("/unsubscribe").body(lambda_http::Body::Empty).unwrap();
    req.with_query_string_parameters(std::collections::HashMap::from([("t".to_string(), token.to_string())]))
}

/// A follow-up email with this body to the lead, through the gate.
async fn follow_up_email(w: &World, id: LeadId, body: &str) -> leadflow::app::messaging::Delivery {
    let lead = w.lead(id).await;
    leadflow::app::email::send_email_to_lead(&w.services, &lead, leadflow::ports::EmailPurpose::FollowUp, "Hi".into(), body.into(), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_email_only_lead_is_acknowledged_by_email_with_a_one_click_unsubscribe_that_works() {
    let w = World::new(Kind::Embedded, config(), ny(3, 10, 30)).await;
    let email = "only.email@example.com";
    let id = w.capture(&[("first_name", "Ann"), ("email", email), ("service_line", "med_spa"), ("consent_email", "true")]).await;
    let mail: Vec<_> = w.outbox().unwrap().into_iter().filter(|e| e.recipient == email).collect();
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert_eq!(m.subject.as_deref(), Some("Harbor Health: we received your inquiry"));
    let (link_header, post_header) = (
        m.headers.iter().find(|(k, _)| k == "List-Unsubscribe").map(|(_, v)| v.clone()).expect("List-Unsubscribe"),
        m.headers.iter().find(|(k, _)| k == "List-Unsubscribe-Post").map(|(_, v)| v.clone()).expect("List-Unsubscribe-Post"),
    );
    assert_eq!(post_header, "List-Unsubscribe=One-Click");
    assert!(link_header.starts_with("<https://api.leadflow.test/unsubscribe?t=v1."), "{link_header}");
    let link = link_header.trim_matches(|c| c == '<' || c == '>');
    assert_eq!(
        m.text,
        format!(
            "Hi Ann, this is Harbor Health. We got your request and a care coordinator will call you within 5 minutes.\n\n--\nYou are receiving this email because you contacted Harbor Health.\nUnsubscribe: {link}\nHarbor Health, Harbor Health, 100 River Street, Hoboken, NJ 07030"
        )
    );
    assert!(!m.text.contains("Reply STOP"));
    let entries = w.entries(id, "acknowledgement_sent").await;
    assert_eq!(entries[0]["channel"], "email");

    // The page changes nothing (mail scanners fetch links); the POST unsubscribes.
    let token = token_of(&link_header);
    let page = leadflow::handlers::unsubscribe::confirm_page(&w.services, unsubscribe_request("GET", &token)).await;
    assert_eq!(page.status(), 200);
    assert!(!w.services.suppressions.is_suppressed(ContactChannel::Email, email).await.unwrap());
    let done = leadflow::handlers::unsubscribe::handle(&w.services, unsubscribe_request("POST", &token)).await;
    assert_eq!(done.status(), 200);
    assert!(w.services.suppressions.is_suppressed(ContactChannel::Email, email).await.unwrap());
    assert!(w.lead(id).await.consent.email.unwrap().revoked_at.is_some());
    assert_eq!(w.entries(id, "consent_revoked").await[0]["via"], "unsubscribe_link");
    // Following it again changes nothing; a forged or another purpose's token is refused.
    let again = leadflow::handlers::unsubscribe::handle(&w.services, unsubscribe_request("POST", &token)).await;
    assert_eq!(again.status(), 200);
    assert_eq!(w.entries(id, "consent_revoked").await.len(), 1);
    let other = w.services.links.sign(leadflow::crypto::Purpose("booking"), &id.to_string(), w.now() + Duration::days(1)).unwrap();
    for bad in [format!("{token}x"), other, "v1.x.y.z".to_string()] {
        let r = leadflow::handlers::unsubscribe::handle(&w.services, unsubscribe_request("POST", &bad)).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    // No more email to the address.
    let d = follow_up_email(&w, id, "Hello").await;
    assert!(matches!(d, leadflow::app::messaging::Delivery::Blocked(_)), "{d:?}");
}

#[tokio::test]
async fn an_email_saying_reply_stop_is_refused_by_the_gate_and_by_the_configuration() {
    let w = World::new(Kind::Embedded, config(), ny(3, 10, 30)).await;
    let id = w.capture(&[("email", "ann.cfg@example.com"), ("service_line", "med_spa"), ("consent_email", "true")]).await;
    let d = follow_up_email(&w, id, "Reply STOP to opt out.").await;
    assert_eq!(d, leadflow::app::messaging::Delivery::Blocked(leadflow::domain::timeline::SkipReason::SmsWordingInEmail));
    let bad = leadflow::config::DEFAULT_CONFIG
        .replace("Pick a time that suits you: {scheduling_link}", "Reply STOP to opt out. {scheduling_link}");
    let err = Config::from_toml(&bad, "t.toml").unwrap_err().to_string();
    assert!(err.contains("an email must not say \"Reply STOP\""), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 6. Promises that are true, at any hour.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn at_3_am_a_24_7_line_promises_its_response_target_and_a_daytime_line_the_opening() {
    let (s, _) = system(config(), ny(3, 3, 0));
    let recovery = unique_phone();
    lead(&s, &[("phone", recovery.as_e164()), ("service_line", "addiction_treatment"), ("consent_sms", "true")]).await;
    assert_eq!(
        texts(&s, recovery.as_e164()),
        ["Hi there, this is Harbor Health. Thank you for reaching out. Someone from our team will call you within 2 minutes. If you are in crisis, call or text 988. Reply STOP to opt out."]
    );
    let spa = unique_phone();
    lead(&s, &[("phone", spa.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    assert!(texts(&s, spa.as_e164())[0].contains("will call you by 8:00 AM today."), "{:?}", texts(&s, spa.as_e164()));
}

#[tokio::test]
async fn a_practice_open_until_midnight_promises_minutes_in_its_last_minute() {
    // Every day 00:00-24:00: open around the clock, with no closed minute at 23:59.
    let mut src = leadflow::config::DEFAULT_CONFIG.to_string();
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] {
        let line = src.lines().find(|l| l.starts_with(&format!("{day} = \""))).unwrap().to_string();
        src = src.replacen(&line, &format!("{day} = \"00:00-24:00\""), 1);
    }
    let mut config = Config::from_toml(&src, "all-day.toml").unwrap();
    config.messaging.pacing.parts_per_second = 1000;
    let (s, clock) = system(config, ny(3, 23, 59) + Duration::seconds(30));
    let before_midnight = unique_phone();
    lead(&s, &[("phone", before_midnight.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    assert!(
        texts(&s, before_midnight.as_e164())[0].contains("will call you within 5 minutes."),
        "{:?}",
        texts(&s, before_midnight.as_e164())
    );
    clock.set(ny(4, 0, 0));
    let at_midnight = unique_phone();
    lead(&s, &[("phone", at_midnight.as_e164()), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    assert!(texts(&s, at_midnight.as_e164())[0].contains("will call you within 5 minutes."), "{:?}", texts(&s, at_midnight.as_e164()));
}

#[tokio::test]
async fn a_crisis_call_task_at_11_pm_is_created_at_once_and_its_text_still_waits_for_morning() {
    let w = World::new(Kind::Embedded, config(), ny(3, 23, 0)).await;
    let phone = unique_phone().as_e164().to_string();
    let id = w
        .capture(&[
            ("phone", &phone),
            ("service_line", "addiction_treatment"),
            ("concern", "I relapsed tonight"),
            ("consent_sms", "true"),
            ("state", "NJ"),
        ])
        .await;
    w.fast_forward(&[id], ny(4, 1, 30)).await;
    let attempts = w.attempts(id).await;
    assert_eq!((attempts[0].0.as_str(), attempts[0].1.as_str()), ("call-now", "task_created"), "{attempts:?}");
    assert!(attempts[0].2 < ny(3, 23, 5), "not held for quiet hours: {attempts:?}");
    assert_eq!(attempts[1].0, "call-15m");
    assert!(attempts[1].2 < ny(3, 23, 30), "{attempts:?}");
    // The 1-hour text is an automated message: it waits for 08:00.
    let deferred = w.steps(id).await.into_iter().find(|s| s.name == "text-1h" && s.outcome == "deferred").expect("deferred text");
    assert_eq!(deferred.entry["outcome"]["until"], serde_json::to_value(ny(4, 8, 0)).unwrap());
}

fn one_text_cadence(after: &str) -> Config {
    let mut config = config();
    let spa = config.followup.book.cadences.iter_mut().find(|c| c.name == "med-spa").unwrap();
    let mut text = spa.steps.iter().find(|s| s.name == "sms-24h").unwrap().clone();
    text.after = parse_duration(after).unwrap();
    spa.steps = vec![text];
    config
}

#[tokio::test]
async fn a_305_number_with_no_address_gets_floridas_window() {
    let w = World::new(Kind::Embedded, one_text_cadence("1m"), ny(3, 20, 29)).await;
    let id = w.capture(&[("first_name", "Ann"), ("phone", "+13055550177"), ("service_line", "med_spa"), ("consent_sms", "true")]).await;
    w.fast_forward(&[id], ny(4, 9, 0)).await;
    let steps = w.steps(id).await;
    assert_eq!(steps[0].outcome, "deferred", "{steps:?}");
    assert_eq!(steps[0].entry["outcome"]["reason"], "quiet_hours");
    assert_eq!(steps[0].entry["outcome"]["until"], serde_json::to_value(ny(4, 8, 0)).unwrap(), "Florida: 8 a.m. to 8 p.m.");
    assert_eq!(steps[1].outcome, "sent");
}

#[tokio::test]
async fn two_calls_planned_15_minutes_apart_at_10_pm_go_15_minutes_apart_at_8_am() {
    let mut config = config();
    let spa = config.followup.book.cadences.iter_mut().find(|c| c.name == "med-spa").unwrap();
    let mut call = spa.steps.iter().find(|s| s.name == "call-2m").unwrap().clone();
    call.conditions.clear();
    let (mut first, mut second) = (call.clone(), call);
    first.name = "call-now".into();
    first.after = Duration::zero();
    second.name = "call-15m".into();
    second.after = Duration::minutes(15);
    spa.steps = vec![first, second];
    let w = World::new(Kind::Embedded, config, ny(3, 22, 0)).await;
    let phone = unique_phone();
    let id = w.capture(&[("phone", phone.as_e164()), ("service_line", "med_spa"), ("state", "NJ")]).await;
    w.fast_forward(&[id], ny(4, 9, 0)).await;
    let attempts = w.attempts(id).await;
    let times: Vec<(String, DateTime<Utc>)> = attempts.into_iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(times.len(), 2, "{times:?}");
    assert_eq!(times[0].1, ny(4, 8, 0));
    assert_eq!((times[1].1 - times[0].1).num_minutes(), 15, "{times:?}");
}

// ---------------------------------------------------------------------------------------------
// 7. Appointment reminders.
// ---------------------------------------------------------------------------------------------

fn appointment_event(
    id: &str,
    kind: &str,
    appointment_id: &str,
    email: &str,
    phone: &str,
    start: DateTime<Utc>,
    sent: DateTime<Utc>,
) -> serde_json::Value {
    let mut b = leadflow_tests::webhooks::appointment_body(id, kind, appointment_id, email, phone);
    b["payload"]["start_time"] = serde_json::Value::String(start.to_rfc3339());
    b["created_at"] = serde_json::Value::String(sent.to_rfc3339());
    b
}

#[tokio::test]
async fn reminders_go_48_24_and_2_hours_before_and_follow_a_move() {
    let start = ny(3, 10, 30);
    let w = World::new(Kind::Embedded, config(), start).await;
    let phone = unique_phone().as_e164().to_string();
    let email = format!("r{}@example.com", &phone[2..]);
    let id = w
        .capture(&[
            ("first_name", "Ann"),
            ("phone", &phone),
            ("email", &email),
            ("service_line", "mens_health"),
            ("consent_sms", "true"),
            ("state", "NJ"),
        ])
        .await;
    // Booked for Friday 10:00, then moved to Friday 15:00 before any reminder went.
    let at = ny(6, 10, 0);
    assert_eq!(w.webhook(appointment(&appointment_event("evt-1", "booked", "apt-1", &email, &phone, at, w.now()), w.now())).await, 200);
    let moved = ny(6, 15, 0);
    assert_eq!(
        w.webhook(appointment(&appointment_event("evt-2", "rescheduled", "apt-1", &email, &phone, moved, w.now()), w.now())).await,
        200
    );
    w.fast_forward(&[id], ny(6, 14, 0)).await;
    let reminders: Vec<String> = w.texts_to(&phone).await.into_iter().filter(|t| t.contains("reminder")).collect();
    assert_eq!(
        reminders,
        [
            "Harbor Health: reminder of your appointment on Friday, March 6 at 3:00 PM. Reply C to confirm or R to reschedule. Reply STOP to opt out.",
            "Harbor Health: reminder of your appointment tomorrow at 3:00 PM. Reply C to confirm or R to reschedule. Reply STOP to opt out.",
            "Harbor Health: reminder of your appointment today at 3:00 PM. Reply C to confirm or R to reschedule. Reply STOP to opt out.",
        ]
    );
    // "C" confirms: the team hears of it, the person gets one answer.
    w.webhook(twilio_sms("SMc", &phone, "c")).await;
    assert_eq!(w.texts_to(&phone).await.last().unwrap(), "Harbor Health: thank you, your appointment today at 3:00 PM is confirmed.");
    assert!(w.entries(id, "team_alerted").await.iter().any(|a| a["reason"] == "appointment.confirmed"));
}

#[tokio::test]
async fn a_cancelled_appointment_gets_no_reminders_and_r_asks_the_team_to_reschedule() {
    let w = World::new(Kind::Embedded, config(), ny(3, 10, 30)).await;
    let phone = unique_phone().as_e164().to_string();
    let email = format!("c{}@example.com", &phone[2..]);
    let id =
        w.capture(&[("phone", &phone), ("email", &email), ("service_line", "mens_health"), ("consent_sms", "true"), ("state", "NJ")]).await;
    let at = ny(6, 10, 0);
    w.webhook(appointment(&appointment_event("evt-c1", "booked", "apt-c", &email, &phone, at, w.now()), w.now())).await;
    w.webhook(appointment(&appointment_event("evt-c2", "canceled", "apt-c", &email, &phone, at, w.now()), w.now())).await;
    w.fast_forward(&[id], ny(6, 11, 0)).await;
    assert!(w.texts_to(&phone).await.iter().all(|t| !t.contains("reminder")), "no reminder for a cancelled appointment");

    // Booked again a minute later; after the first reminder, "R": the team is asked and the
    // rest stop.
    w.clock.set(w.now() + Duration::minutes(1));
    let again = ny(10, 10, 0);
    w.webhook(appointment(&appointment_event("evt-c3", "booked", "apt-d", &email, &phone, again, w.now()), w.now())).await;
    w.fast_forward(&[id], ny(8, 11, 0)).await;
    assert_eq!(w.texts_to(&phone).await.iter().filter(|t| t.contains("reminder")).count(), 1);
    w.webhook(twilio_sms("SMr", &phone, "R")).await;
    assert_eq!(w.texts_to(&phone).await.last().unwrap(), "Harbor Health: thank you, our team will call you to find a new time.");
    assert!(w.entries(id, "team_alerted").await.iter().any(|a| a["reason"] == "appointment.reschedule_requested"));
    w.fast_forward(&[id], ny(10, 11, 0)).await;
    assert_eq!(w.texts_to(&phone).await.iter().filter(|t| t.contains("reminder")).count(), 1, "no more reminders");
}

/// Reminders keep the person's quiet hours: one that 08:00 would still deliver before the
/// appointment waits for 08:00, one it would not is skipped (recorded), never sent at 06:10.
#[tokio::test]
async fn a_reminder_due_in_quiet_hours_waits_for_morning_or_is_skipped_when_too_late() {
    let w = World::new(Kind::Embedded, config(), ny(3, 10, 30)).await;
    let mut people = Vec::new();
    for (n, at) in [ny(6, 8, 10), ny(6, 9, 30)].into_iter().enumerate() {
        let phone = unique_phone().as_e164().to_string();
        let email = format!("q{}@example.com", &phone[2..]);
        let id = w
            .capture(&[("phone", &phone), ("email", &email), ("service_line", "mens_health"), ("consent_sms", "true"), ("state", "NJ")])
            .await;
        let booked = appointment_event(&format!("evt-q{n}"), "booked", &format!("apt-q{n}"), &email, &phone, at, w.now());
        assert_eq!(w.webhook(appointment(&booked, w.now())).await, 200);
        people.push((id, phone));
    }
    let ids: Vec<LeadId> = people.iter().map(|(id, _)| *id).collect();
    w.fast_forward(&ids, ny(6, 9, 0)).await;
    let reminders = |phone: &str| -> Vec<(String, DateTime<Utc>)> {
        w.outbox().unwrap().into_iter().filter(|e| e.recipient == phone && e.text.contains("reminder")).map(|e| (e.text, e.at)).collect()
    };
    // 08:10: the 2-hour reminder (06:10) could only go at 08:00, too close to the appointment.
    let early = reminders(&people[0].1);
    assert_eq!(early.iter().map(|r| r.1).collect::<Vec<_>>(), [ny(4, 8, 10), ny(5, 8, 10)], "{early:?}");
    let skipped = w.entries(people[0].0, "message_not_sent").await;
    assert!(skipped.iter().any(|e| e["purpose"] == "appointment_reminder" && e["reason"] == "quiet_hours"), "{skipped:?}");
    // 09:30: the 2-hour reminder (07:30) waits for 08:00.
    let later = reminders(&people[1].1);
    assert_eq!(later.iter().map(|r| r.1).collect::<Vec<_>>(), [ny(4, 9, 30), ny(5, 9, 30), ny(6, 8, 0)], "{later:?}");
    assert_eq!(
        later[2].0,
        "Harbor Health: reminder of your appointment today at 9:30 AM. Reply C to confirm or R to reschedule. Reply STOP to opt out."
    );
}

/// The show rate per service line, from the scheduler's booked, showed and no-show events.
#[tokio::test]
async fn show_and_no_show_rates_per_service_line_come_from_appointment_events() {
    use leadflow::app::analytics::reports::{kpis, Engine, Query};
    use leadflow::domain::analytics::{Dimension, Milestone, Period};
    let w = World::new(Kind::Embedded, config(), ny(3, 10, 30)).await;
    let at = ny(5, 10, 0);
    // Three men's-health leads booked: one came, two did not; one med-spa lead booked and came.
    let mut n = 0;
    for (line, outcome) in [("mens_health", "showed"), ("mens_health", "no_show"), ("mens_health", "no_show"), ("med_spa", "showed")] {
        n += 1;
        let phone = unique_phone().as_e164().to_string();
        let email = format!("k{}@example.com", &phone[2..]);
        w.capture(&[("phone", &phone), ("email", &email), ("service_line", line), ("consent_sms", "true"), ("state", "NJ")]).await;
        let apt = format!("apt-k{n}");
        let booked = appointment_event(&format!("evt-k{n}b"), "booked", &apt, &email, &phone, at, w.now());
        assert_eq!(w.webhook(appointment(&booked, w.now())).await, 200);
        let done = appointment_event(&format!("evt-k{n}o"), outcome, &apt, &email, &phone, at, w.now());
        assert_eq!(w.webhook(appointment(&done, w.now())).await, 200);
    }
    // One more men's-health lead, never booked: not in the show rate's denominator.
    w.capture(&[("phone", unique_phone().as_e164()), ("service_line", "mens_health"), ("consent_sms", "true"), ("state", "NJ")]).await;
    let day = ny(3, 12, 0).date_naive();
    let q = Query {
        from: day.with_day(1).unwrap(),
        to: day,
        period: Period::Month,
        dimension: Dimension::ServiceLine,
        milestone: Milestone::Converted,
        engine: Engine::Aggregates,
        value: None,
    };
    let r = kpis(&w.services, &q).await.unwrap();
    let row = |key: &str| r.rows.iter().find(|x| x.key == key).unwrap_or_else(|| panic!("no {key} in {:?}", r.rows));
    let men = row("mens_health");
    assert_eq!((men.leads, men.booked, men.showed, men.no_show), (4, 3, 1, 2));
    assert_eq!((men.show_rate, men.no_show_rate), (Some(0.3333), Some(0.6667)));
    let spa = row("med_spa");
    assert_eq!((spa.booked, spa.showed, spa.no_show, spa.show_rate, spa.no_show_rate), (1, 1, 0, Some(1.0), Some(0.0)));
    assert_eq!((r.totals.booked, r.totals.showed, r.totals.no_show), (4, 2, 2));
}

// ---------------------------------------------------------------------------------------------
// The property: no rendered message ever contains a person-supplied URL, domain or address.
// ---------------------------------------------------------------------------------------------

mod property {
    use super::*;
    use leadflow::domain::text::PersonName;
    use proptest::prelude::*;

    fn hostile_value() -> impl Strategy<Value = String> {
        let word = "[A-Za-z]{1,8}";
        let tld = prop::sample::select(vec!["com", "net", "io", "ly", "co", "xyz", "example"]);
        let dot = prop::sample::select(vec![".", "．", "。", "｡"]);
        let shape = prop::sample::select(vec![0u8, 1, 2, 3, 4]);
        (word, word, tld, dot, shape, "[A-Za-z ]{0,12}").prop_map(|(a, b, tld, dot, shape, tail)| match shape {
            0 => format!("{a}{dot}{tld}"),
            1 => format!("Visit {a}-{b}{dot}{tld} {tail}"),
            2 => format!("{a}@{b}{dot}{tld}"),
            3 => format!("https://{a}{dot}{tld}/{b}"),
            _ => format!("www{dot}{a}{dot}{tld}"),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn no_rendered_message_contains_a_person_supplied_link(value in hostile_value()) {
            let (s, clock) = system(config(), ny(3, 10, 30));
            let services = &s.services;
            let mut lead = leadflow_tests::leads::sample_lead(Some("+12015550123"), Some("ann@example.com"));
            // Whatever intake accepts as a name (values it refuses never reach a lead).
            let Ok(name) = PersonName::parse(&value) else { return Ok(()) };
            lead.contact.first_name = Some(name);
            let now = clock.now();
            let mut bodies = vec![leadflow::app::acknowledge::render(services, &lead, now)];
            let first = leadflow::app::compose::person_values(services, &lead).first_name;
            for c in &services.config.followup.book.cadences {
                for step in &c.steps {
                    for t in [&step.text, &step.subject].into_iter().flatten() {
                        bodies.push(leadflow::app::cadence::render::message(services, &lead, c, t, first.as_deref()));
                    }
                }
            }
            let r = &services.config.messaging.reminders;
            for t in [&r.sms, &r.email_subject, &r.email_text, &r.confirmed_reply, &r.reschedule_reply] {
                bodies.push(leadflow::app::reminders::render(services, &lead, t, now + Duration::days(2), now, first.as_deref()));
            }
            for body in bodies {
                for host in links_in(&body) {
                    prop_assert!(services.config.messaging.host_allowed(&host), "{host} in {body:?} (value {value:?})");
                }
            }
        }
    }
}
