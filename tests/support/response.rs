//! Helpers for the scoring, routing and SLA tests: an embedded system on a manual clock,
//! inquiries captured through the real intake use case, and readers for timelines and notices.

use chrono::{DateTime, TimeZone, Utc};
use leadflow::adapters::memory::{OutboxEntry, QueueSettings};
use leadflow::app::intake::{capture, IntakeRequest};
use leadflow::config::Config;
use leadflow::domain::intake_form::RawSubmission;
use leadflow::domain::{Lead, LeadId};
use leadflow::ports::ManualClock;
use leadflow::wiring::embedded::EmbeddedSystem;
use std::sync::Arc;

/// A New York wall-clock time in March 2026 (the 3rd is a Tuesday).
pub fn ny(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap().with_timezone(&Utc)
}

/// The embedded system with the shipped configuration, its clock at `at`.
pub fn system_at(at: DateTime<Utc>) -> (EmbeddedSystem, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(at));
    let settings = QueueSettings { visibility_timeout: std::time::Duration::from_millis(20), max_receive_count: 3 };
    (EmbeddedSystem::with_queue_settings(Config::embedded_default().unwrap(), clock.clone(), settings), clock)
}

/// Captures an inquiry with these form fields and runs the queue consumers.
pub async fn inquire(s: &EmbeddedSystem, fields: &[(&str, &str)]) -> LeadId {
    let submission =
        RawSubmission { fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ip: None, user_agent: None };
    let id = capture(&s.services, IntakeRequest { submission, idempotency_key: None }).await.unwrap().lead_id;
    s.drain_queues().await;
    id
}

pub async fn lead(s: &EmbeddedSystem, id: LeadId) -> Lead {
    s.services.leads.get(id).await.unwrap().unwrap()
}

/// The `type` of every timeline entry, in order.
pub async fn kinds(s: &EmbeddedSystem, id: LeadId) -> Vec<String> {
    s.services
        .timeline
        .list(id, None, 500)
        .await
        .unwrap()
        .items
        .iter()
        .map(|e| serde_json::to_value(e).unwrap()["type"].as_str().unwrap().to_string())
        .collect()
}

/// Timeline entries of one type, as JSON.
pub async fn entries_of(s: &EmbeddedSystem, id: LeadId, kind: &str) -> Vec<serde_json::Value> {
    s.services
        .timeline
        .list(id, None, 500)
        .await
        .unwrap()
        .items
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .filter(|v| v["type"] == kind)
        .collect()
}

/// Team notices so far (one entry per channel; `team_sms` only, to count notices once).
pub fn notices(s: &EmbeddedSystem) -> Vec<OutboxEntry> {
    s.team_outbox
        .entries()
        .into_iter()
        .filter(|e| {
            e.channel == "team_sms"
                || (e.channel == "team_email"
                    && !s.team_outbox.entries().iter().any(|o| o.channel == "team_sms" && o.provider_message_id == e.provider_message_id))
        })
        .collect()
}

/// `(purpose, recipient)` of each notice.
pub fn notice_list(s: &EmbeddedSystem) -> Vec<(String, String)> {
    notices(s).into_iter().map(|e| (e.purpose, e.recipient)).collect()
}
