//! Bringing one lead's share of the report counters up to date: read the lead and its
//! timeline, compute its contribution, read what was applied before (its ledger), and apply the
//! difference in one atomic step that also replaces the ledger, if nobody else did meanwhile.
//!
//! Any event about the lead can trigger it, in any order, any number of times: a duplicate
//! finds nothing to change, a concurrent update loses the version check and computes again.

use crate::app::Services;
use crate::domain::analytics::{contribution, Contribution};
use crate::domain::{Lead, LeadId, TimelineEntry};
use crate::ports::aggregates::MAX_ROWS_PER_UPDATE;
use crate::ports::StoreError;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Rounds of read-compute-apply before giving up (the queue retries the message later).
const ATTEMPTS: u32 = 8;

/// Timeline entries read per page.
const TIMELINE_PAGE: usize = 500;

/// What reconciling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconciled {
    /// The counters already held the lead's current contribution.
    Unchanged,
    /// Rows were updated.
    Applied { rows: usize },
}

/// Why the lead's counters could not be brought up to date now.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lead's aggregates kept changing under concurrent updates")]
    Busy,
}

impl AnalyticsError {
    pub fn is_retryable(&self) -> bool {
        match self {
            AnalyticsError::Store(e) => e.is_retryable(),
            AnalyticsError::Busy => true,
        }
    }
}

/// The whole timeline of a lead, oldest first, in outline (free text withheld: attribution
/// uses kinds, times and touchpoints).
pub async fn whole_timeline(services: &Services, lead_id: LeadId) -> Result<Vec<TimelineEntry>, StoreError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = services.timeline.list_outline(lead_id, after, TIMELINE_PAGE).await?;
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// Whether the lead is kept out of analytics: 42 CFR Part 2 service lines, the team's own
/// test submissions (`[test_records]`), and the tombstone of a merged record (its
/// survivor counts the person once, with both timelines joined).
pub fn excluded(services: &Services, lead: &Lead) -> bool {
    lead.test || lead.merged_into.is_some() || !crate::app::privacy::include_in_analytics_export(&services.config, lead)
}

/// The facility a lead belongs to, as routing decides it.
pub fn facility(services: &Services, lead: &Lead) -> Option<String> {
    let ctx = &lead.context;
    services.config.team.facility_of(
        ctx.preferred_facility.as_ref().map(|f| f.as_str()),
        ctx.location.state.as_ref().map(|s| s.as_str()),
        ctx.location.postal_code.as_ref().map(|p| p.as_str()),
    )
}

/// The lead's contribution given its timeline (empty for excluded leads).
pub fn contribution_with(services: &Services, lead: &Lead, timeline: &[TimelineEntry]) -> Contribution {
    if excluded(services, lead) {
        return Contribution::default();
    }
    contribution(lead, timeline, &services.config.analytics_settings(), facility(services, lead).as_deref())
}

/// The lead's contribution now (empty for excluded leads; the timeline is not even read).
pub async fn lead_contribution(services: &Services, lead: &Lead) -> Result<Contribution, StoreError> {
    if excluded(services, lead) {
        return Ok(Contribution::default());
    }
    let timeline = whole_timeline(services, lead.id).await?;
    Ok(contribution_with(services, lead, &timeline))
}

fn jitter(attempt: u32) -> Duration {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    Duration::from_millis(5 + (h.finish() % 20) * u64::from(attempt + 1))
}

/// Brings the counters to the lead's current contribution (and its entry on the source-tag
/// audit list to its current tags). A lead that no longer exists has its contribution retracted.
pub async fn reconcile(services: &Services, lead_id: LeadId) -> Result<Reconciled, AnalyticsError> {
    for attempt in 0..ATTEMPTS {
        let lead = services.leads.get(lead_id).await?;
        let next = match &lead {
            Some(lead) => lead_contribution(services, lead).await?,
            None => Contribution::default(),
        };
        let ledger = services.aggregates.ledger(lead_id).await?;
        let (expected, old) = match ledger {
            Some(l) => (Some(l.version), l.contribution),
            None => (None, Contribution::default()),
        };
        if old == next {
            super::sources::refresh_flag(services, lead_id, lead.as_ref()).await?;
            return Ok(Reconciled::Unchanged);
        }
        let delta = Contribution::delta(&old, &next);
        let applied = if delta.len() <= MAX_ROWS_PER_UPDATE {
            services.aggregates.apply(lead_id, expected, &next, &delta).await?
        } else {
            // More rows than one transaction holds (a lead whose every dimension changed at
            // once): retract the old contribution, then add the new one. Each step is atomic
            // and leaves a true ledger, so a failure between them is finished by the retry.
            let empty = Contribution::default();
            services.aggregates.apply(lead_id, expected, &empty, &Contribution::delta(&old, &empty)).await?
                && services.aggregates.apply(lead_id, Some(expected.map_or(1, |v| v + 1)), &next, &next.rows()).await?
        };
        if applied {
            super::sources::refresh_flag(services, lead_id, lead.as_ref()).await?;
            return Ok(Reconciled::Applied { rows: delta.len() });
        }
        tokio::time::sleep(jitter(attempt)).await;
    }
    Err(AnalyticsError::Busy)
}
