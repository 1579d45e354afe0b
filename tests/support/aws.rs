//! SDK clients pointed at the test process's moto server, and fresh resources per test, made
//! from `template.yaml` (`leadflow-provision`): a test's table, queues, keys and topics are the
//! template's, with its keys, indexes, TTL, redrive policies and attributes, under names of a
//! stack of the test's own. Nothing here describes a resource.
//!
//! Build a [`MotoAws`] inside each test: SDK clients keep connections bound to the runtime
//! that made them, and every `#[tokio::test]` has its own runtime.

use crate::moto;
use leadflow::adapters::aws::sdk::{load, AwsOptions};
use leadflow::adapters::aws::sqs::{QueueAddress, QueuePair};
use leadflow::adapters::aws::{DynamoAuditLog, DynamoStore, KmsKeys, SesEmail, SnsSms, SnsTeamNotifier, SqsQueue};
use leadflow::adapters::memory::LocalKeys;
use leadflow::crypto::Sealer;
use leadflow::ports::Consumer;
use leadflow::wiring::settings::Setting;
use leadflow_provision::template::references;
use leadflow_provision::{Clients, Stack, StackOptions, Template};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The region every test uses.
pub const REGION: &str = "us-east-1";

/// The repository's `template.yaml`, read once per test process.
pub fn template() -> Arc<Template> {
    static TEMPLATE: OnceLock<Arc<Template>> = OnceLock::new();
    TEMPLATE.get_or_init(|| Arc::new(Template::repository().expect("template.yaml"))).clone()
}

/// The resource of the template a function setting names (`LEADFLOW_TABLE` -> `LeadsTable`):
/// where it is set (`Globals` or any function), the one resource its value refers to.
pub fn resource_of(setting: Setting) -> String {
    let t = template();
    let var = setting.var();
    let naming = Stack::naming_only(t.clone(), StackOptions::new("naming"));
    let mut values: Vec<serde_yaml_ng::Value> =
        t.global_function_variables().and_then(|g| g.get(var.as_str())).cloned().into_iter().collect();
    for r in t.resources().filter(|r| r.kind == "AWS::Serverless::Function") {
        values.extend(r.property("Environment").get("Variables").and_then(|v| v.get(var.as_str())).cloned());
    }
    let ids: std::collections::BTreeSet<String> =
        values.iter().flat_map(|v| references(&naming, v).expect("the value evaluates")).collect();
    assert_eq!(ids.len(), 1, "{var} names one resource of the template, not {ids:?}");
    ids.into_iter().next().unwrap()
}

/// Clients for moto.
#[derive(Debug, Clone)]
pub struct MotoAws {
    pub endpoint: String,
    pub config: aws_config::SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
}

/// Each consumer's queue pair, and the publisher over them.
#[derive(Debug, Clone)]
pub struct TestQueues {
    pub queue: SqsQueue,
    pub pairs: BTreeMap<Consumer, QueuePair>,
}

impl TestQueues {
    pub fn pair(&self, consumer: Consumer) -> &QueuePair {
        &self.pairs[&consumer]
    }
}

impl MotoAws {
    /// Clients for this process's moto server (started on first use), with region `us-east-1`
    /// and dummy static credentials.
    pub async fn connect() -> MotoAws {
        let endpoint = moto::endpoint().to_string();
        let config = load(AwsOptions {
            endpoint_url: Some(endpoint.clone()),
            region: Some(REGION.into()),
            static_credentials: Some(("testing".into(), "testing".into())),
        })
        .await;
        MotoAws {
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            endpoint,
            config,
        }
    }

    /// A new stack of the template in moto, named for this test alone; its resources are made
    /// as they are asked for ([`Stack::provision`]) or all at once ([`Stack::provision_all`]).
    pub fn stack(&self) -> Stack {
        self.stack_with(StackOptions::new(unique_name("lf")))
    }

    pub fn stack_with(&self, options: StackOptions) -> Stack {
        Stack::new(template(), options, Clients::new(&self.config))
    }

    /// The resource a setting names, made in a new stack: its `Ref` and attributes.
    async fn fresh(&self, setting: Setting) -> leadflow_provision::Physical {
        self.stack().provision(&resource_of(setting)).await.unwrap_or_else(|e| panic!("make {}: {e}", setting.var()))
    }

    /// A new, empty leads table (the template's), sealing sensitive fields as the functions do
    /// (with a local master key: fast, and the contract tests exercise the sealing).
    pub async fn fresh_store(&self) -> DynamoStore {
        let table = self.fresh(Setting::Table).await.reference;
        DynamoStore::sealed(self.dynamodb.clone(), table, Sealer::new(Arc::new(LocalKeys::random())))
    }

    /// A new leads table sealing with a new field key in moto (what the functions do).
    pub async fn fresh_kms_store(&self) -> (DynamoStore, KmsKeys) {
        let table = self.fresh(Setting::Table).await.reference;
        let keys = self.fresh_kms_key().await;
        (DynamoStore::sealed(self.dynamodb.clone(), table, Sealer::new(Arc::new(keys.clone()))), keys)
    }

    /// A new field key (the template's) in moto.
    pub async fn fresh_kms_key(&self) -> KmsKeys {
        let key = self.fresh(Setting::FieldKey).await;
        KmsKeys::new(self.kms.clone(), key.attributes["Arn"].clone())
    }

    /// An audit log on a new, empty audit table (the template's).
    pub async fn fresh_audit(&self) -> DynamoAuditLog {
        DynamoAuditLog::new(self.dynamodb.clone(), self.fresh(Setting::AuditTable).await.reference)
    }

    /// Every consumer's queue and dead-letter queue, as the template makes them, in a new stack,
    /// and a publisher over them. `visibility_timeout` replaces the template's (tests that
    /// redeliver do not wait minutes).
    pub async fn fresh_queues(&self, visibility_timeout: Duration) -> TestQueues {
        let mut stack = self.stack();
        let mut pairs = BTreeMap::new();
        for consumer in Consumer::ALL {
            let pair = queue_pair(&mut stack, &resource_of(Setting::Queue(consumer))).await;
            self.sqs
                .set_queue_attributes()
                .queue_url(&pair.main.url)
                .attributes(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout, visibility_timeout.as_secs().to_string())
                .send()
                .await
                .expect("set the visibility timeout");
            pairs.insert(consumer, pair);
        }
        let queue = SqsQueue::new(self.sqs.clone(), pairs.iter().map(|(c, p)| (*c, p.main.url.clone())));
        TestQueues { queue, pairs }
    }

    /// A plain queue that stands in for a subscriber outside the stack (a team's alert inbox).
    pub async fn subscriber_queue(&self, prefix: &str) -> QueueAddress {
        let url = self.sqs.create_queue().queue_name(unique_name(prefix)).send().await.expect("create a queue").queue_url.unwrap();
        let arn = queue_arn(&self.sqs, &url).await;
        QueueAddress { url, arn }
    }

    /// An SES v2 sender from a verified test identity (moto only sends from verified ones).
    pub async fn email(&self) -> SesEmail {
        let client = aws_sdk_sesv2::Client::new(&self.config);
        client.create_email_identity().email_identity(TEST_SENDER).send().await.expect("verify the test sender");
        SesEmail::new(client, Some(TEST_SENDER.to_string()), None)
    }

    /// Emails moto's SES accepted for `address`.
    pub async fn emails_sent_to(&self, address: &str) -> Vec<serde_json::Value> {
        let state = moto::recorded_state(&self.endpoint).await.expect("read moto's state");
        let mut out = Vec::new();
        collect_emails(&state, address, &mut out);
        out
    }

    /// A sender with the account's default origination identity.
    pub fn sms(&self) -> SnsSms {
        SnsSms::new(self.sns.clone(), None, None)
    }

    /// A team notifier over fresh per-member topics (`{unique prefix}{member_id}`) for every
    /// member of `config`, as an administrator would create them.
    pub async fn team_notifier(&self, config: &leadflow::config::Config) -> SnsTeamNotifier {
        let prefix = unique_name("team") + "-";
        let mut arn_prefix = None;
        for member in config.team.members.keys() {
            let out = self.sns.create_topic().name(format!("{prefix}{member}")).send().await.expect("create a team topic");
            let arn = out.topic_arn.expect("topic arn");
            arn_prefix = Some(arn.trim_end_matches(member.as_str()).to_string());
        }
        SnsTeamNotifier::new(self.sns.clone(), arn_prefix)
    }

    /// Services over moto, as a function builds them: `store` behind every store port (and as
    /// the store of personal data), `queues` for lead events and webhook jobs, a fresh audit
    /// table, texts through moto's SNS, team notices to fresh per-member topics, the embedded
    /// configuration and the runner's webhook settings. Tests change what they need with struct
    /// update syntax (`Services { sms: ..., ..aws.services(...).await }`).
    pub async fn services(
        &self,
        store: Arc<DynamoStore>,
        queues: &TestQueues,
        clock: Arc<dyn leadflow::ports::Clock>,
    ) -> leadflow::app::Services {
        let config = leadflow::config::Config::embedded_default().expect("the embedded configuration is valid");
        let notifier = self.team_notifier(&config).await;
        leadflow::app::Services {
            config: Arc::new(config),
            clock,
            leads: store.clone(),
            timeline: store.clone(),
            idempotency: store.clone(),
            once: store.clone(),
            suppressions: store.clone(),
            queue: Arc::new(queues.queue.clone()),
            sms: Arc::new(self.sms()),
            email: Arc::new(self.email().await),
            due: store.clone(),
            team: store.clone(),
            notifier: Arc::new(notifier),
            listing: store.clone(),
            inbound: store.clone(),
            cadence: store.clone(),
            jobs: Arc::new(queues.queue.clone()),
            alerts: Arc::new(leadflow::adapters::aws::SnsAlerts::new(self.sns.clone(), None)),
            webhooks: Arc::new(leadflow::wiring::embedded::local_webhooks()),
            audit: Arc::new(self.fresh_audit().await),
            aggregates: store.clone(),
            person_data: vec![
                store.clone(),
                Arc::new(leadflow::adapters::aws::dynamo::DynamoDedupeRecords((*store).clone())),
                Arc::new(leadflow::app::cadence::records::CadenceRecords(store.clone())),
            ],
            dedupe: store.clone(),
            rate: store.clone(),
            visits: store.clone(),
            hygiene: store.clone(),
            pacer: store,
            mail_domains: Arc::new(leadflow::adapters::memory::StaticMailDomains::default()),
            links: Arc::new(leadflow::crypto::LinkSigner::random()),
            metrics: Arc::new(leadflow::adapters::memory::MemoryMetrics::new()),
        }
    }

    /// Texts moto's SNS accepted for `e164`.
    pub async fn sms_sent_to(&self, e164: &str) -> Vec<moto::SmsRecord> {
        moto::sms_sent_to(&self.endpoint, e164).await.expect("read moto's SMS record")
    }
}

/// A queue of the stack and the dead-letter queue its redrive policy names (both made).
pub async fn queue_pair(stack: &mut Stack, queue: &str) -> QueuePair {
    let main = stack.provision(queue).await.unwrap_or_else(|e| panic!("make {queue}: {e}"));
    let redrive = stack.template().resource(queue).unwrap().property("RedrivePolicy").clone();
    let redrive = stack.evaluate(&redrive).unwrap().unwrap_or_else(|| panic!("{queue} has no redrive policy"));
    let dlq_arn = redrive["deadLetterTargetArn"].as_str().expect("deadLetterTargetArn").to_string();
    let dlq_name = dlq_arn.rsplit(':').next().unwrap();
    let sqs = &stack.clients().expect("a stack that makes resources").sqs;
    let dlq_url = sqs.get_queue_url().queue_name(dlq_name).send().await.expect("the dead-letter queue").queue_url.unwrap();
    QueuePair {
        main: QueueAddress { url: main.reference, arn: main.attributes["Arn"].clone() },
        dead_letter: QueueAddress { url: dlq_url, arn: dlq_arn },
    }
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the queue's ARN")
        .attributes
        .unwrap_or_default();
    attributes[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone()
}

/// The verified sender of test emails.
pub const TEST_SENDER: &str = "leadflow-test@example.com";

/// Finds sent messages addressed to `address` anywhere in moto's SES records (the layout of
/// `data.json` differs between moto versions, so it is searched rather than navigated).
fn collect_emails(v: &serde_json::Value, address: &str, out: &mut Vec<serde_json::Value>) {
    match v {
        serde_json::Value::Object(m) => {
            let to_hit = ["destinations", "destination", "to_addresses", "recipients"]
                .iter()
                .filter_map(|k| m.get(*k))
                .any(|d| d.to_string().to_lowercase().contains(&address.to_lowercase()));
            if to_hit && (m.contains_key("subject") || m.contains_key("body") || m.contains_key("source")) {
                out.push(v.clone());
                return;
            }
            for x in m.values() {
                collect_emails(x, address, out);
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                collect_emails(x, address, out);
            }
        }
        _ => {}
    }
}

/// A resource name no other test of any process uses: `{prefix}-{pid}-{time}-{n}`.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{prefix}-{}-{}-{}", std::process::id(), nanos % 1_000_000_000_000, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A table's change stream read as the relay's event source mapping reads it in AWS (moto runs
/// no mappings): records are fetched with the Streams API from where the last batch ended,
/// handed to the relay handler as a DynamoDB stream event, and a record the handler reports as
/// failed is fetched again (from its sequence number) by the next poll.
pub struct StreamRelay {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// Per shard: where the next read starts.
    positions: tokio::sync::Mutex<BTreeMap<String, Position>>,
    /// Failed attempts per record (sequence number): after [`STREAM_MAX_ATTEMPTS`] the record is
    /// passed over, as the mapping's bounded retries and on-failure destination do.
    failures: tokio::sync::Mutex<BTreeMap<String, u32>>,
}

/// Attempts per stream record before it is passed over (the mapping's retries + 1).
pub const STREAM_MAX_ATTEMPTS: u32 = 10;

#[derive(Debug, Clone)]
enum Position {
    Iterator(String),
    At(String),
    After(String),
}

impl StreamRelay {
    /// The stream of `table`, from its oldest record.
    pub async fn open(aws: &MotoAws, table: &str) -> StreamRelay {
        let described = aws.dynamodb.describe_table().table_name(table).send().await.expect("describe the table");
        let arn = described.table().and_then(|t| t.latest_stream_arn()).expect("a stream").to_string();
        let client = aws_sdk_dynamodbstreams::Client::new(&aws.config);
        let shards = client.describe_stream().stream_arn(&arn).send().await.expect("describe the stream");
        let mut positions = BTreeMap::new();
        for shard in shards.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let id = shard.shard_id().expect("a shard id").to_string();
            let it = client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(&id)
                .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("a shard iterator");
            positions.insert(id, Position::Iterator(it.shard_iterator().expect("iterator").to_string()));
        }
        StreamRelay { client, arn, positions: tokio::sync::Mutex::new(positions), failures: Default::default() }
    }

    /// One batch per shard through the relay handler; returns how many records were handed over.
    pub async fn relay(&self, services: &leadflow::app::Services) -> usize {
        use aws_sdk_dynamodbstreams::types::ShardIteratorType;
        let mut positions = self.positions.lock().await;
        let mut handed = 0;
        for (shard, position) in positions.iter_mut() {
            let iterator = match position.clone() {
                Position::Iterator(it) => it,
                Position::At(seq) | Position::After(seq) => self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.arn)
                    .shard_id(shard)
                    .shard_iterator_type(if matches!(position, Position::At(_)) {
                        ShardIteratorType::AtSequenceNumber
                    } else {
                        ShardIteratorType::AfterSequenceNumber
                    })
                    .sequence_number(seq)
                    .send()
                    .await
                    .expect("a shard iterator")
                    .shard_iterator()
                    .expect("iterator")
                    .to_string(),
            };
            let out = self.client.get_records().shard_iterator(&iterator).send().await.expect("stream records");
            let next = out.next_shard_iterator().map(str::to_string);
            let records: Vec<aws_lambda_events::dynamodb::EventRecord> = out.records().iter().map(lambda_record).collect();
            if records.is_empty() {
                if let Some(n) = next {
                    *position = Position::Iterator(n);
                }
                continue;
            }
            handed += records.len();
            let mut event = aws_lambda_events::dynamodb::Event::default();
            event.records = records;
            let response = leadflow::handlers::relay::handle(services, event).await;
            *position = match response.batch_item_failures.first().and_then(|f| f.item_identifier.clone()) {
                Some(seq) => {
                    let mut failures = self.failures.lock().await;
                    let n = failures.entry(seq.clone()).or_default();
                    *n += 1;
                    if *n >= STREAM_MAX_ATTEMPTS {
                        Position::After(seq)
                    } else {
                        Position::At(seq)
                    }
                }
                None => match next {
                    Some(n) => Position::Iterator(n),
                    None => continue,
                },
            };
        }
        handed
    }
}

/// A Streams API record as Lambda hands it to a function.
fn lambda_record(r: &aws_sdk_dynamodbstreams::types::Record) -> aws_lambda_events::dynamodb::EventRecord {
    let mut out = aws_lambda_events::dynamodb::EventRecord::default();
    out.event_name = r.event_name().map(|n| n.as_str().to_string()).unwrap_or_default();
    out.event_id = r.event_id().unwrap_or_default().to_string();
    out.event_source = Some("aws:dynamodb".into());
    out.aws_region = REGION.into();
    if let Some(change) = r.dynamodb() {
        let keys: std::collections::HashMap<String, serde_dynamo::AttributeValue> = change
            .keys()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), serde_dynamo::AttributeValue::S(s.clone()))))
            .collect();
        out.change.keys = keys.into();
        out.change.sequence_number = change.sequence_number().map(str::to_string);
    }
    out
}

/// A function's settings on moto with no table, queue, key or topic it would use: a test sets
/// only what it checks (`AwsEnv { config_parameter: ..., ..bare_env(endpoint) }`).
pub fn bare_env(endpoint: &str) -> leadflow::wiring::aws::AwsEnv {
    leadflow::wiring::aws::AwsEnv {
        table: "unused".into(),
        audit_table: "unused".into(),
        field_key: "alias/unused".into(),
        queues: Vec::new(),
        endpoint_url: Some(endpoint.to_string()),
        sms_origination_number: None,
        sms_sender_id: None,
        email_from: None,
        ses_configuration_set: None,
        team_topic_arn_prefix: None,
        secrets_path: None,
        public_base_url: None,
        sns_topic_arns: Vec::new(),
        alert_topic_arn: None,
        metrics_namespace: None,
        config_parameter: None,
    }
}
