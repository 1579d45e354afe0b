//! `Idempotency-Key` records, one item per key, kept a day through the table's TTL.
//!
//! DynamoDB deletes expired items lazily (up to two days late), so every read and condition
//! treats an item whose `expires_at` has passed as absent.

use super::item::{get_millis, get_n, get_s, millis, n, s, Expr, Item};
use super::keys::{idempotency_pk, key, EXPIRES_AT, IDEM_SK};
use super::DynamoStore;
use crate::ports::{Begin, IdempotencyStore, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

const FINGERPRINT: &str = "fingerprint";
const STATE: &str = "state";
const FIRST_SEEN: &str = "first_seen";
const LOCKED_UNTIL: &str = "locked_until";
const STATUS: &str = "status";
const BODY: &str = "body";
const PENDING: &str = "pending";
const COMPLETED: &str = "completed";

/// How long a record is kept.
const RETENTION: Duration = Duration::hours(24);

/// Rounds of write-then-read before giving up (each lost round means another request moved).
const ATTEMPTS: usize = 3;

fn expires_at(now: DateTime<Utc>) -> i64 {
    (now + RETENTION).timestamp()
}

fn pending_item(key_text: &str, fingerprint: &str, now: DateTime<Utc>, lease: Duration) -> Item {
    let mut item = key(idempotency_pk(key_text), IDEM_SK);
    item.insert(FINGERPRINT.into(), s(fingerprint));
    item.insert(STATE.into(), s(PENDING));
    item.insert(FIRST_SEEN.into(), s(now.to_rfc3339()));
    item.insert(LOCKED_UNTIL.into(), millis(now + lease));
    item.insert(EXPIRES_AT.into(), n(expires_at(now)));
    item
}

/// What a stored record says to a new request with `fingerprint`; `None` when the caller may
/// take over a pending record whose lease ran out.
fn answer(item: &Item, fingerprint: &str, now: DateTime<Utc>) -> Result<Option<Begin>, StoreError> {
    if get_s(item, FINGERPRINT)? != fingerprint {
        return Ok(Some(Begin::Mismatch));
    }
    match get_s(item, STATE)? {
        COMPLETED => {
            let status = u16::try_from(get_n(item, STATUS)?).map_err(|_| StoreError::Invalid("malformed status".into()))?;
            Ok(Some(Begin::Completed { status, body: get_s(item, BODY)?.to_string() }))
        }
        PENDING if get_millis(item, LOCKED_UNTIL)? > now => Ok(Some(Begin::InProgress)),
        PENDING => Ok(None),
        other => Err(StoreError::Invalid(format!("unknown idempotency state {other:?}"))),
    }
}

fn first_seen(item: &Item) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(get_s(item, FIRST_SEEN)?)
        .map(|t| t.to_utc())
        .map_err(|_| StoreError::Invalid("malformed first_seen".into()))
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn begin(&self, key_text: &str, fingerprint: &str, now: DateTime<Utc>, lease: Duration) -> Result<Begin, StoreError> {
        let pk = idempotency_pk(key_text);
        for _ in 0..ATTEMPTS {
            let fresh = pending_item(key_text, fingerprint, now, lease);
            let absent = "attribute_not_exists(PK) OR #expires_at <= :now_s";
            let expr = Expr::new().name("#expires_at", EXPIRES_AT).value(":now_s", n(now.timestamp()));
            if self.put_if(fresh, Some((absent, expr))).await? {
                return Ok(Begin::Started { first_seen: now });
            }
            let Some(item) = self.read(key(pk.clone(), IDEM_SK), None).await? else {
                continue;
            };
            if get_n(&item, EXPIRES_AT)? <= now.timestamp() {
                continue;
            }
            if let Some(answer) = answer(&item, fingerprint, now)? {
                return Ok(answer);
            }
            // The earlier attempt's lease ran out (it crashed or gave up): take the key over,
            // unless another request does so first.
            let taken = self
                .update_if(
                    key(pk.clone(), IDEM_SK),
                    "SET #locked_until = :until",
                    "#state = :pending AND #locked_until <= :now AND #fingerprint = :fp AND #expires_at > :now_s",
                    Expr::new()
                        .name("#locked_until", LOCKED_UNTIL)
                        .name("#state", STATE)
                        .name("#fingerprint", FINGERPRINT)
                        .name("#expires_at", EXPIRES_AT)
                        .value(":until", millis(now + lease))
                        .value(":pending", s(PENDING))
                        .value(":now", millis(now))
                        .value(":fp", s(fingerprint))
                        .value(":now_s", n(now.timestamp())),
                )
                .await?;
            if taken {
                return Ok(Begin::Started { first_seen: first_seen(&item)? });
            }
        }
        Err(StoreError::Conflict)
    }

    async fn complete(&self, key_text: &str, status: u16, body: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let done = self
            .update_if(
                key(idempotency_pk(key_text), IDEM_SK),
                "SET #state = :completed, #status = :status, #body = :body, #expires_at = :expires REMOVE #locked_until",
                "attribute_exists(PK)",
                Expr::new()
                    .name("#state", STATE)
                    .name("#status", STATUS)
                    .name("#body", BODY)
                    .name("#expires_at", EXPIRES_AT)
                    .name("#locked_until", LOCKED_UNTIL)
                    .value(":completed", s(COMPLETED))
                    .value(":status", n(status))
                    .value(":body", s(body))
                    .value(":expires", n(expires_at(now))),
            )
            .await?;
        if done {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn release(&self, key_text: &str) -> Result<(), StoreError> {
        // Ending the lease now lets an immediate retry take the key; a completed record stays.
        self.update_if(
            key(idempotency_pk(key_text), IDEM_SK),
            "SET #locked_until = :zero",
            "#state = :pending",
            Expr::new().name("#locked_until", LOCKED_UNTIL).name("#state", STATE).value(":zero", n(0)).value(":pending", s(PENDING)),
        )
        .await
        .map(|_| ())
    }
}
