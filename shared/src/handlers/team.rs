//! The team routes: `GET /team` (admin, manager, agent) lists members with their shift,
//! availability and on-call status; `PUT /team/{member}/availability` (admin, manager) marks a
//! member away (`{"away": true, "until": "2026-03-04T13:00:00Z"}`) or back (`{"away": false}`)
//! without a redeploy.

use super::staff::{caller, invalid, json_fields, path_param};
use crate::app::team::{set_availability, status, AvailabilityError};
use crate::app::Services;
use crate::auth::Role;
use crate::domain::intake_form::FieldError;
use crate::http::{error_response, json_response};
use chrono::DateTime;
use lambda_http::{Body, Request, Response};
use tracing::warn;

/// Routes the team function's requests by method.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    match *req.method() {
        http::Method::GET => list(services, req).await,
        http::Method::PUT => availability(services, req).await,
        _ => error_response(405, "method_not_allowed", "this method is not allowed here", None),
    }
}

/// `GET /team`.
pub async fn list(services: &Services, req: Request) -> Response<Body> {
    if let Err(resp) = caller(&req, &[Role::Admin, Role::Manager, Role::Agent]) {
        return *resp;
    }
    match status(services).await {
        Ok(members) => json_response(200, &serde_json::json!({ "members": members })),
        Err(e) => {
            warn!(error = %e, "team status unavailable");
            error_response(503, "temporarily_unavailable", "try again shortly", None)
        }
    }
}

/// `PUT /team/{member}/availability`.
pub async fn availability(services: &Services, req: Request) -> Response<Body> {
    let who = match caller(&req, &[Role::Admin, Role::Manager]) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let Some(member) = path_param(&req, "member") else { return error_response(404, "not_found", "no such team member", None) };
    let fields = match json_fields(&req, &["away", "until"]) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let away = match fields.get("away").map(|v| v.trim()) {
        Some("true") => true,
        Some("false") => false,
        _ => return invalid(&[FieldError::new("away", "invalid_boolean", "away must be true or false")]),
    };
    let until = match fields.get("until") {
        None => None,
        Some(t) => match DateTime::parse_from_rfc3339(t.trim()) {
            Ok(t) if t.to_utc() > services.clock.now() => Some(t.to_utc()),
            _ => return invalid(&[FieldError::new("until", "invalid_time", "until must be a future RFC 3339 time")]),
        },
    };
    match set_availability(services, &member, away, until, &who.user_id).await {
        Ok(record) => json_response(200, &serde_json::json!({ "member": member, "availability": record })),
        Err(AvailabilityError::UnknownMember) => error_response(404, "not_found", "no such team member", None),
        Err(AvailabilityError::Store(e)) => {
            warn!(error = %e, "availability not stored");
            error_response(503, "temporarily_unavailable", "try again shortly", None)
        }
    }
}
