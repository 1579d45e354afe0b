//! One moto server (a local AWS emulator) per test process.
//!
//! The server is moto's, run by `tests/support/moto_server.py`, which answers one request at a
//! time: moto's own multi-threaded server does not isolate concurrent conditional writes and
//! transactions from each other (AWS does), so tests that race calls on one table would pass or
//! fail by timing. Clients still send concurrently; only moto's work is serialized.
//!
//! `LEADFLOW_MOTO_ENDPOINT` names a running server of that kind to use instead (`tests/run.sh`
//! starts one for the whole run); a plain `moto_server` there is refused. Otherwise the first
//! caller starts one (`leadflow_provision::moto`), which a watchdog stops when the test process
//! is gone, however the process ends. Tests never reset the server: each provisions its own
//! resources.

use leadflow_provision::moto::{authority, get_blocking, MotoServer, SERVER_SCRIPT};
use serde_json::Value;
use std::sync::OnceLock;

/// Names a running moto server (`http://127.0.0.1:5000`) to use instead of starting one.
pub const ENDPOINT_VAR: &str = "LEADFLOW_MOTO_ENDPOINT";

/// What that server answers 200 on, and a plain `moto_server` does not.
const MARKER_PATH: &str = "/leadflow/one-request-at-a-time";

/// Where that server reserves numbers for test phone numbers.
const NUMBERS_PATH: &str = "/leadflow/numbers";

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The endpoint of this process's moto server, starting it on first use.
pub fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| match std::env::var(ENDPOINT_VAR) {
        Ok(url) if !url.trim().is_empty() => {
            let url = url.trim().trim_end_matches('/').to_string();
            check_one_at_a_time(&url).unwrap_or_else(|e| panic!("{ENDPOINT_VAR}={url}: {e}"));
            url
        }
        _ => MotoServer::start("tests").map(MotoServer::detach).unwrap_or_else(|e| panic!("cannot start the moto server: {e:#}")),
    })
}

/// Reserves `count` consecutive numbers that no other user of this process's moto server gets,
/// and returns the first (test phone numbers are made from them). A server named by
/// `LEADFLOW_MOTO_ENDPOINT` may be shared by several test processes, so it hands them out;
/// otherwise the server is this process's own and a counter here suffices (and no server is
/// started just for this).
pub fn reserve_numbers(count: u64) -> u64 {
    static LOCAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let shared = std::env::var(ENDPOINT_VAR).is_ok_and(|url| !url.trim().is_empty());
    if !shared {
        return LOCAL.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
    }
    let url = endpoint();
    let response = get_blocking(authority(url).unwrap_or_default(), &format!("{NUMBERS_PATH}?count={count}"))
        .unwrap_or_else(|e| panic!("cannot reserve test numbers from the moto server at {url}: {e}"));
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.trim()).unwrap_or_default();
    body.parse().unwrap_or_else(|_| panic!("the moto server at {url} answered {body:?} for test numbers"))
}

/// Fails unless `url` is a server started by `moto_server.py`.
fn check_one_at_a_time(url: &str) -> Result<(), String> {
    let authority = authority(url).ok_or_else(|| "expected http://HOST:PORT".to_string())?;
    get_blocking(authority, MARKER_PATH).map(drop).map_err(|e| {
        format!(
            "not a moto server that answers one request at a time ({e}); start one with \
             `python3 {SERVER_SCRIPT} -p PORT` (a plain moto_server lets concurrent conditional writes \
             and transactions interleave, which DynamoDB does not)"
        )
    })
}

/// Everything moto recorded (`GET /moto-api/data.json`), per service and model.
pub async fn recorded_state(endpoint: &str) -> anyhow::Result<Value> {
    use anyhow::Context;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = authority(endpoint).context("only an http:// moto endpoint can be read")?;
    let mut stream = tokio::net::TcpStream::connect(authority).await.context("connect to moto")?;
    let request = format!("GET /moto-api/data.json HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").context("no end of headers")?;
    serde_json::from_slice(&response[split + 4..]).context("moto data.json is not JSON")
}

/// One text moto's SNS accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsRecord {
    pub message_id: String,
    pub phone_number: String,
    pub message: String,
}

/// Every text sent through moto's SNS so far (`sns.SMS` in data.json), oldest first.
pub async fn sms_sent(endpoint: &str) -> anyhow::Result<Vec<SmsRecord>> {
    let state = recorded_state(endpoint).await?;
    let records = state.pointer("/sns/SMS").and_then(Value::as_array).cloned().unwrap_or_default();
    Ok(records
        .iter()
        .map(|r| {
            let field = |name: &str| r.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
            SmsRecord { message_id: field("message_id"), phone_number: field("phone_number"), message: field("message") }
        })
        .collect())
}

/// Texts sent through moto's SNS to one E.164 number.
pub async fn sms_sent_to(endpoint: &str, e164: &str) -> anyhow::Result<Vec<SmsRecord>> {
    Ok(sms_sent(endpoint).await?.into_iter().filter(|r| r.phone_number == e164).collect())
}
