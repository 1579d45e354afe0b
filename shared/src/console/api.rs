//! The console does what it does through the API's own handlers, called in-process with the
//! signed-in person's claims in the request context, exactly where API Gateway's JWT authorizer
//! puts them. So every page and action passes the same guard, role matrix and audit trail as the
//! API (`handlers::guard`): a refusal the API would give, the console gives, and it is recorded
//! the same way.

use crate::app::Services;
use crate::console::session::Session;
use crate::handlers;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use serde_json::Value;
use std::collections::HashMap;

/// What an API call answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The API's sentence for a refusal (never the submitted values: the API does not echo them).
    pub fn message(&self) -> String {
        let v = self.json();
        let fields: Vec<String> = v["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|e| e["message"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if !fields.is_empty() {
            return fields.join("; ");
        }
        v["message"].as_str().map(str::to_string).unwrap_or_else(|| format!("the request was refused ({})", self.status))
    }
}

/// One signed-in person's calls into the API.
pub struct Api {
    services: Services,
    claims: HashMap<String, String>,
    source_ip: Option<String>,
    request_id: Option<String>,
}

/// The handler serving an API route (the same table as the API's routes in `template.yaml`).
type Handler = for<'s> fn(&'s Services, lambda_http::Request) -> futures::future::BoxFuture<'s, lambda_http::Response<Body>>;

fn handler(method: &str, path: &str) -> Option<Handler> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    Some(match (method, parts.as_slice()) {
        ("GET", ["inbox"]) | ("POST", ["leads", "search"]) | ("GET", ["leads", _]) => |s, r| Box::pin(handlers::leads_api::handle(s, r)),
        ("POST", ["leads", _, "status" | "assign" | "details" | "notes" | "stakeholders" | "milestones"])
        | ("POST", ["leads", _, "contact-points", "confirm"]) => |s, r| Box::pin(handlers::leads_api::handle(s, r)),
        ("POST", ["leads", _, "contacts" | "messages"]) => |s, r| Box::pin(handlers::contacts::handle(s, r)),
        ("GET", ["tasks"]) | ("GET", ["leads", _, "tasks" | "cadence"]) | ("POST", ["leads", _, "cadence", "pause" | "resume"]) => {
            |s, r| Box::pin(handlers::cadence_api::handle(s, r))
        }
        ("GET", ["team"]) | ("PUT", ["team", _, "availability"]) => |s, r| Box::pin(handlers::team::handle(s, r)),
        ("GET", ["audit", "leads", _]) => |s, r| Box::pin(handlers::audit::by_lead(s, r)),
        ("GET", ["audit", "users", _]) => |s, r| Box::pin(handlers::audit::by_user(s, r)),
        ("GET", ["people", _, "export"]) => |s, r| Box::pin(handlers::people::export(s, r)),
        ("DELETE", ["people", _]) => |s, r| Box::pin(handlers::people::erase(s, r)),
        ("GET", ["reports", ..]) => |s, r| Box::pin(handlers::reports::handle(s, r)),
        _ => return None,
    })
}

/// The path parameters of an API path, named as the routes name them.
fn path_parameters(path: &str) -> HashMap<String, String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut out = HashMap::new();
    match parts.as_slice() {
        ["leads", id, ..] if *id != "search" => {
            out.insert("id".into(), id.to_string());
        }
        ["team", member, ..] => {
            out.insert("member".into(), member.to_string());
        }
        ["audit", _, id] | ["people", id, ..] => {
            out.insert("id".into(), id.to_string());
        }
        ["reports", "charts", chart] => {
            out.insert("chart".into(), chart.to_string());
        }
        _ => {}
    }
    out
}

impl Api {
    /// Calls as `session`'s person, from the console request `req` (its address and request id
    /// go into the audit trail).
    pub fn new(services: Services, session: &Session, req: &lambda_http::Request) -> Api {
        let p = session.principal();
        let mut claims =
            HashMap::from([("sub".to_string(), p.user_id.clone()), ("cognito:groups".to_string(), format!("[{}]", p.role.as_str()))]);
        if !p.facilities.is_empty() {
            claims.insert("custom:facilities".into(), p.facilities.join(","));
        }
        Api { services, claims, source_ip: crate::handlers::request::source_ip(req), request_id: crate::handlers::request::request_id(req) }
    }

    /// `method path?query` with an optional JSON body and extra headers.
    pub async fn call(&self, method: &str, path_and_query: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Answer {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let Some(h) = handler(method, path) else {
            return Answer { status: 404, headers: Default::default(), body: r#"{"error":"not_found"}"#.into() };
        };
        let mut builder = http::Request::builder().method(method).uri(path_and_query);
        if body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = match body {
            Some(v) => Body::Text(v.to_string()),
            None => Body::Empty,
        };
        let Ok(req) = builder.body(body) else {
            return Answer { status: 400, headers: Default::default(), body: r#"{"error":"bad_request"}"#.into() };
        };
        let mut q: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default() {
            q.entry(k).or_default().push(v);
        }
        let mut ctx = ApiGatewayV2httpRequestContext::default();
        ctx.request_id = self.request_id.clone();
        ctx.http.method = method.parse().unwrap_or_default();
        ctx.http.path = Some(path.to_string());
        ctx.http.source_ip = self.source_ip.clone();
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = self.claims.clone();
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        ctx.authorizer = Some(authorizer);
        let req = req
            .with_raw_http_path(path)
            .with_query_string_parameters(q)
            .with_path_parameters(path_parameters(path))
            .with_request_context(RequestContext::ApiGatewayV2(ctx));
        let resp = h(&self.services, req).await;
        let (parts, body) = resp.into_parts();
        let body = match body {
            Body::Text(t) => t,
            Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            _ => String::new(),
        };
        Answer { status: parts.status.as_u16(), headers: parts.headers, body }
    }

    /// The services the calls run on.
    pub fn services(&self) -> &Services {
        &self.services
    }

    pub async fn get(&self, path_and_query: &str) -> Answer {
        self.call("GET", path_and_query, None, &[]).await
    }

    /// A JSON POST with an idempotency key (a form's one-time key: a resubmitted form acts once).
    pub async fn post(&self, path: &str, body: &Value, key: Option<&str>) -> Answer {
        match key {
            Some(k) => self.call("POST", path, Some(body), &[("idempotency-key", k)]).await,
            None => self.call("POST", path, Some(body), &[]).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_console_call_has_a_handler_and_its_parameters() {
        for (m, p) in [
            ("GET", "/inbox"),
            ("POST", "/leads/search"),
            ("GET", "/leads/01JQ0000000000000000000001"),
            ("POST", "/leads/01JQ0000000000000000000001/messages"),
            ("GET", "/leads/01JQ0000000000000000000001/tasks"),
            ("PUT", "/team/maria/availability"),
            ("GET", "/audit/users/u-1"),
            ("DELETE", "/people/01JQ0000000000000000000001"),
            ("GET", "/reports/charts/funnel.svg"),
        ] {
            assert!(handler(m, p).is_some(), "{m} {p}");
        }
        assert!(handler("GET", "/local/outbox").is_none());
        assert_eq!(path_parameters("/leads/abc/status")["id"], "abc");
        assert!(path_parameters("/leads/search").is_empty());
        assert_eq!(path_parameters("/team/maria/availability")["member"], "maria");
        assert_eq!(path_parameters("/audit/users/u-1")["id"], "u-1");
        assert_eq!(path_parameters("/reports/charts/funnel.svg")["chart"], "funnel.svg");
    }
}
