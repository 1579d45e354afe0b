//! Builds [`Services`] on AWS from the Lambda environment: the settings the function reads
//! ([`settings`](super::settings), set for it by the template), the SDK configured for the
//! function's region (or an emulator named by `AWS_ENDPOINT_URL`, for local runs against moto).

use crate::adapters::aws::{
    sdk, DynamoAuditLog, DynamoStore, EmfMetrics, HttpsSns, KmsKeys, SesEmail, SnsAlerts, SnsSms, SnsTeamNotifier, SqsQueue, SsmParameters,
    SsmSecrets,
};
use crate::app::webhook_context::WebhookContext;
use crate::app::Services;
use crate::config::{Config, ConfigError};
use crate::crypto::Sealer;
use crate::domain::LeadId;
use crate::ports::{Consumer, SecretError, SnsHttps, SnsHttpsError, SystemClock};
use crate::wiring::settings::{FunctionSettings, Setting};
use std::sync::Arc;

/// Why the environment cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("the {function} function cannot start without {}: template.yaml sets them for it", .missing.join(", "))]
    Missing { function: &'static str, missing: Vec<String> },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    PublishedConfig(#[from] crate::config::published::LoadError),
    #[error("cannot read the webhook secrets: {0}")]
    Secrets(#[from] SecretError),
    #[error("cannot set up HTTPS to SNS: {0}")]
    Sns(#[from] SnsHttpsError),
    #[error("the link signing key ({LINK_KEY_SECRET} under LEADFLOW_SECRETS_PATH) is not usable: {0}")]
    LinkKey(crate::crypto::LinkTokenError),
    #[error("the console cannot start: {0}")]
    Console(String),
}

/// The secret (beside the webhook secrets) that signs link tokens; every function shares it.
pub const LINK_KEY_SECRET: &str = "link_signing_key";

/// What the template hands a function.
#[derive(Debug, Clone)]
pub struct AwsEnv {
    /// `LEADFLOW_TABLE`.
    pub table: String,
    /// `LEADFLOW_AUDIT_TABLE`: the append-only audit trail.
    pub audit_table: String,
    /// `LEADFLOW_FIELD_KEY`: the KMS key (ARN) that wraps the data keys of sealed fields. Required:
    /// a function never stores the health concern unsealed.
    pub field_key: String,
    /// `LEADFLOW_QUEUE_<CONSUMER>` for each consumer this function publishes to.
    pub queues: Vec<(Consumer, String)>,
    /// `AWS_ENDPOINT_URL`, for emulators.
    pub endpoint_url: Option<String>,
    /// `LEADFLOW_SMS_ORIGINATION_NUMBER` / `LEADFLOW_SMS_SENDER_ID`.
    pub sms_origination_number: Option<String>,
    pub sms_sender_id: Option<String>,
    /// `LEADFLOW_EMAIL_FROM`: the SES identity email is sent from (the template scopes
    /// `ses:SendEmail` to it); `LEADFLOW_SES_CONFIGURATION_SET` publishes engagement events.
    pub email_from: Option<String>,
    pub ses_configuration_set: Option<String>,
    /// `LEADFLOW_TEAM_TOPIC_ARN_PREFIX`: team notices go to `{prefix}{member_id}`.
    pub team_topic_arn_prefix: Option<String>,
    /// `LEADFLOW_SECRETS_PATH`: the SSM path holding the webhook secrets (`/leadflow/prod/webhooks`).
    pub secrets_path: Option<String>,
    /// `LEADFLOW_PUBLIC_BASE_URL`: the API's public URL (Twilio signs the URL it called).
    pub public_base_url: Option<String>,
    /// `LEADFLOW_SNS_TOPIC_ARNS`: comma-separated topics whose SNS deliveries are accepted.
    pub sns_topic_arns: Vec<String>,
    /// `LEADFLOW_ALERT_TOPIC_ARN`: the SNS topic team alerts go to.
    pub alert_topic_arn: Option<String>,
    /// `LEADFLOW_METRICS_NAMESPACE`: the CloudWatch namespace of the business metrics
    /// (`leadflow/<stack>`; `leadflow` when unset).
    pub metrics_namespace: Option<String>,
    /// `LEADFLOW_CONFIG_PARAMETER`: the SSM parameter the operator configuration is published to.
    pub config_parameter: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl AwsEnv {
    /// The settings `function` reads, and only those; every required one that is missing is
    /// named in the error.
    pub fn for_function(function: &FunctionSettings) -> Result<AwsEnv, EnvError> {
        let missing = function.missing(var);
        if !missing.is_empty() {
            return Err(EnvError::Missing { function: function.function, missing });
        }
        let read = |setting: Setting| function.reads(setting).then(|| var(&setting.var())).flatten();
        Ok(AwsEnv {
            table: read(Setting::Table).unwrap_or_default(),
            audit_table: read(Setting::AuditTable).unwrap_or_default(),
            field_key: read(Setting::FieldKey).unwrap_or_default(),
            queues: function.queues().into_iter().filter_map(|c| read(Setting::Queue(c)).map(|url| (c, url))).collect(),
            endpoint_url: var("AWS_ENDPOINT_URL"),
            sms_origination_number: read(Setting::SmsOriginationNumber),
            sms_sender_id: read(Setting::SmsSenderId),
            email_from: read(Setting::EmailFrom),
            ses_configuration_set: read(Setting::SesConfigurationSet),
            team_topic_arn_prefix: read(Setting::TeamTopicArnPrefix),
            secrets_path: read(Setting::SecretsPath),
            public_base_url: read(Setting::PublicBaseUrl),
            sns_topic_arns: read(Setting::SnsTopicArns)
                .map(|v| v.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect())
                .unwrap_or_default(),
            alert_topic_arn: read(Setting::AlertTopicArn),
            metrics_namespace: read(Setting::MetricsNamespace),
            config_parameter: read(Setting::ConfigParameter),
        })
    }
}

/// The SDK clients the AWS adapters are built on, one per service.
#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
    pub ses: aws_sdk_sesv2::Client,
}

impl Clients {
    pub fn new(sdk: &aws_config::SdkConfig) -> Clients {
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
        }
    }
}

/// Services on AWS for `config`, with no webhook secrets (see [`webhook_context`]).
pub async fn services(config: Config, env: &AwsEnv) -> Services {
    let sdk = sdk::sdk_config(env.endpoint_url.as_deref()).await;
    services_on(config, env, &Clients::new(&sdk))
}

/// The SDK configuration of one function instance: its init loads it once and every client
/// (SSM for the configuration and the secrets, the clients of the services) shares it, so they
/// share one HTTP client and its connections.
pub async fn function_sdk(env: &AwsEnv) -> aws_config::SdkConfig {
    sdk::sdk_config(env.endpoint_url.as_deref()).await
}

/// Services on `clients` (a function builds them from its SDK configuration; the cost bench
/// hands in clients that count their requests). Each call makes its own data-key cache, as a new
/// function instance does.
pub fn services_on(config: Config, env: &AwsEnv, clients: &Clients) -> Services {
    let sealer = Sealer::new(Arc::new(KmsKeys::new(clients.kms.clone(), env.field_key.clone())));
    let store = DynamoStore::sealed(clients.dynamodb.clone(), env.table.clone(), sealer);
    let audit = DynamoAuditLog::new(clients.dynamodb.clone(), env.audit_table.clone());
    let queue = SqsQueue::new(clients.sqs.clone(), env.queues.clone());
    let sms = SnsSms::new(clients.sns.clone(), env.sms_origination_number.clone(), env.sms_sender_id.clone());
    let notifier = SnsTeamNotifier::new(clients.sns.clone(), env.team_topic_arn_prefix.clone());
    let store = Arc::new(store);
    // Only a function that accepts SNS deliveries from some topic fetches SNS's certificates
    // (a delivery from a topic not listed is refused before): the others skip loading the
    // system's root certificates.
    let sns_https: Arc<dyn SnsHttps> = if env.sns_topic_arns.is_empty() {
        Arc::new(crate::adapters::memory::StaticSnsHttps::new(None))
    } else {
        match HttpsSns::new() {
            Ok(h) => Arc::new(h),
            Err(e) => {
                tracing::warn!(error = %e, "no HTTPS to SNS: SNS webhooks will refuse every delivery");
                Arc::new(crate::adapters::memory::StaticSnsHttps::new(None))
            }
        }
    };
    let webhooks = WebhookContext::with_secrets(
        Default::default(),
        env.public_base_url.as_deref().unwrap_or(""),
        env.sns_topic_arns.clone(),
        sns_https,
    );
    let mail_domains: Arc<dyn crate::ports::MailDomains> = if config.data_quality.contact_validation.mx_check {
        match crate::adapters::aws::DohMailDomains::new(crate::adapters::aws::doh::DEFAULT_RESOLVER) {
            Ok(d) => Arc::new(d),
            Err(e) => {
                tracing::warn!(error = %e, "no HTTPS client for the MX check: mail domains are not looked up");
                Arc::new(crate::adapters::memory::StaticMailDomains::default())
            }
        }
    } else {
        Arc::new(crate::adapters::memory::StaticMailDomains::default())
    };
    Services {
        config: Arc::new(config),
        clock: Arc::new(SystemClock),
        leads: store.clone(),
        timeline: store.clone(),
        idempotency: store.clone(),
        once: store.clone(),
        suppressions: store.clone(),
        queue: Arc::new(queue.clone()),
        sms: Arc::new(sms),
        email: Arc::new(SesEmail::new(clients.ses.clone(), env.email_from.clone(), env.ses_configuration_set.clone())),
        due: store.clone(),
        team: store.clone(),
        notifier: Arc::new(notifier),
        listing: store.clone(),
        cadence: store.clone(),
        inbound: store.clone(),
        jobs: Arc::new(queue),
        alerts: Arc::new(SnsAlerts::new(clients.sns.clone(), env.alert_topic_arn.clone())),
        webhooks: Arc::new(webhooks),
        audit: Arc::new(audit),
        aggregates: store.clone(),
        // SNS keeps no copy of sent texts (unless the account turned on SMS delivery logs).
        person_data: vec![
            store.clone(),
            Arc::new(crate::adapters::aws::dynamo::DynamoDedupeRecords((*store).clone())),
            Arc::new(crate::app::cadence::records::CadenceRecords(store.clone())),
        ],
        dedupe: store.clone(),
        rate: store.clone(),
        visits: store.clone(),
        hygiene: store.clone(),
        pacer: store,
        mail_domains,
        links: Arc::new(crate::crypto::LinkSigner::unconfigured()),
        metrics: Arc::new(EmfMetrics::stdout(
            env.metrics_namespace.clone().unwrap_or_else(|| crate::adapters::aws::emf::DEFAULT_NAMESPACE.to_string()),
        )),
    }
}

/// The webhook context with its secrets read from SSM Parameter Store (once, at init).
pub async fn webhook_context(services: &Services, env: &AwsEnv) -> Result<WebhookContext, EnvError> {
    webhook_context_on(services, env, &function_sdk(env).await).await
}

/// [`webhook_context`] on an SDK configuration already loaded.
pub async fn webhook_context_on(services: &Services, env: &AwsEnv, sdk: &aws_config::SdkConfig) -> Result<WebhookContext, EnvError> {
    let Some(path) = &env.secrets_path else {
        return Ok((*services.webhooks).clone());
    };
    let source = SsmSecrets::new(aws_sdk_ssm::Client::new(sdk), path.clone());
    let ctx = WebhookContext::load(
        &source,
        &services.config,
        env.public_base_url.as_deref().unwrap_or(""),
        env.sns_topic_arns.clone(),
        services.webhooks.sns.clone(),
    )
    .await?;
    tracing::info!(configured = ?ctx.configured(), "webhook secrets loaded");
    Ok(ctx)
}

/// The link signer from the secret store: unconfigured when no secrets path is set or the
/// secret is absent (a function that makes or reads links checks at init).
pub async fn link_signer(env: &AwsEnv) -> Result<crate::crypto::LinkSigner, EnvError> {
    link_signer_on(env, &function_sdk(env).await).await
}

/// [`link_signer`] on an SDK configuration already loaded.
pub async fn link_signer_on(env: &AwsEnv, sdk: &aws_config::SdkConfig) -> Result<crate::crypto::LinkSigner, EnvError> {
    use crate::ports::SecretSource;
    let Some(path) = &env.secrets_path else {
        return Ok(crate::crypto::LinkSigner::unconfigured());
    };
    let source = SsmSecrets::new(aws_sdk_ssm::Client::new(sdk), path.clone());
    match source.secret(LINK_KEY_SECRET).await? {
        Some(key) => crate::crypto::LinkSigner::new(key.trim().as_bytes()).map_err(EnvError::LinkKey),
        None => Ok(crate::crypto::LinkSigner::unconfigured()),
    }
}

/// The operator configuration a function runs with: the file `LEADFLOW_CONFIG` names (local
/// runs), else the newest valid version of the parameter `LEADFLOW_CONFIG_PARAMETER` names (a
/// version that does not validate is logged and passed over: `config::published`), else the
/// embedded file.
pub async fn operator_config(env: &AwsEnv) -> Result<Config, EnvError> {
    operator_config_on(env, &function_sdk(env).await).await
}

/// [`operator_config`] on an SDK configuration already loaded.
pub async fn operator_config_on(env: &AwsEnv, sdk: &aws_config::SdkConfig) -> Result<Config, EnvError> {
    if var("LEADFLOW_CONFIG").is_some() {
        return Ok(Config::from_env()?);
    }
    let Some(name) = &env.config_parameter else {
        return Ok(Config::embedded_default()?);
    };
    let store = SsmParameters::from_sdk(sdk);
    Ok(crate::config::published::load(&store, name).await?.config)
}

/// Loads libphonenumber's metadata when `function` declares that its handlers parse or classify
/// phone numbers ([`FunctionSettings::phone_numbers`]); answers whether it did. Any other
/// function loads it on first use, if ever.
pub fn warm_phone_metadata(function: &FunctionSettings) -> bool {
    if function.phone_numbers {
        crate::domain::phone::warm_up();
    }
    function.phone_numbers
}

/// Compiles the link patterns that screen message texts when `function` declares that it
/// composes messages ([`FunctionSettings::composes_messages`]); answers whether it did.
pub fn warm_link_patterns(function: &FunctionSettings) -> bool {
    if function.composes_messages {
        crate::domain::screen::warm_up();
    }
    function.composes_messages
}

/// What a warm-up did: whether it ran (the function declares it) and its milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Warmed {
    warmed: bool,
    ms: f64,
}

/// One of the one-time CPU warm-ups a function declares ([`warm_phone_metadata`],
/// [`warm_link_patterns`]), on a thread of its own (see [`init_from_env`]).
enum WarmUp {
    Running(std::thread::JoinHandle<Warmed>),
    Done(Warmed),
}

impl WarmUp {
    /// Starts `warm` for `function` on a new thread when the function declares it (`declared`);
    /// runs it in line when no thread can be started.
    fn start(name: &str, declared: bool, warm: fn(&FunctionSettings) -> bool, function: &'static FunctionSettings) -> WarmUp {
        if !declared {
            return WarmUp::Done(Warmed { warmed: false, ms: 0.0 });
        }
        let timed = move || {
            let at = std::time::Instant::now();
            let warmed = warm(function);
            Warmed { warmed, ms: ms_since(at) }
        };
        match std::thread::Builder::new().name(name.into()).spawn(timed) {
            Ok(thread) => WarmUp::Running(thread),
            Err(e) => {
                tracing::warn!(error = %e, warm_up = name, "cannot start a warm-up thread; warming up in line");
                WarmUp::Done(timed())
            }
        }
    }

    /// Waits for the warm-up; a panic on its thread is re-raised here.
    fn join(self) -> Warmed {
        match self {
            WarmUp::Running(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            WarmUp::Done(warmed) => warmed,
        }
    }
}

/// Milliseconds since `since`, in tenths: a long run of digits would be masked as a phone
/// number in the log.
fn ms_since(since: std::time::Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}

/// Everything a function does at init: check that its settings are all there (before any
/// network), load the SDK configuration once, load and validate the configuration (see
/// [`operator_config`]), build the clients, and pay the one-time costs its requests would
/// otherwise pay (phone metadata where it parses numbers, the link patterns where it composes
/// messages, the TLS handshake to DynamoDB) before the first request rather than during it.
///
/// The phone metadata and the link patterns are CPU work that needs nothing from the network:
/// each is started on a thread of its own first thing, runs while init waits on the SDK
/// configuration, SSM and DynamoDB, and is joined before init returns, so init takes about the
/// longer of the two paths instead of their sum, and the first request finds both ready.
pub async fn init_from_env(function: &'static FunctionSettings) -> Result<Services, EnvError> {
    let started = std::time::Instant::now();
    let env = AwsEnv::for_function(function)?;
    let metadata = WarmUp::start("leadflow-phone-metadata", function.phone_numbers, warm_phone_metadata, function);
    let links = WarmUp::start("leadflow-link-patterns", function.composes_messages, warm_link_patterns, function);
    let sdk = function_sdk(&env).await;
    let sdk_ms = ms_since(started);
    let at = std::time::Instant::now();
    let config = operator_config_on(&env, &sdk).await?;
    let config_ms = ms_since(at);
    let at = std::time::Instant::now();
    let mut services = services_on(config, &env, &Clients::new(&sdk));
    let clients_ms = ms_since(at);
    let at = std::time::Instant::now();
    services.webhooks = Arc::new(webhook_context_on(&services, &env, &sdk).await?);
    services.links = Arc::new(link_signer_on(&env, &sdk).await?);
    let secrets_ms = ms_since(at);
    let at = std::time::Instant::now();
    match services.leads.get(LeadId::random()).await {
        // A refusal (a function whose role may not read leads, such as the audit function) still
        // opened the connection: only a failure to reach DynamoDB is worth a warning.
        Err(e) if e.is_retryable() => tracing::warn!(error = %e, "warming the DynamoDB connection failed; the first request will retry"),
        _ => {}
    }
    let warm_ms = ms_since(at);
    // The warm-ups' own times, and how long init waited for them after its network work.
    let at = std::time::Instant::now();
    let (metadata, links) = (metadata.join(), links.join());
    let (metadata_warmed, metadata_ms, links_warmed, links_ms) = (metadata.warmed, metadata.ms, links.warmed, links.ms);
    let warm_up_wait_ms = ms_since(at);
    // Where the init time goes (the cold-start bench reads this line).
    tracing::info!(
        function = function.function,
        sdk_ms,
        config_ms,
        clients_ms,
        secrets_ms,
        metadata_warmed,
        metadata_ms,
        links_warmed,
        links_ms,
        warm_ms,
        warm_up_wait_ms,
        "initialized"
    );
    Ok(services)
}

/// The staff console on AWS: the Cognito hosted UI named by `LEADFLOW_CONSOLE_AUTH_DOMAIN`
/// (`https://<prefix>.auth.<region>.amazoncognito.com`) and `LEADFLOW_CONSOLE_ISSUER`, the app
/// client whose id the SSM parameter `LEADFLOW_CONSOLE_CLIENT_ID_PARAMETER` holds (a parameter,
/// because the client's callback URL names the API and the API names this function), and the
/// public address `LEADFLOW_PUBLIC_BASE_URL` when a custom domain is configured. Sessions and
/// CSRF tokens are signed with the link signing key, so it must be configured.
pub async fn console_from_env(services: Services, function: &FunctionSettings) -> Result<crate::console::Console, EnvError> {
    let read = |setting: Setting| function.reads(setting).then(|| var(&setting.var())).flatten();
    let missing = |setting: Setting| EnvError::Missing { function: function.function, missing: vec![setting.var()] };
    let domain = read(Setting::ConsoleAuthDomain).ok_or_else(|| missing(Setting::ConsoleAuthDomain))?;
    let issuer = read(Setting::ConsoleIssuer).ok_or_else(|| missing(Setting::ConsoleIssuer))?;
    let client_id = match var("LEADFLOW_CONSOLE_CLIENT_ID") {
        Some(id) => id,
        None => {
            let name = read(Setting::ConsoleClientIdParameter).ok_or_else(|| missing(Setting::ConsoleClientIdParameter))?;
            let sdk = sdk::sdk_config(var("AWS_ENDPOINT_URL").as_deref()).await;
            let out = aws_sdk_ssm::Client::new(&sdk)
                .get_parameter()
                .name(&name)
                .send()
                .await
                .map_err(|e| EnvError::Console(format!("cannot read the app client id ({name}): {e}")))?;
            out.parameter().and_then(|p| p.value()).map(str::to_string).ok_or_else(|| EnvError::Console(format!("{name} is empty")))?
        }
    };
    if !services.links.is_configured() {
        return Err(EnvError::Console(format!(
            "sessions are signed with the link signing key: create {LINK_KEY_SECRET} under LEADFLOW_SECRETS_PATH"
        )));
    }
    let mut services = services;
    // The template's idle time (a stack parameter) over the configuration's.
    if let Some(minutes) = read(Setting::ConsoleIdleMinutes).and_then(|m| m.parse::<u32>().ok()).filter(|m| (1..=240).contains(m)) {
        let mut config = (*services.config).clone();
        config.console.idle_minutes = minutes;
        services.config = Arc::new(config);
    }
    let provider = crate::console::identity::Cognito::new(&domain, &client_id, &issuer).map_err(EnvError::Console)?;
    Ok(crate::console::Console::new(services, Arc::new(provider), read(Setting::PublicBaseUrl)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wiring::settings::{of, FUNCTIONS};

    #[test]
    fn only_functions_that_declare_phone_numbers_warm_the_metadata() {
        for f in FUNCTIONS {
            assert_eq!(warm_phone_metadata(f), f.phone_numbers, "{}", f.function);
        }
        for parses in ["intake", "webhooks", "webhook-worker", "acknowledge", "cadence", "followup", "console", "contacts", "leads-api"] {
            assert!(warm_phone_metadata(of(parses).unwrap()), "{parses} parses or classifies numbers: it warms the metadata");
        }
        for never in ["reports", "audit", "team", "cadence-api", "relay", "analytics"] {
            assert!(!warm_phone_metadata(of(never).unwrap()), "{never} handles no phone number: it never warms the metadata");
        }
    }

    #[test]
    fn a_declared_warm_up_runs_on_a_thread_of_its_own_and_join_reports_it() {
        for f in FUNCTIONS {
            let metadata = WarmUp::start("test-metadata", f.phone_numbers, warm_phone_metadata, f);
            let links = WarmUp::start("test-links", f.composes_messages, warm_link_patterns, f);
            assert_eq!(matches!(metadata, WarmUp::Running(_)), f.phone_numbers, "{}", f.function);
            assert_eq!(matches!(links, WarmUp::Running(_)), f.composes_messages, "{}", f.function);
            let (metadata, links) = (metadata.join(), links.join());
            assert_eq!(metadata.warmed, f.phone_numbers, "{}", f.function);
            assert_eq!(links.warmed, f.composes_messages, "{}", f.function);
            assert!(f.phone_numbers || metadata.ms == 0.0, "{}: nothing ran, nothing timed", f.function);
        }
        // After the join the work is done: a number parses and its line type is known.
        let phone = crate::domain::phone::Phone::parse("+12015550123", crate::domain::phone::Region::US).unwrap();
        assert!(phone.line_type().can_receive_sms());
    }

    #[test]
    #[should_panic(expected = "the warm-up failed")]
    fn a_panic_on_a_warm_up_thread_is_raised_by_join() {
        WarmUp::start("test-panic", true, |_| panic!("the warm-up failed"), of("intake").unwrap()).join();
    }

    #[test]
    fn only_functions_that_compose_messages_compile_the_link_patterns_at_init() {
        for f in FUNCTIONS {
            assert_eq!(warm_link_patterns(f), f.composes_messages, "{}", f.function);
            assert!(!f.composes_messages || f.phone_numbers, "{}: a function that texts leads checks their numbers", f.function);
        }
        for sends in ["acknowledge", "cadence", "followup", "console", "contacts", "webhook-worker"] {
            assert!(warm_link_patterns(of(sends).unwrap()), "{sends} composes messages");
        }
        for never in ["intake", "reports", "relay", "webhooks"] {
            assert!(!warm_link_patterns(of(never).unwrap()), "{never} composes no message");
        }
    }
}
