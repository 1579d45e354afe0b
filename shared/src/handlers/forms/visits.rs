//! `POST /visits`: a page-view or key-event beacon from the site snippet (public; sent only
//! after the site's visitor accepted analytics). The body is a small JSON object, sent as
//! `text/plain` so the browser needs no preflight: `{"visitor": "<id>", "type": "page_view",
//! "page": "/pricing"}` or `{"visitor": "<id>", "type": "event", "event": "guide_download"}`.
//! Answers 204 (nothing to read), 400 for a body that cannot be read, 422 naming a bad or
//! unknown field, 403 from a page of another site, 429 over the per-IP limit, 404 when the
//! beacons are off.

use crate::app::visits::{record, Beacon, BeaconError};
use crate::app::Services;
use crate::domain::intake_form::FieldError;
use crate::domain::source::VisitorId;
use crate::handlers::request::{header, source_ip, strict_json};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Response};
use serde::Deserialize;
use tracing::warn;

/// Largest beacon body.
const MAX_BYTES: usize = 2048;

#[derive(Deserialize)]
struct RawBeacon {
    visitor: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    event: Option<String>,
}

fn invalid(field: &str, message: &str) -> Response<Body> {
    json_response(
        422,
        &serde_json::json!({"error": "validation_failed", "message": message, "fields": [FieldError::new(field, "invalid", message)]}),
    )
}

/// Handles one beacon. Browsers send `Origin`: only the configured sites' beacons are kept.
pub async fn handle(services: &Services, req: lambda_http::Request) -> Response<Body> {
    if let Some(origin) = header(&req, "origin") {
        if !services.config.intake.cors_origins.iter().any(|o| o == origin.trim_end_matches('/')) {
            return error_response(403, "origin_not_allowed", "beacons are taken from the configured sites only", None);
        }
    }
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_BYTES {
        return error_response(413, "payload_too_large", "a beacon is at most 2 KiB", None);
    }
    let raw: RawBeacon = match strict_json(bytes, "send {\"visitor\", \"type\": \"page_view\"|\"event\", \"page\" or \"event\"}") {
        Ok(raw) => raw,
        Err(r) => return r,
    };
    let Some(visitor) = VisitorId::parse(&raw.visitor) else { return invalid("visitor", "visitor must be 16-64 URL-safe characters") };
    let beacon = match raw.kind.as_str() {
        "page_view" => Beacon::PageView { path: raw.page.filter(|p| p.starts_with('/') && p.len() <= 500) },
        "event" => match raw.event {
            Some(name) => Beacon::Event { name },
            None => return invalid("event", "an event beacon names its event"),
        },
        _ => return invalid("type", "type must be page_view or event"),
    };
    match record(services, visitor, beacon, source_ip(&req).as_deref()).await {
        Ok(()) => Response::builder().status(204).header("cache-control", "no-store").body(Body::Empty).expect("static headers are valid"),
        Err(BeaconError::Disabled) => error_response(404, "not_enabled", "the site's beacons are not enabled", None),
        Err(BeaconError::UnknownEvent) => invalid("event", "event is not one of the configured key events"),
        Err(BeaconError::RateLimited { retry_after_seconds }) => {
            let mut resp = error_response(429, "rate_limited", "too many beacons; retry later", None);
            if let Ok(v) = http::HeaderValue::from_str(&retry_after_seconds.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
            resp
        }
        Err(BeaconError::Store(e)) => {
            warn!(error = %e, "beacon not kept");
            error_response(503, "temporarily_unavailable", "retry later", None)
        }
    }
}
