//! `POST /leads/{id}/contacts` (whoever may change the lead: `auth::policy`): record a human
//! contact attempt.
//!
//! Body: `{"channel": "call"|"sms"|"email", "outcome": "answered"|"no_answer"|"voicemail"|
//! "wrong_number", "note": "..."}` (note optional, at most 1,000 characters, stored sealed on
//! the timeline and never logged). Answers 201 with the first-contact time and the lead's status.
//! The change is recorded in the audit trail (its fields, not the note).

use super::guard;
use super::staff::{change_request, invalid, ChangeRequest};
use crate::app::contacts::{record, ContactError, ContactRequest};
use crate::app::Services;
use crate::domain::audit::fields as paths;
use crate::domain::contact_attempt::{ContactAttempt, ContactOutcome, MAX_NOTE_CHARS};
use crate::domain::intake_form::FieldError;
use crate::domain::text::FreeText;
use crate::domain::ContactChannel;
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, Response};
use tracing::{error, warn};

// `POST /leads/{id}/messages`, served by this function too.
pub mod messages;

/// Handles one request: a contact attempt, or (`.../messages`, the same function in AWS) a
/// staff message ([`messages`]).
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    if req.uri().path().trim_end_matches('/').ends_with("/messages") {
        return messages::handle(services, req).await;
    }
    let ChangeRequest { caller, lead_id, idempotency_key: key, fields } =
        match change_request(services, &req, "POST /leads/{id}/contacts", &["channel", "outcome", "note"]).await {
            Ok(r) => r,
            Err(r) => return r,
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
    let by = caller.principal.user_id.clone();
    let request = ContactRequest { lead_id, attempt: ContactAttempt { channel, outcome, note }, by, idempotency_key: key };
    match record(services, request).await {
        Ok((done, replayed)) => match guard::record_change(
            services,
            &caller,
            lead_id,
            &[paths::FIRST_CONTACT_AT, paths::STATUS, paths::TIMELINE],
            done.entry_id,
        )
        .await
        {
            Ok(()) => super::staff::replayed(json_response(201, &done), replayed),
            Err(r) => r,
        },
        Err(ContactError::NotFound) => error_response(404, "not_found", "no such lead", None),
        Err(ContactError::Key(e)) => super::staff::key_refused(e),
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
