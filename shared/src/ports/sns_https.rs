//! The two HTTPS calls SNS webhooks need: the signing certificate named by a message, and the
//! subscription confirmation URL. Both go only to SNS's own hosts; the real adapter caches
//! certificates, a test double serves a test certificate.

use async_trait::async_trait;

/// An SNS HTTPS call failed.
#[derive(Debug, thiserror::Error)]
pub enum SnsHttpsError {
    #[error("the URL is not an SNS endpoint")]
    NotSns,
    #[error("SNS did not answer: {0}")]
    Unavailable(String),
}

/// HTTPS to SNS.
#[async_trait]
pub trait SnsHttps: Send + Sync {
    /// The PEM certificate at `url` (a `SigningCertURL`).
    async fn certificate(&self, url: &str) -> Result<Vec<u8>, SnsHttpsError>;

    /// Visits a `SubscribeURL` to confirm a subscription.
    async fn confirm_subscription(&self, url: &str) -> Result<(), SnsHttpsError>;
}

/// Whether `url` is an https URL on an SNS host (`sns.<region>.amazonaws.com`, or `.com.cn`).
/// Checked before any request and again by the verifier: a certificate from anywhere else
/// would let anyone sign messages.
pub fn is_sns_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some(region) =
        host.strip_prefix("sns.").and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")))
    else {
        return false;
    };
    !region.is_empty() && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::is_sns_url;

    #[test]
    fn only_sns_hosts_over_https_pass() {
        assert!(is_sns_url("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem"));
        assert!(is_sns_url("https://sns.cn-north-1.amazonaws.com.cn/x.pem"));
        for bad in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
            "https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
            "https://s3.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com@evil.com/x.pem",
        ] {
            assert!(!is_sns_url(bad), "{bad}");
        }
    }
}
