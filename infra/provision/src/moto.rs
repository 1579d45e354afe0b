//! Starting a moto server (a local AWS emulator) of this process's own: the tests' server and
//! the cost bench's.
//!
//! The server is moto's, run by `tests/support/moto_server.py`, which answers one request at a
//! time (moto's own multi-threaded server does not isolate concurrent conditional writes and
//! transactions from each other; AWS does). It binds a port the system picks and names it in a
//! port file: choosing a free port here and handing it over would let another process take it in
//! between. A small shell watchdog kills it when this process is gone, however the process ends
//! (a panic, a timeout, Ctrl-C, SIGKILL: no destructor has to run).

use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server script (one request at a time).
pub const SERVER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/support/moto_server.py");

/// A bound on start-up only (about 2 s when idle; much longer on a loaded machine).
const START_TIMEOUT: Duration = Duration::from_secs(120);

const INSTALL_HINT: &str = "install moto: pip install 'moto[server]'";

/// A running moto server, stopped when dropped (or, after [`MotoServer::detach`], when this
/// process is gone).
#[derive(Debug)]
pub struct MotoServer {
    watchdog: Child,
    url: String,
}

impl MotoServer {
    /// Starts the server on a port of the system's choosing and waits until it answers; its log
    /// goes to `<temp>/leadflow-moto-<pid>-<label>/moto.log`.
    pub fn start(label: &str) -> anyhow::Result<MotoServer> {
        // The interpreter itself, not a launcher script (pyenv's shim) whose child would outlive
        // a signal to it.
        let python = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .with_context(|| format!("python3 is not on PATH; {INSTALL_HINT}"))?;
        let python = String::from_utf8_lossy(&python.stdout).trim().to_string();
        let scratch = std::env::temp_dir().join(format!("leadflow-moto-{}-{label}", std::process::id()));
        std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
        let log_path = scratch.join("moto.log");
        let port_path = scratch.join("port");
        let _ = std::fs::remove_file(&port_path);
        let log = std::fs::File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
        let log_err = log.try_clone()?;
        let watchdog = r#"
            "$1" "$2" -H 127.0.0.1 -p 0 --port-file "$3" & moto=$!
            trap 'kill "$moto" 2>/dev/null; exit 0' TERM INT
            while kill -0 "$4" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do sleep 0.5; done
            kill "$moto" 2>/dev/null
        "#;
        let watchdog = Command::new("sh")
            .args(["-c", watchdog, "moto-watchdog"])
            .arg(&python)
            .arg(SERVER_SCRIPT)
            .arg(&port_path)
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .context("cannot run sh")?;
        let mut server = MotoServer { watchdog, url: String::new() };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            let port = std::fs::read_to_string(&port_path).ok().and_then(|p| p.trim().parse::<u16>().ok());
            if let Some(port) = port {
                if get_blocking(&format!("127.0.0.1:{port}"), "/moto-api/").is_ok() {
                    server.url = format!("http://127.0.0.1:{port}");
                    return Ok(server);
                }
            }
            if let Ok(Some(status)) = server.watchdog.try_wait() {
                bail!("the moto server exited ({status}); {INSTALL_HINT}\n{}", tail(&log_path));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("the moto server did not answer within {START_TIMEOUT:?}\n{}", tail(&log_path))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Leaves the server running until this process ends (the watchdog stops it then), and
    /// returns its URL.
    pub fn detach(self) -> String {
        let this = std::mem::ManuallyDrop::new(self);
        this.url.clone()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // SIGTERM: the watchdog's trap stops moto.
        let _ = Command::new("kill").arg(self.watchdog.id().to_string()).status();
        let _ = self.watchdog.wait();
    }
}

/// `HOST:PORT` of an `http://HOST:PORT` endpoint.
pub fn authority(url: &str) -> Option<&str> {
    url.strip_prefix("http://").and_then(|rest| rest.split('/').next()).filter(|a| !a.is_empty())
}

/// The body of a plain `GET` that must answer 200 (the server's own routes, not AWS calls).
pub fn get_blocking(authority: &str, path: &str) -> std::io::Result<String> {
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
