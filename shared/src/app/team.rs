//! The team as the staff API shows it: members from configuration with their availability (set
//! at runtime), whether they are on shift now, and who is on call.

use super::Services;
use crate::domain::routing::{Availability, MemberId};
use crate::ports::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One member's current status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberStatus {
    pub id: MemberId,
    pub name: String,
    pub specialties: Vec<String>,
    pub facilities: Vec<String>,
    pub languages: Vec<String>,
    pub on_shift: bool,
    pub away: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub away_until: Option<DateTime<Utc>>,
    /// On-call schedules they cover right now.
    pub on_call: Vec<String>,
}

/// Every configured member's status now.
pub async fn status(services: &Services) -> Result<Vec<MemberStatus>, StoreError> {
    let now = services.clock.now();
    let availability = services.team.availability().await?;
    let team = &services.config.team;
    Ok(team
        .members
        .values()
        .map(|m| {
            let a = availability.get(&m.id);
            MemberStatus {
                id: m.id.clone(),
                name: m.name.clone(),
                specialties: m.specialties.iter().map(|s| s.to_string()).collect(),
                facilities: m.facilities.iter().cloned().collect(),
                languages: m.languages.iter().cloned().collect(),
                on_shift: m.schedule.covers(now),
                away: a.is_some_and(|a| a.is_away(now)),
                away_until: a.filter(|a| a.is_away(now)).and_then(|a| a.until),
                on_call: team.on_call.values().filter(|s| s.on_call(now) == Some(&m.id)).map(|s| s.id.clone()).collect(),
            }
        })
        .collect())
}

/// Why availability was not changed.
#[derive(Debug, thiserror::Error)]
pub enum AvailabilityError {
    #[error("no such team member")]
    UnknownMember,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Marks a member away (until a time, or until changed) or available.
pub async fn set_availability(
    services: &Services,
    member: &str,
    away: bool,
    until: Option<DateTime<Utc>>,
    by: &str,
) -> Result<Availability, AvailabilityError> {
    let id = MemberId::parse(member).filter(|id| services.config.team.members.contains_key(id)).ok_or(AvailabilityError::UnknownMember)?;
    let record = Availability { away, until: until.filter(|_| away), updated_by: by.to_string(), updated_at: services.clock.now() };
    services.team.set_availability(&id, &record).await?;
    tracing::info!(member = %id, away, "availability changed");
    Ok(record)
}
