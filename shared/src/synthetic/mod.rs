//! Deterministic generators of realistic data, for tests with known answers, benchmarks and
//! demos. Same seed, same data, on every machine.

pub mod people;
pub mod rng;

// Demo data for reports.
pub mod demo;
