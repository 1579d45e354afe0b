//! The published operator configuration, held against both adapters of its parameter store
//! (in-process, and SSM Parameter Store on moto): how versions and history are kept, and what a
//! function loads at init (`config::published::load`): the embedded file while no parameter
//! exists, the newest version that validates, never one that does not (its errors are reported
//! with the lines of the published file), and the embedded file when none validates.

use leadflow::adapters::aws::SsmParameters;
use leadflow::adapters::memory::MemoryParameters;
use leadflow::config::published::{self, Origin, PublishError};
use leadflow::config::{Config, DEFAULT_CONFIG};
use leadflow::ports::ParameterStore;
use leadflow_tests::aws::{unique_name, MotoAws};
use leadflow_tests::contract_suite;
use std::sync::Arc;

async fn memory() -> Arc<MemoryParameters> {
    Arc::new(MemoryParameters::new())
}

async fn ssm() -> Arc<SsmParameters> {
    Arc::new(SsmParameters::from_sdk(&MotoAws::connect().await.config))
}

contract_suite!(
    [memory => memory, ssm => ssm]
    [
        versions_count_up_and_the_history_keeps_every_one,
        an_absent_parameter_loads_the_embedded_configuration,
        a_published_configuration_is_used,
        an_invalid_newest_version_is_passed_over_for_the_newest_valid_one_and_its_errors_reported,
        when_no_version_validates_the_embedded_configuration_is_used,
        a_file_that_does_not_validate_is_never_published,
        the_embedded_configuration_fits_the_parameter,
    ]
);

/// A parameter name no other test uses.
fn fresh_name() -> String {
    format!("/{}/config", unique_name("lf"))
}

/// The embedded configuration under another organization name: a difference every text shows.
fn renamed(name: &str) -> String {
    let source = DEFAULT_CONFIG.replacen("name = \"Harbor Health\"", &format!("name = \"{name}\""), 1);
    assert_ne!(source, DEFAULT_CONFIG);
    source
}

/// The embedded configuration with one value of the wrong type, and the line it is on.
fn broken() -> (String, usize) {
    let source = DEFAULT_CONFIG.replacen("response_minutes = 5", "response_minutes = \"soon\"", 1);
    let line = source.lines().position(|l| l == "response_minutes = \"soon\"").expect("the broken line") + 1;
    (source, line)
}

async fn versions_count_up_and_the_history_keeps_every_one<S: ParameterStore>(store: Arc<S>) {
    let name = fresh_name();
    assert_eq!(store.current(&name).await.unwrap(), None);
    assert!(store.history(&name).await.unwrap().is_empty());
    assert_eq!(store.put(&name, "one").await.unwrap(), 1);
    assert_eq!(store.put(&name, "two").await.unwrap(), 2);
    let current = store.current(&name).await.unwrap().unwrap();
    assert_eq!((current.version, current.value.as_str()), (2, "two"));
    let history: Vec<(i64, String)> = store.history(&name).await.unwrap().into_iter().map(|v| (v.version, v.value)).collect();
    assert_eq!(history, [(1, "one".to_string()), (2, "two".to_string())]);
}

async fn an_absent_parameter_loads_the_embedded_configuration<S: ParameterStore>(store: Arc<S>) {
    let loaded = published::load(store.as_ref(), &fresh_name()).await.unwrap();
    assert_eq!(loaded.origin, Origin::Embedded);
    assert_eq!(loaded.config, Config::embedded_default().unwrap());
    assert!(loaded.rejected.is_empty());
}

async fn a_published_configuration_is_used<S: ParameterStore>(store: Arc<S>) {
    let name = fresh_name();
    let (prepared, version) = published::publish(store.as_ref(), &name, &renamed("Bayside Clinic"), "bayside.toml").await.unwrap();
    assert_eq!(version, 1);
    assert!(prepared.value.starts_with(published::ENCODED_PREFIX));
    let loaded = published::load(store.as_ref(), &name).await.unwrap();
    assert_eq!(loaded.origin, Origin::Parameter { name: name.clone(), version: 1 });
    assert_eq!(loaded.config.organization.name, "Bayside Clinic");
    assert_eq!(loaded.config, Config::from_toml(&renamed("Bayside Clinic"), "x").unwrap());
    assert!(loaded.rejected.is_empty());
}

async fn an_invalid_newest_version_is_passed_over_for_the_newest_valid_one_and_its_errors_reported<S: ParameterStore>(store: Arc<S>) {
    let name = fresh_name();
    published::publish(store.as_ref(), &name, &renamed("Bayside Clinic"), "v1.toml").await.unwrap();
    published::publish(store.as_ref(), &name, &renamed("Seaside Clinic"), "v2.toml").await.unwrap();
    // Stored around `publish-config` (by hand, or by a build that validated differently).
    let (bad, line) = broken();
    assert_eq!(store.put(&name, &published::encode(&bad)).await.unwrap(), 3);
    assert_eq!(store.put(&name, "this is = not [toml").await.unwrap(), 4);

    let loaded = published::load(store.as_ref(), &name).await.unwrap();
    assert_eq!(loaded.origin, Origin::Parameter { name: name.clone(), version: 2 });
    assert_eq!(loaded.config.organization.name, "Seaside Clinic");
    let rejected: Vec<i64> = loaded.rejected.iter().map(|r| r.version).collect();
    assert_eq!(rejected, [4, 3]);
    // The errors name the version and the line of the file that was published, as check-config does.
    let error = &loaded.rejected[1].error;
    assert_eq!(error.origin, format!("{name} version 3"));
    assert_eq!(error.problems[0].line, Some(line), "{error}");
    assert_eq!(error.problems[0].key, "business_hours.response_minutes", "{error}");
    assert_eq!(loaded.rejected[0].error.problems[0].line, Some(1), "{}", loaded.rejected[0].error);
}

async fn when_no_version_validates_the_embedded_configuration_is_used<S: ParameterStore>(store: Arc<S>) {
    let name = fresh_name();
    let (bad, _) = broken();
    store.put(&name, &published::encode(&bad)).await.unwrap();
    store.put(&name, &format!("{}not base64", published::ENCODED_PREFIX)).await.unwrap();
    let loaded = published::load(store.as_ref(), &name).await.unwrap();
    assert_eq!(loaded.origin, Origin::Embedded);
    assert_eq!(loaded.config, Config::embedded_default().unwrap());
    assert_eq!(loaded.rejected.iter().map(|r| r.version).collect::<Vec<_>>(), [2, 1]);
}

async fn a_file_that_does_not_validate_is_never_published<S: ParameterStore>(store: Arc<S>) {
    let name = fresh_name();
    published::publish(store.as_ref(), &name, &renamed("Bayside Clinic"), "v1.toml").await.unwrap();
    let (bad, line) = broken();
    match published::publish(store.as_ref(), &name, &bad, "bad.toml").await {
        Err(PublishError::Invalid(e)) => {
            assert_eq!(e.origin, "bad.toml");
            assert_eq!(e.problems[0].line, Some(line), "{e}");
        }
        other => panic!("published a file that does not validate: {other:?}"),
    }
    assert_eq!(store.current(&name).await.unwrap().unwrap().version, 1);
    assert_eq!(published::load(store.as_ref(), &name).await.unwrap().config.organization.name, "Bayside Clinic");
}

/// The whole embedded file (39 KB) is stored compressed against the dictionary: a standard
/// parameter (4 KB at most).
async fn the_embedded_configuration_fits_the_parameter<S: ParameterStore>(store: Arc<S>) {
    let name = fresh_name();
    let (prepared, _) = published::publish(store.as_ref(), &name, DEFAULT_CONFIG, "config/leadflow.toml").await.unwrap();
    assert!(prepared.bytes() <= published::STANDARD_LIMIT, "{}", prepared.bytes());
    assert_eq!(prepared.tier(), "Standard");
    assert_eq!(store.current(&name).await.unwrap().unwrap().value, prepared.value);
    let loaded = published::load(store.as_ref(), &name).await.unwrap();
    assert_eq!(loaded.config, Config::embedded_default().unwrap());
}

/// A function's init reads the parameter its `LEADFLOW_CONFIG_PARAMETER` names (SSM on moto), and
/// runs on the embedded file without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_init_loads_the_parameter_its_setting_names() {
    use leadflow::wiring::aws::{operator_config, AwsEnv};
    let aws = MotoAws::connect().await;
    let name = fresh_name();
    published::publish(&SsmParameters::from_sdk(&aws.config), &name, &renamed("Bayside Clinic"), "bayside.toml").await.unwrap();
    let mut env = AwsEnv { config_parameter: Some(name), ..leadflow_tests::aws::bare_env(&aws.endpoint) };
    assert_eq!(operator_config(&env).await.unwrap().organization.name, "Bayside Clinic");
    env.config_parameter = Some(fresh_name());
    assert_eq!(operator_config(&env).await.unwrap(), Config::embedded_default().unwrap());
    env.config_parameter = None;
    assert_eq!(operator_config(&env).await.unwrap(), Config::embedded_default().unwrap());
}
