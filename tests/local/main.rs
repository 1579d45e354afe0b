//! The local runner over real HTTP: what a web form, a staff member with a token and a
//! provider's webhook see (routes, the role matrix, the audit trail, reports, person rights),
//! each test on its own runner on a free port (`leadflow_local::start`), some also on moto.
//!
//! One test binary, one module per subject; a new file is one `mod` line below. Run one module
//! with `cargo test --test local security_matrix::`.

mod audit_trail;
mod cadence_routes;
mod console_api;
mod console_pages;
mod leads_api;
mod local_runner;
mod openapi_contract;
mod person_rights;
mod reports;
mod security_matrix;
mod source_audit;
mod staff_routes;
mod webform;
