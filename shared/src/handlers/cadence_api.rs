//! The follow-up routes (JWT-authorized in API Gateway; roles checked here through
//! `auth::can_read_lead` / `can_change_lead`):
//!
//! * `GET /tasks?member=&limit=`: the caller's open tasks, soonest due first (admins and managers
//!   may name another member).
//! * `GET /leads/{id}/tasks`: every task of a lead.
//! * `GET /leads/{id}/cadence`: the lead's enrollment (cadence, state, next step and when).
//! * `POST /leads/{id}/cadence/pause` and `/resume`: a team member stops the automated steps
//!   for a while (pending step cancelled) and starts them again.

use crate::app::cadence::{pause, resume, CadenceError};
use crate::app::Services;
use crate::auth::{can_change_lead, can_read_lead, may_see_personal_data, principal, Principal, Role};
use crate::domain::{Lead, LeadId};
use crate::handlers::request::request_id;
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use tracing::error;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let rid = rid.as_deref();
    let caller = match principal(&req) {
        Ok(p) => p,
        Err(e) => return error_response(e.status(), if e.status() == 401 { "unauthorized" } else { "forbidden" }, &e.to_string(), rid),
    };
    if !may_see_personal_data(&caller) {
        return error_response(403, "forbidden", "this role has no access to lead data", rid);
    }
    let path = req.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (req.method().as_str(), parts.as_slice()) {
        ("GET", ["tasks"]) => my_tasks(services, &req, &caller, rid).await,
        ("GET", ["leads", id, "tasks"]) => lead_tasks(services, &caller, id, rid).await,
        ("GET", ["leads", id, "cadence"]) => enrollment(services, &caller, id, rid).await,
        ("POST", ["leads", id, "cadence", action @ ("pause" | "resume")]) => change(services, &caller, id, action, rid).await,
        _ => error_response(404, "not_found", "no such route", rid),
    }
}

fn internal(e: impl std::fmt::Display, rid: Option<&str>) -> Response<Body> {
    error!(error = %e, "follow-up route failed");
    error_response(500, "internal_error", "the request could not be handled", rid)
}

fn invalid(field: &str, message: &str) -> Response<Body> {
    json_response(
        422,
        &json!({"error": "validation_failed", "message": message, "fields": [{"field": field, "code": "invalid", "message": message}]}),
    )
}

/// The lead, if the caller may see it (someone else's lead answers 404, like a missing one).
async fn load(services: &Services, caller: &Principal, id: &str, rid: Option<&str>) -> Result<Lead, Response<Body>> {
    let Ok(id) = id.parse::<LeadId>() else { return Err(error_response(404, "not_found", "no such lead", rid)) };
    match services.leads.get(id).await {
        Ok(Some(lead)) if can_read_lead(caller, &lead) => Ok(lead),
        Ok(_) => Err(error_response(404, "not_found", "no such lead", rid)),
        Err(e) => Err(internal(e, rid)),
    }
}

async fn my_tasks(services: &Services, req: &Request, caller: &Principal, rid: Option<&str>) -> Response<Body> {
    let query =
        |name: &str| req.query_string_parameters_ref().and_then(|q| q.first(name)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let member = match query("member") {
        Some(m) if m != caller.user_id && !matches!(caller.role, Role::Admin | Role::Manager) => {
            return error_response(403, "forbidden", "only admins and managers may list another member's tasks", rid)
        }
        Some(m) => m,
        None => caller.user_id.clone(),
    };
    let limit = match query("limit").map(|v| v.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return invalid("limit", "must be a number from 1 to 200"),
    };
    match services.cadence.open_tasks_of(&member, limit).await {
        Ok(tasks) => {
            // A manager sees the tasks of leads at their facilities only.
            let mut visible = Vec::with_capacity(tasks.len());
            for t in tasks {
                match services.leads.get(t.lead_id).await {
                    Ok(Some(lead)) if can_read_lead(caller, &lead) || t.member.as_ref().is_some_and(|m| m.as_str() == caller.user_id) => {
                        visible.push(t)
                    }
                    Ok(_) => {}
                    Err(e) => return internal(e, rid),
                }
            }
            json_response(200, &json!({"member": member, "items": visible}))
        }
        Err(e) => internal(e, rid),
    }
}

async fn lead_tasks(services: &Services, caller: &Principal, id: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    match services.cadence.tasks_of_lead(lead.id).await {
        Ok(items) => json_response(200, &json!({"lead_id": lead.id, "items": items})),
        Err(e) => internal(e, rid),
    }
}

async fn enrollment(services: &Services, caller: &Principal, id: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    match services.cadence.enrollment(lead.id).await {
        Ok(Some(e)) => {
            let next = services
                .config
                .followup
                .book
                .get(&e.cadence)
                .and_then(|c| c.steps.get(e.next_step))
                .map(|s| json!({"step": e.next_step, "name": s.name, "channel": s.channel, "due_at": e.next_due, "awaiting_task": e.awaiting_task}));
            json_response(200, &json!({"enrollment": e, "next": next}))
        }
        Ok(None) => error_response(404, "not_enrolled", "the lead is not enrolled in a cadence", rid),
        Err(e) => internal(e, rid),
    }
}

async fn change(services: &Services, caller: &Principal, id: &str, action: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    if !can_change_lead(caller, &lead) {
        return error_response(403, "forbidden", "this role may not change the lead", rid);
    }
    let done =
        if action == "pause" { pause(services, lead.id, &caller.user_id).await } else { resume(services, lead.id, &caller.user_id).await };
    match done {
        Ok(e) => json_response(200, &json!({"enrollment": e})),
        Err(CadenceError::NotEnrolled) => error_response(409, "not_enrolled", "the lead is not enrolled in a cadence", rid),
        Err(CadenceError::WrongState(s)) => error_response(409, "wrong_state", &format!("the cadence is {s}"), rid),
        Err(e) if e.is_retryable() => error_response(503, "temporarily_unavailable", "the lead is busy; retry", rid),
        Err(e) => internal(e, rid),
    }
}
