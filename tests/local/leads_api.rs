//! The team's lead routes and a signed webhook over real HTTP on the local runner: tokens, the
//! role matrix, listing with cursors, the timeline, transitions, franchise stakeholders and
//! milestones.

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::runner::wait_for_consumers;
use serde_json::{json, Value};
use std::sync::Arc;

/// The runner on a manual clock, with no background ticker: a scheduled SLA run at a moment
/// the test does not choose would change leads under it.
async fn runner() -> (Running, Arc<ManualClock>) {
    let clock =
        Arc::new(ManualClock::new(chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)));
    let options = Options { port: 0, tick_every: None, secrets: leadflow_tests::webhooks::secrets(), ..Options::default() };
    (start(options, clock.clone()).await.unwrap(), clock)
}

async fn call(
    r: &Running,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, String)],
    raw: Option<(&str, String)>,
) -> (u16, Value) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::builder().method(method).uri(format!("{}{path}", r.base_url()));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let body = match (body, raw) {
        (Some(b), _) => {
            req = req.header("content-type", "application/json");
            Bytes::from(b.to_string())
        }
        (None, Some((ct, text))) => {
            req = req.header("content-type", ct);
            Bytes::from(text)
        }
        _ => Bytes::new(),
    };
    let resp = client.request(req.body(Full::new(body)).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())))
}

async fn token(r: &Running, request: Value) -> String {
    let (status, body) = call(r, "POST", "/local/dev-token", None, Some(request), &[], None).await;
    assert_eq!(status, 200);
    body["token"].as_str().unwrap().to_string()
}

async fn new_lead(r: &Running, phone: &str, line: &str, facility: &str) -> String {
    let body = json!({"first_name": "Ann", "phone": phone, "service_line": line, "preferred_facility": facility, "consent_sms": true});
    let (status, answer) = call(r, "POST", "/leads", None, Some(body), &[], None).await;
    assert_eq!(status, 202, "{answer}");
    wait_for_consumers(&r.system).await;
    leadflow_tests::leads::lead_of(&r.system.store, &answer).to_string()
}

#[tokio::test]
async fn the_role_matrix_decides_who_lists_and_reads_leads() {
    let (r, _) = runner().await;
    let id = new_lead(&r, "201-555-0501", "med_spa", "Hoboken").await;
    let admin = token(&r, json!({"user": "a", "role": "admin"})).await;
    let hoboken = token(&r, json!({"user": "m1", "role": "manager", "facilities": ["hoboken"]})).await;
    let newark = token(&r, json!({"user": "m2", "role": "manager", "facilities": ["newark"]})).await;
    let agent = token(&r, json!({"user": "u-9", "role": "agent", "team": "east"})).await;
    let analyst = token(&r, json!({"user": "x", "role": "analyst"})).await;

    assert_eq!(call(&r, "GET", "/leads?status=new", None, None, &[], None).await.0, 401);
    assert_eq!(call(&r, "GET", "/leads?status=new", Some(&analyst), None, &[], None).await.0, 403);
    let ids = |v: &Value| v["items"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let (s, all) = call(&r, "GET", "/leads?status=new", Some(&admin), None, &[], None).await;
    assert_eq!((s, ids(&all)), (200, vec![id.clone()]));
    assert_eq!(ids(&call(&r, "GET", "/leads?facility=Hoboken", Some(&hoboken), None, &[], None).await.1), vec![id.clone()]);
    assert!(ids(&call(&r, "GET", "/leads?status=new", Some(&newark), None, &[], None).await.1).is_empty());
    assert!(ids(&call(&r, "GET", "/leads", Some(&agent), None, &[], None).await.1).is_empty(), "agents default to their own leads");
    assert_eq!(call(&r, "GET", "/leads?status=nope", Some(&admin), None, &[], None).await.0, 422);
    assert_eq!(call(&r, "GET", "/leads?status=new&facility=x", Some(&admin), None, &[], None).await.0, 422);

    let path = format!("/leads/{id}");
    let (s, one) = call(&r, "GET", &path, Some(&hoboken), None, &[], None).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["lead"]["id"], id.as_str());
    let kinds: Vec<&str> = one["timeline"]["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"lead_captured") && kinds.contains(&"acknowledgement_sent"), "{kinds:?}");
    assert_eq!(call(&r, "GET", &path, Some(&newark), None, &[], None).await.0, 403, "outside their facilities: refused (and recorded)");
    assert_eq!(call(&r, "GET", &path, Some(&agent), None, &[], None).await.0, 403);
    assert_eq!(call(&r, "GET", &path, Some(&analyst), None, &[], None).await.0, 403);
    // Timeline pages of one entry each walk the whole timeline, in order, once.
    let all: Vec<Value> = one["timeline"]["items"].as_array().unwrap().clone();
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let q = match &cursor {
            Some(c) => format!("{path}?timeline_limit=1&timeline_cursor={c}"),
            None => format!("{path}?timeline_limit=1"),
        };
        let (_, page) = call(&r, "GET", &q, Some(&admin), None, &[], None).await;
        walked.extend(page["timeline"]["items"].as_array().unwrap().iter().map(|e| e["id"].clone()));
        match page["timeline"]["next"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(walked, all.iter().map(|e| e["id"].clone()).collect::<Vec<_>>());
    assert!(walked.len() >= 2);
}

#[tokio::test]
async fn status_changes_are_validated_and_recorded_with_their_author() {
    let (r, clock) = runner().await;
    let id = new_lead(&r, "201-555-0502", "med_spa", "Hoboken").await;
    let admin = token(&r, json!({"user": "admin-1", "role": "admin"})).await;
    let path = format!("/leads/{id}/status");
    let (s, body) = call(&r, "POST", &path, Some(&admin), Some(json!({"to": "disqualified"})), &[], None).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "reason");
    assert!(body["allowed_reasons"].as_array().unwrap().contains(&json!("out_of_service_area")));
    let plain = Some(("text/plain", json!({"to": "qualified"}).to_string()));
    assert_eq!(call(&r, "POST", &path, Some(&admin), None, &[], plain).await.0, 415, "strict content type");
    let (s, body) = call(&r, "POST", &path, Some(&admin), Some(json!({"to": "no_show"})), &[], None).await;
    assert_eq!((s, body["message"].as_str().unwrap()), (422, "a lead cannot move from new to no_show"));
    clock.advance(chrono::Duration::minutes(2));
    let (s, body) = call(&r, "POST", &path, Some(&admin), Some(json!({"to": "qualified", "note": "good fit"})), &[], None).await;
    assert_eq!((s, body["changed"].as_bool()), (200, Some(true)), "{body}");
    assert_eq!(body["lead"]["status"], "qualified");
    let (_, lead) = call(&r, "GET", &format!("/leads/{id}"), Some(&admin), None, &[], None).await;
    let change = lead["timeline"]["items"].as_array().unwrap().iter().find(|e| e["type"] == "status_changed").unwrap().clone();
    assert_eq!(change["actor"], json!({"kind": "user", "id": "admin-1"}));
    assert_eq!(
        (change["from"].as_str(), change["to"].as_str(), change["note"].as_str()),
        (Some("new"), Some("qualified"), Some("good fit"))
    );
    let (_, listed) = call(&r, "GET", "/leads?status=qualified", Some(&admin), None, &[], None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn franchise_leads_take_stakeholders_and_milestones_and_signing_converts() {
    let (r, _) = runner().await;
    let id = new_lead(&r, "201-555-0503", "franchise", "Austin").await;
    let patient = new_lead(&r, "201-555-0504", "med_spa", "Hoboken").await;
    let admin = token(&r, json!({"user": "dev-1", "role": "admin"})).await;
    let spouse = json!({"name": "Sam Lee", "role": "spouse", "email": "sam@example.com"});
    let (s, body) = call(&r, "POST", &format!("/leads/{id}/stakeholders"), Some(&admin), Some(spouse.clone()), &[], None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["lead"]["stakeholders"][0]["role"], "spouse");
    assert_eq!(
        call(&r, "POST", &format!("/leads/{id}/stakeholders"), Some(&admin), Some(json!({"name": "X", "role": "boss"})), &[], None).await.0,
        422
    );
    assert_eq!(call(&r, "POST", &format!("/leads/{patient}/stakeholders"), Some(&admin), Some(spouse), &[], None).await.0, 409);
    for m in ["discovery_call", "fdd_sent", "validation", "discovery_day", "signed"] {
        let (s, body) = call(&r, "POST", &format!("/leads/{id}/milestones"), Some(&admin), Some(json!({"milestone": m})), &[], None).await;
        assert_eq!(s, 200, "{m}: {body}");
    }
    let (_, lead) = call(&r, "GET", &format!("/leads/{id}?timeline_limit=100"), Some(&admin), None, &[], None).await;
    assert_eq!(lead["lead"]["status"], "converted");
    let milestones: Vec<&str> = lead["timeline"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "milestone_reached")
        .map(|e| e["milestone"].as_str().unwrap())
        .collect();
    assert_eq!(milestones.len(), 5);
    assert!(lead["timeline"]["items"].as_array().unwrap().iter().any(|e| e["type"] == "stakeholder_added"));
}

#[tokio::test]
async fn a_signed_twilio_webhook_over_http_is_accepted_and_an_unsigned_one_is_not() {
    let (r, _) = runner().await;
    new_lead(&r, "201-555-0505", "med_spa", "Hoboken").await;
    let form = leadflow_tests::webhooks::twilio_form("SMhttp1", "+12015550505", "STOP");
    let body = serde_urlencoded::to_string(&form).unwrap();
    // Twilio signs the public URL it called: here, the runner's own address.
    let url = format!("{}/webhooks/twilio/sms", r.base_url());
    let sig = leadflow::webhooks::signature::twilio_sign(&url, &form, leadflow_tests::webhooks::TWILIO_TOKEN);
    let ct = "application/x-www-form-urlencoded";
    let (s, _) = call(&r, "POST", "/webhooks/twilio/sms", None, None, &[], Some((ct, body.clone()))).await;
    assert_eq!(s, 401);
    let (s, answer) = call(&r, "POST", "/webhooks/twilio/sms", None, None, &[("x-twilio-signature", sig)], Some((ct, body))).await;
    assert_eq!(s, 200, "{answer}");
    wait_for_consumers(&r.system).await;
    let texts: Vec<_> = r.system.outbox.entries().into_iter().filter(|e| e.recipient == "+12015550505").collect();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[1].purpose, "opt_out_confirmation");
}
