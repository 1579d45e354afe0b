//! `cadence`: the SQS consumer that enrolls leads in follow-up cadences, switches and stops
//! them, and closes call tasks with their outcome. All logic lives in
//! `leadflow::handlers::cadence`; wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::sqs(services, leadflow::handlers::cadence::handle))
}
