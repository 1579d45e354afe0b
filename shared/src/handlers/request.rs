//! What a handler reads off an API Gateway (HTTP API, payload v2) request besides its body.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The caller's IP address as API Gateway saw it.
pub fn source_ip(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
}

/// API Gateway's request id, for correlating an error answer with logs.
pub fn request_id(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
}

/// A header as text, if present and visible ASCII.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `https://` and the domain the request was made to (API Gateway's `domainName`), if known.
pub fn public_url(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.clone().filter(|d| !d.is_empty()).map(|d| format!("https://{d}")),
        _ => None,
    }
}
