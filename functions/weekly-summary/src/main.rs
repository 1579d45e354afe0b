//! `weekly-summary`: last week's KPIs emailed to the configured staff recipients, invoked by an
//! EventBridge schedule every Monday. All logic lives in `leadflow::handlers::weekly_summary`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        let services = &services;
        async move { leadflow::handlers::weekly_summary::handle(services, event.payload).await.map_err(Error::from) }
    }))
    .await
}
