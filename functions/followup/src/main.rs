//! `followup`: runs the due follow-up cadence steps, invoked every minute by an EventBridge
//! schedule. All logic lives in `leadflow::handlers::followup`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        let services = &services;
        async move { leadflow::handlers::followup::handle(services, event.payload).await.map_err(Error::from) }
    }))
    .await
}
