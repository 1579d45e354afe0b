//! Filling cadence templates. Each kind of text gets only the values its placeholders allow
//! (see `config::cadence`): a person's first name and the practice's details in messages, ids
//! and the service line in anything a team member's phone shows. No health detail is ever a
//! value here.

use crate::app::notices::notice_values;
use crate::app::Services;
use crate::domain::cadence::{Cadence, Step};
use crate::domain::team_notice::short_code;
use crate::domain::template::Template;
use crate::domain::Lead;

fn service_line_name(services: &Services, lead: &Lead) -> String {
    services.config.service_line(&lead.context.service_line).map_or_else(|| lead.context.service_line.to_string(), |l| l.name.clone())
}

/// A text or email to the person, with the first name given (screened by `app::compose`).
pub fn message(services: &Services, lead: &Lead, cadence: &Cadence, template: &Template, first_name: Option<&str>) -> String {
    let config = &services.config;
    template.render(|name| match name {
        "first_name" => first_name.map(str::to_string),
        "org_name" => Some(config.organization.name.clone()),
        "service_line_name" => Some(service_line_name(services, lead)),
        "assignee_name" => lead.assignment.as_ref().and_then(|a| config.team.members.get(&a.member)).map(|m| m.name.clone()),
        // The lead's signed booking reference rides along (`utm_content`): the scheduler's
        // booking event names the lead by it, never by a raw id.
        "scheduling_link" => cadence.scheduling_link.as_deref().map(|l| crate::app::references::booking_link(services, l, lead.id)),
        _ => None,
    })
}

/// A call task's title.
pub fn task_title(services: &Services, lead: &Lead, cadence: &Cadence, step: &Step) -> String {
    let Some(t) = &step.title else { return format!("Call lead {}", short_code(lead.id)) };
    t.render(|name| match name {
        "lead_id" => Some(lead.id.to_string()),
        "short_code" => Some(short_code(lead.id)),
        "service_line_name" => Some(service_line_name(services, lead)),
        "cadence" => Some(cadence.name.clone()),
        "step" => Some(step.name.clone()),
        _ => None,
    })
}

/// The notice a member gets with a call task.
pub fn task_notice(services: &Services, lead: &Lead, title: &str) -> String {
    let values = notice_values(services, lead, None);
    services.config.followup.task_notice.render(|n| if n == "title" { Some(title.to_string()) } else { values.get(n).cloned() })
}

/// A notification step's text.
pub fn notification(services: &Services, lead: &Lead, template: &Template) -> String {
    let values = notice_values(services, lead, None);
    template.render(|n| values.get(n).cloned())
}
