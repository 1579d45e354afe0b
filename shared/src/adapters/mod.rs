//! Adapters: each port implemented on AWS (`aws`) and embedded in-process (`memory`).

pub mod aws;
pub mod memory;
