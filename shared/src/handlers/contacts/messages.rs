//! `POST /leads/{id}/messages` (whoever may change the lead: `auth::policy`): a staff member
//! texts or e-mails the person from the lead (`app::conversation`: the consent gate and the
//! person's quiet hours decide, as for automated messages).
//!
//! Body: `{"channel": "sms"|"email", "text": "...", "subject"?: "...", "override_quiet_hours"?:
//! "why"}`. Answers 201 `{"entry_id", "channel", "provider_message_id"}` when sent, 409
//! `{"error": "not_sent", "reason", "message", ...}` when a gate refused it (nothing recorded on
//! the lead), 422 naming bad fields. With an `Idempotency-Key` a retry sends nothing twice. The
//! text is never logged; the audit trail records the fields written.

use crate::app::conversation::{send, ConversationError, StaffMessage, MAX_TEXT_CHARS};
use crate::app::Services;
use crate::domain::intake_form::FieldError;
use crate::domain::text::FreeText;
use crate::domain::{AuditAction, ContactChannel, TimelineKind};
use crate::handlers::guard;
use crate::handlers::staff::{change_request, invalid, ChangeRequest};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, Response};
use tracing::warn;

/// Handles one request.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let ChangeRequest { caller, lead_id, idempotency_key: key, fields } =
        match change_request(services, &req, "POST /leads/{id}/messages", &["channel", "text", "subject", "override_quiet_hours"]).await {
            Ok(r) => r,
            Err(r) => return r,
        };
    let mut errors = Vec::new();
    let channel = match fields.get("channel").map(|c| ContactChannel::parse(c)) {
        Some(Some(c @ (ContactChannel::Sms | ContactChannel::Email))) => Some(c),
        Some(_) => {
            errors.push(FieldError::new("channel", "invalid_choice", "channel must be sms or email"));
            None
        }
        None => {
            errors.push(FieldError::new("channel", "required", "channel is required"));
            None
        }
    };
    let text = match fields.get("text").map(|t| FreeText::parse(t, MAX_TEXT_CHARS)) {
        Some(Ok(t)) if !t.as_str().trim().is_empty() => Some(t),
        Some(Ok(_)) | None => {
            errors.push(FieldError::new("text", "required", "text is required"));
            None
        }
        Some(Err(e)) => {
            errors.push(FieldError::new("text", "invalid_text", format!("text {e}")));
            None
        }
    };
    let subject = match fields.get("subject").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) if s.chars().count() <= 200 && !s.chars().any(char::is_control) => Some(s.trim().to_string()),
        Some(_) => {
            errors.push(FieldError::new("subject", "invalid_subject", "subject must be one line of at most 200 characters"));
            None
        }
    };
    let override_quiet_hours = match fields.get("override_quiet_hours").filter(|s| !s.trim().is_empty()).map(|s| FreeText::parse(s, 500)) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(e)) => {
            errors.push(FieldError::new("override_quiet_hours", "invalid_reason", format!("override_quiet_hours {e}")));
            None
        }
    };
    let (Some(channel), Some(text)) = (channel, text) else { return invalid(&errors) };
    if !errors.is_empty() {
        return invalid(&errors);
    }
    let message = StaffMessage { channel, subject, text, override_quiet_hours };
    match send(services, lead_id, message, &caller.principal.user_id, key.as_deref()).await {
        Ok(Ok(sent)) => {
            let written = crate::domain::audit::fields::written(&TimelineKind::StaffMessageSent {
                channel: sent.channel,
                provider_message_id: String::new(),
                subject: None,
                text: String::new(),
                quiet_hours_override: false,
                note: None,
            });
            let entry =
                caller.entry(services, AuditAction::Update).lead(lead_id).fields(written).derived(&format!("{lead_id}:{}", sent.entry_id));
            match guard::record_entry(services, &entry).await {
                Ok(()) => json_response(201, &sent),
                Err(r) => r,
            }
        }
        Ok(Err(refusal)) => {
            let mut body = serde_json::to_value(&refusal).unwrap_or_default();
            body["error"] = "not_sent".into();
            body["message"] = refusal.message().into();
            json_response(409, &body)
        }
        Err(ConversationError::NotFound) => error_response(404, "not_found", "no such lead", caller.request_id()),
        Err(ConversationError::Busy) => {
            error_response(409, "in_progress", "a request with the same Idempotency-Key is still running", caller.request_id())
        }
        Err(e) => {
            warn!(lead_id = %lead_id, error = %e, "staff message not sent");
            error_response(
                503,
                "temporarily_unavailable",
                "the message could not be sent; retry with the same Idempotency-Key",
                caller.request_id(),
            )
        }
    }
}
