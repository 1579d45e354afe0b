//! `relay`: the transactional outbox's relay. The leads table's stream (keys only) delivers the
//! outbox records each lead write stored; this function sends each event to every consumer's
//! queue. All logic lives in `leadflow::handlers::relay`; the event source mapping (in
//! `template.yaml`) reports batch item failures, bisects a failing batch, retries a bounded
//! number of times and then sends the batch's description to an on-failure queue (alarmed).

crate::serve::entry!(dynamodb_stream, leadflow::handlers::relay::handle);
