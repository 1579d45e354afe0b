//! Stored means processed, under failure: intake and the fan-out run 1,000 times (embedded
//! adapters; a shorter run on moto) with failures placed at random — the lead store failing
//! before a write or after it (the caller sees an error although the write is done), each queue
//! send failing before or after the message is sent (the relay or a consumer "crashes after
//! send" and its work is redelivered), and consumers crashing after their work, before the
//! message is deleted. Clients retry with their Idempotency-Key, as a form script would; the
//! relay and the consumers retry as their event source mappings do. Afterwards every submitted
//! person has exactly one lead, acknowledged exactly once (one text) and scored exactly once,
//! nothing is left in a dead-letter list, and no lead is missing.

use async_trait::async_trait;
use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, TimeZone, Utc};
use lambda_http::Body;
use leadflow::adapters::memory::event_source::sqs_event;
use leadflow::adapters::memory::{MemoryStream, QueueSettings};
use leadflow::app::Services;
use leadflow::config::Config;
use leadflow::domain::{Email, Lead, LeadEvent, LeadId, Phone};
use leadflow::handlers;
use leadflow::ports::{Alongside, CaptureOutcome, Consumer, EventQueue, LeadStore, ManualClock, QueueError, StoreError};
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_synthetic::rng::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Chance that a given store write or queue send fails (half of them after succeeding).
const FAULT: f64 = 0.08;
/// Chance that a consumer crashes after handling a batch, before deleting its messages.
const CRASH: f64 = 0.08;

/// Where failures were placed, counted.
#[derive(Default)]
struct Injected {
    store_before: AtomicU64,
    store_after: AtomicU64,
    send_before: AtomicU64,
    send_after: AtomicU64,
    consumer_crashes: AtomicU64,
}

impl Injected {
    fn report(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "store failed before the write {}, after it {}; sends failed before {}, after {}; consumers crashed after their work {}",
            g(&self.store_before),
            g(&self.store_after),
            g(&self.send_before),
            g(&self.send_after),
            g(&self.consumer_crashes)
        )
    }
}

/// Where a fault goes, if anywhere.
enum Fault {
    None,
    Before,
    After,
}

struct Dice {
    rng: Mutex<Rng>,
    on: std::sync::atomic::AtomicBool,
}

impl Dice {
    fn roll(&self) -> Fault {
        if !self.on.load(Ordering::Relaxed) {
            return Fault::None;
        }
        let mut rng = self.rng.lock().unwrap();
        if !rng.chance(FAULT) {
            Fault::None
        } else if rng.chance(0.5) {
            Fault::Before
        } else {
            Fault::After
        }
    }

    fn crash(&self) -> bool {
        self.on.load(Ordering::Relaxed) && self.rng.lock().unwrap().chance(CRASH)
    }
}

/// The lead store with faults on its writes.
struct FaultyLeads {
    inner: Arc<dyn LeadStore>,
    dice: Arc<Dice>,
    injected: Arc<Injected>,
}

impl FaultyLeads {
    fn fail<T>(&self, result: Result<T, StoreError>, when: &Fault) -> Result<T, StoreError> {
        match when {
            Fault::None => result,
            Fault::Before => unreachable!("handled before the write"),
            Fault::After => {
                self.injected.store_after.fetch_add(1, Ordering::Relaxed);
                result.and(Err(StoreError::Unavailable("injected: the write happened, the answer was lost".into())))
            }
        }
    }
}

#[async_trait]
impl LeadStore for FaultyLeads {
    async fn create_or_match(&self, lead: &Lead, alongside: &Alongside) -> Result<CaptureOutcome, StoreError> {
        let when = self.dice.roll();
        if matches!(when, Fault::Before) {
            self.injected.store_before.fetch_add(1, Ordering::Relaxed);
            return Err(StoreError::Unavailable("injected: store down".into()));
        }
        let result = self.inner.create_or_match(lead, alongside).await;
        self.fail(result, &when)
    }

    async fn get(&self, id: LeadId) -> Result<Option<Lead>, StoreError> {
        self.inner.get(id).await
    }

    async fn save_alongside(&self, lead: &Lead, alongside: &Alongside) -> Result<(), StoreError> {
        let when = self.dice.roll();
        if matches!(when, Fault::Before) {
            self.injected.store_before.fetch_add(1, Ordering::Relaxed);
            return Err(StoreError::Unavailable("injected: store down".into()));
        }
        let result = self.inner.save_alongside(lead, alongside).await;
        self.fail(result, &when)
    }

    async fn find_by_phone(&self, phone: &Phone) -> Result<Vec<LeadId>, StoreError> {
        self.inner.find_by_phone(phone).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Vec<LeadId>, StoreError> {
        self.inner.find_by_email(email).await
    }

    async fn find_by_name(&self, prefix: &str, limit: usize) -> Result<Vec<LeadId>, StoreError> {
        self.inner.find_by_name(prefix, limit).await
    }
}

/// The event queue with faults on each send (one per consumer queue).
struct FaultyQueue {
    inner: Arc<dyn EventQueue>,
    dice: Arc<Dice>,
    injected: Arc<Injected>,
}

#[async_trait]
impl EventQueue for FaultyQueue {
    async fn send(&self, consumer: Consumer, event: &LeadEvent) -> Result<(), QueueError> {
        match self.dice.roll() {
            Fault::None => self.inner.send(consumer, event).await,
            Fault::Before => {
                self.injected.send_before.fetch_add(1, Ordering::Relaxed);
                Err(QueueError::Unavailable("injected: queue down".into()))
            }
            Fault::After => {
                self.injected.send_after.fetch_add(1, Ordering::Relaxed);
                self.inner.send(consumer, event).await?;
                Err(QueueError::Unavailable("injected: crashed after the send".into()))
            }
        }
    }

    async fn publish_later(&self, consumer: Consumer, event: &LeadEvent, delay: chrono::Duration) -> Result<(), QueueError> {
        self.inner.publish_later(consumer, event, delay).await
    }
}

/// Tuesday 2026-03-03, 10:30 in New York: the practice is open.
fn open_hours() -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

/// The shipped configuration with a sender fast enough for every acknowledgement of the run in
/// the one second the manual clock stands at: these runs are about failures, not pacing.
fn unpaced() -> Config {
    let mut config = Config::embedded_default().unwrap();
    config.messaging.pacing.parts_per_second = 10_000;
    config
}

/// The `n`th person's phone (distinct, valid US numbers).
fn phone(n: usize) -> String {
    format!("+1201{:03}{:04}", 300 + n / 10_000, n % 10_000)
}

fn form(n: usize) -> String {
    let lines = ["med_spa", "wound_care", "mens_health", "franchise", "addiction_treatment"];
    format!(
        "first_name=Person&phone={}&service_line={}&consent_sms=on&concern=question+{n}&liquid_capital=100000",
        phone(n).replace('+', "%2B"),
        lines[n % lines.len()]
    )
}

/// Posts the `n`th person's form with its key until it is accepted (a form script's retries).
async fn submit(services: &Services, n: usize) -> usize {
    for attempt in 1..=200 {
        let req = http::Request::post("/leads")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("idempotency-key", format!("form-{n}"))
            .body(Body::Text(form(n)))
            .unwrap();
        let resp = handlers::intake::handle(services, req).await;
        match resp.status().as_u16() {
            202 => return attempt,
            500..=599 | 409 => continue,
            other => panic!("person {n}: intake answered {other}"),
        }
    }
    panic!("person {n}: never accepted");
}

/// What every run checks at the end.
async fn check_every_person(services: &Services, people: usize, texts_to: impl Fn(&str) -> usize) {
    let mut acknowledged = 0;
    for n in 0..people {
        let p = Phone::parse(&phone(n), leadflow::domain::Region::US).unwrap();
        let ids = services.leads.find_by_phone(&p).await.unwrap();
        assert_eq!(ids.len(), 1, "person {n}: exactly one lead, never missing ({ids:?})");
        let lead = services.leads.get(ids[0]).await.unwrap().unwrap();
        let timeline = services.timeline.list(lead.id, None, 500).await.unwrap().items;
        let count = |kind: &str| timeline.iter().filter(|e| serde_json::to_value(e).unwrap()["type"] == kind).count();
        assert_eq!(count("lead_captured"), 1, "person {n}");
        assert_eq!(count("acknowledgement_sent"), 1, "person {n}: acknowledged exactly once");
        assert_eq!(texts_to(&phone(n)), 1, "person {n}: one text");
        assert_eq!(count("score_changed"), 1, "person {n}: scored exactly once");
        assert!(lead.score.is_some() && lead.inquiries.iter().all(|i| i.triage.is_some()), "person {n}: triaged");
        assert!(lead.acknowledged_at.is_some());
        acknowledged += 1;
    }
    assert_eq!(acknowledged, people);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_inquiries_under_random_failures_are_each_stored_acknowledged_and_scored_once() {
    const PEOPLE: usize = 1_000;
    let clock = Arc::new(ManualClock::new(open_hours()));
    // Redelivery at once (no visibility wait), and enough receives that random crashes never
    // exhaust them: the dead-letter list must stay empty.
    let settings = QueueSettings { visibility_timeout: std::time::Duration::ZERO, max_receive_count: 50 };
    let system = EmbeddedSystem::with_queue_settings(unpaced(), clock, settings);
    let dice = Arc::new(Dice { rng: Mutex::new(Rng::new(0x5eed_0ff1_ce12)), on: true.into() });
    let injected = Arc::new(Injected::default());
    let mut services = system.services.clone();
    services.leads = Arc::new(FaultyLeads { inner: services.leads.clone(), dice: dice.clone(), injected: injected.clone() });
    services.queue = Arc::new(FaultyQueue { inner: services.queue.clone(), dice: dice.clone(), injected: injected.clone() });
    // The relay's stream with retries enough for the random failures (the mapping's retries).
    let stream = MemoryStream::new(system.store.clone(), 200);

    let relay = |services: Services| {
        let stream = stream.clone();
        async move {
            stream
                .drain(&|event| {
                    let services = services.clone();
                    async move { handlers::relay::handle(&services, event).await }
                })
                .await
        }
    };
    // One pass over every consumer's queue; a crash leaves a handled batch undeleted.
    let consume = |services: Services| {
        let queue = system.queue.clone();
        let dice = dice.clone();
        let injected = injected.clone();
        async move {
            let mut handled = 0;
            for consumer in Consumer::ALL {
                let messages = queue.receive(consumer, 10);
                if messages.is_empty() {
                    continue;
                }
                handled += messages.len();
                let response = handlers::consume(&services, consumer, sqs_event(consumer, &messages)).await;
                if dice.crash() {
                    injected.consumer_crashes.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                for m in &messages {
                    if !response.batch_item_failures.iter().any(|f| f.item_identifier == m.message_id) {
                        queue.delete(consumer, &m.receipt_handle);
                    }
                }
            }
            handled
        }
    };

    let mut retries = 0;
    for n in 0..PEOPLE {
        retries += submit(&services, n).await - 1;
        // Interleave: some of the fan-out runs between submissions, the rest later.
        relay(services.clone()).await;
        consume(services.clone()).await;
    }
    // Work off what is left, still under failures, then settle without them.
    for _ in 0..50 {
        relay(services.clone()).await;
        consume(services.clone()).await;
    }
    dice.on.store(false, Ordering::Relaxed);
    loop {
        let moved = relay(services.clone()).await + consume(services.clone()).await;
        if moved == 0 {
            break;
        }
    }
    println!("{PEOPLE} inquiries; intake retries {retries}; {}", injected.report());
    assert!(injected.store_before.load(Ordering::Relaxed) > 0 && injected.store_after.load(Ordering::Relaxed) > 0);
    assert!(injected.send_before.load(Ordering::Relaxed) > 0 && injected.send_after.load(Ordering::Relaxed) > 0);
    assert!(injected.consumer_crashes.load(Ordering::Relaxed) > 0);

    assert!(stream.failed().await.is_empty(), "nothing set aside by the relay");
    for consumer in Consumer::ALL {
        assert!(system.queue.dead_letters(consumer).is_empty(), "{consumer:?}: nothing dead-lettered");
    }
    let outbox = system.outbox.entries();
    check_every_person(&services, PEOPLE, |p| outbox.iter().filter(|e| e.channel == "sms" && e.recipient == p).count()).await;
    assert_eq!(system.store.lead_count(), PEOPLE, "no lead missing, none extra");
}

/// The same on moto: DynamoDB (its stream read as the relay's mapping would), SQS and SNS, with
/// a shorter run. Queues here have a high `maxReceiveCount` so random crashes never exhaust it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inquiries_on_moto_under_random_failures_are_each_stored_acknowledged_and_scored_once() {
    use leadflow::adapters::aws::sqs::{delete_message, receive_records, ReceiveOptions};
    use leadflow_tests::aws::{MotoAws, StreamRelay};
    const PEOPLE: usize = 30;
    let aws = MotoAws::connect().await;
    let store = Arc::new(aws.fresh_store().await);
    let stream = StreamRelay::open(&aws, store.table()).await;
    // The template's queues, with a receive count no random crash run exhausts.
    let queues = aws.fresh_queues(std::time::Duration::from_secs(30)).await;
    for pair in queues.pairs.values() {
        let redrive = serde_json::json!({ "deadLetterTargetArn": pair.dead_letter.arn, "maxReceiveCount": 50 }).to_string();
        aws.sqs
            .set_queue_attributes()
            .queue_url(&pair.main.url)
            .attributes(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy, redrive)
            .send()
            .await
            .unwrap();
    }
    let pairs = queues.pairs.clone();
    let clock = Arc::new(ManualClock::new(open_hours()));
    let base = aws.services(store, &queues, clock).await;
    let dice = Arc::new(Dice { rng: Mutex::new(Rng::new(0xfa17_5eed)), on: true.into() });
    let injected = Arc::new(Injected::default());
    let services = Services {
        config: Arc::new(unpaced()),
        leads: Arc::new(FaultyLeads { inner: base.leads.clone(), dice: dice.clone(), injected: injected.clone() }),
        queue: Arc::new(FaultyQueue { inner: base.queue.clone(), dice: dice.clone(), injected: injected.clone() }),
        ..base
    };
    let consume = || async {
        let mut handled = 0;
        for consumer in Consumer::ALL {
            let pair = &pairs[&consumer];
            let opts =
                ReceiveOptions { max_messages: 10, wait: std::time::Duration::ZERO, visibility_timeout: Some(std::time::Duration::ZERO) };
            let records = receive_records(&aws.sqs, &pair.main, opts).await.unwrap();
            if records.is_empty() {
                continue;
            }
            handled += records.len();
            let mut event = SqsEvent::default();
            event.records = records.clone();
            let failed = handlers::consume(&services, consumer, event).await.batch_item_failures;
            if dice.crash() {
                injected.consumer_crashes.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            for r in &records {
                if !failed.iter().any(|f| Some(&f.item_identifier) == r.message_id.as_ref()) {
                    delete_message(&aws.sqs, &pair.main.url, r.receipt_handle.as_deref().unwrap()).await.unwrap();
                }
            }
        }
        handled
    };
    for n in 0..PEOPLE {
        submit(&services, n).await;
        stream.relay(&services).await;
        consume().await;
    }
    for _ in 0..10 {
        stream.relay(&services).await;
        consume().await;
    }
    dice.on.store(false, Ordering::Relaxed);
    loop {
        let moved = stream.relay(&services).await + consume().await;
        if moved == 0 {
            break;
        }
    }
    println!("{PEOPLE} inquiries on moto; {}", injected.report());
    for consumer in Consumer::ALL {
        let dead = receive_records(&aws.sqs, &pairs[&consumer].dead_letter, ReceiveOptions::default()).await.unwrap();
        assert!(dead.is_empty(), "{consumer:?}: nothing dead-lettered");
    }
    // moto's record of every text, read once (each read dumps the whole server's state).
    let texts = leadflow_tests::moto::sms_sent(&aws.endpoint).await.unwrap();
    check_every_person(&services, PEOPLE, |p| texts.iter().filter(|t| t.phone_number == p).count()).await;
}
