//! The team's lead routes (JWT-authorized in API Gateway; each lead checked against the role
//! matrix in `auth::policy` and every read and change recorded in the audit trail through
//! `handlers::guard`):
//!
//! * `GET /leads?status=|assignee=|service_line=|facility=&limit=&cursor=`: newest first, through
//!   the listing indexes, paginated with an opaque cursor; only the leads the caller may see,
//!   each recorded as read. An agent without a filter gets the leads assigned to them.
//! * `GET /leads/{id}?timeline_limit=&timeline_cursor=`: the lead, its score explanation (when
//!   scoring has produced one) and a page of its timeline, oldest first.
//! * `POST /leads/{id}/status` `{"to", "reason"?, "note"?}`: a validated lifecycle transition.
//! * `POST /leads/{id}/stakeholders` `{"name", "role", "phone"?, "email"?}` (franchise leads).
//! * `POST /leads/{id}/milestones` `{"milestone", "note"?}` (franchise leads).
//! * `POST /leads/{id}/contact-points/confirm` `{"inquiry", "point": "phone"|"email"}`: a team
//!   member confirms a contact point a later inquiry gave (held until then; see
//!   `app::contact_points`), after checking with the person: it becomes the lead's, with the
//!   consent given for it on that inquiry.
//!
//! * `GET /inbox?limit=&assignee=`: the caller's open leads, most urgent first (`app::inbox`).
//! * `POST /leads/search` `{"q"}`: leads by name, phone or e-mail within the caller's scope
//!   (`app::search`; a POST so the person's name or number never sits in a URL or access log).
//! * `POST /leads/{id}/assign` `{"member", "reason", "note"?}`: give the lead to a team member
//!   (administrators; managers for leads of their facilities and members they manage).
//! * `POST /leads/{id}/details` `{"first_name"?, "phone"?, "concern"?, ...}`: correct contact
//!   details and context (an empty value clears a field); recorded with before and after.
//! * `POST /leads/{id}/notes` `{"note"}`: a note on the timeline (sealed at rest).
//! * `GET /reports/scoring-review?model=&from=&to=`: a scoring model's bands against actual
//!   outcomes ([`scoring_review`]; the reports' role matrix, aggregates only).
//!
//! A lead outside the caller's scope answers 403 (recorded as denied) and an unknown id 404.

// The `Err` of these helpers is the HTTP answer itself, returned once per request.
#![allow(clippy::result_large_err)]

use super::guard::{self, authenticate, Caller};
use super::request::strict_json;
use crate::app::leads::{add_stakeholder, reach_milestone, LeadChangeError};
use crate::app::lifecycle::{transition, TransitionError, TransitionOutcome};
use crate::app::Services;
use crate::auth::{policy, Role};
use crate::domain::audit::fields as paths;
use crate::domain::franchise::{Milestone, Stakeholder, StakeholderRole};
use crate::domain::lifecycle::{Cause, LifecycleError};
use crate::domain::text::{FreeText, PersonName};
use crate::domain::{Actor, AuditAction, Email, EventId, Lead, LeadStatus, Phone, ServiceLineId};
use crate::http::{error_response, invalid_field as invalid, json_response, query_param as query};
use crate::ports::{LeadFilter, ListCursor, StoreError};
use base64::Engine;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::error;

// `GET /reports/scoring-review`, served by this function too.
pub mod scoring_review;

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let method = req.method().clone();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["leads"]) => list(services, &req).await,
        ("GET", ["leads", _]) => get(services, &req).await,
        ("POST", ["leads", _, "status"]) => change_status(services, &req).await,
        ("POST", ["leads", _, "stakeholders"]) => stakeholder(services, &req).await,
        ("POST", ["leads", _, "milestones"]) => milestone(services, &req).await,
        ("POST", ["leads", _, "contact-points", "confirm"]) => confirm_point(services, &req).await,
        // The staff console's routes (API first: the console calls these same handlers).
        ("GET", ["inbox"]) => inbox(services, &req).await,
        ("POST", ["leads", "search"]) => search(services, &req).await,
        ("POST", ["leads", _, "assign"]) => assign(services, &req).await,
        ("POST", ["leads", _, "details"]) => details(services, &req).await,
        ("POST", ["leads", _, "notes"]) => note(services, &req).await,
        // The scoring review: served by this function (it already reads leads through the status index).
        ("GET", ["reports", "scoring-review"]) => scoring_review::scoring_review(services, req).await,
        _ => error_response(404, "not_found", "no such route", None),
    }
}

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

async fn list(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "GET /leads") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_list_leads(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Read, None).await;
    }
    let given: Vec<(&str, String)> =
        ["status", "assignee", "service_line", "facility"].into_iter().filter_map(|k| query(req, k).map(|v| (k, v))).collect();
    let filter = match given.as_slice() {
        // An agent's own leads: their member id (the caller's user id when they are no member,
        // which no lead is assigned to).
        [] if caller.principal.role == Role::Agent => LeadFilter::Assignee(
            policy::member(&caller.principal, &services.config.team).map_or_else(|| caller.principal.user_id.clone(), |m| m.id.to_string()),
        ),
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
    let page = match services.listing.list_leads(&filter, cursor.as_ref(), limit).await {
        Ok(page) => page,
        Err(e) => return internal(e, caller.request_id()),
    };
    let items: Vec<&Lead> = page.items.iter().filter(|l| policy::can_read_lead(&caller.principal, &services.config.team, l)).collect();
    // One read per lead shown, all written before anything is returned.
    let reads = items.iter().map(|l| guard::record(services, &caller, AuditAction::Read, Some(l.id), paths::LEAD_RECORD));
    if let Err(r) = futures::future::try_join_all(reads).await {
        return r;
    }
    json_response(200, &json!({"items": items, "next": page.next.as_ref().map(ListCursor::as_str)}))
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

async fn get(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "GET /leads/{id}") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lead = match guard::lead(services, &caller, req, AuditAction::Read, policy::can_read_lead).await {
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
        Err(e) => return internal(e, caller.request_id()),
    };
    if let Err(r) = guard::record(services, &caller, AuditAction::Read, Some(lead.id), paths::WHOLE_LEAD).await {
        return r;
    }
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

/// Records the read of the lead a change route answers with, then answers 200 `{"lead"}` (and
/// `extra` fields).
async fn answer_with(services: &Services, caller: &Caller, lead: &Lead, extra: Value) -> Response<Body> {
    if let Err(r) = guard::record(services, caller, AuditAction::Read, Some(lead.id), paths::LEAD_RECORD).await {
        return r;
    }
    let mut body = json!({ "lead": lead });
    if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
        b.extend(more);
    }
    json_response(200, &body)
}

/// What a change to a lead starts with: the caller (401 without one), and the lead `allowed`
/// lets them change (404 for no such lead; 403, recorded as denied, when the matrix says no).
async fn changing_lead(
    services: &Services,
    req: &Request,
    route: &str,
    allowed: fn(&crate::auth::Principal, &crate::domain::routing::Team, &Lead) -> bool,
) -> Result<(Caller, Lead), Response<Body>> {
    let caller = authenticate(req, route)?;
    let lead = guard::lead(services, &caller, req, AuditAction::Update, allowed).await?;
    Ok((caller, lead))
}

/// [`changing_lead`] for whoever may change the lead (`policy::can_change_lead`), with the
/// request's JSON body ([`json_body`]).
async fn lead_change<T: serde::de::DeserializeOwned>(
    services: &Services,
    req: &Request,
    route: &str,
) -> Result<(Caller, Lead, T), Response<Body>> {
    let (caller, lead) = changing_lead(services, req, route, policy::can_change_lead).await?;
    let body = json_body(req)?;
    Ok((caller, lead, body))
}

/// [`changing_lead`] for a change a client may retry: with its `Idempotency-Key`, if any, and
/// the request's JSON body.
async fn keyed_lead_change<T: serde::de::DeserializeOwned>(
    services: &Services,
    req: &Request,
    route: &str,
    allowed: fn(&crate::auth::Principal, &crate::domain::routing::Team, &Lead) -> bool,
) -> Result<(Caller, Lead, Option<String>, T), Response<Body>> {
    let (caller, lead) = changing_lead(services, req, route, allowed).await?;
    let key = super::staff::idempotency_key(req)?;
    let body = json_body(req)?;
    Ok((caller, lead, key, body))
}

/// A strict JSON body: `application/json` only (415 otherwise), at most 16 KiB, the documented
/// fields only: a body that is not such a JSON object is 400, one with fields the route does not
/// take is 422 naming each (`unknown_field`); an error never repeats a value that was sent.
fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, Response<Body>> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")) {
        return Err(error_response(415, "unsupported_media_type", "send application/json", None));
    }
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > 16 * 1024 {
        return Err(error_response(413, "payload_too_large", "the body is too large", None));
    }
    strict_json(bytes, "the body must be a JSON object with the documented fields")
}

#[derive(Deserialize)]
struct StatusBody {
    to: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

async fn change_status(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead, body) = match lead_change::<StatusBody>(services, req, "POST /leads/{id}/status").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let rid = caller.request_id();
    let Some(to) = LeadStatus::parse(body.to.trim()) else {
        return invalid("to", "is not a lead status");
    };
    let note = match body.note.as_deref().filter(|n| !n.trim().is_empty()).map(|n| FreeText::parse(n, 2000)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return invalid("note", &format!("note {e}")),
    };
    let mut cause = Cause::new(Actor::User(caller.principal.user_id.clone()), "user");
    cause.reason = body.reason.map(|r| r.trim().to_string());
    cause.note = note;
    match transition(services, lead.id, to, cause).await {
        Ok(outcome) => {
            let change = match &outcome {
                TransitionOutcome::Changed { entry, .. } | TransitionOutcome::AlreadyApplied { entry } => Some(*entry),
                TransitionOutcome::Unchanged => None,
            };
            if let Some(entry) = change {
                if let Err(r) = guard::record_change(services, &caller, lead.id, &[paths::STATUS, paths::TIMELINE], entry).await {
                    return r;
                }
            }
            match services.leads.get(lead.id).await {
                Ok(Some(lead)) => {
                    answer_with(services, &caller, &lead, json!({"changed": matches!(outcome, TransitionOutcome::Changed { .. })})).await
                }
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
struct ConfirmPointBody {
    inquiry: String,
    point: String,
}

async fn confirm_point(services: &Services, req: &Request) -> Response<Body> {
    use crate::app::contact_points::{confirm, PointError, PointRef};
    use crate::domain::inquiry::{ConfirmedBy, PointKind};
    let (caller, lead, body) = match lead_change::<ConfirmPointBody>(services, req, "POST /leads/{id}/contact-points/confirm").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let rid = caller.request_id();
    let Ok(inquiry) = body.inquiry.trim().parse::<EventId>() else {
        return invalid("inquiry", "is not an inquiry (receipt) id");
    };
    let Some(kind) = PointKind::parse(body.point.trim()) else {
        return invalid("point", "must be phone or email");
    };
    let point = PointRef { lead: lead.id, inquiry, kind };
    let changed = match confirm(services, point, ConfirmedBy::Staff(caller.principal.user_id.clone())).await {
        Ok(changed) => changed,
        Err(PointError::Refused(e)) => {
            let field = if matches!(e, crate::domain::lead::ConfirmError::NoInquiry) { "inquiry" } else { "point" };
            return invalid(field, &e.to_string());
        }
        Err(PointError::NoLead) => return error_response(404, "not_found", "no such lead", rid),
        Err(PointError::Store(StoreError::Conflict)) => {
            return error_response(503, "temporarily_unavailable", "the lead is busy; retry", rid)
        }
        Err(e) => return internal(e, rid),
    };
    let field = match kind {
        PointKind::Phone => paths::PHONE,
        PointKind::Email => paths::EMAIL,
    };
    if changed {
        if let Err(r) = guard::record(
            services,
            &caller,
            AuditAction::Update,
            Some(lead.id),
            &[field, paths::CONSENT, paths::INQUIRIES, paths::TIMELINE],
        )
        .await
        {
            return r;
        }
    }
    match services.leads.get(lead.id).await {
        Ok(Some(lead)) => answer_with(services, &caller, &lead, json!({"changed": changed})).await,
        Ok(None) => error_response(404, "not_found", "no such lead", rid),
        Err(e) => internal(e, rid),
    }
}

#[derive(Deserialize)]
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

async fn stakeholder(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead, body) = match lead_change::<StakeholderBody>(services, req, "POST /leads/{id}/stakeholders").await {
        Ok(c) => c,
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
    let s = Stakeholder { name, role, phone, email, added_at: services.clock.now(), added_by: caller.principal.user_id.clone() };
    match add_stakeholder(services, lead.id, s).await {
        Ok((lead, entry)) => changed(services, &caller, &lead, paths::STAKEHOLDERS, entry).await,
        Err(e) => change_error(e, caller.request_id()),
    }
}

/// Records a saved change (the field and the timeline) and answers with the lead.
async fn changed(services: &Services, caller: &Caller, lead: &Lead, field: &'static str, entry: EventId) -> Response<Body> {
    if let Err(r) = guard::record_change(services, caller, lead.id, &[field, paths::TIMELINE], entry).await {
        return r;
    }
    answer_with(services, caller, lead, json!({})).await
}

#[derive(Deserialize)]
struct MilestoneBody {
    milestone: String,
    #[serde(default)]
    note: Option<String>,
}

async fn milestone(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead, body) = match lead_change::<MilestoneBody>(services, req, "POST /leads/{id}/milestones").await {
        Ok(c) => c,
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
    match reach_milestone(services, lead.id, m, note, &caller.principal.user_id).await {
        Ok((lead, entry)) => changed(services, &caller, &lead, paths::MILESTONES, entry).await,
        Err(e) => change_error(e, caller.request_id()),
    }
}

/// A lead as the inbox and search list it (what a row shows; recorded as [`SUMMARY_READ`]).
pub fn summary(services: &Services, lead: &Lead) -> Value {
    let line =
        services.config.service_line(&lead.context.service_line).map_or_else(|| lead.context.service_line.to_string(), |l| l.name.clone());
    let waiting = lead.first_contact_at.is_none() && lead.first_contact_due_at.is_some() && lead.status.is_open();
    json!({
        "id": lead.id,
        "short_code": crate::domain::team_notice::short_code(lead.id),
        "first_name": lead.contact.first_name,
        "last_name": lead.contact.last_name,
        "status": lead.status,
        "service_line": lead.context.service_line,
        "service_line_name": line,
        "tier": lead.score.as_ref().map(|s| s.urgency.tier),
        "score": lead.score.as_ref().map(|s| s.score),
        "band": lead.score.as_ref().map(|s| s.band),
        "assignee": lead.assignee(),
        "facility": lead.facility(),
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "first_contact_due_at": lead.first_contact_due_at,
        "first_contact_at": lead.first_contact_at,
        "waiting_for_first_contact": waiting,
        "test": lead.test,
        "version": lead.version,
    })
}

/// What a listed row is recorded as having read.
pub const SUMMARY_READ: &[&str] = &[paths::FIRST_NAME, paths::LAST_NAME, paths::STATUS, paths::CONTEXT, paths::ASSIGNMENT, paths::SCORE];

/// Records a read of every lead listed (before answering), then answers `{"items": [...]}`.
async fn listed(services: &Services, caller: &Caller, leads: &[Lead], extra: Value) -> Response<Body> {
    let reads = leads.iter().map(|l| guard::record(services, caller, AuditAction::Read, Some(l.id), SUMMARY_READ));
    if let Err(r) = futures::future::try_join_all(reads).await {
        return r;
    }
    let mut body = json!({"items": leads.iter().map(|l| summary(services, l)).collect::<Vec<_>>()});
    if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
        b.extend(more);
    }
    json_response(200, &body)
}

async fn inbox(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "GET /inbox") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_list_leads(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Read, None).await;
    }
    let limit = match query(req, "limit") {
        None => 50,
        Some(v) => match v.parse::<usize>().ok().filter(|n| (1..=crate::app::inbox::MAX_INBOX).contains(n)) {
            Some(n) => n,
            None => return invalid("limit", "must be a number from 1 to 200"),
        },
    };
    let only = match query(req, "assignee").as_deref() {
        None | Some("") => None,
        Some("unassigned") => Some(crate::ports::InboxQueue::Unassigned),
        Some(m) => match crate::domain::routing::MemberId::parse(m) {
            Some(id) => Some(crate::ports::InboxQueue::Member(id.to_string())),
            None => return invalid("assignee", "is not a team member id"),
        },
    };
    match crate::app::inbox::inbox(services, &caller.principal, only.as_ref(), limit).await {
        Ok(leads) => listed(services, &caller, &leads, json!({})).await,
        Err(e) => internal(e, caller.request_id()),
    }
}

#[derive(Deserialize)]
struct SearchBody {
    q: String,
    #[serde(default)]
    limit: Option<usize>,
}

async fn search(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "POST /leads/search") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_list_leads(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Read, None).await;
    }
    let body: SearchBody = match json_body(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if body.q.chars().count() > 254 {
        return invalid("q", "is too long");
    }
    let term = match crate::domain::search::SearchTerm::parse(&body.q, services.config.organization.phone_region) {
        Ok(t) => t,
        Err(e) => return invalid("q", &e.to_string()),
    };
    let limit = body.limit.unwrap_or(25).clamp(1, crate::app::search::MAX_RESULTS);
    match crate::app::search::search(services, &caller.principal, &term, limit).await {
        Ok(leads) => listed(services, &caller, &leads, json!({})).await,
        Err(e) => internal(e, caller.request_id()),
    }
}

/// The matrix's assignment rule as a lead guard (the roster plays no part in it).
fn may_assign(p: &crate::auth::Principal, _team: &crate::domain::routing::Team, lead: &Lead) -> bool {
    policy::can_assign(p, lead)
}

#[derive(Deserialize)]
struct AssignBody {
    member: String,
    reason: String,
    #[serde(default)]
    note: Option<String>,
}

async fn assign(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead, key, body) = match keyed_lead_change::<AssignBody>(services, req, "POST /leads/{id}/assign", may_assign).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let team = &services.config.team;
    let Some(member) = crate::domain::routing::MemberId::parse(&body.member).and_then(|id| team.members.get(&id)) else {
        return invalid("member", "is not a configured team member");
    };
    // A manager gives leads to the members they manage or who work at their facilities.
    if !policy::can_manage_member(&caller.principal, team, member) {
        return guard::refuse(services, &caller, AuditAction::Update, Some(lead.id)).await;
    }
    let reasons = &services.config.console.reassign_reasons;
    if !reasons.iter().any(|r| r == body.reason.trim()) {
        return json_response(
            422,
            &json!({"error": "validation_failed", "message": "reason is not a configured reason", "fields": [{"field": "reason", "code": "invalid_choice", "message": format!("reason must be one of {}", reasons.join(", "))}], "allowed_reasons": reasons}),
        );
    }
    let note = match body.note.as_deref().filter(|n| !n.trim().is_empty()).map(|n| FreeText::parse(n, 1000)) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return invalid("note", &format!("note {e}")),
    };
    let by = caller.principal.user_id.clone();
    // The new assignee's notice links to the console at this API's address.
    let located;
    let services = match (services.webhooks.public_base_url.is_empty(), super::request::public_url(req)) {
        (true, Some(url)) => {
            located = services.with_public_base_url(&url);
            &located
        }
        _ => services,
    };
    match crate::app::assign::reassign(services, lead.id, &member.id, body.reason.trim(), note, &by, key.as_deref()).await {
        Ok(done) => {
            if let Some(entry) = done.entry {
                if let Err(r) = guard::record_change(services, &caller, lead.id, &[paths::ASSIGNMENT, paths::TIMELINE], entry).await {
                    return r;
                }
            }
            answer_with(services, &caller, &done.lead, json!({"changed": done.entry.is_some(), "previous": done.previous})).await
        }
        Err(crate::app::assign::ReassignError::NotFound) => error_response(404, "not_found", "no such lead", caller.request_id()),
        Err(crate::app::assign::ReassignError::Closed) => {
            error_response(409, "lead_closed", "a closed lead is not assigned", caller.request_id())
        }
        Err(crate::app::assign::ReassignError::Store(e)) if e.is_retryable() => guard::unavailable(caller.request_id()),
        Err(e) => internal(e, caller.request_id()),
    }
}

async fn details(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead) = match changing_lead(services, req, "POST /leads/{id}/details", policy::can_change_lead).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let edits = match super::staff::json_fields(req, crate::app::leads::EDITABLE_FIELDS) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match crate::app::leads::edit_details(services, lead.id, &edits, &caller.principal.user_id).await {
        Ok(done) => {
            if let Some(entry) = done.entry {
                let mut fields = done.fields.clone();
                fields.push(paths::TIMELINE);
                if let Err(r) = guard::record_change(services, &caller, lead.id, &fields, entry).await {
                    return r;
                }
            }
            answer_with(services, &caller, &done.lead, json!({"changed": done.fields})).await
        }
        Err(crate::app::leads::EditError::Invalid(fields)) => super::staff::invalid(&fields),
        Err(crate::app::leads::EditError::HeldByAnother(field)) => json_response(
            409,
            &json!({"error": "held_by_another_lead", "message": format!("another open lead holds this {field}: merge the two records instead"), "fields": [{"field": field, "code": "held_by_another_lead", "message": "another open lead holds this value"}]}),
        ),
        Err(crate::app::leads::EditError::NotFound) => error_response(404, "not_found", "no such lead", caller.request_id()),
        Err(crate::app::leads::EditError::Store(e)) if e.is_retryable() => guard::unavailable(caller.request_id()),
        Err(e) => internal(e, caller.request_id()),
    }
}

#[derive(Deserialize)]
struct NoteBody {
    note: String,
}

async fn note(services: &Services, req: &Request) -> Response<Body> {
    let (caller, lead, key, body) =
        match keyed_lead_change::<NoteBody>(services, req, "POST /leads/{id}/notes", policy::can_change_lead).await {
            Ok(c) => c,
            Err(r) => return r,
        };
    let note = match FreeText::parse(&body.note, 2000) {
        Ok(n) if !n.as_str().trim().is_empty() => n,
        Ok(_) => return invalid("note", "note is empty"),
        Err(e) => return invalid("note", &format!("note {e}")),
    };
    match crate::app::leads::add_note(services, lead.id, note, &caller.principal.user_id, key.as_deref()).await {
        Ok(entry) => match guard::record_change(services, &caller, lead.id, &[paths::TIMELINE], entry).await {
            Ok(()) => json_response(201, &json!({"lead_id": lead.id, "entry_id": entry})),
            Err(r) => r,
        },
        Err(crate::app::leads::OnceError::Busy) => {
            error_response(409, "in_progress", "a request with the same Idempotency-Key is still running", caller.request_id())
        }
        Err(crate::app::leads::OnceError::Store(e)) if e.is_retryable() => guard::unavailable(caller.request_id()),
        Err(e) => internal(e, caller.request_id()),
    }
}
