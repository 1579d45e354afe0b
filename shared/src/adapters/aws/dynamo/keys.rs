//! The single-table layout: every item's key and index attributes, in one place.
//!
//! | item              | PK                              | SK              |
//! |-------------------|---------------------------------|-----------------|
//! | lead              | `LEAD#{lead_id}`                | `LEAD`          |
//! | timeline entry    | `LEAD#{lead_id}`                | `TL#{event_id}` |
//! | once-only marker  | `LEAD#{lead_id}`                | `ONCE#{action}` |
//! | unique claim      | `CLAIM#PHONE#{e164}#{line}` / `CLAIM#EMAIL#{email}#{line}` | `CLAIM` |
//! | outbox record     | `LEAD#{lead_id}`                | `OUTBOX#{event_id}#{kind}` (see `ports::outbox`) |
//! | idempotency key   | `IDEM#{sha256 hex of key}`      | `IDEM`          |
//! | suppression       | `SUPPRESS#{channel}#{sha256 of address}` | `SUPPRESS` |
//! | due item / index / cursor | `DUEKEY#…`, `DUE#{kind}#{minute}`, `DUECURSOR#…` (see `schedule.rs`) | |
//! | round-robin counter | `RR#{pool}`                   | `RR`            |
//! | availability      | `TEAM`                          | `AVAIL#{member}`|
//! | cadence enrollment, tasks, open-task entries | `LEAD#…` / `CADENCE`, `TASK#…`; `OPENTASKS#{member}` (see `cadence.rs`) | |
//!
//! | name-index entry  | `NAME#{sha256 of the folded prefix}` | `LEAD#{lead_id}` |
//! | a lead's name entries | `LEAD#{lead_id}`            | `NAMES`         |
//!
//! | webhook event     | `INBOUND#{provider}#{sha256 of event id}` | `INBOUND` |
//! | provider link     | `LINK#{provider}#{kind}#{id}`   | `LINK`          |
//! | visit event       | `VISITOR#{visitor id}`          | `V#{event_id}` (see `visits.rs`) |
//!
//! Leads also carry `GSI1PK = PHONE#{e164}` and `GSI2PK = EMAIL#{email}`, and for listing
//! `GSI3PK = STATUS#{status}`, `GSI4PK = ASSIGNEE#{user}`, `GSI5PK = LINE#{service line}`,
//! `GSI6PK = FACILITY#{facility}`, all sorted by `{created_at}#{lead_id}` so an index query in
//! reverse gives the newest lead first. Open leads carry `GSI8PK = INBOX#{assignee}` (the work
//! queues, most urgent first). Name prefixes are digests, like blocking keys: the table never
//! holds a name in a key.

use super::item::Item;
use crate::domain::{ContactChannel, Email, EventId, Lead, LeadId, Phone, ServiceLineId};
use crate::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::SecondsFormat;
use sha2::Digest;

pub(crate) const PK: &str = "PK";
pub(crate) const SK: &str = "SK";
pub(crate) const GSI1: &str = "GSI1";
pub(crate) const GSI1_PK: &str = "GSI1PK";
pub(crate) const GSI1_SK: &str = "GSI1SK";
pub(crate) const GSI2: &str = "GSI2";
pub(crate) const GSI2_PK: &str = "GSI2PK";
pub(crate) const GSI2_SK: &str = "GSI2SK";
/// The listing indexes: status, assignee, service line, facility (name, hash, range).
pub(crate) const LISTING_INDEXES: [(&str, &str, &str); 4] =
    [("GSI3", "GSI3PK", "GSI3SK"), ("GSI4", "GSI4PK", "GSI4SK"), ("GSI5", "GSI5PK", "GSI5SK"), ("GSI6", "GSI6PK", "GSI6SK")];
/// The change index: every lead by the day and time it last changed, so the daily
/// hygiene job reads only what changed since its last run.
pub(crate) const GSI7: &str = "GSI7";
pub(crate) const GSI7_PK: &str = "GSI7PK";
pub(crate) const GSI7_SK: &str = "GSI7SK";
/// The work queues (the staff inbox): open leads by assignee (`INBOX#{member}`, `INBOX#-` for
/// nobody yet), most urgent first (`ports::lead_listing::inbox_sort_key`). Projects the facility
/// key (`GSI6PK`) so a manager's inbox filters by facility before reading a lead.
pub(crate) const GSI8: &str = "GSI8";
pub(crate) const GSI8_PK: &str = "GSI8PK";
pub(crate) const GSI8_SK: &str = "GSI8SK";
/// A lead's name-index record (the entries it holds), in its own partition.
pub(crate) const NAMES_SK: &str = "NAMES";
pub(crate) const INBOUND_SK: &str = "INBOUND";
pub(crate) const LINK_SK: &str = "LINK";
/// The TTL attribute (epoch seconds); DynamoDB deletes expired items, lazily.
pub(crate) const EXPIRES_AT: &str = "expires_at";

pub(crate) const LEAD_SK: &str = "LEAD";
pub(crate) const CLAIM_SK: &str = "CLAIM";
pub(crate) const IDEM_SK: &str = "IDEM";
pub(crate) const SUPPRESS_SK: &str = "SUPPRESS";
pub(crate) const TIMELINE_PREFIX: &str = "TL#";

/// A primary key.
pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    Item::from([(PK.to_string(), AttributeValue::S(pk)), (SK.to_string(), AttributeValue::S(sk.into()))])
}

pub(crate) fn lead_pk(id: LeadId) -> String {
    format!("LEAD#{id}")
}

/// Reads a lead id back from its partition key (index queries return keys only).
pub(crate) fn lead_id_from_pk(pk: &str) -> Result<LeadId, StoreError> {
    pk.strip_prefix("LEAD#").and_then(|id| id.parse().ok()).ok_or_else(|| StoreError::Invalid(format!("not a lead key: {pk}")))
}

/// A phone's claim on one service line: one open lead per person per line.
pub(crate) fn phone_claim_pk(phone: &Phone, line: &ServiceLineId) -> String {
    claim_pk(&phone_index_pk(phone), line)
}

pub(crate) fn email_claim_pk(email: &Email, line: &ServiceLineId) -> String {
    claim_pk(&email_index_pk(email), line)
}

/// The claim of an address (as its index partition, `PHONE#+1…` / `EMAIL#…`) on a line.
pub(crate) fn claim_pk(address_pk: &str, line: &impl std::fmt::Display) -> String {
    format!("CLAIM#{address_pk}#{line}")
}

pub(crate) fn phone_index_pk(phone: &Phone) -> String {
    format!("PHONE#{}", phone.as_e164())
}

pub(crate) fn email_index_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.as_str())
}

/// The index sort key: creation time (fixed width, millisecond precision), then the id to break
/// ties, so lexical order is time order.
pub(crate) fn created_sort_key(lead: &Lead) -> String {
    format!("{}#{}", lead.created_at.to_rfc3339_opts(SecondsFormat::Millis, true), lead.id)
}

pub(crate) fn timeline_sk(id: EventId) -> String {
    format!("{TIMELINE_PREFIX}{id}")
}

/// Idempotency keys are caller-chosen text: hashing bounds their length and keeps them out of
/// the table's keys.
pub(crate) fn idempotency_pk(key: &str) -> String {
    format!("IDEM#{}", hex::encode(sha2::Sha256::digest(key.as_bytes())))
}

pub(crate) fn once_sk(action: &str) -> String {
    format!("ONCE#{action}")
}

/// Keyed by the address's digest, so the table never names an opted-out person (see
/// `ports::suppression::address_digest`).
pub(crate) fn suppression_pk(channel: ContactChannel, address: &str) -> String {
    format!("SUPPRESS#{}#{}", channel.as_str(), crate::ports::suppression::address_digest(address))
}

pub(crate) fn inbound_pk(provider: crate::domain::inbound::Provider, event_id: &str) -> String {
    format!("INBOUND#{}#{}", provider.as_str(), hex::encode(sha2::Sha256::digest(event_id.as_bytes())))
}

pub(crate) fn link_pk(key: &crate::ports::ProviderKey) -> String {
    format!("LINK#{}", key.as_str())
}

/// The name-index partition of a folded name prefix: a digest, so no name sits in a key.
pub(crate) fn name_pk(prefix: &str) -> String {
    format!("NAME#{}", &hex::encode(sha2::Sha256::digest(format!("name:{prefix}").as_bytes()))[..32])
}

/// The change-index partition of a day (`CHANGED#2026-03-01`).
pub(crate) fn changed_pk(day: chrono::NaiveDate) -> String {
    format!("CHANGED#{day}")
}

/// The change-index sort key: the change time (fixed width, milliseconds), then the id.
pub(crate) fn changed_sk(at: chrono::DateTime<chrono::Utc>, id: &str) -> String {
    format!("{}#{id}", at.to_rfc3339_opts(SecondsFormat::Millis, true))
}
