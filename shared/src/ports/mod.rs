//! The small traits the application talks through. Each has two adapters: AWS (DynamoDB, SQS,
//! SNS) and embedded in-process; one contract suite (in `tests/`) holds both to the same
//! behaviour.

pub mod alerts;
pub mod audit;
pub mod clock;
pub mod email;
pub mod error;
pub mod idempotency;
pub mod inbound;
pub mod jobs;
pub mod keys;
pub mod lead_listing;
pub mod lead_store;
pub mod metrics;
pub mod once;
pub mod outbox;
pub mod pacer;
pub mod parameters;
pub mod person_data;
pub mod queue;
pub mod secrets;
pub mod sms;
pub mod sns_https;
pub mod suppression;
pub mod timeline;

// Scoring, routing, SLAs.
pub mod notify;
pub mod schedule;
pub mod team;

// Attribution and KPIs.
pub mod aggregates;
// Data hygiene: duplicates, merges, the hygiene job.
pub mod dedupe;
// Follow-up cadences.
pub mod cadence;

pub use alerts::{AlertError, TeamAlert, TeamAlerts};
pub use audit::AuditLog;
pub use clock::{Clock, ManualClock, SystemClock};
pub use email::{EmailPurpose, EmailSender, OutboundEmail};
pub use error::StoreError;
pub use idempotency::{Begin, IdempotencyStore};
pub use inbound::{InboundStore, ProviderKey, Recorded, StoredInbound};
pub use jobs::JobQueue;
pub use keys::{DataKey, KeyContext, KeyError, KeyService};
pub use lead_listing::{InboxQueue, LeadFilter, LeadListing, LeadPage, ListCursor};
pub use lead_store::{Alongside, CaptureOutcome, LeadStore};
pub use metrics::{Metric, MetricRecord, Metrics};
pub use once::{Claim, OnceStore};
pub use pacer::{Backlog, SendPacer};
pub use parameters::{ParameterError, ParameterStore, ParameterVersion};
pub use person_data::{HeldRecord, PersonDataStore, PersonKeys};
pub use queue::{Consumer, EventQueue, QueueError};
pub use secrets::{SecretError, SecretSource};
pub use sms::{MessagePurpose, OutboundSms, SendError, SentMessage, SmsSender};
pub use sns_https::{SnsHttps, SnsHttpsError};
pub use suppression::SuppressionStore;
pub use timeline::{Page, TimelineStore};

pub use notify::{Notifier, NotifyError};
pub use schedule::{DueClaim, DueItem, DueStore};
pub use team::TeamStore;

pub use cadence::{CadenceStore, EnrollmentStore, TaskStore};
pub use dedupe::{DedupeStore, MatchIndex, MergeStore, MergeSummary, MergeWrite, PairKey, ReviewItem, ReviewQueue};
// Data hygiene.
pub mod mail_domains;
pub mod rate_limit;
pub mod record_hygiene;
pub use aggregates::{AggregateStore, Ledger};
pub use mail_domains::MailDomains;
pub use rate_limit::RateCounter;
pub use record_hygiene::RecordHygiene;
// The site snippet's anonymous visits.
pub mod visits;
pub use visits::{VisitEvent, VisitStore};
