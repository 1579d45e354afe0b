//! The team's lead routes (JWT-authorized in API Gateway, role-checked here through
//! `auth::can_read_lead`):
//!
//! * `GET /leads?status=|assignee=|service_line=|facility=&limit=&cursor=`: newest first, through
//!   the listing indexes, paginated with an opaque cursor.
//! * `GET /leads/{id}?timeline_limit=&timeline_cursor=`: the lead, its score explanation (when
//!   scoring has produced one) and a page of its timeline, oldest first.
//! * `POST /leads/{id}/status` `{"to", "reason"?, "note"?}`: a validated lifecycle transition.
//! * `POST /leads/{id}/stakeholders` `{"name", "role", "phone"?, "email"?}` (franchise leads).
//! * `POST /leads/{id}/milestones` `{"milestone", "note"?}` (franchise leads).

use crate::app::leads::{add_stakeholder, reach_milestone, LeadChangeError};
use crate::app::lifecycle::{transition, TransitionError, TransitionOutcome};
use crate::app::Services;
use crate::auth::{can_change_lead, can_read_lead, may_see_personal_data, principal, Principal};
use crate::domain::franchise::{Milestone, Stakeholder, StakeholderRole};
use crate::domain::lifecycle::{Cause, LifecycleError};
use crate::domain::text::{FreeText, PersonName};
use crate::domain::{Actor, Email, EventId, Lead, LeadId, LeadStatus, Phone, ServiceLineId};
use crate::handlers::request::request_id;
use crate::http::{error_response, json_response};
use crate::ports::{LeadFilter, ListCursor};
use base64::Engine;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::error;

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;

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
    let method = req.method().clone();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["leads"]) => list(services, &req, &caller, rid).await,
        ("GET", ["leads", id]) => get(services, &req, &caller, id, rid).await,
        ("POST", ["leads", id, "status"]) => change_status(services, &req, &caller, id, rid).await,
        ("POST", ["leads", id, "stakeholders"]) => stakeholder(services, &req, &caller, id, rid).await,
        ("POST", ["leads", id, "milestones"]) => milestone(services, &req, &caller, id, rid).await,
        _ => error_response(404, "not_found", "no such route", rid),
    }
}

fn query(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn invalid(field: &str, message: &str) -> Response<Body> {
    json_response(
        422,
        &json!({"error": "validation_failed", "message": message, "fields": [{"field": field, "code": "invalid", "message": message}]}),
    )
}

// The error is the HTTP answer itself, returned once per request.
#[allow(clippy::result_large_err)]
fn limit(req: &Request, name: &str) -> Result<usize, Response<Body>> {
    match query(req, name) {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => {
            v.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| invalid(name, "must be a number from 1 to 100"))
        }
    }
}

fn internal(e: impl std::fmt::Display, rid: Option<&str>) -> Response<Body> {
    error!(error = %e, "lead route failed");
    error_response(500, "internal_error", "the request could not be handled", rid)
}

/// Reads the lead and checks the caller may see it. Someone else's lead answers 404, like a
/// missing one: ids reveal nothing.
async fn load(services: &Services, caller: &Principal, id: &str, rid: Option<&str>) -> Result<Lead, Response<Body>> {
    let Ok(id) = id.parse::<LeadId>() else {
        return Err(error_response(404, "not_found", "no such lead", rid));
    };
    match services.leads.get(id).await {
        Ok(Some(lead)) if can_read_lead(caller, &lead) => Ok(lead),
        Ok(_) => Err(error_response(404, "not_found", "no such lead", rid)),
        Err(e) => Err(internal(e, rid)),
    }
}

async fn list(services: &Services, req: &Request, caller: &Principal, rid: Option<&str>) -> Response<Body> {
    let given: Vec<(&str, String)> =
        ["status", "assignee", "service_line", "facility"].into_iter().filter_map(|k| query(req, k).map(|v| (k, v))).collect();
    let filter = match given.as_slice() {
        [] if caller.role == crate::auth::Role::Agent => LeadFilter::Assignee(caller.user_id.clone()),
        [] => return invalid("status", "give one of status, assignee, service_line or facility"),
        [(_, _)] => {
            let (k, v) = &given[0];
            match *k {
                "status" => match LeadStatus::parse(v) {
                    Some(s) => LeadFilter::Status(s),
                    None => return invalid("status", "is not a lead status"),
                },
                "assignee" => LeadFilter::Assignee(v.clone()),
                "service_line" => match ServiceLineId::parse(v) {
                    Some(l) => LeadFilter::ServiceLine(l),
                    None => return invalid("service_line", "is not a service line id"),
                },
                _ => LeadFilter::Facility(v.clone()),
            }
        }
        _ => return invalid("status", "give only one of status, assignee, service_line or facility"),
    };
    let limit = match limit(req, "limit") {
        Ok(l) => l,
        Err(r) => return r,
    };
    let cursor = match query(req, "cursor") {
        None => None,
        Some(c) => match ListCursor::parse(&c) {
            Some(c) => Some(c),
            None => return invalid("cursor", "is not a cursor from this API"),
        },
    };
    match services.listing.list_leads(&filter, cursor.as_ref(), limit).await {
        Ok(page) => {
            let items: Vec<&Lead> = page.items.iter().filter(|l| can_read_lead(caller, l)).collect();
            json_response(200, &json!({"items": items, "next": page.next.as_ref().map(ListCursor::as_str)}))
        }
        Err(e) => internal(e, rid),
    }
}

fn timeline_cursor(id: EventId) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("tl1:{id}"))
}

fn parse_timeline_cursor(s: &str) -> Option<EventId> {
    let text = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    text.strip_prefix("tl1:")?.parse().ok()
}

/// The score explanation, when scoring has put one on the lead (`score` or `score_explanation`).
fn score_explanation(lead: &Value) -> Value {
    lead.get("score_explanation").or_else(|| lead.get("score")).cloned().unwrap_or(Value::Null)
}

async fn get(services: &Services, req: &Request, caller: &Principal, id: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let limit = match limit(req, "timeline_limit") {
        Ok(l) => l,
        Err(r) => return r,
    };
    let after = match query(req, "timeline_cursor") {
        None => None,
        Some(c) => match parse_timeline_cursor(&c) {
            Some(id) => Some(id),
            None => return invalid("timeline_cursor", "is not a cursor from this API"),
        },
    };
    let page = match services.timeline.list(lead.id, after, limit).await {
        Ok(p) => p,
        Err(e) => return internal(e, rid),
    };
    let revenue = lead.revenue(&services.config.organization.currency);
    let value = serde_json::to_value(&lead).unwrap_or(Value::Null);
    json_response(
        200,
        &json!({
            "lead": value,
            "score_explanation": score_explanation(&value),
            "revenue": revenue,
            "timeline": {"items": page.items, "next": page.next.map(timeline_cursor)},
        }),
    )
}

#[allow(clippy::result_large_err)]
fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Response<Body>> {
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > 16 * 1024 {
        return Err(error_response(413, "payload_too_large", "the body is too large", None));
    }
    serde_json::from_slice(bytes)
        .map_err(|_| error_response(400, "malformed_body", "the body must be a JSON object with the documented fields", None))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    to: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn change_status(services: &Services, req: &Request, caller: &Principal, id: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    if !can_change_lead(caller, &lead) {
        return error_response(403, "forbidden", "this role may not change the lead", rid);
    }
    let body: StatusBody = match json_body(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(to) = LeadStatus::parse(body.to.trim()) else {
        return invalid("to", "is not a lead status");
    };
    let note = match body.note.as_deref().filter(|n| !n.trim().is_empty()).map(|n| FreeText::parse(n, 2000)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return invalid("note", &format!("note {e}")),
    };
    let mut cause = Cause::new(Actor::User(caller.user_id.clone()), "user");
    cause.reason = body.reason.map(|r| r.trim().to_string());
    cause.note = note;
    match transition(services, lead.id, to, cause).await {
        Ok(outcome) => {
            let changed = matches!(outcome, TransitionOutcome::Changed { .. });
            match services.leads.get(lead.id).await {
                Ok(Some(lead)) => json_response(200, &json!({"lead": lead, "changed": changed})),
                Ok(None) => error_response(404, "not_found", "no such lead", rid),
                Err(e) => internal(e, rid),
            }
        }
        Err(TransitionError::Invalid(e)) => {
            let field = if matches!(e, LifecycleError::ReasonRequired | LifecycleError::UnknownReason) { "reason" } else { "to" };
            let mut body = json!({"error": "invalid_transition", "message": e.to_string(), "fields": [{"field": field, "code": "invalid_transition", "message": e.to_string()}]});
            if field == "reason" {
                body["allowed_reasons"] = json!(services.config.lifecycle.disqualification_reasons);
            }
            json_response(422, &body)
        }
        Err(e) if e.is_retryable() => error_response(503, "temporarily_unavailable", "the lead is busy; retry", rid),
        Err(e) => internal(e, rid),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StakeholderBody {
    name: String,
    role: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

fn change_error(e: LeadChangeError, rid: Option<&str>) -> Response<Body> {
    match e {
        LeadChangeError::NotFound => error_response(404, "not_found", "no such lead", rid),
        LeadChangeError::NotFranchise => error_response(409, "not_franchise", &e.to_string(), rid),
        other => internal(other, rid),
    }
}

async fn stakeholder(services: &Services, req: &Request, caller: &Principal, id: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let body: StakeholderBody = match json_body(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(name) = PersonName::parse(&body.name) else { return invalid("name", "is not a name") };
    let Some(role) = StakeholderRole::parse(&body.role) else {
        return invalid("role", "must be spouse, business_partner, investor, attorney, accountant, advisor or other");
    };
    let region = services.config.organization.phone_region;
    let phone = match body.phone.as_deref().map(|p| Phone::parse(p, region)) {
        None => None,
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => return invalid("phone", "is not a phone number"),
    };
    let email = match body.email.as_deref().map(Email::parse) {
        None => None,
        Some(Ok(e)) => Some(e),
        Some(Err(_)) => return invalid("email", "is not an email address"),
    };
    let s = Stakeholder { name, role, phone, email, added_at: services.clock.now(), added_by: caller.user_id.clone() };
    match add_stakeholder(services, lead.id, s).await {
        Ok(lead) => json_response(200, &json!({"lead": lead})),
        Err(e) => change_error(e, rid),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneBody {
    milestone: String,
    #[serde(default)]
    note: Option<String>,
}

async fn milestone(services: &Services, req: &Request, caller: &Principal, id: &str, rid: Option<&str>) -> Response<Body> {
    let lead = match load(services, caller, id, rid).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let body: MilestoneBody = match json_body(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(m) = Milestone::parse(&body.milestone) else {
        return invalid("milestone", "must be discovery_call, fdd_sent, validation, discovery_day or signed");
    };
    let note = match body.note.as_deref().filter(|n| !n.trim().is_empty()).map(|n| FreeText::parse(n, 2000)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return invalid("note", &format!("note {e}")),
    };
    match reach_milestone(services, lead.id, m, note, &caller.user_id).await {
        Ok(lead) => json_response(200, &json!({"lead": lead})),
        Err(e) => change_error(e, rid),
    }
}
