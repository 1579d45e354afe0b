//! `analytics`: the SQS consumer that keeps the report aggregates up to date (every lead event
//! brings that lead's share of the counters to its current truth). All logic lives in
//! `leadflow::handlers::analytics`; wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::sqs(services, leadflow::handlers::analytics::handle))
}
