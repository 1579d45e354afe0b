//! What every staff route does before it touches data: identify the caller (401/403 without a
//! usable identity), check the role matrix (`auth::policy`), and write the audit trail. A
//! refusal answers 403 with a fixed body, changes nothing, and is itself recorded.
//!
//! A handler for a lead route reads:
//!
//! ```ignore
//! let caller = match guard::authenticate(&req, "GET /leads/{id}") { Ok(c) => c, Err(r) => return r };
//! // 404 for no such lead; 403 (recorded as denied) when the matrix says no.
//! let lead = match guard::lead(services, &caller, &req, AuditAction::Read, policy::can_read_lead).await {
//!     Ok(l) => l,
//!     Err(r) => return r,
//! };
//! if let Err(r) = guard::record(services, &caller, AuditAction::Read, Some(lead.id), fields::WHOLE_LEAD).await {
//!     return r; // not recorded, not returned
//! }
//! json_response(200, &lead)
//! ```
//!
//! A change is recorded after it is saved, naming the changed field paths
//! ([`record_change`]), with an id derived from the change's timeline entry so a retried request
//! records it once.

// The `Err` of these helpers is the HTTP answer itself, built once per request and returned
// straight to the caller: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use crate::app::audit::{record as append, staff_entry, RequestMeta};
use crate::app::Services;
use crate::auth::{policy, principal, AuthError, Principal};
use crate::domain::routing::Team;
use crate::domain::{AuditAction, AuditEntry, EventId, Lead, LeadId};
use crate::handlers::request::{request_id, source_ip};
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::warn;

/// A verified caller and where the request came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub meta: RequestMeta,
}

impl Caller {
    /// An audit entry for this caller's request.
    pub fn entry(&self, services: &Services, action: AuditAction) -> AuditEntry {
        staff_entry(services.clock.now(), &self.principal, action, &self.meta)
    }

    /// API Gateway's request id, for error answers.
    pub fn request_id(&self) -> Option<&str> {
        self.meta.request_id.as_deref()
    }
}

/// API Gateway's own answer when no valid token came with the request.
pub fn unauthorized() -> Response<Body> {
    json_response(401, &serde_json::json!({"message": "Unauthorized"}))
}

/// The fixed refusal: nothing about the resource, nothing from the request.
pub fn forbidden() -> Response<Body> {
    error_response(403, "forbidden", "you are not allowed to do this", None)
}

/// The caller of `req` on `route` (`METHOD /pattern`), or the 401/403 to answer.
pub fn authenticate(req: &Request, route: &str) -> Result<Caller, Response<Body>> {
    let meta = RequestMeta { source_ip: source_ip(req), request_id: request_id(req), route: route.to_string() };
    match principal(req) {
        Ok(principal) => Ok(Caller { principal, meta }),
        Err(AuthError::Unauthenticated) => Err(unauthorized()),
        Err(e @ AuthError::NoRole) => Err(error_response(e.status(), "forbidden", &e.to_string(), meta.request_id.as_deref())),
    }
}

/// Records the refusal and answers 403. The refusal is answered even if recording fails.
pub async fn refuse(services: &Services, caller: &Caller, action: AuditAction, lead_id: Option<LeadId>) -> Response<Body> {
    let mut entry = caller.entry(services, action).denied();
    entry.lead_id = lead_id;
    let _ = append(services, &entry).await;
    forbidden()
}

/// The lead named by the `{id}` path parameter, if `allowed` lets the caller at it: 404 for an
/// id that names no lead, 403 (recorded as denied) for a lead outside the caller's scope or a
/// role with no lead access at all, 503 when the store does not answer.
pub async fn lead(
    services: &Services,
    caller: &Caller,
    req: &Request,
    action: AuditAction,
    allowed: fn(&Principal, &Team, &Lead) -> bool,
) -> Result<Lead, Response<Body>> {
    let id = path_lead_id(req, "id")?;
    if !policy::can_list_leads(&caller.principal) {
        return Err(refuse(services, caller, action, Some(id)).await);
    }
    let lead = match services.leads.get(id).await {
        Ok(Some(lead)) => lead,
        Ok(None) => return Err(error_response(404, "not_found", "no such record", caller.request_id())),
        Err(e) => {
            warn!(lead_id = %id, error = %e, "lead not readable");
            return Err(unavailable(caller.request_id()));
        }
    };
    if !allowed(&caller.principal, &services.config.team, &lead) {
        return Err(refuse(services, caller, action, Some(id)).await);
    }
    Ok(lead)
}

/// Records an allowed action; `Err` is the 503 to answer when the trail cannot be written (the
/// data is then not returned: no unrecorded reads).
pub async fn record(
    services: &Services,
    caller: &Caller,
    action: AuditAction,
    lead_id: Option<LeadId>,
    fields: &[&'static str],
) -> Result<(), Response<Body>> {
    let mut entry = caller.entry(services, action).fields(fields);
    entry.lead_id = lead_id;
    record_entry(services, &entry).await
}

/// Records a saved change of `lead_id` (the changed `fields`), once per change: the entry's id
/// derives from `change` (the change's timeline entry id), so a retried request records nothing
/// twice. `Err` is the 503 to answer; the change itself is saved and a retry is safe.
pub async fn record_change(
    services: &Services,
    caller: &Caller,
    lead_id: LeadId,
    fields: &[&'static str],
    change: EventId,
) -> Result<(), Response<Body>> {
    let entry = caller.entry(services, AuditAction::Update).lead(lead_id).fields(fields).derived(&format!("{lead_id}:{change}"));
    record_entry(services, &entry).await
}

/// Records a prepared entry; `Err` is the 503 to answer.
pub async fn record_entry(services: &Services, entry: &AuditEntry) -> Result<(), Response<Body>> {
    append(services, entry).await.map_err(|_| unavailable(entry.request_id.as_deref()))
}

/// The 503 for a store that did not answer.
pub fn unavailable(request_id: Option<&str>) -> Response<Body> {
    error_response(503, "temporarily_unavailable", "the request could not be completed; retry shortly", request_id)
}

/// A path parameter as a lead id; `Err` is a 404 that does not repeat the parameter.
pub fn path_lead_id(req: &Request, name: &str) -> Result<LeadId, Response<Body>> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .and_then(|v| v.parse::<LeadId>().ok())
        .ok_or_else(|| error_response(404, "not_found", "no such record", None))
}

/// A path parameter as text (at most 128 visible ASCII characters).
pub fn path_text(req: &Request, name: &str) -> Result<String, Response<Body>> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .ok_or_else(|| error_response(404, "not_found", "no such record", None))
}
