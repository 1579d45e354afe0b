//! A function that cannot start tells Lambda why (`POST /runtime/init/error`): the invoke's
//! answer, the console and the `INIT_REPORT` log line then name what is wrong instead of a bare
//! "Runtime exited with an error".

use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::body::Body;

/// Where Lambda's Runtime API listens (`host:port`); unset outside Lambda and its emulators.
const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";
const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";

/// Logs the failed init and reports it to the Runtime API, if there is one. The message names
/// settings and names, never personal data. The process exits after this: Lambda starts a new
/// one for the next invocation.
pub async fn report(error_type: &str, message: &str) {
    tracing::error!(error_type, error = message, "the function cannot start");
    let Some(api) = std::env::var(RUNTIME_API_VAR).ok().filter(|v| !v.trim().is_empty()) else {
        return;
    };
    let endpoint = match api.trim().parse::<http::Uri>() {
        Ok(uri) => uri,
        Err(e) => {
            tracing::error!(error = %e, "{RUNTIME_API_VAR} is not host:port; the init error stays in the log");
            return;
        }
    };
    let diagnostic = Diagnostic { error_type: error_type.to_string(), error_message: message.to_string() };
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri(INIT_ERROR_PATH)
        .header("lambda-runtime-function-error-type", error_type)
        .body(Body::from(serde_json::to_vec(&diagnostic).unwrap_or_default()));
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the init error report; it stays in the log");
            return;
        }
    };
    let client = lambda_runtime_api_client::PooledClient::builder().with_endpoint(endpoint).build();
    match client.call(request).await {
        Ok(answer) if answer.status().is_success() => {}
        Ok(answer) => tracing::error!(status = %answer.status(), "the Runtime API refused the init error report"),
        Err(e) => tracing::error!(error = %e, "cannot report the init error to the Runtime API"),
    }
}
