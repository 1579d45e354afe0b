//! The invocation loops, one per kind of trigger: an entry point builds what its function needs
//! and hands its handler to one of these.
//!
//! The services live as long as the process (a Lambda execution environment runs one function
//! until it is shut down), so they are leaked to `&'static`: every handler borrows them, and no
//! invocation pays for a reference count.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use leadflow::app::Services;
use std::future::Future;
use std::pin::Pin;

pub use lambda_runtime::Error;

/// An initialized function's invocation loop, not started yet: it runs until the Runtime API
/// goes away.
pub type Serving = Pin<Box<dyn Future<Output = Result<(), Error>>>>;

/// What an entry point's `init` answers: the loop to run, or why the function cannot start
/// (reported to Lambda as the init error).
pub type Init = Result<Serving, Error>;

/// An entry point whose function needs only the services: its `init` builds them from the
/// function's settings and hands `handler` to the invocation loop for its trigger, one of
/// [`http`], [`sqs`], [`schedule`] or [`dynamodb_stream`]:
///
/// ```ignore
/// crate::serve::entry!(sqs, leadflow::handlers::acknowledge::handle);
/// ```
macro_rules! entry {
    ($trigger:ident, $handler:path) => {
        pub async fn init(settings: &'static leadflow::wiring::settings::FunctionSettings) -> $crate::serve::Init {
            let services = leadflow::wiring::aws::init_from_env(settings).await?;
            Ok($crate::serve::$trigger(services, $handler))
        }
    };
}
pub(crate) use entry;

fn for_the_process<S>(state: S) -> &'static S {
    Box::leak(Box::new(state))
}

/// An HTTP API route (API Gateway payload 2.0): every request to `handler`, whose response is
/// the answer. Handlers answer every failure themselves (a status and a JSON body).
pub fn http<F, Fut>(services: Services, handler: F) -> Serving
where
    F: Fn(&'static Services, lambda_http::Request) -> Fut + 'static,
    Fut: Future<Output = lambda_http::Response<lambda_http::Body>> + Send + 'static,
{
    http_with(services, handler)
}

/// [`http`] for a handler that needs more than the services (the console: its sign-in).
pub fn http_with<S, F, Fut>(state: S, handler: F) -> Serving
where
    S: 'static,
    F: Fn(&'static S, lambda_http::Request) -> Fut + 'static,
    Fut: Future<Output = lambda_http::Response<lambda_http::Body>> + Send + 'static,
{
    let services = for_the_process(state);
    Box::pin(lambda_http::run(lambda_http::service_fn(move |request| {
        let response = handler(services, request);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    })))
}

/// An SQS consumer wired with `ReportBatchItemFailures`: the handler answers which records
/// failed, and only those are delivered again.
pub fn sqs<F, Fut>(services: Services, handler: F) -> Serving
where
    F: Fn(&'static Services, SqsEvent) -> Fut + 'static,
    Fut: Future<Output = SqsBatchResponse> + Send + 'static,
{
    let services = for_the_process(services);
    Box::pin(lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
        let answer = handler(services, event.payload);
        async move { Ok::<_, Error>(answer.await) }
    })))
}

/// A DynamoDB stream consumer wired with `ReportBatchItemFailures`: the handler answers the
/// first record that failed, and the stream retries from there, in order.
pub fn dynamodb_stream<F, Fut>(services: Services, handler: F) -> Serving
where
    F: Fn(&'static Services, aws_lambda_events::dynamodb::Event) -> Fut + 'static,
    Fut: Future<Output = aws_lambda_events::streams::DynamoDbEventResponse> + Send + 'static,
{
    let services = for_the_process(services);
    Box::pin(lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::dynamodb::Event>| {
            let answer = handler(services, event.payload);
            async move { Ok::<_, Error>(answer.await) }
        },
    )))
}

/// A scheduled job (EventBridge): the handler's report is the answer, and its error fails the
/// invocation (the function's error alarm counts it; the next tick picks the work up again).
pub fn schedule<F, Fut, T, E>(services: Services, handler: F) -> Serving
where
    F: Fn(&'static Services, EventBridgeEvent) -> Fut + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: serde::Serialize + 'static,
    E: Into<Error> + 'static,
{
    let services = for_the_process(services);
    Box::pin(lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<EventBridgeEvent>| {
        let report = handler(services, event.payload);
        async move { report.await.map_err(Into::into) }
    })))
}
