//! Capturing an inquiry: validate, then in one atomic write either open a lead or record the
//! inquiry on the person's open lead of that service line, together with its timeline entry and
//! the event that announces it (the transactional outbox: the relay delivers it to every
//! consumer, so a stored inquiry is always acknowledged, scored and routed whatever fails after
//! the write). The answer is a receipt for this submission, the same in shape whether the person
//! was new or not, never the lead's id.
//!
//! With an `Idempotency-Key` every id derives from the key *and* the request's fingerprint, so a
//! retry after any failure finishes the first attempt's work, and a key that comes back with
//! another body (after the record expired) is a new request, never the earlier person's lead.

use super::Services;
use crate::domain::audit::fields;
use crate::domain::intake_form::{parse_submission, FieldError, NewLead, RawSubmission};
use crate::domain::{
    Actor, AuditAction, AuditActor, AuditEntry, EventId, Lead, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind, Touchpoint,
};
use crate::ports::{Alongside, Begin, CaptureOutcome, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// How long a request holds its idempotency key before a retry may take over.
const IDEMPOTENCY_LEASE_SECONDS: i64 = 30;

/// Rounds of match-then-write before giving up (each lost round means another writer moved).
const ATTEMPTS: usize = 5;

/// An inquiry as received.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub submission: RawSubmission,
    pub idempotency_key: Option<String>,
}

/// The public answer to an accepted inquiry: a receipt for this submission. The same shape
/// whether the person was new or already had an open lead, and it never names the lead, so the
/// public route tells a caller nothing about anyone's earlier inquiries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_id: EventId,
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
    /// Refused before anything was stored: spam screening or a rate limit.
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

/// The outcome: the public receipt, and for trusted callers the lead it landed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub receipt: Receipt,
    /// The lead the inquiry opened or joined (never shown to the public caller).
    pub lead_id: LeadId,
    /// Replayed from an earlier attempt with the same Idempotency-Key.
    pub replayed: bool,
}

/// What an idempotency record keeps of a completed request (internal: the lead id is only
/// for trusted callers; the public answer is the receipt).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Completed {
    receipt: Receipt,
    lead_id: LeadId,
}

/// Captures one inquiry from a trusted path (a verified integration, a test).
pub async fn capture(services: &Services, request: IntakeRequest) -> Result<Accepted, IntakeError> {
    capture_with(services, request, false).await
}

/// Captures one inquiry from the public web form: screened first (honeypot, minimum fill time,
/// per-IP and per-phone rate limits), so nothing is stored or sent for a refused one.
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

    // Claim the idempotency key for this request's fingerprint; its first-use time and the
    // fingerprint seed every id below.
    let key = request.idempotency_key.as_deref();
    let (first_seen, seed) = match key {
        None => (now, None),
        Some(k) => {
            let fingerprint = fingerprint(k, &request.submission);
            match services.idempotency.begin(k, &fingerprint, now, Duration::seconds(IDEMPOTENCY_LEASE_SECONDS)).await? {
                Begin::Started { first_seen } => (first_seen, Some(fingerprint)),
                Begin::Completed { body, .. } => {
                    let done: Completed = serde_json::from_str(&body).map_err(|e| StoreError::Invalid(e.to_string()))?;
                    return Ok(Accepted { receipt: done.receipt, lead_id: done.lead_id, replayed: true });
                }
                Begin::InProgress => return Err(IntakeError::InProgress),
                Begin::Mismatch => return Err(IntakeError::KeyReused),
            }
        }
    };

    let result = record(services, &new_lead, seed.as_deref(), first_seen).await;
    match (&result, key) {
        (Ok((receipt, lead_id)), Some(k)) => {
            let body = serde_json::to_string(&Completed { receipt: receipt.clone(), lead_id: *lead_id }).expect("an answer serializes");
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
    result.map(|(receipt, lead_id)| Accepted { receipt, lead_id, replayed: false })
}

/// The ids of one submission: random, or derived from the request's fingerprint.
struct Ids {
    receipt: EventId,
    lead: LeadId,
}

impl Ids {
    fn new(seed: Option<&str>, at: DateTime<Utc>) -> Self {
        match seed {
            Some(s) => Ids { receipt: EventId::derived(at, format!("{s}:receipt").as_bytes()), lead: LeadId::derived(s.as_bytes()) },
            None => Ids { receipt: EventId::new_at(at), lead: LeadId::random() },
        }
    }
}

/// What is written with the lead for this submission: its timeline entry (first: the audit
/// record derives from it), the visit that first brought the person when that was an earlier
/// visit than the inquiry's (the site snippet's first touch, a touchpoint of its own so
/// attribution credits it too), and its event.
fn alongside(
    lead_id: LeadId,
    receipt: EventId,
    at: DateTime<Utc>,
    kind: LeadEventKind,
    entry: TimelineKind,
    first_visit: Option<&Touchpoint>,
) -> Alongside {
    let mut entries = vec![TimelineEntry::derived(lead_id, at, &format!("{receipt}:{lead_id}:timeline"), Actor::Lead, entry)];
    if let Some(first) = first_visit {
        // Derived from the lead and the visit, not the request: a retry, or a later inquiry from
        // the same visitor, writes the same entry again instead of a second one.
        let seed = format!("{lead_id}:first-visit:{}", first.at.timestamp_millis());
        let kind = TimelineKind::TouchpointRecorded { touchpoint: first.clone() };
        entries.push(TimelineEntry::derived(lead_id, first.at, &seed, Actor::Lead, kind));
    }
    let event = LeadEvent { id: EventId::derived(at, format!("{receipt}:{lead_id}:event").as_bytes()), kind, lead_id, occurred_at: at };
    Alongside { entries, events: vec![event] }
}

/// Opens a lead for the submission, or records it on the person's open lead of its service
/// line. Both ways cost the same store calls (a claim check, a lead read, one atomic write), so
/// the answer's timing says as little as its shape. Returns the receipt and the lead.
async fn record(
    services: &Services,
    new_lead: &NewLead,
    seed: Option<&str>,
    first_seen: DateTime<Utc>,
) -> Result<(Receipt, LeadId), IntakeError> {
    let ids = Ids::new(seed, first_seen);
    let inquiry = new_lead.inquiry(ids.receipt, first_seen);
    let touchpoint = new_lead.touchpoint(first_seen);
    let first_visit = new_lead.first_visit();
    let mut lead = Lead::from_inquiry(ids.lead, inquiry.clone());
    // Data hygiene: the team's own tests are marked (no messages, left out of reports), and what
    // contact validation found is kept on the lead.
    lead.test = super::intake_screen::is_test(services, lead.contact.phone.as_ref(), lead.contact.email.as_ref());
    lead.contact_flags = super::intake_screen::contact_flags(services, lead.contact.phone.as_ref(), lead.contact.email.as_ref()).await;
    let receipt = Receipt { receipt_id: ids.receipt, status: "accepted".into() };

    for _ in 0..ATTEMPTS {
        // Whether an earlier attempt of this request stored the lead: a retry finds it.
        let earlier = services.leads.get(ids.lead).await?;
        let captured = alongside(
            ids.lead,
            ids.receipt,
            first_seen,
            LeadEventKind::Captured,
            TimelineKind::LeadCaptured { channel: lead.source.channel, touchpoint: touchpoint.clone(), inquiry: Some(ids.receipt) },
            first_visit.as_ref(),
        );
        if earlier.is_none() {
            // The write, in the audit trail, before it is made: a stored lead is always in the
            // trail (an attempt that then fails leaves an entry naming a lead that never
            // appeared). No IP address: the trail outlives erasure; the address stays with the
            // consent evidence instead.
            audit(services, first_seen, ids.lead, AuditAction::Create, &fields::present(&lead), &captured).await?;
        }
        match services.leads.create_or_match(&lead, &captured).await? {
            CaptureOutcome::Created => {
                if lead.test && earlier.is_none() {
                    services.hygiene.mark_test(&lead).await?;
                }
                log_accepted(ids.lead, LeadEventKind::Captured);
                return Ok((receipt, ids.lead));
            }
            CaptureOutcome::Matched(holder) => {
                let Some(mut existing) = services.leads.get(holder).await? else { continue };
                if !existing.status.is_open() {
                    // Closed since the claim was checked: the person's next inquiry opens a lead.
                    continue;
                }
                if existing.inquiry(ids.receipt).is_some() {
                    // An earlier attempt of this request recorded it (with its entry and event).
                    return Ok((receipt, holder));
                }
                let consent_before = existing.consent.clone();
                existing.add_inquiry(inquiry.clone(), services.clock.now());
                existing.version += 1;
                let repeated = alongside(
                    holder,
                    ids.receipt,
                    first_seen,
                    LeadEventKind::InquiryRepeated,
                    TimelineKind::RepeatInquiry { touchpoint: touchpoint.clone(), inquiry: Some(ids.receipt) },
                    first_visit.as_ref(),
                );
                let mut written = vec![fields::INQUIRIES, fields::TIMELINE];
                if existing.consent != consent_before {
                    written.push(fields::CONSENT);
                }
                audit(services, first_seen, holder, AuditAction::Update, &written, &repeated).await?;
                match services.leads.save_alongside(&existing, &repeated).await {
                    Ok(()) => {
                        log_accepted(holder, LeadEventKind::InquiryRepeated);
                        return Ok((receipt, holder));
                    }
                    Err(StoreError::Conflict) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Err(StoreError::Conflict.into())
}

/// The public form's write in the audit trail, once per request (the id derives from the
/// timeline entry's, which derives from the receipt).
async fn audit(
    services: &Services,
    at: DateTime<Utc>,
    lead_id: LeadId,
    action: AuditAction,
    written: &[&'static str],
    alongside: &Alongside,
) -> Result<(), StoreError> {
    let entry_id = alongside.entries.first().map(|e| e.id.to_string()).unwrap_or_default();
    let mut record = AuditEntry::new(at, AuditActor::PublicForm, action).lead(lead_id).fields(written).derived(&entry_id);
    record.route = Some("POST /leads".into());
    super::audit::record(services, &record).await
}

fn log_accepted(lead_id: LeadId, kind: LeadEventKind) {
    let span = tracing::info_span!("intake", lead_id = %lead_id, event = kind.as_str());
    span.in_scope(|| info!("inquiry accepted"));
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
