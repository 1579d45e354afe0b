//! One moto server (a local AWS emulator) per test process.
//!
//! `LEADFLOW_MOTO_ENDPOINT` names a running server to use instead. Otherwise the first caller
//! starts `moto_server` on a free port through a small shell watchdog that kills it when the
//! test process is gone, however the process ends. Tests never reset the server: each makes
//! its own uniquely named resources.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Names a running moto server (`http://127.0.0.1:5000`) to use instead of starting one.
pub const ENDPOINT_VAR: &str = "LEADFLOW_MOTO_ENDPOINT";

const INSTALL_HINT: &str = "install moto: pip install 'moto[server]'";
const START_TIMEOUT: Duration = Duration::from_secs(30);

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The endpoint of this process's moto server, starting it on first use.
pub fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| match std::env::var(ENDPOINT_VAR) {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_string(),
        _ => start().unwrap_or_else(|e| panic!("cannot start moto_server: {e}")),
    })
}

fn start() -> Result<String, String> {
    let program = find_on_path("moto_server").ok_or_else(|| format!("moto_server is not on PATH; {INSTALL_HINT}"))?;
    let port = free_port()?;
    let log_path = std::env::temp_dir().join(format!("leadflow-moto-{port}.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    // The watchdog polls for the test process and kills moto when it is gone (a panic, a
    // timeout, Ctrl-C, SIGKILL: no destructor has to run).
    let watchdog = r#"
        "$1" -H 127.0.0.1 -p "$2" & moto=$!
        trap 'kill "$moto" 2>/dev/null; exit 0' TERM INT
        while kill -0 "$3" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do sleep 0.5; done
        kill "$moto" 2>/dev/null
    "#;
    let mut child = Command::new("sh")
        .args(["-c", watchdog, "moto-watchdog"])
        .arg(&program)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if get_blocking(port, "/moto-api/").is_ok() {
            return Ok(endpoint);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("moto_server exited ({status}); {INSTALL_HINT}\n{}", tail(&log_path)));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("moto_server did not answer on port {port} within {START_TIMEOUT:?}\n{}", tail(&log_path)))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn get_blocking(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
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
    let authority =
        endpoint.strip_prefix("http://").context("only an http:// moto endpoint can be read")?.split('/').next().unwrap_or_default();
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
