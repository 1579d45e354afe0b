//! `POST /leads/{id}/contacts` (admin, manager, agent): record a human contact attempt.
//!
//! Body: `{"channel": "call"|"sms"|"email", "outcome": "answered"|"no_answer"|"voicemail"|
//! "wrong_number", "note": "..."}` (note optional, at most 1,000 characters, stored on the
//! timeline and never logged). Answers 201 with the first-contact time and the lead's status.

use super::staff::{caller, idempotency_key, invalid, json_fields, path_param};
use crate::app::contacts::{record, ContactError, ContactRequest};
use crate::app::Services;
use crate::auth::Role;
use crate::domain::contact_attempt::{ContactAttempt, ContactOutcome, MAX_NOTE_CHARS};
use crate::domain::intake_form::FieldError;
use crate::domain::text::FreeText;
use crate::domain::{ContactChannel, LeadId};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, Response};
use tracing::{error, warn};

/// Roles that may record contact attempts.
pub const ROLES: &[Role] = &[Role::Admin, Role::Manager, Role::Agent];

/// Handles one request.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let who = match caller(&req, ROLES) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let Some(lead_id) = path_param(&req, "id").and_then(|id| id.parse::<LeadId>().ok()) else {
        return error_response(404, "not_found", "no such lead", None);
    };
    let key = match idempotency_key(&req) {
        Ok(k) => k,
        Err(resp) => return *resp,
    };
    let fields = match json_fields(&req, &["channel", "outcome", "note"]) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let mut errors = Vec::new();
    let channel = match fields.get("channel").map(|c| ContactChannel::parse(c)) {
        Some(Some(c)) => Some(c),
        Some(None) => {
            errors.push(FieldError::new("channel", "invalid_choice", "channel must be one of: call, sms, email"));
            None
        }
        None => {
            errors.push(FieldError::new("channel", "required", "channel is required"));
            None
        }
    };
    let outcome = match fields.get("outcome").map(|o| ContactOutcome::parse(o)) {
        Some(Some(o)) => Some(o),
        Some(None) => {
            errors.push(FieldError::new(
                "outcome",
                "invalid_choice",
                "outcome must be one of: answered, no_answer, voicemail, wrong_number",
            ));
            None
        }
        None => {
            errors.push(FieldError::new("outcome", "required", "outcome is required"));
            None
        }
    };
    let note = match fields.get("note").filter(|n| !n.trim().is_empty()) {
        None => None,
        Some(n) => match FreeText::parse(n, MAX_NOTE_CHARS) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(FieldError::new("note", "invalid_note", format!("note {e}")));
                None
            }
        },
    };
    let (Some(channel), Some(outcome)) = (channel, outcome) else { return invalid(&errors) };
    if !errors.is_empty() {
        return invalid(&errors);
    }
    let request = ContactRequest { lead_id, attempt: ContactAttempt { channel, outcome, note }, by: who.user_id, idempotency_key: key };
    match record(services, request).await {
        Ok(done) => json_response(201, &done),
        Err(ContactError::NotFound) => error_response(404, "not_found", "no such lead", None),
        Err(ContactError::Store(e)) if e.is_retryable() => {
            warn!(lead_id = %lead_id, error = %e, "contact attempt not fully recorded");
            error_response(503, "temporarily_unavailable", "retry with the same Idempotency-Key", None)
        }
        Err(ContactError::Queue(e)) => {
            warn!(lead_id = %lead_id, error = %e, "contact attempt recorded but not published");
            error_response(503, "temporarily_unavailable", "retry with the same Idempotency-Key", None)
        }
        Err(e) => {
            error!(lead_id = %lead_id, error = %e, "contact attempt failed");
            error_response(500, "internal_error", "the request could not be handled", None)
        }
    }
}
