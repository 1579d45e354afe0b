//! The optional MX check over DNS-over-HTTPS (RFC 8484's JSON form, as served by
//! Cloudflare and Google): no DNS crate, the HTTPS client the SNS adapter already uses, a short
//! timeout, and `None` on any failure so a slow resolver never holds up intake.

use crate::ports::MailDomains;
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::time::Duration;

/// The default resolver.
pub const DEFAULT_RESOLVER: &str = "https://cloudflare-dns.com/dns-query";
const TIMEOUT: Duration = Duration::from_millis(1500);
const MAX_BODY: usize = 64 * 1024;
/// DNS record types and the NXDOMAIN response code.
const TYPE_A: u16 = 1;
const TYPE_MX: u16 = 15;
const TYPE_AAAA: u16 = 28;
const NXDOMAIN: u32 = 3;

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "type")]
    kind: u16,
}

#[derive(Deserialize)]
struct Response {
    #[serde(rename = "Status")]
    status: u32,
    #[serde(rename = "Answer", default)]
    answer: Vec<Answer>,
}

/// MX lookups through a DNS-over-HTTPS resolver.
#[derive(Clone)]
pub struct DohMailDomains {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    resolver: String,
}

impl DohMailDomains {
    /// A client for `resolver` (an `https://` URL), trusting the system's root certificates.
    pub fn new(resolver: &str) -> Result<Self, String> {
        let connector = super::https_connector()?;
        Ok(DohMailDomains { client: Client::builder(TokioExecutor::new()).build(connector), resolver: resolver.to_string() })
    }

    async fn query(&self, domain: &str, kind: &str) -> Option<Response> {
        let url = format!("{}?name={domain}&type={kind}", self.resolver);
        let req = http::Request::get(url).header("accept", "application/dns-json").body(Empty::new()).ok()?;
        let resp = tokio::time::timeout(TIMEOUT, self.client.request(req)).await.ok()?.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let body = tokio::time::timeout(TIMEOUT, Limited::new(resp.into_body(), MAX_BODY).collect()).await.ok()?.ok()?;
        serde_json::from_slice(&body.to_bytes()).ok()
    }
}

/// Whether the domain's answers show a mail exchanger (or an address to fall back to).
fn decide(mx: &Response, address: Option<&Response>) -> Option<bool> {
    if mx.status == NXDOMAIN {
        return Some(false);
    }
    if mx.status != 0 {
        return None;
    }
    if mx.answer.iter().any(|a| a.kind == TYPE_MX) {
        return Some(true);
    }
    let a = address?;
    (a.status == 0).then(|| a.answer.iter().any(|r| r.kind == TYPE_A || r.kind == TYPE_AAAA))
}

#[async_trait]
impl MailDomains for DohMailDomains {
    async fn has_mail_exchanger(&self, domain: &str) -> Option<bool> {
        // Only names Email::parse accepted reach here, but the URL is built from it: be strict.
        if domain.is_empty() || !domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            return None;
        }
        let mx = self.query(domain, "MX").await?;
        let needs_address = mx.status == 0 && !mx.answer.iter().any(|a| a.kind == TYPE_MX);
        let address = if needs_address { self.query(domain, "A").await } else { None };
        decide(&mx, address.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(status: u32, kinds: &[u16]) -> Response {
        Response { status, answer: kinds.iter().map(|k| Answer { kind: *k }).collect() }
    }

    #[test]
    fn answers_decide_the_flag() {
        assert_eq!(decide(&r(0, &[TYPE_MX]), None), Some(true));
        assert_eq!(decide(&r(NXDOMAIN, &[]), None), Some(false));
        assert_eq!(decide(&r(0, &[]), Some(&r(0, &[TYPE_A]))), Some(true), "implicit MX (RFC 5321)");
        assert_eq!(decide(&r(0, &[]), Some(&r(0, &[]))), Some(false));
        assert_eq!(decide(&r(2, &[]), None), None, "SERVFAIL is unknown");
        assert_eq!(decide(&r(0, &[]), None), None, "no address answer is unknown");
    }

    #[test]
    fn the_json_form_parses() {
        let body = r#"{"Status":0,"TC":false,"Answer":[{"name":"example.org","type":15,"TTL":300,"data":"10 mx.example.org."}]}"#;
        let resp: Response = serde_json::from_str(body).unwrap();
        assert_eq!(decide(&resp, None), Some(true));
    }
}
