//! Embedded in-process adapters: the default for the local runner and for fast tests. They keep
//! the same guarantees as the AWS adapters (atomic dedupe, conditional claims, idempotent
//! appends), checked by the shared contract suite.

mod audit;
// Duplicates, merges, review queue.
mod dedupe;
pub use dedupe::MemoryDedupeRecords;
pub mod event_source;
mod keys;
mod metrics;
pub use metrics::MemoryMetrics;
mod outbox;
mod pacer;
pub use pacer::MemoryPacer;
mod parameters;
pub use parameters::MemoryParameters;
mod person_data;
mod queue;
mod secrets;
mod sns_https;
mod store;
pub mod stream_source;

// Scoring, routing, SLAs.
mod notifier;
mod schedule;
mod team;
pub use schedule::MemoryDueStore;
pub use team::MemoryTeamStore;

// Data hygiene.
mod hygiene;
pub use hygiene::{MemoryRateCounter, StaticMailDomains};

mod visits;
pub use visits::MemoryVisitStore;

pub use audit::MemoryAuditLog;
pub use keys::LocalKeys;
// Attribution and KPIs.
mod aggregates;
pub use aggregates::MemoryAggregates;
// Follow-up cadences.
mod cadence;
pub use cadence::MemoryCadenceStore;

pub use outbox::{MemoryOutbox, OutboxEntry};
pub use queue::{MemoryQueue, QueueSettings, QueuedMessage};
pub use secrets::LocalSecrets;
pub use sns_https::StaticSnsHttps;
pub use store::MemoryStore;
pub use stream_source::MemoryStream;
