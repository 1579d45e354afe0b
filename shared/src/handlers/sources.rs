//! The source-tag audit routes (`functions/src/sources.rs`; JWT-authorized in API Gateway,
//! role-checked here):
//!
//! | route | roles (`policy::can_retag_sources`) | recorded as |
//! |---|---|---|
//! | `GET /sources/audit` | admin (every lead), manager (leads of their facilities) | one `read` of `source` per lead listed |
//! | `POST /sources/retag` | admin; manager for leads they may change | `update` of `source` and `timeline` per lead changed |
//!
//! The listing names lead ids and their tags only (no contact details, no concern). A re-tag
//! names the leads (`lead_ids`, at most 100) or selects them from the list (`filter`: a
//! `source` or `campaign` value and/or an `issue`; at most 100 per call, `more` says whether to
//! call again), with the corrected `source` and/or `campaign`. A request naming any lead the
//! caller may not change is refused whole (403, recorded as denied), changing nothing.

// The `Err` of these helpers is the HTTP answer itself (as in `guard`).
#![allow(clippy::result_large_err)]

use super::guard::{self, Caller};
use super::staff::invalid;
use crate::app::analytics::sources::{self, FlagFilter, RetagOutcome};
use crate::app::Services;
use crate::auth::{policy, Role};
use crate::domain::analytics::source_audit::{Retag, SourceIssue, MAX_TAG_CHARS};
use crate::domain::audit::fields;
use crate::domain::intake_form::FieldError;
use crate::domain::lead::normalize_key;
use crate::domain::text::Label;
use crate::domain::{AuditAction, Lead, LeadId};
use crate::http::body::MAX_BODY_BYTES;
use crate::http::{error_response, json_response};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tracing::{error, info};

/// Entries per page by default, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;
/// Leads one re-tag request may change.
pub const MAX_RETAG: usize = 100;

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    match (req.method().as_str(), path.as_str()) {
        ("GET", "/sources/audit") => audit(services, &req).await,
        ("POST", "/sources/retag") => retag(services, &req).await,
        _ => error_response(404, "not_found", "no such route", None),
    }
}

async fn caller(services: &Services, req: &Request, route: &str, action: AuditAction) -> Result<Caller, Response<Body>> {
    let caller = guard::authenticate(req, route)?;
    if !policy::can_retag_sources(&caller.principal) {
        return Err(guard::refuse(services, &caller, action, None).await);
    }
    Ok(caller)
}

/// The facilities whose leads a manager sees here (`None`: all, for administrators).
fn scope(caller: &Caller) -> Option<Vec<String>> {
    (caller.principal.role != Role::Admin).then(|| caller.principal.facilities.iter().map(|f| normalize_key(f)).collect())
}

fn internal(e: impl std::fmt::Display, rid: Option<&str>) -> Response<Body> {
    error!(error = %e, "source audit failed");
    guard::unavailable(rid)
}

/// A filter value: a tag as stored (at most 100 characters, no control characters).
fn tag_value(v: &str, name: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match Label::parse(v, MAX_TAG_CHARS) {
        Ok(l) => Some(l.as_str().to_string()),
        Err(e) => {
            errors.push(FieldError::new(name, "invalid_value", e.to_string()));
            None
        }
    }
}

fn issue(v: &str, name: &str, errors: &mut Vec<FieldError>) -> Option<SourceIssue> {
    let i = SourceIssue::parse(v);
    if i.is_none() {
        errors.push(FieldError::new(name, "invalid_choice", "issue must be one of source_missing, source_unrecognized, campaign_missing"));
    }
    i
}

/// `GET /sources/audit?issue=&source=&campaign=&limit=&after=`
async fn audit(services: &Services, req: &Request) -> Response<Body> {
    let caller = match caller(services, req, "GET /sources/audit", AuditAction::Read).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut p: BTreeMap<String, String> = BTreeMap::new();
    if let Some(q) = req.query_string_parameters_ref() {
        for (k, v) in q.iter() {
            p.entry(k.to_string()).or_insert_with(|| v.trim().to_string());
        }
    }
    let known = ["issue", "source", "campaign", "limit", "after"];
    let mut errors: Vec<FieldError> = p
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| FieldError::new(k, "unknown_parameter", format!("{k} is not a parameter here ({})", known.join(", "))))
        .collect();
    let mut filter = FlagFilter { facilities: scope(&caller), ..Default::default() };
    if let Some(v) = p.get("issue") {
        filter.issue = issue(v, "issue", &mut errors);
    }
    if let Some(v) = p.get("source") {
        filter.source = tag_value(v, "source", &mut errors);
    }
    if let Some(v) = p.get("campaign") {
        filter.campaign = tag_value(v, "campaign", &mut errors);
    }
    let limit = match p.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new("limit", "invalid_number", format!("limit must be a number from 1 to {MAX_LIMIT}")));
            DEFAULT_LIMIT
        }
    };
    let after = match p.get("after").map(|a| a.parse::<LeadId>()) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(_)) => {
            errors.push(FieldError::new("after", "invalid_cursor", "after must be the `next` of an earlier page"));
            None
        }
    };
    if !errors.is_empty() {
        return invalid(&errors);
    }
    let page = match sources::list(services, &filter, after, limit).await {
        Ok(p) => p,
        Err(e) => return internal(e, caller.request_id()),
    };
    // One read per lead listed, all recorded before anything is returned.
    let reads = page.items.iter().map(|f| guard::record(services, &caller, AuditAction::Read, Some(f.lead_id), &[fields::SOURCE]));
    if let Err(r) = futures::future::try_join_all(reads).await {
        return r;
    }
    let aliases = &services.config.analytics.aliases;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|f| {
            json!({
                "lead_id": f.lead_id, "captured_at": f.captured_at, "channel": f.channel, "source": f.source,
                "normalized_source": aliases.normalize(&f.source), "campaign": f.campaign, "facility": f.facility, "issues": f.issues,
            })
        })
        .collect();
    json_response(200, &json!({"items": items, "next": page.next}))
}

/// Which leads a re-tag names.
enum Target {
    Ids(Vec<LeadId>),
    Filter(FlagFilter),
}

/// Reads and validates the re-tag body; every problem is named.
fn retag_body(req: &Request) -> Result<(Target, Retag), Response<Body>> {
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json") {
        return Err(error_response(415, "unsupported_media_type", "send application/json", None));
    }
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(error_response(413, "payload_too_large", "the body is too large", None));
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(error_response(400, "malformed_body", "the body is not a JSON object", None));
    };
    let mut errors = Vec::new();
    for k in body.keys() {
        if !["lead_ids", "filter", "source", "campaign"].contains(&k.as_str()) {
            errors.push(FieldError::new(k, "unknown_field", "this field is not accepted here"));
        }
    }
    let mut correction = |name: &str| match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match Label::parse(s, MAX_TAG_CHARS) {
            Ok(l) => Some(l),
            Err(e) => {
                errors.push(FieldError::new(name, "invalid_value", e.to_string()));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new(name, "invalid_value", "must be a string"));
            None
        }
    };
    let retag = Retag { source: correction("source"), campaign: correction("campaign") };
    if !body.contains_key("source") && !body.contains_key("campaign") {
        errors.push(FieldError::new("source", "required", "give the corrected source, campaign, or both"));
    }
    let target = match (body.get("lead_ids"), body.get("filter")) {
        (Some(_), Some(_)) | (None, None) => {
            errors.push(FieldError::new("lead_ids", "required", "give either lead_ids or filter"));
            None
        }
        (Some(Value::Array(ids)), None) => {
            if ids.is_empty() || ids.len() > MAX_RETAG {
                errors.push(FieldError::new("lead_ids", "invalid_length", format!("between 1 and {MAX_RETAG} lead ids")));
            }
            let mut parsed = Vec::new();
            for (i, v) in ids.iter().enumerate() {
                match v.as_str().and_then(|s| s.parse::<LeadId>().ok()) {
                    Some(id) if !parsed.contains(&id) => parsed.push(id),
                    Some(_) => {}
                    None => errors.push(FieldError::new(&format!("lead_ids[{i}]"), "invalid_id", "not a lead id")),
                }
            }
            Some(Target::Ids(parsed))
        }
        (Some(_), None) => {
            errors.push(FieldError::new("lead_ids", "invalid_value", "must be a list of lead ids"));
            None
        }
        (None, Some(Value::Object(f))) => {
            let mut filter = FlagFilter::default();
            for (k, v) in f {
                let name = format!("filter.{k}");
                let Some(v) = v.as_str() else {
                    errors.push(FieldError::new(&name, "invalid_value", "must be a string"));
                    continue;
                };
                match k.as_str() {
                    "source" => filter.source = tag_value(v, &name, &mut errors),
                    "campaign" => filter.campaign = tag_value(v, &name, &mut errors),
                    "issue" => filter.issue = issue(v, &name, &mut errors),
                    _ => errors.push(FieldError::new(&name, "unknown_field", "filter takes source, campaign and issue")),
                }
            }
            if filter == FlagFilter::default() && f.keys().all(|k| ["source", "campaign", "issue"].contains(&k.as_str())) {
                errors.push(FieldError::new("filter", "required", "filter needs a source, campaign or issue"));
            }
            Some(Target::Filter(filter))
        }
        (None, Some(_)) => {
            errors.push(FieldError::new("filter", "invalid_value", "must be an object"));
            None
        }
    };
    match target {
        Some(t) if errors.is_empty() => Ok((t, retag)),
        _ => Err(invalid(&errors)),
    }
}

#[derive(Debug, Serialize)]
struct LeadResult {
    lead_id: LeadId,
    outcome: &'static str,
}

/// `POST /sources/retag`
async fn retag(services: &Services, req: &Request) -> Response<Body> {
    let caller = match caller(services, req, "POST /sources/retag", AuditAction::Update).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (target, correction) = match retag_body(req) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(s) = &correction.source {
        if !services.config.analytics.aliases.is_recognized(s.as_str()) {
            return invalid(&[FieldError::new(
                "source",
                "not_recognized",
                "the corrected source must be a known name (a canonical name or alias in [analytics.sources], or leadflow's own)",
            )]);
        }
    }
    let rid = caller.request_id().map(str::to_string);
    let (ids, more) = match target {
        Target::Ids(ids) => (ids, false),
        Target::Filter(mut filter) => {
            filter.facilities = scope(&caller);
            match sources::list(services, &filter, None, MAX_RETAG).await {
                Ok(page) => (page.items.iter().map(|f| f.lead_id).collect(), page.next.is_some()),
                Err(e) => return internal(e, rid.as_deref()),
            }
        }
    };
    // Every named lead must be one the caller may change: otherwise nothing changes.
    let mut leads: Vec<(LeadId, Option<Lead>)> = Vec::new();
    for id in ids {
        match services.leads.get(id).await {
            Ok(lead) => leads.push((id, lead)),
            Err(e) => return internal(e, rid.as_deref()),
        }
    }
    let foreign: Vec<LeadId> = leads
        .iter()
        .filter_map(|(id, l)| l.as_ref().filter(|l| !policy::can_change_lead(&caller.principal, &services.config.team, l)).map(|_| *id))
        .collect();
    if !foreign.is_empty() {
        for id in &foreign {
            let _ = guard::record_entry(services, &caller.entry(services, AuditAction::Update).denied().lead(*id)).await;
        }
        return guard::forbidden();
    }
    let mut results = Vec::new();
    let (mut retagged, mut unchanged) = (0usize, 0usize);
    for (id, lead) in leads {
        if lead.is_none() {
            results.push(LeadResult { lead_id: id, outcome: "not_found" });
            continue;
        }
        let outcome = match sources::retag_lead(services, id, &correction, &caller.principal.user_id).await {
            Ok(o) => o,
            Err(e) => return internal(e, rid.as_deref()),
        };
        match outcome {
            RetagOutcome::Retagged { entry } => {
                if let Err(r) = guard::record_change(services, &caller, id, &[fields::SOURCE, fields::TIMELINE], entry).await {
                    return r;
                }
                retagged += 1;
                results.push(LeadResult { lead_id: id, outcome: "retagged" });
            }
            RetagOutcome::Unchanged => {
                unchanged += 1;
                results.push(LeadResult { lead_id: id, outcome: "unchanged" });
            }
            RetagOutcome::NotFound => results.push(LeadResult { lead_id: id, outcome: "not_found" }),
        }
    }
    info!(user_id = %caller.principal.user_id, retagged, unchanged, more, "source tags corrected");
    json_response(200, &json!({"retagged": retagged, "unchanged": unchanged, "results": results, "more": more}))
}
