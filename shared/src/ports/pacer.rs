//! The shared state of the sender's pacing (`domain::pacing`): per origination identity, a
//! counter of parts taken and of requests refused per one-second window, and the time until
//! which each lane is backlogged or the identity cools down after provider throttling. Every
//! operation is one atomic write or read, so concurrent senders in any number of processes
//! share one limit.

use super::error::StoreError;
use crate::domain::pacing::{Lane, LaneCounts};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Until when each lane is backlogged, and the identity's cool-down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Epoch seconds per lane (0: not backlogged).
    pub lanes: [i64; 4],
    /// Epoch seconds until which nothing is sent (provider throttling).
    pub cool_until: i64,
}

impl Backlog {
    /// The latest time a lane above `lane` is backlogged until, if not before `now` (a
    /// higher lane keeps its retry second for itself).
    pub fn higher_until(&self, lane: Lane, now: DateTime<Utc>) -> Option<i64> {
        self.lanes[..lane.rank()].iter().copied().filter(|t| *t >= now.timestamp() && *t > 0).max()
    }
}

/// Pacing counters per origination identity.
#[async_trait]
pub trait SendPacer: Send + Sync {
    /// Adds `parts` to window `window` if that keeps it at or below `ceiling`; `false` when the
    /// window is full for this ceiling.
    async fn take(&self, identity: &str, window: i64, parts: u32, ceiling: u32) -> Result<bool, StoreError>;

    /// Counts a refused request of `lane` in `window` and returns the window's refusals per lane
    /// (this one included).
    async fn refuse(&self, identity: &str, window: i64, lane: Lane) -> Result<LaneCounts, StoreError>;

    /// The identity's backlog marks.
    async fn backlog(&self, identity: &str) -> Result<Backlog, StoreError>;

    /// Marks `lane` backlogged until `until` (never moves a mark back).
    async fn mark_backlog(&self, identity: &str, lane: Lane, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// Sets the cool-down mark (never moves it back).
    async fn cool(&self, identity: &str, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// Counts a provider throttle in the minute of `at`; the count this minute.
    async fn count_throttle(&self, identity: &str, at: DateTime<Utc>) -> Result<u32, StoreError>;
}
