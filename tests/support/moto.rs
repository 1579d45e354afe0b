//! One moto server (a local AWS emulator) per test process.
//!
//! The server is moto's, run by `tests/support/moto_server.py`, which answers one request at a
//! time: moto's own multi-threaded server does not isolate concurrent conditional writes and
//! transactions from each other (AWS does), so tests that race calls on one table would pass or
//! fail by timing. Clients still send concurrently; only moto's work is serialized.
//!
//! `LEADFLOW_MOTO_ENDPOINT` names a running server of that kind to use instead (CI starts one for
//! the whole run); a plain `moto_server` there is refused. Otherwise the first caller starts one
//! on a free port through a small shell watchdog that kills it when the test process is gone,
//! however the process ends. Tests never reset the server: each makes its own uniquely named
//! resources.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Names a running moto server (`http://127.0.0.1:5000`) to use instead of starting one.
pub const ENDPOINT_VAR: &str = "LEADFLOW_MOTO_ENDPOINT";

const INSTALL_HINT: &str = "install moto: pip install 'moto[server]'";

/// The server the tests run (moto, one request at a time).
const SERVER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/moto_server.py");

/// What that server answers 200 on, and a plain `moto_server` does not.
const MARKER_PATH: &str = "/leadflow/one-request-at-a-time";

/// Where that server reserves numbers for test phone numbers.
const NUMBERS_PATH: &str = "/leadflow/numbers";

/// A bound on start-up only (about 2 s when idle; much longer on a loaded machine).
const START_TIMEOUT: Duration = Duration::from_secs(120);

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The endpoint of this process's moto server, starting it on first use.
pub fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| match std::env::var(ENDPOINT_VAR) {
        Ok(url) if !url.trim().is_empty() => {
            let url = url.trim().trim_end_matches('/').to_string();
            check_one_at_a_time(&url).unwrap_or_else(|e| panic!("{ENDPOINT_VAR}={url}: {e}"));
            url
        }
        _ => start().unwrap_or_else(|e| panic!("cannot start the moto server: {e}")),
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

fn start() -> Result<String, String> {
    let program = find_on_path("python3").ok_or_else(|| "python3 is not on PATH".to_string())?;
    // The server binds a port the system picks and names it in the port file: choosing a free
    // port here and handing it over would let another process take it in between.
    let scratch = std::env::temp_dir().join(format!("leadflow-moto-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let log_path = scratch.join("moto.log");
    let port_path = scratch.join("port");
    let _ = std::fs::remove_file(&port_path);
    let log = std::fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    // The watchdog polls for the test process and kills moto when it is gone (a panic, a
    // timeout, Ctrl-C, SIGKILL: no destructor has to run).
    let watchdog = r#"
        "$1" "$2" -H 127.0.0.1 -p 0 --port-file "$3" & moto=$!
        trap 'kill "$moto" 2>/dev/null; exit 0' TERM INT
        while kill -0 "$4" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do sleep 0.5; done
        kill "$moto" 2>/dev/null
    "#;
    let mut child = Command::new("sh")
        .args(["-c", watchdog, "moto-watchdog"])
        .arg(&program)
        .arg(SERVER_SCRIPT)
        .arg(&port_path)
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        let port = std::fs::read_to_string(&port_path).ok().and_then(|p| p.trim().parse::<u16>().ok());
        if let Some(port) = port {
            if get_blocking(&format!("127.0.0.1:{port}"), "/moto-api/").is_ok() {
                return Ok(format!("http://127.0.0.1:{port}"));
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the moto server exited ({status}); {INSTALL_HINT}\n{}", tail(&log_path)));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("the moto server did not answer within {START_TIMEOUT:?}\n{}", tail(&log_path)))
}

/// `HOST:PORT` of an `http://HOST:PORT` endpoint.
fn authority(url: &str) -> Option<&str> {
    url.strip_prefix("http://").and_then(|rest| rest.split('/').next()).filter(|a| !a.is_empty())
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn get_blocking(authority: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(authority)?;
    // A bound only: the server answers these at once, but a loaded machine can stall it.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") {
        Ok(response)
    } else {
        Err(std::io::Error::other("not ready"))
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
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
