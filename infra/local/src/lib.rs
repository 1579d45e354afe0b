//! The local runner as a library, so tests can start it on a free port.

pub mod authorizer;
pub mod clock;
pub mod console_signin;
mod convert;
mod cors;
pub mod cost;
pub mod demo;
mod router;
pub mod sign;

use anyhow::Context;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use leadflow::config::Config;
use leadflow::ports::{Clock, SystemClock};
use leadflow::wiring::embedded::EmbeddedSystem;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tracing::{info, warn};

pub use router::{api_routes, Access, Route, Router};

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub port: u16,
    /// A configuration file; the embedded default (`config/leadflow.toml`) when absent.
    pub config: Option<PathBuf>,
    /// How often the background ticker runs the SLA checker and the follow-up function
    /// (EventBridge runs them every minute in AWS); `None` for no ticker (tests tick by hand
    /// with `POST /local/tick`).
    pub tick_every: Option<std::time::Duration>,
    /// Serve with a clock that `POST /local/tick {"advance_seconds": N}` moves forward.
    pub time_travel: bool,
    /// Webhook secrets on top of `LEADFLOW_SECRET_*` / `LEADFLOW_SECRETS_FILE`.
    pub secrets: BTreeMap<String, String>,
    /// The URL providers call (Twilio signs it): `LEADFLOW_PUBLIC_BASE_URL`, else the address
    /// the runner listens on.
    pub public_base_url: Option<String>,
    /// The SNS signing certificate (PEM) served for every SNS certificate URL, and the topics
    /// accepted (`LEADFLOW_LOCAL_SNS_CERT`, `LEADFLOW_SNS_TOPIC_ARNS`).
    pub sns_certificate: Option<Vec<u8>>,
    pub sns_topics: Vec<String>,
    /// The dev-token signing secret (at least 16 bytes); `LEADFLOW_DEV_TOKEN_SECRET` or a random
    /// one when absent.
    pub dev_token_secret: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "127.0.0.1".into(),
            port: 3000,
            config: None,
            tick_every: Some(std::time::Duration::from_secs(10)),
            time_travel: false,
            secrets: BTreeMap::new(),
            public_base_url: None,
            sns_certificate: None,
            sns_topics: Vec::new(),
            dev_token_secret: None,
        }
    }
}

/// A started runner.
pub struct Running {
    pub addr: SocketAddr,
    pub system: EmbeddedSystem,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// `http://host:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Loads the configuration named by the options (or the default).
pub fn load_config(options: &Options) -> anyhow::Result<Config> {
    Ok(match &options.config {
        Some(path) => Config::from_file(path)?,
        None => Config::from_env()?,
    })
}

/// Starts the runner in the background and returns once it listens.
pub async fn start(options: Options, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    start_with(options, clock, None).await
}

/// Starts the runner on a time-travel clock that `POST /local/tick {"advance_seconds": N}` moves.
pub async fn start_time_travel(options: Options) -> anyhow::Result<Running> {
    let travel = Arc::new(clock::TravelClock::new());
    start_with(options, travel.clone(), Some(travel)).await
}

async fn start_with(options: Options, clock: Arc<dyn Clock>, travel: Option<Arc<clock::TravelClock>>) -> anyhow::Result<Running> {
    let config = load_config(&options)?;
    let listener = TcpListener::bind((options.host.as_str(), options.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", options.host, options.port))?;
    let addr = listener.local_addr()?;
    let mut webhooks = leadflow::wiring::embedded::local_webhooks();
    if std::env::var_os("LEADFLOW_PUBLIC_BASE_URL").is_none() {
        webhooks.public_base_url = format!("http://{addr}");
    }
    if let Some(url) = &options.public_base_url {
        webhooks.public_base_url = url.trim_end_matches('/').to_string();
    }
    webhooks.add_secrets(options.secrets.clone());
    if let Some(pem) = &options.sns_certificate {
        webhooks.sns = Arc::new(leadflow::adapters::memory::StaticSnsHttps::new(Some(pem.clone())));
    }
    webhooks.sns_topics.extend(options.sns_topics.iter().cloned());
    let system = EmbeddedSystem::new(config, clock).with_webhooks(webhooks);
    let mut tasks = system.start_consumers();
    let authority = match options.dev_token_secret.as_deref().filter(|s| s.len() >= 16) {
        Some(secret) => authorizer::DevAuthority::with_secret(secret.as_bytes()),
        None => authorizer::DevAuthority::from_env(),
    };
    if let Some(every) = options.tick_every {
        tasks.push(system.start_ticker(every));
    }
    let router = Arc::new(Router::new(system.clone(), authority).with_travel(travel).with_console(&format!("http://{addr}")));
    tasks.push(tokio::spawn(accept_loop(listener, router)));
    Ok(Running { addr, system, tasks })
}

async fn accept_loop(listener: TcpListener, router: Arc<Router>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let router = router.clone();
                async move { Ok::<_, std::convert::Infallible>(router.route(req, peer).await) }
            });
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// Runs until interrupted.
pub async fn serve(options: Options) -> anyhow::Result<()> {
    let running = if options.time_travel { start_time_travel(options).await? } else { start(options, Arc::new(SystemClock)).await? };
    info!(url = %running.base_url(), "leadflow-local is listening; POST /leads, GET /local/outbox");
    println!("leadflow-local listening on {}", running.base_url());
    println!("  Staff console: {}/  (sign in as any team member or role through the local dev issuer)", running.base_url());
    println!("  POST {}/leads           submit a lead (JSON or form)", running.base_url());
    println!("  GET  {}/local/outbox    messages that would have been sent", running.base_url());
    println!("  POST {}/local/dev-token {{\"user\":\"u1\",\"role\":\"admin\"}} -> a dev bearer token", running.base_url());
    println!(
        "  POST {}/local/tick      run the SLA checker and the follow-up function now ({{\"advance_seconds\":691200,\"step_seconds\":60}} with --time-travel)",
        running.base_url()
    );
    println!("  GET  {}/leads?status=new   (token)   GET /leads/{{id}}   POST /leads/{{id}}/status", running.base_url());
    println!("  POST {}/webhooks/...       signed webhooks (see `leadflow-local sign-webhook --help`)", running.base_url());
    println!(
        "  GET  {}/reports/kpis?dimension=source   (token)   /reports/charts/funnel.svg   POST /local/weekly-summary",
        running.base_url()
    );
    println!("  (`leadflow-local demo` starts with a few thousand demo leads, so the reports have something to show)");
    println!(
        "  GET  {}/people/{{id}}/export, DELETE {}/people/{{id}}, GET {}/audit/leads/{{id}}  (admin token)",
        running.base_url(),
        running.base_url(),
        running.base_url()
    );
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    Ok(())
}
