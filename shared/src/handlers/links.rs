//! `GET` and `POST /links/confirm`: the page a confirmation link opens. Public (the signed token
//! in the link is the authorization). The `GET` only shows a button: mail scanners and link
//! previews open links, so nothing changes until the person presses it (`POST`, form-encoded
//! `token`). Every refusal is the same page whatever the reason (forged, expired, for another
//! purpose), and no page names a lead, a person or an address.

use crate::app::contact_points::{confirm_link, point_of_token, PointError, CONFIRM_PATH};
use crate::app::Services;
use crate::domain::inquiry::PointKind;
use crate::http::body::{read_form, FormEncoding};
use crate::http::query_param;
use lambda_http::{Body, Request, Response};
use tracing::warn;

/// Handles one request.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let org = html_escape(&services.config.organization.name);
    match req.method().as_str() {
        "GET" => {
            let token = query_param(&req, "token").unwrap_or_default();
            let Some(point) = point_of_token(services, &token) else { return page(400, &org, INVALID) };
            let what = match point.kind {
                PointKind::Phone => "phone number",
                PointKind::Email => "email address",
            };
            let body = format!(
                "<p>Confirm the new {what} you gave {org} for your inquiry.</p>\
                 <form method=\"post\" action=\"{CONFIRM_PATH}\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
                 <button type=\"submit\">Confirm</button></form><p>If you did not send it, close this page: nothing changes.</p>",
                html_escape(&token)
            );
            page(200, &org, &body)
        }
        "POST" => {
            let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok());
            let token = match read_form(content_type, req.body()) {
                Ok(f) if f.encoding == FormEncoding::UrlEncoded => f.fields.get("token").cloned().unwrap_or_default(),
                _ => return page(400, &org, INVALID),
            };
            match confirm_link(services, &token).await {
                Ok(_) => page(200, &org, "<p>Thank you: it is confirmed.</p>"),
                Err(PointError::BadLink | PointError::Refused(_) | PointError::NoLead) => page(400, &org, INVALID),
                Err(e) => {
                    warn!(error = %e, "confirmation not recorded");
                    page(503, &org, "<p>Something went wrong on our side. Please try the link again in a minute.</p>")
                }
            }
        }
        _ => page(405, &org, INVALID),
    }
}

const INVALID: &str = "<p>This link is not valid or has expired.</p>";

fn page(status: u16, org: &str, body: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{org}</title></head><body><main><h1>{org}</h1>{body}</main></body></html>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        // The token is in the URL: no referrer carries it anywhere.
        .header("referrer-policy", "no-referrer")
        .header("x-robots-tag", "noindex")
        .header("content-security-policy", "default-src 'none'; form-action 'self'")
        .body(Body::Text(html))
        .expect("a valid response")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
