//! The contracts of the outbound ports: the event queue (embedded queue vs SQS) and the SMS
//! sender (embedded outbox vs SNS), on moto. Each adapter comes with a probe that reads what
//! was delivered the way its consumer would.

use leadflow_tests::aws::MotoAws;
use leadflow_tests::contract_suite;
use std::sync::Arc;
use std::time::Duration;

mod queue {
    use super::*;
    use leadflow::adapters::aws::sqs::{delete_message, receive_records, ReceiveOptions};
    use leadflow::adapters::aws::SqsQueue;
    use leadflow::adapters::memory::{MemoryQueue, QueueSettings};
    use leadflow::domain::{EventId, LeadEvent, LeadEventKind, LeadId};
    use leadflow::ports::{Consumer, EventQueue};
    use leadflow_tests::aws::TestQueues;
    use leadflow_tests::leads::base_time;

    /// A message as the consumer received it.
    #[derive(Debug)]
    struct Received {
        body: String,
        receipt: String,
        receive_count: u32,
    }

    /// Reads a consumer's queue and dead-letter queue.
    trait Probe {
        fn queue(&self) -> &dyn EventQueue;
        /// Receives what is visible; `fail_fast` makes an undeleted message visible again at once.
        async fn receive(&self, consumer: Consumer, fail_fast: bool) -> Vec<Received>;
        async fn delete(&self, consumer: Consumer, receipt: &str);
        async fn dead_letters(&self, consumer: Consumer) -> Vec<String>;
        /// Messages waiting for their delay to pass.
        async fn delayed(&self, consumer: Consumer) -> usize;
    }

    impl Probe for MemoryQueue {
        fn queue(&self) -> &dyn EventQueue {
            self
        }
        async fn receive(&self, consumer: Consumer, _fail_fast: bool) -> Vec<Received> {
            MemoryQueue::receive(self, consumer, 10)
                .into_iter()
                .map(|m| Received { body: m.body, receipt: m.receipt_handle, receive_count: m.receive_count })
                .collect()
        }
        async fn delete(&self, consumer: Consumer, receipt: &str) {
            MemoryQueue::delete(self, consumer, receipt)
        }
        async fn dead_letters(&self, consumer: Consumer) -> Vec<String> {
            MemoryQueue::dead_letters(self, consumer).into_iter().map(|m| m.body).collect()
        }
        async fn delayed(&self, consumer: Consumer) -> usize {
            MemoryQueue::delayed(self, consumer)
        }
    }

    struct Sqs {
        aws: MotoAws,
        queues: TestQueues,
    }

    impl Probe for Sqs {
        fn queue(&self) -> &dyn EventQueue {
            &self.queues.queue
        }
        async fn receive(&self, consumer: Consumer, fail_fast: bool) -> Vec<Received> {
            let options = ReceiveOptions { visibility_timeout: fail_fast.then_some(Duration::ZERO), ..ReceiveOptions::default() };
            let records = receive_records(&self.aws.sqs, &self.queues.pair(consumer).main, options).await.unwrap();
            records
                .into_iter()
                .map(|r| {
                    assert_eq!(r.message_attributes["event_type"].string_value.as_deref(), Some("lead.captured"));
                    assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
                    Received {
                        receive_count: r.attributes["ApproximateReceiveCount"].parse().unwrap(),
                        body: r.body.unwrap(),
                        receipt: r.receipt_handle.unwrap(),
                    }
                })
                .collect()
        }
        async fn delete(&self, consumer: Consumer, receipt: &str) {
            delete_message(&self.aws.sqs, &self.queues.pair(consumer).main.url, receipt).await.unwrap()
        }
        async fn dead_letters(&self, consumer: Consumer) -> Vec<String> {
            let dlq = &self.queues.pair(consumer).dead_letter;
            let records = receive_records(&self.aws.sqs, dlq, ReceiveOptions::default()).await.unwrap();
            records.into_iter().filter_map(|r| r.body).collect()
        }
        async fn delayed(&self, consumer: Consumer) -> usize {
            let name = aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed;
            let out = self
                .aws
                .sqs
                .get_queue_attributes()
                .queue_url(&self.queues.pair(consumer).main.url)
                .attribute_names(name.clone())
                .send()
                .await
                .unwrap();
            out.attributes().and_then(|a| a.get(&name)).map_or(0, |v| v.parse().unwrap())
        }
    }

    async fn memory_queue() -> Arc<MemoryQueue> {
        // No visibility timeout: an undeleted message is back at once, as after a failed run.
        Arc::new(MemoryQueue::new(QueueSettings { visibility_timeout: Duration::ZERO, max_receive_count: 3 }))
    }

    async fn sqs_queue() -> Arc<Sqs> {
        let aws = MotoAws::connect().await;
        let queues = aws.fresh_queues(Duration::from_secs(30)).await;
        Arc::new(Sqs { aws, queues })
    }

    contract_suite!(
        [memory => memory_queue, sqs => sqs_queue]
        [
            a_published_event_reaches_the_acknowledge_consumer_once,
            a_message_failed_three_times_moves_to_the_dead_letter_queue,
            an_event_handed_back_for_later_is_kept_and_not_delivered_before_its_delay,
        ]
    );

    fn captured() -> LeadEvent {
        LeadEvent { id: EventId::new_at(base_time()), kind: LeadEventKind::Captured, lead_id: LeadId::random(), occurred_at: base_time() }
    }

    async fn a_published_event_reaches_the_acknowledge_consumer_once<P: Probe>(probe: Arc<P>) {
        let event = captured();
        probe.queue().publish(&event).await.unwrap();
        let received = probe.receive(Consumer::Acknowledge, false).await;
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0].body, event.to_json());
        assert_eq!(LeadEvent::from_json(&received[0].body).unwrap(), event);
        assert_eq!(received[0].receive_count, 1);
        probe.delete(Consumer::Acknowledge, &received[0].receipt).await;
        assert!(probe.receive(Consumer::Acknowledge, false).await.is_empty());
        assert!(probe.dead_letters(Consumer::Acknowledge).await.is_empty());
    }

    async fn a_message_failed_three_times_moves_to_the_dead_letter_queue<P: Probe>(probe: Arc<P>) {
        let event = captured();
        probe.queue().publish(&event).await.unwrap();
        // Three runs of the consumer fail: each receives it and does not delete it.
        for attempt in 1..=3 {
            let received = probe.receive(Consumer::Acknowledge, true).await;
            assert_eq!(received.len(), 1, "attempt {attempt}: {received:?}");
            assert_eq!(received[0].receive_count, attempt);
        }
        // The next receive finds it gone to the dead-letter queue.
        assert!(probe.receive(Consumer::Acknowledge, true).await.is_empty());
        assert_eq!(probe.dead_letters(Consumer::Acknowledge).await, vec![event.to_json()]);
    }

    /// What a paced consumer does with work it may not do yet: the event goes back to its own
    /// queue, kept there and invisible until the delay passes (never in the consumer's memory).
    async fn an_event_handed_back_for_later_is_kept_and_not_delivered_before_its_delay<P: Probe>(probe: Arc<P>) {
        let event = captured();
        probe.queue().publish_later(Consumer::Acknowledge, &event, chrono::Duration::seconds(30)).await.unwrap();
        assert!(probe.receive(Consumer::Acknowledge, false).await.is_empty(), "not before its delay");
        assert_eq!(probe.delayed(Consumer::Acknowledge).await, 1);
        assert!(probe.receive(Consumer::Score, false).await.is_empty(), "only the consumer that handed it back");
    }

    #[tokio::test]
    async fn sqs_publishing_to_an_unconfigured_consumer_fails_before_sending() {
        let aws = MotoAws::connect().await;
        let queue = SqsQueue::new(aws.sqs.clone(), []);
        let err = queue.publish(&captured()).await.unwrap_err();
        assert!(matches!(err, leadflow::ports::QueueError::NotConfigured("acknowledge")), "{err:?}");
    }
}

mod sms {
    use super::*;
    use leadflow::adapters::aws::SnsSms;
    use leadflow::adapters::memory::MemoryOutbox;
    use leadflow::domain::LeadId;
    use leadflow::ports::{ManualClock, MessagePurpose, OutboundSms, SendError, SmsSender};
    use leadflow_tests::leads::{base_time, unique_phone};

    /// A text as the provider recorded it.
    #[derive(Debug, PartialEq, Eq)]
    struct Recorded {
        to: String,
        text: String,
        provider_message_id: String,
    }

    trait Probe {
        fn sender(&self) -> &dyn SmsSender;
        async fn sent_to(&self, e164: &str) -> Vec<Recorded>;
    }

    impl Probe for MemoryOutbox {
        fn sender(&self) -> &dyn SmsSender {
            self
        }
        async fn sent_to(&self, e164: &str) -> Vec<Recorded> {
            self.entries()
                .into_iter()
                .filter(|e| e.recipient == e164)
                .map(|e| Recorded { to: e.recipient, text: e.text, provider_message_id: e.provider_message_id })
                .collect()
        }
    }

    struct Sns {
        aws: MotoAws,
        sender: SnsSms,
    }

    impl Probe for Sns {
        fn sender(&self) -> &dyn SmsSender {
            &self.sender
        }
        async fn sent_to(&self, e164: &str) -> Vec<Recorded> {
            self.aws
                .sms_sent_to(e164)
                .await
                .into_iter()
                .map(|r| Recorded { to: r.phone_number, text: r.message, provider_message_id: r.message_id })
                .collect()
        }
    }

    async fn memory_outbox() -> Arc<MemoryOutbox> {
        Arc::new(MemoryOutbox::new(Arc::new(ManualClock::new(base_time()))))
    }

    async fn sns() -> Arc<Sns> {
        let aws = MotoAws::connect().await;
        Arc::new(Sns { sender: aws.sms(), aws })
    }

    contract_suite!([memory => memory_outbox, sns => sns] [a_sent_text_is_recorded_for_its_e164_number]);

    async fn a_sent_text_is_recorded_for_its_e164_number<P: Probe>(probe: Arc<P>) {
        let to = unique_phone();
        let sms = OutboundSms {
            lead_id: Some(LeadId::random()),
            to: to.clone(),
            body: "Thanks for reaching out! We'll call you shortly. Reply STOP to opt out.".into(),
            purpose: MessagePurpose::Acknowledgement,
        };
        let sent = probe.sender().send(&sms).await.unwrap();
        assert!(!sent.provider_message_id.is_empty());
        let again = probe.sender().send(&sms).await.unwrap();
        assert_ne!(again.provider_message_id, sent.provider_message_id);
        let recorded = probe.sent_to(to.as_e164()).await;
        let expected = |id: &str| Recorded { to: to.as_e164().to_string(), text: sms.body.clone(), provider_message_id: id.to_string() };
        assert_eq!(recorded, vec![expected(&sent.provider_message_id), expected(&again.provider_message_id)]);
    }

    #[tokio::test]
    async fn sns_refuses_an_oversized_text_for_good() {
        let aws = MotoAws::connect().await;
        let to = unique_phone();
        let sms = OutboundSms { lead_id: None, to: to.clone(), body: "x".repeat(1700), purpose: MessagePurpose::Acknowledgement };
        let err = aws.sms().send(&sms).await.unwrap_err();
        assert!(matches!(err, SendError::Rejected(_)), "{err:?}");
        assert!(aws.sms_sent_to(to.as_e164()).await.is_empty());
    }

    #[tokio::test]
    async fn sns_unreachable_is_retryable() {
        // Nothing listens on port 9 of localhost: the request never gets an answer.
        let config = leadflow::adapters::aws::sdk::sdk_config(Some("http://127.0.0.1:9")).await;
        let sender = SnsSms::new(aws_sdk_sns::Client::new(&config), None, None);
        let sms = OutboundSms { lead_id: None, to: unique_phone(), body: "hi".into(), purpose: MessagePurpose::Acknowledgement };
        let err = sender.send(&sms).await.unwrap_err();
        assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
    }
}
