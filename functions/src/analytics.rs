//! `analytics`: the SQS consumer that keeps the report aggregates up to date (every lead event
//! brings that lead's share of the counters to its current truth). All logic lives in
//! `leadflow::handlers::analytics`; wired with `ReportBatchItemFailures`.

crate::serve::entry!(sqs, leadflow::handlers::analytics::handle);
