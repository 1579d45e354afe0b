//! leadflow: capture every lead, answer it in seconds, follow it up until it converts.
//!
//! * [`domain`] is pure Rust: leads and the rules about them, with time injected.
//! * [`ports`] are the small traits the application talks through (store, queue, SMS, clock).
//! * [`adapters`] implement each port twice: on AWS and embedded in-process.
//! * [`app`] holds the use cases, written once against the ports.
//! * [`handlers`] are the Lambda entry points (also driven by the local runner).
//! * [`console`] is the staff console: server-rendered pages over the same handlers.
//! * [`auth`] (who is calling and what they may do) and [`crypto`] (sealed fields) are the
//!   security mechanisms every route and store goes through; see SECURITY.md.
//! * [`wiring`] puts adapters and services together for each environment: AWS (the Lambda
//!   functions) or embedded in-process (the local runner and the tests), plus logging and the
//!   settings each function reads.

pub mod adapters;
pub mod app;
pub mod auth;
pub mod config;
pub mod console;
pub mod crypto;
pub mod domain;
pub mod handlers;
pub mod http;
pub mod ports;
pub mod render;
pub mod webhooks;
pub mod wiring;
