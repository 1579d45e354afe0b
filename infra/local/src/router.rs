//! The routes of the HTTP API (as in `template.yaml`) plus the runner's own `/local/...` routes.
//! Protected routes pass the local JWT authorizer first, exactly where API Gateway's would run.

use crate::authorizer::{DevAuthority, TokenRequest};
use crate::convert::{from_lambda, to_lambda};
use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use lambda_http::Body;
use leadflow::handlers;
use leadflow::http::{error_response, json_response};
use leadflow::wiring::embedded::EmbeddedSystem;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `POST /leads`, the form's assets and beacons, signed webhooks and signed unsubscribe
    /// links: open, the handler verifies what it needs.
    Public,
    /// Everything that reads or changes lead data: a valid token is required.
    Authorized,
}

type Handler = for<'a> fn(&'a EmbeddedSystem, lambda_http::Request) -> BoxFuture<'a, lambda_http::Response<Body>>;

/// One API route: the same method, path pattern and access as in `template.yaml`.
pub struct Route {
    pub method: Method,
    /// `/leads/{id}` style pattern.
    pub pattern: &'static str,
    pub access: Access,
    pub handler: Handler,
}

/// The API routes served in AWS by API Gateway. Every route here needs a row in the access
/// matrix of `tests/local/security_matrix.rs` (the test fails otherwise).
pub fn api_routes() -> Vec<Route> {
    let mut routes = vec![
        Route {
            method: Method::POST,
            pattern: "/leads",
            access: Access::Public,
            handler: |s, r| Box::pin(handlers::intake::handle(&s.services, r)),
        },
        // Signed links (the token is the authorization).
        Route {
            method: Method::GET,
            pattern: "/links/confirm",
            access: Access::Public,
            handler: |s, r| Box::pin(handlers::links::handle(&s.services, r)),
        },
        Route {
            method: Method::POST,
            pattern: "/links/confirm",
            access: Access::Public,
            handler: |s, r| Box::pin(handlers::links::handle(&s.services, r)),
        },
        // Scoring, routing, SLAs.
        Route {
            method: Method::POST,
            pattern: "/leads/{id}/contacts",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::contacts::handle(&s.services, r)),
        },
        // A staff member's text or e-mail to the person (the contacts function in AWS).
        Route {
            method: Method::POST,
            pattern: "/leads/{id}/messages",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::contacts::handle(&s.services, r)),
        },
        Route {
            method: Method::POST,
            pattern: "/leads/{id}/touchpoints",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::touchpoints::handle(&s.services, r)),
        },
        Route {
            method: Method::GET,
            pattern: "/team",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::team::list(&s.services, r)),
        },
        Route {
            method: Method::PUT,
            pattern: "/team/{member}/availability",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::team::availability(&s.services, r)),
        },
        // Security: audit trail and person rights.
        Route {
            method: Method::GET,
            pattern: "/audit/leads/{id}",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::audit::by_lead(&s.services, r)),
        },
        Route {
            method: Method::GET,
            pattern: "/audit/users/{id}",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::audit::by_user(&s.services, r)),
        },
        Route {
            method: Method::GET,
            pattern: "/people/{id}/export",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::people::export(&s.services, r)),
        },
        Route {
            method: Method::DELETE,
            pattern: "/people/{id}",
            access: Access::Authorized,
            handler: |s, r| Box::pin(handlers::people::erase(&s.services, r)),
        },
    ];
    // Lifecycle, timeline, webhooks.
    routes.extend(lead_routes());
    routes.extend(webhook_routes());
    // Attribution and KPIs.
    routes.extend(report_routes());
    // Source-tag audit.
    routes.extend(source_routes());
    // Follow-up cadences.
    routes.extend(cadence_routes());
    // Duplicate review and merges.
    routes.extend(merge_routes());
    // The signed email unsubscribe link: public, the token is verified by the handler.
    routes.push(Route {
        method: Method::GET,
        pattern: "/unsubscribe",
        access: Access::Public,
        handler: |s, r| Box::pin(handlers::unsubscribe::confirm_page(&s.services, r)),
    });
    routes.push(Route {
        method: Method::POST,
        pattern: "/unsubscribe",
        access: Access::Public,
        handler: |s, r| Box::pin(handlers::unsubscribe::handle(&s.services, r)),
    });
    // The embeddable form and the site snippet's beacons.
    routes.extend(form_routes());
    routes
}

/// The embeddable form's routes (`functions/src/forms.rs`): public; nothing in them reads or
/// changes a lead (the form posts to `POST /leads`).
fn form_routes() -> Vec<Route> {
    let route = |method: Method, pattern: &'static str| Route {
        method,
        pattern,
        access: Access::Public,
        handler: |s, r| Box::pin(handlers::forms::handle(&s.services, r)),
    };
    vec![
        route(Method::GET, "/forms/embed.js"),
        route(Method::GET, "/forms/{form}"),
        route(Method::GET, "/forms/{form}/start"),
        route(Method::GET, "/forms/{form}/page"),
        route(Method::POST, "/visits"),
    ]
}

/// The follow-up routes (`functions/src/cadence_api.rs`): all need a token.
fn cadence_routes() -> Vec<Route> {
    let route = |method: Method, pattern: &'static str| Route {
        method,
        pattern,
        access: Access::Authorized,
        handler: |s, r| Box::pin(handlers::cadence_api::handle(&s.services, r)),
    };
    vec![
        route(Method::GET, "/tasks"),
        route(Method::GET, "/leads/{id}/tasks"),
        route(Method::GET, "/leads/{id}/cadence"),
        route(Method::POST, "/leads/{id}/cadence/pause"),
        route(Method::POST, "/leads/{id}/cadence/resume"),
    ]
}

/// The report and spend routes (`functions/src/reports.rs`): all need a token; reports carry no
/// personal data, so analysts may read them.
fn report_routes() -> Vec<Route> {
    let route = |method: Method, pattern: &'static str| Route {
        method,
        pattern,
        access: Access::Authorized,
        handler: |s, r| Box::pin(handlers::reports::handle(&s.services, r)),
    };
    vec![
        route(Method::GET, "/reports/kpis"),
        route(Method::GET, "/reports/attribution"),
        route(Method::GET, "/reports/cohorts"),
        route(Method::GET, "/reports/sla"),
        route(Method::GET, "/reports/sources/unrecognized"),
        route(Method::GET, "/reports/audit"),
        route(Method::GET, "/reports/charts/{chart}"),
        route(Method::GET, "/spend"),
        route(Method::POST, "/spend"),
        route(Method::POST, "/spend/import"),
    ]
}

/// The source-tag audit and re-tagging (`functions/src/sources.rs`): lead ids and tags, so a token and
/// an administrator or manager.
fn source_routes() -> Vec<Route> {
    let route = |method: Method, pattern: &'static str| Route {
        method,
        pattern,
        access: Access::Authorized,
        handler: |s, r| Box::pin(handlers::sources::handle(&s.services, r)),
    };
    vec![route(Method::GET, "/sources/audit"), route(Method::POST, "/sources/retag")]
}

/// Duplicate review and merges (`functions/src/merges.rs`): all need a token.
fn merge_routes() -> Vec<Route> {
    let route = |method: Method, pattern: &'static str| Route {
        method,
        pattern,
        access: Access::Authorized,
        handler: |s, r| Box::pin(handlers::merges::handle(&s.services, r)),
    };
    vec![
        route(Method::GET, "/merge/reviews"),
        route(Method::POST, "/merge/reviews/{pair}/accept"),
        route(Method::POST, "/merge/reviews/{pair}/reject"),
        route(Method::POST, "/leads/{id}/merge"),
        route(Method::POST, "/leads/{id}/unmerge"),
    ]
}

/// The team's lead routes (`functions/src/leads_api.rs`): all need a token.
fn lead_routes() -> Vec<Route> {
    let route = |method: Method, pattern: &'static str| Route {
        method,
        pattern,
        access: Access::Authorized,
        handler: |s, r| Box::pin(handlers::leads_api::handle(&s.services, r)),
    };
    vec![
        route(Method::GET, "/leads"),
        route(Method::GET, "/leads/{id}"),
        route(Method::POST, "/leads/{id}/status"),
        route(Method::POST, "/leads/{id}/stakeholders"),
        route(Method::POST, "/leads/{id}/milestones"),
        route(Method::POST, "/leads/{id}/contact-points/confirm"),
        // The staff console's routes: the inbox, search, assignment, corrections, notes.
        route(Method::GET, "/inbox"),
        route(Method::POST, "/leads/search"),
        route(Method::POST, "/leads/{id}/assign"),
        route(Method::POST, "/leads/{id}/details"),
        route(Method::POST, "/leads/{id}/notes"),
        // The scoring review (reports roles; aggregates only).
        route(Method::GET, "/reports/scoring-review"),
    ]
}

/// The signed webhooks (`functions/src/webhooks.rs`): public, each verifies its sender.
fn webhook_routes() -> Vec<Route> {
    let route = |pattern: &'static str| Route {
        method: Method::POST,
        pattern,
        access: Access::Public,
        handler: |s, r| Box::pin(handlers::webhooks::handle(&s.services, r)),
    };
    vec![
        route("/webhooks/twilio/sms"),
        route("/webhooks/sns/sms"),
        route("/webhooks/sns/email"),
        route("/webhooks/calls"),
        route("/webhooks/appointments"),
        route("/webhooks/payments"),
        route("/webhooks/sources/{source}"),
    ]
}

/// Path parameters if `path` matches `pattern`.
fn matches(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    if p.len() != q.len() {
        return None;
    }
    let mut params = HashMap::new();
    for (a, b) in p.iter().zip(&q) {
        match a.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            Some(name) if !b.is_empty() => {
                params.insert(name.to_string(), b.to_string());
            }
            Some(_) => return None,
            None if a == b => {}
            None => return None,
        }
    }
    Some(params)
}

/// Dispatches requests to the Lambda handlers.
pub struct Router {
    system: EmbeddedSystem,
    authority: DevAuthority,
    routes: Vec<Route>,
    travel: Option<std::sync::Arc<crate::clock::TravelClock>>,
    /// The staff console at `/` and `/console/...`, signing in through the dev issuer.
    console: Option<(std::sync::Arc<leadflow::console::Console>, std::sync::Arc<crate::console_signin::DevSignIn>)>,
}

impl Router {
    pub fn new(system: EmbeddedSystem, authority: DevAuthority) -> Self {
        Router { system, authority, routes: api_routes(), travel: None, console: None }
    }

    /// Serves the staff console (`base_url`: the runner's own address, for the sign-in callback).
    pub fn with_console(mut self, base_url: &str) -> Self {
        let signin = std::sync::Arc::new(crate::console_signin::DevSignIn::new(self.authority.clone()));
        let console = leadflow::console::Console::new(self.system.services.clone(), signin.clone(), Some(base_url.to_string())).local();
        self.console = Some((std::sync::Arc::new(console), signin));
        self
    }

    /// Lets `POST /local/tick` move this clock forward.
    pub fn with_travel(mut self, travel: Option<std::sync::Arc<crate::clock::TravelClock>>) -> Self {
        self.travel = travel;
        self
    }

    pub async fn route(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        let path = if path.is_empty() { "/".to_string() } else { path };
        if path.starts_with("/local/") {
            return from_lambda(self.local(req).await);
        }
        // The staff console (its own sign-in and session; not an API route).
        if path == "/" || path == "/console" || path.starts_with("/console/") {
            if let Some((console, _)) = &self.console {
                return match to_lambda(req, peer, HashMap::new(), None).await {
                    Some(r) => from_lambda(console.handle(r).await),
                    None => from_lambda(error_response(413, "payload_too_large", "the body is too large", None)),
                };
            }
        }
        // CORS, as API Gateway's CorsConfiguration answers it: API-wide, for the configured
        // origins only.
        let origin = req.headers().get("origin").and_then(|v| v.to_str().ok()).map(str::to_string);
        if req.method() == Method::OPTIONS {
            return from_lambda(crate::cors::preflight(&self.system.services.config, origin.as_deref(), req.headers()));
        }
        let mut path_known = false;
        for route in &self.routes {
            let Some(params) = matches(route.pattern, &path) else { continue };
            path_known = true;
            if route.method != req.method() {
                continue;
            }
            let claims = match route.access {
                Access::Public => None,
                Access::Authorized => {
                    let header = req.headers().get("authorization").and_then(|v| v.to_str().ok());
                    match self.authority.verify(header) {
                        Some(c) => Some(c),
                        // API Gateway's own answer when its authorizer refuses a token.
                        None => return from_lambda(json_response(401, &serde_json::json!({"message": "Unauthorized"}))),
                    }
                }
            };
            let mut resp = match to_lambda(req, peer, params, claims).await {
                Some(r) => (route.handler)(&self.system, r).await,
                None => error_response(413, "payload_too_large", "the body is too large", None),
            };
            crate::cors::decorate(&self.system.services.config, origin.as_deref(), &mut resp);
            return from_lambda(resp);
        }
        if path_known {
            from_lambda(error_response(405, "method_not_allowed", "this method is not allowed here", None))
        } else {
            from_lambda(error_response(404, "not_found", "no such route", None))
        }
    }

    /// The runner's own routes (not part of the deployed API).
    async fn local(&self, req: Request<Incoming>) -> lambda_http::Response<Body> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/local/outbox") => {
                // What leads received and what team members were told, oldest first;
                // `?channel=sms|team_sms|team_email` narrows it.
                let channel = req.uri().query().and_then(|q| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()?.into_iter().find(|(k, _)| k == "channel").map(|(_, v)| v)
                });
                let mut all = self.system.outbox.entries();
                all.extend(self.system.team_outbox.entries());
                all.sort_by_key(|e| e.at);
                all.retain(|e| channel.as_deref().is_none_or(|c| e.channel == c));
                json_response(200, &all)
            }
            (Method::GET, "/local/metrics") => {
                // The business metrics so far, oldest first, as the EMF documents a function
                // writes to its log on AWS (namespace `leadflow/local`).
                let docs: Vec<serde_json::Value> =
                    self.system.metrics.records().iter().map(|r| leadflow::adapters::aws::emf::document("leadflow/local", r)).collect();
                json_response(200, &docs)
            }
            (Method::GET, "/local/health") => json_response(200, &serde_json::json!({"status": "ok"})),
            (Method::POST, "/local/dev-token") => {
                let Ok(body) = Limited::new(req.into_body(), 4096).collect().await.map(|b| b.to_bytes()) else {
                    return error_response(413, "payload_too_large", "the body is too large", None);
                };
                let Ok(token_req) = serde_json::from_slice::<TokenRequest>(&body) else {
                    return error_response(
                        400,
                        "malformed_body",
                        "send {\"user\": \"...\", \"role\": \"admin|manager|agent|analyst\"}",
                        None,
                    );
                };
                match self.authority.issue(&token_req) {
                    Ok(token) => json_response(200, &serde_json::json!({"token": token, "token_type": "Bearer"})),
                    Err(msg) => error_response(422, "invalid_token_request", &msg, None),
                }
            }
            (Method::GET, "/local/whoami") => {
                let header = req.headers().get("authorization").and_then(|v| v.to_str().ok());
                match self.authority.verify(header).map(|c| leadflow::auth::Principal::from_claims(&c)) {
                    Some(Ok(p)) => json_response(200, &p),
                    Some(Err(e)) => error_response(e.status(), "forbidden", &e.to_string(), None),
                    None => json_response(401, &serde_json::json!({"message": "Unauthorized"})),
                }
            }
            (Method::POST, "/local/tick") => self.tick(req).await,
            // Which lead a receipt's inquiry landed on: the public answer never says, so a
            // developer (an admin dev token) looks it up here. Runner only.
            (Method::GET, p) if p.starts_with("/local/receipts/") => {
                let header = req.headers().get("authorization").and_then(|v| v.to_str().ok());
                match self.authority.verify(header).map(|c| leadflow::auth::Principal::from_claims(&c)) {
                    Some(Ok(principal)) if principal.role == leadflow::auth::Role::Admin => {}
                    Some(_) => return error_response(403, "forbidden", "an admin dev token is required", None),
                    None => return json_response(401, &serde_json::json!({"message": "Unauthorized"})),
                }
                let receipt = p.trim_start_matches("/local/receipts/").parse::<leadflow::domain::EventId>().ok();
                match receipt.and_then(|r| self.system.store.lead_of_receipt(r)) {
                    Some(lead_id) => json_response(200, &serde_json::json!({"lead_id": lead_id})),
                    None => error_response(404, "not_found", "no inquiry has this receipt", None),
                }
            }
            // The console's local sign-in (the dev issuer standing in for Cognito's hosted UI).
            (Method::GET, "/local/sign-in") if self.console.is_some() => {
                let query: HashMap<String, String> = req
                    .uri()
                    .query()
                    .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                let signin = &self.console.as_ref().expect("checked").1;
                signin.page(&self.system.services.config, &query)
            }
            (Method::POST, "/local/sign-in") if self.console.is_some() => {
                let Ok(body) = Limited::new(req.into_body(), 16 * 1024).collect().await.map(|b| b.to_bytes()) else {
                    return error_response(413, "payload_too_large", "the body is too large", None);
                };
                let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
                self.console.as_ref().expect("checked").1.submit(&form)
            }
            // The weekly summary now (EventBridge runs it every Monday in AWS): the emails
            // appear in /local/outbox with channel "email".
            (Method::POST, "/local/weekly-summary") => {
                self.system.settle().await;
                let event = aws_lambda_events::eventbridge::EventBridgeEvent::default();
                match handlers::weekly_summary::handle(&self.system.services, event).await {
                    Ok(outcome) => json_response(200, &outcome),
                    Err(e) => error_response(503, "weekly_summary_failed", &e.to_string(), None),
                }
            }
            // The daily hygiene job, run now: duplicates since the last run.
            (Method::POST, "/local/jobs/hygiene") => {
                self.system.settle().await;
                match leadflow::app::hygiene::run(&self.system.services).await {
                    Ok(report) => json_response(200, &report),
                    Err(e) => error_response(503, "job_failed", &e.to_string(), None),
                }
            }
            (
                _,
                "/local/outbox"
                | "/local/metrics"
                | "/local/health"
                | "/local/dev-token"
                | "/local/whoami"
                | "/local/tick"
                | "/local/weekly-summary"
                | "/local/jobs/hygiene"
                | "/local/sign-in",
            ) => error_response(405, "method_not_allowed", "this method is not allowed here", None),
            _ => error_response(404, "not_found", "no such route", None),
        }
    }
}

impl Router {
    /// `POST /local/tick [{"advance_seconds": N, "step_seconds": S}]`: lets the queue consumers
    /// finish, then moves the time-travel clock forward (when the runner has one) in steps of S
    /// seconds (default: all at once), and at every step runs what EventBridge runs every minute
    /// in AWS: the SLA checker and the follow-up function, then the queue consumers again. With
    /// `{"advance_seconds": 604800, "step_seconds": 60}` a 7-day cadence plays out in seconds.
    async fn tick(&self, req: Request<Incoming>) -> lambda_http::Response<Body> {
        let Ok(body) = Limited::new(req.into_body(), 4096).collect().await.map(|b| b.to_bytes()) else {
            return error_response(413, "payload_too_large", "the body is too large", None);
        };
        let bad =
            || error_response(400, "malformed_body", "send {\"advance_seconds\": 0..2592000, \"step_seconds\": 1..} or nothing", None);
        let (advance, step) = if body.iter().all(u8::is_ascii_whitespace) {
            (0, None)
        } else {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else { return bad() };
            let advance = match v.get("advance_seconds").map(|n| n.as_i64()) {
                None => 0,
                Some(Some(n)) if (0..=30 * 86_400).contains(&n) => n,
                Some(_) => return bad(),
            };
            let step = match v.get("step_seconds").map(|n| n.as_i64()) {
                None => None,
                Some(Some(n)) if n >= 1 => Some(n),
                Some(_) => return bad(),
            };
            (advance, step)
        };
        if advance > 0 && self.travel.is_none() {
            return error_response(409, "no_time_travel", "start the runner with --time-travel to move its clock", None);
        }
        let step = step.unwrap_or(advance.max(1)).min(advance.max(1));
        if advance / step > 100_000 {
            return error_response(422, "too_many_steps", "advance_seconds / step_seconds must be at most 100000", None);
        }
        self.system.settle().await;
        let (mut moved, mut ticks) = (0, 0u64);
        let mut totals = (0usize, 0usize);
        loop {
            let by = step.min(advance - moved);
            if by > 0 {
                if let Some(t) = &self.travel {
                    t.advance(chrono::Duration::seconds(by));
                }
                moved += by;
            }
            let sla = match self.system.tick().await {
                Ok(r) => r,
                Err(e) => return error_response(503, "tick_failed", &e.to_string(), None),
            };
            self.system.settle().await;
            let followup = match self.system.followup_tick().await {
                Ok(r) => r,
                Err(e) => return error_response(503, "tick_failed", &e.to_string(), None),
            };
            self.system.settle().await;
            ticks += 1;
            totals.0 += sla.handled;
            totals.1 += followup.handled;
            if moved >= advance {
                return json_response(
                    200,
                    &serde_json::json!({
                        "now": self.system.services.clock.now(),
                        "ticks": ticks,
                        "report": sla,
                        "followup": followup,
                        "handled": {"sla": totals.0, "followup": totals.1},
                    }),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_bind_path_parameters() {
        assert_eq!(matches("/leads", "/leads"), Some(Default::default()));
        assert_eq!(matches("/leads/{id}", "/leads/abc").unwrap()["id"], "abc");
        assert_eq!(matches("/leads/{id}", "/leads"), None);
        assert_eq!(matches("/leads/{id}/contacts", "/leads/abc/notes"), None);
    }
}
