//! `analytics`: the SQS consumer that keeps the report aggregates up to date (every lead event
//! brings that lead's share of the counters to its current truth). All logic lives in
//! `leadflow::handlers::analytics`; wired with `ReportBatchItemFailures`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let services = &services;
        async move { Ok::<_, Error>(leadflow::handlers::analytics::handle(services, event.payload).await) }
    }))
    .await
}
