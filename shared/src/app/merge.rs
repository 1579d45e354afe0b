//! Merging and unmerging records: the domain decides what the merged record is
//! (`domain::merge`), the store applies it atomically with a before-image (`ports::dedupe`).
//! Concurrent merges of overlapping pairs are settled by the store's version conditions: the
//! loser re-reads, follows tombstones to their survivors, and merges what is left (or finds
//! nothing left to do), so no record is ever lost.

use super::Services;
use crate::domain::merge::{joined_entry, merge_leads, MergeError};
use crate::domain::string_enum::string_enum;
use crate::domain::{Actor, EventId, Lead, LeadId, TimelineEntry, TimelineKind};
use crate::domain::{LeadEvent, LeadEventKind};
use crate::ports::dedupe::{MergeSummary, MergeWrite, PairKey};
use crate::ports::timeline::all_pages;
use crate::ports::StoreError;
use tracing::{info, warn};

/// Rounds of read-merge-write before a merge gives up with `Conflict`.
const ATTEMPTS: usize = 6;
/// Tombstone chains followed at most (a chain longer than this is a bug, not a person).
const MAX_CHAIN: usize = 16;

string_enum! {
    /// How a merge came about (recorded on the merge event).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum How {
        /// Above the automatic threshold, by the hygiene job.
        Automatic => "automatic",
        /// A reviewer accepted a queued pair.
        Review => "review",
        /// A team member asked for it (`POST /leads/{id}/merge`).
        Manual => "manual",
    }
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeOutcome {
    Merged {
        merge_id: EventId,
        survivor: LeadId,
        absorbed: LeadId,
    },
    /// The two records were already one (an earlier or concurrent merge).
    AlreadyOne {
        survivor: LeadId,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum MergeFailure {
    #[error("no such lead {0}")]
    NotFound(LeadId),
    #[error(transparent)]
    Refused(#[from] MergeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The live record `id` stands for: itself, or the survivor its tombstone points to.
pub async fn resolve(services: &Services, id: LeadId) -> Result<Lead, MergeFailure> {
    let mut current = id;
    for _ in 0..MAX_CHAIN {
        let lead = services.leads.get(current).await?.ok_or(MergeFailure::NotFound(current))?;
        match lead.merged_into {
            Some(next) => current = next,
            None => return Ok(lead),
        }
    }
    Err(StoreError::Invalid(format!("tombstone chain from {id} is too long")).into())
}

/// Which of two records survives an automatic or reviewed merge: the one captured first (its
/// first touch and timeline stay the lead's origin).
pub fn older_first(a: &Lead, b: &Lead) -> bool {
    (a.created_at, a.id) <= (b.created_at, b.id)
}

/// Merges `absorbed` into `survivor` (after following tombstones), retrying on conflicts.
/// `by` is who merged (`system:hygiene` or a user id).
pub async fn merge(services: &Services, survivor: LeadId, absorbed: LeadId, how: How, by: &str) -> Result<MergeOutcome, MergeFailure> {
    for _ in 0..ATTEMPTS {
        let s = resolve(services, survivor).await?;
        let a = resolve(services, absorbed).await?;
        if s.id == a.id {
            // A retried merge: tell the reports again (harmless when they already know).
            announce(services, &[s.id, absorbed]).await;
            return Ok(MergeOutcome::AlreadyOne { survivor: s.id });
        }
        let now = services.clock.now();
        let merge_id = EventId::new_at(now);
        let merged = merge_leads(&s, &a, &services.config.matching.survivorship, now)?;
        let absorbed_timeline = all_pages(|after| services.timeline.list(a.id, after, 100)).await?;
        let actor = if how == How::Automatic { Actor::System("hygiene".into()) } else { Actor::User(by.to_string()) };
        let event = |lead: LeadId| {
            TimelineEntry::derived(
                lead,
                now,
                &format!("merge:{merge_id}:{lead}"),
                actor.clone(),
                TimelineKind::Merged {
                    merge_id,
                    survivor: s.id,
                    absorbed: a.id,
                    how: how.as_str().to_string(),
                    choices: merged.choices.clone(),
                },
            )
        };
        let mut entries: Vec<TimelineEntry> = absorbed_timeline.iter().map(|e| joined_entry(merge_id, s.id, e)).collect();
        entries.push(event(s.id));
        entries.push(event(a.id));
        let write =
            MergeWrite { id: merge_id, at: now, by: by.to_string(), survivor: merged.survivor, tombstone: merged.tombstone, entries };
        match services.dedupe.merge(&write).await {
            Ok(()) => {
                info!(merge_id = %merge_id, survivor = %s.id, absorbed = %a.id, how = how.as_str(), "records merged");
                suspend_cadence(services, a.id, merge_id).await?;
                if how == How::Automatic {
                    for e in &write.entries[write.entries.len() - 2..] {
                        super::audit::system_step(services, "hygiene", e).await?;
                    }
                }
                // A pair that was waiting for review is settled.
                services.dedupe.close_review(PairKey::new(s.id, a.id)).await?;
                announce(services, &[s.id, a.id]).await;
                return Ok(MergeOutcome::Merged { merge_id, survivor: s.id, absorbed: a.id });
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// What an unmerge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnmergeOutcome {
    Restored(MergeSummary),
    /// No merge of this record is left to undo.
    NothingToUndo,
}

/// The latest merge still undoable that involves `lead` (as survivor or absorbed).
pub async fn latest_merge(services: &Services, lead: LeadId) -> Result<Option<MergeSummary>, MergeFailure> {
    let record = services.leads.get(lead).await?.ok_or(MergeFailure::NotFound(lead))?;
    let (survivor, absorbed) = match record.merged_into {
        Some(s) => (s, Some(lead)),
        None => (lead, None),
    };
    let merges = services.dedupe.merges_into(survivor).await?;
    Ok(merges.into_iter().rev().find(|m| m.undone_at.is_none() && absorbed.is_none_or(|a| m.absorbed == a)))
}

/// Undoes the latest merge involving `lead`, restoring both records, their timelines and claims
/// exactly as they were. `Err(Store(Conflict))` when either record changed since the merge (a
/// later merge, a new status): restoring would lose that change.
pub async fn unmerge(services: &Services, lead: LeadId) -> Result<UnmergeOutcome, MergeFailure> {
    let Some(m) = latest_merge(services, lead).await? else { return Ok(UnmergeOutcome::NothingToUndo) };
    let now = services.clock.now();
    if services.dedupe.unmerge(m.survivor, m.id, now).await? {
        // Undoing says these are two people: detection does not propose the pair again.
        services.dedupe.mark_distinct(PairKey::new(m.survivor, m.absorbed), now).await?;
        restore_cadence(services, m.absorbed, m.id).await?;
        info!(merge_id = %m.id, survivor = %m.survivor, absorbed = %m.absorbed, "merge undone");
        announce(services, &[m.survivor, m.absorbed]).await;
        Ok(UnmergeOutcome::Restored(m))
    } else {
        Ok(UnmergeOutcome::NothingToUndo)
    }
}

/// Publishes `lead.merged` for each record, so the report counters drop a tombstone's share and
/// count the survivor's joined timeline (or, after an unmerge, both records again). The merge
/// itself is already stored: a failed publish is logged, and a retried merge or unmerge, the
/// next event about the lead, or `GET /reports/audit` brings the counters back in line.
async fn announce(services: &Services, ids: &[LeadId]) {
    let now = services.clock.now();
    for &lead_id in ids {
        let event = LeadEvent { id: EventId::new_at(now), kind: LeadEventKind::Merged, lead_id, occurred_at: now };
        if let Err(e) = services.queue.publish(&event).await {
            warn!(lead_id = %lead_id, error = %e, "lead.merged not published: the report counters catch up on the lead's next event");
        }
    }
}

/// Who pauses an absorbed record's cadence for merge `merge_id` (the enrollment's reason names
/// it, so the unmerge resumes exactly what the merge paused).
fn merge_actor(merge_id: EventId) -> String {
    format!("system:merge:{merge_id}")
}

/// Pauses the absorbed record's follow-up cadence: its tombstone is closed, and a step due now
/// would stop the cadence for good. An unmerge resumes it where it was.
async fn suspend_cadence(services: &Services, absorbed: LeadId, merge_id: EventId) -> Result<(), StoreError> {
    use crate::app::cadence::{pause_recorded, CadenceError};
    match pause_recorded(services, absorbed, &merge_actor(merge_id)).await {
        Ok(_) | Err(CadenceError::NotEnrolled | CadenceError::WrongState(_) | CadenceError::LeadMissing) => Ok(()),
        Err(CadenceError::Store(e)) => Err(e),
        Err(e) => Err(StoreError::Unavailable(e.to_string())),
    }
}

/// Resumes the cadence merge `merge_id` paused on the restored record (a cadence paused before
/// the merge, stopped or completed stays as it was).
async fn restore_cadence(services: &Services, absorbed: LeadId, merge_id: EventId) -> Result<(), StoreError> {
    use crate::app::cadence::{resume_recorded, CadenceError};
    let paused_by_merge = format!("paused by {}", merge_actor(merge_id));
    let Some(e) = services.cadence.enrollment(absorbed).await? else { return Ok(()) };
    if e.reason.as_deref() != Some(paused_by_merge.as_str()) {
        return Ok(());
    }
    match resume_recorded(services, absorbed, &format!("system:unmerge:{merge_id}")).await {
        Ok(_) | Err(CadenceError::NotEnrolled | CadenceError::WrongState(_) | CadenceError::LeadMissing) => Ok(()),
        Err(CadenceError::Store(e)) => Err(e),
        Err(e) => Err(StoreError::Unavailable(e.to_string())),
    }
}
