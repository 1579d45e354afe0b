//! The follow-up routes over real HTTP on the local runner (tasks, the lead's cadence, pause and
//! resume, each behind the authorizer with its role check), and a 7-day cadence played out in
//! seconds with `--time-travel` and `POST /local/tick {"advance_seconds", "step_seconds"}`.

use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};
use leadflow::ports::ManualClock;
use leadflow_local::{start, start_time_travel, Options, Running};
use leadflow_tests::http::send;
use leadflow_tests::runner::wait_for_consumers;
use serde_json::{json, Value};
use std::sync::Arc;

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let (headers, bytes): (&[(&str, &str)], String) = match body {
        Some(b) => (&[("content-type", "application/json")], b.to_string()),
        None => (&[], String::new()),
    };
    let reply = send(&r.base_url(), method, path, token, headers, bytes).await;
    (reply.status, reply.json_or_null())
}

async fn token(r: &Running, user: &str, role: &str) -> String {
    let (status, body) = call(r, "POST", "/local/dev-token", None, Some(json!({"user": user, "role": role}))).await;
    assert_eq!(status, 200);
    body["token"].as_str().unwrap().to_string()
}

async fn new_lead(r: &Running, phone: &str) -> String {
    let form = json!({"first_name": "Ann", "phone": phone, "email": format!("ann{}@example.com", &phone[phone.len() - 4..]), "service_line": "med_spa", "state": "NJ", "consent_sms": true, "consent_email": true});
    let (status, body) = call(r, "POST", "/leads", None, Some(form)).await;
    assert_eq!(status, 202);
    wait_for_consumers(&r.system).await;
    leadflow_tests::leads::lead_of(&r.system.store, &body).to_string()
}

#[tokio::test]
async fn tasks_and_pause_resume_are_for_the_team_only() {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(open));
    let r = start(Options { port: 0, tick_every: None, ..Options::default() }, clock.clone()).await.unwrap();
    let id = new_lead(&r, "+12015550142").await;
    clock.set(open + Duration::minutes(3));
    let (status, _) = call(&r, "POST", "/local/tick", None, None).await;
    assert_eq!(status, 200);
    let assignee = r.system.services.leads.get(id.parse().unwrap()).await.unwrap().unwrap().assignment.unwrap().member.to_string();

    let agent = token(&r, &assignee, "agent").await;
    let other = token(&r, "someone", "agent").await;
    let admin = token(&r, "u-1", "admin").await;
    let analyst = token(&r, "a-1", "analyst").await;

    // No token: the authorizer refuses; analysts see no lead data.
    assert_eq!(call(&r, "GET", "/tasks", None, None).await.0, 401);
    assert_eq!(call(&r, "GET", "/tasks", Some(&analyst), None).await.0, 403);
    // The assignee's open task.
    let (status, body) = call(&r, "GET", "/tasks", Some(&agent), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["items"][0]["lead_id"], id);
    assert!(body["items"][0]["title"].as_str().unwrap().starts_with("First call to lead"), "{body}");
    // Someone outside the assignee's team may name them, and sees none of their tasks.
    let (status, body) = call(&r, "GET", &format!("/tasks?member={assignee}"), Some(&other), None).await;
    assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    // Each listed task's lead is recorded as read (its tasks), by the caller.
    let reads = r
        .system
        .audit
        .all()
        .into_iter()
        .filter(|e| e.route.as_deref() == Some("GET /tasks") && e.lead_id.map(|l| l.to_string()) == Some(id.clone()))
        .count();
    assert_eq!(reads, 1, "the agent's listing recorded a read of the lead's tasks; the outsider's none");
    assert_eq!(call(&r, "GET", &format!("/tasks?member={assignee}"), Some(&admin), None).await.0, 200);
    let (status, body) = call(&r, "GET", &format!("/leads/{id}/tasks"), Some(&admin), None).await;
    assert_eq!((status, body["items"].as_array().unwrap().len()), (200, 1));
    assert_eq!(call(&r, "GET", &format!("/leads/{id}/tasks"), Some(&other), None).await.0, 403, "someone else's lead");
    let (status, body) = call(&r, "GET", &format!("/leads/{id}/cadence"), Some(&agent), None).await;
    assert_eq!(status, 200);
    assert_eq!((body["enrollment"]["cadence"].as_str(), body["next"]["name"].as_str()), (Some("med-spa"), Some("call-2m")));

    // Pause and resume.
    assert_eq!(call(&r, "POST", &format!("/leads/{id}/cadence/pause"), Some(&other), None).await.0, 403);
    assert_eq!(call(&r, "POST", &format!("/leads/{id}/cadence/pause"), Some(&analyst), None).await.0, 403);
    let (status, body) = call(&r, "POST", &format!("/leads/{id}/cadence/pause"), Some(&agent), None).await;
    assert_eq!((status, body["enrollment"]["state"].as_str()), (200, Some("paused")));
    let (status, body) = call(&r, "POST", &format!("/leads/{id}/cadence/resume"), Some(&agent), None).await;
    assert_eq!((status, body["enrollment"]["state"].as_str()), (200, Some("active")));
    let (status, body) = call(&r, "GET", &format!("/leads/{id}"), Some(&admin), None).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = body["timeline"]["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    for k in ["cadence_enrolled", "cadence_step", "cadence_paused", "cadence_resumed", "task_closed"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    assert_eq!(call(&r, "POST", "/leads/01ARZ3NDEKTSV4RRFFQ69G5FAV/cadence/pause", Some(&admin), None).await.0, 404);
    // Pause and resume are in the audit trail as the agent's updates, once each; refusals as denied.
    let trail = r.system.audit.all();
    let lead_id: leadflow::domain::LeadId = id.parse().unwrap();
    for route in ["POST /leads/{id}/cadence/pause", "POST /leads/{id}/cadence/resume"] {
        let mine: Vec<_> = trail.iter().filter(|e| e.route.as_deref() == Some(route) && e.lead_id == Some(lead_id)).collect();
        let allowed: Vec<_> = mine.iter().filter(|e| e.outcome == leadflow::domain::AuditOutcome::Allowed).collect();
        assert_eq!(allowed.len(), 1, "{route}: {mine:?}");
        assert_eq!(allowed[0].action, leadflow::domain::AuditAction::Update);
        assert!(allowed[0].fields.iter().any(|f| f == "cadence"), "{:?}", allowed[0].fields);
    }
    let denied = trail.iter().filter(|e| e.outcome == leadflow::domain::AuditOutcome::Denied && e.lead_id == Some(lead_id)).count();
    assert!(denied >= 3, "the refusals were recorded ({denied})");
    // The follow-up steps are recorded as leadflow's own (system:followup, system:cadence).
    let system: std::collections::BTreeSet<String> =
        trail.iter().filter(|e| e.lead_id == Some(lead_id)).map(|e| e.actor.key()).filter(|a| a.starts_with("system:")).collect();
    assert!(system.contains("system:followup") && system.contains("system:cadence"), "{system:?}");
}

#[tokio::test]
async fn a_7_day_cadence_plays_out_in_seconds_with_time_travel() {
    let r = start_time_travel(Options { port: 0, tick_every: None, ..Options::default() }).await.unwrap();
    // Travel to the next Tuesday, 10:30 in New York (the practice open).
    let now = r.system.services.clock.now();
    let ny = chrono_tz::America::New_York;
    let local = now.with_timezone(&ny);
    let mut days = (7 + 1 - local.weekday().num_days_from_monday() as i64) % 7;
    let mut target = ny.with_ymd_and_hms(local.year(), local.month(), local.day(), 10, 30, 0).unwrap() + Duration::days(days);
    if target <= local {
        days += 7;
        target = ny.with_ymd_and_hms(local.year(), local.month(), local.day(), 10, 30, 0).unwrap() + Duration::days(days);
    }
    let advance = (target.with_timezone(&Utc) - now).num_seconds();
    let (status, _) = call(&r, "POST", "/local/tick", None, Some(json!({"advance_seconds": advance}))).await;
    assert_eq!(status, 200);
    let phone = "+12015550143";
    let id = new_lead(&r, phone).await;

    let started = std::time::Instant::now();
    let (status, body) = call(&r, "POST", "/local/tick", None, Some(json!({"advance_seconds": 8 * 86_400, "step_seconds": 60}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticks"], 8 * 1440);
    assert!(body["handled"]["followup"].as_u64().unwrap() >= 6, "due items handled: {body}");
    eprintln!("8 simulated days, minute by minute, in {:?}", started.elapsed());

    let outbox = r.system.outbox.entries();
    let mine: Vec<_> = outbox.iter().filter(|e| e.lead_id.map(|l| l.to_string()) == Some(id.clone())).collect();
    assert_eq!(mine.iter().filter(|e| e.channel == "sms").count(), 2, "acknowledgement + 24-hour text");
    // No call was recorded, so the 1-hour "we tried to call you" email is skipped.
    assert_eq!(mine.iter().filter(|e| e.channel == "email").count(), 2);
    let tasks = r.system.team_outbox.entries().into_iter().filter(|e| e.purpose == "call_task").count();
    assert!(tasks >= 3, "a notice per call task ({tasks})");
    let hour = |e: &&leadflow::adapters::memory::OutboxEntry| e.at.with_timezone(&ny).hour();
    assert!(mine.iter().all(|e| (8..21).contains(&hour(e))), "nothing at night");
    assert_eq!(call(&r, "POST", "/local/tick", None, Some(json!({"advance_seconds": 60, "step_seconds": 0}))).await.0, 400);
}
