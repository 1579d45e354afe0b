//! `cadence`: the SQS consumer that enrolls leads in follow-up cadences, switches and stops
//! them, and closes call tasks with their outcome. All logic lives in
//! `leadflow::handlers::cadence`; wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::sqs(services, leadflow::handlers::cadence::handle))
}
