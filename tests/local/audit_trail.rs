//! The audit trail over a whole run on the local runner: each read and each write of a lead
//! appears exactly once, with the right actor, and never a value; reading the trail is itself
//! recorded; refusals are recorded as denied.

use chrono::{TimeZone, Utc};
use leadflow::domain::{AuditAction, AuditActor, AuditEntry, AuditOutcome, LeadId};
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::send;
use leadflow_tests::runner::wait_for_consumers;
use serde_json::Value;
use std::sync::Arc;

/// The runner and its clock; tests move the clock between steps so entries have distinct times.
/// No background ticker: a scheduled run at a moment the test does not choose would add its own
/// entries (and notices) to what is counted.
async fn runner() -> (Running, Arc<ManualClock>) {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(open));
    let options =
        Options { port: 0, tick_every: None, dev_token_secret: Some("audit-test-secret-0123456789".into()), ..Options::default() };
    (start(options, clock.clone()).await.unwrap(), clock)
}

fn tick(clock: &ManualClock) {
    clock.advance(chrono::Duration::seconds(1));
}

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let form: &[(&str, &str)] =
        if method == "POST" && path == "/leads" { &[("content-type", "application/x-www-form-urlencoded")] } else { &[] };
    let reply = send(&r.base_url(), method, path, token, form, body.to_string()).await;
    (reply.status, reply.json_or_null())
}

async fn token(r: &Running, user: &str, role: &str) -> String {
    let (status, v) = call(r, "POST", "/local/dev-token", None, &format!(r#"{{"user":"{user}","role":"{role}"}}"#)).await;
    assert_eq!(status, 200);
    v["token"].as_str().unwrap().to_string()
}

fn of(entries: &[AuditEntry], lead: LeadId, action: AuditAction) -> Vec<AuditEntry> {
    entries.iter().filter(|e| e.lead_id == Some(lead) && e.action == action).cloned().collect()
}

const FORM: &str = "first_name=Audra&last_name=Quill&phone=%28201%29+555-0177&email=audra.quill%40example.com&service_line=wound_care&concern=slow+healing+wound&consent_sms=on";

#[tokio::test]
async fn each_read_and_write_appears_once_with_its_actor_and_no_values() {
    let (r, clock) = runner().await;
    let (status, receipt) = call(&r, "POST", "/leads", None, FORM).await;
    assert_eq!(status, 202);
    let id: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &receipt);
    wait_for_consumers(&r.system).await;
    tick(&clock);
    // The same form again: the repeat inquiry is a write too.
    assert_eq!(call(&r, "POST", "/leads", None, FORM).await.0, 202);
    wait_for_consumers(&r.system).await;
    tick(&clock);

    let trail = r.system.audit.all();
    let created = of(&trail, id, AuditAction::Create);
    assert_eq!(created.len(), 1, "{trail:#?}");
    assert_eq!(created[0].actor, AuditActor::PublicForm);
    assert!(created[0].fields.contains(&"contact.phone".to_string()) && created[0].fields.contains(&"context.concern".to_string()));
    assert_eq!(created[0].source_ip, None, "the submitter's address is never in the trail (it outlives erasure)");
    // Each component that worked on the lead recorded its step once: the acknowledgement, the
    // score consumer (score and assignment) and the team notice.
    let processed = of(&trail, id, AuditAction::Process);
    let by = |component: &str| processed.iter().filter(|e| e.actor == AuditActor::system(component)).cloned().collect::<Vec<_>>();
    let acknowledged = by("acknowledge");
    assert_eq!(acknowledged.len(), 1, "{trail:#?}");
    assert!(acknowledged[0].fields.contains(&"acknowledged_at".to_string()));
    assert!(by("score").iter().any(|e| e.fields.contains(&"score".to_string())), "{processed:#?}");
    assert!(by("score").iter().any(|e| e.fields.contains(&"assignment".to_string())), "{processed:#?}");
    assert_eq!(by("notify").len(), 1, "one assignment notice: {processed:#?}");
    let steps: std::collections::BTreeSet<_> = processed.iter().map(|e| e.id).collect();
    assert_eq!(steps.len(), processed.len(), "no step recorded twice");
    assert_eq!(of(&trail, id, AuditAction::Update).len(), 1, "the repeat inquiry");

    // An administrator exports, then reads the trail: each recorded once, as them.
    let admin = token(&r, "admin-7", "admin").await;
    assert_eq!(call(&r, "GET", &format!("/people/{id}/export"), Some(&admin), "").await.0, 200);
    tick(&clock);
    let (status, listing) = call(&r, "GET", &format!("/audit/leads/{id}"), Some(&admin), "").await;
    assert_eq!(status, 200);
    let listed: Vec<AuditEntry> = serde_json::from_value(listing["items"].clone()).unwrap();
    // The public form, the acknowledgement and the administrator (scoring's steps aside).
    let listed: Vec<AuditEntry> =
        listed.into_iter().filter(|e| !matches!(&e.actor, AuditActor::System { component } if component != "acknowledge")).collect();
    let actions: Vec<AuditAction> = listed.iter().map(|e| e.action).collect();
    // Capture and acknowledgement share the frozen clock's instant, so only their set is fixed.
    assert!(actions[..2].contains(&AuditAction::Create) && actions[..2].contains(&AuditAction::Process), "{actions:?}");
    assert_eq!(actions[2..], [AuditAction::Update, AuditAction::Export, AuditAction::ReadAudit]);
    let me = AuditActor::User { user_id: "admin-7".into(), role: "admin".into() };
    assert_eq!(listed[3].actor, me);
    assert_eq!(listed[4].actor, me);
    assert!(listed[3].request_id.is_some() && listed[3].source_ip.as_deref() == Some("127.0.0.1"));
    assert_eq!(listed[3].route.as_deref(), Some("GET /people/{id}/export"));

    // The trail of a user, and that read recorded with its subject.
    tick(&clock);
    let (status, by_user) = call(&r, "GET", "/audit/users/admin-7", Some(&admin), "").await;
    assert_eq!(status, 200);
    let mine: Vec<AuditEntry> = serde_json::from_value(by_user["items"].clone()).unwrap();
    assert_eq!(mine.len(), 3, "export, the lead trail read, this read: {mine:#?}");
    assert_eq!(mine[2].subject_user.as_deref(), Some("admin-7"));
    // System components and the public form have no trail of their own: the lead's holds them.
    for actor in ["system:acknowledge", "public_form"] {
        let (status, refused) = call(&r, "GET", &format!("/audit/users/{actor}"), Some(&admin), "").await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["fields"][0]["field"], "id");
    }
    assert!(listed.iter().any(|e| e.actor == AuditActor::system("acknowledge")));

    // Paging: one at a time, in order, with nothing lost or repeated.
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let q = after.as_ref().map(|a| format!("&after={a}")).unwrap_or_default();
        let (status, page) = call(&r, "GET", &format!("/audit/leads/{id}?limit=1{q}"), Some(&admin), "").await;
        assert_eq!(status, 200);
        seen.extend(page["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    assert!(seen.len() >= 5);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted, seen);
    // Unusable and unknown parameters are a 422 naming each.
    let (status, bad) = call(&r, "GET", &format!("/audit/leads/{id}?limit=0&after=x&colour=red"), Some(&admin), "").await;
    assert_eq!(status, 422);
    assert_eq!(bad["error"], "validation_failed");
    let named: Vec<&str> = bad["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for field in ["limit", "after", "colour"] {
        assert!(named.contains(&field), "{field} not named in {named:?}");
    }

    // No value anywhere in the trail.
    let text = serde_json::to_string(&r.system.audit.all()).unwrap();
    for value in ["Audra", "Quill", "2015550177", "audra.quill", "healing"] {
        assert!(!text.contains(value), "{value} in the audit trail");
    }
}

#[tokio::test]
async fn refusals_are_recorded_as_denied_with_the_callers_role() {
    let (r, clock) = runner().await;
    let (_, receipt) = call(&r, "POST", "/leads", None, FORM).await;
    let id: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &receipt);
    let analyst = token(&r, "an-1", "analyst").await;
    for (method, path) in
        [("GET", format!("/people/{id}/export")), ("DELETE", format!("/people/{id}")), ("GET", format!("/audit/leads/{id}"))]
    {
        tick(&clock);
        assert_eq!(call(&r, method, &path, Some(&analyst), "").await.0, 403);
    }
    let denied: Vec<AuditEntry> = r.system.audit.all().into_iter().filter(|e| e.outcome == AuditOutcome::Denied).collect();
    assert_eq!(denied.len(), 3);
    for e in &denied {
        assert_eq!(e.actor, AuditActor::User { user_id: "an-1".into(), role: "analyst".into() });
        assert_eq!(e.lead_id, Some(id));
        assert!(e.fields.is_empty());
    }
    assert_eq!(denied.iter().map(|e| e.action).collect::<Vec<_>>(), [AuditAction::Export, AuditAction::Erase, AuditAction::ReadAudit]);
}

/// The staff routes of scoring and the lifecycle record like the others: each read and change
/// once, as the caller with their role, with the fields and never the values; a retried change
/// (same Idempotency-Key) once; a refusal as denied.
#[tokio::test]
async fn staff_routes_record_each_read_and_change_once() {
    let (r, clock) = runner().await;
    let (_, receipt) = call(&r, "POST", "/leads", None, FORM).await;
    let id: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &receipt);
    wait_for_consumers(&r.system).await;
    let assignee = r.system.services.leads.get(id).await.unwrap().unwrap().assignee().unwrap().to_string();
    let agent = token(&r, &assignee, "agent").await;
    let stranger = token(&r, "sam", "agent").await; // another team
    let json_post = |path: String, token: String, body: &'static str, key: Option<&'static str>| {
        let r = &r;
        async move {
            let mut headers = vec![("content-type", "application/json")];
            if let Some(k) = key {
                headers.push(("idempotency-key", k));
            }
            send(&r.base_url(), "POST", &path, Some(&token), &headers, body).await.status
        }
    };
    let before: std::collections::BTreeSet<_> = r.system.audit.all().iter().map(|e| e.id).collect();
    let contact = r#"{"channel":"call","outcome":"answered","note":"asked about the scar"}"#;
    for _ in 0..2 {
        assert_eq!(json_post(format!("/leads/{id}/contacts"), agent.clone(), contact, Some("call-1")).await, 201);
    }
    tick(&clock);
    assert_eq!(json_post(format!("/leads/{id}/touchpoints"), agent.clone(), r#"{"kind":"download"}"#, None).await, 201);
    tick(&clock);
    assert_eq!(json_post(format!("/leads/{id}/status"), agent.clone(), r#"{"to":"qualified","note":"good fit"}"#, None).await, 200);
    tick(&clock);
    assert_eq!(call(&r, "GET", &format!("/leads/{id}"), Some(&agent), "").await.0, 200);
    tick(&clock);
    assert_eq!(call(&r, "GET", &format!("/leads?assignee={assignee}"), Some(&agent), "").await.0, 200);
    tick(&clock);
    assert_eq!(call(&r, "GET", &format!("/leads/{id}"), Some(&stranger), "").await.0, 403);
    assert_eq!(call(&r, "GET", "/team", Some(&agent), "").await.0, 200);
    // The consumers' steps (scoring the touchpoint, the status change) are in the trail too.
    wait_for_consumers(&r.system).await;

    let me = AuditActor::User { user_id: assignee.clone(), role: "agent".into() };
    // The trail is in id (time) order: what these requests added, in the order they came.
    let trail: Vec<AuditEntry> = r.system.audit.all().into_iter().filter(|e| !before.contains(&e.id)).collect();
    let mine: Vec<&AuditEntry> = trail.iter().filter(|e| e.actor == me).collect();
    let route = |e: &AuditEntry| e.route.clone().unwrap_or_default();
    let updates: Vec<String> = mine.iter().filter(|e| e.action == AuditAction::Update).map(|e| route(e)).collect();
    assert_eq!(
        updates,
        ["POST /leads/{id}/contacts", "POST /leads/{id}/touchpoints", "POST /leads/{id}/status"],
        "the retried contact attempt is recorded once: {mine:#?}"
    );
    let contact_entry = mine.iter().find(|e| route(e) == "POST /leads/{id}/contacts").unwrap();
    assert_eq!(contact_entry.fields, ["first_contact_at", "status", "timeline"]);
    let reads: Vec<String> = mine.iter().filter(|e| e.action == AuditAction::Read).map(|e| route(e)).collect();
    assert_eq!(reads, ["POST /leads/{id}/status", "GET /leads/{id}", "GET /leads", "GET /team"], "{mine:#?}");
    assert!(mine.iter().find(|e| route(e) == "GET /leads/{id}").unwrap().fields.contains(&"timeline".to_string()));
    assert!(mine.iter().all(|e| e.outcome == AuditOutcome::Allowed && e.source_ip.is_some() && e.request_id.is_some()));
    let denied: Vec<&AuditEntry> = trail.iter().filter(|e| e.outcome == AuditOutcome::Denied).collect();
    assert_eq!(denied.len(), 1);
    assert_eq!((denied[0].lead_id, denied[0].actor.key()), (Some(id), "user:sam".to_string()));
    // The scoring of the touchpoint and the status change's own step are leadflow's, not the agent's.
    assert!(trail.iter().any(|e| e.actor == AuditActor::system("score") && e.lead_id == Some(id)));
    let text = serde_json::to_string(&trail).unwrap();
    for value in ["scar", "good fit", "Audra", "2015550177"] {
        assert!(!text.contains(value), "{value} in the audit trail");
    }

    // A manager taking a member off the rota is recorded with the member as subject.
    let manager = r#"{"user":"mgr-1","role":"manager","facilities":["hoboken"]}"#;
    let (_, t) = call(&r, "POST", "/local/dev-token", None, manager).await;
    let mgr = t["token"].as_str().unwrap().to_string();
    tick(&clock);
    let away =
        send(&r.base_url(), "PUT", "/team/maria/availability", Some(&mgr), &[("content-type", "application/json")], r#"{"away":true}"#)
            .await;
    assert_eq!(away.status, 200);
    let last = r.system.audit.all().into_iter().last().unwrap();
    assert_eq!(
        (last.action, last.subject_user.as_deref(), last.fields.clone()),
        (AuditAction::Update, Some("maria"), vec!["team.availability".to_string()])
    );
}
