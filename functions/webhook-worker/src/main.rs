//! `webhook-worker`: the SQS consumer that does the work of verified webhook events (matching,
//! keywords, lifecycle moves, payments). All logic lives in `leadflow::handlers::webhook_worker`;
//! the function is wired with `ReportBatchItemFailures`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let services = &services;
        async move { Ok::<_, Error>(leadflow::handlers::webhook_worker::handle(services, event.payload).await) }
    }))
    .await
}
