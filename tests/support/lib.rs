//! Shared helpers for the workspace-level tests.
//!
//! * [`moto`] starts one moto server per test process (or uses `LEADFLOW_MOTO_ENDPOINT`), one
//!   that answers one request at a time (`moto_server.py`), and reads what it recorded.
//! * [`aws`] points the SDK at it and makes fresh, uniquely named tables and queues, so tests
//!   run in parallel against one server without resetting it.
//! * [`leads`] builds domain values for tests.
//! * [`response`] drives scoring, routing and SLA scenarios on the embedded system.
//! * [`analytics`] replays demo leads through the analytics consumer.
//! * [`webhooks`] builds signed provider requests (with test secrets and a test SNS key).
//! * [`cadence`] runs follow-up cadence scenarios on either backend with a manual clock.
//! * [`http`] sends requests to the local runner over its socket.
//! * [`lambda`] runs the real function executable under a Lambda Runtime API emulator.
//! * [`runner`] waits for the local runner's queue consumers to finish.
//! * [`fuzz`] generates hostile inputs for property tests of the parsers.
//! * [`contract_suite!`] runs one set of contract test bodies against several adapters.

pub mod analytics;
pub mod aws;
pub mod cadence;
pub mod fuzz;
pub mod http;
pub mod lambda;
pub mod leads;
pub mod moto;
pub mod response;
pub mod runner;
pub mod webhooks;

mod suite;
