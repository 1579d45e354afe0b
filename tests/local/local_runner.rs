//! End to end over real HTTP on the local runner (embedded adapters): what a web form sees, and
//! what the person receives.

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::runner::wait_for_consumers;
use serde_json::Value;
use std::sync::Arc;

/// Tuesday 2026-03-03 10:30 in New York: the practice is open.
fn open_hours() -> chrono::DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

/// The runner on a manual clock, with its queue consumers and no background ticker (nothing
/// here is due on a schedule).
async fn runner() -> (Running, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(open_hours()));
    let running = start(Options { port: 0, tick_every: None, ..Options::default() }, clock.clone()).await.unwrap();
    (running, clock)
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    json: Value,
}

async fn post(r: &Running, content_type: Option<&str>, body: impl Into<Bytes>, headers: &[(&str, &str)]) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::post(format!("{}/leads", r.base_url()));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client.request(req.body(Full::new(body.into())).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Reply { status, headers, json }
}

async fn get_json(r: &Running, path: &str) -> Value {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let resp = client.get(format!("{}{path}", r.base_url()).parse().unwrap()).await.unwrap();
    serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

const FORM: &str = "first_name=Ann&last_name=Lee&phone=%28201%29+555-0123&email=Ann%40Example.com&service_line=med_spa&concern=Interested+in+laser&consent_sms=on&utm_source=google";

fn json_form() -> String {
    serde_json::json!({
        "first_name": "Bob", "last_name": "Stone", "phone": "201-555-0145", "email": "bob@example.com",
        "service_line": "wound_care", "concern": "slow healing", "consent_sms": true, "insurance_status": "medicare"
    })
    .to_string()
}

/// Waits until the runner's own consumers have handled everything queued (so a wrongly
/// duplicated send would be there too), then returns the texts to leads in the outbox as JSON
/// (through the route; team notifications are `team_sms`/`team_email` entries and not counted).
async fn outbox_after(r: &Running) -> Vec<Value> {
    wait_for_consumers(&r.system).await;
    get_json(r, "/local/outbox?channel=sms").await.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_urlencoded_form_post_yields_one_outbox_sms() {
    let (r, _) = runner().await;
    let reply = post(&r, Some("application/x-www-form-urlencoded"), FORM, &[]).await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    // The answer names the submission (a receipt), never the lead.
    assert!(reply.json.get("id").is_none(), "{}", reply.json);
    let id = leadflow_tests::http::lead_of_receipt(&format!("http://{}", r.addr), &reply.json).await;
    let outbox = outbox_after(&r).await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["channel"], "sms");
    assert_eq!(outbox[0]["recipient"], "+12015550123");
    assert_eq!(outbox[0]["lead_id"], id.as_str());
    assert_eq!(
        outbox[0]["text"],
        "Hi Ann, this is Harbor Health. We got your request and a care coordinator will call you within 5 minutes. Reply STOP to opt out, HELP for help."
    );
}

#[tokio::test]
async fn a_json_post_yields_one_outbox_sms_and_records_the_acknowledgement_time() {
    let (r, _) = runner().await;
    let reply = post(&r, Some("application/json"), json_form(), &[]).await;
    assert_eq!(reply.status, 202, "{}", reply.json);
    let outbox = outbox_after(&r).await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["recipient"], "+12015550145");
    assert!(outbox[0]["text"].as_str().unwrap().contains("If this is an emergency, call 911"));
    let id = leadflow_tests::leads::lead_of(&r.system.store, &reply.json);
    let lead = r.system.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.acknowledged_at, Some(open_hours()));
    assert_eq!(lead.contact.email.unwrap().as_str(), "bob@example.com");
}

#[tokio::test]
async fn a_lead_without_sms_consent_gets_no_text() {
    let (r, _) = runner().await;
    let no_consent = FORM.replace("&consent_sms=on", "");
    assert_eq!(post(&r, Some("application/x-www-form-urlencoded"), no_consent, &[]).await.status, 202);
    let declined = json_form()
        .replace("\"consent_sms\":true", "\"consent_sms\":false")
        .replace("201-555-0145", "201-555-0146")
        .replace("bob@", "rob@");
    assert_eq!(post(&r, Some("application/json"), declined, &[]).await.status, 202);
    assert!(outbox_after(&r).await.is_empty());
    assert_eq!(r.system.store.lead_count(), 2);
}

#[tokio::test]
async fn after_hours_the_text_promises_the_next_opening() {
    let (r, clock) = runner().await;
    clock.set(chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 21, 15, 0).unwrap().with_timezone(&Utc));
    assert_eq!(post(&r, Some("application/x-www-form-urlencoded"), FORM, &[]).await.status, 202);
    let outbox = outbox_after(&r).await;
    assert!(outbox[0]["text"].as_str().unwrap().contains("will call you by 8:00 AM tomorrow."), "{}", outbox[0]["text"]);
}

#[tokio::test]
async fn the_same_form_posted_twice_is_one_lead_and_one_text() {
    let (r, clock) = runner().await;
    let first = post(&r, Some("application/x-www-form-urlencoded"), FORM, &[]).await;
    wait_for_consumers(&r.system).await;
    clock.advance(chrono::Duration::seconds(30));
    let second = post(&r, Some("application/x-www-form-urlencoded"), FORM, &[]).await;
    assert_eq!((first.status, second.status), (202, 202));
    // Two submissions, two receipts, one lead.
    assert_ne!(first.json["receipt_id"], second.json["receipt_id"]);
    assert_eq!(leadflow_tests::leads::lead_of(&r.system.store, &first.json), leadflow_tests::leads::lead_of(&r.system.store, &second.json));
    assert_eq!(r.system.store.lead_count(), 1);
    assert_eq!(outbox_after(&r).await.len(), 1);
    // The repeat inquiry is on the lead's timeline.
    let id = leadflow_tests::leads::lead_of(&r.system.store, &first.json);
    let page = r.system.services.timeline.list(id, None, 50).await.unwrap();
    // Only intake's and the acknowledgement's entries (scoring and routing add their own).
    let kinds: Vec<String> = page
        .items
        .iter()
        .map(|e| serde_json::to_value(e).unwrap()["type"].as_str().unwrap().to_string())
        .filter(|k| matches!(k.as_str(), "lead_captured" | "acknowledgement_sent" | "repeat_inquiry"))
        .collect();
    // Capture and acknowledgement share the frozen clock's instant, so only the repeat (30 s
    // later) has a fixed place: last.
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds[..2].contains(&"lead_captured".to_string()) && kinds[..2].contains(&"acknowledgement_sent".to_string()), "{kinds:?}");
    assert_eq!(kinds[2], "repeat_inquiry");
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let (r, _) = runner().await;
    let h = [("idempotency-key", "form-7f3a")];
    let first = post(&r, Some("application/x-www-form-urlencoded"), FORM, &h).await;
    let again = post(&r, Some("application/x-www-form-urlencoded"), FORM, &h).await;
    assert_eq!((first.status, again.status), (202, 202));
    assert_eq!(first.json, again.json);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let other_body = post(&r, Some("application/x-www-form-urlencoded"), FORM.replace("Ann", "Anna"), &h).await;
    assert_eq!(other_body.status, 422);
    assert_eq!(other_body.json["fields"][0]["field"], "Idempotency-Key");
    assert_eq!(r.system.store.lead_count(), 1);
    assert_eq!(outbox_after(&r).await.len(), 1);
}

/// A browser form cannot retry with the same key: once its inquiry is stored it gets success,
/// whatever fails after the write. The queue being down delays the acknowledgement; the relay
/// delivers it when the queue is back.
#[tokio::test]
async fn when_the_queues_fail_after_the_lead_is_stored_the_browser_still_gets_success_and_the_text_follows() {
    let (r, _) = runner().await;
    r.system.queue.fail_next_publishes(3);
    let stored = post(&r, Some("application/x-www-form-urlencoded"), FORM, &[]).await;
    assert_eq!(stored.status, 202, "{}", stored.json);
    assert_eq!(r.system.store.lead_count(), 1);
    // The relay retries the failed sends; the text goes out once.
    assert_eq!(outbox_after(&r).await.len(), 1);
    assert!(r.system.stream.failed().await.is_empty(), "nothing was set aside");
}

#[tokio::test]
async fn a_browser_post_can_be_sent_back_to_a_configured_page_only() {
    let (r, _) = runner().await;
    let ok = post(
        &r,
        Some("application/x-www-form-urlencoded"),
        format!("{FORM}&redirect_to=https%3A%2F%2Fwww.harborhealth.example%2Fthanks"),
        &[],
    )
    .await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.headers.get("location").unwrap(), "https://www.harborhealth.example/thanks");
    let evil = post(
        &r,
        Some("application/x-www-form-urlencoded"),
        format!("{FORM}&redirect_to=https%3A%2F%2Fwww.harborhealth.example.evil.com%2F"),
        &[],
    )
    .await;
    assert_eq!(evil.status, 422);
    assert_eq!(evil.json["fields"][0]["field"], "redirect_to");
}

/// A bad-input case: name, content type, body, expected status, field that must be named.
type BadInput<'a> = (&'a str, Option<&'a str>, String, u16, Option<&'a str>);

/// Every kind of bad input gets its 4xx naming the problem, and nothing is stored or sent.
#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_nothing_stored() {
    let (r, _) = runner().await;
    let json = Some("application/json");
    let cases: Vec<BadInput> = vec![
        ("malformed json", json, "{\"first_name\": \"Ann\",".into(), 400, None),
        ("oversized body", json, format!("{{\"concern\":\"{}\"}}", "a".repeat(70 * 1024)), 413, None),
        ("invalid phone", json, r#"{"phone":"555","service_line":"med_spa"}"#.into(), 422, Some("phone")),
        ("invalid email", json, r#"{"email":"ann@","service_line":"med_spa"}"#.into(), 422, Some("email")),
        ("missing contact", json, r#"{"first_name":"Ann","service_line":"med_spa"}"#.into(), 422, Some("phone")),
        ("missing service line", json, r#"{"email":"ann@example.com"}"#.into(), 422, Some("service_line")),
        ("unknown field", json, r#"{"email":"ann@example.com","service_line":"med_spa","ssn":"123"}"#.into(), 422, Some("ssn")),
        ("wrong content type", Some("text/plain"), "first_name=Ann".into(), 415, None),
        ("no content type", None, "first_name=Ann".into(), 415, None),
        (
            "control characters in a name",
            json,
            "{\"first_name\":\"Ann\\u0007\",\"email\":\"a@example.com\",\"service_line\":\"med_spa\"}".into(),
            422,
            Some("first_name"),
        ),
        (
            "script tag in a name",
            Some("application/x-www-form-urlencoded"),
            "last_name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&email=a%40example.com&service_line=med_spa".into(),
            422,
            Some("last_name"),
        ),
        ("nested object", json, r#"{"email":{"x":1},"service_line":"med_spa"}"#.into(), 422, Some("email")),
        ("unknown service line", json, r#"{"email":"a@example.com","service_line":"dentistry"}"#.into(), 422, Some("service_line")),
        ("empty body", json, "".into(), 400, None),
    ];
    for (name, ct, body, status, field) in cases {
        let reply = post(&r, ct, body.clone(), &[]).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.json);
        assert!(reply.json["error"].is_string(), "{name}: {}", reply.json);
        if let Some(f) = field {
            let named: Vec<&str> = reply.json["fields"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
            assert!(named.contains(&f), "{name}: {named:?}");
        }
        // No input is echoed back.
        let text = reply.json.to_string();
        assert!(!text.contains("<script>") && !text.contains("alert(1)") && !text.contains("ann@"), "{name}: {text}");
    }
    wait_for_consumers(&r.system).await;
    assert_eq!(r.system.store.lead_count(), 0);
    assert!(r.system.outbox.is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_refused() {
    let (r, _) = runner().await;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let delete = hyper::Request::delete(format!("{}/leads", r.base_url())).body(Full::new(Bytes::new())).unwrap();
    assert_eq!(client.request(delete).await.unwrap().status(), 405);
    // GET /leads exists (the team's listing) and, like every lead-data route, needs a token.
    let resp = client.get(format!("{}/leads", r.base_url()).parse().unwrap()).await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client.get(format!("{}/nowhere", r.base_url()).parse().unwrap()).await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn dev_tokens_are_issued_and_verified_like_api_gateway_would() {
    let (r, _) = runner().await;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let call = |method: &str, path: &str, token: Option<String>, body: &str| {
        let mut req = hyper::Request::builder().method(method).uri(format!("{}{path}", r.base_url()));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        client.request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
    };
    let resp = call("POST", "/local/dev-token", None, r#"{"user":"u-7","role":"manager","facilities":["hoboken"]}"#).await.unwrap();
    assert_eq!(resp.status(), 200);
    let token = serde_json::from_slice::<Value>(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let who = call("GET", "/local/whoami", Some(token.clone()), "").await.unwrap();
    assert_eq!(who.status(), 200);
    let p: Value = serde_json::from_slice(&who.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!((p["user_id"].as_str(), p["role"].as_str()), (Some("u-7"), Some("manager")));

    assert_eq!(call("GET", "/local/whoami", None, "").await.unwrap().status(), 401);
    assert_eq!(call("GET", "/local/whoami", Some(format!("{token}x")), "").await.unwrap().status(), 401);
    assert_eq!(call("POST", "/local/dev-token", None, r#"{"user":"u","role":"root"}"#).await.unwrap().status(), 422);
}

/// The non-negotiable: only `POST /leads`, the form's assets and beacons, signed webhooks,
/// signed unsubscribe links and the pages signed links open are public.
#[test]
fn only_the_form_route_webhooks_and_signed_links_are_public() {
    for route in leadflow_local::api_routes() {
        let form_asset = (route.method == http::Method::GET && route.pattern.starts_with("/forms/"))
            || (route.method == http::Method::POST && route.pattern == "/visits");
        let public_allowed = (route.method == http::Method::POST && route.pattern == "/leads")
            || route.pattern.starts_with("/webhooks/")
            || form_asset
            || route.pattern == "/unsubscribe"
            || route.pattern.starts_with("/links/");
        if route.access == leadflow_local::Access::Public {
            assert!(public_allowed, "{} {} must sit behind the authorizer", route.method, route.pattern);
        }
    }
}
