//! `cadence`: the SQS consumer that enrolls leads in follow-up cadences, switches and stops
//! them, and closes call tasks with their outcome. All logic lives in
//! `leadflow::handlers::cadence`; wired with `ReportBatchItemFailures`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let services = &services;
        async move { Ok::<_, Error>(leadflow::handlers::cadence::handle(services, event.payload).await) }
    }))
    .await
}
