//! The embeddable form's public routes (`functions/src/forms.rs`): nothing here reads or
//! changes a lead.
//!
//! | route | answer |
//! |---|---|
//! | `GET /forms/embed.js` | the page script (form and first-party attribution snippet); cacheable |
//! | `GET /forms/{id}?lang=es` | the form's definition in a language; cacheable |
//! | `GET /forms/{id}/start` | a fresh signed start token (`no-store`) |
//! | `GET /forms/{id}/page?lang=es&return=URL` | the form as a plain HTML page, for visitors without JavaScript |
//! | `POST /visits` | a page-view or key-event beacon ([`visits`]) |
//!
//! Browsers read the JSON answers across origins only from the configured origins (CORS is
//! answered by API Gateway in AWS, by the local runner here). No answer sets a cookie.

use crate::app::webform::{definition, start, Definition};
use crate::app::Services;
use crate::domain::intake_form::FieldError;
use crate::domain::webform::FormSpec;
use crate::handlers::request::header;
use crate::http::{error_response, json_response, query_param};
use crate::render::form_page::{self, PageState};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tracing::error;

// `POST /visits`, served by this function too.
pub mod visits;

/// How long browsers and CDNs may keep the script and the definitions: short, so a changed
/// configuration reaches pages within minutes (revalidation by ETag is cheap).
const PUBLIC_CACHE: &str = "public, max-age=300";

/// The page script as served: the source with the form's stylesheet inlined, and its ETag.
pub fn script() -> &'static (String, String) {
    static SCRIPT: OnceLock<(String, String)> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let css = serde_json::to_string(form_page::CSS).expect("text serializes");
        let js = include_str!("../../assets/embed.js").replace("\"__LEADFLOW_CSS__\"", &css);
        let etag = etag(js.as_bytes());
        (js, etag)
    })
}

fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..32])
}

/// A cacheable answer, or 304 when the caller has it already.
fn cacheable(req: &Request, content_type: &str, body: String) -> Response<Body> {
    let tag = etag(body.as_bytes());
    let fresh = header(req, "if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    Response::builder()
        .status(if fresh { 304 } else { 200 })
        .header("content-type", content_type)
        .header("cache-control", PUBLIC_CACHE)
        .header("etag", tag)
        .header("x-content-type-options", "nosniff")
        // Pages that isolate themselves (COEP) may still load it.
        .header("cross-origin-resource-policy", "cross-origin")
        .body(if fresh { Body::Empty } else { Body::Text(body) })
        .expect("static headers are valid")
}

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (req.method().as_str(), parts.as_slice()) {
        ("GET", ["forms", "embed.js"]) => cacheable(&req, "text/javascript; charset=utf-8", script().0.clone()),
        ("GET", ["forms", id]) => match form(services, id) {
            Some(f) => {
                let d = definition(&services.config, f, f.language(query_param(&req, "lang").as_deref()));
                cacheable(&req, "application/json", serde_json::to_string(&d).expect("a definition serializes"))
            }
            None => unknown_form(),
        },
        ("GET", ["forms", id, "start"]) => match form(services, id) {
            Some(f) => match start(&services.config, &services.links, f, services.clock.now()) {
                Ok(Some(answer)) => json_response(200, &answer),
                Ok(None) => json_response(200, &serde_json::json!({})),
                Err(e) => {
                    error!(error = %e, "no start token: the link signing key is not configured");
                    error_response(503, "temporarily_unavailable", "the form cannot be started now", None)
                }
            },
            None => unknown_form(),
        },
        ("GET", ["forms", id, "page"]) => match form(services, id) {
            Some(f) => page(services, &req, f),
            None => unknown_form(),
        },
        ("POST", ["visits"]) => visits::handle(services, req).await,
        _ => error_response(404, "not_found", "no such route", None),
    }
}

fn form<'a>(services: &'a Services, id: &str) -> Option<&'a FormSpec> {
    services.config.forms.get(id)
}

fn unknown_form() -> Response<Body> {
    error_response(404, "unknown_form", "no form with this id is configured", None)
}

/// The page the form was shown on, as the browser named it (`Referer`): an http(s) URL
/// without its query string or fragment (which may carry anything).
fn page_url(req: &Request) -> Option<String> {
    header(req, "referer")
        .filter(|r| r.starts_with("https://") || r.starts_with("http://"))
        .and_then(|r| r.split(['?', '#']).next())
        .filter(|r| r.len() <= 1000)
        .map(str::to_string)
}

/// An HTML answer of the form page (or its thank-you page), locked down by its own CSP.
pub fn html(services: &Services, status: u16, body: String) -> Response<Body> {
    let intake = &services.config.intake;
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", form_page::content_security_policy(&intake.cors_origins, &intake.redirect_origins))
        .body(Body::Text(body))
        .expect("static headers are valid")
}

/// `GET /forms/{id}/page`: the form for visitors without JavaScript, with a fresh start token.
fn page(services: &Services, req: &Request, f: &FormSpec) -> Response<Body> {
    let language = f.language(query_param(req, "lang").as_deref());
    let def = definition(&services.config, f, language);
    let token = match start(&services.config, &services.links, f, services.clock.now()) {
        Ok(a) => a.map(|a| a.token),
        Err(e) => {
            error!(error = %e, "no start token: the link signing key is not configured");
            let state = PageState { action: "../../leads", notice: Some(def.texts["error_unavailable"].clone()), ..Default::default() };
            return html(services, 503, form_page::page(&def, &state));
        }
    };
    let back = query_param(req, "return").and_then(|r| super::intake::allowed_redirect(services, &r)).or_else(|| f.redirect_to.clone());
    let url = page_url(req);
    let state = PageState {
        action: "../../leads",
        start_token: token.as_deref(),
        redirect_to: back.as_deref(),
        page_url: url.as_deref(),
        ..Default::default()
    };
    html(services, 200, form_page::page(&def, &state))
}

/// The definition of the form a post names, in the language it was shown in.
fn posted_definition(services: &Services, fields: &BTreeMap<String, String>) -> Option<Definition> {
    let f = form(services, fields.get("form_id")?.trim())?;
    Some(definition(&services.config, f, f.language(fields.get("form_language").map(String::as_str))))
}

/// Intake's refusal of a post from the page without JavaScript: the page again, the person's
/// values kept (never the screening fields), each problem next to its field, the start token
/// kept unless it was the problem.
pub fn refused_page(
    services: &Services,
    posted: &BTreeMap<String, String>,
    errors: &[FieldError],
    notice: Option<&str>,
    status: u16,
) -> Option<Response<Body>> {
    let def = posted_definition(services, posted)?;
    let spam = &services.config.data_quality.spam;
    let start_field = spam.start_field.as_deref();
    let token_refused = errors.iter().any(|e| Some(e.field.as_str()) == start_field && e.code != "submitted_too_fast");
    let fresh;
    let token = match start_field.and_then(|f| posted.get(f)) {
        Some(t) if !token_refused => Some(t.as_str()),
        _ => {
            let f = form(services, &def.form)?;
            fresh = start(&services.config, &services.links, f, services.clock.now()).ok().flatten().map(|a| a.token);
            fresh.as_deref()
        }
    };
    let values = posted
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != start_field && Some(k.as_str()) != spam.honeypot_field.as_deref())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let state = PageState {
        action: "leads",
        values,
        errors,
        notice: notice.map(str::to_string),
        start_token: token,
        redirect_to: posted.get("redirect_to").map(String::as_str),
        page_url: posted.get("page_url").map(String::as_str),
    };
    Some(html(services, status, form_page::page(&def, &state)))
}

/// The thank-you page after an accepted post from the page without JavaScript that named no
/// page to go back to.
pub fn thanks_page(services: &Services, posted: &BTreeMap<String, String>) -> Option<Response<Body>> {
    let def = posted_definition(services, posted)?;
    Some(html(services, 200, form_page::thanks(&def, None)))
}
