//! Email addresses, checked for syntax and lower-cased at the boundary so that `Ann@X.com` and
//! `ann@x.com` are one person (a case-sensitive comparison would keep them as two contacts).

use super::redact::redacted_debug;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Why an email address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is empty")]
    Empty,
    #[error("is longer than 254 characters")]
    TooLong,
    #[error("is not a valid email address")]
    Invalid,
}

/// A syntactically valid, lower-cased email address with a dotted domain.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);
redacted_debug!(Email);

impl Email {
    /// The longest address SMTP can carry.
    pub const MAX_LEN: usize = 254;

    /// Parses what a person typed.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EmailError::Empty);
        }
        if input.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let lowered = input.to_lowercase();
        let parsed = email_address::EmailAddress::from_str(&lowered).map_err(|_| EmailError::Invalid)?;
        // The RFC allows forms no inbox uses (quoted local parts, IP literals, dotless domains).
        let (local, domain) = (parsed.local_part(), parsed.domain());
        let plain_local = !local.starts_with('"') && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let plain_domain = labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
        if !plain_local || !plain_domain {
            return Err(EmailError::Invalid);
        }
        Ok(Email(lowered))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ann.Lee@Example.COM ").unwrap().as_str(), "ann.lee@example.com");
        assert_eq!(Email::parse("a+tag@mail.example.org").unwrap().domain(), "mail.example.org");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "ann",
            "ann@",
            "@x.com",
            "ann@x",
            "ann@@x.com",
            "ann@x..com",
            "ann@-x.com",
            "\"a b\"@x.com",
            "ann@[127.0.0.1]",
            "a nn@x.com",
            "ann@x.c0m",
            "<script>@x.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse(&format!("{}@x.com", "a".repeat(260))), Err(EmailError::TooLong));
    }

    #[test]
    fn debug_never_shows_the_address() {
        assert_eq!(format!("{:?}", Email::parse("ann@x.com").unwrap()), "Email(<redacted>)");
    }
}
