//! The optional MX check (`[contact_validation] mx_check`): whether an email domain
//! publishes a mail exchanger. Behind a port because it needs the network: a DNS-over-HTTPS
//! adapter in AWS, a fixed table embedded.

use async_trait::async_trait;

/// Looks up mail exchangers.
#[async_trait]
pub trait MailDomains: Send + Sync {
    /// `Some(true)` when `domain` has an MX (or, per RFC 5321, an address record to fall back
    /// to), `Some(false)` when DNS says it has neither, `None` when the lookup failed or timed
    /// out (no flag is set on an unknown answer).
    async fn has_mail_exchanger(&self, domain: &str) -> Option<bool>;
}
