//! The team routes: `GET /team` (admin, manager, agent) lists members with their shift,
//! availability and on-call status; `PUT /team/{member}/availability` (an administrator, or a
//! manager for the members they manage or who work at their facilities: `auth::policy`) marks a
//! member away (`{"away": true, "until": "2026-03-04T13:00:00Z"}`) or back (`{"away": false}`)
//! without a redeploy. Both are recorded in the audit trail, refusals as denied.

use super::guard::{self, authenticate, refuse};
use super::staff::{invalid, json_fields};
use crate::app::team::{set_availability, status, AvailabilityError};
use crate::app::Services;
use crate::auth::policy;
use crate::domain::intake_form::FieldError;
use crate::domain::routing::MemberId;
use crate::domain::AuditAction;
use crate::http::{error_response, json_response};
use chrono::DateTime;
use lambda_http::{Body, Request, Response};
use tracing::warn;

/// What the audit trail names: the roster read, a member's availability written.
const ROSTER: &str = "team.members";
const AVAILABILITY: &str = "team.availability";

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
    let caller = match authenticate(&req, "GET /team") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_view_team(&caller.principal) {
        return refuse(services, &caller, AuditAction::Read, None).await;
    }
    match status(services).await {
        Ok(members) => match guard::record(services, &caller, AuditAction::Read, None, &[ROSTER]).await {
            Ok(()) => json_response(200, &serde_json::json!({ "members": members })),
            Err(r) => r,
        },
        Err(e) => {
            warn!(error = %e, "team status unavailable");
            guard::unavailable(caller.request_id())
        }
    }
}

/// `PUT /team/{member}/availability`.
pub async fn availability(services: &Services, req: Request) -> Response<Body> {
    let caller = match authenticate(&req, "PUT /team/{member}/availability") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let team = &services.config.team;
    let member = guard::path_text(&req, "member").ok().and_then(|m| MemberId::parse(&m)).and_then(|id| team.members.get(&id));
    if !policy::can_manage_members(&caller.principal) {
        return refuse(services, &caller, AuditAction::Update, None).await;
    }
    let Some(member) = member else {
        return error_response(404, "not_found", "no such team member", caller.request_id());
    };
    if !policy::can_manage_member(&caller.principal, team, member) {
        let mut entry = caller.entry(services, AuditAction::Update).denied();
        entry.subject_user = Some(member.id.to_string());
        let _ = guard::record_entry(services, &entry).await;
        return guard::forbidden();
    }
    let fields = match json_fields(&req, &["away", "until"]) {
        Ok(f) => f,
        Err(resp) => return resp,
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
    match set_availability(services, member.id.as_str(), away, until, &caller.principal.user_id).await {
        Ok(record) => {
            let mut entry = caller.entry(services, AuditAction::Update).fields(&[AVAILABILITY]);
            entry.subject_user = Some(member.id.to_string());
            match guard::record_entry(services, &entry).await {
                Ok(()) => json_response(200, &serde_json::json!({ "member": member.id, "availability": record })),
                Err(r) => r,
            }
        }
        Err(AvailabilityError::UnknownMember) => error_response(404, "not_found", "no such team member", caller.request_id()),
        Err(AvailabilityError::Store(e)) => {
            warn!(error = %e, "availability not stored");
            guard::unavailable(caller.request_id())
        }
    }
}
