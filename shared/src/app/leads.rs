//! What the team does to a lead besides moving its status: franchise stakeholders and
//! milestones (signing the agreement converts the lead), corrected contact details and context,
//! and notes.

use super::lifecycle::{transition, TransitionError};
use super::matching::update_lead;
use super::Services;
use crate::config::ServiceLineKind;
use crate::domain::franchise::{Milestone, MilestoneRecord, Stakeholder};
use crate::domain::lifecycle::Cause;
use crate::domain::text::FreeText;
use crate::domain::{Actor, ContactChannel, EventId, Lead, LeadId, LeadStatus, TimelineEntry, TimelineKind};
use crate::ports::StoreError;
use sha2::Digest;
use std::collections::BTreeMap;

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LeadChangeError {
    #[error("no such lead")]
    NotFound,
    #[error("stakeholders and milestones are for franchise leads")]
    NotFranchise,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

fn is_franchise(services: &Services, lead: &Lead) -> bool {
    services.config.service_line(&lead.context.service_line).is_some_and(|l| l.kind == ServiceLineKind::Franchise)
}

/// Adds a stakeholder to a franchise lead (a second add of the same person and role is a no-op).
/// Returns the lead and the id of the stakeholder's timeline entry, which derives from the
/// stakeholder as first stored: a retried request appends (and audits) nothing new.
pub async fn add_stakeholder(services: &Services, lead_id: LeadId, stakeholder: Stakeholder) -> Result<(Lead, EventId), LeadChangeError> {
    let lead = services.leads.get(lead_id).await?.ok_or(LeadChangeError::NotFound)?;
    if !is_franchise(services, &lead) {
        return Err(LeadChangeError::NotFranchise);
    }
    let same = |s: &Stakeholder| s.name == stakeholder.name && s.role == stakeholder.role;
    let lead = update_lead(services, lead_id, |l| {
        if l.stakeholders.iter().any(same) {
            return false;
        }
        l.stakeholders.push(stakeholder.clone());
        true
    })
    .await?
    .ok_or(LeadChangeError::NotFound)?;
    let stored = lead.stakeholders.iter().find(|s| same(s)).cloned().unwrap_or(stakeholder);
    let seed = format!("{lead_id}:stakeholder:{}:{}", stored.role.as_str(), stored.name.as_str());
    let entry = TimelineEntry::derived(
        lead_id,
        stored.added_at,
        &seed,
        Actor::User(stored.added_by.clone()),
        TimelineKind::StakeholderAdded { stakeholder: stored },
    );
    services.timeline.append(&entry).await?;
    Ok((lead, entry.id))
}

/// Records a franchise milestone once; `signed` converts the lead.
pub async fn reach_milestone(
    services: &Services,
    lead_id: LeadId,
    milestone: Milestone,
    note: Option<FreeText>,
    user: &str,
) -> Result<(Lead, EventId), LeadChangeError> {
    let lead = services.leads.get(lead_id).await?.ok_or(LeadChangeError::NotFound)?;
    if !is_franchise(services, &lead) {
        return Err(LeadChangeError::NotFranchise);
    }
    let at = services.clock.now();
    let seed = format!("{lead_id}:milestone:{}", milestone.as_str());
    update_lead(services, lead_id, |l| {
        if l.milestones.iter().any(|m| m.milestone == milestone) {
            return false;
        }
        l.milestones.push(MilestoneRecord { milestone, at, by: user.to_string() });
        true
    })
    .await?;
    let reached_at =
        services.leads.get(lead_id).await?.and_then(|l| l.milestones.iter().find(|m| m.milestone == milestone).map(|m| m.at)).unwrap_or(at);
    let entry = TimelineEntry {
        id: EventId::derived(reached_at, seed.as_bytes()),
        lead_id,
        at: reached_at,
        actor: Actor::User(user.to_string()),
        kind: TimelineKind::MilestoneReached { milestone, note },
    };
    services.timeline.append(&entry).await?;
    if milestone == Milestone::Signed {
        let cause = Cause::new(Actor::User(user.to_string()), "franchise.signed").with_seed(seed).at(reached_at);
        match transition(services, lead_id, LeadStatus::Converted, cause).await {
            Ok(_) | Err(TransitionError::Invalid(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let lead = services.leads.get(lead_id).await?.ok_or(LeadChangeError::NotFound)?;
    Ok((lead, entry.id))
}

// The staff console's changes: contact details and context corrected, notes.

/// The fields a staff member may correct, as the web form names them (so one set of rules
/// validates both: `domain::intake_form::parse_submission`).
pub const EDITABLE_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "phone",
    "email",
    "service_line",
    "service_interest",
    "concern",
    "insurance_status",
    "insurance_carrier",
    "postal_code",
    "city",
    "state",
    "preferred_facility",
    "preferred_channel",
    "preferred_times",
    "language",
    "date_of_birth",
];

/// Why an edit was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("no such lead")]
    NotFound,
    #[error("some fields are invalid")]
    Invalid(Vec<crate::domain::intake_form::FieldError>),
    /// Another open lead holds this phone number or address: merge the two instead.
    #[error("another open lead holds this {0}")]
    HeldByAnother(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] crate::ports::QueueError),
}

/// What an edit did.
#[derive(Debug, Clone)]
pub struct Edited {
    pub lead: Lead,
    /// The `contact_edited` timeline entry (`None`: every value was already so).
    pub entry: Option<EventId>,
    /// The audit paths of what changed.
    pub fields: Vec<&'static str>,
}

/// A lead's editable values as the form writes them (absent fields are empty).
pub fn editable_values(lead: &Lead) -> BTreeMap<&'static str, String> {
    let c = &lead.contact;
    let x = &lead.context;
    let pairs: [(&'static str, Option<String>); 17] = [
        ("first_name", c.first_name.as_ref().map(|v| v.as_str().to_string())),
        ("last_name", c.last_name.as_ref().map(|v| v.as_str().to_string())),
        ("phone", c.phone.as_ref().map(|v| v.as_e164().to_string())),
        ("email", c.email.as_ref().map(|v| v.as_str().to_string())),
        ("service_line", Some(x.service_line.to_string())),
        ("service_interest", x.service_interest.as_ref().map(|v| v.as_str().to_string())),
        ("concern", x.concern.as_ref().map(|v| v.as_str().to_string())),
        ("insurance_status", x.insurance.map(|v| v.as_str().to_string())),
        ("insurance_carrier", x.insurance_carrier.as_ref().map(|v| v.as_str().to_string())),
        ("postal_code", x.location.postal_code.as_ref().map(|v| v.as_str().to_string())),
        ("city", x.location.city.as_ref().map(|v| v.as_str().to_string())),
        ("state", x.location.state.as_ref().map(|v| v.as_str().to_string())),
        ("preferred_facility", x.preferred_facility.as_ref().map(|v| v.as_str().to_string())),
        ("preferred_channel", x.preferences.preferred_channel.map(|v| v.as_str().to_string())),
        ("preferred_times", x.preferences.preferred_times.as_ref().map(|v| v.as_str().to_string())),
        ("language", x.preferences.language.as_ref().map(|v| v.as_str().to_string())),
        ("date_of_birth", x.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string())),
    ];
    pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect()
}

/// The audit path a form field is recorded under.
fn audit_path(field: &str) -> &'static str {
    use crate::domain::audit::fields;
    match field {
        "first_name" => fields::FIRST_NAME,
        "last_name" => fields::LAST_NAME,
        "phone" => fields::PHONE,
        "email" => fields::EMAIL,
        "concern" => fields::CONCERN,
        _ => fields::CONTEXT,
    }
}

/// Applies a staff member's corrections (`edits`: form field names, an empty value clears the
/// field), validated exactly as the web form's fields are. A phone number or address another
/// open lead holds is refused (the two records should be merged instead). What changed goes on
/// the timeline with its values before and after (sealed at rest), and `lead.updated` is
/// published so scoring and routing see the new context.
pub async fn edit_details(services: &Services, lead_id: LeadId, edits: &BTreeMap<String, String>, by: &str) -> Result<Edited, EditError> {
    use crate::domain::intake_form::{parse_submission, FieldError, RawSubmission};
    let unknown: Vec<FieldError> = edits
        .keys()
        .filter(|k| !EDITABLE_FIELDS.contains(&k.as_str()))
        .map(|k| FieldError::new(k, "unknown_field", "this field cannot be edited here"))
        .collect();
    if !unknown.is_empty() {
        return Err(EditError::Invalid(unknown));
    }
    for _ in 0..5 {
        let now = services.clock.now();
        let old = services.leads.get(lead_id).await?.ok_or(EditError::NotFound)?;
        let before = editable_values(&old);
        let mut fields: BTreeMap<String, String> = before.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        for (k, v) in edits {
            if v.trim().is_empty() {
                fields.remove(k);
            } else {
                fields.insert(k.clone(), v.clone());
            }
        }
        let parsed = parse_submission(&RawSubmission { fields, ip: None, user_agent: None }, services.config.as_ref(), now)
            .map_err(EditError::Invalid)?;
        let mut lead = old.clone();
        lead.contact = parsed.contact;
        let (x, p) = (&mut lead.context, parsed.context);
        x.service_line = p.service_line;
        x.service_interest = p.service_interest;
        x.concern = p.concern;
        x.insurance = p.insurance;
        x.insurance_carrier = p.insurance_carrier;
        x.location = p.location;
        x.preferred_facility = p.preferred_facility;
        x.preferences = p.preferences;
        x.date_of_birth = p.date_of_birth;
        let after = editable_values(&lead);
        let changes: Vec<crate::domain::timeline::FieldChange> = EDITABLE_FIELDS
            .iter()
            .filter(|f| before.get(*f) != after.get(*f))
            .map(|f| crate::domain::timeline::FieldChange {
                field: f.to_string(),
                before: before.get(f).cloned(),
                after: after.get(f).cloned(),
            })
            .collect();
        if changes.is_empty() {
            return Ok(Edited { lead: old, entry: None, fields: Vec::new() });
        }
        // A contact point another open lead holds stays with that lead.
        if let Some(phone) = lead.contact.phone.as_ref().filter(|p| old.contact.phone.as_ref() != Some(*p)) {
            if held_by_another(services, lead_id, services.leads.find_by_phone(phone).await?).await? {
                return Err(EditError::HeldByAnother("phone"));
            }
        }
        if let Some(email) = lead.contact.email.as_ref().filter(|e| old.contact.email.as_ref() != Some(*e)) {
            if held_by_another(services, lead_id, services.leads.find_by_email(email).await?).await? {
                return Err(EditError::HeldByAnother("email"));
            }
        }
        let set_aside = set_aside_consent_for_changed_addresses(&old, &mut lead, now);
        lead.version += 1;
        lead.updated_at = now;
        match services.leads.save(&lead).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
        let mut paths: Vec<&'static str> = changes.iter().map(|c| audit_path(&c.field)).collect();
        if !set_aside.is_empty() {
            paths.push(crate::domain::audit::fields::CONSENT);
        }
        paths.sort();
        paths.dedup();
        let entry = TimelineEntry::new(lead_id, now, Actor::User(by.to_string()), TimelineKind::ContactEdited { changes });
        services.timeline.append(&entry).await?;
        for channel in set_aside {
            let via = CONSENT_SET_ASIDE.to_string();
            let revoked = TimelineEntry::new(lead_id, now, Actor::User(by.to_string()), TimelineKind::ConsentRevoked { channel, via });
            services.timeline.append(&revoked).await?;
        }
        let event = crate::domain::LeadEvent {
            id: EventId::derived(now, format!("{lead_id}:edited:{}", entry.id).as_bytes()),
            kind: crate::domain::LeadEventKind::Updated,
            lead_id,
            occurred_at: now,
        };
        services.queue.publish(&event).await?;
        return Ok(Edited { lead, entry: Some(entry.id), fields: paths });
    }
    Err(EditError::Store(StoreError::Conflict))
}

/// How a consent ends when a staff member changes the address it was given for
/// (`ChannelConsent::revoked_via`, `TimelineKind::ConsentRevoked::via`).
pub const CONSENT_SET_ASIDE: &str = crate::domain::consent::CONTACT_CHANGED;

/// Consent belongs to the address it was given for (a grant for one number says nothing about
/// another, as in a merge): when a correction changes the phone number, the text and call
/// consents given for the old one stop allowing anything, and likewise the e-mail consent when
/// the address changes. The decisions stay on record (with when they were set aside); the
/// person confirms the new address themselves: START from the new number, or a new inquiry
/// with its consent. Answers the channels set aside.
fn set_aside_consent_for_changed_addresses(old: &Lead, lead: &mut Lead, now: chrono::DateTime<chrono::Utc>) -> Vec<ContactChannel> {
    let mut changed = Vec::new();
    if old.contact.phone != lead.contact.phone {
        changed.extend([ContactChannel::Sms, ContactChannel::Call]);
    }
    if old.contact.email != lead.contact.email {
        changed.push(ContactChannel::Email);
    }
    changed
        .into_iter()
        .filter(|channel| match lead.consent.get_mut(*channel) {
            Some(c) if c.is_active() => {
                c.revoked_at = Some(now);
                c.revoked_via = Some(CONSENT_SET_ASIDE.to_string());
                true
            }
            _ => false,
        })
        .collect()
}

async fn held_by_another(services: &Services, me: LeadId, holders: Vec<LeadId>) -> Result<bool, StoreError> {
    for id in holders.into_iter().filter(|id| *id != me) {
        if services.leads.get(id).await?.is_some_and(|l| l.status.is_open() && l.merged_into.is_none()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Runs `step` once per idempotency key (`key`): a retry gets the first run's recorded outcome
/// back instead of running it again. Without a key it just runs.
pub async fn once_per_key<F, Fut>(
    services: &Services,
    lead_id: LeadId,
    action: &str,
    key: Option<&str>,
    step: F,
) -> Result<String, OnceError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String, OnceError>>,
{
    use crate::ports::Claim;
    let Some(key) = key else { return step().await };
    let action = format!("{action}:{}", hex::encode(sha2::Sha256::digest(key.as_bytes())));
    let now = services.clock.now();
    match services.once.claim(lead_id, &action, now, chrono::Duration::seconds(60)).await? {
        Claim::Done { outcome } => Ok(outcome),
        Claim::Held => Err(OnceError::Busy),
        Claim::Acquired => match step().await {
            Ok(outcome) => {
                services.once.finish(lead_id, &action, &outcome, services.clock.now()).await?;
                Ok(outcome)
            }
            Err(e) => {
                if let Err(a) = services.once.abandon(lead_id, &action).await {
                    tracing::warn!(error = %a, "could not release a claim; a retry waits for its lease");
                }
                Err(e)
            }
        },
    }
}

/// Why a once-per-key step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum OnceError {
    #[error("a request with the same key is still running")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Step(String),
}

/// Adds a staff member's note to the lead's timeline (sealed at rest); with an idempotency key
/// a retry adds nothing. Returns the entry's id.
pub async fn add_note(services: &Services, lead_id: LeadId, note: FreeText, by: &str, key: Option<&str>) -> Result<EventId, OnceError> {
    let outcome = once_per_key(services, lead_id, "note", key, || async {
        let entry = TimelineEntry::new(lead_id, services.clock.now(), Actor::User(by.to_string()), TimelineKind::NoteAdded { note });
        services.timeline.append(&entry).await?;
        Ok(entry.id.to_string())
    })
    .await?;
    outcome.parse().map_err(|_| OnceError::Step("an unreadable earlier outcome".into()))
}
