//! `leads-api`: the team's lead routes (`GET /leads`, `GET /leads/{id}`, `POST
//! /leads/{id}/status|stakeholders|milestones`), behind the JWT authorizer. All logic lives in
//! `leadflow::handlers::leads_api`.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|req| {
        let services = &services;
        async move { Ok::<_, std::convert::Infallible>(leadflow::handlers::leads_api::handle(services, req).await) }
    }))
    .await
}
