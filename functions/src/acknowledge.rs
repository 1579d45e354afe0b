//! `acknowledge`: the SQS consumer that sends the instant acknowledgement text. All logic lives
//! in `leadflow::handlers::acknowledge`; the function is wired with `ReportBatchItemFailures`.

crate::serve::entry!(sqs, leadflow::handlers::acknowledge::handle);
