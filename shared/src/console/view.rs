//! What every page shares: the frame (head, navigation by role, the signed-in person, the
//! sign-out form), badges, times in the organization's time zone, and the countdown element.
//! Titles name pages and short codes only: a browser's history and tab list show no person.

use super::assets;
use super::session::Session;
use crate::auth::{policy, Principal};
use crate::domain::urgency::UrgencyTier;
use crate::domain::LeadStatus;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html, Markup, DOCTYPE};

/// The signed-in frame's inputs.
pub struct Frame<'a> {
    pub session: &'a Session,
    pub principal: &'a Principal,
    pub csrf: &'a str,
    pub idle_seconds: u32,
    pub flash: Option<&'a str>,
    pub local: bool,
}

/// htmx's settings: no history snapshots in local storage (they would hold lead data), no eval,
/// no inline scripts or styles (the Content-Security-Policy forbids them anyway), requests only
/// to this origin.
const HTMX_CONFIG: &str = r#"{"historyEnabled":false,"historyCacheSize":0,"refreshOnHistoryMiss":true,"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,"defaultSettleDelay":0}"#;

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="referrer" content="no-referrer";
            meta name="htmx-config" content=(HTMX_CONFIG);
            title { (title) " · leadflow" }
            link rel="icon" href=(assets::path("icon.svg")) type="image/svg+xml";
            link rel="stylesheet" href=(assets::path("console.css"));
            script src=(assets::path("htmx.js")) defer {}
            script src=(assets::path("console.js")) defer {}
        }
    }
}

/// The navigation entries a role has: what it cannot use is not shown.
fn nav(p: &Principal, active: &str) -> Markup {
    let mut items: Vec<(&str, &str, &str)> = Vec::new();
    if policy::can_list_leads(p) {
        items.extend([("inbox", "/console/", "Inbox"), ("search", "/console/search", "Search"), ("tasks", "/console/tasks", "Tasks")]);
    }
    if policy::can_view_team(p) {
        items.push(("team", "/console/team", "Team"));
    }
    if policy::can_read_reports(p) {
        items.push(("dashboard", "/console/dashboard", "Dashboard"));
    }
    if policy::can_read_audit(p) {
        items.push(("audit", "/console/audit", "Audit trail"));
    }
    html! {
        nav aria-label="Main" {
            ul {
                @for (key, href, label) in items {
                    li { a href=(href) aria-current=[(key == active).then_some("page")] { (label) } }
                }
            }
        }
    }
}

/// A signed-in page.
pub fn page(f: &Frame<'_>, title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body hx-headers=(format!(r#"{{"x-csrf-token":"{}"}}"#, f.csrf)) data-csrf=(f.csrf) data-idle-seconds=(f.idle_seconds * 60)
                data-signed-out-url="/console/auth/signed-out?why=idle" data-touch-url="/console/session/touch" {
                a.skip href="#main" { "Skip to content" }
                @if f.local { (local_banner()) }
                header.top {
                    a.brand href="/console/" { "leadflow" }
                    (nav(f.principal, active))
                    span.who { (f.session.user) " · " (f.session.role) }
                    form method="post" action="/console/auth/sign-out" {
                        input type="hidden" name="_csrf" value=(f.csrf);
                        button type="submit" { "Sign out" }
                    }
                }
                main #main {
                    @if let Some(m) = f.flash {
                        @let error = m.starts_with("Not ") || m.starts_with("Refused") || m.contains("could not");
                        div.flash.error[error] role="status" { (m) }
                    }
                    (body)
                }
            }
        }
    }
}

fn local_banner() -> Markup {
    html! { div.local-only role="note" { "Local runner: development data, signed in through the local dev issuer." } }
}

/// A page without a session (sign-in, signed out, errors before sign-in).
pub fn bare(title: &str, local: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                @if local { (local_banner()) }
                header.top { a.brand href="/console/" { "leadflow" } }
                main #main { (body) }
            }
        }
    }
}

/// A time in the organization's zone, machine-readable in UTC.
pub fn when(t: DateTime<Utc>, tz: Tz) -> Markup {
    let local = t.with_timezone(&tz);
    html! { time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) { (local.format("%b %-d, %-I:%M %p %Z")) } }
}

pub fn tier_badge(tier: Option<UrgencyTier>) -> Markup {
    let tier = tier.unwrap_or(UrgencyTier::Routine);
    html! { span.badge.(tier.as_str()) { (tier.as_str()) } }
}

pub fn status_badge(status: LeadStatus) -> Markup {
    html! { span.badge.status { (status.as_str().replace('_', " ")) } }
}

/// The first-contact clock: counting down (or overdue) while a first contact is due, stopped
/// once it was made. The page script updates the text every second.
pub fn countdown(due: Option<DateTime<Utc>>, first_contact_at: Option<DateTime<Utc>>, open: bool, now: DateTime<Utc>, tz: Tz) -> Markup {
    match (due, first_contact_at) {
        (Some(d), None) if open => {
            let left = (d - now).num_seconds();
            let text = if left >= 0 {
                format!("{}:{:02} left", left / 60, left % 60)
            } else {
                format!("{}:{:02} overdue", -left / 60, -left % 60)
            };
            html! { span.countdown.overdue[left < 0] data-due=(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) title="Time to the first-contact deadline" { (text) } }
        }
        (_, Some(at)) => html! { span.countdown.stopped { "contacted " (when(at, tz)) } },
        _ => html! { span.muted { "no deadline" } },
    }
}

/// The hidden fields every form carries: the CSRF token and a one-time key (a resubmitted form
/// acts once).
pub fn form_keys(csrf: &str) -> Markup {
    html! {
        input type="hidden" name="_csrf" value=(csrf);
        input type="hidden" name="_key" value=(super::session::random_token(12));
    }
}

/// A fresh element id for a field (several forms on a page have fields of one name).
fn field_id(name: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("f-{name}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A `<select>` with its label.
pub fn select(name: &str, label: &str, options: &[(String, String)], selected: Option<&str>, required: bool) -> Markup {
    let id = field_id(name);
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) required[required] {
                @for (value, text) in options {
                    option value=(value) selected[selected == Some(value.as_str())] { (text) }
                }
            }
        }
    }
}

/// A text input with its label.
pub fn input(name: &str, label: &str, kind: &str, value: Option<&str>, required: bool) -> Markup {
    let id = field_id(name);
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) type=(kind) name=(name) value=[value] required[required] autocomplete="off";
        }
    }
}

/// A textarea with its label.
pub fn textarea(name: &str, label: &str, required: bool, max: usize) -> Markup {
    let id = field_id(name);
    html! {
        div.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) required[required] maxlength=(max) {}
        }
    }
}

/// Words for a code (`no_answer` -> `no answer`).
pub fn words(code: &str) -> String {
    code.replace('_', " ")
}
