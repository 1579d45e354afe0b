//! Deterministic generators of realistic data, for tests with known answers, benchmarks and
//! demos. Same seed, same data, on every machine. A crate of its own so that the Lambda
//! executable does not carry it: the tests, leadflow-bench and the local runner's demo use it.

pub mod people;
pub mod rng;

// Demo data for reports.
pub mod demo;
