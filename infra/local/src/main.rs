//! `leadflow-local`: the whole leadflow system in one process on the embedded adapters, serving
//! the same routes as the HTTP API at http://127.0.0.1:3000 and running the queue consumers
//! in-process. What would have been sent appears at `GET /local/outbox`.
//!
//! ```text
//! cargo run -p leadflow-local -- [--port 3000] [--host 127.0.0.1] [--config infra/leadflow.toml]
//!                                [--tick-seconds 10] [--time-travel]
//! cargo run -p leadflow-local -- check-config infra/leadflow.toml
//! cargo run -p leadflow-local -- sign-webhook stripe --secret whsec_test < events/webhook-stripe-body.json
//! ```

use anyhow::{bail, Context};
use leadflow::config::Config;
use leadflow_local::{serve, Options};
use std::path::PathBuf;

fn usage() -> &'static str {
    "usage: leadflow-local [--host HOST] [--port PORT] [--config FILE] [--tick-seconds N|0] [--time-travel]\n       leadflow-local check-config FILE\n       leadflow-local sign-webhook SCHEME [--secret S] [--url URL] [--key PEM] [--body FILE]"
}

fn parse_args() -> anyhow::Result<Command> {
    let mut args = std::env::args().skip(1);
    let mut options = Options::default();
    while let Some(arg) = args.next() {
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
            "sign-webhook" => return Ok(Command::Sign(args.collect())),
            "--help" | "-h" => return Ok(Command::Help),
            other => bail!("unknown argument {other:?}\n{}", usage()),
        }
    }
    Ok(Command::Serve(options))
}

enum Command {
    Serve(Options),
    CheckConfig(PathBuf),
    Sign(Vec<String>),
    Help,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    leadflow::runtime::logging::init();
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
        Command::Sign(args) => {
            println!("{}", leadflow_local::sign::run(&args)?);
            Ok(())
        }
        Command::Serve(options) => serve(options).await,
    }
}
