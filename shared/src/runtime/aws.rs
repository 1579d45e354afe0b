//! Builds [`Services`] on AWS from the Lambda environment: the table and queue URLs the
//! template passes in, the SDK configured for the function's region (or an emulator named by
//! `AWS_ENDPOINT_URL`, for `cargo lambda watch` against moto).

use crate::adapters::aws::{sdk, DynamoStore, SnsSms, SnsTeamNotifier, SqsQueue};
use crate::app::Services;
use crate::config::{Config, ConfigError};
use crate::domain::LeadId;
use crate::ports::{Consumer, SystemClock};
use std::sync::Arc;

/// Why the environment cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// What the template hands a function.
#[derive(Debug, Clone)]
pub struct AwsEnv {
    /// `LEADFLOW_TABLE`.
    pub table: String,
    /// `LEADFLOW_QUEUE_<CONSUMER>` for each consumer this function publishes to.
    pub queues: Vec<(Consumer, String)>,
    /// `AWS_ENDPOINT_URL`, for emulators.
    pub endpoint_url: Option<String>,
    /// `LEADFLOW_SMS_ORIGINATION_NUMBER` / `LEADFLOW_SMS_SENDER_ID`.
    pub sms_origination_number: Option<String>,
    pub sms_sender_id: Option<String>,
    /// `LEADFLOW_TEAM_TOPIC_ARN_PREFIX`: team notices go to `{prefix}{member_id}`.
    pub team_topic_arn_prefix: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The environment variable naming a consumer's queue URL.
pub fn queue_env_name(consumer: Consumer) -> String {
    format!("LEADFLOW_QUEUE_{}", consumer.as_str().to_ascii_uppercase())
}

impl AwsEnv {
    pub fn from_env() -> Result<AwsEnv, EnvError> {
        Ok(AwsEnv {
            table: var("LEADFLOW_TABLE").ok_or(EnvError::Missing("LEADFLOW_TABLE"))?,
            queues: Consumer::ALL.iter().filter_map(|c| var(&queue_env_name(*c)).map(|url| (*c, url))).collect(),
            endpoint_url: var("AWS_ENDPOINT_URL"),
            sms_origination_number: var("LEADFLOW_SMS_ORIGINATION_NUMBER"),
            sms_sender_id: var("LEADFLOW_SMS_SENDER_ID"),
            team_topic_arn_prefix: var("LEADFLOW_TEAM_TOPIC_ARN_PREFIX"),
        })
    }
}

/// Services on AWS for `config`.
pub async fn services(config: Config, env: &AwsEnv) -> Services {
    let sdk = sdk::sdk_config(env.endpoint_url.as_deref()).await;
    let store = DynamoStore::from_config(&sdk, env.table.clone());
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), env.queues.clone());
    let sms = SnsSms::new(aws_sdk_sns::Client::new(&sdk), env.sms_origination_number.clone(), env.sms_sender_id.clone());
    let notifier = SnsTeamNotifier::new(aws_sdk_sns::Client::new(&sdk), env.team_topic_arn_prefix.clone());
    let store = Arc::new(store);
    Services {
        config: Arc::new(config),
        clock: Arc::new(SystemClock),
        leads: store.clone(),
        timeline: store.clone(),
        idempotency: store.clone(),
        once: store.clone(),
        suppressions: store.clone(),
        queue: Arc::new(queue),
        sms: Arc::new(sms),
        due: store.clone(),
        team: store,
        notifier: Arc::new(notifier),
    }
}

/// Everything a function does at init: validate the configuration (a bad file fails the init
/// with the key and line named), build the clients, and pay the one-time costs (phone metadata,
/// the TLS handshake to DynamoDB) before the first request rather than during it.
pub async fn init_from_env() -> Result<Services, EnvError> {
    let config = Config::from_env()?;
    let env = AwsEnv::from_env()?;
    let services = services(config, &env).await;
    crate::domain::phone::warm_up();
    if let Err(e) = services.leads.get(LeadId::random()).await {
        tracing::warn!(error = %e, "warming the DynamoDB connection failed; the first request will retry");
    }
    Ok(services)
}
