//! Init: `LEADFLOW_FUNCTION` picks the entry point; a missing or unknown name, or a function
//! whose own init fails, is a Lambda init error that names what is wrong, and the process exits.

use leadflow::ports::Consumer;
use leadflow::wiring::settings::Setting;
use leadflow_tests::lambda::{InitError, RuntimeApi};
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

/// Runs the executable with only these settings, against `api`, until it exits.
async fn run(api: Option<&RuntimeApi>, settings: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_leadflow-functions"));
    command.env_clear().envs(settings.iter().copied()).kill_on_drop(true);
    if let Some(api) = api {
        command.env("AWS_LAMBDA_RUNTIME_API", api.address());
    }
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .unwrap_or_else(|_| panic!("{settings:?}: the process did not exit at init"))
        .unwrap()
}

/// Runs the executable with these settings and answers the one init error it reported.
async fn init_error(settings: &[(&str, &str)]) -> InitError {
    let api = RuntimeApi::start().await;
    let output = run(Some(&api), settings).await;
    assert!(!output.status.success(), "{settings:?}: a failed init exits with an error status");
    let errors = api.init_errors();
    assert_eq!(errors.len(), 1, "{settings:?}: one init error, got {errors:?}");
    errors[0].clone()
}

/// The names the template gives its functions (`LEADFLOW_FUNCTION`).
fn template_names() -> BTreeSet<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let t: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let names: BTreeSet<String> = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|r| r["Properties"]["Environment"]["Variables"]["LEADFLOW_FUNCTION"].as_str().expect("LEADFLOW_FUNCTION").to_string())
        .collect();
    assert!(names.len() > 1);
    names
}

/// Each function's `LEADFLOW_FUNCTION` and the queue settings (`LEADFLOW_QUEUE_*`) the template
/// gives it.
fn template_queues() -> Vec<(String, Vec<String>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let t: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|r| {
            let vars = r["Properties"]["Environment"]["Variables"].as_mapping().unwrap();
            let name = vars.get("LEADFLOW_FUNCTION").and_then(Value::as_str).unwrap().to_string();
            let queues = vars.keys().filter_map(Value::as_str).filter(|k| k.starts_with("LEADFLOW_QUEUE_")).map(String::from).collect();
            (name, queues)
        })
        .collect()
}

/// The valid names an unknown-function message lists (after "one of ").
fn listed_names(message: &str) -> BTreeSet<String> {
    let (_, list) = message.split_once("one of ").unwrap_or_else(|| panic!("no list of names in {message:?}"));
    list.split(',').map(|n| n.trim().to_string()).collect()
}

#[tokio::test]
async fn a_missing_name_is_an_init_error_naming_the_setting_and_every_function() {
    for settings in [&[][..], &[("LEADFLOW_FUNCTION", "  ")][..]] {
        let error = init_error(settings).await;
        assert_eq!(error.error_type(), "UnknownFunction");
        assert_eq!(error.header.as_deref(), Some("UnknownFunction"));
        assert!(error.message().starts_with("LEADFLOW_FUNCTION is not set"), "{}", error.message());
        assert_eq!(listed_names(error.message()), template_names());
    }
}

#[tokio::test]
async fn an_unknown_name_is_an_init_error_naming_it_and_every_function() {
    let error = init_error(&[("LEADFLOW_FUNCTION", "intak")]).await;
    assert_eq!(error.error_type(), "UnknownFunction");
    assert!(error.message().starts_with("LEADFLOW_FUNCTION is `intak`"), "{}", error.message());
    assert_eq!(listed_names(error.message()), template_names(), "the executable and the template know the same functions");
}

#[tokio::test]
async fn every_function_in_the_template_refuses_to_start_naming_every_required_setting_it_lacks() {
    // With no other settings every entry point is found and runs its own init, which refuses to
    // start without the function's settings: an init error naming each one it requires.
    for name in template_names() {
        let error = init_error(&[("LEADFLOW_FUNCTION", name.as_str())]).await;
        assert_eq!(error.error_type(), "InitError", "{name}: {}", error.message());
        let reads = leadflow::wiring::settings::of(&name).unwrap_or_else(|| panic!("{name} declares no settings"));
        let required: Vec<String> =
            reads.needs().filter(|n| n.required && n.setting != Setting::Function).map(|n| n.setting.var()).collect();
        assert!(required.len() >= 3, "{name}");
        for var in &required {
            assert!(error.message().contains(var.as_str()), "{name}: the message names {var}: {}", error.message());
        }
    }
}

#[tokio::test]
async fn a_function_missing_one_queue_does_not_start_and_names_that_queue() {
    // Everything the relay reads, but the cadence queue: it would hand every stored inquiry to
    // the other consumers and fail each record at the cadence send, until the stream gave up;
    // it refuses to start instead, before any network.
    let relay = leadflow::wiring::settings::of("relay").unwrap();
    let mut settings: Vec<(String, String)> =
        relay.needs().filter(|n| n.setting != Setting::Queue(Consumer::Cadence)).map(|n| (n.setting.var(), "set".to_string())).collect();
    settings.retain(|(k, _)| k != "LEADFLOW_FUNCTION");
    settings.push(("LEADFLOW_FUNCTION".into(), "relay".into()));
    let borrowed: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let error = init_error(&borrowed).await;
    assert_eq!(error.error_type(), "InitError");
    assert_eq!(error.message(), "the relay function cannot start without LEADFLOW_QUEUE_CADENCE: template.yaml sets them for it");
}

#[tokio::test]
async fn outside_lambda_the_init_error_goes_to_the_log() {
    let output = run(None, &[("LEADFLOW_FUNCTION", "nope")]).await;
    assert!(!output.status.success());
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("LEADFLOW_FUNCTION is `nope`") && log.contains("intake"), "{log}");
}

#[tokio::test]
async fn a_function_missing_one_of_its_queues_fails_at_init_naming_it() {
    // Every queue the template gives a function is one its init requires (a deploy that lost
    // one fails at once, not at each request), and it requires no other: with all of them
    // set, the init gets past the queues and stops at the next missing setting.
    let mut checked = 0;
    for (name, queues) in template_queues() {
        let url = "https://sqs.us-east-1.amazonaws.com/000000000000/q";
        let all: Vec<(&str, &str)> =
            std::iter::once(("LEADFLOW_FUNCTION", name.as_str())).chain(queues.iter().map(|q| (q.as_str(), url))).collect();
        let error = init_error(&all).await;
        assert!(!error.message().contains("LEADFLOW_QUEUE_"), "{name} requires a queue the template does not give it: {}", error.message());
        for missing in &queues {
            let settings: Vec<(&str, &str)> = all.iter().copied().filter(|(k, _)| k != missing).collect();
            let error = init_error(&settings).await;
            assert_eq!(error.error_type(), "InitError");
            assert!(error.message().contains(missing.as_str()), "{name} without {missing}: {}", error.message());
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
}
