//! The real `leadflow-functions` executable, run as Lambda runs it: a process whose
//! `AWS_LAMBDA_RUNTIME_API` points at a Runtime API served by the test (`runtime_api`), with
//! only the settings a test gives it.
//!
//! One test binary, one module per subject; a new file is one `mod` line below. Run one module
//! with `cargo test -p leadflow-functions --test lambda init::`.

mod init;
mod runtime_api;
