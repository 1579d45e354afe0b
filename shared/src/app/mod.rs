//! Use cases, written once against the ports: the same code runs in Lambda and in the local
//! runner.

pub mod acknowledge;
pub mod intake;
pub mod messaging;
pub mod services;

pub use services::Services;
