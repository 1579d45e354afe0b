//! What the webhooks need besides the stores: the signing secrets (read once at start-up from
//! the secret store, never from the configuration file), the public base URL providers call
//! (Twilio signs the full URL), the SNS topics this deployment subscribed to, and HTTPS to SNS.

use crate::config::Config;
use crate::ports::{SecretError, SecretSource, SnsHttps};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Secret names, as stored under the secrets path (`/leadflow/<stage>/webhooks/<name>` in SSM,
/// `LEADFLOW_SECRET_<NAME>` locally).
pub const TWILIO_AUTH_TOKEN: &str = "twilio_auth_token";
pub const CALLRAIL_SIGNING_KEY: &str = "callrail_signing_key";
pub const APPOINTMENTS_SIGNING_SECRET: &str = "appointments_signing_secret";
pub const STRIPE_WEBHOOK_SECRET: &str = "stripe_webhook_secret";

/// The secret name of a generic source.
pub fn source_secret(id: &str) -> String {
    format!("source_{id}")
}

/// The webhooks' settings and secrets.
#[derive(Clone)]
pub struct WebhookContext {
    secrets: BTreeMap<String, String>,
    /// `https://api.example.com` (no trailing slash): the URL providers call, for Twilio.
    /// Empty: `https://` plus the request's Host header.
    pub public_base_url: String,
    /// SNS topic ARNs whose messages are accepted.
    pub sns_topics: Vec<String>,
    pub sns: Arc<dyn SnsHttps>,
}

impl WebhookContext {
    /// Reads every secret the configuration calls for, once. Missing secrets leave their
    /// webhook refusing every request (401) rather than accepting unsigned ones.
    pub async fn load(
        source: &dyn SecretSource,
        config: &Config,
        public_base_url: &str,
        sns_topics: Vec<String>,
        sns: Arc<dyn SnsHttps>,
    ) -> Result<Self, SecretError> {
        let mut names: Vec<String> =
            [TWILIO_AUTH_TOKEN, CALLRAIL_SIGNING_KEY, APPOINTMENTS_SIGNING_SECRET, STRIPE_WEBHOOK_SECRET].map(String::from).to_vec();
        names.extend(config.webhooks.sources.keys().map(|id| source_secret(id)));
        let mut secrets = BTreeMap::new();
        for name in names {
            if let Some(value) = source.secret(&name).await? {
                secrets.insert(name, value);
            }
        }
        Ok(Self::with_secrets(secrets, public_base_url, sns_topics, sns))
    }

    pub fn with_secrets(secrets: BTreeMap<String, String>, public_base_url: &str, sns_topics: Vec<String>, sns: Arc<dyn SnsHttps>) -> Self {
        WebhookContext { secrets, public_base_url: public_base_url.trim_end_matches('/').to_string(), sns_topics, sns }
    }

    /// Adds (or replaces) secrets.
    pub fn add_secrets(&mut self, secrets: impl IntoIterator<Item = (String, String)>) {
        self.secrets.extend(secrets);
    }

    pub fn secret(&self, name: &str) -> Option<&str> {
        self.secrets.get(name).map(String::as_str)
    }

    /// Names of the secrets that are set (never their values), for start-up logs.
    pub fn configured(&self) -> Vec<&str> {
        self.secrets.keys().map(String::as_str).collect()
    }
}
