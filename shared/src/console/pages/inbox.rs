//! The inbox: the open leads the signed-in person may work, crisis and urgent first, then by the
//! first-contact deadline with a live countdown (`app::inbox` through `GET /inbox`). The rows
//! refresh in the background: a poll compares a digest of what is shown with what there is now
//! (no lead data leaves the server for it) and only a change fetches, and records, new rows.

use super::{fragment, refused, respond, unchanged};
use crate::app::inbox;
use crate::console::view::{countdown, select, status_badge, tier_badge, when, words};
use crate::console::Ctx;
use crate::ports::InboxQueue;
use chrono::{DateTime, Utc};
use lambda_http::{Body, RequestExt, Response};
use maud::{html, Markup};
use serde::Deserialize;
use sha2::Digest;

/// A row as `GET /inbox` lists it.
#[derive(Debug, Deserialize)]
pub(crate) struct Row {
    pub id: String,
    pub short_code: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: crate::domain::LeadStatus,
    pub service_line_name: String,
    pub tier: Option<crate::domain::urgency::UrgencyTier>,
    pub score: Option<u32>,
    pub band: Option<String>,
    pub assignee: Option<String>,
    pub created_at: DateTime<Utc>,
    pub first_contact_due_at: Option<DateTime<Utc>>,
    pub first_contact_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub test: bool,
    pub version: u64,
}

const LIMIT: usize = 50;

/// The queue filter of the request (`?assignee=maria|unassigned`), if it is one of the caller's.
fn only(ctx: &Ctx<'_>) -> Option<InboxQueue> {
    let v = ctx.req.query_string_parameters_ref().and_then(|q| q.first("assignee")).map(str::to_string)?;
    let q = if v == "unassigned" { InboxQueue::Unassigned } else { InboxQueue::Member(v) };
    inbox::queues(&ctx.principal, ctx.services()).into_iter().any(|(mine, _)| mine == q).then_some(q)
}

fn queue_param(q: &Option<InboxQueue>) -> String {
    match q {
        Some(InboxQueue::Member(m)) => m.clone(),
        Some(InboxQueue::Unassigned) => "unassigned".into(),
        None => String::new(),
    }
}

/// What is shown, in a word: the ids and versions in order.
pub(crate) fn digest<'a>(rows: impl Iterator<Item = (&'a str, u64)>) -> String {
    let mut h = sha2::Sha256::new();
    for (id, v) in rows {
        h.update(id.as_bytes());
        h.update(v.to_be_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

async fn fetch(ctx: &Ctx<'_>, q: &Option<InboxQueue>) -> Result<Vec<Row>, Response<Body>> {
    let path = match q {
        Some(_) => format!("/inbox?limit={LIMIT}&assignee={}", queue_param(q)),
        None => format!("/inbox?limit={LIMIT}"),
    };
    let answer = ctx.api.get(&path).await;
    if !answer.ok() {
        return Err(refused(ctx, &answer));
    }
    Ok(serde_json::from_value(answer.json()["items"].clone()).unwrap_or_default())
}

fn member_name(ctx: &Ctx<'_>, id: Option<&str>) -> String {
    match id {
        None => "nobody yet".into(),
        Some(m) => ctx
            .services()
            .config
            .team
            .members
            .iter()
            .find(|(k, _)| k.as_str() == m)
            .map(|(_, v)| v.name.clone())
            .unwrap_or_else(|| m.to_string()),
    }
}

fn tbody(ctx: &Ctx<'_>, rows: &[Row], q: &Option<InboxQueue>) -> Markup {
    let tz = ctx.services().config.organization.time_zone;
    let now = ctx.services().clock.now();
    let d = digest(rows.iter().map(|r| (r.id.as_str(), r.version)));
    let every = ctx.services().config.console.refresh_seconds;
    html! {
        tbody #inbox-rows hx-get=(format!("/console/inbox/rows?assignee={}&d={d}", queue_param(q))) hx-trigger=(format!("every {every}s")) hx-swap="outerHTML" {
            @if rows.is_empty() {
                tr { td colspan="8" { "No open leads in your queues." } }
            }
            @for r in rows {
                @let name = [r.first_name.as_deref(), r.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                tr data-lead=(r.id) {
                    td data-label="Priority" { (tier_badge(r.tier)) @if r.test { " " span.badge.test { "test" } } }
                    td data-label="Lead" {
                        a href=(format!("/console/leads/{}", r.id)) { @if name.is_empty() { "(no name)" } @else { (name) } }
                        " " span.muted { (r.short_code) }
                    }
                    td data-label="Service" { (r.service_line_name) }
                    td data-label="Status" { (status_badge(r.status)) }
                    td data-label="First contact" { (countdown(r.first_contact_due_at, r.first_contact_at, r.status.is_open(), now, tz)) }
                    td data-label="Assigned to" { (member_name(ctx, r.assignee.as_deref())) }
                    td.num data-label="Score" { @match r.score { Some(s) => { (s) " " span.muted { (r.band.as_deref().map(words).unwrap_or_default()) } } None => { span.muted { "—" } } } }
                    td data-label="Received" { (when(r.created_at, tz)) }
                }
            }
        }
    }
}

/// `GET /console/`.
pub(crate) async fn page(ctx: &Ctx<'_>) -> Response<Body> {
    if !crate::auth::policy::can_list_leads(&ctx.principal) {
        // Reports only: the dashboard is the analyst's console.
        return super::finish(crate::console::redirect("/console/dashboard"), Body::Empty);
    }
    let q = only(ctx);
    let rows = match fetch(ctx, &q).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let team = &ctx.services().config.team;
    let mut choices = vec![(String::new(), "All my queues".to_string())];
    for (queue, _) in inbox::queues(&ctx.principal, ctx.services()) {
        let (value, label) = match &queue {
            InboxQueue::Member(m) => {
                (m.clone(), team.members.iter().find(|(k, _)| k.as_str() == m).map_or(m.clone(), |(_, v)| v.name.clone()))
            }
            InboxQueue::Unassigned => ("unassigned".to_string(), "Not assigned yet".to_string()),
        };
        choices.push((value, label));
    }
    let selected = queue_param(&q);
    let body = html! {
        h1 { "Inbox" }
        form.inline method="get" action="/console/" {
            (select("assignee", "Queue", &choices, Some(selected.as_str()), false))
            button.secondary type="submit" { "Show" }
        }
        p.muted { "Crisis and urgent leads first, then the nearest first-contact deadline. New leads appear here by themselves." }
        div.table-wrap {
            table.rows aria-describedby="inbox-caption" {
                caption #inbox-caption .sr-only { "Open leads, most urgent first" }
                thead { tr { th { "Priority" } th { "Lead" } th { "Service" } th { "Status" } th { "First contact" } th { "Assigned to" } th.num { "Score" } th { "Received" } } }
                (tbody(ctx, &rows, &q))
            }
        }
    };
    respond(ctx, 200, "Inbox", "inbox", body)
}

/// `GET /console/inbox/rows?assignee=&d=`: new rows when the inbox changed, else nothing.
pub(crate) async fn rows(ctx: &Ctx<'_>) -> Response<Body> {
    let q = only(ctx);
    let shown = ctx.req.query_string_parameters_ref().and_then(|p| p.first("d")).unwrap_or_default().to_string();
    if let Ok(now) = inbox::inbox(ctx.services(), &ctx.principal, q.as_ref(), LIMIT).await {
        if digest(now.iter().map(|l| (l.id.to_string(), l.version)).collect::<Vec<_>>().iter().map(|(i, v)| (i.as_str(), *v))) == shown {
            return unchanged();
        }
    }
    match fetch(ctx, &q).await {
        Ok(rows) => fragment(ctx, tbody(ctx, &rows, &q)),
        Err(resp) => resp,
    }
}
