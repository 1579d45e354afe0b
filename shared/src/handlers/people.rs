//! Person rights, for administrators: `GET /people/{id}/export` returns everything held about
//! the person one of whose leads is `{id}`; `DELETE /people/{id}` erases it. Both are recorded in
//! the audit trail (one entry per lead) before anything is returned or changed; the trail keeps
//! that an export or erasure happened, and by whom, after the data itself is gone.

// The `Err` of these helpers is the HTTP answer itself, built once per request and returned
// straight to the caller: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use super::guard::{authenticate, path_lead_id, record_entry, refuse, unavailable, Caller};
use crate::app::person::{erase as erase_person, export as export_person, resolve, Person};
use crate::app::Services;
use crate::auth::{policy, Principal};
use crate::domain::audit::fields;
use crate::domain::AuditAction;
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, Response};
use tracing::{info, warn};

/// Routes the people function's requests by method.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    match *req.method() {
        http::Method::DELETE => erase(services, req).await,
        _ => export(services, req).await,
    }
}

/// The administrator's request about the person one of whose leads is `{id}`: the caller,
/// allowed by `allowed`, and the person, with one `action` entry per lead of theirs written
/// before anything is returned or changed.
async fn prepare(
    services: &Services,
    req: &Request,
    route: &str,
    action: AuditAction,
    allowed: fn(&Principal) -> bool,
) -> Result<(Caller, Person), Response<Body>> {
    let caller = authenticate(req, route)?;
    if !allowed(&caller.principal) {
        return Err(refuse(services, &caller, action, path_lead_id(req, "id").ok()).await);
    }
    let id = path_lead_id(req, "id")?;
    let person = match resolve(services, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(error_response(404, "not_found", "no such record", None)),
        Err(e) => {
            warn!(lead_id = %id, error = %e, "person lookup failed");
            return Err(unavailable(caller.request_id()));
        }
    };
    for lead in &person.keys.lead_ids {
        record_entry(services, &caller.entry(services, action).lead(*lead).fields(fields::WHOLE_LEAD)).await?;
    }
    Ok((caller, person))
}

/// `GET /people/{id}/export`.
pub async fn export(services: &Services, req: Request) -> Response<Body> {
    let (caller, person) = match prepare(services, &req, "GET /people/{id}/export", AuditAction::Export, policy::can_export_person).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match export_person(services, &person).await {
        Ok(export) => {
            info!(leads = person.keys.lead_ids.len(), "person exported");
            json_response(200, &export)
        }
        Err(e) => {
            warn!(error = %e, "person export failed");
            unavailable(caller.request_id())
        }
    }
}

/// `DELETE /people/{id}`.
pub async fn erase(services: &Services, req: Request) -> Response<Body> {
    let (caller, person) = match prepare(services, &req, "DELETE /people/{id}", AuditAction::Erase, policy::can_erase_person).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match erase_person(services, &person).await {
        Ok(report) => {
            info!(leads = person.keys.lead_ids.len(), "person erased");
            json_response(200, &report)
        }
        Err(e) => {
            // Erasure is idempotent: the caller retries and the rest is erased.
            warn!(error = %e, "person erasure failed part-way");
            unavailable(caller.request_id())
        }
    }
}
