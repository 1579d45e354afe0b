//! Who signs staff in. The console runs the OAuth 2.0 authorization-code flow with PKCE against
//! an identity provider and turns what it answers into the same claims API Gateway's JWT
//! authorizer hands the API (`sub`, `cognito:groups`, `custom:facilities`), so the console's
//! callers are exactly the API's.
//!
//! In AWS the provider is the Cognito user pool's hosted UI ([`Cognito`]); locally the runner's
//! dev issuer (in `leadflow-local`, never compiled into the console function).

use async_trait::async_trait;
use std::collections::HashMap;

/// Why a sign-in did not complete (said to the person in general terms, logged as it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("the identity provider refused the code: {0}")]
    Refused(String),
    #[error("the identity provider's token does not verify: {0}")]
    BadToken(String),
    #[error("the identity provider could not be reached: {0}")]
    Unavailable(String),
}

/// An identity provider speaking the authorization-code flow with PKCE (S256).
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Where to send the browser to sign in.
    fn authorize_url(&self, redirect_uri: &str, state: &str, code_challenge: &str) -> String;

    /// Exchanges a code for the signed-in person's verified claims, shaped as API Gateway's JWT
    /// authorizer passes them (`cognito:groups` as `[a b]`).
    async fn exchange(&self, code: &str, code_verifier: &str, redirect_uri: &str) -> Result<HashMap<String, String>, SignInError>;

    /// The provider's own sign-out, returning to `after` (none: signing out of the console is
    /// all there is).
    fn sign_out_url(&self, after: &str) -> Option<String>;

    /// Origins the console's pages send the browser to (its form-action allowance).
    fn origin(&self) -> Option<String> {
        None
    }
}

/// Percent-encodes a query value.
pub fn encode(v: &str) -> String {
    serde_urlencoded::to_string([("", v)]).map(|s| s.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// The Cognito user pool's hosted UI (authorization code + PKCE, a public app client).
pub struct Cognito {
    /// `https://<prefix>.auth.<region>.amazoncognito.com`
    pub domain: String,
    pub client_id: String,
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the ID token's issuer.
    pub issuer: String,
    client: hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        http_body_util::Full<bytes::Bytes>,
    >,
    keys: tokio::sync::RwLock<Option<jsonwebtoken::jwk::JwkSet>>,
}

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const MAX_BODY: usize = 256 * 1024;

impl Cognito {
    pub fn new(domain: &str, client_id: &str, issuer: &str) -> Result<Cognito, String> {
        Ok(Cognito {
            domain: domain.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            issuer: issuer.trim_end_matches('/').to_string(),
            client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(crate::adapters::aws::https_connector()?),
            keys: tokio::sync::RwLock::new(None),
        })
    }

    async fn fetch(&self, req: http::Request<http_body_util::Full<bytes::Bytes>>) -> Result<(u16, Vec<u8>), SignInError> {
        use http_body_util::BodyExt;
        let resp = tokio::time::timeout(TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| SignInError::Unavailable("timed out".into()))?
            .map_err(|e| SignInError::Unavailable(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = tokio::time::timeout(TIMEOUT, http_body_util::Limited::new(resp.into_body(), MAX_BODY).collect())
            .await
            .map_err(|_| SignInError::Unavailable("timed out".into()))?
            .map_err(|e| SignInError::Unavailable(e.to_string()))?;
        Ok((status, body.to_bytes().to_vec()))
    }

    /// The pool's signing keys (cached; fetched again once when a token names an unknown key).
    async fn key_for(&self, kid: &str) -> Result<jsonwebtoken::DecodingKey, SignInError> {
        for refresh in [false, true] {
            if refresh || self.keys.read().await.is_none() {
                let req = http::Request::get(format!("{}/.well-known/jwks.json", self.issuer))
                    .body(http_body_util::Full::default())
                    .map_err(|e| SignInError::Unavailable(e.to_string()))?;
                let (status, body) = self.fetch(req).await?;
                if status != 200 {
                    return Err(SignInError::Unavailable(format!("the key set answered {status}")));
                }
                let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&body).map_err(|e| SignInError::Unavailable(e.to_string()))?;
                *self.keys.write().await = Some(set);
            }
            if let Some(jwk) = self.keys.read().await.as_ref().and_then(|s| s.find(kid).cloned()) {
                return jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| SignInError::BadToken(e.to_string()));
            }
        }
        Err(SignInError::BadToken("unknown signing key".into()))
    }
}

#[async_trait]
impl IdentityProvider for Cognito {
    fn authorize_url(&self, redirect_uri: &str, state: &str, code_challenge: &str) -> String {
        format!(
            "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid+email&state={}&code_challenge={}&code_challenge_method=S256",
            self.domain,
            encode(&self.client_id),
            encode(redirect_uri),
            encode(state),
            encode(code_challenge)
        )
    }

    async fn exchange(&self, code: &str, code_verifier: &str, redirect_uri: &str) -> Result<HashMap<String, String>, SignInError> {
        let form = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("client_id", self.client_id.as_str()),
            ("code", code),
            ("code_verifier", code_verifier),
            ("redirect_uri", redirect_uri),
        ])
        .map_err(|e| SignInError::Refused(e.to_string()))?;
        let req = http::Request::post(format!("{}/oauth2/token", self.domain))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(http_body_util::Full::new(bytes::Bytes::from(form)))
            .map_err(|e| SignInError::Refused(e.to_string()))?;
        let (status, body) = self.fetch(req).await?;
        if status != 200 {
            return Err(SignInError::Refused(format!("the token endpoint answered {status}")));
        }
        let tokens: serde_json::Value = serde_json::from_slice(&body).map_err(|e| SignInError::BadToken(e.to_string()))?;
        let id_token = tokens["id_token"].as_str().ok_or_else(|| SignInError::BadToken("no id_token".into()))?;
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| SignInError::BadToken(e.to_string()))?;
        let key = self.key_for(header.kid.as_deref().unwrap_or_default()).await?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        let data =
            jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation).map_err(|e| SignInError::BadToken(e.to_string()))?;
        if data.claims["token_use"] != "id" {
            return Err(SignInError::BadToken("not an ID token".into()));
        }
        Ok(claims_of(&data.claims))
    }

    fn sign_out_url(&self, after: &str) -> Option<String> {
        Some(format!("{}/logout?client_id={}&logout_uri={}", self.domain, encode(&self.client_id), encode(after)))
    }

    fn origin(&self) -> Option<String> {
        Some(self.domain.clone())
    }
}

/// An ID token's claims as API Gateway's JWT authorizer passes them: strings, arrays flattened
/// to `[a b]`.
pub fn claims_of(token: &serde_json::Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let Some(map) = token.as_object() {
        for (k, v) in map {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => {
                    format!("[{}]", items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join(" "))
                }
                other => other.to_string(),
            };
            out.insert(k.clone(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_token_claims_take_the_authorizers_shape() {
        let c =
            claims_of(&serde_json::json!({"sub": "u-1", "cognito:groups": ["agent", "manager"], "custom:facilities": "hoboken", "exp": 5}));
        assert_eq!(c["cognito:groups"], "[agent manager]");
        let p = crate::auth::Principal::from_claims(&c).unwrap();
        assert_eq!((p.role, p.facilities), (crate::auth::Role::Manager, vec!["hoboken".to_string()]));
    }

    #[test]
    fn the_authorize_url_carries_the_pkce_challenge_and_state() {
        let c = Cognito::new("https://x.auth.us-east-1.amazoncognito.com/", "client1", "https://cognito-idp.us-east-1.amazonaws.com/pool")
            .unwrap();
        let url = c.authorize_url("https://api.example/console/auth/callback", "st ate", "chal");
        assert!(url.starts_with("https://x.auth.us-east-1.amazoncognito.com/oauth2/authorize?response_type=code&client_id=client1"));
        assert!(url.contains("redirect_uri=https%3A%2F%2Fapi.example%2Fconsole%2Fauth%2Fcallback"));
        assert!(url.contains("state=st+ate") && url.contains("code_challenge=chal&code_challenge_method=S256"));
        assert!(c.sign_out_url("https://api.example/console/auth/signed-out").unwrap().contains("/logout?client_id=client1&logout_uri="));
    }
}
