//! The routes of the HTTP API (as in `template.yaml`) plus the runner's own `/local/...`
//! inspection routes.

use crate::convert::{from_lambda, to_lambda};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use leadflow::handlers;
use leadflow::http::{error_response, json_response};
use leadflow::runtime::embedded::EmbeddedSystem;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Dispatches requests to the Lambda handlers.
pub struct Router {
    system: EmbeddedSystem,
}

impl Router {
    pub fn new(system: EmbeddedSystem) -> Self {
        Router { system }
    }

    pub async fn route(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let method = req.method().clone();
        let path = req.uri().path().trim_end_matches('/').to_string();
        let services = &self.system.services;
        match (method.clone(), path.as_str()) {
            (Method::POST, "/leads") => match to_lambda(req, peer, HashMap::new()).await {
                Some(r) => from_lambda(handlers::intake::handle(services, r).await),
                None => from_lambda(error_response(413, "payload_too_large", "the body is too large", None)),
            },
            (Method::GET, "/local/outbox") => from_lambda(json_response(200, &self.system.outbox.entries())),
            (Method::GET, "/local/health") => from_lambda(json_response(200, &serde_json::json!({"status": "ok"}))),
            (_, "/leads" | "/local/outbox" | "/local/health") => {
                from_lambda(error_response(405, "method_not_allowed", &format!("{method} is not allowed here"), None))
            }
            _ => from_lambda(error_response(404, "not_found", "no such route", None)),
        }
    }
}
