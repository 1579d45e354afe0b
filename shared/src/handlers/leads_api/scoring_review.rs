//! `GET /reports/scoring-review?model=...&from=...&to=...`: a scoring model's bands
//! against actual outcomes, with suggested factor weights next to the current ones. Reports
//! role matrix (admin, manager, analyst; agents 403), recorded in the audit trail, aggregates
//! only: no lead ids, no personal data. Bad parameters answer 422 naming the field.

use crate::app::scoring_review::{run, ReviewQuery};
use crate::app::Services;
use crate::auth::policy;
use crate::domain::intake_form::FieldError;
use crate::domain::AuditAction;
use crate::handlers::guard;
use crate::http::json_response;
use chrono::{DateTime, NaiveDate, Utc};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use tracing::warn;

/// The route, as in the router and the audit trail.
pub const ROUTE: &str = "GET /reports/scoring-review";
/// Longest period one review covers.
pub const MAX_DAYS: i64 = 366;

fn param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `2026-03-01` (midnight UTC) or an RFC 3339 time.
fn time(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

fn query(services: &Services, req: &Request) -> Result<ReviewQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let model = param(req, "model");
    match &model {
        None => errors.push(FieldError::new("model", "required", "name the scoring model to review")),
        Some(m) if !services.config.scoring.models.iter().any(|x| &x.name == m) => {
            errors.push(FieldError::new("model", "unknown_model", "not a configured scoring model"))
        }
        Some(_) => {}
    }
    let mut when = |name: &str| match param(req, name) {
        None => {
            errors.push(FieldError::new(name, "required", "a date (YYYY-MM-DD) or an RFC 3339 time"));
            None
        }
        Some(v) => time(&v).or_else(|| {
            errors.push(FieldError::new(name, "invalid_time", "a date (YYYY-MM-DD) or an RFC 3339 time"));
            None
        }),
    };
    let (from, to) = (when("from"), when("to"));
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            errors.push(FieldError::new("to", "empty_period", "must be after from"));
        } else if (t - f).num_days() > MAX_DAYS {
            errors.push(FieldError::new("to", "period_too_long", "a review covers at most 366 days"));
        }
    }
    match (model, from, to) {
        (Some(model), Some(from), Some(to)) if errors.is_empty() => Ok(ReviewQuery { model, from, to }),
        _ => Err(errors),
    }
}

/// Handles the route.
pub async fn scoring_review(services: &Services, req: Request) -> Response<Body> {
    let caller = match guard::authenticate(&req, ROUTE) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !policy::can_read_reports(&caller.principal) {
        return guard::refuse(services, &caller, AuditAction::Read, None).await;
    }
    let q = match query(services, &req) {
        Ok(q) => q,
        Err(fields) => {
            return json_response(
                422,
                &json!({"error": "validation_failed", "message": "some parameters are missing or invalid", "fields": fields}),
            )
        }
    };
    let review = match run(services, &q).await {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "scoring review failed");
            return guard::unavailable(caller.request_id());
        }
    };
    // Aggregates only: recorded as a read of no lead and no personal field.
    if let Err(r) = guard::record(services, &caller, AuditAction::Read, None, &["report.scoring_review"]).await {
        return r;
    }
    json_response(200, &review)
}
