//! The console's pages and actions. Each reads and writes through the API's handlers
//! (`console::api`), so the role matrix and the audit trail decide and record exactly as for
//! the API; a page only decides what to *show* from the same policy functions.

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod dashboard;
pub(crate) mod inbox;
pub(crate) mod lead;
pub(crate) mod search;
pub(crate) mod tasks;
pub(crate) mod team;

use super::session::{set_cookie, Session, FLASH_COOKIE};
use super::view::{self, Frame};
use super::{harden, redirect, Console, Ctx};
use lambda_http::{Body, Response};
use maud::{html, Markup};

/// Dispatches a signed-in request.
pub(crate) async fn route(ctx: &Ctx<'_>, method: &str, parts: &[&str]) -> Response<Body> {
    match (method, parts) {
        ("GET", ["console"]) => inbox::page(ctx).await,
        ("GET", ["console", "inbox", "rows"]) => inbox::rows(ctx).await,
        ("GET", ["console", "search"]) => search::page(ctx).await,
        ("POST", ["console", "search"]) => search::results(ctx).await,
        ("GET", ["console", "tasks"]) => tasks::page(ctx).await,
        ("GET", ["console", "team"]) => team::page(ctx).await,
        ("POST", ["console", "team", member, "availability"]) => team::availability(ctx, member).await,
        ("GET", ["console", "dashboard"]) => dashboard::page(ctx).await,
        ("GET", ["console", "charts", chart]) => dashboard::chart(ctx, chart).await,
        ("GET", ["console", "audit"]) => admin::audit(ctx).await,
        ("GET", ["console", "people", id]) => admin::person(ctx, id).await,
        ("GET", ["console", "people", id, "export"]) => admin::export(ctx, id).await,
        ("POST", ["console", "people", id, "erase"]) => admin::erase(ctx, id).await,
        ("GET", ["console", "leads", id]) => lead::page(ctx, id).await,
        ("GET", ["console", "leads", id, "live"]) => lead::live(ctx, id).await,
        ("GET", ["console", "leads", id, "edit"]) => lead::edit_form(ctx, id).await,
        ("POST", ["console", "leads", id, action]) => lead::act(ctx, id, action).await,
        ("POST", ["console", "session", "touch"]) => finish(harden(Response::builder().status(204), None), Body::Empty),
        ("POST", ["console", "auth", "sign-out"]) => auth::sign_out(ctx).await,
        _ => not_found(ctx),
    }
}

/// The 404 page.
pub(crate) fn not_found(ctx: &Ctx<'_>) -> Response<Body> {
    respond(ctx, 404, "Not found", "", html! { h1 { "Not found" } p { "There is no such page." } })
}

fn finish(builder: http::response::Builder, body: Body) -> Response<Body> {
    builder.body(body).unwrap_or_else(|_| Response::builder().status(500).body(Body::Empty).expect("a static response"))
}

/// An HTML answer with the console's headers (`form-action` allows the provider's sign-out).
pub(crate) fn html_response(console: &Console, status: u16, markup: Markup) -> Response<Body> {
    let origin = console.provider.origin();
    finish(
        harden(Response::builder().status(status), origin.as_deref()).header("content-type", "text/html; charset=utf-8"),
        Body::Text(markup.into_string()),
    )
}

/// A signed-in page.
pub(crate) fn respond(ctx: &Ctx<'_>, status: u16, title: &str, active: &str, body: Markup) -> Response<Body> {
    let frame = Frame {
        session: &ctx.session,
        principal: &ctx.principal,
        csrf: &ctx.csrf,
        idle_seconds: ctx.services().config.console.idle_minutes,
        flash: ctx.flash.as_deref(),
        local: ctx.console.local,
    };
    html_response(ctx.console, status, view::page(&frame, title, active, body))
}

/// A page fragment (a background refresh's rows).
pub(crate) fn fragment(ctx: &Ctx<'_>, markup: Markup) -> Response<Body> {
    html_response(ctx.console, 200, markup)
}

/// Nothing changed (a background refresh): htmx swaps nothing.
pub(crate) fn unchanged() -> Response<Body> {
    finish(harden(Response::builder().status(204), None), Body::Empty)
}

/// After an action: back to `location` with a one-line notice (ids and outcomes, never personal
/// data: it rides in a cookie, not the URL).
pub(crate) fn done(location: &str, notice: &str) -> Response<Body> {
    let value = serde_urlencoded::to_string([("m", notice)]).unwrap_or_default();
    let value = value.trim_start_matches("m=");
    finish(redirect(location).header("set-cookie", set_cookie(FLASH_COOKIE, value, 60, true)), Body::Empty)
}

/// A page for an answer the API refused or could not give.
pub(crate) fn refused(ctx: &Ctx<'_>, answer: &super::api::Answer) -> Response<Body> {
    match answer.status {
        403 => respond(
            ctx,
            403,
            "Not allowed",
            "",
            html! { h1 { "Not allowed" } p { "You are not allowed to see or do this. The attempt was recorded." } },
        ),
        404 => respond(ctx, 404, "Not found", "", html! { h1 { "Not found" } p { "There is no such record." } }),
        401 => respond(ctx, 401, "Signed out", "", html! { h1 { "Signed out" } p { a href="/console/sign-in" { "Sign in again" } } }),
        s if s >= 500 => {
            respond(ctx, 503, "Try again", "", html! { h1 { "Something did not answer" } p { "Nothing was lost. Try again in a moment." } })
        }
        s => respond(ctx, s, "Refused", "", html! { h1 { "Refused" } p { (answer.message()) } }),
    }
}

/// An error page, with the frame when someone is signed in.
pub(crate) fn error_page(console: &Console, session: Option<&Session>, status: u16, title: &str, text: &str) -> Response<Body> {
    let body = html! { h1 { (title) } p { (text) } p { a href="/console/" { "Back to the console" } } };
    match session {
        Some(s) => {
            let settings = &console.services.config.console;
            let csrf = s.csrf_token(&console.services.links, settings);
            let p = s.principal();
            let frame =
                Frame { session: s, principal: &p, csrf: &csrf, idle_seconds: settings.idle_minutes, flash: None, local: console.local };
            html_response(console, status, view::page(&frame, title, "", body))
        }
        None => html_response(console, status, view::bare(title, console.local, body)),
    }
}

/// A lead id from a path segment (404 for anything else).
pub(crate) fn lead_id(s: &str) -> Option<crate::domain::LeadId> {
    s.parse().ok()
}
