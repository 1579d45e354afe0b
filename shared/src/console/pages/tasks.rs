//! The task list: the signed-in person's open call tasks, soonest due first (`GET /tasks`); a
//! manager or administrator may look at a member's. Titles name ids and the service line only.

use super::{refused, respond};
use crate::auth::Role;
use crate::console::view::{select, when};
use crate::console::Ctx;
use crate::domain::task::Task;
use lambda_http::{Body, RequestExt, Response};
use maud::html;

/// `GET /console/tasks?member=`.
pub(crate) async fn page(ctx: &Ctx<'_>) -> Response<Body> {
    let member = ctx.req.query_string_parameters_ref().and_then(|q| q.first("member")).filter(|m| !m.is_empty()).map(str::to_string);
    let path = match &member {
        Some(m) if crate::domain::routing::MemberId::parse(m).is_some() => format!("/tasks?member={m}"),
        _ => "/tasks".to_string(),
    };
    let answer = ctx.api.get(&path).await;
    if !answer.ok() {
        return refused(ctx, &answer);
    }
    let tasks: Vec<Task> = serde_json::from_value(answer.json()["items"].clone()).unwrap_or_default();
    let tz = ctx.services().config.organization.time_zone;
    let now = ctx.services().clock.now();
    let team = &ctx.services().config.team;
    let can_pick = matches!(ctx.principal.role, Role::Admin | Role::Manager);
    let mut members = vec![(String::new(), "Mine".to_string())];
    members.extend(team.members.values().map(|m| (m.id.to_string(), m.name.clone())));
    let body = html! {
        h1 { "Tasks" }
        @if can_pick {
            form.inline method="get" action="/console/tasks" {
                (select("member", "Whose", &members, member.as_deref(), false))
                button.secondary type="submit" { "Show" }
            }
        }
        @if tasks.is_empty() { p { "No open tasks." } } @else {
            div.table-wrap { table.rows {
                caption.sr-only { "Open tasks, soonest due first" }
                thead { tr { th { "Task" } th { "Lead" } th { "Due" } th { "For" } } }
                tbody {
                    @for t in &tasks {
                        tr data-task=(t.id) {
                            td data-label="Task" { (t.title) }
                            td data-label="Lead" { a href=(format!("/console/leads/{}", t.lead_id)) { (crate::domain::team_notice::short_code(t.lead_id)) } }
                            td data-label="Due" { (when(t.due_at, tz)) @if t.due_at < now { " " span.badge.crisis { "due" } } }
                            td data-label="For" { (t.member.as_ref().and_then(|m| team.members.get(m)).map(|m| m.name.clone()).unwrap_or_else(|| "nobody yet".into())) }
                        }
                    }
                }
            } }
        }
    };
    respond(ctx, 200, "Tasks", "tasks", body)
}
