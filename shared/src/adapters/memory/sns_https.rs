//! SNS HTTPS without the network: serves one PEM certificate for every SNS certificate URL and
//! records confirmed subscriptions. Tests sign SNS messages with the matching test key; the local
//! runner uses it with `LEADFLOW_LOCAL_SNS_CERT` (a certificate of your own).

use crate::ports::sns_https::is_sns_url;
use crate::ports::{SnsHttps, SnsHttpsError};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};

/// A stand-in for SNS's certificate host.
#[derive(Debug, Clone, Default)]
pub struct StaticSnsHttps {
    certificate: Option<Vec<u8>>,
    confirmed: Arc<Mutex<Vec<String>>>,
}

impl StaticSnsHttps {
    /// Serves `pem` for every SNS certificate URL (none: every fetch fails, as with no network).
    pub fn new(pem: Option<Vec<u8>>) -> Self {
        StaticSnsHttps { certificate: pem, confirmed: Arc::default() }
    }

    /// Subscription URLs visited, in order.
    pub fn confirmed(&self) -> Vec<String> {
        self.confirmed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl SnsHttps for StaticSnsHttps {
    async fn certificate(&self, url: &str) -> Result<Vec<u8>, SnsHttpsError> {
        if !is_sns_url(url) {
            return Err(SnsHttpsError::NotSns);
        }
        self.certificate.clone().ok_or_else(|| SnsHttpsError::Unavailable("no certificate is configured locally".into()))
    }

    async fn confirm_subscription(&self, url: &str) -> Result<(), SnsHttpsError> {
        if !is_sns_url(url) {
            return Err(SnsHttpsError::NotSns);
        }
        self.confirmed.lock().unwrap_or_else(|p| p.into_inner()).push(url.to_string());
        Ok(())
    }
}
