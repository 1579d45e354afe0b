//! `leadflow-local`: the whole leadflow system in one process on the embedded adapters, serving
//! the same routes as the HTTP API at http://127.0.0.1:3000 and running the queue consumers
//! in-process. What would have been sent appears at `GET /local/outbox`.
//!
//! ```text
//! cargo run -p leadflow-local -- [--port 3000] [--host 127.0.0.1] [--config config/leadflow.toml]
//!                                [--tick-seconds 10] [--time-travel]
//! cargo run -p leadflow-local -- check-config config/leadflow.toml
//! cargo run -p leadflow-local -- publish-config config/leadflow.toml --parameter /leadflow/prod/config [--dry-run]
//! cargo run -p leadflow-local -- sign-webhook stripe --secret whsec_test < events/webhook-stripe-body.json
//! cargo run -p leadflow-local -- demo [--leads 3000] [--seed 42] [--end 2026-09-30] [--charts docs/charts] [--no-serve]
//! ```

use anyhow::{bail, Context};
use leadflow::config::Config;
use leadflow_local::{serve, Options};
use std::path::PathBuf;

fn usage() -> &'static str {
    "usage: leadflow-local [--host HOST] [--port PORT] [--config FILE] [--tick-seconds N|0] [--time-travel]\n       leadflow-local check-config FILE\n       leadflow-local publish-config FILE --parameter NAME [--dry-run]\n       leadflow-local sign-webhook SCHEME [--secret S] [--url URL] [--key PEM] [--body FILE]\n       leadflow-local demo [--leads N] [--seed S] [--months M] [--end YYYY-MM-DD] [--charts DIR] [--no-serve] [serve options]"
}

fn parse_args() -> anyhow::Result<Command> {
    let mut args = std::env::args().skip(1).peekable();
    let mut options = Options::default();
    let mut demo: Option<leadflow_local::demo::DemoArgs> = None;
    if args.peek().map(String::as_str) == Some("demo") {
        args.next();
        demo = Some(Default::default());
    }
    while let Some(arg) = args.next() {
        if let Some(d) = demo.as_mut() {
            let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--leads" => {
                    d.leads = value("--leads")?.parse().context("--leads must be a number")?;
                    continue;
                }
                "--seed" => {
                    d.seed = value("--seed")?.parse().context("--seed must be a number")?;
                    continue;
                }
                "--months" => {
                    d.months = value("--months")?.parse().context("--months must be a number")?;
                    continue;
                }
                "--end" => {
                    let v = value("--end")?;
                    d.end = Some(chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").context("--end must be a date YYYY-MM-DD")?);
                    continue;
                }
                "--charts" => {
                    d.charts = Some(PathBuf::from(value("--charts")?));
                    continue;
                }
                "--no-serve" => {
                    d.serve = false;
                    continue;
                }
                _ => {}
            }
        }
        match arg.as_str() {
            "--port" | "-p" => options.port = args.next().context("--port needs a value")?.parse().context("--port must be a number")?,
            "--host" => options.host = args.next().context("--host needs a value")?,
            "--config" | "-c" => options.config = Some(PathBuf::from(args.next().context("--config needs a value")?)),
            "--tick-seconds" => {
                let n: u64 = args.next().context("--tick-seconds needs a value")?.parse().context("--tick-seconds must be a number")?;
                options.tick_every = (n > 0).then(|| std::time::Duration::from_secs(n));
            }
            "--time-travel" => options.time_travel = true,
            "check-config" => return Ok(Command::CheckConfig(PathBuf::from(args.next().context("check-config needs a file")?))),
            "publish-config" => {
                let file = PathBuf::from(args.next().context("publish-config needs a file")?);
                let (mut parameter, mut dry_run) = (None, false);
                while let Some(arg) = args.next() {
                    match arg.as_str() {
                        "--parameter" => parameter = Some(args.next().context("--parameter needs a name")?),
                        "--dry-run" => dry_run = true,
                        other => bail!("unknown argument {other:?}\n{}", usage()),
                    }
                }
                let parameter = parameter.context("publish-config needs --parameter NAME (the stack's LEADFLOW_CONFIG_PARAMETER)")?;
                return Ok(Command::PublishConfig { file, parameter, dry_run });
            }
            "sign-webhook" => return Ok(Command::Sign(args.collect())),
            "--help" | "-h" => return Ok(Command::Help),
            other => bail!("unknown argument {other:?}\n{}", usage()),
        }
    }
    Ok(match demo {
        Some(d) => Command::Demo(options, d),
        None => Command::Serve(options),
    })
}

enum Command {
    Serve(Options),
    Demo(Options, leadflow_local::demo::DemoArgs),
    CheckConfig(PathBuf),
    PublishConfig { file: PathBuf, parameter: String, dry_run: bool },
    Sign(Vec<String>),
    Help,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadflow::wiring::logging::init();
    match parse_args()? {
        Command::Help => {
            println!("{}", usage());
            Ok(())
        }
        Command::CheckConfig(path) => {
            let config = Config::from_file(&path)?;
            println!(
                "{}: valid ({} service lines, {} scoring models, {} team members, {} routing rules, {} cadences)",
                path.display(),
                config.service_lines.len(),
                config.scoring.models.len(),
                config.team.members.len(),
                config.team.rules.len(),
                config.followup.book.cadences.len()
            );
            Ok(())
        }
        Command::PublishConfig { file, parameter, dry_run } => publish_config(&file, &parameter, dry_run).await,
        Command::Sign(args) => {
            println!("{}", leadflow_local::sign::run(&args)?);
            Ok(())
        }
        Command::Serve(options) => serve(options).await,
        Command::Demo(options, demo) => leadflow_local::demo::run(options, demo).await,
    }
}

/// Validates the file (errors name the key and line), and only when it is valid stores it as
/// the new version of the parameter (SSM, or the emulator `AWS_ENDPOINT_URL` names). The
/// functions read it at their next init.
async fn publish_config(file: &std::path::Path, parameter: &str, dry_run: bool) -> anyhow::Result<()> {
    use leadflow::config::published;
    let origin = file.display().to_string();
    let source = std::fs::read_to_string(file).with_context(|| format!("cannot read {origin}"))?;
    if dry_run {
        let prepared = published::prepare(&source, &origin)?;
        println!("{origin}: valid; would be stored as {} bytes ({} tier), not published (--dry-run)", prepared.bytes(), prepared.tier());
        advise_on_tier(&prepared);
        return Ok(());
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.trim().is_empty());
    let sdk = leadflow::adapters::aws::sdk_config(endpoint.as_deref()).await;
    let store = leadflow::adapters::aws::SsmParameters::from_sdk(&sdk);
    let (prepared, version) = published::publish(&store, parameter, &source, &origin).await?;
    println!(
        "{origin}: valid; published to {parameter} as version {version} ({} bytes, {} tier). Functions read it at their next init.",
        prepared.bytes(),
        prepared.tier()
    );
    advise_on_tier(&prepared);
    Ok(())
}

/// Says so when the stored value needs SSM's advanced tier (billed), and what makes it fit.
fn advise_on_tier(prepared: &leadflow::config::published::Prepared) {
    if let Some(advice) = prepared.advanced_tier_notice() {
        eprintln!("{advice}");
    }
}
