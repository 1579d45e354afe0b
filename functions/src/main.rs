//! leadflow's Lambda functions, in one executable.
//!
//! Every function in `template.yaml` is built from this binary (SAM builds it once for all of
//! them) and runs the entry point its `LEADFLOW_FUNCTION` setting names. Each entry point is a
//! module here (`intake.rs`, `acknowledge.rs`, ...): an `init` that builds what its function
//! needs and hands the function's handler (in `leadflow::handlers`) to the invocation loop for
//! its trigger ([`serve`]). Nothing else runs at start, so one function's cold start never pays
//! for another's set-up. A missing or unknown name, or a failing init, is reported to Lambda as
//! the init error ([`init_error`]).
//!
//! Adding a function: its entry point in `src/<module>.rs`, a `mod` line and a row in
//! [`FUNCTIONS`] here, and in `template.yaml` a function with the same `Metadata` as the others
//! and `LEADFLOW_FUNCTION: <name>` (`tests/lambda` checks that both lists agree).

mod acknowledge;
mod analytics;
mod audit;
mod cadence;
mod cadence_api;
mod console;
mod contacts;
mod followup;
mod forms;
mod hygiene;
mod intake;
mod leads_api;
mod links;
mod merges;
mod people;
mod relay;
mod reports;
mod score;
mod sla;
mod sources;
mod team;
mod touchpoints;
mod unsubscribe;
mod webhook_worker;
mod webhooks;
mod weekly_summary;

mod init_error;
mod serve;

use serve::Init;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

/// The setting that names the function a process runs (set per function in `template.yaml`).
const FUNCTION_VAR: &str = "LEADFLOW_FUNCTION";

/// Runs a function's init.
type Start = fn() -> Pin<Box<dyn Future<Output = Init>>>;

/// Every function, by the name `LEADFLOW_FUNCTION` gives it (the template's function name
/// without the stack prefix).
const FUNCTIONS: &[(&str, Start)] = &[
    ("acknowledge", || Box::pin(acknowledge::init())),
    ("analytics", || Box::pin(analytics::init())),
    ("audit", || Box::pin(audit::init())),
    ("cadence", || Box::pin(cadence::init())),
    ("cadence-api", || Box::pin(cadence_api::init())),
    ("console", || Box::pin(console::init())),
    ("contacts", || Box::pin(contacts::init())),
    ("followup", || Box::pin(followup::init())),
    ("forms", || Box::pin(forms::init())),
    ("hygiene", || Box::pin(hygiene::init())),
    ("intake", || Box::pin(intake::init())),
    ("leads-api", || Box::pin(leads_api::init())),
    ("links", || Box::pin(links::init())),
    ("merges", || Box::pin(merges::init())),
    ("people", || Box::pin(people::init())),
    ("relay", || Box::pin(relay::init())),
    ("reports", || Box::pin(reports::init())),
    ("score", || Box::pin(score::init())),
    ("sla", || Box::pin(sla::init())),
    ("sources", || Box::pin(sources::init())),
    ("team", || Box::pin(team::init())),
    ("touchpoints", || Box::pin(touchpoints::init())),
    ("unsubscribe", || Box::pin(unsubscribe::init())),
    ("webhook-worker", || Box::pin(webhook_worker::init())),
    ("webhooks", || Box::pin(webhooks::init())),
    ("weekly-summary", || Box::pin(weekly_summary::init())),
];

/// The entry point `LEADFLOW_FUNCTION` names, or why there is none (naming the setting and
/// every valid name).
fn select(name: Option<&str>) -> Result<Start, String> {
    let valid = || FUNCTIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Err(format!("{FUNCTION_VAR} is not set: set it to the function this process runs, one of {}", valid())),
        Some(name) => FUNCTIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, start)| *start)
            .ok_or_else(|| format!("{FUNCTION_VAR} is `{name}`, which names no leadflow function: set it to one of {}", valid())),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    leadflow::runtime::logging::init();
    let start = match select(std::env::var(FUNCTION_VAR).ok().as_deref()) {
        Ok(start) => start,
        Err(message) => {
            init_error::report("UnknownFunction", &message).await;
            return ExitCode::FAILURE;
        }
    };
    let serving = match start().await {
        Ok(serving) => serving,
        Err(e) => {
            init_error::report("InitError", &e.to_string()).await;
            return ExitCode::FAILURE;
        }
    };
    match serving.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Runtime API loop ended");
            ExitCode::FAILURE
        }
    }
}
