//! `webhooks`: the public `POST /webhooks/...` routes. Each request is verified with its
//! provider's signature scheme, stored once and queued. All logic lives in
//! `leadflow::handlers::webhooks`.

use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    run(service_fn(|req| {
        let services = &services;
        async move { Ok::<_, std::convert::Infallible>(leadflow::handlers::webhooks::handle(services, req).await) }
    }))
    .await
}
