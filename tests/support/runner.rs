//! Waiting for the local runner's own outbox relay and queue consumers (its stand-ins for the
//! stream's and Lambda's SQS triggers) to finish, instead of sleeping for a while and hoping they did.

use leadflow::wiring::embedded::EmbeddedSystem;
use std::time::Duration;

/// A bound on waiting only: the consumers finish in milliseconds on an idle machine, a loaded
/// one can stall them for seconds. Reaching it means they are stuck.
pub const WAIT_LIMIT: Duration = Duration::from_secs(120);

/// Waits until the runner's relay has relayed every outbox record written so far and its
/// consumers have handled everything queued: no record waiting, no message waiting and none
/// being handled (the relay sends a record's messages before it moves past the record; a failed
/// record or message counts until it is retried or set aside). Nothing more
/// is sent or stored until the next request or tick, so a test can then read the outcome, and
/// count what was sent knowing that a duplicate would be there. It handles nothing itself (what
/// is shown is the runner's own consumers at work); for a system stepped by hand, without
/// consumers, use `EmbeddedSystem::drain_queues`.
pub async fn wait_for_consumers(system: &EmbeddedSystem) {
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    while system.stream.pending().await > 0 || system.queue.total_depth() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the runner's relay and consumers did not finish within {WAIT_LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
