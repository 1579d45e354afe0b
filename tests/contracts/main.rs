//! Contract suites: one set of cases per port, held against the embedded adapter and the AWS
//! one on moto's server (`leadflow_tests::contract_suite!` instantiates each case per adapter).
//!
//! One test binary, one module per port. Every test makes its own uniquely named tables and
//! queues on the process's one moto server (`leadflow_tests::moto`), so the modules run in
//! parallel without resetting anything. A new suite is a file here and one `mod` line below;
//! run one with `cargo test --test contracts leads::`.

mod aggregates;
mod cadence;
mod config;
mod email;
mod integrations;
mod leads;
mod messaging;
mod metrics;
mod pacer;
mod records;
mod schedule;
mod security;
mod team;
