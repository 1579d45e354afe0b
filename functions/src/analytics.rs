//! `analytics`: the SQS consumer that keeps the report aggregates up to date (every lead event
//! brings that lead's share of the counters to its current truth). All logic lives in
//! `leadflow::handlers::analytics`; wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::sqs(services, leadflow::handlers::analytics::handle))
}
