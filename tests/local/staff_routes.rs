//! The scoring, routing and SLA staff routes over real HTTP on the local runner: contact attempts, touchpoints,
//! team availability, and the runner's tick, each behind the authorizer with its role check.

use chrono::{TimeZone, Utc};
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::send;
use leadflow_tests::runner::wait_for_consumers;
use serde_json::{json, Value};
use std::sync::Arc;

fn open_hours() -> chrono::DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

async fn runner() -> (Running, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(open_hours()));
    let running = start(Options { port: 0, tick_every: None, ..Options::default() }, clock.clone()).await.unwrap();
    (running, clock)
}

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let (headers, bytes): (&[(&str, &str)], String) = match body {
        Some(b) => (&[("content-type", "application/json")], b.to_string()),
        None => (&[], String::new()),
    };
    let reply = send(&r.base_url(), method, path, token, headers, bytes).await;
    (reply.status, reply.json_or_null())
}

async fn token(r: &Running, role: &str) -> String {
    // The manager oversees Hoboken (where maria works).
    token_for(r, &format!("{role}-1"), role, json!(["hoboken"])).await
}

async fn token_for(r: &Running, user: &str, role: &str, facilities: Value) -> String {
    let request = json!({"user": user, "role": role, "facilities": facilities});
    let (status, body) = call(r, "POST", "/local/dev-token", None, Some(request)).await;
    assert_eq!(status, 200);
    body["token"].as_str().unwrap().to_string()
}

/// A token for the agent the lead is assigned to (their user id is their member id).
async fn assignee_token(r: &Running, id: &str) -> String {
    let lead = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap();
    token_for(r, lead.assignee().expect("routing assigned the lead"), "agent", json!([])).await
}

async fn new_lead(r: &Running) -> String {
    let form = json!({"first_name": "Ann", "phone": "201-555-0123", "service_line": "med_spa", "state": "NJ", "consent_sms": true, "concern": "laser"});
    let (status, body) = call(r, "POST", "/leads", None, Some(form)).await;
    assert_eq!(status, 202);
    wait_for_consumers(&r.system).await;
    leadflow_tests::leads::lead_of(&r.system.store, &body).to_string()
}

#[tokio::test]
async fn contact_attempts_are_recorded_by_staff_only_and_validated() {
    let (r, clock) = runner().await;
    let id = new_lead(&r).await;
    let path = format!("/leads/{id}/contacts");
    let attempt = json!({"channel": "call", "outcome": "no-answer", "note": "left no message"});
    assert_eq!(call(&r, "POST", &path, None, Some(attempt.clone())).await.0, 401);
    let analyst = token(&r, "analyst").await;
    assert_eq!(call(&r, "POST", &path, Some(&analyst), Some(attempt.clone())).await.0, 403);
    // An agent who is not the lead's (nor on its assignee's team) may not record on it.
    let stranger = token(&r, "agent").await;
    assert_eq!(call(&r, "POST", &path, Some(&stranger), Some(attempt.clone())).await.0, 403);
    let agent = assignee_token(&r, &id).await;
    let (status, body) = call(&r, "POST", &path, Some(&agent), Some(json!({"channel": "pigeon", "outcome": "maybe", "extra": 1}))).await;
    assert_eq!(status, 422);
    let named: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(named, ["extra"]);
    let (status, body) = call(&r, "POST", &path, Some(&agent), Some(json!({"channel": "pigeon", "outcome": "maybe"}))).await;
    assert_eq!(status, 422);
    let named: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(named, ["channel", "outcome"]);
    let long_note = json!({"channel": "call", "outcome": "answered", "note": "x".repeat(1001)});
    assert_eq!(call(&r, "POST", &path, Some(&agent), Some(long_note)).await.0, 422);

    clock.advance(chrono::Duration::seconds(75));
    let (status, body) = call(&r, "POST", &path, Some(&agent), Some(attempt.clone())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["first_contact"].as_bool(), body["status"].as_str()), (Some(true), Some("contacted")));
    let (status, body) = call(&r, "POST", &path, Some(&agent), Some(json!({"channel": "sms", "outcome": "answered"}))).await;
    assert_eq!(status, 201);
    assert_eq!(body["first_contact"], false);
    let lead = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(lead.first_contact_at, Some(open_hours() + chrono::Duration::seconds(75)));
    // Unknown lead, and a malformed id.
    let other = leadflow::domain::LeadId::random();
    assert_eq!(call(&r, "POST", &format!("/leads/{other}/contacts"), Some(&agent), Some(attempt.clone())).await.0, 404);
    assert_eq!(call(&r, "POST", "/leads/not-an-id/contacts", Some(&agent), Some(attempt)).await.0, 404);
}

#[tokio::test]
async fn availability_changes_at_runtime_and_routing_follows() {
    let (r, _) = runner().await;
    let agent = token(&r, "agent").await;
    let manager = token(&r, "manager").await;
    let away = json!({"away": true, "until": "2026-03-03T22:00:00Z"});
    assert_eq!(call(&r, "PUT", "/team/maria/availability", Some(&agent), Some(away.clone())).await.0, 403);
    assert_eq!(call(&r, "PUT", "/team/nobody/availability", Some(&manager), Some(away.clone())).await.0, 404);
    assert_eq!(call(&r, "PUT", "/team/maria/availability", Some(&manager), Some(json!({"away": "sometimes"}))).await.0, 422);
    let (status, body) = call(&r, "PUT", "/team/maria/availability", Some(&manager), Some(away)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["availability"]["updated_by"], "manager-1");
    let (status, team) = call(&r, "GET", "/team", Some(&agent), None).await;
    assert_eq!(status, 200);
    let maria = team["members"].as_array().unwrap().iter().find(|m| m["id"] == "maria").unwrap().clone();
    assert_eq!((maria["away"].as_bool(), maria["on_shift"].as_bool()), (Some(true), Some(true)));
    let sam = team["members"].as_array().unwrap().iter().find(|m| m["id"] == "sam").unwrap().clone();
    assert_eq!(sam["on_call"], json!(["counselors"]));
    assert_eq!(call(&r, "GET", "/team", None, None).await.0, 401);
    // The next med spa lead skips maria.
    let id = new_lead(&r).await;
    let lead = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(lead.assignment.unwrap().member.as_str(), "li");
}

#[tokio::test]
async fn touchpoints_are_recorded_and_rescore_the_lead() {
    let (r, _) = runner().await;
    let id = new_lead(&r).await;
    let before = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap().score.unwrap().score;
    let agent = assignee_token(&r, &id).await;
    let path = format!("/leads/{id}/touchpoints");
    assert_eq!(call(&r, "POST", &path, None, Some(json!({"kind": "download"}))).await.0, 401);
    assert_eq!(call(&r, "POST", &path, Some(&agent), Some(json!({"kind": "teleport"}))).await.0, 422);
    let (status, body) = call(&r, "POST", &path, Some(&agent), Some(json!({"kind": "page_view", "page": "/pricing"}))).await;
    assert_eq!(status, 201, "{body}");
    wait_for_consumers(&r.system).await;
    let after = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap().score.unwrap().score;
    assert_eq!(after, before + 5);
}

#[tokio::test]
async fn the_runner_ticks_on_request_and_the_outbox_shows_team_notices_without_personal_data() {
    let (r, clock) = runner().await;
    let id = new_lead(&r).await;
    clock.advance(chrono::Duration::minutes(2));
    let (status, body) = call(&r, "POST", "/local/tick", None, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["report"]["handled"], 1);
    assert_eq!(
        call(&r, "POST", "/local/tick", None, Some(json!({"advance_seconds": 60}))).await.0,
        409,
        "no time travel on a manual clock"
    );
    let (_, all) = call(&r, "GET", "/local/outbox", None, None).await;
    let channels: Vec<&str> = all.as_array().unwrap().iter().map(|e| e["channel"].as_str().unwrap()).collect();
    assert!(channels.contains(&"sms") && channels.contains(&"team_sms"), "{channels:?}");
    let (_, team) = call(&r, "GET", "/local/outbox?channel=team_sms", None, None).await;
    let team = team.as_array().unwrap();
    // The tick runs the follow-up function too: the 2-minute call task of the med-spa cadence.
    assert_eq!(team.iter().map(|e| e["purpose"].as_str().unwrap()).collect::<Vec<_>>(), ["assigned", "overdue", "call_task"]);
    for e in team {
        assert_eq!(e["lead_id"], id.as_str());
        let text = e["text"].as_str().unwrap();
        assert!(!text.contains("Ann") && !text.contains("555") && !text.contains("laser"), "{text}");
        assert!(e["recipient"].as_str().unwrap().starts_with("member:"));
    }
}

#[tokio::test]
async fn with_time_travel_a_tick_can_move_the_clock() {
    let r = leadflow_local::start_time_travel(Options { port: 0, tick_every: None, ..Options::default() }).await.unwrap();
    let before = r.system.services.clock.now();
    let (status, body) = call(&r, "POST", "/local/tick", None, Some(json!({"advance_seconds": 3600}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(r.system.services.clock.now() - before >= chrono::Duration::seconds(3600));
    assert_eq!(call(&r, "POST", "/local/tick", None, Some(json!({"advance_seconds": -5}))).await.0, 400);
}

/// A phone number a later inquiry gave is held (nothing goes to it) until a team member who may
/// change the lead confirms it, after checking with the person; then it is the lead's, with
/// the consent given with it, and the confirmation is on the timeline.
#[tokio::test]
async fn a_team_member_confirms_a_held_contact_point() {
    let (r, _) = runner().await;
    let id = new_lead(&r).await;
    let second = json!({"first_name": "Ann", "phone": "201-555-0123", "email": "ann.new@example.com", "service_line": "med_spa", "consent_email": true});
    assert_eq!(call(&r, "POST", "/leads", None, Some(second)).await.0, 202);
    wait_for_consumers(&r.system).await;
    let lead = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(lead.contact.email, None, "held, not the lead's");
    let inquiry = lead.inquiries.last().unwrap().id;
    let path = format!("/leads/{id}/contact-points/confirm");
    let body = json!({"inquiry": inquiry, "point": "email"});
    assert_eq!(call(&r, "POST", &path, None, Some(body.clone())).await.0, 401);
    assert_eq!(call(&r, "POST", &path, Some(&token(&r, "analyst").await), Some(body.clone())).await.0, 403);
    let agent = assignee_token(&r, &id).await;
    let (status, answer) = call(&r, "POST", &path, Some(&agent), Some(json!({"inquiry": inquiry, "point": "phone"}))).await;
    assert_eq!((status, answer["fields"][0]["field"].as_str()), (422, Some("point")), "{answer}");
    let (status, answer) = call(&r, "POST", &path, Some(&agent), Some(body.clone())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["lead"]["contact"]["email"], "ann.new@example.com");
    assert_eq!(call(&r, "POST", &path, Some(&agent), Some(body)).await.1["changed"], false, "once");
    wait_for_consumers(&r.system).await;
    let lead = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap();
    assert!(lead.consent.allows(leadflow::domain::ContactChannel::Email));
    let timeline = r.system.services.timeline.list(lead.id, None, 100).await.unwrap().items;
    let confirmed: Vec<_> =
        timeline.iter().map(|e| serde_json::to_value(e).unwrap()).filter(|e| e["type"] == "contact_point_confirmed").collect();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0]["by"], "staff");
}
