//! What is deployed, checked on the files themselves: `template.yaml` (least-privilege roles
//! against `infra/permissions.toml`, one build for every function, schedules, queues, throttling,
//! TTL) and the operator configuration (`config/leadflow.toml` and `config/examples/`, mistakes
//! refused with key and line). No AWS, no network.
//!
//! One test binary, one module per subject; a new file is one `mod` line below. Run one module
//! with `cargo test --test infra template_policies::`.

mod config_response;
mod hygiene_template;
mod template_cadence;
mod template_dashboard;
mod template_environment;
mod template_functions;
mod template_policies;
