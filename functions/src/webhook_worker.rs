//! `webhook-worker`: the SQS consumer that does the work of verified webhook events (matching,
//! keywords, lifecycle moves, payments). All logic lives in `leadflow::handlers::webhook_worker`;
//! the function is wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::sqs(services, leadflow::handlers::webhook_worker::handle))
}
