//! The facts about a person that duplicate detection compares, normalized once.

use super::normalize::{email_key, first_word_key, name_key, postal_key};
use crate::domain::Lead;
use chrono::NaiveDate;

/// One record's identifying facts in comparable form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonFacts {
    /// First word of the given name, normalized (`"mary"`); empty when unknown.
    pub first: String,
    /// Family name, normalized; empty when unknown.
    pub last: String,
    /// E.164.
    pub phone: Option<String>,
    /// Matching form of the email (see [`email_key`]).
    pub email: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub postal: Option<String>,
}

impl PersonFacts {
    pub fn new(
        first: &str,
        last: &str,
        phone: Option<&str>,
        email: Option<&str>,
        birth_date: Option<NaiveDate>,
        postal: Option<&str>,
    ) -> Self {
        PersonFacts {
            first: first_word_key(first),
            last: name_key(last),
            phone: phone.map(str::to_string),
            email: email.map(email_key),
            birth_date,
            postal: postal.map(postal_key).filter(|p| !p.is_empty()),
        }
    }

    /// The facts of a lead.
    pub fn of_lead(lead: &Lead) -> Self {
        let c = &lead.contact;
        PersonFacts::new(
            c.first_name.as_ref().map_or("", |n| n.as_str()),
            c.last_name.as_ref().map_or("", |n| n.as_str()),
            c.phone.as_ref().map(|p| p.as_e164()),
            c.email.as_ref().map(|e| e.as_str()),
            lead.context.date_of_birth,
            lead.context.location.postal_code.as_ref().map(|p| p.as_str()),
        )
    }
}
