//! Process wiring: logging set-up and the two ways to build [`Services`](crate::app::Services)
//! — on AWS from the Lambda environment, or embedded in-process.

pub mod aws;
pub mod embedded;
pub mod logging;

/// The whole `main` of an HTTP API Lambda function: logging, the services built from the
/// environment (a bad configuration fails the init, naming key and line), and every request
/// handed to `$handler(&services, request)`. The function crate depends on `tokio` and
/// `lambda_http`, as every HTTP function does.
///
/// ```ignore
/// leadflow::http_function!(leadflow::handlers::team::handle);
/// ```
#[macro_export]
macro_rules! http_function {
    ($handler:path) => {
        #[tokio::main]
        async fn main() -> Result<(), lambda_http::Error> {
            $crate::runtime::logging::init();
            let services = $crate::runtime::aws::init_from_env().await?;
            lambda_http::run(lambda_http::service_fn(|req| {
                let services = &services;
                async move { Ok::<_, std::convert::Infallible>($handler(services, req).await) }
            }))
            .await
        }
    };
}
