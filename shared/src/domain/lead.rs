//! The lead: one person's inquiry thread, with everything the team needs to answer it.

use super::consent::Consents;
use super::context::LeadContext;
use super::email::Email;
use super::franchise::{MilestoneRecord, Stakeholder};
use super::ids::{EventId, LeadId};
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
    /// Folds a repeat inquiry from the same person into this open lead: contact details the
    /// lead lacked are filled in, and a consent decision given now for a channel replaces the
    /// older one when it concerns the same address (a person who ticks "text me" on their
    /// second form expects texts). Returns whether anything changed.
    pub fn absorb_inquiry(&mut self, inquiry: &super::intake_form::NewLead, now: DateTime<Utc>) -> bool {
        use super::channel::ContactChannel;
        let before = self.clone();
        let c = &mut self.contact;
        if c.first_name.is_none() {
            c.first_name = inquiry.contact.first_name.clone();
        }
        if c.last_name.is_none() {
            c.last_name = inquiry.contact.last_name.clone();
        }
        if c.phone.is_none() {
            c.phone = inquiry.contact.phone.clone();
        }
        if c.email.is_none() {
            c.email = inquiry.contact.email.clone();
        }
        for channel in ContactChannel::ALL {
            let same_address = match channel {
                ContactChannel::Sms | ContactChannel::Call => {
                    inquiry.contact.phone.is_some() && inquiry.contact.phone == self.contact.phone
                }
                ContactChannel::Email => inquiry.contact.email.is_some() && inquiry.contact.email == self.contact.email,
            };
            if let Some(new) = inquiry.consent.get(channel) {
                let newer = self.consent.get(channel).is_none_or(|old| old.at <= new.at);
                if same_address && newer {
                    *self.consent.get_mut(channel) = Some(new.clone());
                }
            }
        }
        let changed = *self != before;
        if changed {
            self.updated_at = now;
        }
        changed
    }

    /// Builds a new lead from a validated submission, captured at `now`.
    pub fn capture(id: LeadId, submission: super::intake_form::NewLead, now: DateTime<Utc>) -> Lead {
        Lead {
            id,
            status: LeadStatus::New,
            contact: submission.contact,
            context: submission.context,
            source: submission.source,
            consent: submission.consent,
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
        }
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
