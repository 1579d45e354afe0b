//! leadflow's Lambda functions, in one executable.
//!
//! Every function in `template.yaml` is built from this binary (SAM builds it once for all of
//! them) and runs the entry point its `LEADFLOW_FUNCTION` setting names. Each entry point is a
//! module here (`intake.rs`, `acknowledge.rs`, ...): an `init` that builds what its function
//! needs and hands the function's handler (in `leadflow::handlers`) to the invocation loop for
//! its trigger ([`serve`]); a function that needs only the services is the one line
//! `serve::entry!(<trigger>, <handler>)`. Nothing else runs at start, so one function's cold
//! start never pays for another's set-up. A missing or unknown name, or a failing init, is
//! reported to Lambda as the init error ([`init_error`]).
//!
//! Adding a function: its entry point in `src/<module>.rs`, a `mod` line and a row in
//! [`FUNCTIONS`] here, the settings it reads in `leadflow::wiring::settings`, and in
//! `template.yaml` a function with the same `Metadata` as the others, `LEADFLOW_FUNCTION: <name>`
//! and those settings (`tests/lambda` checks that the executable and the template know the same
//! functions, `tests/infra` that the template sets what each reads).

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

use leadflow::wiring::settings::{self, FunctionSettings};
use serve::Init;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

/// The setting that names the function a process runs (set per function in `template.yaml`).
const FUNCTION_VAR: &str = "LEADFLOW_FUNCTION";

/// Runs a function's init with the settings it reads.
type Start = fn(&'static FunctionSettings) -> Pin<Box<dyn Future<Output = Init>>>;

/// Every function, by the name `LEADFLOW_FUNCTION` gives it (the template's function name
/// without the stack prefix).
const FUNCTIONS: &[(&str, Start)] = &[
    ("acknowledge", |s| Box::pin(acknowledge::init(s))),
    ("analytics", |s| Box::pin(analytics::init(s))),
    ("audit", |s| Box::pin(audit::init(s))),
    ("cadence", |s| Box::pin(cadence::init(s))),
    ("cadence-api", |s| Box::pin(cadence_api::init(s))),
    ("console", |s| Box::pin(console::init(s))),
    ("contacts", |s| Box::pin(contacts::init(s))),
    ("followup", |s| Box::pin(followup::init(s))),
    ("forms", |s| Box::pin(forms::init(s))),
    ("hygiene", |s| Box::pin(hygiene::init(s))),
    ("intake", |s| Box::pin(intake::init(s))),
    ("leads-api", |s| Box::pin(leads_api::init(s))),
    ("links", |s| Box::pin(links::init(s))),
    ("merges", |s| Box::pin(merges::init(s))),
    ("people", |s| Box::pin(people::init(s))),
    ("relay", |s| Box::pin(relay::init(s))),
    ("reports", |s| Box::pin(reports::init(s))),
    ("score", |s| Box::pin(score::init(s))),
    ("sla", |s| Box::pin(sla::init(s))),
    ("sources", |s| Box::pin(sources::init(s))),
    ("team", |s| Box::pin(team::init(s))),
    ("touchpoints", |s| Box::pin(touchpoints::init(s))),
    ("unsubscribe", |s| Box::pin(unsubscribe::init(s))),
    ("webhook-worker", |s| Box::pin(webhook_worker::init(s))),
    ("webhooks", |s| Box::pin(webhooks::init(s))),
    ("weekly-summary", |s| Box::pin(weekly_summary::init(s))),
];

/// The entry point `LEADFLOW_FUNCTION` names and the settings it reads, or why there is none
/// (naming the setting and every valid name).
fn select(name: Option<&str>) -> Result<(Start, &'static FunctionSettings), String> {
    let valid = || FUNCTIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => return Err(format!("{FUNCTION_VAR} is not set: set it to the function this process runs, one of {}", valid())),
        Some(name) => name,
    };
    let start = FUNCTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, start)| *start)
        .ok_or_else(|| format!("{FUNCTION_VAR} is `{name}`, which names no leadflow function: set it to one of {}", valid()))?;
    let settings = settings::of(name).ok_or_else(|| format!("the {name} function declares no settings in leadflow::wiring::settings"))?;
    Ok((start, settings))
}

#[tokio::main]
async fn main() -> ExitCode {
    leadflow::wiring::logging::init();
    let (start, settings) = match select(std::env::var(FUNCTION_VAR).ok().as_deref()) {
        Ok(selected) => selected,
        Err(message) => {
            init_error::report("UnknownFunction", &message).await;
            return ExitCode::FAILURE;
        }
    };
    let serving = match start(settings).await {
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
