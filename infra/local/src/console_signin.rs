//! The local runner's sign-in for the staff console: a page to pick a team member (or any user
//! id), a role and facilities, standing in for the Cognito hosted UI. It runs the same
//! authorization-code flow with PKCE as the deployed console: the page hands back a one-time
//! code, and the console's callback exchanges it (with the verifier) for the claims of a dev
//! token from the runner's dev issuer (`authorizer::DevAuthority`). Local only: this file is
//! part of `leadflow-local`, never of the console function.

use crate::authorizer::{DevAuthority, TokenRequest};
use async_trait::async_trait;
use lambda_http::{Body, Response};
use leadflow::config::Config;
use leadflow::console::identity::{encode, IdentityProvider, SignInError};
use leadflow::console::session::{pkce_challenge, random_token};
use maud::{html, DOCTYPE};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a code is good for.
const CODE_LIFETIME: Duration = Duration::from_secs(120);

struct Pending {
    token: String,
    challenge: String,
    redirect_uri: String,
    issued: Instant,
}

/// The dev issuer as an identity provider.
pub struct DevSignIn {
    authority: DevAuthority,
    codes: Mutex<HashMap<String, Pending>>,
}

impl DevSignIn {
    pub fn new(authority: DevAuthority) -> DevSignIn {
        DevSignIn { authority, codes: Mutex::new(HashMap::new()) }
    }

    /// `GET /local/sign-in?redirect_uri=&state=&code_challenge=`: the picker.
    pub fn page(&self, config: &Config, query: &HashMap<String, String>) -> Response<Body> {
        let get = |k: &str| query.get(k).cloned().unwrap_or_default();
        let members: Vec<(String, String)> = config.team.members.values().map(|m| (m.id.to_string(), m.name.clone())).collect();
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "Local sign-in · leadflow" }
                    link rel="stylesheet" href=(leadflow::console::assets::path("console.css"));
                    link rel="icon" href=(leadflow::console::assets::path("icon.svg")) type="image/svg+xml";
                }
                body {
                    div.local-only role="note" { "Local development only: this sign-in belongs to leadflow-local and does not exist in a deployed console (which signs in through Cognito)." }
                    main #main {
                        h1 { "Sign in (local dev issuer)" }
                        form.stack.card method="post" action="/local/sign-in" {
                            input type="hidden" name="redirect_uri" value=(get("redirect_uri"));
                            input type="hidden" name="state" value=(get("state"));
                            input type="hidden" name="code_challenge" value=(get("code_challenge"));
                            div.field {
                                label for="user" { "User (a team member's id, or any id)" }
                                input #user type="text" name="user" list="members" required autocomplete="off";
                                datalist #members { @for (id, name) in &members { option value=(id) { (name) } } }
                            }
                            div.field {
                                label for="role" { "Role" }
                                select #role name="role" {
                                    @for r in ["agent", "manager", "admin", "analyst"] { option value=(r) { (r) } }
                                }
                            }
                            fieldset {
                                legend { "Facilities (managers)" }
                                @for f in &config.team.facilities {
                                    label.choice { input type="checkbox" name="facility" value=(f.id); (f.name) }
                                }
                            }
                            button type="submit" { "Sign in" }
                        }
                    }
                }
            }
        };
        html_response(200, markup.into_string())
    }

    /// `POST /local/sign-in`: a one-time code, back to the console's callback.
    pub fn submit(&self, form: &[(String, String)]) -> Response<Body> {
        let one = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
        let redirect_uri = one("redirect_uri");
        // Only back to this runner's console.
        if !redirect_uri.ends_with("/console/auth/callback") || one("code_challenge").is_empty() {
            return html_response(400, "<!doctype html><title>Bad sign-in request</title><p>Start from the console's sign-in page.".into());
        }
        let request = TokenRequest {
            user: one("user"),
            role: one("role"),
            facilities: form.iter().filter(|(n, _)| n == "facility").map(|(_, v)| v.clone()).collect(),
            ttl_seconds: Some(600),
        };
        let token = match self.authority.issue(&request) {
            Ok(t) => t,
            Err(msg) => {
                return html_response(
                    422,
                    format!("<!doctype html><title>Sign-in refused</title><p>{}</p>", maud::html! { (msg) }.into_string()),
                )
            }
        };
        let code = random_token(24);
        let mut codes = self.codes.lock().unwrap_or_else(|p| p.into_inner());
        codes.retain(|_, p| p.issued.elapsed() < CODE_LIFETIME);
        codes.insert(
            code.clone(),
            Pending { token, challenge: one("code_challenge"), redirect_uri: redirect_uri.clone(), issued: Instant::now() },
        );
        let location = format!("{redirect_uri}?code={}&state={}", encode(&code), encode(&one("state")));
        Response::builder()
            .status(303)
            .header("location", location)
            .header("cache-control", "no-store")
            .body(Body::Empty)
            .expect("static headers")
    }
}

fn html_response(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .body(Body::Text(body))
        .expect("static headers")
}

#[async_trait]
impl IdentityProvider for DevSignIn {
    fn authorize_url(&self, redirect_uri: &str, state: &str, code_challenge: &str) -> String {
        format!("/local/sign-in?redirect_uri={}&state={}&code_challenge={}", encode(redirect_uri), encode(state), encode(code_challenge))
    }

    async fn exchange(&self, code: &str, code_verifier: &str, redirect_uri: &str) -> Result<HashMap<String, String>, SignInError> {
        let pending = self
            .codes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(code)
            .ok_or_else(|| SignInError::Refused("unknown or used code".into()))?;
        if pending.issued.elapsed() >= CODE_LIFETIME {
            return Err(SignInError::Refused("the code expired".into()));
        }
        if pending.redirect_uri != redirect_uri {
            return Err(SignInError::Refused("the redirect URI differs".into()));
        }
        if pkce_challenge(code_verifier) != pending.challenge {
            return Err(SignInError::Refused("the PKCE verifier does not match".into()));
        }
        self.authority
            .verify(Some(&format!("Bearer {}", pending.token)))
            .ok_or_else(|| SignInError::BadToken("the dev token does not verify".into()))
    }

    fn sign_out_url(&self, _after: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_code_is_exchanged_once_with_its_verifier() {
        let s = DevSignIn::new(DevAuthority::with_secret(b"0123456789abcdef0123"));
        let verifier = "a-verifier-of-enough-length-0123456789abcdef";
        let form: Vec<(String, String)> = [
            ("redirect_uri", "http://127.0.0.1:3000/console/auth/callback"),
            ("state", "st"),
            ("code_challenge", &pkce_challenge(verifier)),
            ("user", "maria"),
            ("role", "agent"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let resp = s.submit(&form);
        assert_eq!(resp.status(), 303);
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
        assert!(s.exchange(&code, "wrong-verifier", "http://127.0.0.1:3000/console/auth/callback").await.is_err(), "a wrong verifier");
        // A failed exchange spends the code too.
        assert!(s.exchange(&code, verifier, "http://127.0.0.1:3000/console/auth/callback").await.is_err());
        let resp = s.submit(&form);
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
        let claims = s.exchange(&code, verifier, "http://127.0.0.1:3000/console/auth/callback").await.unwrap();
        assert_eq!((claims["sub"].as_str(), claims["cognito:groups"].as_str()), ("maria", "[agent]"));
        assert!(s.exchange(&code, verifier, "http://127.0.0.1:3000/console/auth/callback").await.is_err(), "used once");
        let elsewhere: Vec<(String, String)> =
            form.iter().map(|(k, v)| (k.clone(), if k == "redirect_uri" { "https://evil.example/x".into() } else { v.clone() })).collect();
        assert_eq!(s.submit(&elsewhere).status(), 400);
    }
}
