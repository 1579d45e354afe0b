//! Finding a lead by name (any case, accents or not, the start of a word), phone (any format)
//! or e-mail, within what the signed-in person may see (`POST /leads/search`). The search is a
//! form POST whose answer is the results page: what was typed is never in a URL or the history.

use super::inbox::Row;
use super::respond;
use crate::console::view::{form_keys, status_badge, tier_badge, when};
use crate::console::Ctx;
use lambda_http::{Body, Response};
use maud::{html, Markup};
use serde_json::json;

fn form(ctx: &Ctx<'_>, q: &str, error: Option<&str>) -> Markup {
    html! {
        form.inline method="post" action="/console/search" role="search" {
            (form_keys(&ctx.csrf))
            div.field {
                label for="f-q" { "Name, phone or e-mail" }
                input #f-q type="search" name="q" value=(q) required autocomplete="off" spellcheck="false" aria-describedby=[error.map(|_| "q-error")];
            }
            button type="submit" { "Search" }
        }
        @if let Some(e) = error { p.flash.error #q-error role="alert" { (e) } }
    }
}

/// `GET /console/search`.
pub(crate) async fn page(ctx: &Ctx<'_>) -> Response<Body> {
    respond(
        ctx,
        200,
        "Search",
        "search",
        html! { h1 { "Search" } (form(ctx, "", None)) p.muted { "Only the leads you may see are found." } },
    )
}

/// `POST /console/search`: the results.
pub(crate) async fn results(ctx: &Ctx<'_>) -> Response<Body> {
    let q = ctx.field("q").unwrap_or_default().to_string();
    let answer = ctx.api.post("/leads/search", &json!({ "q": q }), None).await;
    if answer.status == 403 {
        return super::refused(ctx, &answer);
    }
    if !answer.ok() {
        let body = html! { h1 { "Search" } (form(ctx, &q, Some(&answer.message()))) };
        return respond(ctx, 422, "Search", "search", body);
    }
    let rows: Vec<Row> = serde_json::from_value(answer.json()["items"].clone()).unwrap_or_default();
    let tz = ctx.services().config.organization.time_zone;
    let body = html! {
        h1 { "Search" }
        (form(ctx, &q, None))
        h2 #results { (rows.len()) " found" }
        @if !rows.is_empty() {
            div.table-wrap { table.rows aria-labelledby="results" {
                thead { tr { th { "Lead" } th { "Status" } th { "Priority" } th { "Service" } th { "Received" } } }
                tbody {
                    @for r in &rows {
                        @let name = [r.first_name.as_deref(), r.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                        tr data-lead=(r.id) {
                            td data-label="Lead" { a href=(format!("/console/leads/{}", r.id)) { @if name.is_empty() { "(no name)" } @else { (name) } } " " span.muted { (r.short_code) } }
                            td data-label="Status" { (status_badge(r.status)) }
                            td data-label="Priority" { (tier_badge(r.tier)) }
                            td data-label="Service" { (r.service_line_name) }
                            td data-label="Received" { (when(r.created_at, tz)) }
                        }
                    }
                }
            } }
        }
    };
    respond(ctx, 200, "Search", "search", body)
}
