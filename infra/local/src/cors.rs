//! CORS, answered as API Gateway's `CorsConfiguration` in template.yaml does in AWS: it applies
//! to the whole HTTP API, so a preflight from a configured origin (`intake.cors_origins`; the
//! template's `AllowedOrigins` must list the same) asking for an allowed method and headers gets
//! them, on any route; any other origin, method or header gets no CORS headers, and the browser
//! refuses the call. The browser form posts `POST /leads`; a staff app on the same origins calls
//! the staff routes with its token (`authorization`). No credentials (cookies) are ever allowed:
//! staff routes need the bearer token, which another site's page cannot read.

use lambda_http::{Body, Response};
use leadflow::config::Config;

/// `AllowMethods` in template.yaml.
pub const ALLOWED_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE"];
/// `AllowHeaders` in template.yaml.
pub const ALLOWED_HEADERS: &[&str] = &["content-type", "idempotency-key", "authorization"];

fn allowed(config: &Config, origin: Option<&str>) -> Option<String> {
    let origin = origin?.trim_end_matches('/');
    config.intake.cors_origins.iter().any(|o| o == origin).then(|| origin.to_string())
}

/// The answer to an `OPTIONS` request.
pub fn preflight(config: &Config, origin: Option<&str>, headers: &http::HeaderMap) -> Response<Body> {
    let method_ok = headers
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| ALLOWED_METHODS.iter().any(|a| a.eq_ignore_ascii_case(m.trim())));
    let headers_ok = headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .map(|h| {
            h.split(',').map(|x| x.trim().to_ascii_lowercase()).filter(|x| !x.is_empty()).all(|x| ALLOWED_HEADERS.contains(&x.as_str()))
        })
        .unwrap_or(true);
    let mut resp = Response::builder().status(204).header("vary", "origin");
    if let (true, true, Some(o)) = (method_ok, headers_ok, allowed(config, origin)) {
        resp = resp
            .header("access-control-allow-origin", o)
            .header("access-control-allow-methods", ALLOWED_METHODS.join(","))
            .header("access-control-allow-headers", ALLOWED_HEADERS.join(","))
            .header("access-control-max-age", "600");
    }
    resp.body(Body::Empty).expect("static headers are valid")
}

/// Adds the allow-origin header to an answer for a configured origin.
pub fn decorate(config: &Config, origin: Option<&str>, resp: &mut Response<Body>) {
    resp.headers_mut().insert("vary", http::HeaderValue::from_static("origin"));
    if let Some(o) = allowed(config, origin).and_then(|o| http::HeaderValue::from_str(&o).ok()) {
        resp.headers_mut().insert("access-control-allow-origin", o);
    }
}
