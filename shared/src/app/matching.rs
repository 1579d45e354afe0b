//! Which lead an outside event is about: the lead id the provider carried (a checkout's
//! `client_reference_id`), then a provider id linked earlier (an appointment, a customer), then
//! the normalized phone and email through the same indexes intake uses. Among several leads of
//! one person the open one wins, then the newest.

use super::Services;
use crate::domain::{Email, Lead, LeadId, Phone};
use crate::ports::{ProviderKey, StoreError};

/// What an event says about its lead.
#[derive(Debug, Clone, Default)]
pub struct MatchHints {
    pub lead_id: Option<LeadId>,
    pub provider_keys: Vec<ProviderKey>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
}

/// How the lead was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    LeadId,
    ProviderId,
    Phone,
    Email,
}

/// The lead an event is about, if any.
pub async fn find_lead(services: &Services, hints: &MatchHints) -> Result<Option<(Lead, MatchedBy)>, StoreError> {
    if let Some(id) = hints.lead_id {
        if let Some(lead) = services.leads.get(id).await? {
            return Ok(Some((lead, MatchedBy::LeadId)));
        }
    }
    for key in &hints.provider_keys {
        if let Some(id) = services.inbound.linked(key).await? {
            if let Some(lead) = services.leads.get(id).await? {
                return Ok(Some((lead, MatchedBy::ProviderId)));
            }
        }
    }
    if let Some(phone) = &hints.phone {
        if let Some(lead) = best(services, services.leads.find_by_phone(phone).await?).await? {
            return Ok(Some((lead, MatchedBy::Phone)));
        }
    }
    if let Some(email) = &hints.email {
        if let Some(lead) = best(services, services.leads.find_by_email(email).await?).await? {
            return Ok(Some((lead, MatchedBy::Email)));
        }
    }
    Ok(None)
}

/// The first open lead of `ids` (newest first), else the newest.
async fn best(services: &Services, ids: Vec<LeadId>) -> Result<Option<Lead>, StoreError> {
    let mut newest = None;
    for id in ids {
        let Some(lead) = services.leads.get(id).await? else { continue };
        if lead.status.is_open() {
            return Ok(Some(lead));
        }
        newest.get_or_insert(lead);
    }
    Ok(newest)
}

/// Every lead holding `phone` (a STOP covers the number on every lead).
pub async fn all_by_phone(services: &Services, phone: &Phone) -> Result<Vec<Lead>, StoreError> {
    let mut out = Vec::new();
    for id in services.leads.find_by_phone(phone).await? {
        if let Some(lead) = services.leads.get(id).await? {
            out.push(lead);
        }
    }
    Ok(out)
}

/// Every lead holding `email`.
pub async fn all_by_email(services: &Services, email: &Email) -> Result<Vec<Lead>, StoreError> {
    let mut out = Vec::new();
    for id in services.leads.find_by_email(email).await? {
        if let Some(lead) = services.leads.get(id).await? {
            out.push(lead);
        }
    }
    Ok(out)
}

/// Changes a lead with `change` and saves it, re-reading on conflicts. `change` returns whether
/// anything changed (nothing is written otherwise).
pub async fn update_lead(services: &Services, id: LeadId, mut change: impl FnMut(&mut Lead) -> bool) -> Result<Option<Lead>, StoreError> {
    for _ in 0..5 {
        let Some(mut lead) = services.leads.get(id).await? else { return Ok(None) };
        if !change(&mut lead) {
            return Ok(Some(lead));
        }
        lead.version += 1;
        lead.updated_at = services.clock.now();
        match services.leads.save(&lead).await {
            Ok(()) => return Ok(Some(lead)),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}
