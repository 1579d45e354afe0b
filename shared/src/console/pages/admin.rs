//! Administrators' pages: the audit trail of a lead or of a user (`GET /audit/...`, itself
//! recorded), and a person's export and erasure (`GET /people/{id}/export`,
//! `DELETE /people/{id}`), the erasure only after typing the lead's short code to confirm.

use super::{done, finish, lead_id, refused, respond};
use crate::auth::policy;
use crate::console::view::{form_keys, input, when, words};
use crate::console::{harden, Ctx};
use crate::domain::{AuditActor, AuditEntry, AuditOutcome};
use lambda_http::{Body, RequestExt, Response};
use maud::html;

fn q(ctx: &Ctx<'_>, name: &str) -> Option<String> {
    ctx.req.query_string_parameters_ref().and_then(|p| p.first(name)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// `GET /console/audit?lead=|user=&after=`.
pub(crate) async fn audit(ctx: &Ctx<'_>) -> Response<Body> {
    if !policy::can_read_audit(&ctx.principal) {
        // Not shown in the navigation; forced, the API refuses and records it.
        let answer = ctx.api.get("/audit/users/-").await;
        return refused(ctx, &answer);
    }
    let (lead, user, after) = (q(ctx, "lead"), q(ctx, "user"), q(ctx, "after"));
    let form = html! {
        form.inline method="get" action="/console/audit" aria-label="Whose trail" {
            (input("lead", "Lead id", "text", lead.as_deref(), false))
            (input("user", "or staff user id", "text", user.as_deref(), false))
            button.secondary type="submit" { "Show" }
        }
    };
    let path = match (&lead, &user) {
        (Some(l), _) => format!("/audit/leads/{}", crate::console::identity::encode(l)),
        (None, Some(u)) => format!("/audit/users/{}", crate::console::identity::encode(u)),
        (None, None) => {
            return respond(
                ctx,
                200,
                "Audit trail",
                "audit",
                html! { h1 { "Audit trail" } (form) p.muted { "Every read and change of lead data, by whom, when and from where; never the values." } },
            )
        }
    };
    let path = match &after {
        Some(a) => format!("{path}?limit=200&after={}", crate::console::identity::encode(a)),
        None => format!("{path}?limit=200"),
    };
    let answer = ctx.api.get(&path).await;
    if !answer.ok() {
        return refused(ctx, &answer);
    }
    let v = answer.json();
    let entries: Vec<AuditEntry> = serde_json::from_value(v["items"].clone()).unwrap_or_default();
    let tz = ctx.services().config.organization.time_zone;
    let next = v["next"].as_str().map(|n| {
        let base = match (&lead, &user) {
            (Some(l), _) => format!("lead={}", crate::console::identity::encode(l)),
            (_, Some(u)) => format!("user={}", crate::console::identity::encode(u)),
            _ => String::new(),
        };
        format!("/console/audit?{base}&after={n}")
    });
    let body = html! {
        h1 { "Audit trail" }
        (form)
        p { (entries.len()) " entries, oldest first." }
        div.table-wrap { table {
            thead { tr { th { "When" } th { "Who" } th { "Did" } th { "Lead" } th { "Fields" } th { "Route" } th { "From" } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (when(e.at, tz)) }
                        td { @match &e.actor {
                            AuditActor::User { user_id, role } => { (user_id) " (" (role) ")" }
                            AuditActor::PublicForm => { "the public form" }
                            AuditActor::System { component } => { "leadflow: " (component) }
                        } }
                        td { (words(e.action.as_str())) @if e.outcome == AuditOutcome::Denied { " " span.badge.crisis { "denied" } } }
                        td { @if let Some(l) = e.lead_id { a href=(format!("/console/leads/{l}")) { (crate::domain::team_notice::short_code(l)) } } }
                        td { (e.fields.join(", ")) }
                        td { (e.route.as_deref().unwrap_or_default()) }
                        td { (e.source_ip.as_deref().unwrap_or_default()) }
                    }
                }
            }
        } }
        @if let Some(n) = next { p { a href=(n) { "Later entries" } } }
    };
    respond(ctx, 200, "Audit trail", "audit", body)
}

/// `GET /console/people/{id}`: export or erase the person a lead is about.
pub(crate) async fn person(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return super::not_found(ctx) };
    if !policy::can_export_person(&ctx.principal) {
        let answer = ctx.api.get(&format!("/people/{id}/export")).await;
        return refused(ctx, &answer);
    }
    let code = crate::domain::team_notice::short_code(id);
    let title = format!("Person of lead {code}");
    let body = html! {
        h1 { (title) }
        div.grid.two {
            section.card {
                h2 { "Export" }
                p { "Everything held about this person (all their leads, timelines, messages, consent records and audit entries), as a JSON file. The export is recorded." }
                p { a.button href=(format!("/console/people/{id}/export")) download { "Download the export" } }
            }
            section.card {
                h2 { "Erase" }
                p { "Removes or anonymizes this person's data everywhere. Opt-outs and the audit trail stay. This cannot be undone." }
                form.stack method="post" action=(format!("/console/people/{id}/erase")) {
                    (form_keys(&ctx.csrf))
                    (input("confirm", &format!("Type {code} to confirm"), "text", None, true))
                    button.danger type="submit" { "Erase this person" }
                }
            }
        }
        p { a href=(format!("/console/leads/{id}")) { "Back to the lead" } }
    };
    respond(ctx, 200, &title, "", body)
}

/// `GET /console/people/{id}/export`: the export as a download.
pub(crate) async fn export(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return super::not_found(ctx) };
    let answer = ctx.api.get(&format!("/people/{id}/export")).await;
    if !answer.ok() {
        return refused(ctx, &answer);
    }
    finish(
        harden(Response::builder().status(200), None)
            .header("content-type", "application/json")
            .header("content-disposition", format!("attachment; filename=\"person-{}.json\"", crate::domain::team_notice::short_code(id))),
        Body::Text(answer.body),
    )
}

/// `POST /console/people/{id}/erase` (confirmed by the short code).
pub(crate) async fn erase(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return super::not_found(ctx) };
    let code = crate::domain::team_notice::short_code(id);
    if ctx.field("confirm").map(|c| c.trim().to_ascii_uppercase()) != Some(code.clone()) {
        return done(&format!("/console/people/{id}"), "Not erased: type the lead's short code to confirm.");
    }
    let answer = ctx.api.call("DELETE", &format!("/people/{id}"), None, &[]).await;
    if !answer.ok() {
        return refused(ctx, &answer);
    }
    let v = answer.json();
    let body = html! {
        h1 { "Erased" }
        p { "The person of lead " (code) " was erased: " (v["lead_ids"].as_array().map_or(0, Vec::len)) " lead(s)." }
        ul { @for s in v["stores"].as_array().cloned().unwrap_or_default() { li { (s["store"].as_str().unwrap_or_default()) ": " (s["records_changed"]) " record(s) changed" } } }
        p { a href="/console/" { "Back to the inbox" } }
    };
    respond(ctx, 200, "Erased", "", body)
}
