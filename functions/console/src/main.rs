//! `console`: the staff console's pages (`GET /`, `GET|POST /console/...`) behind the HTTP API,
//! signing staff in through the Cognito user pool's hosted UI (authorization code + PKCE). The
//! pages act through the API's own handlers in-process. All logic lives in `leadflow::console`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    leadflow::runtime::logging::init();
    let services = leadflow::runtime::aws::init_from_env().await?;
    let console = leadflow::runtime::aws::console_from_env(services).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        let console = &console;
        async move { Ok::<_, std::convert::Infallible>(console.handle(req).await) }
    }))
    .await
}
