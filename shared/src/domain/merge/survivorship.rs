//! Field-level survivorship: for each field, which record's value the merged record keeps.
//! Configured in `[matching.survivorship]` (`config::matching`).

use crate::domain::string_enum::string_enum;
use crate::domain::{Lead, SourceChannel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum! {
    /// How a field's surviving value is chosen.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Rule {
        /// The value of the record where it was verified (the person was reached, or gave consent
        /// on that address); among equals, the record changed most recently.
        MostRecentVerified => "most_recent_verified",
        /// The longest non-empty value (`Bob` loses to `Robert`).
        LongestNonEmpty => "longest_non_empty",
        /// The value of the record whose source channel comes first in `source_priority`.
        SourcePriority => "source_priority",
    }
}

string_enum! {
    /// The fields survivorship decides (the rest of the record: see `merge_leads`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum MergeField {
        FirstName => "first_name",
        LastName => "last_name",
        Phone => "phone",
        Email => "email",
        DateOfBirth => "date_of_birth",
        PostalCode => "postal_code",
    }
}

impl MergeField {
    /// The field's value on `lead` as text (for comparing lengths; never logged).
    pub(super) fn text(self, lead: &Lead) -> Option<String> {
        let c = &lead.contact;
        match self {
            MergeField::FirstName => c.first_name.as_ref().map(|v| v.as_str().to_string()),
            MergeField::LastName => c.last_name.as_ref().map(|v| v.as_str().to_string()),
            MergeField::Phone => c.phone.as_ref().map(|v| v.as_e164().to_string()),
            MergeField::Email => c.email.as_ref().map(|v| v.as_str().to_string()),
            MergeField::DateOfBirth => lead.context.date_of_birth.map(|d| d.to_string()),
            MergeField::PostalCode => lead.context.location.postal_code.as_ref().map(|v| v.as_str().to_string()),
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// Copies the field from `from` onto `to`.
    pub(super) fn copy(self, from: &Lead, to: &mut Lead) {
        match self {
            MergeField::FirstName => to.contact.first_name = from.contact.first_name.clone(),
            MergeField::LastName => to.contact.last_name = from.contact.last_name.clone(),
            MergeField::Phone => to.contact.phone = from.contact.phone.clone(),
            MergeField::Email => to.contact.email = from.contact.email.clone(),
            MergeField::DateOfBirth => to.context.date_of_birth = from.context.date_of_birth,
            MergeField::PostalCode => to.context.location.postal_code = from.context.location.postal_code.clone(),
        }
    }

    /// Whether the record's value was verified: the person answered a human contact attempt on
    /// the lead, or (for phone and email) gave consent on that address.
    pub(super) fn verified(self, lead: &Lead) -> bool {
        let reached = lead.first_contact_at.is_some();
        match self {
            MergeField::Phone => {
                reached || lead.consent.sms.as_ref().is_some_and(|c| c.granted) || lead.consent.call.as_ref().is_some_and(|c| c.granted)
            }
            MergeField::Email => reached || lead.consent.email.as_ref().is_some_and(|c| c.granted),
            _ => reached,
        }
    }
}

/// The survivorship rules: one per field (the default for fields not named), and the order of
/// source channels for [`Rule::SourcePriority`] (channels not listed come last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survivorship {
    pub default: Rule,
    pub fields: BTreeMap<MergeField, Rule>,
    pub source_priority: Vec<SourceChannel>,
}

impl Default for Survivorship {
    fn default() -> Self {
        Survivorship {
            default: Rule::MostRecentVerified,
            fields: BTreeMap::from([(MergeField::FirstName, Rule::LongestNonEmpty), (MergeField::LastName, Rule::LongestNonEmpty)]),
            source_priority: vec![SourceChannel::PhoneCall, SourceChannel::WebForm, SourceChannel::Chat],
        }
    }
}

impl Survivorship {
    pub fn rule(&self, field: MergeField) -> Rule {
        self.fields.get(&field).copied().unwrap_or(self.default)
    }

    fn priority(&self, lead: &Lead) -> usize {
        self.source_priority.iter().position(|c| *c == lead.source.channel).unwrap_or(usize::MAX)
    }

    /// Whether `absorbed`'s value of `field` wins over `survivor`'s (ties keep the survivor's).
    pub fn absorbed_wins(&self, field: MergeField, survivor: &Lead, absorbed: &Lead) -> bool {
        let (s, a) = (field.text(survivor), field.text(absorbed));
        match (&s, &a) {
            (_, None) => return false,
            (None, Some(_)) => return true,
            _ => {}
        }
        match self.rule(field) {
            Rule::LongestNonEmpty => {
                let len = |v: &Option<String>| v.as_deref().map_or(0, |v| v.trim().chars().count());
                len(&a) > len(&s)
            }
            Rule::SourcePriority => {
                let (ps, pa) = (self.priority(survivor), self.priority(absorbed));
                pa < ps || (pa == ps && absorbed.updated_at > survivor.updated_at)
            }
            Rule::MostRecentVerified => {
                let (vs, va) = (field.verified(survivor), field.verified(absorbed));
                (va && !vs) || (va == vs && absorbed.updated_at > survivor.updated_at)
            }
        }
    }
}
