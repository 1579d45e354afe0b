//! The follow-up routes (JWT-authorized in API Gateway; the role matrix and the audit trail
//! through `handlers::guard`, as every staff route):
//!
//! * `GET /tasks?member=&limit=`: open call tasks, soonest due first: the caller's own, or a
//!   named member's; only tasks of leads the caller may read are listed (an agent sees their
//!   team's, a manager their facilities'), each recorded as a read of that lead's tasks.
//! * `GET /leads/{id}/tasks`: every task of a lead in the caller's scope.
//! * `GET /leads/{id}/cadence`: the lead's enrollment (cadence, state, next step and when).
//! * `POST /leads/{id}/cadence/pause` and `/resume`: a team member stops the automated steps
//!   for a while (pending step cancelled) and starts them again; recorded as an update.
//!
//! Analysts get 403 on all of them (tasks and cadences are about people, not aggregates).

// The `Err` of the guard helpers is the HTTP answer itself.
#![allow(clippy::result_large_err)]

use super::guard::{self, authenticate, Caller};
use crate::app::cadence::{pause_recorded, resume_recorded, CadenceError};
use crate::app::Services;
use crate::auth::{policy, Principal};
use crate::domain::audit::fields;
use crate::domain::routing::Team;
use crate::domain::{AuditAction, Lead};
use crate::http::{error_response, invalid_field as invalid, json_response};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use tracing::{error, warn};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (req.method().as_str(), parts.as_slice()) {
        ("GET", ["tasks"]) => my_tasks(services, &req).await,
        ("GET", ["leads", _, "tasks"]) => lead_tasks(services, &req).await,
        ("GET", ["leads", _, "cadence"]) => enrollment(services, &req).await,
        ("POST", ["leads", _, "cadence", "pause"]) => change(services, &req, true).await,
        ("POST", ["leads", _, "cadence", "resume"]) => change(services, &req, false).await,
        _ => error_response(404, "not_found", "no such route", None),
    }
}

fn internal(e: impl std::fmt::Display, rid: Option<&str>) -> Response<Body> {
    error!(error = %e, "follow-up route failed");
    error_response(500, "internal_error", "the request could not be handled", rid)
}

/// The caller and the lead of `{id}` if `allowed` (404 no such lead, 403 recorded as denied).
async fn caller_and_lead(
    services: &Services,
    req: &Request,
    route: &str,
    action: AuditAction,
    allowed: fn(&Principal, &Team, &Lead) -> bool,
) -> Result<(Caller, Lead), Response<Body>> {
    let caller = authenticate(req, route)?;
    let lead = guard::lead(services, &caller, req, action, allowed).await?;
    Ok((caller, lead))
}

async fn my_tasks(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "GET /tasks") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_list_leads(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Read, None).await;
    }
    let rid = caller.request_id().map(str::to_string);
    let query =
        |name: &str| req.query_string_parameters_ref().and_then(|q| q.first(name)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    // Tasks are kept per team member; the caller's own are those of the member they sign in as.
    let own = policy::member(&caller.principal, &services.config.team).map(|m| m.id.to_string());
    let member = match query("member").or(own) {
        Some(m) if m.len() <= 128 && m.bytes().all(|b| b.is_ascii_graphic()) => m,
        Some(_) => return invalid("member", "must be a team member id"),
        None => return json_response(200, &json!({"member": null, "items": []})),
    };
    let limit = match query("limit").map(|v| v.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return invalid("limit", "must be a number from 1 to 200"),
    };
    let tasks = match services.cadence.open_tasks_of(&member, limit).await {
        Ok(t) => t,
        Err(e) => return internal(e, rid.as_deref()),
    };
    // Only tasks of leads the caller may read (the matrix decides, as for `GET /leads`).
    let mut visible = Vec::with_capacity(tasks.len());
    for t in tasks {
        match services.leads.get(t.lead_id).await {
            Ok(Some(lead)) if policy::can_read_lead(&caller.principal, &services.config.team, &lead) => visible.push(t),
            Ok(_) => {}
            Err(e) => {
                warn!(lead_id = %t.lead_id, error = %e, "lead not readable");
                return guard::unavailable(rid.as_deref());
            }
        }
    }
    let mut leads: Vec<_> = visible.iter().map(|t| t.lead_id).collect();
    leads.sort();
    leads.dedup();
    let reads = leads.iter().map(|id| guard::record(services, &caller, AuditAction::Read, Some(*id), &[fields::TASKS]));
    for r in futures::future::join_all(reads).await {
        if let Err(resp) = r {
            return resp;
        }
    }
    json_response(200, &json!({"member": member, "items": visible}))
}

async fn lead_tasks(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead) = match caller_and_lead(services, req, "GET /leads/{id}/tasks", AuditAction::Read, policy::can_read_lead).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let items = match services.cadence.tasks_of_lead(lead.id).await {
        Ok(items) => items,
        Err(e) => return internal(e, caller.request_id()),
    };
    if let Err(r) = guard::record(services, &caller, AuditAction::Read, Some(lead.id), &[fields::TASKS]).await {
        return r;
    }
    json_response(200, &json!({"lead_id": lead.id, "items": items}))
}

async fn enrollment(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead) = match caller_and_lead(services, req, "GET /leads/{id}/cadence", AuditAction::Read, policy::can_read_lead).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match services.cadence.enrollment(lead.id).await {
        Ok(Some(e)) => e,
        Ok(None) => return error_response(404, "not_enrolled", "the lead is not enrolled in a cadence", caller.request_id()),
        Err(e) => return internal(e, caller.request_id()),
    };
    if let Err(r) = guard::record(services, &caller, AuditAction::Read, Some(lead.id), &[fields::CADENCE]).await {
        return r;
    }
    let next = services.config.followup.book.get(&e.cadence).and_then(|c| c.steps.get(e.next_step)).map(
        |s| json!({"step": e.next_step, "name": s.name, "channel": s.channel, "due_at": e.next_due, "awaiting_task": e.awaiting_task}),
    );
    json_response(200, &json!({"enrollment": e, "next": next}))
}

async fn change(services: &Services, req: &Request, pause: bool) -> Response<Body> {
    let route = if pause { "POST /leads/{id}/cadence/pause" } else { "POST /leads/{id}/cadence/resume" };
    let (caller, lead) = match caller_and_lead(services, req, route, AuditAction::Update, policy::can_change_lead).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let rid = caller.request_id();
    let by = caller.principal.user_id.clone();
    let done = if pause { pause_recorded(services, lead.id, &by).await } else { resume_recorded(services, lead.id, &by).await };
    let (e, entry) = match done {
        Ok(v) => v,
        Err(CadenceError::NotEnrolled) => return error_response(409, "not_enrolled", "the lead is not enrolled in a cadence", rid),
        Err(CadenceError::WrongState(s)) => return error_response(409, "wrong_state", &format!("the cadence is {s}"), rid),
        Err(e) if e.is_retryable() => return error_response(503, "temporarily_unavailable", "the lead is busy; retry", rid),
        Err(e) => return internal(e, rid),
    };
    // A change is recorded once per timeline entry (a retry records nothing twice); a request
    // that found it paused (or running) already only read the enrollment it returns.
    let recorded = match entry {
        Some(id) => guard::record_change(services, &caller, lead.id, &[fields::CADENCE, fields::TIMELINE], id).await,
        None => guard::record(services, &caller, AuditAction::Read, Some(lead.id), &[fields::CADENCE]).await,
    };
    if let Err(r) = recorded {
        return r;
    }
    json_response(200, &json!({"enrollment": e}))
}
