//! Webhooks end to end on moto: DynamoDB, the webhook queue on SQS and texts through SNS. After
//! a STOP, moto's SNS record shows the one confirmation and nothing else.

use aws_lambda_events::sqs::SqsEvent;
use chrono::{TimeZone, Utc};
use lambda_http::Body;
use leadflow::adapters::aws::sqs::{delete_message, receive_records, ReceiveOptions};
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::{ContactChannel, LeadId, LeadStatus};
use leadflow::handlers;
use leadflow::ports::{Consumer, ManualClock};
use leadflow_tests::aws::{MotoAws, StreamRelay, TestQueues};
use leadflow_tests::leads::unique_phone;
use leadflow_tests::webhooks::{checkout_completed, context, post, stripe, twilio_sms};
use std::sync::Arc;
use std::time::Duration;

struct World {
    aws: MotoAws,
    queues: TestQueues,
    services: Services,
    stream: StreamRelay,
}

async fn world() -> World {
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    let stream = StreamRelay::open(&aws, store.table()).await;
    let queues = aws.fresh_queues(Duration::from_secs(30)).await;
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let services = Services { webhooks: Arc::new(context()), ..aws.services(store, &queues, Arc::new(ManualClock::new(open))).await };
    World { aws, queues, services, stream }
}

impl World {
    /// Runs one consumer over what its queue holds, as Lambda's trigger would (after the outbox
    /// relay, as the table's stream trigger would).
    async fn run(&self, consumer: Consumer) -> usize {
        self.stream.relay(&self.services).await;
        let mut handled = 0;
        loop {
            let opts = ReceiveOptions { max_messages: 10, wait: Duration::from_millis(0), visibility_timeout: Some(Duration::ZERO) };
            let records = receive_records(&self.aws.sqs, &self.queues.pair(consumer).main, opts).await.unwrap();
            if records.is_empty() {
                return handled;
            }
            let mut event = SqsEvent::default();
            event.records = records.clone();
            let failures = handlers::consume(&self.services, consumer, event).await.batch_item_failures;
            assert!(failures.is_empty(), "{consumer:?}: {failures:?}");
            for r in &records {
                delete_message(&self.aws.sqs, &self.queues.pair(consumer).main.url, r.receipt_handle.as_deref().unwrap()).await.unwrap();
            }
            handled += records.len();
        }
    }

    async fn lead(&self, phone: &str) -> LeadId {
        let body = serde_json::json!({"first_name": "Ann", "phone": phone, "service_line": "med_spa", "consent_sms": true});
        let resp = handlers::intake::handle(&self.services, post("/leads", "application/json", &body.to_string(), &[])).await;
        assert_eq!(resp.status(), 202);
        let Body::Text(t) = resp.body() else { panic!() };
        assert!(serde_json::from_str::<serde_json::Value>(t).unwrap()["receipt_id"].is_string());
        self.run(Consumer::Acknowledge).await;
        leadflow_tests::leads::lead_of_phone(&self.services, phone).await
    }

    async fn webhook(&self, req: lambda_http::Request) {
        assert_eq!(handlers::webhooks::handle(&self.services, req).await.status(), 200);
        self.run(Consumer::Webhooks).await;
    }
}

#[tokio::test]
async fn after_stop_moto_records_only_the_confirmation() {
    let w = world().await;
    let phone = unique_phone();
    let id = w.lead(phone.as_e164()).await;
    assert_eq!(w.aws.sms_sent_to(phone.as_e164()).await.len(), 1, "the acknowledgement");
    w.webhook(twilio_sms("SMmoto1", phone.as_e164(), "Stop")).await;
    // The same STOP delivered twice by the provider: one confirmation.
    w.webhook(twilio_sms("SMmoto1", phone.as_e164(), "Stop")).await;
    let sent = w.aws.sms_sent_to(phone.as_e164()).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[1].message.contains("unsubscribed"), "{}", sent[1].message);
    let lead = w.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.status, LeadStatus::OptedOut);
    assert!(!lead.consent.allows(ContactChannel::Sms));
    // A new inquiry from the number and an ordinary reply: nothing more goes out.
    w.lead(phone.as_e164()).await;
    w.webhook(twilio_sms("SMmoto2", phone.as_e164(), "thanks")).await;
    assert_eq!(w.aws.sms_sent_to(phone.as_e164()).await.len(), 2);
}

#[tokio::test]
async fn a_payment_converts_on_dynamodb_and_lists_under_converted() {
    let w = world().await;
    let phone = unique_phone();
    let id = w.lead(phone.as_e164()).await;
    let now = leadflow::ports::Clock::now(w.services.clock.as_ref());
    let reference = leadflow::app::references::reference(&w.services, leadflow::app::references::PAYMENT, id).unwrap();
    let event = checkout_completed("evt_moto", &reference, 49_999, "usd", now);
    w.webhook(stripe(&event, now)).await;
    w.webhook(stripe(&event, now)).await;
    let lead = w.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.status, LeadStatus::Converted);
    assert_eq!(lead.payments.len(), 1);
    assert_eq!(lead.revenue(&leadflow::domain::money::Currency::usd()).minor, 49_999);
    let page = w.services.listing.list_leads(&leadflow::ports::LeadFilter::Status(LeadStatus::Converted), None, 10).await.unwrap();
    assert_eq!(page.items.iter().map(|l| l.id).collect::<Vec<_>>(), vec![id]);
}

#[tokio::test]
async fn lambda_init_reads_the_webhook_secrets_from_ssm_once() {
    use leadflow::wiring::aws::{services, webhook_context, AwsEnv};
    let aws = MotoAws::connect().await;
    let ssm = aws_sdk_ssm::Client::new(&aws.config);
    let path = format!("/{}/webhooks", leadflow_tests::aws::unique_name("init"));
    for (name, value) in [("stripe_webhook_secret", "whsec_from_ssm"), ("source_chat_widget", "chat-from-ssm")] {
        ssm.put_parameter()
            .name(format!("{path}/{name}"))
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    }
    let env = AwsEnv {
        secrets_path: Some(path),
        public_base_url: Some("https://api.example.com/".into()),
        sns_topic_arns: vec!["arn:aws:sns:us-east-1:123456789012:t".into()],
        ..leadflow_tests::aws::bare_env(&aws.endpoint)
    };
    let s = services(Config::embedded_default().unwrap(), &env).await;
    let ctx = webhook_context(&s, &env).await.unwrap();
    assert_eq!(ctx.secret("stripe_webhook_secret"), Some("whsec_from_ssm"));
    assert_eq!(ctx.secret("source_chat_widget"), Some("chat-from-ssm"));
    assert_eq!(ctx.secret("twilio_auth_token"), None);
    assert_eq!(ctx.public_base_url, "https://api.example.com");
    assert_eq!(ctx.configured(), vec!["source_chat_widget", "stripe_webhook_secret"]);
}
