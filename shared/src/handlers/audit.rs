//! `GET /audit/leads/{id}` and `GET /audit/users/{id}`: the audit trail, for administrators.
//! Reading the trail is itself recorded, before the entries are returned.
//!
//! Query: `after` (an entry id, to page on) and `limit` (1-500, default 100); a value that is not
//! usable, or another parameter, is a 422 naming each. A user id is a
//! staff user's JWT `sub`. The public form (`public_form`) and system components
//! (`system:{component}`) have no trail of their own: their entries, most of a lead's, are kept
//! by lead only (an index entry each would double the trail's writes), so asking for one is a
//! 422 naming `id` that points to the lead's trail.

// The `Err` of these helpers is the HTTP answer itself, built once per request and returned
// straight to the caller: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use super::guard::{authenticate, path_lead_id, path_text, record_entry, refuse, unavailable};
use super::staff::invalid;
use crate::app::Services;
use crate::auth::policy;
use crate::domain::intake_form::FieldError;
use crate::domain::{AuditAction, AuditEntry, EventId, LeadId};
use crate::http::json_response;
use crate::ports::Page;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::collections::BTreeSet;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

#[derive(Serialize)]
struct Listing {
    items: Vec<AuditEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<EventId>,
}

/// The query parameters of both routes.
const PARAMETERS: [&str; 2] = ["after", "limit"];

/// `after` and `limit` from the query string; a parameter that is not usable, or not one of
/// these, is a 422 naming it (every one at once).
fn paging(req: &Request) -> Result<(Option<EventId>, usize), Response<Body>> {
    let q = req.query_string_parameters_ref();
    let mut errors: Vec<FieldError> = q
        .map(|q| q.iter().map(|(k, _)| k).filter(|k| !PARAMETERS.contains(k)).collect::<BTreeSet<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|k| FieldError::new(k, "unknown_parameter", format!("{k} is not a parameter here (after, limit)")))
        .collect();
    let after = match q.and_then(|q| q.first("after")).map(|a| a.trim().parse::<EventId>()) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(_)) => {
            errors.push(FieldError::new("after", "invalid_cursor", "after must be the `next` of an earlier page"));
            None
        }
    };
    let limit = match q.and_then(|q| q.first("limit")).map(|l| l.trim().parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new("limit", "invalid_number", format!("limit must be a number from 1 to {MAX_LIMIT}")));
            DEFAULT_LIMIT
        }
    };
    if errors.is_empty() {
        Ok((after, limit))
    } else {
        Err(invalid(&errors))
    }
}

fn listing(page: Page<AuditEntry>) -> Response<Body> {
    json_response(200, &Listing { items: page.items, next: page.next })
}

/// Whose trail is asked for.
enum Subject {
    Lead(LeadId),
    /// A staff user id (JWT `sub`).
    Actor(String),
}

/// The staff user `id` names; a 422 naming `id` for the public form and system components.
fn staff_user(id: String) -> Result<Subject, Response<Body>> {
    if id == "public_form" || id.starts_with("system:") {
        return Err(invalid(&[FieldError::new(
            "id",
            "not_a_staff_user",
            "entries by the public form and by system components are in each lead's trail: GET /audit/leads/{id}",
        )]));
    }
    Ok(Subject::Actor(id))
}

/// Routes the audit function's requests by path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    if req.uri().path().starts_with("/audit/users/") {
        by_user(services, req).await
    } else {
        by_lead(services, req).await
    }
}

/// `GET /audit/leads/{id}`.
pub async fn by_lead(services: &Services, req: Request) -> Response<Body> {
    read_trail(services, &req, "GET /audit/leads/{id}", |req| path_lead_id(req, "id").map(Subject::Lead)).await
}

/// `GET /audit/users/{id}`.
pub async fn by_user(services: &Services, req: Request) -> Response<Body> {
    read_trail(services, &req, "GET /audit/users/{id}", |req| path_text(req, "id").and_then(staff_user)).await
}

/// Checks the caller, records the read of the trail (before anything is returned), then reads it.
async fn read_trail(
    services: &Services,
    req: &Request,
    route: &str,
    subject: fn(&Request) -> Result<Subject, Response<Body>>,
) -> Response<Body> {
    let caller = match authenticate(req, route) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_read_audit(&caller.principal) {
        let lead = match subject(req) {
            Ok(Subject::Lead(id)) => Some(id),
            _ => None,
        };
        return refuse(services, &caller, AuditAction::ReadAudit, lead).await;
    }
    let subject = match subject(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (after, limit) = match paging(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut entry = caller.entry(services, AuditAction::ReadAudit);
    match &subject {
        Subject::Lead(id) => entry.lead_id = Some(*id),
        Subject::Actor(user) => entry.subject_user = Some(user.clone()),
    }
    if let Err(r) = record_entry(services, &entry).await {
        return r;
    }
    let page = match &subject {
        Subject::Lead(id) => services.audit.by_lead(*id, after, limit).await,
        Subject::Actor(user) => services.audit.by_actor(&format!("user:{user}"), after, limit).await,
    };
    match page {
        Ok(page) => listing(page),
        Err(_) => unavailable(caller.request_id()),
    }
}
