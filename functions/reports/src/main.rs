//! `reports`: the report and spend routes (`GET /reports/...`, `GET|POST /spend`, `POST
//! /spend/import`), behind the JWT authorizer. All logic lives in `leadflow::handlers::reports`.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|req| {
        let services = &services;
        async move { Ok::<_, std::convert::Infallible>(leadflow::handlers::reports::handle(services, req).await) }
    }))
    .await
}
