//! SNS's certificate host over HTTPS (rustls with the system's roots), only for URLs on SNS
//! hosts, with certificates cached for the life of the process (SNS rotates them rarely and
//! names each by URL).

use crate::ports::sns_https::is_sns_url;
use crate::ports::{SnsHttps, SnsHttpsError};
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest certificate accepted.
const MAX_CERT_BYTES: usize = 16 * 1024;
const TIMEOUT: Duration = Duration::from_secs(5);

/// HTTPS to SNS, with a certificate cache.
#[derive(Clone)]
pub struct HttpsSns {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    cache: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl HttpsSns {
    /// A client trusting the system's root certificates.
    pub fn new() -> Result<Self, SnsHttpsError> {
        let connector = super::https_connector().map_err(SnsHttpsError::Unavailable)?;
        Ok(HttpsSns { client: Client::builder(TokioExecutor::new()).build(connector), cache: Arc::default() })
    }

    async fn get(&self, url: &str, limit: usize) -> Result<Vec<u8>, SnsHttpsError> {
        if !is_sns_url(url) {
            return Err(SnsHttpsError::NotSns);
        }
        let uri: http::Uri = url.parse().map_err(|_| SnsHttpsError::NotSns)?;
        let resp = tokio::time::timeout(TIMEOUT, self.client.get(uri))
            .await
            .map_err(|_| SnsHttpsError::Unavailable("timed out".into()))?
            .map_err(|e| SnsHttpsError::Unavailable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(SnsHttpsError::Unavailable(format!("HTTP {}", resp.status())));
        }
        let body = tokio::time::timeout(TIMEOUT, Limited::new(resp.into_body(), limit).collect())
            .await
            .map_err(|_| SnsHttpsError::Unavailable("timed out".into()))?
            .map_err(|e| SnsHttpsError::Unavailable(e.to_string()))?;
        Ok(body.to_bytes().to_vec())
    }
}

#[async_trait]
impl SnsHttps for HttpsSns {
    async fn certificate(&self, url: &str) -> Result<Vec<u8>, SnsHttpsError> {
        if let Some(pem) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(url) {
            return Ok(pem.clone());
        }
        let pem = self.get(url, MAX_CERT_BYTES).await?;
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(url.to_string(), pem.clone());
        Ok(pem)
    }

    async fn confirm_subscription(&self, url: &str) -> Result<(), SnsHttpsError> {
        self.get(url, 64 * 1024).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_off_sns_are_refused_before_any_request() {
        let https = HttpsSns::new().unwrap();
        for url in ["https://evil.example/cert.pem", "http://sns.us-east-1.amazonaws.com/cert.pem"] {
            assert!(matches!(https.certificate(url).await, Err(SnsHttpsError::NotSns)), "{url}");
            assert!(matches!(https.confirm_subscription(url).await, Err(SnsHttpsError::NotSns)), "{url}");
        }
    }
}
