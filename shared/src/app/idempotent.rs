//! `Idempotency-Key` for staff changes (`POST /leads/{id}/contacts`, `/touchpoints`): the key
//! is scoped to the route, the lead and the caller, and bound to a hash of the request, so a
//! retry replays the first answer (the work done once), the same key with another body is
//! refused, and a key that comes back after its record expired with another body is a new
//! request. The ids of the work derive from the key and that hash.

use super::Services;
use crate::domain::LeadId;
use crate::ports::{Begin, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How long a request holds its key before a retry may take over.
const LEASE_SECONDS: i64 = 30;

/// A keyed change: where it starts, or the answer it already gave.
pub enum Keyed<T> {
    /// Do the work at `at` (the key's first use), with ids derived from `seed`.
    Fresh { at: DateTime<Utc>, seed: String, scoped: String },
    /// Done before: this is the answer.
    Replay(T),
}

/// Why a keyed change cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the Idempotency-Key was used with a different request")]
    Reused,
    #[error("a request with this Idempotency-Key is still being handled")]
    InProgress,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key as stored: route, lead and caller, then the caller's key.
fn scoped(route: &str, lead: LeadId, by: &str, key: &str) -> String {
    format!("{route}|{lead}|{by}|{key}")
}

/// A hash of the scoped key and the request's content.
pub fn fingerprint(scoped_key: &str, content: &impl Serialize) -> String {
    let mut h = Sha256::new();
    h.update((scoped_key.len() as u64).to_be_bytes());
    h.update(scoped_key.as_bytes());
    h.update(serde_json::to_vec(content).expect("request content serializes"));
    hex::encode(h.finalize())
}

/// Claims `key` for this request; without a key the work starts now with fresh ids.
pub async fn begin<T: DeserializeOwned>(
    services: &Services,
    route: &str,
    lead: LeadId,
    by: &str,
    key: Option<&str>,
    content: &impl Serialize,
) -> Result<Option<Keyed<T>>, KeyError> {
    let Some(key) = key else { return Ok(None) };
    let scoped = scoped(route, lead, by, key);
    let fp = fingerprint(&scoped, content);
    let now = services.clock.now();
    match services.idempotency.begin(&scoped, &fp, now, Duration::seconds(LEASE_SECONDS)).await? {
        Begin::Started { first_seen } => Ok(Some(Keyed::Fresh { at: first_seen, seed: fp, scoped })),
        Begin::Completed { body, .. } => {
            Ok(Some(Keyed::Replay(serde_json::from_str(&body).map_err(|e| StoreError::Invalid(format!("stored answer: {e}")))?)))
        }
        Begin::InProgress => Err(KeyError::InProgress),
        Begin::Mismatch => Err(KeyError::Reused),
    }
}

/// Stores the answer of a keyed change (later retries replay it), or gives the key back after a
/// failure so an immediate retry may proceed (its derived ids finish the same work).
pub async fn finish<T: Serialize, E>(services: &Services, scoped: &str, result: &Result<T, E>) -> Result<(), StoreError> {
    match result {
        Ok(answer) => {
            let body = serde_json::to_string(answer).expect("an answer serializes");
            services.idempotency.complete(scoped, 201, &body, services.clock.now()).await
        }
        Err(_) => {
            if let Err(e) = services.idempotency.release(scoped).await {
                tracing::warn!(error = %e, "could not release the idempotency key; a retry waits for its lease");
            }
            Ok(())
        }
    }
}
