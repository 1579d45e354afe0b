//! The report routes (JWT-authorized in API Gateway, role-checked here). Reports carry counts,
//! sums and rates per period and dimension value: never a lead's id, name, contact details or
//! health information, which is why analysts may read them.
//!
//! | route | roles (`auth::policy`) | recorded as |
//! |---|---|---|
//! | `GET /reports/kpis`, `/reports/attribution`, `/reports/cohorts`, `/reports/sla`, `/reports/sources/unrecognized`, `/reports/charts/{chart}` | admin, manager, analyst (`can_read_reports`) | `read` of `reports` |
//! | `GET /spend` | admin, manager, analyst | `read` of `spend` |
//! | `POST /spend`, `POST /spend/import` | admin, manager (`can_enter_spend`) | `update` of `spend` |
//! | `GET /reports/audit`, any report with `engine=recompute` (reads every lead) | admin (`can_recompute_reports`) | `read` of the lead parts counted |
//!
//! Every refusal is the fixed 403 and is recorded as `denied` (`handlers::guard`); the record of
//! an allowed read is written before the answer (no unrecorded reads).
//!
//! Common query parameters: `from`, `to` (`YYYY-MM-DD`, organization time zone; default the
//! last 30 days), `period` (`day`, `week`, `month`, `all`: one line per value for the whole range), `dimension` (`all`, `source`, `campaign`,
//! `service_line`, `facility`, `channel`), `milestone` (`converted`, `booked`, `qualified`),
//! `format` (`json`, `csv`), `engine` (`aggregates`, `recompute`). Unknown parameters are refused
//! by name.

use super::guard::{self, Caller};
use super::staff::{invalid, json_fields};
use crate::app::analytics::reports::{self, Engine, Query};
use crate::app::analytics::spend;
use crate::app::Services;
use crate::auth::policy;
use crate::auth::Principal;
use crate::domain::analytics::spend::parse_month;
use crate::domain::analytics::{Dimension, Milestone, Period};
use crate::domain::audit::fields;
use crate::domain::intake_form::FieldError;
use crate::domain::AuditAction;
use crate::handlers::request::request_id;
use crate::http::{error_response, json_response};
use crate::render;
use chrono::{Duration, NaiveDate};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use tracing::{error, info};

/// What an aggregate report read is recorded as having read (counts, no lead's data).
pub const REPORTS: &str = "reports";
/// What reading or entering marketing spend is recorded as.
pub const SPEND: &str = "spend";
/// The parts of every lead in range a recompute reads to count them (never returned).
pub const RECOMPUTE_READS: &[&str] = &[fields::SOURCE, fields::CONTEXT, fields::STATUS, fields::PAYMENTS, fields::TIMELINE];

/// The response to give instead, when there is one.
type Refusal = Box<Response<Body>>;

/// The caller of `route` if `allowed` lets them; otherwise the 401/403 (a 403 recorded as denied).
async fn caller(
    services: &Services,
    req: &Request,
    route: &str,
    action: AuditAction,
    allowed: fn(&Principal) -> bool,
) -> Result<Caller, Refusal> {
    let caller = guard::authenticate(req, route).map_err(Box::new)?;
    if !allowed(&caller.principal) {
        return Err(Box::new(guard::refuse(services, &caller, action, None).await));
    }
    Ok(caller)
}

/// Longest range of an aggregate report, in days (three years).
const MAX_DAYS: i64 = 3 * 366;
/// Longest range of a recompute, in days.
const MAX_RECOMPUTE_DAYS: i64 = 366;
/// Largest CSV import.
const MAX_IMPORT_BYTES: usize = 1024 * 1024;

/// Dispatches by method and path.
pub async fn handle(services: &Services, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let method = req.method().as_str().to_string();
    let started = std::time::Instant::now();
    let response = match (method.as_str(), parts.as_slice()) {
        ("GET", ["reports", "kpis"]) => report(services, &req, Report::Kpis).await,
        ("GET", ["reports", "attribution"]) => report(services, &req, Report::Attribution).await,
        ("GET", ["reports", "cohorts"]) => report(services, &req, Report::Cohorts).await,
        ("GET", ["reports", "sla"]) => report(services, &req, Report::Sla).await,
        ("GET", ["reports", "sources", "unrecognized"]) => report(services, &req, Report::Unrecognized).await,
        ("GET", ["reports", "audit"]) => report(services, &req, Report::Audit).await,
        ("GET", ["reports", "charts", chart]) => match Chart::parse(chart) {
            Some(c) => report(services, &req, Report::Chart(c)).await,
            None => {
                error_response(404, "not_found", "charts: funnel.svg, conversion-by-source.svg, response-times.svg, attribution.svg", None)
            }
        },
        ("GET", ["spend"]) => list_spend(services, &req).await,
        ("POST", ["spend"]) => post_spend(services, &req).await,
        ("POST", ["spend", "import"]) => import_spend(services, &req).await,
        _ => error_response(404, "not_found", "no such route", request_id(&req).as_deref()),
    };
    info!(route = %path, status = response.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "report route");
    response
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chart {
    Funnel,
    ConversionBySource,
    ResponseTimes,
    Attribution,
}

impl Chart {
    fn parse(s: &str) -> Option<Self> {
        match s.trim_end_matches(".svg") {
            "funnel" => Some(Chart::Funnel),
            "conversion-by-source" => Some(Chart::ConversionBySource),
            "response-times" => Some(Chart::ResponseTimes),
            "attribution" => Some(Chart::Attribution),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Kpis,
    Attribution,
    Cohorts,
    Sla,
    Unrecognized,
    Audit,
    Chart(Chart),
}

impl Report {
    /// The route pattern, as the audit trail names it.
    fn route(self) -> &'static str {
        match self {
            Report::Kpis => "GET /reports/kpis",
            Report::Attribution => "GET /reports/attribution",
            Report::Cohorts => "GET /reports/cohorts",
            Report::Sla => "GET /reports/sla",
            Report::Unrecognized => "GET /reports/sources/unrecognized",
            Report::Audit => "GET /reports/audit",
            Report::Chart(_) => "GET /reports/charts/{chart}",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Report::Kpis => "kpis",
            Report::Attribution => "attribution",
            Report::Cohorts => "cohorts",
            Report::Sla => "sla",
            Report::Unrecognized => "unrecognized-sources",
            Report::Audit => "audit",
            Report::Chart(_) => "chart",
        }
    }

    /// The query parameters the report understands.
    fn parameters(self) -> &'static [&'static str] {
        match self {
            Report::Kpis => &["from", "to", "period", "dimension", "format", "engine"],
            Report::Attribution => &["from", "to", "dimension", "milestone", "format", "engine"],
            Report::Cohorts => &["from", "to", "dimension", "value", "format", "engine"],
            Report::Sla | Report::Unrecognized => &["from", "to", "format", "engine"],
            Report::Audit => &["from", "to", "format"],
            Report::Chart(_) => &["from", "to", "milestone", "dimension", "top", "engine"],
        }
    }
}

fn params(req: &Request) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(q) = req.query_string_parameters_ref() {
        for (k, v) in q.iter() {
            out.entry(k.to_string()).or_insert_with(|| v.trim().to_string());
        }
    }
    out
}

fn internal(e: impl std::fmt::Display, rid: Option<&str>) -> Response<Body> {
    error!(error = %e, "report failed");
    error_response(500, "internal_error", "the report could not be made", rid)
}

fn today(services: &Services) -> NaiveDate {
    services.clock.now().with_timezone(&services.config.organization.time_zone).date_naive()
}

fn date(p: &BTreeMap<String, String>, name: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let v = p.get(name).filter(|v| !v.is_empty())?;
    let parsed =
        NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().or_else(|| if name == "from" || name == "to" { parse_month(v) } else { None });
    if parsed.is_none() {
        errors.push(FieldError::new(name, "invalid_date", format!("{name} must be a date written YYYY-MM-DD")));
    }
    parsed
}

/// Reads the query; a refusal names every bad parameter.
fn query(services: &Services, req: &Request, report: Report) -> Result<(Query, Format, usize), Vec<FieldError>> {
    let p = params(req);
    let mut errors: Vec<FieldError> = p
        .keys()
        .filter(|k| !report.parameters().contains(&k.as_str()))
        .map(|k| {
            FieldError::new(k, "unknown_parameter", format!("{k} is not a parameter of this report ({})", report.parameters().join(", ")))
        })
        .collect();
    let today = today(services);
    let to = date(&p, "to", &mut errors);
    let from = date(&p, "from", &mut errors);
    let (from, to) = match report {
        // Cohorts: whole months, the last six by default; `to` given as a month means its end.
        Report::Cohorts => {
            let to = to.unwrap_or(today);
            (from.unwrap_or_else(|| Period::Month.start(to - Duration::days(5 * 31))), to)
        }
        _ => {
            let to = match (to, p.get("to")) {
                (Some(t), Some(raw)) if raw.len() == 7 => crate::domain::analytics::period::next_month(t) - Duration::days(1),
                (Some(t), _) => t,
                (None, _) => today,
            };
            (from.unwrap_or(to - Duration::days(29)), to)
        }
    };
    let choice = |name: &str, parse: &dyn Fn(&str) -> bool, allowed: &str, errors: &mut Vec<FieldError>| {
        if let Some(v) = p.get(name) {
            if !parse(v) {
                errors.push(FieldError::new(name, "invalid_choice", format!("{name} must be one of {allowed}")));
            }
        }
    };
    choice("period", &|v| Period::parse(v).is_some(), "day, week, month, all", &mut errors);
    choice("milestone", &|v| Milestone::parse(v).is_some(), "converted, booked, qualified", &mut errors);
    choice("engine", &|v| Engine::parse(v).is_some(), "aggregates, recompute", &mut errors);
    choice("format", &|v| v == "json" || v == "csv", "json, csv", &mut errors);
    let attribution_like = matches!(report, Report::Attribution | Report::Chart(Chart::Attribution));
    let dimension = match p.get("dimension").map(|d| Dimension::parse(d)) {
        None => match report {
            Report::Cohorts => Dimension::All,
            _ => Dimension::Source,
        },
        Some(Some(d)) if attribution_like && !matches!(d, Dimension::Source | Dimension::Campaign) => {
            errors.push(FieldError::new("dimension", "invalid_choice", "attribution is by source or campaign"));
            Dimension::Source
        }
        Some(Some(d)) => d,
        Some(None) => {
            errors.push(FieldError::new(
                "dimension",
                "invalid_choice",
                "dimension must be one of all, source, campaign, service_line, facility, channel",
            ));
            Dimension::Source
        }
    };
    let top = match p.get("top").map(|t| t.parse::<usize>()) {
        None => 8,
        Some(Ok(n)) if (1..=20).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new("top", "invalid_number", "top must be a number from 1 to 20"));
            8
        }
    };
    let engine = p.get("engine").and_then(|e| Engine::parse(e)).unwrap_or(Engine::Aggregates);
    let limit = if engine == Engine::Recompute || report == Report::Audit { MAX_RECOMPUTE_DAYS } else { MAX_DAYS };
    if from > to {
        errors.push(FieldError::new("from", "invalid_range", "from must not be after to"));
    } else if (to - from).num_days() >= limit {
        errors.push(FieldError::new("from", "range_too_long", format!("the range may span at most {limit} days")));
    }
    let format = if p.get("format").map(String::as_str) == Some("csv") { Format::Csv } else { Format::Json };
    if !errors.is_empty() {
        return Err(errors);
    }
    let q = Query {
        from,
        to,
        period: p.get("period").and_then(|v| Period::parse(v)).unwrap_or(Period::Month),
        dimension,
        milestone: p.get("milestone").and_then(|v| Milestone::parse(v)).unwrap_or(services.config.analytics.default_milestone),
        engine,
        value: p.get("value").filter(|v| !v.is_empty()).cloned(),
    };
    Ok((q, format, top))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn csv_response(name: &str, q: &Query, body: String) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", format!("attachment; filename=\"{name}-{}-{}.csv\"", q.from, q.to))
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

fn svg_response(body: String) -> Response<Body> {
    Response::builder()
        .status(200)
        .header("content-type", "image/svg+xml")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        // The SVG is an image: no scripts, no outside resources, even when opened directly.
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

fn out<T: Serialize>(
    format: Format,
    name: &str,
    q: &Query,
    value: &T,
    csv: impl FnOnce(&T) -> Result<String, render::csv::CsvError>,
) -> Response<Body> {
    match format {
        Format::Json => json_response(200, value),
        Format::Csv => match csv(value) {
            Ok(body) => csv_response(name, q, body),
            Err(e) => internal(e, None),
        },
    }
}

async fn report(services: &Services, req: &Request, report: Report) -> Response<Body> {
    let rid = request_id(req);
    let rid = rid.as_deref();
    let who = match caller(services, req, report.route(), AuditAction::Read, policy::can_read_reports).await {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let (q, format, top) = match query(services, req, report) {
        Ok(x) => x,
        Err(fields) => return invalid(&fields),
    };
    let reads_leads = q.engine == Engine::Recompute || report == Report::Audit;
    if reads_leads && !policy::can_recompute_reports(&who.principal) {
        return guard::refuse(services, &who, AuditAction::Read, None).await;
    }
    // Recorded before anything is answered: a recompute reads every lead of the range, even if
    // only to count it.
    let read: &[&'static str] = if reads_leads { RECOMPUTE_READS } else { &[REPORTS] };
    if let Err(r) = guard::record(services, &who, AuditAction::Read, None, read).await {
        return r;
    }
    if reads_leads {
        info!(user_id = %who.principal.user_id, role = who.principal.role.as_str(), report = report.name(), from = %q.from, to = %q.to, "recompute from leads");
    }
    let name = report.name();
    let result = match report {
        Report::Kpis => reports::kpis(services, &q).await.map(|r| out(format, name, &q, &r, render::csv::kpis)),
        Report::Attribution => reports::attribution(services, &q).await.map(|r| out(format, name, &q, &r, render::csv::attribution)),
        Report::Cohorts => reports::cohorts(services, &q, today(services)).await.map(|r| out(format, name, &q, &r, render::csv::cohorts)),
        Report::Sla => reports::sla(services, &q).await.map(|r| out(format, name, &q, &r, render::csv::sla)),
        Report::Unrecognized => {
            reports::unrecognized_sources(services, &q).await.map(|r| out(format, name, &q, &r, render::csv::unrecognized))
        }
        Report::Audit => reports::audit(services, q.from, q.to).await.map(|r| out(format, name, &q, &r, render::csv::audit)),
        Report::Chart(chart) => return chart_response(services, &q, chart, top).await,
    };
    result.unwrap_or_else(|e| internal(e, rid))
}

async fn chart_response(services: &Services, q: &Query, chart: Chart, top: usize) -> Response<Body> {
    let svg = match chart {
        Chart::Funnel => {
            let q = Query { dimension: Dimension::All, ..q.clone() };
            reports::kpis(services, &q).await.map(|r| render::svg::funnel(&r))
        }
        Chart::ConversionBySource => {
            let q = Query { dimension: Dimension::Source, period: Period::All, ..q.clone() };
            reports::kpis(services, &q).await.map(|r| render::svg::conversion_by_source(&r, top))
        }
        Chart::ResponseTimes => reports::response_times(services, q).await.map(|r| render::svg::response_times(&r, q.from, q.to)),
        Chart::Attribution => reports::attribution(services, q).await.map(|r| render::svg::attribution(&r, top)),
    };
    match svg {
        Ok(Ok(svg)) => svg_response(svg),
        Ok(Err(e)) => internal(e, None),
        Err(e) => internal(e, None),
    }
}

async fn list_spend(services: &Services, req: &Request) -> Response<Body> {
    let who = match caller(services, req, "GET /spend", AuditAction::Read, policy::can_read_reports).await {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let p = params(req);
    let mut errors: Vec<FieldError> = p
        .keys()
        .filter(|k| !["from", "to", "format"].contains(&k.as_str()))
        .map(|k| FieldError::new(k, "unknown_parameter", format!("{k} is not a parameter here (from, to, format)")))
        .collect();
    let today = today(services);
    let month = |name: &str, default: NaiveDate, errors: &mut Vec<FieldError>| match p.get(name) {
        None => default,
        Some(v) => parse_month(v).unwrap_or_else(|| {
            errors.push(FieldError::new(name, "invalid_month", format!("{name} must be a month written YYYY-MM")));
            default
        }),
    };
    let to = month("to", Period::Month.start(today), &mut errors);
    let from = month("from", Period::Month.start(to - Duration::days(365)), &mut errors);
    if !errors.is_empty() {
        return invalid(&errors);
    }
    if let Err(r) = guard::record(services, &who, AuditAction::Read, None, &[SPEND]).await {
        return r;
    }
    match services.aggregates.spend(from, to).await {
        Ok(entries) if p.get("format").map(String::as_str) == Some("csv") => match render::csv::spend(&entries) {
            Ok(body) => {
                let q = Query {
                    from,
                    to,
                    period: Period::Month,
                    dimension: Dimension::Source,
                    milestone: Milestone::Converted,
                    engine: Engine::Aggregates,
                    value: None,
                };
                csv_response("spend", &q, body)
            }
            Err(e) => internal(e, None),
        },
        Ok(entries) => json_response(200, &serde_json::json!({"from": from, "to": to, "entries": entries})),
        Err(e) => internal(e, None),
    }
}

async fn post_spend(services: &Services, req: &Request) -> Response<Body> {
    let who = match caller(services, req, "POST /spend", AuditAction::Update, policy::can_enter_spend).await {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let fields = match json_fields(req, spend::FIELDS) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let entry = match spend::entry(&fields, "", &services.config.organization.currency, services.clock.now(), &who.principal.user_id) {
        Ok(e) => e,
        Err(errors) => return invalid(&errors),
    };
    match spend::record(services, std::slice::from_ref(&entry)).await {
        Ok(()) => {
            if let Err(r) = guard::record(services, &who, AuditAction::Update, None, &[SPEND]).await {
                return r;
            }
            info!(user_id = %who.principal.user_id, month = %entry.month, "spend entered");
            json_response(200, &serde_json::json!({"entry": entry}))
        }
        Err(e) => internal(e, None),
    }
}

#[allow(clippy::result_large_err)]
fn csv_body(req: &Request) -> Result<&[u8], Refusal> {
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(media.as_str(), "text/csv" | "application/csv") {
        return Err(Box::new(error_response(415, "unsupported_media_type", "send text/csv with a header line", None)));
    }
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(Box::new(error_response(413, "payload_too_large", "an import may be at most 1 MiB", None)));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Box::new(error_response(400, "malformed_body", "the body is empty", None)));
    }
    Ok(bytes)
}

async fn import_spend(services: &Services, req: &Request) -> Response<Body> {
    let who = match caller(services, req, "POST /spend/import", AuditAction::Update, policy::can_enter_spend).await {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let bytes = match csv_body(req) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let entries = match spend::import(bytes, &services.config.organization.currency, services.clock.now(), &who.principal.user_id) {
        Ok(e) => e,
        Err(errors) => return invalid(&errors),
    };
    match spend::record(services, &entries).await {
        Ok(()) => {
            if let Err(r) = guard::record(services, &who, AuditAction::Update, None, &[SPEND]).await {
                return r;
            }
            info!(user_id = %who.principal.user_id, entries = entries.len(), "spend imported");
            json_response(200, &serde_json::json!({"imported": entries.len()}))
        }
        Err(e) => internal(e, None),
    }
}
