//! The daily hygiene job (issue 7): a list of steps, each reading only what changed since the
//! job's last run (the watermark) and reporting what it did in counts and ids. Runs from an
//! EventBridge schedule in AWS (`functions/hygiene`) and from `POST /local/jobs/hygiene` in the
//! local runner.

pub mod duplicates;
pub mod job;

pub use job::{run, JobReport, StepReport, Window};
