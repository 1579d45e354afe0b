//! Benchmarks that print figures (never timed assertions in tests):
//!
//! ```text
//! cargo run --release -p leadflow-local --bin leadflow-bench [-- --leads 2000]
//! ```
//!
//! * intake handler time per request (parse + validate + store + enqueue, embedded adapters);
//! * acknowledge handler time per message (read + claim + render + send + record);
//! * end-to-end local-runner latency from `POST /leads` to the outbox entry, over real HTTP;
//! * scoring alone per lead (urgency phrases + the model, pure domain), routing alone (rules,
//!   availability, round-robin ticket), and the score consumer per event (read, score, route,
//!   store, timeline, notify, schedule the SLA; embedded adapters).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use lambda_http::{Body, RequestExt};
use leadflow::config::Config;
use leadflow::handlers;
use leadflow::ports::{Consumer, SystemClock};
use leadflow::runtime::embedded::EmbeddedSystem;
use leadflow_local::{start, Options};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn form(i: usize) -> String {
    // Distinct valid US numbers: 201-555-01xx and beyond stay in the 555 range.
    format!(
        "first_name=Ann&last_name=Lee&phone=%2B1201{:03}{:04}&email=ann{i}%40example.com&service_line=med_spa&concern=laser+treatment&consent_sms=on&utm_source=google&utm_campaign=spring",
        200 + (i / 10_000) % 700,
        i % 10_000
    )
}

fn lambda_request(body: String) -> lambda_http::Request {
    let mut ctx = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    ctx.http.source_ip = Some("203.0.113.1".into());
    http::Request::post("/leads")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::Text(body))
        .expect("request")
        .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(ctx))
}

struct Stats(Vec<Duration>);

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut v = self.0.clone();
        v.sort();
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }

    fn mean(&self) -> Duration {
        self.0.iter().sum::<Duration>() / self.0.len() as u32
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name:<44} n={:<6} mean={:>9.1?} p50={:>9.1?} p99={:>9.1?} max={:>9.1?}",
            self.0.len(),
            self.mean(),
            self.pct(0.50),
            self.pct(0.99),
            self.pct(1.0)
        )
    }
}

async fn bench_handlers(n: usize) -> (Stats, Stats) {
    let system = EmbeddedSystem::new(Config::embedded_default().expect("config"), Arc::new(SystemClock));
    // Warm-up, not measured.
    for i in 0..100 {
        handlers::intake::handle(&system.services, lambda_request(form(900_000 + i))).await;
    }
    system.drain_queues().await;
    let mut intake = Vec::with_capacity(n);
    for i in 0..n {
        let req = lambda_request(form(i));
        let t = Instant::now();
        let resp = handlers::intake::handle(&system.services, req).await;
        intake.push(t.elapsed());
        assert_eq!(resp.status(), 202);
    }
    let mut ack = Vec::with_capacity(n);
    loop {
        let messages = system.queue.receive(Consumer::Acknowledge, 1);
        let Some(m) = messages.first() else { break };
        let event = leadflow::adapters::memory::event_source::sqs_event(Consumer::Acknowledge, &messages);
        let t = Instant::now();
        let resp = handlers::acknowledge::handle(&system.services, event).await;
        ack.push(t.elapsed());
        assert!(resp.batch_item_failures.is_empty());
        system.queue.delete(Consumer::Acknowledge, &m.receipt_handle);
    }
    assert_eq!(system.outbox.len(), n + 100);
    (Stats(intake), Stats(ack))
}

async fn bench_end_to_end(n: usize) -> Stats {
    let running = start(Options { port: 0, ..Options::default() }, Arc::new(SystemClock)).await.expect("runner");
    let stream = tokio::net::TcpStream::connect(running.addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut sender, conn) = http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    let mut samples = Vec::with_capacity(n);
    for i in 0..(n + 100) {
        let req = hyper::Request::post("/leads")
            .header("host", "localhost")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form(i))))
            .expect("request");
        sender.ready().await.expect("connection ready");
        let before = running.system.outbox.len();
        let t = Instant::now();
        let resp = sender.send_request(req).await.expect("response");
        let status = resp.status();
        resp.into_body().collect().await.expect("body");
        assert_eq!(status, 202);
        assert!(running.system.outbox.wait_for(before + 1, Duration::from_secs(5)).await, "no outbox entry");
        if i >= 100 {
            samples.push(t.elapsed());
        }
    }
    Stats(samples)
}

/// Leads of every service line with varied context, captured and scored once (not measured).
async fn scored_system(n: usize) -> (EmbeddedSystem, Vec<leadflow::domain::LeadId>) {
    // Tuesday 10:30 in New York (15:30 UTC): the team is on shift.
    let open = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 3, 3, 15, 30, 0).unwrap();
    let system = EmbeddedSystem::new(Config::embedded_default().expect("config"), Arc::new(leadflow::ports::ManualClock::new(open)));
    let lines = ["med_spa", "wound_care", "addiction_treatment", "mens_health", "franchise"];
    let concerns = [
        "laser hair removal, price?",
        "not urgent, no bleeding, slow healing heel",
        "need detox soon",
        "appointment next week",
        "want to open a clinic",
    ];
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let line = lines[i % lines.len()];
        let body = format!(
            "first_name=Ann&phone=%2B1201{:03}{:04}&service_line={line}&concern={}&state=NJ&postal_code=07030&insurance_status=insured&liquid_capital=200000&net_worth=600000&industry_experience=healthcare&desired_territory=Austin&investment_timeline=3_6_months",
            300 + (i / 10_000) % 600,
            i % 10_000,
            concerns[i % concerns.len()].replace(' ', "+").replace(',', "%2C").replace('?', "%3F"),
        );
        let resp = handlers::intake::handle(&system.services, lambda_request(body)).await;
        assert_eq!(resp.status(), 202);
        let lambda_http::Body::Text(t) = resp.body() else { panic!("json") };
        ids.push(serde_json::from_str::<serde_json::Value>(t).unwrap()["id"].as_str().unwrap().parse().unwrap());
    }
    system.drain_queues().await;
    (system, ids)
}

async fn bench_scoring(n: usize) -> (Stats, Stats, Stats) {
    let (system, ids) = scored_system(n.min(2000)).await;
    let s = &system.services;
    let mut leads = Vec::new();
    for id in &ids {
        let lead = s.leads.get(*id).await.unwrap().unwrap();
        let tps = leadflow::app::score::touchpoints(s, *id).await.unwrap();
        leads.push((lead, tps));
    }
    let now = s.clock.now();
    // Scoring alone: urgency detection plus the model, per lead.
    let mut scoring = Vec::with_capacity(n);
    for i in 0..n {
        let (lead, tps) = &leads[i % leads.len()];
        let t = Instant::now();
        let urgency = leadflow::app::score::urgency(s, lead);
        let score = leadflow::app::score::score_of(s, lead, tps, &urgency, now);
        scoring.push(t.elapsed());
        std::hint::black_box(score);
    }
    // Routing alone: rules, availability (one store read), a round-robin ticket.
    let mut routing = Vec::with_capacity(n);
    for i in 0..n {
        let (lead, _) = &leads[i % leads.len()];
        let t = Instant::now();
        let a = leadflow::app::assign::choose(s, lead, leadflow::domain::urgency::UrgencyTier::Routine, None, now).await.unwrap();
        routing.push(t.elapsed());
        std::hint::black_box(a.ok());
    }
    // The whole score consumer step per event (each lead already scored: a rescore).
    let mut consumer = Vec::with_capacity(n);
    for i in 0..n {
        let id = ids[i % ids.len()];
        let event = leadflow::domain::LeadEvent {
            id: leadflow::domain::EventId::new_at(now),
            kind: leadflow::domain::LeadEventKind::TouchpointAdded,
            lead_id: id,
            occurred_at: now,
        };
        let t = Instant::now();
        leadflow::app::score::score(s, &event).await.expect("score");
        consumer.push(t.elapsed());
    }
    (Stats(scoring), Stats(routing), Stats(consumer))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut n = 2000;
    while let Some(a) = args.next() {
        if a == "--leads" {
            n = args.next().and_then(|v| v.parse().ok()).expect("--leads N");
        }
    }
    println!("leadflow benchmarks ({} build, {} leads each)", if cfg!(debug_assertions) { "debug" } else { "release" }, n);
    let (intake, ack) = bench_handlers(n).await;
    println!("{}", intake.line("intake handler per request (embedded)"));
    println!("{}", ack.line("acknowledge handler per message (embedded)"));
    let e2e = bench_end_to_end(n).await;
    println!("{}", e2e.line("local runner POST /leads -> outbox entry"));
    println!("target: end to end p99 < 10 ms -> {}", if e2e.pct(0.99) < Duration::from_millis(10) { "met" } else { "NOT met" });
    let (scoring, routing, consumer) = bench_scoring(n).await;
    println!("{}", scoring.line("scoring per lead (urgency + model)"));
    println!("{}", routing.line("routing per lead (rules + availability + RR)"));
    println!("{}", consumer.line("score consumer per event (embedded)"));
    println!("target: scoring p99 < 50 us -> {}", if scoring.pct(0.99) < Duration::from_micros(50) { "met" } else { "NOT met" });
}
