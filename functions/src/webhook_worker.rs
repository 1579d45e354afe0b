//! `webhook-worker`: the SQS consumer that does the work of verified webhook events (matching,
//! keywords, lifecycle moves, payments). All logic lives in `leadflow::handlers::webhook_worker`;
//! the function is wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::ports::Consumer;

pub async fn init() -> Init {
    // Paced keyword replies go back to its own queue with a delay.
    serve::require_queues(&[Consumer::Webhooks, Consumer::Score, Consumer::Cadence, Consumer::Analytics])?;
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::sqs(services, leadflow::handlers::webhook_worker::handle))
}
