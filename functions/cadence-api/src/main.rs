//! `cadence-api`: an HTTP API Lambda behind the Cognito JWT authorizer (tasks, cadence pause and
//! resume). All logic lives in `leadflow::handlers::cadence_api`.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|req| {
        let services = &services;
        async move { Ok::<_, std::convert::Infallible>(leadflow::handlers::cadence_api::handle(services, req).await) }
    }))
    .await
}
