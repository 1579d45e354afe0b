//! `acknowledge`: the SQS consumer that sends the instant acknowledgement text. All logic lives
//! in `leadflow::handlers::acknowledge`; the function is wired with `ReportBatchItemFailures`.

use crate::serve::{self, Init};
use leadflow::ports::Consumer;

pub async fn init() -> Init {
    // Paced acknowledgements go back to its own queue with a delay.
    serve::require_queues(&[Consumer::Acknowledge, Consumer::Analytics])?;
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::sqs(services, leadflow::handlers::acknowledge::handle))
}
