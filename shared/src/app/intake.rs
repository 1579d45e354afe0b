//! Capturing an inquiry: validate, dedupe against open leads, record the touchpoint, and hand
//! the lead to the queue. With an `Idempotency-Key` every id is derived from the key, so a
//! retry after any failure finishes the first attempt's work rather than duplicating it.

use super::Services;
use crate::domain::audit::fields;
use crate::domain::intake_form::{parse_submission, FieldError, RawSubmission};
use crate::domain::{
    Actor, AuditAction, AuditActor, AuditEntry, EventId, Lead, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind,
};
use crate::ports::{Begin, CaptureOutcome, QueueError, StoreError};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// How long a request holds its idempotency key before a retry may take over.
const IDEMPOTENCY_LEASE_SECONDS: i64 = 30;

/// An inquiry as received.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub submission: RawSubmission,
    pub idempotency_key: Option<String>,
}

/// The answer to an accepted inquiry. The same shape whether the person was new or already had
/// an open lead, so the public route does not reveal which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: LeadId,
    pub status: String,
}

/// Why an inquiry was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the submission has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("the Idempotency-Key was used with a different request")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still being handled")]
    InProgress,
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("the lead was stored but could not be queued: {0}")]
    Queue(#[from] QueueError),
    /// Refused before anything was stored: spam screening or a rate limit (issue 7).
    #[error("the submission was refused by screening")]
    Screened(super::intake_screen::Screening),
}

impl From<super::intake_screen::RateOutcome> for IntakeError {
    fn from(r: super::intake_screen::RateOutcome) -> Self {
        match r {
            super::intake_screen::RateOutcome::Limited(s) => IntakeError::Screened(s),
            super::intake_screen::RateOutcome::Store(e) => IntakeError::Store(e),
        }
    }
}

/// The outcome, with whether it was replayed from an earlier attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub receipt: Receipt,
    pub replayed: bool,
}

/// Captures one inquiry from a trusted path (a verified integration, a test).
pub async fn capture(services: &Services, request: IntakeRequest) -> Result<Accepted, IntakeError> {
    capture_with(services, request, false).await
}

/// Captures one inquiry from the public web form: screened first (honeypot, minimum fill time,
/// per-IP and per-phone rate limits; issue 7), so nothing is stored or sent for a refused one.
pub async fn capture_public(services: &Services, request: IntakeRequest) -> Result<Accepted, IntakeError> {
    capture_with(services, request, true).await
}

async fn capture_with(services: &Services, mut request: IntakeRequest, screen: bool) -> Result<Accepted, IntakeError> {
    let now = services.clock.now();
    if screen {
        super::intake_screen::spam_check(&services.config.data_quality.spam, &services.links, &mut request.submission.fields, now)
            .map_err(IntakeError::Screened)?;
        super::intake_screen::limit_ip(services, request.submission.ip.as_deref()).await?;
    }
    let new_lead = parse_submission(&request.submission, services.config.as_ref(), now).map_err(IntakeError::Invalid)?;
    if screen {
        super::intake_screen::limit_phone(services, new_lead.contact.phone.as_ref()).await?;
    }

    // Claim the idempotency key; its first-use time seeds every id below.
    let key = request.idempotency_key.as_deref();
    let first_seen = match key {
        None => now,
        Some(k) => {
            let fingerprint = fingerprint(k, &request.submission);
            match services.idempotency.begin(k, &fingerprint, now, Duration::seconds(IDEMPOTENCY_LEASE_SECONDS)).await? {
                Begin::Started { first_seen } => first_seen,
                Begin::Completed { body, .. } => {
                    let receipt: Receipt = serde_json::from_str(&body).map_err(|e| StoreError::Invalid(e.to_string()))?;
                    return Ok(Accepted { receipt, replayed: true });
                }
                Begin::InProgress => return Err(IntakeError::InProgress),
                Begin::Mismatch => return Err(IntakeError::KeyReused),
            }
        }
    };

    let result = store_and_publish(services, new_lead, key, first_seen).await;
    match (&result, key) {
        (Ok(receipt), Some(k)) => {
            let body = serde_json::to_string(receipt).expect("a receipt serializes");
            services.idempotency.complete(k, 202, &body, services.clock.now()).await?;
        }
        (Err(_), Some(k)) => {
            // Let the caller's retry proceed at once; the derived ids make it finish this work.
            if let Err(e) = services.idempotency.release(k).await {
                warn!(error = %e, "could not release the idempotency key; a retry waits for its lease");
            }
        }
        _ => {}
    }
    result.map(|receipt| Accepted { receipt, replayed: false })
}

async fn store_and_publish(
    services: &Services,
    new_lead: crate::domain::intake_form::NewLead,
    key: Option<&str>,
    first_seen: chrono::DateTime<chrono::Utc>,
) -> Result<Receipt, IntakeError> {
    let now = services.clock.now();
    let seed = |part: &str| key.map(|k| format!("{k}:{part}"));
    let lead_id = match key {
        Some(k) => LeadId::derived(k.as_bytes()),
        None => LeadId::random(),
    };
    let touchpoint = new_lead.touchpoint(first_seen);
    let mut lead = Lead::capture(lead_id, new_lead.clone(), first_seen);
    // Issue 7: the team's own tests are marked (no messages, left out of reports), and what
    // contact validation found is kept on the lead.
    lead.test = super::intake_screen::is_test(services, lead.contact.phone.as_ref(), lead.contact.email.as_ref());
    lead.contact_flags = super::intake_screen::contact_flags(services, lead.contact.phone.as_ref(), lead.contact.email.as_ref()).await;

    let outcome = services.leads.create_or_match(&lead).await?;
    if outcome == CaptureOutcome::Created && lead.test {
        services.hygiene.mark_test(&lead).await?;
    }
    let (lead_id, kind, entry_kind, audit) = match outcome {
        CaptureOutcome::Created => (
            lead.id,
            LeadEventKind::Captured,
            TimelineKind::LeadCaptured { channel: lead.source.channel, touchpoint },
            (AuditAction::Create, fields::present(&lead)),
        ),
        CaptureOutcome::Matched(existing) => {
            let changed = absorb(services, existing, &new_lead).await?;
            let mut written = vec![fields::TIMELINE];
            if changed {
                written.extend(fields::present(&lead).into_iter().filter(|f| *f != fields::CONTEXT && *f != fields::SOURCE));
            }
            (existing, LeadEventKind::InquiryRepeated, TimelineKind::RepeatInquiry { touchpoint }, (AuditAction::Update, written))
        }
    };
    let span = tracing::info_span!("intake", lead_id = %lead_id, event = kind.as_str());
    let _enter = span.enter();

    let entry = match seed("timeline") {
        Some(s) => TimelineEntry::derived(lead_id, first_seen, &s, Actor::Lead, entry_kind),
        None => TimelineEntry::new(lead_id, first_seen, Actor::Lead, entry_kind),
    };
    // The visit that first brought the person, when it was an earlier one (the site snippet's
    // first touch): its own touchpoint, so attribution credits it too. Derived from the
    // inquiry's entry, so a retry writes it once.
    if let Some(first) = new_lead.first_visit() {
        let kind = TimelineKind::TouchpointRecorded { touchpoint: first.clone() };
        services
            .timeline
            .append(&TimelineEntry::derived(lead_id, first.at, &format!("{}:first-visit", entry.id), Actor::Lead, kind))
            .await?;
    }
    services.timeline.append(&entry).await?;

    // The write, in the audit trail: once per request (the id derives from the timeline
    // entry's, which derives from the Idempotency-Key when there is one). No IP address: the
    // trail outlives erasure, and the person's address is kept with their consent instead.
    let mut record =
        AuditEntry::new(first_seen, AuditActor::PublicForm, audit.0).lead(lead_id).fields(&audit.1).derived(&entry.id.to_string());
    record.route = Some("POST /leads".into());
    super::audit::record(services, &record).await?;

    let event = LeadEvent {
        id: match seed("event") {
            Some(s) => EventId::derived(first_seen, s.as_bytes()),
            None => EventId::new_at(now),
        },
        kind,
        lead_id,
        occurred_at: first_seen,
    };
    services.queue.publish(&event).await?;
    info!("inquiry accepted");
    Ok(Receipt { id: lead_id, status: "accepted".into() })
}

/// Folds a repeat inquiry into the open lead it matched, retrying on concurrent changes;
/// returns whether the lead changed.
async fn absorb(services: &Services, id: LeadId, inquiry: &crate::domain::intake_form::NewLead) -> Result<bool, StoreError> {
    for _ in 0..5 {
        let Some(mut lead) = services.leads.get(id).await? else {
            return Err(StoreError::Invalid(format!("matched lead {id} is missing")));
        };
        if !lead.absorb_inquiry(inquiry, services.clock.now()) {
            return Ok(false);
        }
        lead.version += 1;
        match services.leads.save(&lead).await {
            Err(StoreError::Conflict) => continue,
            other => return other.map(|()| true),
        }
    }
    Err(StoreError::Conflict)
}

/// A stable hash of the submitted fields: the same form posted twice has the same fingerprint
/// whatever the field order or JSON formatting. The key is hashed in, so the stored fingerprint
/// cannot be matched against guessed phone numbers by someone reading the table (the record
/// stores only a hash of the key).
fn fingerprint(key: &str, s: &RawSubmission) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update((key.len() as u64).to_be_bytes());
    h.update(key.as_bytes());
    for (k, v) in &s.fields {
        h.update((k.len() as u64).to_be_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_be_bytes());
        h.update(v.as_bytes());
    }
    hex::encode(h.finalize())
}
