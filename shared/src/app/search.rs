//! Finding leads by what staff type (`domain::search`): a phone number or an e-mail address
//! through the contact indexes, a name through the name index; every hit is read and checked
//! (the index may lag behind a rename or a merge) and only leads the caller may see are kept.

use super::Services;
use crate::auth::{policy, Principal};
use crate::domain::search::SearchTerm;
use crate::domain::{Lead, LeadId};
use crate::ports::StoreError;
use std::collections::BTreeSet;

/// Index entries read at most for one search.
const MAX_CANDIDATES: usize = 200;
/// The most leads one search returns.
pub const MAX_RESULTS: usize = 50;

/// The leads `term` finds that `p` may see: open leads first, then the newest.
pub async fn search(services: &Services, p: &Principal, term: &SearchTerm, limit: usize) -> Result<Vec<Lead>, StoreError> {
    let ids = match term {
        SearchTerm::Phone(phone) => services.leads.find_by_phone(phone).await?,
        SearchTerm::Email(email) => services.leads.find_by_email(email).await?,
        SearchTerm::Name(q) => services.leads.find_by_name(&q.lookup(), MAX_CANDIDATES).await?,
    };
    let mut seen: BTreeSet<LeadId> = BTreeSet::new();
    let mut found = Vec::new();
    for chunk in ids.chunks(25).take(MAX_CANDIDATES / 25) {
        let reads = chunk.iter().map(|id| current(services, *id));
        for lead in futures::future::try_join_all(reads).await?.into_iter().flatten() {
            if seen.insert(lead.id) && still_matches(term, &lead) && policy::can_read_lead(p, &services.config.team, &lead) {
                found.push(lead);
            }
        }
    }
    found.sort_by(|a, b| {
        (!a.status.is_open(), std::cmp::Reverse(a.created_at)).cmp(&(!b.status.is_open(), std::cmp::Reverse(b.created_at)))
    });
    found.truncate(limit.clamp(1, MAX_RESULTS));
    Ok(found)
}

/// The lead an id names now: a record merged into another is followed to the survivor.
async fn current(services: &Services, id: LeadId) -> Result<Option<Lead>, StoreError> {
    let mut lead = services.leads.get(id).await?;
    for _ in 0..3 {
        match lead.as_ref().and_then(|l| l.merged_into) {
            Some(survivor) => lead = services.leads.get(survivor).await?,
            None => break,
        }
    }
    Ok(lead.filter(|l| l.merged_into.is_none() && l.erased_at.is_none()))
}

/// Whether the lead still has what was searched for (a merge brings the absorbed record's
/// names and numbers to the survivor only when survivorship kept them).
fn still_matches(term: &SearchTerm, lead: &Lead) -> bool {
    match term {
        SearchTerm::Phone(p) => lead.contact.phone.as_ref() == Some(p),
        SearchTerm::Email(e) => lead.contact.email.as_ref() == Some(e),
        SearchTerm::Name(q) => q.matches(&lead.contact),
    }
}
