//! Use cases, written once against the ports: the same code runs in Lambda and in the local
//! runner.

pub mod acknowledge;
pub mod audit;
pub mod compose;
pub mod contact_points;
pub mod email;
pub mod idempotent;
pub mod inbound;
pub mod intake;
pub mod leads;
pub mod lifecycle;
pub mod matching;
pub mod messaging;
pub mod metrics;
pub mod pacing;
pub mod person;
pub mod privacy;
pub mod references;
pub mod relay;
pub mod reminders;
pub mod services;
pub mod unsubscribe;
pub mod visits;
pub mod webform;
pub mod webhook_context;

// Scoring, routing, SLAs.
pub mod assign;
pub mod contacts;
pub mod decay;
pub mod notices;
pub mod scheduler;
pub mod score;
pub mod sla;
pub mod team;
pub mod touchpoints;
pub mod watch;

// Data hygiene: merges, review queue, the hygiene job.
pub mod hygiene;
pub mod merge;
// Follow-up cadences.
pub mod cadence;
// The minute tick: due appointment reminders and cadence steps.
pub mod timed_work;
// Data hygiene.
pub mod intake_screen;
pub mod scoring_review;
// Attribution and KPIs.
pub mod analytics;
// The staff console: the inbox, search, staff messages.
pub mod conversation;
pub mod inbox;
pub mod search;

pub use services::Services;
