//! `intake`: the `POST /leads` Lambda. All logic lives in `leadflow::handlers::intake`.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|req| {
        let services = &services;
        async move { Ok::<_, std::convert::Infallible>(leadflow::handlers::intake::handle(services, req).await) }
    }))
    .await
}
