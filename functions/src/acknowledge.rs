//! `acknowledge`: the SQS consumer that sends the instant acknowledgement text. All logic lives
//! in `leadflow::handlers::acknowledge`; the function is wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::sqs(services, leadflow::handlers::acknowledge::handle))
}
