//! `POST /leads/{id}/touchpoints` (whoever may change the lead: `auth::policy`; an
//! integration's service account signs in as a member of the team): record what a lead did
//! after capture, so it is scored again. Recorded in the audit trail.
//!
//! Body: `{"kind": "page_view"|"download"|"email_open"|"email_click"|"appointment_request"|
//! "call"|"chat"|..., "page": "/pricing", "at": "2026-03-03T15:00:00Z", "channel": "web_form",
//! "utm_source": ...}`. Answers 201 `{"entry_id"}`.

use super::guard;
use super::staff::{change_request, invalid, ChangeRequest};
use crate::app::touchpoints::{record, TouchpointError};
use crate::app::Services;
use crate::domain::audit::fields as paths;
use crate::domain::intake_form::FieldError;
use crate::domain::source::SourceDetail;
use crate::domain::text::Label;
use crate::domain::touchpoint::{Touchpoint, TouchpointKind};
use crate::domain::SourceChannel;
use crate::http::{error_response, json_response};
use chrono::{DateTime, Duration};
use lambda_http::{Body, Request, Response};
use tracing::warn;

const FIELDS: &[&str] = &[
    "kind",
    "page",
    "at",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    // Attribution detail.
    "ad_group",
    "creative",
    "gclid",
    "fbclid",
    "msclkid",
    "ttclid",
    "referrer",
    "landing_page",
];

/// Handles one request.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let ChangeRequest { caller, lead_id, idempotency_key: key, fields } =
        match change_request(services, &req, "POST /leads/{id}/touchpoints", FIELDS).await {
            Ok(r) => r,
            Err(r) => return r,
        };
    let mut errors = Vec::new();
    let kind =
        fields.get("kind").and_then(|k| serde_json::from_value::<TouchpointKind>(serde_json::Value::String(k.trim().to_string())).ok());
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "kind must be a touchpoint kind such as page_view, download, email_open, email_click, appointment_request",
        ));
    }
    let channel = match fields.get("channel") {
        None => Some(SourceChannel::WebForm),
        Some(c) => SourceChannel::parse(c),
    };
    if channel.is_none() {
        errors.push(FieldError::new("channel", "invalid_choice", "channel must be a source channel such as web_form"));
    }
    let now = services.clock.now();
    let at = match fields.get("at") {
        None => Some(now),
        Some(t) => DateTime::parse_from_rfc3339(t.trim()).ok().map(|t| t.to_utc()).filter(|t| *t <= now + Duration::minutes(5)),
    };
    if at.is_none() {
        errors.push(FieldError::new("at", "invalid_time", "at must be an RFC 3339 time, not in the future"));
    }
    let mut label = |name: &str| match fields.get(name).filter(|v| !v.trim().is_empty()) {
        None => None,
        Some(v) => Label::parse(v, 1000).map_err(|e| errors.push(FieldError::new(name, "invalid_text", format!("{name} {e}")))).ok(),
    };
    let page = label("page");
    let detail = SourceDetail {
        utm_source: label("utm_source"),
        utm_medium: label("utm_medium"),
        utm_campaign: label("utm_campaign"),
        utm_term: label("utm_term"),
        utm_content: label("utm_content"),
        ad_group: label("ad_group"),
        creative: label("creative"),
        gclid: label("gclid"),
        fbclid: label("fbclid"),
        msclkid: label("msclkid"),
        ttclid: label("ttclid"),
        referrer: label("referrer"),
        landing_page: label("landing_page"),
    };
    let (Some(kind), Some(channel), Some(at)) = (kind, channel, at) else { return invalid(&errors) };
    if !errors.is_empty() {
        return invalid(&errors);
    }
    let touchpoint = Touchpoint { at, kind, channel, detail, page };
    match record(services, lead_id, touchpoint, fields.contains_key("at"), &caller.principal.user_id, key.as_deref()).await {
        Ok((entry_id, replayed)) => match guard::record_change(services, &caller, lead_id, &[paths::TIMELINE], entry_id).await {
            Ok(()) => super::staff::replayed(json_response(201, &serde_json::json!({"entry_id": entry_id})), replayed),
            Err(r) => r,
        },
        Err(TouchpointError::NotFound) => error_response(404, "not_found", "no such lead", None),
        Err(TouchpointError::Key(e)) => super::staff::key_refused(e),
        Err(e) => {
            warn!(lead_id = %lead_id, error = %e, "touchpoint not recorded");
            error_response(503, "temporarily_unavailable", "retry with the same Idempotency-Key", None)
        }
    }
}
