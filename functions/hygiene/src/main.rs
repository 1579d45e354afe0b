//! `hygiene`: the daily data-hygiene job (duplicates since the last run), invoked by an
//! EventBridge schedule. All logic lives in `leadflow::handlers::hygiene`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        let services = &services;
        async move { leadflow::handlers::hygiene::handle(services, event.payload).await.map_err(Error::from) }
    }))
    .await
}
