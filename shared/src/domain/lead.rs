//! The lead: one person's inquiry thread, with everything the team needs to answer it.

use super::consent::Consents;
use super::context::LeadContext;
use super::email::Email;
use super::franchise::{MilestoneRecord, Stakeholder};
use super::ids::{EventId, LeadId};
use super::inquiry::{Confirmation, HeldPoint, Inquiry, PointKind};
use super::money::Money;
use super::phone::Phone;
use super::source::Source;
use super::status::LeadStatus;
use super::text::PersonName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How to reach the person. At least one of phone and email is present on every lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// A lead as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub status: LeadStatus,
    pub contact: Contact,
    pub context: LeadContext,
    pub source: Source,
    #[serde(default)]
    pub consent: Consents,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the instant acknowledgement went out; speed-to-lead is measured to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Bumped on every stored change; writers use it for optimistic concurrency.
    #[serde(default)]
    pub version: u64,
    /// The latest score with its explanation (model, version, per-factor contributions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<super::scoring::LeadScore>,
    /// Who works the lead, by which routing rule and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<super::routing::Assignment>,
    /// When the first human contact is due (the response-time SLA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due_at: Option<DateTime<Utc>>,
    /// The first human contact attempt; first-response time is measured to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_at: Option<DateTime<Utc>>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<DateTime<Utc>>,
    /// The status before the last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<LeadStatus>,
    /// The timeline entry of the last transition: a redelivered cause finds it and finishes the
    /// bookkeeping instead of transitioning twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition: Option<EventId>,
    /// Why the lead was disqualified (a configured reason code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disqualification_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted_at: Option<DateTime<Utc>>,
    /// Payments received, each once (by payment id): the lead's revenue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<PaymentRecord>,
    /// Franchise stakeholders besides the prospect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stakeholders: Vec<Stakeholder>,
    /// Franchise milestones reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub milestones: Vec<MilestoneRecord>,
    /// When the person's personal data was erased (`DELETE /people/{id}`): what is left is an
    /// anonymous record that keeps the counts and timings reports are built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<DateTime<Utc>>,
    /// Set on a record merged into another (a tombstone): the survivor's id. The record's
    /// before-image stays with the merge so `POST /leads/{id}/unmerge` can restore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<LeadId>,
    /// A submission from the team's own tests (configured `[test_records]`): it gets no
    /// automated messages and reports leave it out (filter on `test`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// What contact validation found (a landline, a disposable email domain): the values stay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_flags: Vec<super::contact_check::ContactFlag>,
    /// When the hygiene job archived the lead for having gone silent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<DateTime<Utc>>,
    /// When the lead's personal data expires (DynamoDB TTL); an anonymized stub remains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_data_expires_at: Option<DateTime<Utc>>,
    /// Every submission that opened or joined this lead, oldest first (at most
    /// [`MAX_INQUIRIES`](super::inquiry::MAX_INQUIRIES); the timeline has them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inquiries: Vec<Inquiry>,
    /// The person's first lead, when this one was opened for the same person later (another
    /// service line, or after their earlier lead closed); absent on a person's first lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<LeadId>,
    /// The latest human contact attempt: inquiries that arrived before it are answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_at: Option<DateTime<Utc>>,
}

/// Why a held contact point could not be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    #[error("the lead has no such inquiry")]
    NoInquiry,
    #[error("the inquiry holds no such contact point")]
    NotHeld,
}

/// One payment on a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub provider: String,
    pub payment_id: String,
    pub amount: Money,
    pub at: DateTime<Utc>,
}

impl Lead {
    /// Builds a new lead from its first inquiry: the person's contact details and consent as
    /// submitted, the inquiry's context and source.
    pub fn from_inquiry(id: LeadId, inquiry: Inquiry) -> Lead {
        let now = inquiry.at;
        Lead {
            id,
            status: LeadStatus::New,
            contact: inquiry.contact.clone(),
            context: inquiry.context.clone(),
            source: inquiry.source.clone(),
            consent: inquiry.consent.clone(),
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            version: 1,
            score: None,
            assignment: None,
            first_contact_due_at: None,
            first_contact_at: None,
            status_changed_at: None,
            previous_status: None,
            last_transition: None,
            disqualification_reason: None,
            converted_at: None,
            payments: Vec::new(),
            stakeholders: Vec::new(),
            milestones: Vec::new(),
            erased_at: None,
            merged_into: None,
            test: false,
            contact_flags: Vec::new(),
            archived_at: None,
            personal_data_expires_at: None,
            inquiries: vec![inquiry],
            person_id: None,
            last_contact_at: None,
        }
    }

    /// Builds a new lead from a validated submission, captured at `now` (its inquiry gets a
    /// fresh id).
    pub fn capture(id: LeadId, submission: super::intake_form::NewLead, now: DateTime<Utc>) -> Lead {
        Lead::from_inquiry(id, submission.inquiry(EventId::new_at(now), now))
    }

    /// Records a later inquiry from the same person on this open lead. The lead's contact
    /// details and consent decisions are never replaced by it: a phone number or email address
    /// the lead does not hold is kept on the inquiry as a held point (used for nothing until
    /// confirmed), a "no" revokes nothing, and a "yes" counts only for an address the lead
    /// holds and a channel it has no decision for (as a first submission would have). Returns
    /// `false` when the inquiry is already recorded (a retried request).
    pub fn add_inquiry(&mut self, mut inquiry: Inquiry, now: DateTime<Utc>) -> bool {
        use super::channel::ContactChannel;
        if self.inquiries.iter().any(|i| i.id == inquiry.id) {
            return false;
        }
        inquiry.held.clear();
        if inquiry.contact.phone.is_some() && inquiry.contact.phone != self.contact.phone {
            inquiry.held.push(HeldPoint { kind: PointKind::Phone, confirmed: None });
        }
        if inquiry.contact.email.is_some() && inquiry.contact.email != self.contact.email {
            inquiry.held.push(HeldPoint { kind: PointKind::Email, confirmed: None });
        }
        for channel in ContactChannel::ALL {
            let Some(given) = inquiry.consent.get(channel).filter(|c| c.granted) else { continue };
            let own_address = match channel {
                ContactChannel::Sms | ContactChannel::Call => {
                    inquiry.contact.phone.is_some() && inquiry.contact.phone == self.contact.phone
                }
                ContactChannel::Email => inquiry.contact.email.is_some() && inquiry.contact.email == self.contact.email,
            };
            // Only where the lead has no decision for the channel, or one set aside because a
            // staff member changed the address (the person confirms the new one this way):
            // a public submission never overrides what the person decided.
            if own_address && self.consent.get(channel).is_none_or(|c| c.is_set_aside()) {
                *self.consent.get_mut(channel) = Some(given.clone());
            }
        }
        self.inquiries.push(inquiry);
        while self.inquiries.len() > super::inquiry::MAX_INQUIRIES {
            // The capture stays; then the oldest answered inquiry, else the oldest.
            let answered = (1..self.inquiries.len()).find(|&i| !self.is_open_inquiry(&self.inquiries[i]));
            self.inquiries.remove(answered.unwrap_or(1));
        }
        self.updated_at = now.max(self.updated_at);
        true
    }

    /// The inquiry with receipt `id`.
    pub fn inquiry(&self, id: EventId) -> Option<&Inquiry> {
        self.inquiries.iter().find(|i| i.id == id)
    }

    /// Whether `inquiry` still waits for a human response: it arrived after the last contact
    /// attempt (or none was made).
    pub fn is_open_inquiry(&self, inquiry: &Inquiry) -> bool {
        self.last_contact_at.or(self.first_contact_at).is_none_or(|c| inquiry.at > c)
    }

    /// The inquiries that wait for a human response, oldest first.
    pub fn open_inquiries(&self) -> impl Iterator<Item = &Inquiry> {
        self.inquiries.iter().filter(|i| self.is_open_inquiry(i))
    }

    /// Whether anything the person asked waits for a human response. A lead stored before
    /// inquiries were recorded waits until its first contact.
    pub fn has_open_inquiry(&self) -> bool {
        if self.inquiries.is_empty() {
            return self.first_contact_at.is_none();
        }
        self.open_inquiries().next().is_some()
    }

    /// When the earliest waiting inquiry's response is due (what the escalation ladder runs
    /// against); the first-contact deadline for a lead without inquiry records.
    pub fn response_due(&self) -> Option<DateTime<Utc>> {
        if self.inquiries.is_empty() {
            return self.first_contact_due_at.filter(|_| self.first_contact_at.is_none());
        }
        self.open_inquiries().filter_map(|i| i.triage.map(|t| t.due_at)).min()
    }

    /// The lead that stands for the person: the person's first lead.
    pub fn person(&self) -> LeadId {
        self.person_id.unwrap_or(self.id)
    }

    /// Confirms the `kind` contact point inquiry `inquiry` held: it becomes the lead's, with the
    /// consent decisions given for it on that inquiry (consent follows the address: the old
    /// address's decisions do not carry over). `Ok(false)` when it was confirmed already.
    pub fn confirm_point(&mut self, inquiry: EventId, kind: PointKind, confirmation: Confirmation) -> Result<bool, ConfirmError> {
        use super::channel::ContactChannel;
        let inq = self.inquiries.iter_mut().find(|i| i.id == inquiry).ok_or(ConfirmError::NoInquiry)?;
        let point = inq.held.iter_mut().find(|p| p.kind == kind).ok_or(ConfirmError::NotHeld)?;
        if point.confirmed.is_some() {
            return Ok(false);
        }
        point.confirmed = Some(confirmation.clone());
        let channels: &[ContactChannel] = match kind {
            PointKind::Phone => {
                self.contact.phone = inq.contact.phone.clone();
                &[ContactChannel::Sms, ContactChannel::Call]
            }
            PointKind::Email => {
                self.contact.email = inq.contact.email.clone();
                &[ContactChannel::Email]
            }
        };
        for &channel in channels {
            *self.consent.get_mut(channel) = inq.consent.get(channel).cloned();
        }
        self.updated_at = confirmation.at.max(self.updated_at);
        Ok(true)
    }

    /// Revenue in `currency`: the sum of the payments made in it (integer minor units).
    pub fn revenue(&self, currency: &super::money::Currency) -> Money {
        let minor = self.payments.iter().filter(|p| &p.amount.currency == currency).map(|p| p.amount.minor).sum();
        Money { minor, currency: currency.clone() }
    }

    /// The member the lead is assigned to (by routing), for listing and access checks.
    pub fn assignee(&self) -> Option<&str> {
        self.assignment.as_ref().map(|a| a.member.as_str())
    }

    /// The facility the lead belongs to (a manager sees the leads of their facilities), as a
    /// lower-case key so `Hoboken ` on a form matches `hoboken` in a manager's claims and indexes.
    pub fn facility(&self) -> Option<String> {
        self.context.preferred_facility.as_ref().map(|f| normalize_key(f.as_str()))
    }
}

/// Lower-cased, trimmed text for index keys and comparisons (`Hoboken ` = `hoboken`).
pub fn normalize_key(s: &str) -> String {
    s.trim().to_lowercase()
}
