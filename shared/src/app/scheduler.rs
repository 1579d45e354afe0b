//! Runs due items of one kind (see `ports::schedule`): reads the minute buckets from the kind's
//! cursor up to now, claims each due item by conditional write (so overlapping ticks never both
//! act on one), hands it to the handler, and records the outcome. The cursor only moves past a
//! bucket once it is closed (older than the grace period) and every item in it was handled, so
//! nothing is skipped after downtime or when a handler fails.
//!
//! Reusable by any kind of timed work: the SLA ladder uses kind `sla`; a cadence engine would
//! call [`run_due`] with its own kind and handler from the same scheduled function or its own.

use crate::ports::schedule::{minute_of, DueClaim, DueItem, DueStore};
use crate::ports::StoreError;
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use tracing::warn;

/// What the handler did with an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished: remove the item.
    Done,
    /// Replace the item by its next step (kept only if nobody cancelled it meanwhile).
    Chain(DueItem),
    /// Failed for now: the next tick tries again (until `max_attempts`).
    Retry,
}

/// Tuning of a tick.
#[derive(Debug, Clone, Copy)]
pub struct TickOptions {
    /// How long a claim protects an item (longer than the handler can take).
    pub lease: Duration,
    /// How far behind now the cursor stays, so an item written late into a minute is still read.
    pub grace: Duration,
    /// Buckets read at most per tick (catch-up after downtime continues next tick).
    pub max_buckets: usize,
    /// Items handled at most per tick.
    pub max_items: usize,
    /// Without a cursor (first run), how far back to start.
    pub first_lookback: Duration,
    /// Claims after which an item that keeps failing is given up (logged, removed).
    pub max_attempts: u32,
}

impl Default for TickOptions {
    fn default() -> Self {
        TickOptions {
            lease: Duration::seconds(60),
            grace: Duration::seconds(60),
            max_buckets: 180,
            max_items: 500,
            first_lookback: Duration::minutes(60),
            max_attempts: 5,
        }
    }
}

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    /// Key-range queries made (one per bucket read).
    pub buckets_read: usize,
    pub handled: usize,
    pub retried: usize,
    /// Held by an overlapping tick.
    pub busy: usize,
    /// Index entries of cancelled or rescheduled items, dropped.
    pub stale: usize,
    pub cursor: Option<DateTime<Utc>>,
}

/// Runs every due item of `kind` at `now`.
pub async fn run_due<F, Fut>(
    store: &dyn DueStore,
    kind: &str,
    now: DateTime<Utc>,
    opts: TickOptions,
    handler: F,
) -> Result<TickReport, StoreError>
where
    F: Fn(DueItem) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let mut report = TickReport::default();
    let cursor = store.cursor(kind).await?;
    let current = minute_of(now);
    let mut minute = match cursor {
        Some(c) => c + Duration::minutes(1),
        None => minute_of(now - opts.first_lookback),
    };
    // The newest bucket the cursor may pass: closed, and older than the grace period.
    let closable = minute_of(now - opts.grace) - Duration::minutes(1);
    let mut clean_until: Option<DateTime<Utc>> = cursor;
    let mut all_clean = true;
    while minute <= current && report.buckets_read < opts.max_buckets {
        let room = opts.max_items.saturating_sub(report.handled + report.retried);
        if room == 0 {
            break;
        }
        let entries = store.bucket(kind, minute, now, room).await?;
        report.buckets_read += 1;
        let mut bucket_clean = entries.len() < room;
        for entry in entries {
            match store.claim(&entry, now, opts.lease).await? {
                DueClaim::Stale => {
                    store.drop_entry(&entry, minute).await?;
                    report.stale += 1;
                }
                DueClaim::Busy => {
                    report.busy += 1;
                    bucket_clean = false;
                }
                DueClaim::Claimed(item) => match handler(item.clone()).await {
                    Outcome::Done => {
                        store.complete(&item).await?;
                        report.handled += 1;
                    }
                    Outcome::Chain(next) => {
                        store.chain(&item, &next, now).await?;
                        report.handled += 1;
                    }
                    Outcome::Retry if item.attempts >= opts.max_attempts => {
                        warn!(kind, key = %item.key, attempts = item.attempts, "giving up on a due item that keeps failing");
                        store.complete(&item).await?;
                        report.retried += 1;
                    }
                    Outcome::Retry => {
                        store.release(&item).await?;
                        report.retried += 1;
                        bucket_clean = false;
                    }
                },
            }
        }
        all_clean &= bucket_clean;
        if all_clean && minute <= closable {
            clean_until = Some(minute);
        }
        minute += Duration::minutes(1);
    }
    if let Some(to) = clean_until.filter(|to| cursor.is_none_or(|c| *to > c)) {
        // Losing this race only means another tick advanced it: nothing to do.
        store.advance_cursor(kind, cursor, to).await?;
    }
    report.cursor = store.cursor(kind).await?;
    Ok(report)
}
