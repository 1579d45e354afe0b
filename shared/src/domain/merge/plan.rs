//! The merge itself: the survivor with the surviving values, joined payments and milestones,
//! and consent combined; the absorbed record as a tombstone pointing to the survivor.

use super::consent::{merge_consent, ConsentSide};
use super::survivorship::{MergeField, Survivorship};
use crate::domain::erasure::anonymize_lead;
use crate::domain::{ContactChannel, EventId, Lead, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The disqualification reason a tombstone carries.
pub const MERGED_REASON: &str = "merged";

/// Which record a field's value came from (ids and field names only: no values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChoice {
    pub field: String,
    pub from: LeadId,
}

/// Why two records cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("a record cannot be merged with itself")]
    SameRecord,
    #[error("record {0} was already merged into another")]
    AlreadyMerged(LeadId),
    #[error("record {0} was erased")]
    Erased(LeadId),
    /// An open lead merged into a closed one would close the person's waiting inquiry: a new
    /// inquiry after a closed lead is a lead of its own.
    #[error("open record {0} cannot be merged into a closed one")]
    OpenIntoClosed(LeadId),
}

/// The result of merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The survivor, its version one higher.
    pub survivor: Lead,
    /// The absorbed record, anonymized, closed, pointing to the survivor; version one higher.
    pub tombstone: Lead,
    /// Where each field decided by survivorship came from, and whose consent each channel kept.
    pub choices: Vec<FieldChoice>,
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Merges `absorbed` into `survivor` at `now` under `rules`.
pub fn merge_leads(survivor: &Lead, absorbed: &Lead, rules: &Survivorship, now: DateTime<Utc>) -> Result<Merged, MergeError> {
    if survivor.id == absorbed.id {
        return Err(MergeError::SameRecord);
    }
    for lead in [survivor, absorbed] {
        if lead.merged_into.is_some() {
            return Err(MergeError::AlreadyMerged(lead.id));
        }
        if lead.erased_at.is_some() {
            return Err(MergeError::Erased(lead.id));
        }
    }
    if absorbed.status.is_open() && !survivor.status.is_open() {
        return Err(MergeError::OpenIntoClosed(absorbed.id));
    }
    let mut out = survivor.clone();
    let mut choices = Vec::new();
    for field in MergeField::ALL {
        let from = if rules.absorbed_wins(field, survivor, absorbed) {
            field.copy(absorbed, &mut out);
            absorbed.id
        } else {
            survivor.id
        };
        if field.text(&out).is_some() {
            choices.push(FieldChoice { field: field.as_str().to_string(), from });
        }
    }
    let own_address = |channel: ContactChannel| match channel {
        ContactChannel::Sms | ContactChannel::Call => out.contact.phone.is_none() || out.contact.phone == survivor.contact.phone,
        ContactChannel::Email => out.contact.email.is_none() || out.contact.email == survivor.contact.email,
    };
    let (consent, sides) = merge_consent(survivor, absorbed, own_address);
    out.consent = consent;
    for (channel, side) in sides {
        let from = if side == ConsentSide::Survivor { survivor.id } else { absorbed.id };
        choices.push(FieldChoice { field: format!("consent.{}", channel.as_str()), from });
    }
    // The rest of the record: what happened to either record happened to the person.
    for p in &absorbed.payments {
        if !out.payments.iter().any(|q| q.provider == p.provider && q.payment_id == p.payment_id) {
            out.payments.push(p.clone());
        }
    }
    for m in &absorbed.milestones {
        if !out.milestones.iter().any(|n| n.milestone == m.milestone) {
            out.milestones.push(m.clone());
        }
    }
    for st in &absorbed.stakeholders {
        if !out.stakeholders.contains(st) {
            out.stakeholders.push(st.clone());
        }
    }
    out.acknowledged_at = earliest(survivor.acknowledged_at, absorbed.acknowledged_at);
    out.first_contact_at = earliest(survivor.first_contact_at, absorbed.first_contact_at);
    out.converted_at = earliest(survivor.converted_at, absorbed.converted_at);
    if out.assignment.is_none() {
        out.assignment = absorbed.assignment.clone();
    }
    if out.context.concern.is_none() {
        out.context.concern = absorbed.context.concern.clone();
    }
    out.version = survivor.version + 1;
    out.updated_at = now.max(survivor.updated_at);

    let mut tombstone = anonymize_lead(absorbed, now);
    tombstone.erased_at = None;
    tombstone.merged_into = Some(survivor.id);
    tombstone.previous_status = Some(absorbed.status);
    tombstone.status = LeadStatus::Disqualified;
    tombstone.disqualification_reason = Some(MERGED_REASON.to_string());
    tombstone.status_changed_at = Some(now);
    tombstone.version = absorbed.version + 1;
    Ok(Merged { survivor: out, tombstone, choices })
}

/// The copy of an absorbed record's timeline entry on the survivor's timeline: same time, same
/// content (a capture becomes a repeat inquiry: the survivor was captured once), an id derived
/// from the merge and the original so a retried merge writes it once.
pub fn joined_entry(merge_id: EventId, survivor: LeadId, entry: &TimelineEntry) -> TimelineEntry {
    let kind = match &entry.kind {
        TimelineKind::LeadCaptured { touchpoint, inquiry, .. } => {
            TimelineKind::RepeatInquiry { touchpoint: touchpoint.clone(), inquiry: *inquiry }
        }
        other => other.clone(),
    };
    TimelineEntry::derived(survivor, entry.at, &format!("merge:{merge_id}:{}", entry.id), entry.actor.clone(), kind)
}
