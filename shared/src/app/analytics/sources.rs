//! The source-tag audit over the ports: keeping the list of leads whose source or campaign tags
//! need correcting (the analytics consumer refreshes a lead's entry whenever it reconciles the
//! lead, so capture, touchpoints and re-tags all keep it current), reading it page by page, and
//! re-tagging a lead (timeline entry, saved lead, `lead.updated` event: the consumers bring the
//! score and the report counters to the corrected tags).

use super::reconcile::excluded;
use crate::app::Services;
use crate::domain::analytics::source_audit::{self, Retag, SourceFlag, SourceIssue};
use crate::domain::{Actor, EventId, Lead, LeadEvent, LeadEventKind, LeadId, TimelineEntry, TimelineKind};
use crate::ports::{QueueError, StoreError};

/// Pages of the stored list read for one answer at most (entries an alias now recognizes, or
/// outside a filter, are skipped).
const MAX_PAGES_PER_ANSWER: usize = 20;

/// Saves tried before a busy lead is reported as such.
const ATTEMPTS: usize = 5;

/// Brings `lead_id`'s entry on the list up to date: listed with its current issues, or taken
/// off. Part 2 leads are never listed (they are in no report).
pub async fn refresh_flag(services: &Services, lead_id: LeadId, lead: Option<&Lead>) -> Result<(), StoreError> {
    let entry = lead.filter(|l| !excluded(services, l)).and_then(|l| source_audit::flag(l, &services.config.analytics.aliases));
    match entry {
        Some(f) => services.aggregates.put_source_flag(&f).await,
        None => services.aggregates.clear_source_flag(lead_id).await,
    }
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagFilter {
    pub issue: Option<SourceIssue>,
    /// The stored source value (compared cleaned: trimmed, lower-cased).
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// Only these facilities (`normalize_key`: trimmed, lower-cased); `None` for all (administrators).
    pub facilities: Option<Vec<String>>,
}

impl FlagFilter {
    fn keeps(&self, f: &SourceFlag, issues: &[SourceIssue]) -> bool {
        let clean = crate::domain::analytics::dimension::clean_value;
        !issues.is_empty()
            && self.issue.is_none_or(|i| issues.contains(&i))
            && self.source.as_deref().is_none_or(|s| clean(s) == f.source)
            && self.campaign.as_deref().is_none_or(|c| clean(c) == f.campaign)
            && self.facilities.as_ref().is_none_or(|mine| mine.contains(&f.facility))
    }
}

/// One page of the audit: entries with their current issues, and where to continue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagPage {
    pub items: Vec<SourceFlag>,
    pub next: Option<LeadId>,
}

/// Up to `limit` entries matching `filter`, in lead-id order after `after`.
pub async fn list(services: &Services, filter: &FlagFilter, after: Option<LeadId>, limit: usize) -> Result<FlagPage, StoreError> {
    let aliases = &services.config.analytics.aliases;
    let mut out = FlagPage::default();
    let mut cursor = after;
    for _ in 0..MAX_PAGES_PER_ANSWER {
        let (page, next) = services.aggregates.source_flags(cursor, limit).await?;
        let last = page.last().map(|f| f.lead_id);
        for mut f in page {
            let issues = f.current_issues(aliases);
            if filter.keeps(&f, &issues) {
                f.issues = issues;
                let id = f.lead_id;
                out.items.push(f);
                if out.items.len() == limit {
                    // More may follow (this page or the next): the caller continues after it.
                    out.next = (next.is_some() || Some(id) != last).then_some(id);
                    return Ok(out);
                }
            }
        }
        match next {
            Some(n) => cursor = Some(n),
            None => return Ok(out),
        }
    }
    out.next = cursor;
    Ok(out)
}

/// What re-tagging one lead did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetagOutcome {
    /// The lead already carried these tags.
    Unchanged,
    /// Saved; `entry` is the `source_retagged` timeline entry.
    Retagged {
        entry: EventId,
    },
    NotFound,
}

/// Why a re-tag could not be finished (retrying is safe: the entry and the save are idempotent).
#[derive(Debug, thiserror::Error)]
pub enum RetagError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("the lead kept changing; try again")]
    Busy,
}

/// Applies `retag` to the lead on behalf of staff member `user` (the caller checked their
/// right to change it): the timeline entry first (its id derives from the tags before and
/// after, so a lost race appends nothing twice), then the lead (version-checked), then the
/// `lead.updated` event.
pub async fn retag_lead(services: &Services, lead_id: LeadId, retag: &Retag, user: &str) -> Result<RetagOutcome, RetagError> {
    let now = services.clock.now();
    for _ in 0..ATTEMPTS {
        let Some(lead) = services.leads.get(lead_id).await? else { return Ok(RetagOutcome::NotFound) };
        if retag.already_applied(&lead) {
            refresh_flag(services, lead_id, Some(&lead)).await?;
            return Ok(RetagOutcome::Unchanged);
        }
        let d = &lead.source.detail;
        let kind = TimelineKind::SourceRetagged {
            source: retag.source.clone(),
            campaign: retag.campaign.clone(),
            previous_source: retag.source.as_ref().and(d.utm_source.clone()),
            previous_campaign: retag.campaign.as_ref().and(d.utm_campaign.clone()),
        };
        let tag = |l: Option<&crate::domain::text::Label>| l.map_or("-", |l| l.as_str()).to_string();
        let seed = format!(
            "retag:{}:{}>{}:{}",
            tag(d.utm_source.as_ref()),
            tag(d.utm_campaign.as_ref()),
            tag(retag.source.as_ref()),
            tag(retag.campaign.as_ref())
        );
        let entry = TimelineEntry::derived(lead_id, now, &seed, Actor::User(user.to_string()), kind);
        services.timeline.append(&entry).await?;
        let mut next = retag.apply(&lead);
        next.updated_at = now;
        next.version += 1;
        match services.leads.save(&next).await {
            Ok(()) => {
                // The list reflects the correction at once (the analytics consumer would too,
                // a moment later), so a filtered re-tag called again moves on.
                refresh_flag(services, lead_id, Some(&next)).await?;
                let event = LeadEvent { id: entry.id, kind: LeadEventKind::Updated, lead_id, occurred_at: now };
                services.queue.publish(&event).await?;
                tracing::info!(lead_id = %lead_id, entry = %entry.id, "source tags corrected");
                return Ok(RetagOutcome::Retagged { entry: entry.id });
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(RetagError::Busy)
}
