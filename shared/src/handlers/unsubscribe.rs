//! `GET` and `POST /unsubscribe?t=<token>`: the public, signed email opt-out.
//!
//! `GET` (a person clicking the footer link) shows a page with one button; it changes nothing,
//! because mail scanners and link previews fetch links. `POST` unsubscribes: the page's button,
//! and RFC 8058 one-click (the mail client posts `List-Unsubscribe=One-Click` to the
//! `List-Unsubscribe` URL). Every answer is the same small page whatever the link names, so the
//! route tells an anonymous caller nothing about anyone; an invalid or expired link gets 400.

use crate::app::unsubscribe::{unsubscribe, UnsubscribeError};
use crate::app::Services;
use crate::http::query_param;
use lambda_http::{Body, Request, Response};
use tracing::{info, warn};

fn page(status: u16, title: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("content-security-policy", "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
        .body(Body::Text(html))
        .expect("static headers are valid")
}

fn invalid() -> Response<Body> {
    page(
        400,
        "This link is not valid",
        "<p>The unsubscribe link is incomplete or has expired. Use the link in a more recent email, or reply to it and ask us to stop.</p>",
    )
}

/// A token as it may appear in a link: the signed token's alphabet only (nothing to escape).
fn token(req: &Request) -> Option<String> {
    query_param(req, "t").filter(|t| t.len() <= 512 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'))
}

/// The `unsubscribe` function's one entry: `GET` is [`confirm_page`], every other method
/// [`handle`].
pub async fn route(services: &Services, req: Request) -> Response<Body> {
    if req.method() == lambda_http::http::Method::GET {
        confirm_page(services, req).await
    } else {
        handle(services, req).await
    }
}

/// `GET`: the confirmation page (changes nothing).
pub async fn confirm_page(services: &Services, req: Request) -> Response<Body> {
    let Some(t) = token(&req) else { return invalid() };
    if services.links.verify(crate::app::unsubscribe::PURPOSE, &t, services.clock.now()).is_err() {
        return invalid();
    }
    let org = html_escape(&services.config.organization.name);
    page(
        200,
        "Unsubscribe from emails",
        &format!(
            "<p>Stop emails from {org}?</p><form method=\"post\" action=\"?t={t}\"><button type=\"submit\">Unsubscribe</button></form>"
        ),
    )
}

/// `POST`: unsubscribes (the page's button, or RFC 8058 one-click).
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let Some(t) = token(&req) else { return invalid() };
    match unsubscribe(services, &t).await {
        Ok(outcome) => {
            info!(outcome = ?outcome, "unsubscribe link followed");
            let org = html_escape(&services.config.organization.name);
            page(
                200,
                "You are unsubscribed",
                &format!("<p>{org} will send you no more emails. Texts and calls you agreed to are not affected.</p>"),
            )
        }
        Err(UnsubscribeError::Invalid(why)) => {
            info!(reason = %why, "unsubscribe link refused");
            invalid()
        }
        Err(e) => {
            warn!(error = %e, "unsubscribe failed; the link can be followed again");
            page(503, "Please try again", "<p>We could not record your request just now. Please follow the link again in a minute.</p>")
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
