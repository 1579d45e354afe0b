//! The job: compute the window from the watermark, run each step, advance the watermark only as
//! far as every step got. Adding a step = one line in [`STEPS`] and a module whose
//! `async fn run(services: &Services, window: &Window) -> Result<StepReport, StoreError>`.

use super::StepError;
use crate::app::Services;
use crate::ports::StoreError;
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use std::collections::BTreeMap;
use tracing::{info, warn};

/// The watermark's name.
pub const JOB: &str = "hygiene";

/// Which changes a run looks at: saved after `after` (exclusive), up to `until` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub after: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// What one step did: counts and ids only (never names, addresses or texts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub step: String,
    pub counts: BTreeMap<String, u64>,
    /// Ids the step acted on, by what it did (`merged`, `queued_for_review`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ids: BTreeMap<String, Vec<String>>,
    /// Set when the step stopped before `window.until` (too many changes for one run): the
    /// watermark advances only to here, so the next run continues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_until: Option<DateTime<Utc>>,
}

impl StepReport {
    pub fn new(step: &str) -> Self {
        StepReport { step: step.to_string(), ..Default::default() }
    }

    pub fn add(&mut self, count: &str, n: u64) {
        *self.counts.entry(count.to_string()).or_default() += n;
    }

    pub fn id(&mut self, what: &str, id: impl ToString) {
        self.ids.entry(what.to_string()).or_default().push(id.to_string());
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobReport {
    pub window: Window,
    pub steps: Vec<StepReport>,
    /// Steps that failed (step name and error); the watermark then stays where it was.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<(String, String)>,
    /// The watermark after the run.
    pub watermark: DateTime<Utc>,
}

type StepFn = for<'a> fn(&'a Services, &'a Window) -> BoxFuture<'a, Result<StepReport, StepError>>;

/// The steps, in order: duplicates first (a merge may close a record the others would touch),
/// then archiving, the expiry of archived personal data, and the deletion of old test records.
pub const STEPS: &[(&str, StepFn)] = &[
    ("duplicates", |s, w| Box::pin(async move { Ok(super::duplicates::run(s, w).await?) })),
    ("archive", |s, w| Box::pin(async move { Ok(record_keeping(super::archive::run(s, kept(w)).await?)) })),
    ("retention", |s, w| Box::pin(async move { Ok(record_keeping(super::retention::run(s, kept(w)).await?)) })),
    ("test_records", |s, w| Box::pin(async move { Ok(record_keeping(super::test_records::run(s, kept(w)).await?)) })),
];

/// The record-keeping steps' window: they look at `until` (now) and their configured periods.
fn kept(w: &Window) -> super::Window {
    super::Window { from: Some(w.after), to: w.until }
}

/// A record-keeping step's report in the job's shape: its counts, and the leads it changed.
fn record_keeping(r: super::StepReport) -> StepReport {
    let mut out = StepReport::new(r.step);
    out.add("examined", r.examined as u64);
    out.add("changed", r.changed as u64);
    out.add("skipped", r.skipped as u64);
    for id in r.lead_ids {
        out.id("changed", id);
    }
    out
}

/// The window of the next run at `now`: from the watermark (minus the configured overlap, for
/// writes that landed late), or the configured look-back on the first run.
pub async fn window(services: &Services, now: DateTime<Utc>) -> Result<Window, StoreError> {
    let cfg = &services.config.matching;
    let after = match services.dedupe.watermark(JOB).await? {
        Some(w) => w - Duration::seconds(i64::from(cfg.overlap_seconds)),
        None => now - Duration::days(i64::from(cfg.initial_lookback_days)),
    };
    Ok(Window { after, until: now })
}

/// Runs every step over the changes since the last run and advances the watermark.
pub async fn run(services: &Services) -> Result<JobReport, StoreError> {
    let now = services.clock.now();
    let window = window(services, now).await?;
    let mut steps = Vec::new();
    let mut failed = Vec::new();
    let mut reached = window.until;
    for (name, step) in STEPS {
        match step(services, &window).await {
            Ok(report) => {
                if let Some(t) = report.processed_until {
                    reached = reached.min(t);
                }
                info!(step = name, counts = ?report.counts, "hygiene step done");
                steps.push(report);
            }
            Err(e) => {
                warn!(step = name, error = %e, "hygiene step failed");
                failed.push((name.to_string(), e.to_string()));
            }
        }
    }
    let previous = services.dedupe.watermark(JOB).await?;
    let watermark = if failed.is_empty() {
        services.dedupe.set_watermark(JOB, reached).await?;
        reached
    } else {
        previous.unwrap_or(window.after)
    };
    let report = JobReport { window, steps, failed, watermark };
    info!(report = %serde_json::to_string(&report).unwrap_or_default(), "hygiene job done");
    Ok(report)
}
