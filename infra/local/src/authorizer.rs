//! The local runner's stand-in for API Gateway's JWT authorizer. It verifies locally issued dev
//! tokens (HS256, issuer [`DEV_ISSUER`], audience [`DEV_AUDIENCE`]) and hands the handler the
//! same claims Cognito tokens produce in AWS. There is no "no auth" mode: protected routes
//! without a valid token get API Gateway's 401.
//!
//! Dev tokens are for this runner only. The signing secret is `LEADFLOW_DEV_TOKEN_SECRET` when
//! set, otherwise random per process; `POST /local/dev-token` mints tokens with it.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use leadflow::auth::Role;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The issuer of dev tokens; a Cognito issuer never matches it.
pub const DEV_ISSUER: &str = "leadflow-local-dev";
/// The audience of dev tokens (API Gateway checks the app client id the same way).
pub const DEV_AUDIENCE: &str = "leadflow-local";

/// The claims a dev token carries, shaped like a Cognito id token's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevClaims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(rename = "cognito:groups")]
    pub groups: Vec<String>,
    #[serde(rename = "custom:facilities", default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<String>,
}

/// What to put in a new dev token.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenRequest {
    pub user: String,
    pub role: String,
    #[serde(default)]
    pub facilities: Vec<String>,
    /// Lifetime in seconds (default one hour, at most a day).
    #[serde(default)]
    pub ttl_seconds: Option<i64>,
}

/// Signs and verifies dev tokens.
#[derive(Clone)]
pub struct DevAuthority {
    secret: Vec<u8>,
}

impl DevAuthority {
    /// The authority for this process: `LEADFLOW_DEV_TOKEN_SECRET`, or a random secret.
    pub fn from_env() -> Self {
        let secret = std::env::var("LEADFLOW_DEV_TOKEN_SECRET")
            .ok()
            .filter(|s| s.len() >= 16)
            .map(String::into_bytes)
            .unwrap_or_else(|| format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new()).into_bytes());
        DevAuthority { secret }
    }

    pub fn with_secret(secret: &[u8]) -> Self {
        DevAuthority { secret: secret.to_vec() }
    }

    /// Mints a token; the role must be one of leadflow's.
    pub fn issue(&self, req: &TokenRequest) -> Result<String, String> {
        let role = Role::parse(&req.role).ok_or_else(|| "role must be admin, manager, agent or analyst".to_string())?;
        if req.user.trim().is_empty() || req.user.len() > 128 {
            return Err("user must be 1-128 characters".into());
        }
        let now = chrono::Utc::now().timestamp();
        let claims = DevClaims {
            sub: req.user.trim().to_string(),
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            iat: now,
            exp: now + req.ttl_seconds.unwrap_or(3600).clamp(1, 86_400),
            groups: vec![role.as_str().to_string()],
            facilities: (!req.facilities.is_empty()).then(|| req.facilities.join(",")),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&self.secret)).map_err(|e| e.to_string())
    }

    /// Verifies a bearer token as the JWT authorizer would (signature, issuer, audience,
    /// expiry) and returns the claims map API Gateway would pass on.
    pub fn verify(&self, authorization: Option<&str>) -> Option<HashMap<String, String>> {
        let token = authorization?.strip_prefix("Bearer ").or_else(|| authorization?.strip_prefix("bearer "))?.trim();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[DEV_ISSUER]);
        validation.set_audience(&[DEV_AUDIENCE]);
        validation.leeway = 0;
        let data = decode::<DevClaims>(token, &DecodingKey::from_secret(&self.secret), &validation).ok()?;
        let c = data.claims;
        let mut claims = HashMap::from([
            ("sub".to_string(), c.sub),
            ("iss".to_string(), c.iss),
            ("aud".to_string(), c.aud),
            ("exp".to_string(), c.exp.to_string()),
            // API Gateway flattens array claims to "[a b]".
            ("cognito:groups".to_string(), format!("[{}]", c.groups.join(" "))),
        ]);
        if let Some(f) = c.facilities {
            claims.insert("custom:facilities".into(), f);
        }
        Some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(role: &str) -> TokenRequest {
        TokenRequest { user: "u1".into(), role: role.into(), facilities: vec!["hoboken".into()], ttl_seconds: None }
    }

    #[test]
    fn a_token_round_trips_into_api_gateway_shaped_claims() {
        let a = DevAuthority::with_secret(b"0123456789abcdef0123");
        let token = a.issue(&req("manager")).unwrap();
        let claims = a.verify(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(claims["sub"], "u1");
        assert_eq!(claims["cognito:groups"], "[manager]");
        assert_eq!(claims["custom:facilities"], "hoboken");
        let p = leadflow::auth::Principal::from_claims(&claims).unwrap();
        assert_eq!(p.role, Role::Manager);
    }

    #[test]
    fn bad_tokens_are_refused() {
        let a = DevAuthority::with_secret(b"0123456789abcdef0123");
        let other = DevAuthority::with_secret(b"another-secret-value");
        let token = a.issue(&req("admin")).unwrap();
        assert!(a.verify(None).is_none());
        assert!(a.verify(Some(&token)).is_none(), "no Bearer prefix");
        assert!(other.verify(Some(&format!("Bearer {token}"))).is_none(), "wrong signature");
        let mut tampered = token.clone();
        tampered.insert(tampered.len() - 5, 'x');
        assert!(a.verify(Some(&format!("Bearer {tampered}"))).is_none());
        // A token carries the lifetime asked for, and one past its expiry is refused (built with
        // an expiry in the past rather than waited out).
        let short = a.issue(&TokenRequest { ttl_seconds: Some(1), ..req("admin") }).unwrap();
        let mut no_expiry_check = Validation::new(Algorithm::HS256);
        no_expiry_check.validate_exp = false;
        no_expiry_check.set_audience(&[DEV_AUDIENCE]);
        let short = decode::<DevClaims>(&short, &DecodingKey::from_secret(b"0123456789abcdef0123"), &no_expiry_check).unwrap().claims;
        assert_eq!(short.exp - short.iat, 1);
        let now = chrono::Utc::now().timestamp();
        let expired = DevClaims { iat: now - 2, exp: now - 1, ..short };
        let expired = encode(&Header::new(Algorithm::HS256), &expired, &EncodingKey::from_secret(b"0123456789abcdef0123")).unwrap();
        assert!(a.verify(Some(&format!("Bearer {expired}"))).is_none(), "expired");
        // Wrong audience or issuer.
        for (iss, aud) in [(DEV_ISSUER, "someone-else"), ("https://cognito-idp.example", DEV_AUDIENCE)] {
            let claims = DevClaims {
                sub: "u".into(),
                iss: iss.into(),
                aud: aud.into(),
                exp: now + 60,
                iat: now,
                groups: vec!["admin".into()],
                facilities: None,
            };
            let t = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"0123456789abcdef0123")).unwrap();
            assert!(a.verify(Some(&format!("Bearer {t}"))).is_none(), "{iss} {aud}");
        }
        assert!(a.issue(&req("superuser")).is_err());
    }
}
