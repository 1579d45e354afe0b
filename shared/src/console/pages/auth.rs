//! Signing in and out. The browser goes to the identity provider with a PKCE challenge and a
//! state value whose verifier only this browser's sign-in cookie holds; the provider's code
//! comes back to the callback, is exchanged for verified claims, and the session cookie is set.

use super::{finish, html_response};
use crate::auth::Principal;
use crate::console::identity::encode;
use crate::console::session::{cookie, set_cookie, Session, SignInTransaction, SESSION_COOKIE, SIGNIN_COOKIE};
use crate::console::view;
use crate::console::{harden, redirect, Console, Ctx};
use lambda_http::{Body, Request, RequestExt, Response};
use maud::html;
use tracing::{info, warn};

fn query(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_string)
}

/// Only console paths are places to return to (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with("/console/") && !n.contains("//") && !n.contains('\\') && n.len() <= 200)
        .unwrap_or_else(|| "/console/".into())
}

fn why_text(why: Option<&str>, console: &Console) -> Option<String> {
    match why {
        Some("idle") => {
            Some(format!("You were signed out after {} minutes without activity.", console.services.config.console.idle_minutes))
        }
        Some("expired") => Some("Your session ended. Sign in again to continue.".into()),
        Some("signed_out") => Some("You are signed out.".into()),
        _ => None,
    }
}

/// `GET /console/sign-in?next=&why=`.
pub(crate) async fn sign_in_page(console: &Console, req: &Request) -> Response<Body> {
    let next = safe_next(query(req, "next"));
    let settings = &console.services.config.console;
    if cookie(req.headers(), SESSION_COOKIE)
        .is_some_and(|c| Session::decode(c, &console.services.links, settings, console.services.clock.now()).is_ok())
    {
        return finish(redirect(&next), Body::Empty);
    }
    let notice = why_text(query(req, "why").as_deref(), console);
    let body = html! {
        h1 { "Sign in" }
        @if let Some(n) = notice { div.flash role="status" { (n) } }
        div.card {
            p { "The staff console shows personal and health information: sign in with your own account, and sign out when you leave." }
            p { a.button href=(format!("/console/auth/start?next={}", encode(&next))) { "Sign in" } }
        }
    };
    html_response(console, 200, view::bare("Sign in", console.local, body))
}

/// `GET /console/auth/start?next=`: off to the identity provider.
pub(crate) async fn start(console: &Console, req: &Request) -> Response<Body> {
    let now = console.services.clock.now();
    let t = SignInTransaction::start(&safe_next(query(req, "next")));
    let Some(value) = t.encode(&console.services.links, now) else {
        warn!("the console has no link signing key: sign-in is impossible");
        return super::error_page(console, None, 503, "Sign-in is not available", "The console is not configured to sign anyone in.");
    };
    let url = console.provider.authorize_url(&console.callback_uri(req), &t.state, &t.challenge());
    finish(redirect(&url).header("set-cookie", set_cookie(SIGNIN_COOKIE, &value, 600, false)), Body::Empty)
}

/// `GET /console/auth/callback?code=&state=`: the provider's answer.
pub(crate) async fn callback(console: &Console, req: &Request) -> Response<Body> {
    let now = console.services.clock.now();
    let failed = |why: &str| {
        warn!(why, "console sign-in failed");
        let body = html! {
            h1 { "Sign-in did not complete" }
            p { "Nothing was signed in. " a href="/console/sign-in" { "Try again" } }
        };
        finish(
            harden(Response::builder().status(400), None)
                .header("content-type", "text/html; charset=utf-8")
                .header("set-cookie", set_cookie(SIGNIN_COOKIE, "", 0, false)),
            Body::Text(view::bare("Sign in", console.local, body).into_string()),
        )
    };
    let Some(t) = cookie(req.headers(), SIGNIN_COOKIE).and_then(|c| SignInTransaction::decode(c, &console.services.links, now)) else {
        return failed("no sign-in under way in this browser");
    };
    if query(req, "state").as_deref() != Some(t.state.as_str()) {
        return failed("the state does not match");
    }
    let Some(code) = query(req, "code").filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return failed("no code");
    };
    let claims = match console.provider.exchange(&code, &t.verifier, &console.callback_uri(req)).await {
        Ok(c) => c,
        Err(e) => return failed(&e.to_string()),
    };
    let principal = match Principal::from_claims(&claims) {
        Ok(p) => p,
        Err(_) => {
            let body = html! { h1 { "No leadflow role" } p { "Your account is not in a leadflow group (admin, manager, agent or analyst). Ask an administrator." } };
            return html_response(console, 403, view::bare("Sign in", console.local, body));
        }
    };
    let session = Session::start(&principal, now);
    let settings = &console.services.config.console;
    let Some(value) = session.encode(&console.services.links, settings) else {
        return failed("the session could not be signed");
    };
    info!(user = %principal.user_id, role = principal.role.as_str(), "console sign-in");
    // A page, not a redirect: the session cookie is SameSite=Strict, and a browser would not send
    // it on a redirect that the provider's (cross-site) navigation started.
    let next = t.next.clone();
    let body = html! {
        h1 { "Signed in" }
        p { a href=(next) { "Continue to the console" } }
    };
    let markup = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content=(format!("0;url={next}"));
                title { "Signed in · leadflow" }
                link rel="stylesheet" href=(crate::console::assets::path("console.css"));
                link rel="icon" href=(crate::console::assets::path("icon.svg")) type="image/svg+xml";
            }
            body { main #main { (body) } }
        }
    };
    finish(
        harden(Response::builder().status(200), None)
            .header("content-type", "text/html; charset=utf-8")
            .header("set-cookie", set_cookie(SESSION_COOKIE, &value, i64::from(settings.session_hours) * 3600, true))
            .header("set-cookie", set_cookie(SIGNIN_COOKIE, "", 0, false)),
        Body::Text(markup.into_string()),
    )
}

/// `GET /console/auth/signed-out?why=`: the session cookie goes, the screen is cleared.
pub(crate) async fn signed_out(console: &Console, req: &Request) -> Response<Body> {
    let why = query(req, "why");
    let text = why_text(why.as_deref().or(Some("signed_out")), console).unwrap_or_default();
    let body = html! {
        h1 { "Signed out" }
        div.flash role="status" { (text) }
        p { a.button href="/console/sign-in" { "Sign in again" } }
    };
    let mut resp = html_response(console, 200, view::bare("Signed out", console.local, body));
    if let Ok(v) = http::HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, true)) {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}

/// `POST /console/auth/sign-out`: the cookie goes, then the provider's own sign-out.
pub(crate) async fn sign_out(ctx: &Ctx<'_>) -> Response<Body> {
    let console = ctx.console;
    let after = format!("{}/console/auth/signed-out", console.base(ctx.req));
    let location = console.provider.sign_out_url(&after).unwrap_or_else(|| "/console/auth/signed-out".into());
    info!(user = %ctx.principal.user_id, "console sign-out");
    let origin = console.provider.origin();
    finish(
        harden(Response::builder().status(303), origin.as_deref())
            .header("location", location)
            .header("set-cookie", set_cookie(SESSION_COOKIE, "", 0, true)),
        Body::Empty,
    )
}
