//! `score`: the SQS consumer that scores, assigns and starts the response-time clock of each
//! lead event. All logic lives in `leadflow::handlers::score`; wired with
//! `ReportBatchItemFailures`.

crate::serve::entry!(sqs, leadflow::handlers::score::handle);
