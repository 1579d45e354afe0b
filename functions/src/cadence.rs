//! `cadence`: the SQS consumer that enrolls leads in follow-up cadences, switches and stops
//! them, and closes call tasks with their outcome. All logic lives in
//! `leadflow::handlers::cadence`; wired with `ReportBatchItemFailures`.

crate::serve::entry!(sqs, leadflow::handlers::cadence::handle);
