//! Data hygiene steps (issue 7). Each step is `async fn run(services, window)` returning a
//! [`StepReport`]; the daily hygiene job runs them in turn (and the local runner can too).

pub mod archive;
pub mod retention;
pub mod test_records;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The time range a run covers: the steps here look at `to` (now) and the configured periods;
/// `from` (the previous run) is for incremental detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: DateTime<Utc>,
}

/// What a step did, for the job's report (counts and ids only, no personal data).
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
