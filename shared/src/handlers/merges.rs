//! Duplicate review and merges, behind the JWT authorizer; administrators and
//! managers (within their scope, for both records of a pair) only (`auth::policy`):
//!
//! * `GET /merge/reviews?limit=&cursor=`: probable duplicates waiting for a decision (ids,
//!   points and reasons; no personal data).
//! * `POST /merge/reviews/{pair}/accept`: merge the pair (the older record survives).
//! * `POST /merge/reviews/{pair}/reject`: the two are different people; never proposed again.
//! * `POST /leads/{id}/merge` `{"absorb": "<lead id>"}`: merge another record into this one.
//! * `POST /leads/{id}/unmerge`: undo the latest merge of this record (survivor or absorbed),
//!   restoring both records exactly; 409 when either changed since.
//!
//! Every decision is recorded in the audit trail on both records.

// The `Err` of these helpers is the HTTP answer itself, returned once per request.
#![allow(clippy::result_large_err)]

use super::guard::{self, authenticate, Caller};
use super::staff::json_fields;
use crate::app::merge::{merge, older_first, unmerge, How, MergeFailure, MergeOutcome, UnmergeOutcome};
use crate::app::Services;
use crate::auth::{policy, Role};
use crate::domain::audit::fields as paths;
use crate::domain::{AuditAction, EventId, Lead, LeadId};
use crate::http::{error_response, invalid_field as invalid, json_response, query_param as query};
use crate::ports::dedupe::PairKey;
use crate::ports::StoreError;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use tracing::warn;

/// What the audit trail names for the review queue itself.
const REVIEW_QUEUE: &[&str] = &["merge_reviews"];

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let method = req.method().clone();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["merge", "reviews"]) => list(services, &req).await,
        ("POST", ["merge", "reviews", _, "accept"]) => decide(services, &req, true).await,
        ("POST", ["merge", "reviews", _, "reject"]) => decide(services, &req, false).await,
        ("POST", ["leads", _, "merge"]) => manual(services, &req).await,
        ("POST", ["leads", _, "unmerge"]) => undo(services, &req).await,
        _ => error_response(404, "not_found", "no such route", None),
    }
}

fn failure(e: MergeFailure, rid: Option<&str>) -> Response<Body> {
    match e {
        MergeFailure::NotFound(_) => error_response(404, "not_found", "no such record", rid),
        MergeFailure::Refused(e) => error_response(409, "cannot_merge", &e.to_string(), rid),
        MergeFailure::Store(StoreError::Conflict) => {
            error_response(409, "changed", "a record changed meanwhile (another merge, a new status): reload and try again", rid)
        }
        MergeFailure::Store(e) => {
            warn!(error = %e, "merge route failed");
            guard::unavailable(rid)
        }
    }
}

/// The two leads, or 404.
async fn pair_leads(services: &Services, caller: &Caller, pair: PairKey) -> Result<(Lead, Lead), Response<Body>> {
    let mut out = Vec::new();
    for id in [pair.0, pair.1] {
        match services.leads.get(id).await {
            Ok(Some(l)) => out.push(l),
            Ok(None) => return Err(error_response(404, "not_found", "no such record", caller.request_id())),
            Err(_) => return Err(guard::unavailable(caller.request_id())),
        }
    }
    let b = out.pop().expect("two");
    let a = out.pop().expect("two");
    Ok((a, b))
}

async fn list(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "GET /merge/reviews") {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_review_duplicates(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Read, None).await;
    }
    let limit = match query(req, "limit").map(|v| v.parse::<usize>().ok().filter(|n| (1..=100).contains(n))) {
        None => 25,
        Some(Some(n)) => n,
        Some(None) => return invalid("limit", "must be a number from 1 to 100"),
    };
    let cursor = match query(req, "cursor").map(|c| PairKey::parse(&c)) {
        None => None,
        Some(Some(c)) => Some(c),
        Some(None) => return invalid("cursor", "is not a cursor from an earlier page"),
    };
    let (items, next) = match services.dedupe.reviews(cursor, limit).await {
        Ok(r) => r,
        Err(_) => return guard::unavailable(caller.request_id()),
    };
    // A manager sees the pairs whose two records are both within their scope.
    let mut shown = Vec::new();
    for item in items {
        if caller.principal.role != Role::Admin {
            let Ok((a, b)) = pair_leads(services, &caller, item.pair).await else { continue };
            let team = &services.config.team;
            if !(policy::can_read_lead(&caller.principal, team, &a) && policy::can_read_lead(&caller.principal, team, &b)) {
                continue;
            }
        }
        let confidence = crate::domain::matching::PairScore { points: item.points, reasons: item.reasons.clone() }
            .confidence(&services.config.matching.thresholds);
        shown.push(json!({
            "pair": item.pair.to_string(),
            "leads": [item.pair.0, item.pair.1],
            "points": item.points,
            "confidence": (confidence * 1000.0).round() / 1000.0,
            "reasons": item.reasons.iter().map(|(r, p)| json!({"evidence": r, "points": p})).collect::<Vec<_>>(),
            "detected_at": item.detected_at,
        }));
    }
    if let Err(r) = guard::record(services, &caller, AuditAction::Read, None, REVIEW_QUEUE).await {
        return r;
    }
    json_response(200, &json!({"items": shown, "next_cursor": next.map(|p| p.to_string())}))
}

/// Records a merge (or an unmerge) on both records.
async fn record_both(services: &Services, caller: &Caller, ids: [LeadId; 2], change: EventId) -> Result<(), Response<Body>> {
    for id in ids {
        guard::record_change(services, caller, id, paths::WHOLE_LEAD, change).await?;
    }
    Ok(())
}

async fn decide(services: &Services, req: &Request, accept: bool) -> Response<Body> {
    let route = if accept { "POST /merge/reviews/{pair}/accept" } else { "POST /merge/reviews/{pair}/reject" };
    let caller = match authenticate(req, route) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_review_duplicates(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Update, None).await;
    }
    let Some(pair) = guard::path_text(req, "pair").ok().and_then(|p| PairKey::parse(&p)) else {
        return error_response(404, "not_found", "no such review item", caller.request_id());
    };
    match services.dedupe.review(pair).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_response(404, "not_found", "no such review item", caller.request_id()),
        Err(_) => return guard::unavailable(caller.request_id()),
    }
    let (a, b) = match pair_leads(services, &caller, pair).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let team = &services.config.team;
    if !(policy::can_merge_lead(&caller.principal, team, &a) && policy::can_merge_lead(&caller.principal, team, &b)) {
        return guard::refuse(services, &caller, AuditAction::Update, Some(a.id)).await;
    }
    if !accept {
        let now = services.clock.now();
        if services.dedupe.mark_distinct(pair, now).await.is_err() || services.dedupe.close_review(pair).await.is_err() {
            return guard::unavailable(caller.request_id());
        }
        let change = EventId::derived(now, format!("distinct:{pair}").as_bytes());
        for id in [a.id, b.id] {
            let entry = caller.entry(services, AuditAction::Update).lead(id).fields(REVIEW_QUEUE).derived(&format!("{id}:{change}"));
            if let Err(r) = guard::record_entry(services, &entry).await {
                return r;
            }
        }
        return json_response(200, &json!({"pair": pair.to_string(), "decision": "distinct"}));
    }
    let (s, x) = if older_first(&a, &b) { (a.id, b.id) } else { (b.id, a.id) };
    merged_answer(services, &caller, merge(services, s, x, How::Review, &caller.principal.user_id).await).await
}

async fn merged_answer(services: &Services, caller: &Caller, outcome: Result<MergeOutcome, MergeFailure>) -> Response<Body> {
    match outcome {
        Ok(MergeOutcome::Merged { merge_id, survivor, absorbed }) => {
            if let Err(r) = record_both(services, caller, [survivor, absorbed], merge_id).await {
                return r;
            }
            json_response(200, &json!({"merge_id": merge_id, "survivor": survivor, "absorbed": absorbed}))
        }
        Ok(MergeOutcome::AlreadyOne { survivor }) => json_response(200, &json!({"survivor": survivor, "already_merged": true})),
        Err(e) => failure(e, caller.request_id()),
    }
}

async fn manual(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "POST /leads/{id}/merge") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lead = match guard::lead(services, &caller, req, AuditAction::Update, policy::can_merge_lead).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let fields = match json_fields(req, &["absorb"]) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(other) = fields.get("absorb").and_then(|v| v.trim().parse::<LeadId>().ok()).filter(|o| *o != lead.id) else {
        return invalid("absorb", "must be the id of another lead");
    };
    let other_lead = match services.leads.get(other).await {
        Ok(Some(l)) => l,
        Ok(None) => return invalid("absorb", "names no lead"),
        Err(_) => return guard::unavailable(caller.request_id()),
    };
    if !policy::can_merge_lead(&caller.principal, &services.config.team, &other_lead) {
        return guard::refuse(services, &caller, AuditAction::Update, Some(other)).await;
    }
    merged_answer(services, &caller, merge(services, lead.id, other, How::Manual, &caller.principal.user_id).await).await
}

async fn undo(services: &Services, req: &Request) -> Response<Body> {
    let caller = match authenticate(req, "POST /leads/{id}/unmerge") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lead = match guard::lead(services, &caller, req, AuditAction::Update, policy::can_merge_lead).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    // The other record of the merge must be within the caller's scope too.
    if let Ok(Some(m)) = crate::app::merge::latest_merge(services, lead.id).await {
        let other = if m.survivor == lead.id { m.absorbed } else { m.survivor };
        if let Ok(Some(o)) = services.leads.get(other).await {
            if !policy::can_merge_lead(&caller.principal, &services.config.team, &o) {
                return guard::refuse(services, &caller, AuditAction::Update, Some(other)).await;
            }
        }
    }
    match unmerge(services, lead.id).await {
        Ok(UnmergeOutcome::Restored(m)) => {
            let change = EventId::derived(services.clock.now(), format!("unmerge:{}", m.id).as_bytes());
            if let Err(r) = record_both(services, &caller, [m.survivor, m.absorbed], change).await {
                return r;
            }
            json_response(200, &json!({"merge_id": m.id, "survivor": m.survivor, "restored": m.absorbed}))
        }
        Ok(UnmergeOutcome::NothingToUndo) => {
            error_response(409, "nothing_to_undo", "this record has no merge left to undo", caller.request_id())
        }
        Err(e) => failure(e, caller.request_id()),
    }
}
