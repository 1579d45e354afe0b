//! `leadflow-provision`: makes what `template.yaml` declares in a local AWS endpoint (moto) and
//! writes each function's environment, for running the real functions locally.
//!
//! ```text
//! cargo run -p leadflow-provision -- [--endpoint http://127.0.0.1:5000] [--stack leadflow-local]
//!     [--parameter NAME=VALUE]... [--secure-string /ssm/name=VALUE]... [--env-dir target/local-aws]
//!     [--template template.yaml]
//! ```
//!
//! Writes `<env-dir>/<function>.env` (the template's variables for that function, resolved,
//! plus the endpoint, region and dummy credentials) for `cargo lambda watch --env-file` or any
//! Lambda Runtime API emulator.

use anyhow::{bail, Context};
use leadflow::adapters::aws::sdk::{load, AwsOptions};
use leadflow_provision::{Clients, Stack, StackOptions, Template};
use std::path::PathBuf;
use std::sync::Arc;

const USAGE: &str = "usage: leadflow-provision [--endpoint URL] [--stack NAME] [--parameter NAME=VALUE]... \
[--secure-string NAME=VALUE]... [--env-dir DIR] [--template FILE]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut endpoint = "http://127.0.0.1:5000".to_string();
    let mut stack_name = "leadflow-local".to_string();
    let mut parameters = Vec::new();
    let mut secure = Vec::new();
    let mut env_dir = PathBuf::from("target/local-aws");
    let mut template_path = PathBuf::from("template.yaml");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--endpoint" => endpoint = value()?,
            "--stack" => stack_name = value()?,
            "--parameter" => parameters.push(pair(&value()?)?),
            "--secure-string" => secure.push(pair(&value()?)?),
            "--env-dir" => env_dir = PathBuf::from(value()?),
            "--template" => template_path = PathBuf::from(value()?),
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let template = Arc::new(Template::load(&template_path)?);
    let region = leadflow::adapters::aws::sdk::DEFAULT_REGION.to_string();
    let credentials = ("leadflow-local".to_string(), "leadflow-local".to_string());
    let config = load(AwsOptions {
        endpoint_url: Some(endpoint.clone()),
        region: Some(region.clone()),
        static_credentials: Some(credentials.clone()),
    })
    .await;
    let mut options = StackOptions::new(&stack_name);
    for (k, v) in parameters {
        anyhow::ensure!(template.has_parameter(&k), "the template has no parameter {k}");
        options = options.parameter(&k, v);
    }
    let mut stack = Stack::new(template, options, Clients::new(&config));
    stack.provision_all().await.context("provisioning the template")?;
    for (name, value) in &secure {
        stack.put_secure_string(name, value).await?;
    }
    std::fs::create_dir_all(&env_dir).with_context(|| format!("cannot create {}", env_dir.display()))?;
    for function in stack.functions() {
        let mut env = stack.function_environment(&function.name).await?;
        env.insert("AWS_ENDPOINT_URL".into(), endpoint.clone());
        env.insert("AWS_REGION".into(), region.clone());
        env.insert("AWS_ACCESS_KEY_ID".into(), credentials.0.clone());
        env.insert("AWS_SECRET_ACCESS_KEY".into(), credentials.1.clone());
        let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let path = env_dir.join(format!("{}.env", function.name));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!("stack {stack_name} made in {endpoint}; each function's environment is in {}/<function>.env", env_dir.display());
    Ok(())
}

fn pair(s: &str) -> anyhow::Result<(String, String)> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).with_context(|| format!("{s:?} is not NAME=VALUE"))
}
