//! `POST /leads`: the public web-form endpoint. Accepts JSON or a plain HTML form post,
//! answers 202 with a receipt for the submission (or 303 back to the page for browser posts
//! that ask for it), and every refusal with a status and a JSON body naming the problem, in the
//! form's language when the post names its form. A post from the form page without JavaScript
//! (`reply_as=html`) is answered with that page again, each problem next to its field. Once
//! the inquiry is stored the answer is a success: what happens next (the acknowledgement,
//! scoring, routing) is delivered from the store's outbox, not from this request.

use crate::app::intake::{capture_public, Accepted, IntakeError, IntakeRequest};
use crate::app::intake_screen::Screening;
use crate::app::webform::localize;
use crate::app::Services;
use crate::domain::intake_form::{FieldError, RawSubmission};
use crate::domain::webform::Language;
use crate::handlers::request::{header, request_id, source_ip};
use crate::http::body::{read_form, BodyError, FormEncoding};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use tracing::{error, warn};

/// Longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

#[derive(Serialize)]
struct Invalid<'a> {
    error: &'a str,
    message: &'a str,
    fields: &'a [FieldError],
}

fn invalid(fields: &[FieldError]) -> Response<Body> {
    json_response(422, &Invalid { error: "validation_failed", message: "some fields are missing or invalid", fields })
}

/// Handles one request.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let request_id = request_id(&req);
    let rid = request_id.as_deref();
    let form = match read_form(header(&req, "content-type"), req.body()) {
        Ok(f) => f,
        Err(BodyError::Fields(fields)) => return invalid(&fields),
        Err(e) => return error_response(e.status(), e.code(), &e.to_string(), rid),
    };

    let idempotency_key = match header(&req, "idempotency-key") {
        None => None,
        Some(k) if !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY && k.bytes().all(|b| b.is_ascii_graphic()) => Some(k.to_string()),
        Some(_) => {
            return invalid(&[FieldError::new(
                "Idempotency-Key",
                "invalid_header",
                "Idempotency-Key must be 1-255 visible ASCII characters",
            )]);
        }
    };

    let mut fields = form.fields;
    // The form page without JavaScript asks for its answers as a page (`reply_as=html`).
    let as_page = fields.remove("reply_as").is_some_and(|v| v == "html") && form.encoding == FormEncoding::UrlEncoded;
    let posted = as_page.then(|| fields.clone());
    // Browser posts may ask to be sent back to a page; only configured origins are allowed, so
    // the route cannot be used as an open redirect.
    let redirect = match fields.remove("redirect_to") {
        Some(target) if form.encoding == FormEncoding::UrlEncoded => match allowed_redirect(services, &target) {
            Some(t) => Some(t),
            None => {
                return invalid(&[FieldError::new(
                    "redirect_to",
                    "redirect_not_allowed",
                    "redirect_to must be a page on a configured origin",
                )])
            }
        },
        Some(_) => return invalid(&[FieldError::new("redirect_to", "redirect_not_allowed", "redirect_to is only for browser form posts")]),
        None => None,
    };
    // A post that says which form and language it came from is answered in that language.
    let named_form = fields.get("form_id").and_then(|id| services.config.forms.get(id.trim()));
    let language = fields.get("form_language").and_then(|l| Language::parse(l)).or_else(|| named_form.map(|f| f.default_language()));
    let refused = |status: u16, error: &str, message: &str, mut fields: Vec<FieldError>, notice: Option<&str>| {
        if let Some(l) = language {
            localize(&mut fields, named_form, l);
        }
        if let Some(page) = posted.as_ref().and_then(|p| super::forms::refused_page(services, p, &fields, notice, status)) {
            return page;
        }
        json_response(status, &Invalid { error, message, fields: &fields })
    };

    let submission = RawSubmission { fields, ip: source_ip(&req), user_agent: header(&req, "user-agent").map(str::to_string) };
    match capture_public(services, IntakeRequest { submission, idempotency_key }).await {
        Ok(Accepted { receipt, replayed, .. }) => {
            let mut resp = match (redirect, &posted) {
                (Some(target), _) => Response::builder()
                    .status(303)
                    .header("location", target)
                    .header("cache-control", "no-store")
                    .body(Body::Empty)
                    .expect("a validated location is a valid header"),
                (None, Some(p)) => match super::forms::thanks_page(services, p) {
                    Some(page) => page,
                    None => json_response(202, &receipt),
                },
                (None, None) => json_response(202, &receipt),
            };
            if replayed {
                resp.headers_mut().insert("idempotent-replayed", http::HeaderValue::from_static("true"));
            }
            resp
        }
        Err(IntakeError::Invalid(fields)) => refused(422, "validation_failed", "some fields are missing or invalid", fields, None),
        Err(IntakeError::Screened(Screening::Rejected(fields))) => {
            refused(422, "submission_rejected", "the submission looks automated and was not accepted", fields, None)
        }
        Err(IntakeError::Screened(Screening::RateLimited { field, retry_after_seconds })) => {
            let fields = vec![FieldError::new(field, "rate_limited", "too many submissions; retry later")];
            let notice = language.map(|l| crate::domain::webform::catalog::ui(l, "error_rate_limited"));
            let mut resp = refused(429, "rate_limited", "too many submissions; retry later", fields, notice);
            if let Ok(v) = http::HeaderValue::from_str(&retry_after_seconds.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
            resp
        }
        Err(IntakeError::Screened(Screening::Unavailable)) => {
            error!("the form's start token cannot be checked: the link signing key is not configured");
            unavailable(rid)
        }
        Err(IntakeError::KeyReused) => json_response(
            422,
            &Invalid {
                error: "idempotency_key_reused",
                message: "this Idempotency-Key was used with a different request",
                fields: &[FieldError::new("Idempotency-Key", "idempotency_key_reused", "use a new key for a different request")],
            },
        ),
        Err(IntakeError::InProgress) => {
            error_response(409, "request_in_progress", "a request with this Idempotency-Key is still being handled; retry shortly", rid)
        }
        Err(IntakeError::Store(e)) if e.is_retryable() => {
            warn!(error = %e, "store unavailable");
            unavailable(rid)
        }
        Err(IntakeError::Store(e)) => {
            error!(error = %e, "intake failed");
            error_response(500, "internal_error", "the request could not be handled", rid)
        }
    }
}

/// A 503 that tells the caller how to finish the work safely.
fn unavailable(request_id: Option<&str>) -> Response<Body> {
    let mut resp = error_response(
        503,
        "temporarily_unavailable",
        "the inquiry could not be completed; retry with the same Idempotency-Key",
        request_id,
    );
    resp.headers_mut().insert("retry-after", http::HeaderValue::from_static("1"));
    resp
}

/// `target` if it is an absolute URL under a configured origin.
pub(crate) fn allowed_redirect(services: &Services, target: &str) -> Option<String> {
    let target = target.trim();
    if target.len() > 2000 || target.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    services
        .config
        .intake
        .redirect_origins
        .iter()
        .any(|origin| {
            target == origin || target.strip_prefix(origin.as_str()).is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
        })
        .then(|| target.to_string())
}
