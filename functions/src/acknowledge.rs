//! `acknowledge`: the SQS consumer that sends the instant acknowledgement text. All logic lives
//! in `leadflow::handlers::acknowledge`; the function is wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::sqs(services, leadflow::handlers::acknowledge::handle))
}
