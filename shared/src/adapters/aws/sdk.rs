//! One way to build the SDK configuration, for AWS and for local emulators alike.
//!
//! The SDK crates are built without their default HTTPS client (it would pull a second HTTP and
//! TLS stack into every binary), so the client is made here: hyper 1 with rustls on ring, which
//! speaks both `https://` (AWS) and plain `http://` (moto on localhost).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// The region used when neither the caller nor the environment names one. Resolving it any
/// other way would make the SDK probe the instance metadata service, which stalls off EC2.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where and how to reach AWS. The defaults suit Lambda: real endpoints, the region and
/// credentials from the environment.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// An emulator's URL (`http://127.0.0.1:5000`); `None` for the real AWS endpoints.
    pub endpoint_url: Option<String>,
    /// Overrides `AWS_REGION` / `AWS_DEFAULT_REGION`.
    pub region: Option<String>,
    /// Fixed access key id and secret (emulators accept any); `None` uses the SDK's chain.
    pub static_credentials: Option<(String, String)>,
}

/// The configuration for real AWS (`None`) or an emulator at `endpoint_url`.
///
/// With an endpoint and no `AWS_ACCESS_KEY_ID` in the environment, dummy credentials are used:
/// emulators ignore signatures, and the SDK's chain would otherwise end at the metadata service.
pub async fn sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    load(AwsOptions { endpoint_url: endpoint_url.map(str::to_string), ..AwsOptions::default() }).await
}

/// The configuration for `options`.
pub async fn load(options: AwsOptions) -> SdkConfig {
    let region = options.region.or_else(region_from_env).unwrap_or_else(|| DEFAULT_REGION.to_string());
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client()).region(Region::new(region));
    let credentials = options.static_credentials.or_else(|| {
        let env_has_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
        (options.endpoint_url.is_some() && !env_has_keys).then(|| ("leadflow-local".to_string(), "leadflow-local".to_string()))
    });
    if let Some((key_id, secret)) = credentials {
        loader = loader.credentials_provider(Credentials::new(key_id, secret, None, None, "leadflow-static"));
    }
    if let Some(url) = options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The HTTP client every SDK client shares: rustls with ring, HTTP and HTTPS.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

fn region_from_env() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}
