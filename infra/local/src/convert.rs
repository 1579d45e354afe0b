//! Turns a hyper request into the `lambda_http::Request` API Gateway (HTTP API, payload v2)
//! would hand the function, and the function's response back into hyper's, so handlers run
//! unchanged.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use std::collections::HashMap;
use std::net::SocketAddr;

/// API Gateway's own payload limit; the handlers enforce their tighter ones.
pub const MAX_GATEWAY_BODY: usize = 10 * 1024 * 1024;

/// The request as a Lambda handler would receive it, or `None` if the body exceeds the
/// gateway's limit.
pub async fn to_lambda(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    path_params: HashMap<String, String>,
    claims: Option<HashMap<String, String>>,
) -> Option<lambda_http::Request> {
    let (parts, body) = req.into_parts();
    let bytes = Limited::new(body, MAX_GATEWAY_BODY).collect().await.ok()?.to_bytes();
    let query: HashMap<String, Vec<String>> = parts
        .uri
        .query()
        .map(|q| {
            let mut m: HashMap<String, Vec<String>> = HashMap::new();
            for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default() {
                m.entry(k).or_default().push(v);
            }
            m
        })
        .unwrap_or_default();
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.request_id = Some(ulid::Ulid::new().to_string());
    ctx.stage = Some("$default".into());
    ctx.http.method = parts.method.clone();
    ctx.http.path = Some(parts.uri.path().to_string());
    ctx.http.source_ip = Some(peer.ip().to_string());
    ctx.http.user_agent = parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(claims) = claims {
        // Where API Gateway's JWT authorizer puts the verified claims.
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        ctx.authorizer = Some(authorizer);
    }
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    let path = parts.uri.path().to_string();
    let req = http::Request::from_parts(parts, body);
    Some(
        req.with_raw_http_path(path)
            .with_query_string_parameters(query)
            .with_path_parameters(path_params)
            .with_request_context(RequestContext::ApiGatewayV2(ctx)),
    )
}

/// The handler's response as hyper's.
pub fn from_lambda(resp: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
