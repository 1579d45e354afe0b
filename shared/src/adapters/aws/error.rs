//! SDK errors read the same way for every service: the service's code, a message for logs, and
//! whether the same request may succeed later.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// An SDK failure reduced to what callers decide on.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The service's error code, when the service answered (`ThrottlingException`, ...).
    pub code: Option<String>,
    /// Throttling, a 5xx answer, a timeout or a connection failure: retrying may succeed.
    pub transient: bool,
    /// What went wrong, for error values and logs. Service messages name fields, not values.
    pub detail: String,
}

/// Error codes that mean "slow down" or "we failed", across DynamoDB, SQS and SNS.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "Throttled",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "KMSThrottling",
    "KMSThrottlingException",
];

/// Classifies an SDK error.
pub(crate) fn failure<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let code = err.code().map(str::to_string);
            let transient = status >= 500 || status == 429 || code.as_deref().is_some_and(|c| TRANSIENT_CODES.contains(&c));
            let detail =
                format!("{} (HTTP {status}): {}", code.as_deref().unwrap_or("unknown error"), err.message().unwrap_or("no message"));
            Failure { code, transient, detail }
        }
        // The request never got an answer, or the answer was cut off: worth another try.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure { code: None, transient: true, detail: DisplayErrorContext(err).to_string() }
        }
        // The request could not be built: a bug or bad configuration, not an outage.
        _ => Failure { code: None, transient: false, detail: DisplayErrorContext(err).to_string() },
    }
}
