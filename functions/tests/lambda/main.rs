//! The real `leadflow-functions` executable, run as Lambda runs it: a process whose
//! `AWS_LAMBDA_RUNTIME_API` points at a Runtime API served by the test, with only the settings a
//! test gives it: its init (`init`), and every path end to end against moto provisioned from
//! the template (`aws_mode`).
//!
//! One test binary, one module per subject; a new file is one `mod` line below. Run one module
//! with `cargo test -p leadflow-functions --test lambda init::`.

mod aws_mode;
mod cold_start;
mod init;
