//! Use cases, written once against the ports: the same code runs in Lambda and in the local
//! runner.

pub mod acknowledge;
pub mod inbound;
pub mod intake;
pub mod leads;
pub mod lifecycle;
pub mod matching;
pub mod messaging;
pub mod services;
pub mod webhook_context;

pub use services::Services;
