//! JSON responses. Error bodies carry a stable code, a message and (for validation) the fields;
//! never internal error text or the submitted values.

use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON response with the headers every API answer carries.
pub fn json_response(status: u16, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string());
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

/// An error answer: `{"error": code, "message": ..., "request_id": ...}`.
pub fn error_response(status: u16, code: &str, message: &str, request_id: Option<&str>) -> Response<Body> {
    json_response(status, &ErrorBody { error: code, message, request_id })
}

/// A 422 naming one invalid field or parameter: `{"error": "validation_failed", "fields":
/// [{"field", "code": "invalid", "message"}]}`, the shape intake uses for many fields.
pub fn invalid_field(field: &str, message: &str) -> Response<Body> {
    json_response(
        422,
        &serde_json::json!({"error": "validation_failed", "message": message, "fields": [{"field": field, "code": "invalid", "message": message}]}),
    )
}
