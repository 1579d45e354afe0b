//! End to end against moto (the local AWS emulator): the intake handler stores the lead in
//! DynamoDB with its outbox record; the relay, fed from the table's stream, queues the event on
//! SQS; the queued message, read back from SQS, is handed to the acknowledge handler, which texts
//! through SNS. moto runs no Lambda triggers, so the test plays the event source mappings itself.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeZone, Utc};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use leadflow::adapters::aws::sqs::{delete_message, receive_records, ReceiveOptions};
use leadflow::app::Services;
use leadflow::handlers;
use leadflow::ports::{Consumer, ManualClock};
use leadflow_tests::aws::{MotoAws, StreamRelay, TestQueues};
use leadflow_tests::leads::unique_phone;
use std::sync::Arc;
use std::time::Duration;

struct World {
    aws: MotoAws,
    queues: TestQueues,
    services: Services,
    clock: Arc<ManualClock>,
    stream: StreamRelay,
}

async fn world() -> World {
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_kms_store().await.0);
    let stream = StreamRelay::open(&aws, store.table()).await;
    let queues = aws.fresh_queues(Duration::from_secs(30)).await;
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(open));
    let services = aws.services(store, &queues, clock.clone()).await;
    World { aws, queues, services, clock, stream }
}

/// An API Gateway (HTTP API v2) form post, as Lambda would hand it to the intake function.
fn form_post(body: &str) -> lambda_http::Request {
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.request_id = Some("req-1".into());
    ctx.http.method = http::Method::POST;
    ctx.http.source_ip = Some("203.0.113.7".into());
    http::Request::post("/leads")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", "Mozilla/5.0")
        .body(Body::Text(body.to_string()))
        .unwrap()
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

fn form(phone: &str) -> String {
    format!(
        "first_name=Ann&last_name=Lee&phone={}&email=ann.{}%40example.com&service_line=med_spa&consent_sms=on",
        phone.replace('+', "%2B"),
        &phone[phone.len() - 4..]
    )
}

impl World {
    /// Posts a form to the intake handler, then runs the relay over the table's stream (as its
    /// event source mapping would), so the event is on the consumers' queues.
    async fn intake(&self, body: &str) -> lambda_http::Response<Body> {
        let resp = handlers::intake::handle(&self.services, form_post(body)).await;
        self.stream.relay(&self.services).await;
        resp
    }

    /// Reads what is on the acknowledge queue, as Lambda's SQS trigger would.
    async fn receive(&self) -> Vec<SqsMessage> {
        let opts = ReceiveOptions { max_messages: 10, wait: Duration::from_secs(1), visibility_timeout: Some(Duration::ZERO) };
        receive_records(&self.aws.sqs, &self.queues.pair(Consumer::Acknowledge).main, opts).await.unwrap()
    }

    async fn acknowledge(&self, records: Vec<SqsMessage>) -> usize {
        let mut event = SqsEvent::default();
        event.records = records;
        handlers::acknowledge::handle(&self.services, event).await.batch_item_failures.len()
    }

    async fn delete(&self, records: &[SqsMessage]) {
        for r in records {
            delete_message(&self.aws.sqs, &self.queues.pair(Consumer::Acknowledge).main.url, r.receipt_handle.as_deref().unwrap())
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_form_post_is_stored_queued_and_acknowledged_by_one_sms() {
    let w = world().await;
    let phone = unique_phone();
    let resp = w.intake(&form(phone.as_e164())).await;
    assert_eq!(resp.status(), 202);
    let Body::Text(body) = resp.body() else { panic!("json body") };
    assert!(serde_json::from_str::<serde_json::Value>(body).unwrap()["receipt_id"].is_string(), "{body}");
    let id = leadflow_tests::leads::lead_of_phone(&w.services, phone.as_e164()).await;

    let records = w.receive().await;
    assert_eq!(records.len(), 1);
    assert_eq!(w.acknowledge(records.clone()).await, 0);
    w.delete(&records).await;

    let sent = w.aws.sms_sent_to(phone.as_e164()).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].message.contains("will call you within 5 minutes"), "{}", sent[0].message);
    let lead = w.services.leads.get(id).await.unwrap().unwrap();
    assert!(lead.acknowledged_at.is_some());
    assert_eq!(lead.consent.sms.unwrap().evidence.ip.as_deref(), Some("203.0.113.7"));
    // The write and the processing step, in the DynamoDB audit trail, once each.
    let trail = w.services.audit.by_lead(id, None, 10).await.unwrap().items;
    let actions: Vec<_> = trail.iter().map(|e| (e.action, e.actor.key())).collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(actions.contains(&(leadflow::domain::AuditAction::Create, "public_form".to_string())));
    assert!(actions.contains(&(leadflow::domain::AuditAction::Process, "system:acknowledge".to_string())));
}

#[tokio::test]
async fn the_same_sqs_record_handled_twice_sends_one_sms() {
    let w = world().await;
    let phone = unique_phone();
    assert_eq!(w.intake(&form(phone.as_e164())).await.status(), 202);
    let records = w.receive().await;
    assert_eq!(w.acknowledge(records.clone()).await, 0);
    assert_eq!(w.acknowledge(records.clone()).await, 0);
    // And two copies at once (a redelivery racing the first delivery).
    let (a, b) = tokio::join!(w.acknowledge(records.clone()), w.acknowledge(records.clone()));
    assert_eq!(a + b, 0, "the work was already done, so neither copy needs a retry");
    w.delete(&records).await;
    assert_eq!(w.aws.sms_sent_to(phone.as_e164()).await.len(), 1);
}

#[tokio::test]
async fn racing_first_deliveries_send_one_sms() {
    let w = world().await;
    let phone = unique_phone();
    assert_eq!(w.intake(&form(phone.as_e164())).await.status(), 202);
    let records = w.receive().await;
    let copies = futures::future::join_all((0..4).map(|_| w.acknowledge(records.clone()))).await;
    // Copies that lost the claim asked to be retried; retrying them finds the work done.
    for _ in 0..copies.iter().sum::<usize>() {
        assert_eq!(w.acknowledge(records.clone()).await, 0);
    }
    assert_eq!(w.aws.sms_sent_to(phone.as_e164()).await.len(), 1);
}

#[tokio::test]
async fn the_same_form_posted_twice_is_one_lead_and_one_sms() {
    let w = world().await;
    let phone = unique_phone();
    let first = w.intake(&form(phone.as_e164())).await;
    let second = w.intake(&form(phone.as_e164())).await;
    assert_eq!((first.status(), second.status()), (http::StatusCode::ACCEPTED, http::StatusCode::ACCEPTED));
    // Two receipts, the same shape, neither naming the lead.
    let answer = |r: &lambda_http::Response<Body>| match r.body() {
        Body::Text(t) => serde_json::from_str::<serde_json::Value>(t).unwrap(),
        _ => panic!("json body"),
    };
    let (a, b) = (answer(&first), answer(&second));
    assert_ne!(a["receipt_id"], b["receipt_id"]);
    assert_eq!(a.as_object().unwrap().keys().collect::<Vec<_>>(), b.as_object().unwrap().keys().collect::<Vec<_>>());
    // Two events were queued (captured, then repeated); handling both sends one text.
    let mut records = w.receive().await;
    if records.len() < 2 {
        records.extend(w.receive().await);
    }
    assert_eq!(records.len(), 2);
    // Both events in one batch are about one lead: handled once, neither sent back for retry.
    assert_eq!(w.acknowledge(records.clone()).await, 0);
    w.delete(&records).await;
    assert_eq!(w.aws.sms_sent_to(phone.as_e164()).await.len(), 1);
    let e164 = phone;
    assert_eq!(w.services.leads.find_by_phone(&e164).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_message_that_keeps_failing_moves_to_the_dead_letter_queue() {
    let w = world().await;
    let pair = w.queues.pair(Consumer::Acknowledge).clone();
    w.aws.sqs.send_message().queue_url(&pair.main.url).message_body("{not a lead event").send().await.unwrap();
    for _ in 0..4 {
        let records = w.receive().await;
        if records.is_empty() {
            break;
        }
        assert_eq!(w.acknowledge(records).await, 1, "the malformed record is reported as failed");
    }
    let dead = receive_records(&w.aws.sqs, &pair.dead_letter, ReceiveOptions { wait: Duration::from_secs(1), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some("{not a lead event"));
}

/// Scoring, routing and the SLA ladder on AWS adapters: the score consumer reads its own SQS
/// queue, stores the score and the assignment in DynamoDB, notifies the assignee's SNS topic and
/// schedules the deadline in the due-item index; the scheduled `sla` handler escalates from there.
#[tokio::test]
async fn a_lead_is_scored_assigned_and_escalated_through_dynamodb_sqs_and_sns() {
    let w = world().await;
    let phone = unique_phone();
    let resp = w.intake(&form(phone.as_e164())).await;
    assert_eq!(resp.status(), 202);
    let Body::Text(body) = resp.body() else { panic!("json body") };
    assert!(serde_json::from_str::<serde_json::Value>(body).unwrap()["receipt_id"].is_string(), "{body}");
    let id = leadflow_tests::leads::lead_of_phone(&w.services, phone.as_e164()).await;
    let opts = ReceiveOptions { max_messages: 10, wait: Duration::from_secs(1), visibility_timeout: Some(Duration::ZERO) };
    let records = receive_records(&w.aws.sqs, &w.queues.pair(Consumer::Score).main, opts).await.unwrap();
    assert_eq!(records.len(), 1);
    let mut event = SqsEvent::default();
    event.records = records;
    assert!(handlers::score::handle(&w.services, event).await.batch_item_failures.is_empty());
    let lead = w.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.score.as_ref().unwrap().model, "patient-standard");
    let assignee = lead.assignment.clone().unwrap().member;
    assert!(w.services.due.get("sla", &id.to_string()).await.unwrap().is_some());

    let tick = || handlers::sla::handle(&w.services, Default::default());
    w.clock.advance(chrono::Duration::seconds(119));
    assert_eq!(tick().await.unwrap().handled, 0);
    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(tick().await.unwrap().handled, 1);
    w.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(tick().await.unwrap().handled, 1);
    let page = w.services.timeline.list(id, None, 100).await.unwrap();
    let escalated: Vec<u32> = page
        .items
        .iter()
        .filter_map(|e| match &e.kind {
            leadflow::domain::TimelineKind::Escalated { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(escalated, [0, 1]);
    let notified: Vec<String> = page
        .items
        .iter()
        .filter_map(|e| match &e.kind {
            leadflow::domain::TimelineKind::TeamNotified { member, .. } => Some(member.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(notified.len(), 3, "assigned, overdue to the assignee, overdue to the backup: {notified:?}");
    assert_eq!(notified.iter().filter(|m| **m == assignee.to_string()).count(), 2);
}
