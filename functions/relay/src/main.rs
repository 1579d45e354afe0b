//! `relay`: the transactional outbox's relay. The leads table's stream (keys only) delivers the
//! outbox records each lead write stored; this function sends each event to every consumer's
//! queue. All logic lives in `leadflow::handlers::relay`; the event source mapping (in
//! `template.yaml`) reports batch item failures, bisects a failing batch, retries a bounded
//! number of times and then sends the batch's description to an on-failure queue (alarmed).

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    // A consumer's queue missing from the environment fails the init, naming the variable,
    // instead of failing every record at delivery.
    leadflow::runtime::aws::require_queues(&leadflow::app::relay::required_consumers())?;
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<Event>| {
        let services = &services;
        async move { Ok::<_, Error>(leadflow::handlers::relay::handle(services, event.payload).await) }
    }))
    .await
}
