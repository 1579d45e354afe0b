//! A Lambda Runtime API emulator, to run the real `leadflow-functions` executable as Lambda runs
//! it: a process whose `AWS_LAMBDA_RUNTIME_API` points at a server here, which hands it one
//! event per `next` and takes its response or error. Records the init error a function reports
//! and when it first asked for work (the end of its init).
//!
//! [`Function::start`] runs one function (one process, one execution environment) with the
//! environment the template gives it; [`Function::invoke`] is one invocation.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

const PREFIX: &str = "/2018-06-01/runtime";

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

/// What an invocation ended with.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response(Value),
    /// `POST /invocation/{id}/error`: the function failed the invocation.
    Error(Value),
}

impl Outcome {
    /// The response, or a panic naming the error.
    pub fn response(self) -> Value {
        match self {
            Outcome::Response(v) => v,
            Outcome::Error(e) => panic!("the invocation failed: {e}"),
        }
    }
}

#[derive(Default)]
struct State {
    events: Mutex<VecDeque<(String, Value)>>,
    ready: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_errors: Mutex<Vec<InitError>>,
    first_next: Mutex<Option<Instant>>,
    function_arn: Mutex<String>,
}

/// The Runtime API for one execution environment, on a free local port.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        *state.function_arn.lock().unwrap() = "arn:aws:lambda:us-east-1:123456789012:function:leadflow".into();
        let shared = state.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| answer(state.clone(), request));
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
                });
            }
        });
        RuntimeApi { addr, state, server }
    }

    /// `AWS_LAMBDA_RUNTIME_API` for a process using this API.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn init_errors(&self) -> Vec<InitError> {
        self.state.init_errors.lock().unwrap().clone()
    }

    /// When the process first asked for an event (its init was done).
    pub fn first_next(&self) -> Option<Instant> {
        *self.state.first_next.lock().unwrap()
    }

    /// Hands `event` to the next `next` and waits for its outcome.
    pub async fn invoke(&self, event: Value) -> Outcome {
        let id = ulid::Ulid::new().to_string();
        let (tx, rx) = oneshot::channel();
        self.state.waiting.lock().unwrap().insert(id.clone(), tx);
        self.state.events.lock().unwrap().push_back((id, event));
        self.state.ready.notify_one();
        rx.await.expect("the Runtime API stopped before the invocation ended")
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder().status(status).body(Full::new(body)).unwrap()
}

async fn answer(state: Arc<State>, request: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let path = parts.uri.path().strip_prefix(PREFIX).unwrap_or_default().to_string();
    let accepted = || reply(StatusCode::ACCEPTED, Bytes::from_static(br#"{"status":"OK"}"#));
    if parts.method == hyper::Method::POST && path == "/init/error" {
        let header = parts.headers.get("lambda-runtime-function-error-type").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        state.init_errors.lock().unwrap().push(InitError { header, body });
        return Ok(accepted());
    }
    if parts.method == hyper::Method::GET && path == "/invocation/next" {
        state.first_next.lock().unwrap().get_or_insert_with(Instant::now);
        let (id, event) = loop {
            let notified = state.ready.notified();
            if let Some(next) = state.events.lock().unwrap().pop_front() {
                break next;
            }
            notified.await;
        };
        let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap() + Duration::from_secs(60);
        let arn = state.function_arn.lock().unwrap().clone();
        return Ok(Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", &id)
            .header("lambda-runtime-deadline-ms", deadline.as_millis().to_string())
            .header("lambda-runtime-invoked-function-arn", arn)
            .header("lambda-runtime-trace-id", format!("Root=1-00000000-{:0>24};Sampled=0", &id[..12]))
            .body(Full::new(Bytes::from(serde_json::to_vec(&event).unwrap())))
            .unwrap());
    }
    if parts.method == hyper::Method::POST {
        if let Some(rest) = path.strip_prefix("/invocation/") {
            let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
            let value = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
            let outcome = match kind {
                "response" => Outcome::Response(value),
                "error" => Outcome::Error(value),
                _ => return Ok(reply(StatusCode::NOT_FOUND, Bytes::new())),
            };
            if let Some(tx) = state.waiting.lock().unwrap().remove(id) {
                let _ = tx.send(outcome);
            }
            return Ok(accepted());
        }
    }
    Ok(reply(StatusCode::NOT_FOUND, Bytes::new()))
}

/// One function's process under its own Runtime API.
pub struct Function {
    pub name: String,
    pub api: RuntimeApi,
    process: tokio::process::Child,
    started: Instant,
    /// Process start to the first `next`.
    pub init: Duration,
}

impl Function {
    /// Starts `executable` with exactly `env` (plus the Runtime API) and waits until it asks for
    /// its first event. Panics with the init error or the process's exit if it never does.
    pub async fn start(executable: &Path, name: &str, env: &std::collections::BTreeMap<String, String>) -> Function {
        Function::start_logging_to(executable, name, env, None).await
    }

    /// As [`Function::start`], with the function's log (its stdout) written to `log`.
    pub async fn start_logging_to(
        executable: &Path,
        name: &str,
        env: &std::collections::BTreeMap<String, String>,
        log: Option<&Path>,
    ) -> Function {
        let api = RuntimeApi::start().await;
        let started = Instant::now();
        let mut command = tokio::process::Command::new(executable);
        command
            .env_clear()
            .envs(env)
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            // What Lambda sets in every execution environment (the runtime requires them).
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(std::process::Stdio::null())
            .stdout(match log {
                Some(path) => std::process::Stdio::from(std::fs::File::create(path).expect("create the function's log")),
                None => std::process::Stdio::null(),
            })
            .kill_on_drop(true);
        if std::env::var_os("LEADFLOW_TEST_FUNCTION_LOGS").is_none() {
            command.stderr(std::process::Stdio::null());
        }
        let mut process = command.spawn().unwrap_or_else(|e| panic!("cannot run {}: {e}", executable.display()));
        let deadline = started + Duration::from_secs(120);
        loop {
            if let Some(at) = api.first_next() {
                return Function { name: name.to_string(), init: at - started, api, process, started };
            }
            if let Some(error) = api.init_errors().first() {
                panic!("{name}: init failed: {} {}", error.error_type(), error.message());
            }
            if let Ok(Some(status)) = process.try_wait() {
                panic!("{name}: the process exited at init ({status})");
            }
            assert!(Instant::now() < deadline, "{name}: no first `next` within 120 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// One invocation (bounded: a function that never answers fails the test).
    pub async fn invoke(&self, event: Value) -> Outcome {
        tokio::time::timeout(Duration::from_secs(120), self.api.invoke(event))
            .await
            .unwrap_or_else(|_| panic!("{}: no answer within 120 s", self.name))
    }

    /// When the process was started.
    pub fn started(&self) -> Instant {
        self.started
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
    }
}
