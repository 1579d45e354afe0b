//! What the staff routes share besides the caller and the audit trail (`handlers::guard`):
//! strict small JSON bodies, and error answers that never echo what was sent.

// The `Err` of these helpers is the HTTP answer itself (415, 422...), built once per request
// and returned straight to the caller, as in `guard`.
#![allow(clippy::result_large_err)]

use super::guard::{self, authenticate, Caller};
use crate::app::Services;
use crate::auth::policy;
use crate::domain::intake_form::{shown_field_name, FieldError};
use crate::domain::{AuditAction, LeadId};
use crate::http::body::{read_form, BodyError, FormEncoding};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, Response};
use std::collections::BTreeMap;

/// A request that records something on a lead (`POST /leads/{id}/...`), checked in this order:
/// the caller, their right to change this lead (403 recorded as denied, 404 for no such lead),
/// then the `Idempotency-Key` and the JSON body with only `known` fields.
pub struct ChangeRequest {
    pub caller: Caller,
    pub lead_id: LeadId,
    pub idempotency_key: Option<String>,
    pub fields: BTreeMap<String, String>,
}

/// Reads and checks a [`ChangeRequest`] on `route`; `Err` is the answer to give.
pub async fn change_request(services: &Services, req: &Request, route: &str, known: &[&str]) -> Result<ChangeRequest, Response<Body>> {
    let caller = authenticate(req, route)?;
    let lead = guard::lead(services, &caller, req, AuditAction::Update, policy::can_change_lead).await?;
    let idempotency_key = idempotency_key(req)?;
    let fields = json_fields(req, known)?;
    Ok(ChangeRequest { caller, lead_id: lead.id, idempotency_key, fields })
}

/// A 422 naming the fields.
pub fn invalid(fields: &[FieldError]) -> Response<Body> {
    json_response(
        422,
        &serde_json::json!({"error": "validation_failed", "message": "some fields are missing or invalid", "fields": fields}),
    )
}

/// A JSON object body as flat text fields, only `known` names allowed.
pub fn json_fields(req: &Request, known: &[&str]) -> Result<BTreeMap<String, String>, Response<Body>> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok());
    let form = match read_form(content_type, req.body()) {
        Ok(f) if f.encoding == FormEncoding::Json => f,
        Ok(_) => return Err(error_response(415, "unsupported_media_type", "send application/json", None)),
        Err(BodyError::Fields(fields)) => return Err(invalid(&fields)),
        Err(e) => return Err(error_response(e.status(), e.code(), &e.to_string(), None)),
    };
    let unknown: Vec<FieldError> = form
        .fields
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| FieldError::new(&shown_field_name(k), "unknown_field", "this field is not accepted here"))
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(&unknown));
    }
    Ok(form.fields)
}

/// The `Idempotency-Key` header, when it is usable.
pub fn idempotency_key(req: &Request) -> Result<Option<String>, Response<Body>> {
    match req.headers().get("idempotency-key").map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(k)) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(k.to_string())),
        Some(_) => {
            Err(invalid(&[FieldError::new("Idempotency-Key", "invalid_header", "Idempotency-Key must be 1-255 visible ASCII characters")]))
        }
    }
}

/// Marks an answer replayed from an earlier request with the same `Idempotency-Key`.
pub fn replayed(mut resp: Response<Body>, replayed: bool) -> Response<Body> {
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", http::HeaderValue::from_static("true"));
    }
    resp
}

/// The answer when an `Idempotency-Key` cannot be used: 422 when it came with another request,
/// 409 while its first request is still running, 503 when the key store failed.
pub fn key_refused(e: crate::app::idempotent::KeyError) -> Response<Body> {
    use crate::app::idempotent::KeyError;
    match e {
        KeyError::Reused => json_response(
            422,
            &serde_json::json!({"error": "idempotency_key_reused", "message": "this Idempotency-Key was used with a different request",
                "fields": [FieldError::new("Idempotency-Key", "idempotency_key_reused", "use a new key for a different request")]}),
        ),
        KeyError::InProgress => {
            error_response(409, "request_in_progress", "a request with this Idempotency-Key is still being handled; retry shortly", None)
        }
        KeyError::Store(_) => error_response(503, "temporarily_unavailable", "retry with the same Idempotency-Key", None),
    }
}
