//! The duplicate step: for every lead changed in the window, refresh its blocking keys in the
//! index, then look its keys up (Queries, never a scan), score each candidate pair, merge
//! automatically above the high threshold (no contradicting identifier) and queue the pairs in
//! between for review. Pairs a person called distinct (a rejected review, an unmerge) are
//! skipped, and so are one person's leads that are apart on purpose (another service line, or
//! an open lead after a closed one): an open lead is never merged into a closed one.

use super::job::{StepReport, Window};
use crate::app::merge::{merge, older_first, How, MergeFailure, MergeOutcome};
use crate::app::Services;
use crate::domain::matching::{blocking_keys, score_pair, Decision, PersonFacts};
use crate::domain::{Lead, LeadId};
use crate::ports::dedupe::{PairKey, ReviewItem};
use crate::ports::StoreError;
use chrono::Duration;
use std::collections::HashSet;
use tracing::warn;

/// A lead that can take part in a merge.
fn live(lead: &Lead) -> bool {
    lead.merged_into.is_none() && lead.erased_at.is_none()
}

/// Two leads of one person that are apart on purpose: one per service line, and a new
/// inquiry after a closed lead opens a lead of its own. Neither is merged nor queued.
fn apart_on_purpose(a: &Lead, b: &Lead) -> bool {
    a.context.service_line != b.context.service_line || a.status.is_open() != b.status.is_open()
}

/// Runs the step over `window`.
pub async fn run(services: &Services, window: &Window) -> Result<StepReport, StoreError> {
    let cfg = &services.config.matching;
    let mut report = StepReport::new("duplicates");
    let changed = services.dedupe.changed_between(window.after, window.until, cfg.max_changed_per_run).await?;
    if changed.len() >= cfg.max_changed_per_run {
        // Continue after the last lead read next time (a millisecond earlier: others may share it).
        report.processed_until = changed.last().map(|(t, _)| *t - Duration::milliseconds(1));
    }
    let mut ids: Vec<LeadId> = changed.into_iter().map(|(_, id)| id).collect();
    let mut seen_ids = HashSet::new();
    ids.retain(|id| seen_ids.insert(*id));
    report.add("changed", ids.len() as u64);

    // Pass 1: every changed lead's keys in the index, so changed leads find each other.
    let mut work: Vec<(Lead, PersonFacts, Vec<String>)> = Vec::new();
    for lead in services.dedupe.leads(&ids).await? {
        let (facts, keys) = if live(&lead) {
            let facts = PersonFacts::of_lead(&lead);
            let keys = blocking_keys(&facts);
            (facts, keys)
        } else {
            // A tombstone or an erased record leaves the index.
            (PersonFacts::default(), Vec::new())
        };
        report.add("index_writes", services.dedupe.index_keys(lead.id, &keys).await? as u64);
        if !keys.is_empty() {
            work.push((lead, facts, keys));
        }
    }

    // Pass 2: candidates through the keys (one Query per key), read in one batch per lead, each
    // pair scored once; only pairs worth acting on are checked against the "distinct" list.
    let mut scored: HashSet<PairKey> = HashSet::new();
    for (lead, facts, keys) in &work {
        // An earlier merge of this run may have absorbed it.
        if !services.leads.get(lead.id).await?.is_some_and(|l| live(&l)) {
            continue;
        }
        let mut candidates: Vec<LeadId> = Vec::new();
        for key in keys {
            report.add("keys_queried", 1);
            let members = services.dedupe.key_members(key, cfg.max_block).await?;
            if members.len() > cfg.max_block {
                report.add("oversized_blocks", 1);
                continue;
            }
            for other in members {
                if other != lead.id && scored.insert(PairKey::new(lead.id, other)) {
                    candidates.push(other);
                }
            }
        }
        report.add("candidates", candidates.len() as u64);
        for other in services.dedupe.leads(&candidates).await? {
            if !live(&other) {
                continue;
            }
            let pair = PairKey::new(lead.id, other.id);
            if apart_on_purpose(lead, &other) {
                report.add("kept_apart", 1);
                continue;
            }
            let other_facts = PersonFacts::of_lead(&other);
            if !blocking_keys(&other_facts).iter().any(|k| keys.contains(k)) {
                // The other record changed since it was indexed; its own run re-indexes it.
                report.add("stale_index_entries", 1);
                continue;
            }
            let score = score_pair(facts, &other_facts);
            report.add("pairs_compared", 1);
            let decision = score.decide(&cfg.thresholds);
            if decision == Decision::Distinct {
                continue;
            }
            if services.dedupe.is_distinct(pair).await? {
                report.add("known_distinct", 1);
                continue;
            }
            match decision {
                Decision::Distinct => {}
                Decision::Review => {
                    let item = ReviewItem { pair, points: score.points, reasons: score.reasons, detected_at: services.clock.now() };
                    if services.dedupe.put_review(&item).await? {
                        report.add("queued_for_review", 1);
                        report.id("queued_for_review", pair);
                    }
                }
                Decision::AutoMerge => {
                    let (s, a) = if older_first(lead, &other) { (lead.id, other.id) } else { (other.id, lead.id) };
                    match merge(services, s, a, How::Automatic, "system:hygiene").await {
                        Ok(MergeOutcome::Merged { merge_id, .. }) => {
                            report.add("merged", 1);
                            report.id("merged", format!("{merge_id}:{s}<-{a}"));
                        }
                        Ok(MergeOutcome::AlreadyOne { .. }) => {}
                        Err(MergeFailure::Store(e @ StoreError::Unavailable(_))) => return Err(e),
                        Err(e) => {
                            warn!(survivor = %s, absorbed = %a, error = %e, "automatic merge not done");
                            report.add("merge_failed", 1);
                            report.id("merge_failed", pair);
                        }
                    }
                    if a == lead.id {
                        // This lead is now part of the survivor, which carries on.
                        break;
                    }
                }
            }
        }
    }
    Ok(report)
}
