//! The staff console: server-rendered pages where the front desk works its inbox and its leads,
//! managers assign and watch the numbers, and administrators read the audit trail and answer
//! person-rights requests. Served by leadflow itself: in AWS by the console function behind the
//! same HTTP API, locally by the runner at `/`.
//!
//! * Sign-in: the identity provider's authorization-code flow with PKCE ([`identity`]); the
//!   session is a signed HttpOnly, Secure, SameSite=Strict cookie ([`session`]) that ends after
//!   the configured idle time. No token is ever in local storage or a URL.
//! * Every page and action goes through the API's own handlers in-process ([`api`]): the same
//!   guard, role matrix and audit trail. What a role may not do is not shown, and refused (and
//!   recorded) when forced.
//! * Every state-changing request needs the session's CSRF token; every answer carries a strict
//!   Content-Security-Policy (no inline script or style), `no-store` caching and no referrer.
//!   URLs and page titles carry ids and codes, never a person's name, number or address.
//! * Pages refresh themselves in the background (htmx, vendored): a poll asks whether anything
//!   changed and only then fetches (and records the read of) the new rows.

pub mod api;
pub mod assets;
pub mod identity;
mod pages;
pub mod session;
mod view;

use crate::app::Services;
use crate::auth::Principal;
use identity::IdentityProvider;
use lambda_http::{Body, Request, RequestExt, Response};
use session::{cookie, set_cookie, Session, SessionEnd, FLASH_COOKIE, SESSION_COOKIE};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The console of one deployment.
pub struct Console {
    pub services: Services,
    provider: Arc<dyn IdentityProvider>,
    /// `https://host` (or `http://127.0.0.1:3000` locally): the OAuth redirect's base. `None`:
    /// taken from the request's host, over https.
    base_url: Option<String>,
    /// A banner saying the console runs on the local runner.
    local: bool,
}

/// A request with a signed-in person.
pub(crate) struct Ctx<'a> {
    pub console: &'a Console,
    pub req: &'a Request,
    pub session: Session,
    pub principal: Principal,
    pub csrf: String,
    pub api: api::Api,
    /// Form fields of a POST.
    pub form: BTreeMap<String, String>,
    /// The notice left by the previous action, shown once.
    pub flash: Option<String>,
}

impl Ctx<'_> {
    /// The services of this request (the deployment's, knowing this console's address).
    pub fn services(&self) -> &Services {
        self.api.services()
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }
}

/// Security headers on every console answer.
pub(crate) fn harden(builder: http::response::Builder, form_action: Option<&str>) -> http::response::Builder {
    let form_action = match form_action {
        Some(o) => format!("'self' {o}"),
        None => "'self'".to_string(),
    };
    builder
        .header(
            "content-security-policy",
            format!(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
            ),
        )
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .header("x-frame-options", "DENY")
        .header("cross-origin-opener-policy", "same-origin")
        .header("cross-origin-resource-policy", "same-origin")
        .header("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()")
        .header("strict-transport-security", "max-age=31536000; includeSubDomains")
}

/// A `303 See Other` to `location`.
pub(crate) fn redirect(location: &str) -> http::response::Builder {
    harden(Response::builder().status(303), None).header("location", location)
}

fn finish(builder: http::response::Builder, body: Body) -> Response<Body> {
    builder.body(body).unwrap_or_else(|_| Response::builder().status(500).body(Body::Empty).expect("a static response"))
}

impl Console {
    pub fn new(services: Services, provider: Arc<dyn IdentityProvider>, base_url: Option<String>) -> Console {
        Console { services, provider, base_url: base_url.map(|b| b.trim_end_matches('/').to_string()), local: false }
    }

    /// Marks the pages as the local runner's (a banner; the sign-in is the dev issuer's).
    pub fn local(mut self) -> Console {
        self.local = true;
        self
    }

    /// The console's own base URL for `req`.
    fn base(&self, req: &Request) -> String {
        if let Some(b) = &self.base_url {
            return b.clone();
        }
        let host = match req.request_context_ref() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.clone(),
            _ => None,
        }
        .or_else(|| req.headers().get("host").and_then(|h| h.to_str().ok()).map(str::to_string))
        .unwrap_or_default();
        format!("https://{host}")
    }

    /// The OAuth redirect URI.
    pub(crate) fn callback_uri(&self, req: &Request) -> String {
        format!("{}/console/auth/callback", self.base(req))
    }

    /// Answers one request to `/` or `/console/...`.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        let path = req.uri().path().trim_end_matches('/').to_string();
        let parts: Vec<String> = path.split('/').filter(|p| !p.is_empty()).map(str::to_string).collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let method = req.method().as_str().to_string();
        match (method.as_str(), parts.as_slice()) {
            ("GET", []) => return finish(redirect("/console/"), Body::Empty),
            ("GET", ["console", "assets", _]) => return asset(req.uri().path()),
            ("GET", ["console", "sign-in"]) => return pages::auth::sign_in_page(self, &req).await,
            ("GET", ["console", "auth", "start"]) => return pages::auth::start(self, &req).await,
            ("GET", ["console", "auth", "callback"]) => return pages::auth::callback(self, &req).await,
            ("GET", ["console", "auth", "signed-out"]) => return pages::auth::signed_out(self, &req).await,
            _ => {}
        }
        if parts.first() != Some(&"console") {
            return self.not_found();
        }
        let now = self.services.clock.now();
        let settings = &self.services.config.console;
        let from_htmx = req.headers().contains_key("hx-request");
        let session = match cookie(req.headers(), SESSION_COOKIE).map(|c| Session::decode(c, &self.services.links, settings, now)) {
            Some(Ok(s)) => s,
            other => {
                let why = match other {
                    Some(Err(SessionEnd::Idle)) => "idle",
                    Some(Err(SessionEnd::Expired)) => "expired",
                    _ => "",
                };
                return self.sign_in_first(&req, &path, why, from_htmx);
            }
        };
        let principal = session.principal();
        let csrf = session.csrf_token(&self.services.links, settings);
        let mut form = BTreeMap::new();
        if method != "GET" {
            // Another site's page never gets here (SameSite=Strict), and a forged form lacks the token.
            let cross_site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
            form = read_form(&req);
            let token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).or(form.get("_csrf").map(String::as_str));
            if cross_site || !session.csrf_ok(token, &self.services.links, now) {
                tracing::warn!(route = %path, "console request without a valid CSRF token refused");
                return pages::error_page(
                    self,
                    Some(&session),
                    403,
                    "This request could not be verified",
                    "Reload the page and try again.",
                );
            }
        }
        let flash = cookie(req.headers(), FLASH_COOKIE)
            .and_then(|f| serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("m={f}")).ok())
            .and_then(|v| v.into_iter().next().map(|(_, m)| m));
        // Links the console's actions send (a reassigned lead's notice) point at this console.
        let services = if self.services.webhooks.public_base_url.is_empty() {
            self.services.with_public_base_url(&self.base(&req))
        } else {
            self.services.clone()
        };
        let api = api::Api::new(services, &session, &req);
        let ctx = Ctx { console: self, req: &req, session: session.clone(), principal, csrf, api, form, flash };
        // Background refreshes are no activity; signing out ends the session.
        let background = matches!(parts.as_slice(), ["console", "inbox", "rows"] | ["console", "leads", _, "live"]);
        let signing_out = parts.as_slice() == ["console", "auth", "sign-out"];
        let mut resp = pages::route(&ctx, method.as_str(), &parts).await;
        // Activity moves the idle clock: the cookie is issued again.
        if !background && !signing_out {
            if let Some(value) = session.touched(now).encode(&self.services.links, settings) {
                let max_age = i64::from(settings.session_hours) * 3600;
                if let Ok(v) = http::HeaderValue::from_str(&set_cookie(SESSION_COOKIE, &value, max_age, true)) {
                    resp.headers_mut().append("set-cookie", v);
                }
            }
            if ctx.flash.is_some()
                && method == "GET"
                && !resp.headers().get_all("set-cookie").iter().any(|c| c.to_str().is_ok_and(|c| c.starts_with(FLASH_COOKIE)))
            {
                if let Ok(v) = http::HeaderValue::from_str(&set_cookie(FLASH_COOKIE, "", 0, true)) {
                    resp.headers_mut().append("set-cookie", v);
                }
            }
        }
        resp
    }

    /// Where a request without a session goes: the sign-in page (coming back to this page after),
    /// or for a background refresh an instruction to go there.
    fn sign_in_first(&self, req: &Request, path: &str, why: &str, from_htmx: bool) -> Response<Body> {
        let next = if req.method() == http::Method::GET && path.starts_with("/console") { path } else { "/console/" };
        let mut location = format!("/console/sign-in?next={}", identity::encode(next));
        if !why.is_empty() {
            location.push_str(&format!("&why={why}"));
        }
        let clear = set_cookie(SESSION_COOKIE, "", 0, true);
        if from_htmx {
            return finish(
                harden(Response::builder().status(401), None).header("hx-redirect", location).header("set-cookie", clear),
                Body::Empty,
            );
        }
        finish(redirect(&location).header("set-cookie", clear), Body::Empty)
    }

    fn not_found(&self) -> Response<Body> {
        pages::error_page(self, None, 404, "Not found", "There is no such page.")
    }
}

/// A POST's form fields (url-encoded; a repeated name keeps its first value).
fn read_form(req: &Request) -> BTreeMap<String, String> {
    let text = match req.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    let mut out = BTreeMap::new();
    for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(&text).unwrap_or_default() {
        out.entry(k).or_insert(v);
    }
    out
}

fn asset(path: &str) -> Response<Body> {
    match assets::find(path) {
        Some(a) => {
            let mut builder = harden(Response::builder().status(200), None).header("content-type", a.content_type);
            if let Some(h) = builder.headers_mut() {
                // A hashed name never changes content: cache it for a year.
                h.insert("cache-control", http::HeaderValue::from_static("public, max-age=31536000, immutable"));
            }
            finish(builder, Body::Binary(a.body.to_vec()))
        }
        None => finish(harden(Response::builder().status(404), None), Body::Empty),
    }
}
