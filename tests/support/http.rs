//! A plain HTTP/1 client for the tests that drive the local runner over its socket, as a browser,
//! a provider or a team member's app would.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// What the runner answered.
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The body as JSON, `Null` when the body is empty.
    pub fn json_or_null(&self) -> Value {
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// The `content-type` header ("" when absent).
    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// Sends `method path` to `base_url` with a bearer `token` (when given), `headers` and `body`.
pub async fn send(
    base_url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::builder().method(method).uri(format!("{base_url}{path}"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client.request(req.body(Full::new(body.into())).expect("a valid request")).await.expect("the runner answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp.into_body().collect().await.expect("the whole body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&raw).into_owned() }
}

/// The lead a `POST /leads` answer's receipt landed on (the runner's dev route `GET
/// /local/receipts/{receipt}`, with an admin dev token): the public answer never names it.
pub async fn lead_of_receipt(base_url: &str, answer: &Value) -> String {
    let receipt = answer["receipt_id"].as_str().unwrap_or_else(|| panic!("no receipt_id in {answer}"));
    let token = send(base_url, "POST", "/local/dev-token", None, &[], r#"{"user":"receipt-lookup","role":"admin"}"#).await.json()["token"]
        .as_str()
        .expect("a dev token")
        .to_string();
    let reply = send(base_url, "GET", &format!("/local/receipts/{receipt}"), Some(&token), &[], Bytes::new()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["lead_id"].as_str().expect("a lead id").to_string()
}
