//! A lead's page: who it is and what they asked (every inquiry), the score with its explanation,
//! consent per channel, the conversation thread, tasks and the full timeline, and the actions a
//! person working it takes (log a call, change the status, write, note, assign, correct). The
//! summary, thread and timeline refresh in the background: a reply appears without a reload.

use super::{done, finish, fragment, lead_id, refused, respond, unchanged};
use crate::app::email::{email_gate, EmailGate};
use crate::app::leads::CONSENT_SET_ASIDE;
use crate::app::messaging::{sms_gate, SmsGate};
use crate::auth::policy;
use crate::console::view::{countdown, form_keys, input, select, status_badge, textarea, tier_badge, when, words};
use crate::console::Ctx;
use crate::domain::cadence::rules::Check;
use crate::domain::cadence::{Allowed, Enrollment, EnrollmentState, StepChannel, StepOutcome};
use crate::domain::inquiry::PointKind;
use crate::domain::lifecycle::{plan, Cause};
use crate::domain::task::Task;
use crate::domain::{Actor, ContactChannel, Lead, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use chrono_tz::Tz;
use lambda_http::{Body, RequestExt, Response};
use maud::{html, Markup};
use serde_json::{json, Value};

/// Timeline entries read for a page (a lead's whole history fits many times over).
const MAX_TIMELINE: usize = 1000;

/// What the page shows, as the API answered it.
struct Loaded {
    lead: Lead,
    timeline: Vec<TimelineEntry>,
    tasks: Vec<Task>,
    enrollment: Option<Enrollment>,
}

async fn load(ctx: &Ctx<'_>, id: LeadId, with_side: bool) -> Result<Loaded, Response<Body>> {
    let mut timeline: Vec<TimelineEntry> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut lead: Option<Lead> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/leads/{id}?timeline_limit=100&timeline_cursor={c}"),
            None => format!("/leads/{id}?timeline_limit=100"),
        };
        let answer = ctx.api.get(&path).await;
        if !answer.ok() {
            return Err(refused(ctx, &answer));
        }
        let v = answer.json();
        if lead.is_none() {
            lead = serde_json::from_value(v["lead"].clone()).ok();
        }
        timeline.extend(serde_json::from_value::<Vec<TimelineEntry>>(v["timeline"]["items"].clone()).unwrap_or_default());
        match v["timeline"]["next"].as_str() {
            Some(c) if timeline.len() < MAX_TIMELINE => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    let Some(lead) = lead else {
        return Err(refused(ctx, &crate::console::api::Answer { status: 503, headers: Default::default(), body: String::new() }));
    };
    let (mut tasks, mut enrollment) = (Vec::new(), None);
    if with_side {
        let t = ctx.api.get(&format!("/leads/{id}/tasks")).await;
        if t.ok() {
            tasks = serde_json::from_value(t.json()["items"].clone()).unwrap_or_default();
        }
        let c = ctx.api.get(&format!("/leads/{id}/cadence")).await;
        if c.ok() {
            enrollment = serde_json::from_value(c.json()["enrollment"].clone()).ok();
        }
    }
    Ok(Loaded { lead, timeline, tasks, enrollment })
}

fn tz(ctx: &Ctx<'_>) -> Tz {
    ctx.services().config.organization.time_zone
}

fn member_name(ctx: &Ctx<'_>, id: &str) -> String {
    ctx.services().config.team.members.iter().find(|(k, _)| k.as_str() == id).map(|(_, m)| m.name.clone()).unwrap_or_else(|| id.to_string())
}

fn actor(ctx: &Ctx<'_>, a: &Actor) -> String {
    match a {
        Actor::User(u) => {
            let team = &ctx.services().config.team;
            team.member_for_user(u).map(|m| m.name.clone()).unwrap_or_else(|| u.clone())
        }
        Actor::Lead => "the person".into(),
        Actor::System(s) => format!("leadflow ({})", words(s)),
        Actor::Integration(i) => i.clone(),
    }
}

fn full_name(lead: &Lead) -> String {
    let n = [lead.contact.first_name.as_ref().map(|n| n.as_str()), lead.contact.last_name.as_ref().map(|n| n.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if n.is_empty() {
        "(no name given)".into()
    } else {
        n
    }
}

fn digest(l: &Loaded) -> (u64, String) {
    (l.lead.version, l.timeline.last().map(|e| e.id.to_string()).unwrap_or_default())
}

/// The summary at the top.
fn summary(ctx: &Ctx<'_>, l: &Loaded) -> Markup {
    let lead = &l.lead;
    let tz = tz(ctx);
    let now = ctx.services().clock.now();
    let line = ctx
        .services()
        .config
        .service_line(&lead.context.service_line)
        .map_or_else(|| lead.context.service_line.to_string(), |s| s.name.clone());
    html! {
        section #lead-summary .card aria-labelledby="lead-name" {
            h1 #lead-name { (full_name(lead)) " " span.muted { (crate::domain::team_notice::short_code(lead.id)) } }
            p {
                (status_badge(lead.status)) " " (tier_badge(lead.score.as_ref().map(|s| s.urgency.tier)))
                @if lead.test { " " span.badge.test { "test record" } }
            }
            dl.facts {
                dt { "First contact" } dd #first-contact { (countdown(lead.first_contact_due_at, lead.first_contact_at, lead.status.is_open(), now, tz)) }
                dt { "Assigned to" } dd #assignee { (lead.assignee().map(|m| member_name(ctx, m)).unwrap_or_else(|| "nobody yet".into())) }
                dt { "Service" } dd { (line) }
                @if let Some(f) = &lead.context.preferred_facility { dt { "Facility" } dd { (f.as_str()) } }
                dt { "Phone" } dd { (lead.contact.phone.as_ref().map(|p| p.as_e164().to_string()).unwrap_or_else(|| "—".into())) }
                dt { "E-mail" } dd { (lead.contact.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_else(|| "—".into())) }
                @if let Some(s) = &lead.score { dt { "Score" } dd { (s.score) " (" (s.band.as_str()) ")" } }
                dt { "Received" } dd { (when(lead.created_at, tz)) " via " (words(lead.source.channel.as_str())) }
            }
        }
    }
}

/// Whether a thread entry is the person's (in) or ours (out), and what it says.
fn thread_items(l: &Loaded) -> Vec<(&TimelineEntry, bool, ContactChannel, String, Option<String>)> {
    l.timeline
        .iter()
        .filter_map(|e| match &e.kind {
            TimelineKind::MessageReceived { channel, text, .. } => {
                Some((e, true, *channel, text.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default(), None))
            }
            TimelineKind::AcknowledgementSent { channel, text, .. } => {
                Some((e, false, *channel, text.clone(), Some("automatic acknowledgement".into())))
            }
            TimelineKind::MessageSent { channel, text, purpose, .. } => Some((e, false, *channel, text.clone(), Some(words(purpose)))),
            TimelineKind::CadenceStep { channel, outcome: StepOutcome::Sent { text: Some(t), .. }, name, .. } => {
                let c = if *channel == StepChannel::Email { ContactChannel::Email } else { ContactChannel::Sms };
                matches!(channel, StepChannel::Sms | StepChannel::Email)
                    .then(|| (e, false, c, t.clone(), Some(format!("follow-up: {}", words(name)))))
            }
            TimelineKind::StaffMessageSent { channel, text, subject, quiet_hours_override, .. } => {
                let mut label = subject.clone().map(|s| format!("subject: {s}")).unwrap_or_default();
                if *quiet_hours_override {
                    label.push_str(if label.is_empty() {
                        "sent outside quiet hours (override)"
                    } else {
                        "; sent outside quiet hours (override)"
                    });
                }
                Some((e, false, *channel, text.clone(), (!label.is_empty()).then_some(label)))
            }
            _ => None,
        })
        .collect()
}

fn thread(ctx: &Ctx<'_>, l: &Loaded) -> Markup {
    let tz = tz(ctx);
    let items = thread_items(l);
    html! {
        section #thread .card aria-labelledby="thread-title" {
            h2 #thread-title { "Conversation" }
            @if items.is_empty() { p.muted { "No messages yet." } }
            ol.thread {
                @for (e, inbound, channel, text, label) in items {
                    li.in[inbound].out[!inbound] data-entry=(e.id.to_string()) {
                        div.meta {
                            @if inbound { "From the person" } @else { (actor(ctx, &e.actor)) }
                            " · " (channel.as_str()) " · " (when(e.at, tz))
                            @if let Some(l) = label { " · " (l) }
                        }
                        div.text { (text) }
                    }
                }
            }
        }
    }
}

/// A value's wire name in words (`page_view` -> `page view`).
fn code_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(words)).unwrap_or_default()
}

/// One timeline entry as a sentence.
fn describe(ctx: &Ctx<'_>, e: &TimelineEntry) -> Markup {
    let tz = tz(ctx);
    match &e.kind {
        TimelineKind::LeadCaptured { channel, .. } => html! { "Inquiry received via " (words(channel.as_str())) },
        TimelineKind::RepeatInquiry { touchpoint, .. } => html! { "Inquired again via " (words(touchpoint.channel.as_str())) },
        TimelineKind::AcknowledgementSent { channel, .. } => html! { "Acknowledgement sent by " (channel.as_str()) },
        TimelineKind::AcknowledgementSkipped { reason } => html! { "Acknowledgement not sent: " (words(reason.as_str())) },
        TimelineKind::AcknowledgementFailed { channel, .. } => html! { "Acknowledgement by " (channel.as_str()) " failed" },
        TimelineKind::ScoreChanged { to, band, tier, .. } => html! { "Scored " (to) " (" (band.as_str()) ", " (tier.as_str()) ")" },
        TimelineKind::Assigned { member, rule, .. } => html! { "Assigned to " (member_name(ctx, member.as_str())) " by rule " (rule) },
        TimelineKind::AssignmentPending { reason, retry_at } => {
            html! { "Nobody could take it (" (reason) "); routing again " (when(*retry_at, tz)) }
        }
        TimelineKind::TeamNotified { member, notice } => {
            html! { (member_name(ctx, member.as_str())) " was notified (" (words(notice.as_str())) ")" }
        }
        TimelineKind::Escalated { level, target, .. } => {
            html! { "First contact overdue: escalated to " (target) " (step " (level + 1) ")" }
        }
        TimelineKind::ContactAttempted { channel, outcome, note, first } => html! {
            (if *first { "First contact attempt" } else { "Contact attempt" }) " by " (channel.as_str()) ": " (words(outcome.as_str()))
            @if let Some(n) = note { " — " q { (n.as_str()) } }
        },
        TimelineKind::TouchpointRecorded { touchpoint } => html! { "Touchpoint: " (code_of(&touchpoint.kind)) },
        TimelineKind::StatusChanged { from, to, reason, note, .. } => html! {
            "Status " (words(from.as_str())) " → " (words(to.as_str()))
            @if let Some(r) = reason { " (" (words(r)) ")" }
            @if let Some(n) = note { " — " q { (n.as_str()) } }
        },
        TimelineKind::MessageReceived { channel, .. } => html! { "Message received by " (channel.as_str()) },
        TimelineKind::MessageSent { channel, purpose, .. } => html! { "Sent " (words(purpose)) " by " (channel.as_str()) },
        TimelineKind::MessageNotSent { channel, purpose, reason } => {
            html! { (words(purpose)) " by " (channel.as_str()) " not sent: " (words(reason.as_str())) }
        }
        TimelineKind::ConsentRevoked { channel, via } if via == CONSENT_SET_ASIDE => {
            html! { "Consent for " (channel.as_str()) " set aside: it was given for the previous contact details" }
        }
        TimelineKind::ConsentRevoked { channel, via } => html! { "Consent for " (channel.as_str()) " revoked (" (words(via)) ")" },
        TimelineKind::ConsentGranted { channel, via } => html! { "Consent for " (channel.as_str()) " given (" (words(via)) ")" },
        TimelineKind::ContactPointConfirmed { point, .. } => html! { "A later inquiry's " (words(point.as_str())) " confirmed" },
        TimelineKind::HelpRequested { .. } => html! { "Asked for help (HELP)" },
        TimelineKind::CallLogged { answered, duration_seconds, .. } => {
            html! { "Call " (if *answered { "answered" } else { "missed" }) ", " (duration_seconds) " s" }
        }
        TimelineKind::EmailEngagement { event, .. } => html! { "E-mail " (code_of(event)) },
        TimelineKind::AppointmentChanged { event, starts_at, .. } => html! {
            "Appointment " (code_of(event))
            @if let Some(t) = starts_at { " for " (when(*t, tz)) }
        },
        TimelineKind::PaymentReceived { amount, .. } => {
            html! { "Payment received: " (amount.minor) " " (amount.currency.code()) " (minor units)" }
        }
        TimelineKind::ReengagementTriggered { action, .. } => html! { "Re-engagement started: " (words(action)) },
        TimelineKind::TeamAlerted { reason, .. } => html! { "Team alerted: " (words(reason)) },
        TimelineKind::StakeholderAdded { stakeholder } => html! { "Stakeholder added (" (words(stakeholder.role.as_str())) ")" },
        TimelineKind::MilestoneReached { milestone, .. } => html! { "Milestone: " (words(milestone.as_str())) },
        TimelineKind::SourceRetagged { .. } => html! { "Source tags corrected" },
        TimelineKind::Merged { survivor, absorbed, how, .. } => {
            html! { "Merged (" (how) "): " (absorbed.to_string()) " into " (survivor.to_string()) }
        }
        TimelineKind::CadenceEnrolled { cadence, .. } => html! { "Follow-up cadence " (cadence) " started" },
        TimelineKind::CadenceStep { name, channel, outcome, .. } => {
            html! { "Follow-up step " (words(name)) " (" (channel.as_str()) "): " (outcome.label()) }
        }
        TimelineKind::CadenceStopped { cadence, reason, .. } => html! { "Cadence " (cadence) " stopped: " (words(reason)) },
        TimelineKind::CadencePaused { cadence, .. } => html! { "Cadence " (cadence) " paused" },
        TimelineKind::CadenceResumed { cadence, .. } => html! { "Cadence " (cadence) " resumed" },
        TimelineKind::CadenceCompleted { cadence } => html! { "Cadence " (cadence) " completed" },
        TimelineKind::TaskClosed { status, outcome, .. } => html! {
            "Task " (status.as_str())
            @if let Some(o) = outcome { " (" (words(o.as_str())) ")" }
        },
        TimelineKind::Reassigned { member, previous, reason, note } => html! {
            "Reassigned to " (member_name(ctx, member.as_str()))
            @if let Some(p) = previous { " from " (member_name(ctx, p.as_str())) }
            " (" (words(reason)) ")"
            @if let Some(n) = note { " — " q { (n.as_str()) } }
        },
        TimelineKind::ContactEdited { changes } => html! {
            "Details corrected: "
            @for (i, c) in changes.iter().enumerate() {
                @if i > 0 { "; " }
                (words(&c.field)) " " del { (c.before.as_deref().unwrap_or("—")) } " → " ins { (c.after.as_deref().unwrap_or("—")) }
            }
        },
        TimelineKind::NoteAdded { note } => html! { "Note: " q { (note.as_str()) } },
        TimelineKind::StaffMessageSent { channel, quiet_hours_override, note, .. } => html! {
            "Message sent by " (channel.as_str())
            @if *quiet_hours_override { " outside the person's hours (override" @if let Some(n) = note { ": " (n.as_str()) } ")" }
        },
    }
}

fn timeline(ctx: &Ctx<'_>, l: &Loaded) -> Markup {
    let tz = tz(ctx);
    html! {
        section #timeline .card aria-labelledby="timeline-title" {
            h2 #timeline-title { "Timeline" }
            ol.timeline reversed {
                @for e in l.timeline.iter().rev() {
                    li data-kind=(serde_json::to_value(&e.kind).ok().and_then(|v| v["type"].as_str().map(str::to_string)).unwrap_or_default()) {
                        (when(e.at, tz)) " · " span.muted { (actor(ctx, &e.actor)) } br;
                        (describe(ctx, e))
                    }
                }
            }
        }
    }
}

/// Every inquiry the person made (the records kept on the lead, newest last): when, through
/// which channel and campaign, its own urgency, what it said when that differs from the lead's
/// context, the site's own fields, and the contact points it gave that the lead did not hold:
/// held until a team member confirms them here (or the person follows the link sent to the
/// address the lead already has). Leads without inquiry records show their timeline's.
fn inquiries(ctx: &Ctx<'_>, l: &Loaded) -> Markup {
    let tz = tz(ctx);
    let lead = &l.lead;
    let c = &lead.context;
    let label = |v: &Option<crate::domain::text::Label>| v.as_ref().map(|x| x.as_str().to_string());
    let may_confirm = policy::can_change_lead(&ctx.principal, &ctx.services().config.team, lead) && lead.status.is_open();
    html! {
        section.card aria-labelledby="inquiries-title" {
            h2 #inquiries-title { "Inquiries" }
            ul {
                @if lead.inquiries.is_empty() {
                    @for e in &l.timeline {
                        @match &e.kind {
                            TimelineKind::LeadCaptured { touchpoint, channel, .. } => {
                                li { (when(e.at, tz)) " — first inquiry via " (words(channel.as_str()))
                                    @if let Some(s) = &touchpoint.detail.utm_source { ", source " (s.as_str()) }
                                    @if let Some(s) = &touchpoint.detail.utm_campaign { ", campaign " (s.as_str()) }
                                    @if let Some(p) = &touchpoint.page { ", page " (p.as_str()) } }
                            }
                            TimelineKind::RepeatInquiry { touchpoint, .. } => {
                                li { (when(e.at, tz)) " — inquired again via " (words(touchpoint.channel.as_str()))
                                    @if let Some(s) = &touchpoint.detail.utm_source { ", source " (s.as_str()) } }
                            }
                            _ => {}
                        }
                    }
                }
                @for i in &lead.inquiries {
                    li data-inquiry=(i.id.to_string()) {
                        (when(i.at, tz)) " — via " (words(i.source.channel.as_str()))
                        @if let Some(s) = &i.source.detail.utm_source { ", source " (s.as_str()) }
                        @if let Some(s) = &i.source.detail.utm_campaign { ", campaign " (s.as_str()) }
                        @if let Some(p) = &i.source.detail.landing_page { ", page " (p.as_str()) }
                        @if let Some(t) = &i.triage { " " (tier_badge(Some(t.tier))) }
                        @if let Some(concern) = i.context.concern.as_ref().filter(|x| Some(*x) != c.concern.as_ref()) {
                            br; "Said: " q { (concern.as_str()) }
                        }
                        @for x in &i.context.extras {
                            br; (x.label) ": " q { (x.value.as_str()) }
                        }
                        @for p in &i.held {
                            @let value = match p.kind {
                                PointKind::Phone => i.contact.phone.as_ref().map(|v| v.as_e164().to_string()),
                                PointKind::Email => i.contact.email.as_ref().map(|v| v.as_str().to_string()),
                            };
                            br;
                            "New " (p.kind.as_str()) " " (value.unwrap_or_default())
                            @match &p.confirmed {
                                Some(done) => { ", confirmed " (when(done.at, tz)) }
                                None => {
                                    " — held: nothing is sent to it until it is confirmed"
                                    @if may_confirm {
                                        form.inline method="post" action=(format!("/console/leads/{}/confirm-point", lead.id)) aria-label=(format!("Confirm the new {}", p.kind.as_str())) {
                                            (form_keys(&ctx.csrf))
                                            input type="hidden" name="inquiry" value=(i.id.to_string());
                                            input type="hidden" name="point" value=(p.kind.as_str());
                                            button type="submit" { "Confirm it is theirs" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "What they told us" }
            dl.facts {
                dt { "Concern" } dd { (c.concern.as_ref().map(|x| x.as_str().to_string()).unwrap_or_else(|| "—".into())) }
                @if let Some(v) = label(&c.service_interest) { dt { "Interested in" } dd { (v) } }
                @if let Some(i) = c.insurance { dt { "Insurance" } dd { (words(i.as_str())) @if let Some(v) = label(&c.insurance_carrier) { " (" (v) ")" } } }
                @if let Some(v) = label(&c.location.postal_code) { dt { "ZIP" } dd { (v) } }
                @if let Some(v) = label(&c.location.state) { dt { "State" } dd { (v) } }
                @if let Some(p) = c.preferences.preferred_channel { dt { "Prefers" } dd { (p.as_str()) } }
                @if let Some(v) = label(&c.preferences.preferred_times) { dt { "Best times" } dd { (v) } }
                @if let Some(v) = label(&c.preferences.language) { dt { "Language" } dd { (v) } }
                @if let Some(u) = c.stated_urgency { dt { "Said it is" } dd { (code_of(&u)) } }
            }
        }
    }
}

fn score(l: &Loaded) -> Markup {
    html! {
        section.card aria-labelledby="score-title" {
            h2 #score-title { "Score and why" }
            @match &l.lead.score {
                None => { p.muted { "Not scored (no model covers this service line)." } }
                Some(s) => {
                    p { strong { (s.score) } " of 100, " (s.band.as_str()) " — model " (s.model) " v" (s.model_version) ", urgency " (s.urgency.tier.as_str())
                        @if !s.urgency.matches.is_empty() { " (matched: " (s.urgency.matches.iter().map(|m| m.phrase.clone()).collect::<Vec<_>>().join(", ")) ")" } }
                    div.table-wrap { table {
                        thead { tr { th { "Factor" } th { "Signal" } th.num { "Points" } th { "Why" } } }
                        tbody { @for c in &s.contributions { tr { td { (words(&c.factor)) } td { (words(&c.signal)) } td.num { (format!("{:+}", c.points)) } td { (c.detail) } } } }
                    } }
                }
            }
        }
    }
}

async fn consent(ctx: &Ctx<'_>, lead: &Lead) -> Markup {
    let tz = tz(ctx);
    let sms = match sms_gate(ctx.services(), lead).await {
        Ok(SmsGate::Allowed(_)) => "may be texted".to_string(),
        Ok(SmsGate::Blocked(r)) => format!("no texts: {}", words(r.as_str())),
        Err(_) => "unknown".into(),
    };
    let email = match email_gate(ctx.services(), lead).await {
        Ok(EmailGate::Allowed(_)) => "may be e-mailed".to_string(),
        Ok(EmailGate::Blocked(r)) => format!("no e-mail: {}", words(r.as_str())),
        Err(_) => "unknown".into(),
    };
    html! {
        section.card aria-labelledby="consent-title" {
            h2 #consent-title { "Consent" }
            div.table-wrap { table {
                thead { tr { th { "Channel" } th { "Consent" } th { "Given" } th { "Text version" } th { "Now" } } }
                tbody {
                    @for ch in ContactChannel::ALL {
                        @let c = lead.consent.get(ch);
                        tr {
                            td { (ch.as_str()) }
                            td { @match c {
                                None => { "none" }
                                Some(c) if c.revoked_via.as_deref() == Some(CONSENT_SET_ASIDE) => {
                                    "given for the previous contact details; awaits the person's confirmation (START from the new number, or a new inquiry)"
                                }
                                Some(c) if c.revoked_at.is_some() => { "revoked (" (c.revoked_via.as_deref().map(words).unwrap_or_default()) ")" }
                                Some(c) if c.granted => { "granted" }
                                Some(_) => { "declined" }
                            } }
                            td { @if let Some(c) = c { (when(c.at, tz)) " via " (words(&c.evidence.captured_via)) } }
                            td { @if let Some(c) = c { (c.text_version) } }
                            td { @match ch { ContactChannel::Sms => { (sms) } ContactChannel::Email => { (email) } ContactChannel::Call => { "calls by staff" } } }
                        }
                    }
                }
            } }
        }
    }
}

fn tasks(ctx: &Ctx<'_>, l: &Loaded) -> Markup {
    let tz = tz(ctx);
    let id = l.lead.id;
    html! {
        section.card aria-labelledby="tasks-title" {
            h2 #tasks-title { "Tasks and follow-up" }
            @if let Some(e) = &l.enrollment {
                p { "Cadence " strong { (e.cadence) } ": " (code_of(&e.state))
                    @if let Some(d) = e.next_due { ", next step " (when(d, tz)) } }
                @match e.state {
                    EnrollmentState::Active => { form method="post" action=(format!("/console/leads/{id}/cadence-pause")) { (form_keys(&ctx.csrf)) button.secondary type="submit" { "Pause the cadence" } } }
                    EnrollmentState::Paused => { form method="post" action=(format!("/console/leads/{id}/cadence-resume")) { (form_keys(&ctx.csrf)) button.secondary type="submit" { "Resume the cadence" } } }
                    _ => {}
                }
            } @else { p.muted { "No follow-up cadence." } }
            @if l.tasks.is_empty() { p.muted { "No tasks." } } @else {
                ul { @for t in &l.tasks { li { (t.title) " — " (t.status.as_str()) ", due " (when(t.due_at, tz)) @if let Some(m) = &t.member { " (" (member_name(ctx, m.as_str())) ")" } } } }
            }
        }
    }
}

/// The statuses a team member may move this lead to.
fn next_statuses(ctx: &Ctx<'_>, lead: &Lead) -> Vec<LeadStatus> {
    let reasons = &ctx.services().config.lifecycle.disqualification_reasons;
    let cause = Cause::new(Actor::User(ctx.principal.user_id.clone()), "user").with_reason(reasons.first().cloned().unwrap_or_default());
    LeadStatus::ALL.into_iter().filter(|to| *to != lead.status && plan(lead.status, *to, &cause, reasons).is_ok()).collect()
}

async fn actions(ctx: &Ctx<'_>, lead: &Lead) -> Markup {
    let id = lead.id;
    let services = ctx.services();
    let opts = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    let statuses: Vec<(String, String)> =
        next_statuses(ctx, lead).into_iter().map(|s| (s.as_str().to_string(), words(s.as_str()))).collect();
    let mut reasons = vec![(String::new(), "(only to disqualify)".to_string())];
    reasons.extend(services.config.lifecycle.disqualification_reasons.iter().map(|r| (r.clone(), words(r))));
    // What the gates say now, so the form tells before the send refuses.
    let zone = crate::domain::geo::zone_of(lead, services.config.organization.time_zone);
    let check = Check { zone, sent: &[], is_message: false, preferred: None };
    let quiet = match services.config.followup.book.rules.next_allowed(services.clock.now(), check) {
        Allowed::Now => None,
        Allowed::At(t, _) => Some(t),
    };
    let may_assign = policy::can_assign(&ctx.principal, lead);
    let team = &services.config.team;
    let members: Vec<(String, String)> = team
        .members
        .values()
        .filter(|m| policy::can_manage_member(&ctx.principal, team, m))
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let assign_reasons: Vec<(String, String)> = services.config.console.reassign_reasons.iter().map(|r| (r.clone(), words(r))).collect();
    html! {
        section.card aria-labelledby="actions-title" {
            h2 #actions-title { "Work this lead" }
            div.grid.two {
                form.stack method="post" action=(format!("/console/leads/{id}/contacts")) aria-label="Log a call" {
                    h3 { "Log a call" }
                    (form_keys(&ctx.csrf))
                    (select("channel", "How", &opts(&[("call", "call"), ("sms", "text"), ("email", "e-mail")]), Some("call"), true))
                    (select("outcome", "Outcome", &opts(&[("answered", "answered"), ("no_answer", "no answer"), ("voicemail", "left a voicemail"), ("wrong_number", "wrong number")]), None, true))
                    (textarea("note", "Note (optional)", false, 1000))
                    button type="submit" { "Log call" }
                }
                form.stack method="post" action=(format!("/console/leads/{id}/status")) aria-label="Change status" {
                    h3 { "Change status" }
                    (form_keys(&ctx.csrf))
                    @if statuses.is_empty() { p.muted { "No status change is possible from here." } } @else {
                        (select("to", "New status", &statuses, None, true))
                        (select("reason", "Reason", &reasons, None, false))
                        (textarea("note", "Note (optional)", false, 2000))
                        button type="submit" { "Change status" }
                    }
                }
                form.stack method="post" action=(format!("/console/leads/{id}/messages")) aria-label="Write to the person" {
                    h3 { "Write to the person" }
                    (form_keys(&ctx.csrf))
                    fieldset {
                        legend { "Channel" }
                        label.choice { input type="radio" name="channel" value="sms" checked; "Text" }
                        label.choice { input type="radio" name="channel" value="email"; "E-mail" }
                    }
                    (input("subject", "Subject (e-mail only)", "text", None, false))
                    (textarea("text", "Message", true, crate::app::conversation::MAX_TEXT_CHARS))
                    @if let Some(t) = quiet {
                        p.muted #quiet-hours { "Outside the person's allowed hours until " (when(t, zone.zone)) ". Sending now needs a reason:" }
                        (input("override_quiet_hours", "Reason to send now (they asked to be contacted now)", "text", None, false))
                    }
                    button type="submit" { "Send" }
                }
                form.stack method="post" action=(format!("/console/leads/{id}/notes")) aria-label="Add a note" {
                    h3 { "Add a note" }
                    (form_keys(&ctx.csrf))
                    (textarea("note", "Note", true, 2000))
                    button type="submit" { "Save note" }
                }
                @if may_assign && !members.is_empty() && lead.status.is_open() {
                    form.stack method="post" action=(format!("/console/leads/{id}/assign")) aria-label="Assign" {
                        h3 { "Assign" }
                        (form_keys(&ctx.csrf))
                        (select("member", "Give it to", &members, lead.assignee(), true))
                        (select("reason", "Why", &assign_reasons, None, true))
                        (input("note", "Note (optional)", "text", None, false))
                        button type="submit" { "Assign" }
                    }
                }
            }
            p { a href=(format!("/console/leads/{id}/edit")) { "Correct contact details or context" } }
            @if policy::can_read_audit(&ctx.principal) || policy::can_export_person(&ctx.principal) {
                p {
                    @if policy::can_read_audit(&ctx.principal) { a href=(format!("/console/audit?lead={id}")) { "Audit trail of this lead" } " · " }
                    @if policy::can_export_person(&ctx.principal) { a href=(format!("/console/people/{id}")) { "Export or erase this person's data" } }
                }
            }
        }
    }
}

fn poller(ctx: &Ctx<'_>, l: &Loaded, oob: bool) -> Markup {
    let (v, t) = digest(l);
    let every = ctx.services().config.console.refresh_seconds;
    html! {
        div #lead-poll hx-get=(format!("/console/leads/{}/live?v={v}&t={t}", l.lead.id)) hx-trigger=(format!("every {every}s")) hx-swap="none" hx-swap-oob=[oob.then_some("true")] {}
    }
}

/// `GET /console/leads/{id}`.
pub(crate) async fn page(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return super::not_found(ctx) };
    let l = match load(ctx, id, true).await {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    let title = format!("Lead {}", crate::domain::team_notice::short_code(id));
    let body = html! {
        (poller(ctx, &l, false))
        (summary(ctx, &l))
        div.grid.main-side {
            div {
                (actions(ctx, &l.lead).await)
                (thread(ctx, &l))
                (timeline(ctx, &l))
            }
            div {
                (inquiries(ctx, &l))
                (score(&l))
                (consent(ctx, &l.lead).await)
                (tasks(ctx, &l))
            }
        }
    };
    respond(ctx, 200, &title, "inbox", body)
}

/// `GET /console/leads/{id}/live?v=&t=`: the summary, thread and timeline again when the lead or
/// its timeline changed since the page showed version `v` and entry `t`; else nothing.
pub(crate) async fn live(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return unchanged() };
    let q = |name: &str| ctx.req.query_string_parameters_ref().and_then(|p| p.first(name)).unwrap_or_default().to_string();
    let (v, t) = (q("v").parse::<u64>().unwrap_or(0), q("t"));
    // Whether anything changed, without reading the person's data out to the browser.
    if let Ok(Some(lead)) = ctx.services().leads.get(id).await {
        if !policy::can_read_lead(&ctx.principal, &ctx.services().config.team, &lead) {
            return finish(crate::console::harden(Response::builder().status(403), None), Body::Empty);
        }
        let newer = match t.parse() {
            Ok(after) => ctx.services().timeline.list(id, Some(after), 1).await.map(|p| !p.items.is_empty()).unwrap_or(true),
            Err(_) => true,
        };
        if lead.version == v && !newer {
            return unchanged();
        }
    }
    match load(ctx, id, false).await {
        Ok(l) => fragment(
            ctx,
            html! {
                (poller(ctx, &l, true))
                div hx-swap-oob="outerHTML:#lead-summary" { (summary(ctx, &l)) }
                div hx-swap-oob="outerHTML:#thread" { (thread(ctx, &l)) }
                div hx-swap-oob="outerHTML:#timeline" { (timeline(ctx, &l)) }
            },
        ),
        Err(resp) => resp,
    }
}

/// `GET /console/leads/{id}/edit`: the correction form, filled with what the lead holds.
pub(crate) async fn edit_form(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return super::not_found(ctx) };
    let answer = ctx.api.get(&format!("/leads/{id}?timeline_limit=1")).await;
    if !answer.ok() {
        return refused(ctx, &answer);
    }
    let Ok(lead) = serde_json::from_value::<Lead>(answer.json()["lead"].clone()) else { return refused(ctx, &answer) };
    let values = crate::app::leads::editable_values(&lead);
    let v = |k: &str| values.get(k).map(String::as_str);
    let config = &ctx.services().config;
    let lines: Vec<(String, String)> = config.service_lines.values().map(|l| (l.id.to_string(), l.name.clone())).collect();
    let mut insurance = vec![(String::new(), "—".to_string())];
    insurance.extend(crate::domain::context::InsuranceStatus::ALL.iter().map(|i| (i.as_str().to_string(), words(i.as_str()))));
    let channels: Vec<(String, String)> =
        [("", "—"), ("sms", "text"), ("call", "call"), ("email", "e-mail")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    let title = format!("Correct lead {}", crate::domain::team_notice::short_code(id));
    let body = html! {
        h1 { (title) }
        p.muted { "A phone number or e-mail address you enter counts as confirmed with the person. Every change is recorded with its old and new value." }
        form.stack.card method="post" action=(format!("/console/leads/{id}/details")) {
            (form_keys(&ctx.csrf))
            div.grid.two {
                (input("first_name", "First name", "text", v("first_name"), false))
                (input("last_name", "Last name", "text", v("last_name"), false))
                (input("phone", "Phone", "tel", v("phone"), false))
                (input("email", "E-mail", "email", v("email"), false))
                (select("service_line", "Service", &lines, v("service_line"), true))
                (input("service_interest", "Interested in", "text", v("service_interest"), false))
                (select("insurance_status", "Insurance", &insurance, v("insurance_status"), false))
                (input("insurance_carrier", "Insurance carrier", "text", v("insurance_carrier"), false))
                (input("postal_code", "ZIP", "text", v("postal_code"), false))
                (input("city", "City", "text", v("city"), false))
                (input("state", "State", "text", v("state"), false))
                (input("preferred_facility", "Facility", "text", v("preferred_facility"), false))
                (select("preferred_channel", "Prefers", &channels, v("preferred_channel"), false))
                (input("preferred_times", "Best times", "text", v("preferred_times"), false))
                (input("language", "Language", "text", v("language"), false))
                (input("date_of_birth", "Date of birth", "date", v("date_of_birth"), false))
            }
            div.field {
                label for="f-concern" { "Concern (their words)" }
                textarea #f-concern name="concern" maxlength="2000" { (v("concern").unwrap_or_default()) }
            }
            p { button type="submit" { "Save corrections" } " " a href=(format!("/console/leads/{id}")) { "Cancel" } }
        }
    };
    respond(ctx, 200, &title, "inbox", body)
}

/// `POST /console/leads/{id}/{action}`: an action through its API route, then back to the page
/// with what happened.
pub(crate) async fn act(ctx: &Ctx<'_>, id: &str, action: &str) -> Response<Body> {
    let Some(id) = lead_id(id) else { return super::not_found(ctx) };
    let page = format!("/console/leads/{id}");
    let key = ctx.field("_key");
    let f = |name: &str| ctx.field(name).map(|v| Value::String(v.to_string()));
    let pick = |names: &[&str]| {
        let mut m = serde_json::Map::new();
        for n in names {
            if let Some(v) = f(n) {
                m.insert(n.to_string(), v);
            }
        }
        Value::Object(m)
    };
    let (path, body, success) = match action {
        "contacts" => (format!("/leads/{id}/contacts"), pick(&["channel", "outcome", "note"]), "Call logged."),
        "status" => (format!("/leads/{id}/status"), pick(&["to", "reason", "note"]), "Status changed."),
        "notes" => (format!("/leads/{id}/notes"), pick(&["note"]), "Note saved."),
        "messages" => (format!("/leads/{id}/messages"), pick(&["channel", "text", "subject", "override_quiet_hours"]), "Message sent."),
        "assign" => (format!("/leads/{id}/assign"), pick(&["member", "reason", "note"]), "Lead assigned."),
        "confirm-point" => (format!("/leads/{id}/contact-points/confirm"), pick(&["inquiry", "point"]), "Contact point confirmed."),
        "details" => {
            // Every editable field the form sent, empty ones included (they clear the field).
            let mut m = serde_json::Map::new();
            for name in crate::app::leads::EDITABLE_FIELDS {
                if let Some(v) = ctx.form.get(*name) {
                    m.insert(name.to_string(), Value::String(v.trim().to_string()));
                }
            }
            (format!("/leads/{id}/details"), Value::Object(m), "Details saved.")
        }
        "cadence-pause" => (format!("/leads/{id}/cadence/pause"), json!({}), "Cadence paused."),
        "cadence-resume" => (format!("/leads/{id}/cadence/resume"), json!({}), "Cadence resumed."),
        _ => return super::not_found(ctx),
    };
    let answer =
        if action.starts_with("cadence-") { ctx.api.call("POST", &path, None, &[]).await } else { ctx.api.post(&path, &body, key).await };
    match answer.status {
        s if (200..300).contains(&s) => done(&page, success),
        403 | 404 => refused(ctx, &answer),
        _ => {
            let back = if action == "details" { format!("{page}/edit") } else { page };
            // A message a gate refused says so itself ("not sent: outside the person's hours ...").
            let message = answer.message();
            let notice = match message.strip_prefix("not sent") {
                Some(rest) => format!("Not sent{rest}"),
                None => format!("Not done: {message}"),
            };
            done(&back, &notice)
        }
    }
}
