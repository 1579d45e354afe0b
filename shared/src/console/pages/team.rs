//! Who is on shift, away or on call now (`GET /team`); a manager (for their members and
//! facilities) or an administrator marks someone away until a time, or back
//! (`PUT /team/{member}/availability`). Agents see the roster; the forms are not shown to them.

use super::{done, refused, respond};
use crate::auth::policy;
use crate::console::view::{form_keys, when, words};
use crate::console::Ctx;
use chrono::{NaiveDateTime, TimeZone};
use lambda_http::{Body, Response};
use maud::html;
use serde::Deserialize;
use serde_json::json;

/// A member as `GET /team` lists them (`app::team::MemberStatus`).
#[derive(Debug, Deserialize)]
struct Member {
    id: String,
    name: String,
    #[serde(default)]
    specialties: Vec<String>,
    #[serde(default)]
    facilities: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    on_shift: bool,
    away: bool,
    #[serde(default)]
    away_until: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    on_call: Vec<String>,
}

/// `GET /console/team`.
pub(crate) async fn page(ctx: &Ctx<'_>) -> Response<Body> {
    let answer = ctx.api.get("/team").await;
    if !answer.ok() {
        return refused(ctx, &answer);
    }
    let members: Vec<Member> = serde_json::from_value(answer.json()["members"].clone()).unwrap_or_default();
    let tz = ctx.services().config.organization.time_zone;
    let team = &ctx.services().config.team;
    let manage = |id: &str| {
        crate::domain::routing::MemberId::parse(id)
            .and_then(|m| team.members.get(&m))
            .is_some_and(|m| policy::can_manage_member(&ctx.principal, team, m))
    };
    let body = html! {
        h1 { "Team" }
        p.muted { "On shift now, away, and on call. Times are " (tz.name()) "." }
        div.table-wrap { table.rows {
            caption.sr-only { "Team members and their availability" }
            thead { tr { th { "Member" } th { "Now" } th { "Handles" } th { "Availability" } } }
            tbody {
                @for m in &members {
                    tr data-member=(m.id) {
                        td data-label="Member" { (m.name) " " span.muted { (m.id) } }
                        td data-label="Now" {
                            @if m.away { span.badge.urgent { "away" } @if let Some(u) = m.away_until { " until " (when(u, tz)) } }
                            @else if m.on_shift { span.badge.status { "on shift" } }
                            @else { span.muted { "off shift" } }
                            @for s in &m.on_call { " " span.badge.crisis { "on call: " (s) } }
                        }
                        td data-label="Handles" {
                            (if m.specialties.is_empty() { "every service".to_string() } else { m.specialties.iter().map(|s| words(s)).collect::<Vec<_>>().join(", ") })
                            @if !m.facilities.is_empty() { br; span.muted { (m.facilities.join(", ")) } }
                            @if !m.languages.is_empty() { br; span.muted { (m.languages.join(", ")) } }
                        }
                        td data-label="Availability" {
                            @if manage(&m.id) {
                                @if m.away {
                                    form method="post" action=(format!("/console/team/{}/availability", m.id)) {
                                        (form_keys(&ctx.csrf))
                                        input type="hidden" name="away" value="false";
                                        button.secondary type="submit" { "Mark " (m.name) " back" }
                                    }
                                } @else {
                                    form.inline method="post" action=(format!("/console/team/{}/availability", m.id)) {
                                        (form_keys(&ctx.csrf))
                                        input type="hidden" name="away" value="true";
                                        div.field {
                                            label for=(format!("until-{}", m.id)) { "Away until (optional)" }
                                            input id=(format!("until-{}", m.id)) type="datetime-local" name="until";
                                        }
                                        button.secondary type="submit" { "Mark " (m.name) " away" }
                                    }
                                }
                            } @else { span.muted { "—" } }
                        }
                    }
                }
            }
        } }
    };
    respond(ctx, 200, "Team", "team", body)
}

/// `POST /console/team/{member}/availability`.
pub(crate) async fn availability(ctx: &Ctx<'_>, member: &str) -> Response<Body> {
    let tz = ctx.services().config.organization.time_zone;
    let away = ctx.field("away") == Some("true");
    let mut body = json!({ "away": away });
    if let Some(until) = ctx.field("until").filter(|_| away) {
        // A local time on the form (the organization's zone), UTC on the way in.
        match NaiveDateTime::parse_from_str(until, "%Y-%m-%dT%H:%M").ok().and_then(|t| tz.from_local_datetime(&t).earliest()) {
            Some(t) => body["until"] = json!(t.with_timezone(&chrono::Utc).to_rfc3339()),
            None => return done("/console/team", "Not done: until is not a date and time"),
        }
    }
    let path = format!("/team/{}/availability", crate::domain::routing::MemberId::parse(member).map(|m| m.to_string()).unwrap_or_default());
    let answer = ctx.api.call("PUT", &path, Some(&body), &[]).await;
    match answer.status {
        200 => done("/console/team", if away { "Marked away." } else { "Marked back." }),
        403 | 404 => refused(ctx, &answer),
        _ => done("/console/team", &format!("Not done: {}", answer.message())),
    }
}
