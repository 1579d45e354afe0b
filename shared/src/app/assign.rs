//! Picks the team member for a lead: routing rules from configuration, availability from the
//! store, and a round-robin ticket from the store's counter when several members are eligible.

use super::Services;
use crate::domain::routing::{pick, Assignment};
use crate::domain::scoring::ScoreBand;
use crate::domain::urgency::UrgencyTier;
use crate::domain::Lead;
use crate::ports::StoreError;
use chrono::{DateTime, Utc};

/// Routes `lead` now: the assignment, or why nobody could take it.
pub async fn choose(
    services: &Services,
    lead: &Lead,
    tier: UrgencyTier,
    band: Option<ScoreBand>,
    now: DateTime<Utc>,
) -> Result<Result<Assignment, String>, StoreError> {
    let team = &services.config.team;
    if team.members.is_empty() {
        return Ok(Err("no team is configured".into()));
    }
    let availability = services.team.availability().await?;
    let away = |m: &crate::domain::routing::MemberId| availability.get(m).is_some_and(|a| a.is_away(now));
    let facts = team.facts(lead, tier, band);
    let candidates = match team.candidates(&facts, now, &away) {
        Ok(c) => c,
        Err(reason) => return Ok(Err(reason)),
    };
    let member = if candidates.eligible.len() == 1 {
        candidates.eligible[0].0.clone()
    } else {
        let ticket = services.team.next_ticket(&candidates.pool).await?;
        pick(&candidates.eligible, ticket).cloned().unwrap_or_else(|| candidates.eligible[0].0.clone())
    };
    Ok(Ok(Assignment {
        member,
        rule: candidates.rule,
        reason: candidates.reason,
        skipped: candidates.skipped,
        on_call: candidates.on_call,
        at: now,
    }))
}
