//! The real executable end to end, in AWS mode: each function a process of the built
//! `leadflow-functions` under its own Lambda Runtime API (`leadflow_tests::lambda`), with the
//! environment `template.yaml` gives it, against moto provisioned from the template. Events are
//! in the shapes Lambda delivers (API Gateway HTTP API payload 2.0, DynamoDB stream batches, SQS
//! batches, EventBridge scheduled events); the test plays the event source mappings moto does
//! not run, as Lambda does: the leads table's stream read from where the last batch ended and
//! handed to the relay; a batch from the queue that feeds a function in the template, the
//! records it reports as failed left on the queue (visible again, as after its visibility
//! timeout), the others deleted.

use aws_sdk_sqs::types::QueueAttributeName;
use leadflow::adapters::aws::sqs::{change_visibility, delete_message, receive_records, QueueAddress, ReceiveOptions};
use leadflow::adapters::aws::{DynamoStore, KmsKeys};
use leadflow::crypto::Sealer;
use leadflow::domain::{LeadId, LeadStatus};
use leadflow::ports::LeadStore;
use leadflow_provision::template::intrinsic;
use leadflow_provision::{Stack, StackOptions};
use leadflow_tests::aws::{unique_name, MotoAws};
use leadflow_tests::lambda::Function;
use leadflow_tests::leads::unique_phone;
use leadflow_tests::webhooks;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const EXECUTABLE: &str = env!("CARGO_BIN_EXE_leadflow-functions");
pub const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events");

/// A stack of the template in moto and the functions running against it.
pub struct System {
    pub aws: MotoAws,
    pub stack: Stack,
    config: PathBuf,
    running: tokio::sync::Mutex<BTreeMap<String, Arc<Function>>>,
    /// The leads table's stream: per shard, the last record handed to the relay.
    relayed: BTreeMap<String, String>,
}

impl System {
    pub async fn new() -> System {
        let aws = MotoAws::connect().await;
        let name = unique_name("lf");
        let secrets_path = format!("/{name}/webhooks");
        let options = StackOptions::new(&name)
            .parameter("WebhookSecretsPath", &secrets_path)
            .parameter("PublicBaseUrl", webhooks::BASE_URL)
            // So that the weekly summary is deployed too.
            .parameter("ReportSenderAddress", "reports@clinic.example")
            .parameter("ReportSenderIdentity", "clinic.example");
        let mut stack = aws.stack_with(options);
        stack.provision_all().await.expect("provision the template in moto");
        // What an operator adds beside the stack: the webhook secrets (SecureString parameters,
        // which CloudFormation cannot make) and a notification topic per team member.
        for (secret, value) in webhooks::secrets() {
            stack.put_secure_string(&format!("{secrets_path}/{secret}"), &value).await.unwrap();
        }
        // The key that signs links, start tokens and console sessions.
        let link_key = format!("{secrets_path}/{}", leadflow::wiring::aws::LINK_KEY_SECRET);
        stack.put_secure_string(&link_key, "aws-mode-link-signing-key-0123456789abcdef").await.unwrap();
        let config = test_config(&name);
        let members = leadflow::config::Config::from_file(&config).expect("the test configuration is valid").team.members;
        for member in members.keys() {
            aws.sns.create_topic().name(format!("{name}-team-{member}")).send().await.unwrap();
        }
        System { aws, stack, config, running: Default::default(), relayed: BTreeMap::new() }
    }

    /// The function `name`, started on first use with its template environment.
    async fn function(&mut self, name: &str) -> Arc<Function> {
        if let Some(f) = self.running.lock().await.get(name) {
            return f.clone();
        }
        let env = self.environment(name).await;
        let f = Arc::new(Function::start(Path::new(EXECUTABLE), name, &env).await);
        self.running.lock().await.insert(name.to_string(), f.clone());
        f
    }

    /// What the function runs with: the template's environment, moto's endpoint and dummy
    /// credentials, and the test configuration.
    pub async fn environment(&mut self, name: &str) -> BTreeMap<String, String> {
        let mut env = self.stack.function_environment(name).await.unwrap();
        env.insert("AWS_ENDPOINT_URL".into(), self.aws.endpoint.clone());
        env.insert("AWS_REGION".into(), self.stack.region().to_string());
        env.insert("AWS_ACCESS_KEY_ID".into(), "testing".into());
        env.insert("AWS_SECRET_ACCESS_KEY".into(), "testing".into());
        env.insert("LEADFLOW_CONFIG".into(), self.config.display().to_string());
        env
    }

    /// The queue that feeds `function` in the template (its SQS event source mapping).
    pub fn queue_of(&self, function: &str) -> QueueAddress {
        let t = self.stack.template();
        let id = self.stack.functions().into_iter().find(|f| f.name == function).unwrap().id;
        let mapping = t
            .resources()
            .find(|r| {
                r.kind == "AWS::Lambda::EventSourceMapping"
                    && matches!(intrinsic(r.property("FunctionName")), Some(("Ref", f)) if f.as_str() == Some(id.as_str()))
            })
            .unwrap_or_else(|| panic!("no queue feeds {function}"));
        let Some(("GetAtt", source)) = intrinsic(mapping.property("EventSourceArn")) else { panic!("{function}: EventSourceArn") };
        let queue = source.as_str().unwrap().trim_end_matches(".Arn");
        let made = self.stack.resource(queue).unwrap();
        QueueAddress { url: made.reference, arn: made.attributes["Arn"].clone() }
    }

    /// One delivery of the function's queue, as the event source mapping makes it: answers the
    /// records handed over and the ids the function reported as failed.
    async fn deliver_once(&mut self, function: &str) -> (usize, Vec<String>) {
        let queue = self.queue_of(function);
        let options = ReceiveOptions { max_messages: 10, wait: Duration::ZERO, visibility_timeout: None };
        let records = receive_records(&self.aws.sqs, &queue, options).await.unwrap();
        if records.is_empty() {
            return (0, Vec::new());
        }
        let f = self.function(function).await;
        let answer = f.invoke(json!({ "Records": records })).await.response();
        let failed: Vec<String> = answer["batchItemFailures"]
            .as_array()
            .unwrap_or_else(|| panic!("{function}: an SQS consumer answers batchItemFailures: {answer}"))
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect();
        for r in &records {
            let handle = r.receipt_handle.as_deref().unwrap();
            if failed.iter().any(|id| Some(id.as_str()) == r.message_id.as_deref()) {
                // Visible again, as once the queue's visibility timeout has passed.
                change_visibility(&self.aws.sqs, &queue.url, handle, Duration::ZERO).await.unwrap();
            } else {
                delete_message(&self.aws.sqs, &queue.url, handle).await.unwrap();
            }
        }
        (records.len(), failed)
    }

    /// Delivers the function's queue until it is empty; every record must succeed.
    async fn drain(&mut self, function: &str) -> usize {
        let mut handled = 0;
        loop {
            let (n, failed) = self.deliver_once(function).await;
            assert!(failed.is_empty(), "{function}: failed records {failed:?}");
            if n == 0 {
                return handled;
            }
            handled += n;
        }
    }

    /// The relay's event source mapping: every record of the leads table's stream not handed
    /// over yet, in batches per shard as Lambda delivers them; every batch must succeed.
    /// Answers how many records were relayed.
    async fn relay_stream(&mut self) -> usize {
        use aws_sdk_dynamodbstreams::types::ShardIteratorType;
        let table = self.stack.resource("LeadsTable").unwrap();
        let arn = table.attributes["StreamArn"].clone();
        let described = self.aws.dynamodb.describe_table().table_name(&table.reference).send().await.unwrap();
        assert_eq!(described.table().and_then(|t| t.latest_stream_arn()), Some(arn.as_str()), "the template's StreamArn");
        let streams = aws_sdk_dynamodbstreams::Client::new(&self.aws.config);
        let shards = streams.describe_stream().stream_arn(&arn).send().await.unwrap();
        let ids: Vec<String> = shards
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.shard_id().map(String::from))
            .collect();
        let relay = self.function("relay").await;
        let mut relayed = 0;
        for shard in ids {
            let request = streams.get_shard_iterator().stream_arn(&arn).shard_id(&shard);
            let request = match self.relayed.get(&shard) {
                Some(seq) => request.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(seq),
                None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let mut iterator = request.send().await.unwrap().shard_iterator().map(String::from);
            while let Some(it) = iterator {
                let out = streams.get_records().shard_iterator(&it).limit(100).send().await.unwrap();
                if out.records().is_empty() {
                    break;
                }
                let records: Vec<Value> = out.records().iter().map(|r| stream_record(r, &arn)).collect();
                let answer = relay.invoke(json!({ "Records": records })).await.response();
                let failures =
                    answer["batchItemFailures"].as_array().unwrap_or_else(|| panic!("relay answers batchItemFailures: {answer}"));
                assert!(failures.is_empty(), "relay: failed records {failures:?}");
                relayed += records.len();
                let last = out.records().last().and_then(|r| r.dynamodb()).and_then(|d| d.sequence_number()).unwrap();
                self.relayed.insert(shard.clone(), last.to_string());
                iterator = out.next_shard_iterator().map(String::from);
            }
        }
        relayed
    }

    /// An HTTP API request (payload 2.0) to an HTTP function; answers (status, JSON body).
    async fn http(&mut self, function: &str, event: Value) -> (u64, Value) {
        let answer = self.function(function).await.invoke(event).await.response();
        let status = answer["statusCode"].as_u64().unwrap_or_else(|| panic!("{function}: no statusCode in {answer}"));
        let body = answer["body"].as_str().map(|b| serde_json::from_str(b).unwrap_or(Value::String(b.to_string()))).unwrap_or(Value::Null);
        (status, body)
    }

    /// A form post: intake stores the inquiry (with its outbox record) and answers a receipt,
    /// which names no lead; the relay then hands what the stream carried to the consumers'
    /// queues. Answers the lead the inquiry landed on (found by the number, as staff would).
    async fn form_post(&mut self, e164: &str) -> LeadId {
        self.inquiry(e164).await.1
    }

    /// [`System::form_post`], answering the receipt too.
    async fn inquiry(&mut self, e164: &str) -> (String, LeadId) {
        let body = json!({"first_name": "Ann", "last_name": "Lee", "phone": e164, "service_line": "med_spa", "consent_sms": "true"});
        let (status, answer) = self.http("intake", http_event("/leads", "application/json", &body.to_string(), &[])).await;
        assert_eq!(status, 202, "{answer}");
        let fields: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, ["receipt_id", "status"], "the public answer is a receipt: {answer}");
        assert_eq!(answer["status"], "accepted");
        assert!(self.relay_stream().await >= 1, "the stored inquiry's outbox record reaches the relay");
        let phone = leadflow::domain::Phone::parse(e164, leadflow::domain::Region::US).unwrap();
        let leads = self.store().find_by_phone(&phone).await.unwrap();
        assert_eq!(leads.len(), 1, "{leads:?}");
        (answer["receipt_id"].as_str().unwrap().to_string(), leads[0])
    }

    /// The leads table (opened with the stack's field key).
    fn store(&self) -> DynamoStore {
        let key = KmsKeys::new(self.aws.kms.clone(), self.stack.resource("FieldKey").unwrap().attributes["Arn"].clone());
        let table = self.stack.resource("LeadsTable").unwrap().reference;
        DynamoStore::sealed(self.aws.dynamodb.clone(), table, Sealer::new(Arc::new(key)))
    }

    /// The lead as stored (opened with the stack's field key).
    async fn lead(&self, id: LeadId) -> leadflow::domain::Lead {
        self.store().get(id).await.unwrap().expect("the lead is stored")
    }

    async fn texts_to(&self, e164: &str) -> Vec<String> {
        self.aws.sms_sent_to(e164).await.into_iter().map(|r| r.message).collect()
    }
}

/// A stream record as Lambda delivers it to a DynamoDB stream event source (keys only).
fn stream_record(r: &aws_sdk_dynamodbstreams::types::Record, source_arn: &str) -> Value {
    let change = r.dynamodb().unwrap();
    let keys: serde_json::Map<String, Value> =
        change.keys().into_iter().flatten().map(|(k, v)| (k.clone(), json!({ "S": v.as_s().expect("string keys") }))).collect();
    json!({
        "eventID": r.event_id(),
        "eventName": r.event_name().map(|n| n.as_str()),
        "eventVersion": r.event_version(),
        "eventSource": "aws:dynamodb",
        "awsRegion": r.aws_region(),
        "dynamodb": {
            "ApproximateCreationDateTime": change.approximate_creation_date_time().map(|t| t.secs() as f64),
            "Keys": keys,
            "SequenceNumber": change.sequence_number(),
            "SizeBytes": change.size_bytes(),
            "StreamViewType": change.stream_view_type().map(|v| v.as_str()),
        },
        "eventSourceARN": source_arn,
    })
}

/// The embedded operator configuration, changed so that the result does not depend on the hour
/// the test runs at (contact allowed all day) and the med-spa cadence has a text due at once.
fn test_config(stack: &str) -> PathBuf {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/leadflow.toml");
    let mut config: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let followup = config["followup"].as_table_mut().unwrap();
    followup.insert("allowed_hours".into(), "00:00-23:59".into());
    followup.insert("honor_preferred_times".into(), false.into());
    followup.insert("max_messages_per_24h".into(), 20.into());
    followup.remove("state_rules");
    let cadences = config["cadences"].as_array_mut().unwrap();
    let med_spa = cadences.iter_mut().find(|c| c["name"].as_str() == Some("med-spa")).unwrap().as_table_mut().unwrap();
    let step: toml::Table = toml::from_str(
        r#"name = "text-now"
after = "0"
channel = "sms"
text = "Hi {first_name|there}, {org_name} here. Pick a consultation time: {scheduling_link}""#,
    )
    .unwrap();
    med_spa.insert("steps".into(), toml::Value::Array(vec![toml::Value::Table(step)]));
    let file = std::env::temp_dir().join(format!("{stack}-leadflow.toml"));
    std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
    file
}

/// An API Gateway HTTP API (payload 2.0) POST, from the repository's sample event.
pub fn http_event(path: &str, content_type: &str, body: &str, headers: &[(&str, String)]) -> Value {
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(format!("{EVENTS}/intake-json.json")).unwrap()).unwrap();
    let host = webhooks::BASE_URL.trim_start_matches("https://");
    event["rawPath"] = json!(path);
    event["routeKey"] = json!(format!("POST {path}"));
    event["requestContext"]["routeKey"] = json!(format!("POST {path}"));
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["domainName"] = json!(host);
    event["requestContext"]["requestId"] = json!(unique_name("req"));
    let h = event["headers"].as_object_mut().unwrap();
    h.insert("content-type".into(), json!(content_type));
    h.insert("content-length".into(), json!(body.len().to_string()));
    h.insert("host".into(), json!(host));
    for (k, v) in headers {
        h.insert((*k).to_string(), json!(v));
    }
    event["body"] = json!(body);
    event["isBase64Encoded"] = json!(false);
    event
}

/// An EventBridge scheduled event for now, from the repository's sample.
pub fn scheduled_event() -> Value {
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(format!("{EVENTS}/followup-schedule.json")).unwrap()).unwrap();
    event["time"] = json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    event["id"] = json!(unique_name("tick"));
    event
}

#[tokio::test]
async fn a_form_post_is_acknowledged_by_sms_scored_and_its_due_follow_up_text_is_sent() {
    let mut s = System::new().await;
    let phone = unique_phone();
    let id = s.form_post(phone.as_e164()).await;

    // intake -> the stream -> relay -> the acknowledge queue -> acknowledge -> SMS through SNS.
    assert_eq!(s.drain("acknowledge").await, 1);
    let texts = s.texts_to(phone.as_e164()).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    // The real executables read the real clock: within business hours the promise is minutes,
    // outside them the next opening (the promise logic itself is tested on a manual clock).
    assert!(texts[0].contains("will call you within 5 minutes") || texts[0].contains("will call you by "), "{}", texts[0]);
    assert!(s.lead(id).await.acknowledged_at.is_some());

    // relay -> the score queue -> score.
    assert_eq!(s.drain("score").await, 1);
    let lead = s.lead(id).await;
    assert!(lead.score.is_some(), "scored");

    // lead.captured and lead.scored -> the cadence queue -> cadence enrolls; the schedule
    // ticks the follow-up function, which sends the step that is due.
    assert!(s.drain("cadence").await >= 1);
    let report = s.function("followup").await.invoke(scheduled_event()).await.response();
    let texts = s.texts_to(phone.as_e164()).await;
    assert_eq!(texts.len(), 2, "the due step after the acknowledgement: {texts:?} (followup answered {report})");
    assert!(texts[1].contains("Pick a consultation time: https://book.harborhealth.example/med-spa"), "{}", texts[1]);
    // The next tick finds nothing due.
    s.function("followup").await.invoke(scheduled_event()).await.response();
    assert_eq!(s.texts_to(phone.as_e164()).await.len(), 2);
}

#[tokio::test]
async fn a_second_inquiry_gets_its_own_receipt_lands_on_the_same_lead_and_is_acknowledged_once() {
    let mut s = System::new().await;
    let phone = unique_phone();
    let (first, id) = s.inquiry(phone.as_e164()).await;
    assert_eq!(s.drain("acknowledge").await, 1);
    assert_eq!(s.texts_to(phone.as_e164()).await.len(), 1);

    // The same person again: a new receipt (the answer's shape does not say a lead existed),
    // the inquiry recorded on the same lead, relayed to the consumers, and no second
    // acknowledgement.
    let (second, again) = s.inquiry(phone.as_e164()).await;
    assert_ne!(first, second);
    assert_eq!(again, id);
    assert_eq!(s.lead(id).await.inquiries.len(), 2);
    assert_eq!(s.drain("acknowledge").await, 1, "the repeated inquiry reaches the acknowledge function");
    assert_eq!(s.texts_to(phone.as_e164()).await.len(), 1, "acknowledged once");
    assert!(s.drain("score").await >= 2);
    // The consumers' own writes on the stream relay nothing again.
    s.relay_stream().await;
    assert_eq!(s.drain("acknowledge").await, 0);
}

#[tokio::test]
async fn an_inbound_stop_webhook_opts_the_person_out_through_the_worker() {
    let mut s = System::new().await;
    let phone = unique_phone();
    let id = s.form_post(phone.as_e164()).await;
    s.drain("acknowledge").await;
    assert_eq!(s.texts_to(phone.as_e164()).await.len(), 1);

    // Twilio's signed inbound SMS (the secret read from SSM at init) -> webhooks -> the
    // webhooks queue -> the worker.
    let form = webhooks::twilio_form("SMe2e1", phone.as_e164(), "STOP");
    let body = serde_urlencoded::to_string(&form).unwrap();
    let signature =
        leadflow::webhooks::signature::twilio_sign(&format!("{}/webhooks/twilio/sms", webhooks::BASE_URL), &form, webhooks::TWILIO_TOKEN);
    let event = http_event("/webhooks/twilio/sms", "application/x-www-form-urlencoded", &body, &[("x-twilio-signature", signature)]);
    let (status, answer) = s.http("webhooks", event.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(s.drain("webhook-worker").await, 1);

    let lead = s.lead(id).await;
    assert_eq!(lead.status, LeadStatus::OptedOut);
    assert!(!lead.consent.allows(leadflow::domain::ContactChannel::Sms));
    let texts = s.texts_to(phone.as_e164()).await;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[1].contains("unsubscribed"), "{}", texts[1]);
    // The same STOP delivered again by the provider: no second confirmation.
    assert_eq!(s.http("webhooks", event).await.0, 200);
    s.drain("webhook-worker").await;
    assert_eq!(s.texts_to(phone.as_e164()).await.len(), 2);
}

#[tokio::test]
async fn a_record_that_keeps_failing_lands_in_the_dead_letter_queue_after_the_configured_receives() {
    let mut s = System::new().await;
    let queue = s.queue_of("acknowledge");
    // A lead event about a lead that does not exist: the acknowledge function reports it failed.
    let sample: Value = serde_json::from_str(&std::fs::read_to_string(format!("{EVENTS}/acknowledge-sqs.json")).unwrap()).unwrap();
    let body = sample["Records"][0]["body"].as_str().unwrap();
    s.aws.sqs.send_message().queue_url(&queue.url).message_body(body).send().await.unwrap();

    // The receives the template's redrive policy allows, each one failed by the function.
    let attributes = s
        .aws
        .sqs
        .get_queue_attributes()
        .queue_url(&queue.url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let redrive: Value = serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
    let max_receives: usize = redrive["maxReceiveCount"].to_string().trim_matches('"').parse().unwrap();
    assert!(max_receives >= 2);
    let mut failed_deliveries = 0;
    for _ in 0..max_receives + 2 {
        let (n, failed) = s.deliver_once("acknowledge").await;
        if n == 0 {
            break;
        }
        assert_eq!(failed.len(), 1, "the missing lead is reported failed");
        failed_deliveries += 1;
    }
    assert_eq!(failed_deliveries, max_receives, "delivered exactly maxReceiveCount times");
    let dlq_arn = redrive["deadLetterTargetArn"].as_str().unwrap();
    let dlq_url = s.aws.sqs.get_queue_url().queue_name(dlq_arn.rsplit(':').next().unwrap()).send().await.unwrap().queue_url.unwrap();
    let dead = receive_records(
        &s.aws.sqs,
        &QueueAddress { url: dlq_url, arn: dlq_arn.to_string() },
        ReceiveOptions { max_messages: 10, wait: Duration::from_secs(1), visibility_timeout: None },
    )
    .await
    .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some(body));
}
