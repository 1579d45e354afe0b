//! Query-string parameters of API routes.

use lambda_http::{Request, RequestExt};

/// The trimmed value of query parameter `name`; `None` when absent or blank.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
