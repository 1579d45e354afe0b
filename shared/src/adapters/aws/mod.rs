//! AWS adapters: the store ports on one DynamoDB table, the audit trail on its own table, the
//! event queue on SQS, texts on SNS, data keys from KMS, business metrics as embedded metric
//! format lines for CloudWatch.
//!
//! Every adapter takes an SDK client built from [`sdk::sdk_config`], so the same code talks to
//! AWS in Lambda and to a local emulator (moto) in tests and in the local runner.

mod error;

pub mod alerts;
pub mod dynamo;
pub mod emf;
pub mod kms;
pub mod sdk;
pub mod ses;
pub mod sns;
pub mod sns_https;
pub mod sqs;
pub mod ssm;
pub mod team_sns;

// Data hygiene: the optional MX check.
pub mod doh;

/// An HTTPS-only HTTP/1 connector trusting the system's root certificates: what the SNS
/// certificate fetches, the MX check and the console's sign-in (Cognito's token endpoint) use.
pub fn https_connector() -> Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, String> {
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no root certificates: {e}"))?
        .https_only()
        .enable_http1()
        .build())
}

pub use alerts::SnsAlerts;
pub use doh::DohMailDomains;
pub use dynamo::{DynamoAuditLog, DynamoStore};
pub use emf::EmfMetrics;
pub use kms::KmsKeys;
pub use sdk::{sdk_config, AwsOptions};
pub use ses::SesEmail;
pub use sns::SnsSms;
pub use sns_https::HttpsSns;
pub use sqs::SqsQueue;
pub use ssm::{SsmParameters, SsmSecrets};
pub use team_sns::SnsTeamNotifier;
