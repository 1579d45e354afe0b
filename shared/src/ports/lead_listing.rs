//! Listing leads for the team: by status, assignee, service line or facility, newest first,
//! through indexes (never a scan), a page at a time with an opaque cursor.

use super::error::StoreError;
use crate::domain::lead::normalize_key;
use crate::domain::{Lead, LeadStatus, ServiceLineId};
use async_trait::async_trait;
use base64::Engine;

/// Which leads to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadFilter {
    Status(LeadStatus),
    /// By the assignee's user id.
    Assignee(String),
    ServiceLine(ServiceLineId),
    /// By facility (compared lower-cased).
    Facility(String),
    /// Open leads nobody has been assigned (they wait for someone eligible: a shift start,
    /// someone back from away). Shares the assignee index.
    Unassigned,
}

impl LeadFilter {
    /// The index partition the filter reads (`STATUS#booked`, `ASSIGNEE#u-1`, ...).
    pub fn partition(&self) -> String {
        match self {
            LeadFilter::Status(s) => format!("STATUS#{}", s.as_str()),
            LeadFilter::Assignee(u) => format!("ASSIGNEE#{u}"),
            LeadFilter::ServiceLine(l) => format!("LINE#{l}"),
            LeadFilter::Facility(f) => format!("FACILITY#{}", normalize_key(f)),
            LeadFilter::Unassigned => UNASSIGNED.to_string(),
        }
    }

    /// Whether `lead` belongs in this listing now (index entries can lag a moment behind).
    pub fn matches(&self, lead: &Lead) -> bool {
        index_partitions(lead).iter().flatten().any(|p| *p == self.partition())
    }
}

/// The assignee-index partition of open leads nobody has (no member id can be this: member
/// ids are lower-case slugs, and assigned partitions start with `ASSIGNEE#`).
pub const UNASSIGNED: &str = "UNASSIGNED";

/// The listing partitions a lead sits in: status, assignee (or unassigned while open), service
/// line, facility. A record merged into another (a tombstone) sits in none: the team works the
/// survivor.
pub fn index_partitions(lead: &Lead) -> [Option<String>; 4] {
    if lead.merged_into.is_some() {
        return [None, None, None, None];
    }
    let waiting = lead.status.is_open() && lead.erased_at.is_none();
    [
        Some(LeadFilter::Status(lead.status).partition()),
        match lead.assignee() {
            Some(u) => Some(LeadFilter::Assignee(u.to_string()).partition()),
            None if waiting => Some(LeadFilter::Unassigned.partition()),
            None => None,
        },
        Some(LeadFilter::ServiceLine(lead.context.service_line.clone()).partition()),
        lead.facility().map(|f| LeadFilter::Facility(f).partition()),
    ]
}

/// The sort key within every index: creation time (fixed width, milliseconds) then the id, so
/// lexical order is time order and reverse order is newest first.
pub fn index_sort_key(lead: &Lead) -> String {
    format!("{}#{}", lead.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), lead.id)
}

/// A work queue: the open leads of one assignee, or those nobody has yet (the inbox reads
/// several and merges them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InboxQueue {
    /// By the assignee's member id.
    Member(String),
    Unassigned,
}

impl InboxQueue {
    /// The index partition (`INBOX#maria`, `INBOX#-`).
    pub fn partition(&self) -> String {
        match self {
            InboxQueue::Member(m) => format!("INBOX#{m}"),
            InboxQueue::Unassigned => "INBOX#-".to_string(),
        }
    }
}

/// The work queue a lead sits in: open leads only (not merged into another, not erased), by
/// assignee.
pub fn inbox_partition(lead: &Lead) -> Option<String> {
    if !lead.status.is_open() || lead.merged_into.is_some() || lead.erased_at.is_some() {
        return None;
    }
    Some(match lead.assignee() {
        Some(m) => InboxQueue::Member(m.to_string()).partition(),
        None => InboxQueue::Unassigned.partition(),
    })
}

/// A lead's place in a work queue, in lexical order: crisis, then urgent, then routine (the
/// urgency scoring found); within a tier the leads still waiting for a first contact by their
/// response-time deadline, soonest first, then the others most recently changed first.
pub fn inbox_sort_key(lead: &Lead) -> String {
    use crate::domain::urgency::UrgencyTier;
    let tier = match lead.score.as_ref().map(|s| s.urgency.tier) {
        Some(UrgencyTier::Crisis) => 0,
        Some(UrgencyTier::Urgent) => 1,
        _ => 2,
    };
    let millis = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis().clamp(0, 9_999_999_999_999);
    match lead.first_contact_due_at.filter(|_| lead.first_contact_at.is_none()) {
        Some(due) => format!("{tier}0{:013}#{}", millis(due), lead.id),
        None => format!("{tier}1{:013}#{}", 9_999_999_999_999 - millis(lead.updated_at), lead.id),
    }
}

/// Where the next page starts. Opaque to callers: base64url of the index position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor(String);

impl ListCursor {
    /// Wraps an index sort key (`{created_at}#{lead_id}`).
    pub fn from_sort_key(sort_key: &str) -> Self {
        ListCursor(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{sort_key}")))
    }

    /// The sort key inside, if the cursor is well formed.
    pub fn sort_key(&self) -> Option<String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&self.0).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let key = text.strip_prefix("v1:")?;
        let (time, id) = key.split_once('#')?;
        (chrono::DateTime::parse_from_rfc3339(time).is_ok() && id.parse::<crate::domain::LeadId>().is_ok()).then(|| key.to_string())
    }

    /// Reads a cursor a caller sent back; `None` if it was not made here.
    pub fn parse(s: &str) -> Option<Self> {
        let c = ListCursor(s.to_string());
        c.sort_key().map(|_| c)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page of leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadPage {
    pub items: Vec<Lead>,
    pub next: Option<ListCursor>,
}

/// Lists leads through the status, assignee, service-line and facility indexes.
#[async_trait]
pub trait LeadListing: Send + Sync {
    /// Leads matching `filter`, newest first, at most `limit`, after `cursor`.
    async fn list_leads(&self, filter: &LeadFilter, cursor: Option<&ListCursor>, limit: usize) -> Result<LeadPage, StoreError>;

    /// The first `limit` leads of a work queue in [`inbox_sort_key`] order, each still open and
    /// still in that queue when read (index entries can lag a moment behind); with `facilities`,
    /// only leads of those facilities (lower-cased keys, as [`Lead::facility`] gives them).
    async fn inbox(&self, queue: &InboxQueue, facilities: Option<&[String]>, limit: usize) -> Result<Vec<Lead>, StoreError>;
}
