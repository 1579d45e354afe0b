//! The email port on both adapters, and the consent gate in front of it.

use chrono::Utc;
use leadflow::app::email::{email_gate, send_email_to_lead, EmailGate};
use leadflow::app::messaging::Delivery;
use leadflow::config::Config;
use leadflow::domain::timeline::SkipReason;
use leadflow::domain::{ContactChannel, Email};
use leadflow::ports::{EmailPurpose, EmailSender, ManualClock, OutboundEmail};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::aws::MotoAws;
use leadflow_tests::leads::{base_time, rich_lead, sample_lead};
use std::sync::Arc;

fn message(to: &str) -> OutboundEmail {
    OutboundEmail {
        lead_id: None,
        to: Email::parse(to).unwrap(),
        subject: "Your consultation".into(),
        text: "We will call you soon.".into(),
        html: Some("<p>We will call you soon.</p>".into()),
        purpose: EmailPurpose::FollowUp,
        headers: vec![
            ("List-Unsubscribe".into(), "<https://api.example.com/unsubscribe?t=v1.x.y.z>".into()),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
        ],
    }
}

#[tokio::test]
async fn the_embedded_sender_records_the_email_in_the_outbox() {
    let system = EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(base_time())));
    let sent = system.services.email.send(&message("ann@example.com")).await.unwrap();
    let entries = system.outbox.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].channel, "email");
    assert_eq!(entries[0].recipient, "ann@example.com");
    assert_eq!(entries[0].subject.as_deref(), Some("Your consultation"));
    assert_eq!(entries[0].provider_message_id, sent.provider_message_id);
}

#[tokio::test]
async fn the_ses_sender_sends_from_the_verified_identity_on_moto() {
    let aws = MotoAws::connect().await;
    let address = format!("lead-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
    let sent = aws.email().await.send(&message(&address)).await.unwrap();
    assert!(!sent.provider_message_id.is_empty());
    let recorded = aws.emails_sent_to(&address).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
}

#[tokio::test]
async fn without_a_sender_identity_every_email_is_refused_not_retried() {
    let aws = MotoAws::connect().await;
    let sender = leadflow::adapters::aws::SesEmail::new(aws_sdk_sesv2::Client::new(&aws.config), None, None);
    let err = sender.send(&message("ann@example.com")).await.unwrap_err();
    assert!(matches!(err, leadflow::ports::SendError::Rejected(_)), "{err}");
}

#[tokio::test]
async fn the_gate_needs_consent_an_address_and_no_suppression() {
    let system = EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(base_time())));
    let s = &system.services;
    let mut lead = sample_lead(Some("+12015550123"), Some("ann@example.com"));
    lead.consent = rich_lead().consent;
    assert!(matches!(email_gate(s, &lead).await.unwrap(), EmailGate::Allowed(_)));

    let mut revoked = lead.clone();
    revoked.consent.email.as_mut().unwrap().revoked_at = Some(Utc::now());
    assert_eq!(email_gate(s, &revoked).await.unwrap(), EmailGate::Blocked(SkipReason::ConsentRevoked));

    let mut no_consent = lead.clone();
    no_consent.consent.email = None;
    assert_eq!(email_gate(s, &no_consent).await.unwrap(), EmailGate::Blocked(SkipReason::NoConsent));

    let mut no_address = lead.clone();
    no_address.contact.email = None;
    assert_eq!(email_gate(s, &no_address).await.unwrap(), EmailGate::Blocked(SkipReason::NoEmail));

    s.suppressions.suppress(ContactChannel::Email, "ann@example.com", "hard_bounce", Utc::now()).await.unwrap();
    let d = send_email_to_lead(s, &lead, EmailPurpose::FollowUp, "Hi".into(), "Hello".into(), None).await.unwrap();
    assert_eq!(d, Delivery::Blocked(SkipReason::OptedOut));
    assert!(system.outbox.is_empty());

    lead.contact.email = Some(Email::parse("bob@example.com").unwrap());
    let d = send_email_to_lead(s, &lead, EmailPurpose::FollowUp, "Hi".into(), "Hello".into(), None).await.unwrap();
    assert!(matches!(d, Delivery::Sent(_)));
    assert_eq!(system.outbox.len(), 1);
}
