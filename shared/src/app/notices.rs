//! Team notifications about a lead, rendered from the configured templates (ids, short code,
//! link, service line, tier, score only) and sent once: a once-only marker per notice makes a
//! redelivered event or an overlapping tick notify nobody twice.

use super::Services;
use crate::domain::routing::MemberId;
use crate::domain::team_notice::{short_code, NoticeKind, TeamNotice};
use crate::domain::{Actor, Lead, TimelineEntry, TimelineKind};
use crate::ports::{Claim, NotifyError, StoreError};
use chrono::Duration;
use std::collections::BTreeMap;
use tracing::warn;

/// Why a notice could not be sent now.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error("another copy is sending this notice")]
    Busy,
}

/// The values team-notice templates may name (`NOTICE_PLACEHOLDERS`) for a lead: ids, short
/// code, link, service line, tier, score, band, minutes overdue, ladder level. Nothing else.
pub fn notice_values(services: &Services, lead: &Lead, level: Option<usize>) -> BTreeMap<&'static str, String> {
    let config = &services.config;
    let templates = &config.sla.notices;
    let code = short_code(lead.id);
    let id = lead.id.to_string();
    // The staff console is served from the API's own public address.
    let console_url = services.webhooks.public_base_url.trim_end_matches('/').to_string();
    let link = templates.link.render(|n| match n {
        "console_url" => Some(console_url.clone()),
        "lead_id" => Some(id.clone()),
        "short_code" => Some(code.clone()),
        _ => None,
    });
    let line = config.service_line(&lead.context.service_line);
    let tier = lead.score.as_ref().map_or("routine", |s| s.urgency.tier.as_str());
    let now = services.clock.now();
    let overdue = lead.first_contact_due_at.map(|d| (now - d).num_minutes().max(0)).unwrap_or(0);
    let mut v = BTreeMap::new();
    v.insert("lead_id", id);
    v.insert("short_code", code);
    v.insert("link", link);
    v.insert("service_line", lead.context.service_line.to_string());
    v.insert("service_line_name", line.map_or_else(|| lead.context.service_line.to_string(), |l| l.name.clone()));
    v.insert("tier", tier.to_string());
    v.insert("score", lead.score.as_ref().map_or_else(|| "n/a".to_string(), |s| s.score.to_string()));
    if let Some(s) = &lead.score {
        v.insert("band", s.band.as_str().to_string());
    }
    v.insert("minutes_overdue", overdue.to_string());
    if let Some(l) = level {
        v.insert("level", (l + 1).to_string());
    }
    v
}

/// Renders the notice for `member` (`level` for ladder steps). Cadence notices (call tasks,
/// notification steps) are rendered by the cadence from its own templates: `None` here.
pub fn render(services: &Services, lead: &Lead, member: &MemberId, kind: NoticeKind, level: Option<usize>) -> Option<TeamNotice> {
    let config = &services.config;
    let m = config.team.members.get(member)?;
    let templates = &config.sla.notices;
    let values = notice_values(services, lead, level);
    let code = short_code(lead.id);
    let template = match kind {
        NoticeKind::Assigned => &templates.assigned,
        NoticeKind::CrisisPage => &templates.crisis_page,
        NoticeKind::Overdue => &templates.overdue,
        NoticeKind::CallTask | NoticeKind::FollowUp => return None,
    };
    let subject = match kind {
        NoticeKind::Assigned => format!("leadflow: new lead {code}"),
        NoticeKind::CrisisPage => format!("leadflow CRISIS: lead {code} needs a call now"),
        _ => format!("leadflow: lead {code} is waiting for a first contact"),
    };
    let text = template.render(|n| values.get(n).cloned());
    Some(TeamNotice { member: member.clone(), channels: m.notify, kind, lead_id: lead.id, subject, text })
}

/// Sends a notice once per `seed`; `Ok(false)` when it was already sent (or the member is not
/// configured any more).
pub async fn send_once(
    services: &Services,
    lead: &Lead,
    member: &MemberId,
    kind: NoticeKind,
    level: Option<usize>,
    seed: &str,
) -> Result<bool, NoticeError> {
    let Some(notice) = render(services, lead, member, kind, level) else {
        warn!(lead_id = %lead.id, member = %member, "notice for a member no longer configured: skipped");
        return Ok(false);
    };
    send_notice_once(services, lead, notice, seed).await
}

/// Sends a rendered notice once per `seed` (the cadence's call tasks and notification steps use
/// this with their own templates); `Ok(false)` when it was already sent.
pub async fn send_notice_once(services: &Services, lead: &Lead, notice: TeamNotice, seed: &str) -> Result<bool, NoticeError> {
    let (member, kind) = (&notice.member, notice.kind);
    let action = format!("notice:{seed}");
    let now = services.clock.now();
    match services.once.claim(lead.id, &action, now, Duration::seconds(60)).await? {
        Claim::Done { .. } => return Ok(false),
        Claim::Held => return Err(NoticeError::Busy),
        Claim::Acquired => {}
    }
    let outcome = match services.notifier.notify(&notice).await {
        Ok(id) => {
            if kind == NoticeKind::CrisisPage {
                super::metrics::crisis_page(services, lead);
            }
            id
        }
        Err(NotifyError::NotConfigured(why)) => {
            // Retrying cannot help; the timeline and logs show it was not delivered.
            warn!(lead_id = %lead.id, member = %member, why = %why, "team notification not configured; notice dropped");
            "not_configured".to_string()
        }
        Err(e) => {
            if let Err(a) = services.once.abandon(lead.id, &action).await {
                warn!(error = %a, "could not release the notice claim; the retry waits for its lease");
            }
            return Err(e.into());
        }
    };
    services.once.finish(lead.id, &action, &outcome, services.clock.now()).await?;
    let entry = TimelineEntry::derived(
        lead.id,
        now,
        &format!("{}:{action}", lead.id),
        Actor::System("notify".into()),
        TimelineKind::TeamNotified { member: member.clone(), notice: kind },
    );
    super::audit::append_system(services, "notify", &entry).await?;
    Ok(true)
}
