//! Scenarios: the system's flows driven in-process through the handlers and use cases, on the
//! embedded adapters and on moto (intake -> queue -> acknowledge -> SMS, scoring and routing,
//! SLAs, cadences, webhooks, analytics, hygiene, merges, inquiries, business metrics and the outbox under faults), with a manual clock where time matters.
//!
//! One test binary, one module per subject. Tests share the process's one moto server
//! (`leadflow_tests::moto`) and nothing else: each builds its own embedded system, tables,
//! queues and phone numbers. A new scenario file is one `mod` line below; run one module with
//! `cargo test --test scenarios cadence_embedded::`.

mod acknowledge_embedded;
mod analytics_embedded;
mod analytics_moto;
mod cadence;
mod cadence_embedded;
mod consent_records;
mod cost_model;
mod e2e_moto;
mod hygiene_archive;
mod hygiene_intake;
mod hygiene_scoring_review;
mod inquiries;
mod lifecycle_embedded;
mod merges;
mod messages;
mod metrics_embedded;
mod outbox_faults;
mod provisioning;
mod scoring_routing;
mod sla_embedded;
mod webhooks_embedded;
mod webhooks_moto;
