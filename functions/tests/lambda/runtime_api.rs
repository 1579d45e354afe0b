//! A Lambda Runtime API for tests, on a free local port: it records what the executable reports
//! at init (`POST /runtime/init/error`). Functions that get past init wait on `next`, which never
//! answers here.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// One `POST /runtime/init/error`: the error-type header and the JSON body.
#[derive(Debug, Clone)]
pub struct InitError {
    pub header: Option<String>,
    pub body: Value,
}

impl InitError {
    pub fn error_type(&self) -> &str {
        self.body["errorType"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["errorMessage"].as_str().unwrap_or_default()
    }
}

pub struct RuntimeApi {
    addr: SocketAddr,
    init_errors: Arc<Mutex<Vec<InitError>>>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let init_errors = Arc::new(Mutex::new(Vec::new()));
        let recorded = init_errors.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| answer(recorded.clone(), request));
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
                });
            }
        });
        RuntimeApi { addr, init_errors, server }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for a process using this API.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn init_errors(&self) -> Vec<InitError> {
        self.init_errors.lock().unwrap().clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    recorded: Arc<Mutex<Vec<InitError>>>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    if parts.method == hyper::Method::POST && parts.uri.path() == "/2018-06-01/runtime/init/error" {
        let header = parts.headers.get("lambda-runtime-function-error-type").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        recorded.lock().unwrap().push(InitError { header, body });
        return Ok(Response::builder().status(StatusCode::ACCEPTED).body(Full::new(Bytes::from_static(br#"{"status":"OK"}"#))).unwrap());
    }
    if parts.uri.path() == "/2018-06-01/runtime/invocation/next" {
        std::future::pending::<()>().await;
    }
    Ok(Response::builder().status(StatusCode::NOT_FOUND).body(Full::new(Bytes::new())).unwrap())
}
