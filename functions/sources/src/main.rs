//! `sources`: the source-tag audit (`GET /sources/audit`) and bulk re-tagging (`POST
//! /sources/retag`), behind the JWT authorizer. All logic lives in `leadflow::handlers::sources`.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|req| {
        let services = &services;
        async move { Ok::<_, std::convert::Infallible>(leadflow::handlers::sources::handle(services, req).await) }
    }))
    .await
}
