//! A staff member's inbox: the open leads they may work, most urgent first (crisis, urgent,
//! routine; within a tier the soonest first-contact deadline), read from the work-queue index
//! one assignee at a time and merged — never a scan.
//!
//! Whose queues a caller reads follows the role matrix (`auth::policy`): an agent their own and
//! their team members'; a manager everyone's and the unassigned leads, of their facilities only
//! (and their own queue whole, when they are a team member); an administrator everything.

use super::Services;
use crate::auth::{policy, Principal, Role};
use crate::domain::lead::normalize_key;
use crate::domain::Lead;
use crate::ports::lead_listing::inbox_sort_key;
use crate::ports::{InboxQueue, StoreError};

/// The most leads one inbox read returns.
pub const MAX_INBOX: usize = 200;

/// The queues a caller may read, each with the facility filter that applies to it.
pub fn queues(p: &Principal, services: &Services) -> Vec<(InboxQueue, Option<Vec<String>>)> {
    let team = &services.config.team;
    let me = policy::member(p, team);
    let everyone = || {
        let mut all: Vec<InboxQueue> = team.members.keys().map(|m| InboxQueue::Member(m.to_string())).collect();
        all.push(InboxQueue::Unassigned);
        all
    };
    match p.role {
        Role::Admin => everyone().into_iter().map(|q| (q, None)).collect(),
        Role::Manager => {
            let facilities: Vec<String> = p.facilities.iter().map(|f| normalize_key(f)).collect();
            everyone()
                .into_iter()
                .map(|q| {
                    let own = matches!((&q, me), (InboxQueue::Member(m), Some(me)) if *m == me.id.as_str());
                    let filter = if own { None } else { Some(facilities.clone()) };
                    (q, filter)
                })
                .filter(|(_, f)| f.as_ref().is_none_or(|f| !f.is_empty()))
                .collect()
        }
        Role::Agent => {
            let Some(me) = me else { return Vec::new() };
            team.members
                .values()
                .filter(|m| m.id == me.id || (me.team.is_some() && m.team == me.team))
                .map(|m| (InboxQueue::Member(m.id.to_string()), None))
                .collect()
        }
        Role::Analyst => Vec::new(),
    }
}

/// The caller's inbox: at most `limit` open leads, most urgent first; `only` narrows it to one
/// of the caller's queues (none when it is not theirs).
pub async fn inbox(services: &Services, p: &Principal, only: Option<&InboxQueue>, limit: usize) -> Result<Vec<Lead>, StoreError> {
    let limit = limit.clamp(1, MAX_INBOX);
    let queues: Vec<(InboxQueue, Option<Vec<String>>)> =
        queues(p, services).into_iter().filter(|(q, _)| only.is_none_or(|o| o == q)).collect();
    let reads = queues.iter().map(|(q, f)| services.listing.inbox(q, f.as_deref(), limit));
    let mut leads: Vec<Lead> = futures::future::try_join_all(reads).await?.into_iter().flatten().collect();
    // The matrix has the last word on every lead shown.
    leads.retain(|l| policy::can_read_lead(p, &services.config.team, l));
    leads.sort_by_cached_key(inbox_sort_key);
    leads.dedup_by_key(|l| l.id);
    leads.truncate(limit);
    Ok(leads)
}
