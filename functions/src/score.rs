//! `score`: the SQS consumer that scores, assigns and starts the response-time clock of each
//! lead event. All logic lives in `leadflow::handlers::score`; wired with
//! `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::sqs(services, leadflow::handlers::score::handle))
}
