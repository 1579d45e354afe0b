//! Once-only markers: `ONCE#{action}` items under the lead's partition, claimed with a lease and
//! then marked done with the outcome.

use super::item::{get_millis, get_s, millis, n, s, Expr, Item};
use super::keys::{key, lead_pk, once_sk};
use super::DynamoStore;
use crate::domain::LeadId;
use crate::ports::{Claim, OnceStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

const STATE: &str = "state";
const UNTIL: &str = "until";
const OUTCOME: &str = "outcome";
const AT: &str = "at";
const CLAIMED: &str = "claimed";
const DONE: &str = "done";

/// Rounds of write-then-read before giving up (a marker that vanishes between the two).
const ATTEMPTS: usize = 3;

fn marker_key(lead_id: LeadId, action: &str) -> Item {
    key(lead_pk(lead_id), once_sk(action))
}

#[async_trait]
impl OnceStore for DynamoStore {
    async fn claim(&self, lead_id: LeadId, action: &str, now: DateTime<Utc>, lease: Duration) -> Result<Claim, StoreError> {
        for _ in 0..ATTEMPTS {
            let mut item = marker_key(lead_id, action);
            item.insert(STATE.into(), s(CLAIMED));
            item.insert(UNTIL.into(), millis(now + lease));
            // Free, or claimed by a holder whose lease ran out (it died without abandoning).
            let free = "attribute_not_exists(PK) OR (#state = :claimed AND #until <= :now)";
            let expr = Expr::new().name("#state", STATE).name("#until", UNTIL).value(":claimed", s(CLAIMED)).value(":now", millis(now));
            if self.put_if(item, Some((free, expr))).await? {
                return Ok(Claim::Acquired);
            }
            let Some(current) = self.read(marker_key(lead_id, action), None).await? else {
                continue;
            };
            match get_s(&current, STATE)? {
                DONE => return Ok(Claim::Done { outcome: get_s(&current, OUTCOME)?.to_string() }),
                CLAIMED if get_millis(&current, UNTIL)? > now => return Ok(Claim::Held),
                CLAIMED => continue,
                other => return Err(StoreError::Invalid(format!("unknown marker state {other:?}"))),
            }
        }
        Err(StoreError::Conflict)
    }

    async fn finish(&self, lead_id: LeadId, action: &str, outcome: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = marker_key(lead_id, action);
        item.insert(STATE.into(), s(DONE));
        item.insert(OUTCOME.into(), s(outcome));
        item.insert(AT.into(), s(now.to_rfc3339()));
        self.put_if(item, None).await.map(|_| ())
    }

    async fn abandon(&self, lead_id: LeadId, action: &str) -> Result<(), StoreError> {
        // Ends the lease instead of deleting the marker: the functions that abandon may update
        // items but not delete them. A done marker is left alone.
        self.update_if(
            marker_key(lead_id, action),
            "SET #until = :zero",
            "#state = :claimed",
            Expr::new().name("#until", UNTIL).name("#state", STATE).value(":zero", n(0)).value(":claimed", s(CLAIMED)),
        )
        .await
        .map(|_| ())
    }
}
