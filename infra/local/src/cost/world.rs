//! A lead's whole life on AWS adapters against moto, function by function, with every client's
//! requests counted: the services are assembled exactly as a function assembles them
//! ([`leadflow::wiring::aws::services_on`]), over SDK clients carrying the meter's interceptor,
//! with a manual clock. moto runs no triggers, so the world plays them: the table's stream
//! (the outbox inserts the meter saw), the SQS event source mappings (a receive and a delete per
//! batch, counted as AWS would bill them) and the one-minute schedules.

use super::meter::Meter;
use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, Duration, Utc};
use lambda_http::{Body, RequestExt};
use leadflow::adapters::aws::sdk::{load, AwsOptions};
use leadflow::adapters::aws::sqs::{delete_message, receive_records, QueueAddress, ReceiveOptions};
use leadflow::app::webhook_context::WebhookContext;
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::LeadId;
use leadflow::handlers;
use leadflow::ports::{Clock, Consumer, ManualClock};
use leadflow::wiring::aws::{services_on, AwsEnv, Clients};
use leadflow::wiring::settings::Setting;
use leadflow_provision::{Clients as ProvisionClients, Stack, StackOptions, Template};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How function instances live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instances {
    /// Each function keeps one instance for the whole run (busy functions; data keys cached).
    Warm,
    /// Every invocation on a new instance (a quiet clinic: nothing cached between invocations).
    Cold,
}

/// The kinds of timed work the scheduled functions run.
const DUE_KINDS: [&str; 5] = [
    leadflow::app::cadence::CADENCE_KIND,
    leadflow::app::score::SLA_KIND,
    leadflow::app::reminders::REMINDER_KIND,
    leadflow::app::watch::WATCH_KIND,
    leadflow::app::decay::DECAY_KIND,
];

/// The Stripe signing secret of the world's webhook context.
const STRIPE_SECRET: &str = "whsec_cost_bench";

/// The function (template resource) that consumes each queue.
pub fn consumer_function(consumer: Consumer) -> &'static str {
    match consumer {
        Consumer::Acknowledge => "AcknowledgeFunction",
        Consumer::Score => "ScoreFunction",
        Consumer::Webhooks => "WebhookWorkerFunction",
        Consumer::Analytics => "AnalyticsFunction",
        Consumer::Cadence => "CadenceFunction",
    }
}

pub struct World {
    pub meter: Meter,
    pub clock: Arc<ManualClock>,
    clients: Clients,
    env: AwsEnv,
    config: Config,
    webhooks: Arc<WebhookContext>,
    queues: Vec<(Consumer, QueueAddress)>,
    instances: Instances,
    warm: Mutex<HashMap<&'static str, Services>>,
    /// Scheduled-function runs so far (the bench subtracts what idle runs cost).
    pub ticks: std::sync::atomic::AtomicU64,
}

impl World {
    /// Tables, queues, topics, a KMS key and a verified sender in moto at `endpoint`, and the
    /// clock at `at`.
    pub async fn on_moto(endpoint: &str, at: DateTime<Utc>, instances: Instances) -> anyhow::Result<World> {
        let meter = Meter::new(endpoint);
        let sdk = load(AwsOptions {
            endpoint_url: Some(endpoint.to_string()),
            region: Some("us-east-1".into()),
            static_credentials: Some(("bench".into(), "bench".into())),
        })
        .await;
        let clients = Clients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(meter.interceptor("DynamoDB")).build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(aws_sdk_sqs::config::Builder::from(&sdk).interceptor(meter.interceptor("SQS")).build()),
            sns: aws_sdk_sns::Client::from_conf(aws_sdk_sns::config::Builder::from(&sdk).interceptor(meter.interceptor("SNS")).build()),
            kms: aws_sdk_kms::Client::from_conf(aws_sdk_kms::config::Builder::from(&sdk).interceptor(meter.interceptor("KMS")).build()),
            ses: aws_sdk_sesv2::Client::from_conf(aws_sdk_sesv2::config::Builder::from(&sdk).interceptor(meter.interceptor("SES")).build()),
        };
        meter.counting(false);
        // The table, the audit table, the field key and the consumers' queues (with their
        // dead-letter queues) as the template makes them: the relay's and the webhooks'
        // environments name all of them.
        let suffix = format!("{}-{}", std::process::id(), Utc::now().timestamp_millis());
        let template = Arc::new(Template::repository()?);
        let mut stack = Stack::new(template, StackOptions::new(format!("lf-cost-{suffix}")), ProvisionClients::new(&sdk));
        let mut made = stack.function_environment("relay").await?;
        made.extend(stack.function_environment("webhooks").await?);
        let setting = |s: Setting| made.get(&s.var()).cloned().ok_or_else(|| anyhow::anyhow!("the template gives no {}", s.var()));
        let table = setting(Setting::Table)?;
        let audit_table = setting(Setting::AuditTable)?;
        let field_key = setting(Setting::FieldKey)?;
        meter.learn_table(&clients.dynamodb, &table).await?;
        meter.learn_table(&clients.dynamodb, &audit_table).await?;
        let mut queues = Vec::new();
        for consumer in Consumer::ALL {
            let url = setting(Setting::Queue(consumer))?;
            let attributes = clients
                .sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await?;
            let arn =
                attributes.attributes().and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)).cloned().unwrap_or_default();
            queues.push((consumer, QueueAddress { url, arn }));
        }
        let config = Config::embedded_default()?;
        let prefix = format!("leadflow-cost-team-{suffix}-");
        let mut arn_prefix = None;
        for member in config.team.members.keys() {
            let out = clients.sns.create_topic().name(format!("{prefix}{member}")).send().await?;
            let arn = out.topic_arn.unwrap_or_default();
            arn_prefix = Some(arn.trim_end_matches(member.as_str()).to_string());
        }
        let alerts = clients.sns.create_topic().name(format!("leadflow-cost-alerts-{suffix}")).send().await?.topic_arn;
        let sender = "leadflow-cost@example.com";
        clients.ses.create_email_identity().email_identity(sender).send().await?;
        meter.counting(true);
        let env = AwsEnv {
            table,
            audit_table,
            field_key,
            queues: queues.iter().map(|(c, q)| (*c, q.url.clone())).collect(),
            endpoint_url: Some(endpoint.to_string()),
            sms_origination_number: None,
            sms_sender_id: None,
            email_from: Some(sender.to_string()),
            ses_configuration_set: None,
            team_topic_arn_prefix: arn_prefix,
            secrets_path: None,
            public_base_url: Some("https://api.example.com".into()),
            sns_topic_arns: Vec::new(),
            alert_topic_arn: alerts,
            metrics_namespace: None,
            config_parameter: None,
        };
        let webhooks = Arc::new(WebhookContext::with_secrets(
            [("stripe_webhook_secret".to_string(), STRIPE_SECRET.to_string())].into_iter().collect(),
            "https://api.example.com",
            Vec::new(),
            Arc::new(leadflow::adapters::memory::StaticSnsHttps::new(None)),
        ));
        Ok(World {
            meter,
            clock: Arc::new(ManualClock::new(at)),
            clients,
            env,
            config,
            webhooks,
            queues,
            instances,
            warm: Mutex::new(HashMap::new()),
            ticks: Default::default(),
        })
    }

    /// The services of `function`'s instance: a new one per invocation when instances are cold.
    fn services(&self, function: &'static str) -> Services {
        let make = || {
            if function != "bench" {
                self.meter.cold_start(function);
            }
            let mut s = services_on(self.config.clone(), &self.env, &self.clients);
            s.clock = self.clock.clone();
            s.webhooks = self.webhooks.clone();
            s.links = Arc::new(leadflow::crypto::LinkSigner::random());
            // The bench's stdout is its report, not a log group.
            s.metrics = Arc::new(leadflow::adapters::memory::MemoryMetrics::new());
            s
        };
        match self.instances {
            Instances::Cold => make(),
            Instances::Warm => self.warm.lock().unwrap_or_else(|e| e.into_inner()).entry(function).or_insert_with(make).clone(),
        }
    }

    /// Services for the bench's own reads (not counted by the caller's choice).
    pub fn inspect(&self) -> Services {
        self.services("bench")
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A form post to the intake function, as API Gateway hands it over; the new lead's id.
    pub async fn capture(&self, i: usize) -> anyhow::Result<LeadId> {
        let phone = format!("+1201{:03}{:04}", 200 + (i / 10_000) % 700, i % 10_000);
        let body = format!(
            "first_name=Ann&last_name=Lee&phone={}&email=ann{i}%40example.com&service_line=med_spa&concern=laser+treatment&consent_sms=on&consent_email=on&state=NJ&postal_code=07030&utm_source=google&utm_campaign=spring",
            phone.replace('+', "%2B")
        );
        let mut ctx = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        ctx.http.method = http::Method::POST;
        ctx.http.source_ip = Some("203.0.113.7".into());
        let req = http::Request::post("/leads")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::Text(body))?
            .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(ctx));
        let services = self.services("IntakeFunction");
        self.meter.begin("IntakeFunction");
        let resp = handlers::intake::handle(&services, req).await;
        self.meter.end();
        anyhow::ensure!(resp.status() == 202, "intake answered {}", resp.status());
        let was = self.meter.counting(false);
        let ids = self.inspect().leads.find_by_phone(&leadflow::domain::Phone::parse(&phone, leadflow::domain::Region::US)?).await;
        self.meter.counting(was);
        ids?.into_iter().next().ok_or_else(|| anyhow::anyhow!("no lead for the posted form"))
    }

    /// The relay over the outbox records inserted since the last run, one stream batch each.
    pub async fn relay(&self) -> usize {
        let inserted = self.meter.take_outbox();
        for (pk, sk) in &inserted {
            let mut record = aws_lambda_events::dynamodb::EventRecord::default();
            record.event_name = "INSERT".into();
            record.event_source = Some("aws:dynamodb".into());
            let keys: HashMap<String, serde_dynamo::AttributeValue> =
                [("PK", pk), ("SK", sk)].into_iter().map(|(k, v)| (k.to_string(), serde_dynamo::AttributeValue::S(v.clone()))).collect();
            record.change.keys = keys.into();
            let mut event = aws_lambda_events::dynamodb::Event::default();
            event.records = vec![record];
            let services = self.services("RelayFunction");
            self.meter.begin("RelayFunction");
            let resp = handlers::relay::handle(&services, event).await;
            self.meter.end();
            if !resp.batch_item_failures.is_empty() {
                tracing::warn!("an outbox record was not relayed");
            }
        }
        inserted.len()
    }

    /// Runs the relay and every queue's consumer until nothing is left, as the triggers would.
    pub async fn drain(&self) -> anyhow::Result<()> {
        for _ in 0..100 {
            let mut any = self.relay().await > 0;
            for (consumer, queue) in &self.queues {
                let opts = ReceiveOptions { max_messages: 10, wait: std::time::Duration::ZERO, visibility_timeout: None };
                let was = self.meter.counting(false);
                let records = receive_records(&self.clients.sqs, queue, opts).await;
                self.meter.counting(was);
                let records = records?;
                if records.is_empty() {
                    continue;
                }
                any = true;
                // The event source mapping: one receive for the batch, one batch delete.
                self.meter.add("SQS", "ReceiveMessage (event source mapping)", 1);
                self.meter.add("SQS", "DeleteMessageBatch (event source mapping)", 1);
                let function = consumer_function(*consumer);
                let mut event = SqsEvent::default();
                event.records = records.clone();
                let services = self.services(function);
                self.meter.begin(function);
                let failed = handlers::consume(&services, *consumer, event).await.batch_item_failures;
                self.meter.end();
                anyhow::ensure!(failed.is_empty(), "{function} failed {} records", failed.len());
                let was = self.meter.counting(false);
                for r in &records {
                    delete_message(&self.clients.sqs, &queue.url, r.receipt_handle.as_deref().unwrap_or_default()).await?;
                }
                self.meter.counting(was);
            }
            if !any {
                return Ok(());
            }
        }
        anyhow::bail!("the queues did not drain")
    }

    /// One run of each one-minute schedule (the SLA checker, then the follow-up function), with
    /// the consumers drained before and after.
    pub async fn tick(&self) -> anyhow::Result<()> {
        self.drain().await?;
        for function in ["SlaFunction", "FollowupFunction"] {
            let services = self.services(function);
            self.meter.begin(function);
            let done = match function {
                "SlaFunction" => handlers::sla::handle(&services, Default::default()).await,
                _ => handlers::followup::handle(&services, Default::default()).await,
            };
            self.meter.end();
            self.ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            done.map_err(|e| anyhow::anyhow!("{function}: {e}"))?;
            self.drain().await?;
        }
        Ok(())
    }

    /// Moves time to `to`, running the schedules at every due time of `id`'s timed work on the
    /// way; idle minutes in between are skipped by moving the schedules' cursors, as idle runs
    /// would have (their cost is the fixed monthly one, not this lead's).
    pub async fn fast_forward(&self, id: LeadId, to: DateTime<Utc>) -> anyhow::Result<()> {
        for _ in 0..1000 {
            let was = self.meter.counting(false);
            let next = self.next_due(id).await;
            self.meter.counting(was);
            let next = next?;
            let target = next.map_or(to, |n| n.min(to)).max(self.now());
            let was = self.meter.counting(false);
            self.skip_idle_until(next.map_or(target, |n| n.min(target))).await;
            self.meter.counting(was);
            self.clock.set(target);
            self.tick().await?;
            if target >= to {
                return Ok(());
            }
            if next.is_some_and(|n| n <= self.now()) {
                self.clock.set(self.now() + Duration::minutes(1));
                self.tick().await?;
            }
        }
        anyhow::bail!("{id}: timed work still pending at {}", self.now())
    }

    async fn next_due(&self, id: LeadId) -> anyhow::Result<Option<DateTime<Utc>>> {
        let services = self.inspect();
        let mut next: Option<DateTime<Utc>> = None;
        for kind in DUE_KINDS {
            if let Some(item) = services.due.get(kind, &id.to_string()).await? {
                next = Some(next.map_or(item.due_at, |n| n.min(item.due_at)));
            }
        }
        Ok(next)
    }

    /// Moves the schedules' cursors to where the idle runs up to the minute before `target`
    /// would have left them (a minute's run moves its cursor to two minutes before its own
    /// minute), so a run at `target` costs what a run in a steady minute costs, plus its work.
    pub async fn skip_idle_until(&self, target: DateTime<Utc>) {
        let services = self.inspect();
        let to = leadflow::ports::schedule::minute_of(target) - Duration::minutes(3);
        for kind in DUE_KINDS {
            let cur = services.due.cursor(kind).await.ok().flatten();
            if cur.is_none_or(|c| c < to) {
                let _ = services.due.advance_cursor(kind, cur, to).await;
            }
        }
    }

    /// The assignee records a call the person did not answer (the contacts function).
    pub async fn unanswered_call(&self, id: LeadId) -> anyhow::Result<()> {
        use leadflow::app::contacts::{record, ContactRequest};
        use leadflow::domain::contact_attempt::{ContactAttempt, ContactOutcome};
        let was = self.meter.counting(false);
        let lead = self.inspect().leads.get(id).await;
        self.meter.counting(was);
        let assignee = lead?.and_then(|l| l.assignment).map(|a| a.member.to_string()).unwrap_or_else(|| "coordinator".into());
        let attempt = ContactAttempt { channel: leadflow::domain::ContactChannel::Call, outcome: ContactOutcome::NoAnswer, note: None };
        let services = self.services("ContactsFunction");
        self.meter.begin("ContactsFunction");
        let done = record(&services, ContactRequest { lead_id: id, attempt, by: assignee, idempotency_key: None }).await;
        self.meter.end();
        done.map_err(|e| anyhow::anyhow!("recording the call: {e}"))?;
        self.drain().await
    }

    /// A Stripe `payment_intent.succeeded` naming the lead, through the webhook function and its
    /// worker.
    pub async fn pay(&self, id: LeadId, n: usize) -> anyhow::Result<()> {
        let at = self.now().timestamp();
        let body = serde_json::json!({"id": format!("evt_cost_{n}"), "type": "payment_intent.succeeded", "created": at,
            "data": {"object": {"id": format!("pi_cost_{n}"), "amount_received": 129_900, "currency": "usd", "metadata": {"lead_id": id.to_string()}}}})
        .to_string();
        let signature = leadflow::webhooks::signature::timestamped_sign(body.as_bytes(), STRIPE_SECRET, at);
        let req = http::Request::post("/webhooks/payments")
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(Body::Text(body))?;
        let services = self.services("WebhooksFunction");
        self.meter.begin("WebhooksFunction");
        let resp = handlers::webhooks::handle(&services, req).await;
        self.meter.end();
        anyhow::ensure!(resp.status() == 200, "the payment webhook answered {}", resp.status());
        self.drain().await
    }

    /// The lead's status, read without counting.
    pub async fn status(&self, id: LeadId) -> anyhow::Result<Option<leadflow::domain::LeadStatus>> {
        let was = self.meter.counting(false);
        let lead = self.inspect().leads.get(id).await;
        self.meter.counting(was);
        Ok(lead?.map(|l| l.status))
    }
}
