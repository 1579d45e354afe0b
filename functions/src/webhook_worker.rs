//! `webhook-worker`: the SQS consumer that does the work of verified webhook events (matching,
//! keywords, lifecycle moves, payments). All logic lives in `leadflow::handlers::webhook_worker`;
//! the function is wired with `ReportBatchItemFailures`.

crate::serve::entry!(sqs, leadflow::handlers::webhook_worker::handle);
