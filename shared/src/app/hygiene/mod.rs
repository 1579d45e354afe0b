//! Data hygiene: the daily job ([`job`]) and its steps. The job reads only what changed
//! since its last run (the watermark) and reports what it did in counts and ids. It runs from an
//! EventBridge schedule in AWS (`functions/src/hygiene.rs`) and from `POST /local/jobs/hygiene` in the
//! local runner. The duplicate step works on the job's window of changes; the record-keeping
//! steps (archive, retention, test records) look at `now` and their configured periods, through
//! the smaller [`Window`] and [`StepReport`] below.

pub mod archive;
pub mod duplicates;
pub mod job;
pub mod retention;
pub mod test_records;

pub use job::{run, JobReport};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The time range a record-keeping step covers: the steps here look at `to` (now) and the configured periods;
/// `from` (the previous run) is for incremental detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
}

/// What a record-keeping step did, for the job's report (counts and ids only, no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub step: &'static str,
    /// Records looked at.
    pub examined: usize,
    /// Records changed (archived, expired, deleted).
    pub changed: usize,
    /// Records left for the next run (a page limit, a busy lead).
    pub skipped: usize,
    pub lead_ids: Vec<crate::domain::LeadId>,
}

/// Why a step stopped.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
    #[error(transparent)]
    Transition(#[from] crate::app::lifecycle::TransitionError),
}
