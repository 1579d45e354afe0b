//! What the staff routes share: the caller and their role, path parameters, strict small JSON
//! bodies, and error answers that never echo what was sent.

use crate::auth::{principal, Principal, Role};
use crate::domain::intake_form::FieldError;
use crate::http::body::{read_form, BodyError, FormEncoding};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::BTreeMap;

/// A finished refusal (401, 403, 415, 422...), boxed: the happy path carries small values.
pub type Refusal = Box<Response<Body>>;

/// The caller, if their role is one of `allowed`; otherwise the 401/403 answer.
pub fn caller(req: &Request, allowed: &[Role]) -> Result<Principal, Refusal> {
    let p = principal(req).map_err(|e| {
        Box::new(error_response(e.status(), if e.status() == 401 { "unauthorized" } else { "forbidden" }, &e.to_string(), None))
    })?;
    if !allowed.contains(&p.role) {
        return Err(Box::new(error_response(403, "forbidden", "your role may not do this", None)));
    }
    Ok(p)
}

/// A path parameter (`{id}`).
pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref().and_then(|p| p.first(name)).map(str::to_string)
}

/// A 422 naming the fields.
pub fn invalid(fields: &[FieldError]) -> Response<Body> {
    json_response(
        422,
        &serde_json::json!({"error": "validation_failed", "message": "some fields are missing or invalid", "fields": fields}),
    )
}

/// A JSON object body as flat text fields, only `known` names allowed.
pub fn json_fields(req: &Request, known: &[&str]) -> Result<BTreeMap<String, String>, Refusal> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok());
    let form = match read_form(content_type, req.body()) {
        Ok(f) if f.encoding == FormEncoding::Json => f,
        Ok(_) => return Err(Box::new(error_response(415, "unsupported_media_type", "send application/json", None))),
        Err(BodyError::Fields(fields)) => return Err(Box::new(invalid(&fields))),
        Err(e) => return Err(Box::new(error_response(e.status(), e.code(), &e.to_string(), None))),
    };
    let unknown: Vec<FieldError> = form
        .fields
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| FieldError::new(k, "unknown_field", format!("{k} is not a field of this request")))
        .collect();
    if !unknown.is_empty() {
        return Err(Box::new(invalid(&unknown)));
    }
    Ok(form.fields)
}

/// The `Idempotency-Key` header, when it is usable.
pub fn idempotency_key(req: &Request) -> Result<Option<String>, Refusal> {
    match req.headers().get("idempotency-key").map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(k)) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(k.to_string())),
        Some(_) => Err(Box::new(invalid(&[FieldError::new(
            "Idempotency-Key",
            "invalid_header",
            "Idempotency-Key must be 1-255 visible ASCII characters",
        )]))),
    }
}
