//! The routes the staff console works through, over real HTTP on the local runner: the inbox,
//! search by name, phone and e-mail, assignment, corrections, notes and staff messages, each
//! with its scope, its timeline entry and its audit record.

use chrono::{DateTime, TimeZone, Utc};
use leadflow::domain::{AuditAction, AuditOutcome, LeadId, TimelineKind};
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::{send, Reply};
use serde_json::{json, Value};
use std::sync::Arc;

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
}

async fn runner() -> (Running, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(at(3, 10, 30)));
    let options = Options { port: 0, tick_every: None, ..Options::default() };
    (start(options, clock.clone()).await.unwrap(), clock)
}

async fn token(r: &Running, user: &str, role: &str, facilities: &[&str]) -> String {
    let reply = send(
        &r.base_url(),
        "POST",
        "/local/dev-token",
        None,
        &[],
        json!({"user": user, "role": role, "facilities": facilities}).to_string(),
    )
    .await;
    reply.json()["token"].as_str().unwrap().to_string()
}

async fn post(r: &Running, path: &str, token: &str, body: Value) -> Reply {
    send(&r.base_url(), "POST", path, Some(token), &[("content-type", "application/json")], body.to_string()).await
}

async fn get(r: &Running, path: &str, token: &str) -> Reply {
    send(&r.base_url(), "GET", path, Some(token), &[], "").await
}

/// Posts a lead and lets scoring and routing run.
async fn lead(r: &Running, fields: Value) -> LeadId {
    let reply = send(&r.base_url(), "POST", "/leads", None, &[("content-type", "application/json")], fields.to_string()).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    r.system.drain_queues().await;
    leadflow_tests::leads::lead_of(&r.system.store, &reply.json())
}

fn ids(reply: &Reply) -> Vec<String> {
    reply.json()["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

async fn timeline(r: &Running, id: LeadId) -> Vec<TimelineKind> {
    r.system.services.timeline.list(id, None, 500).await.unwrap().items.into_iter().map(|e| e.kind).collect()
}

async fn assign_to(r: &Running, id: LeadId, member: &str) {
    let mut l = r.system.services.leads.get(id).await.unwrap().unwrap();
    l.assignment = Some(leadflow_tests::leads::assignment(member));
    l.version += 1;
    r.system.services.leads.save(&l).await.unwrap();
}

#[tokio::test]
async fn the_inbox_puts_crisis_and_urgent_first_then_the_nearest_deadline_within_scope() {
    let (r, _) = runner().await;
    // A routine med-spa lead, an urgent one ("bleeding"), a crisis (recovery: "relapse").
    let routine =
        lead(&r, json!({"first_name": "Rita", "phone": "201-555-0601", "service_line": "med_spa", "preferred_facility": "Hoboken"})).await;
    let urgent = lead(&r, json!({"first_name": "Uma", "phone": "201-555-0602", "service_line": "med_spa", "urgency": "urgent", "preferred_facility": "Hoboken"})).await;
    let crisis = lead(
        &r,
        json!({"first_name": "Cal", "phone": "201-555-0603", "service_line": "addiction_treatment", "concern": "I relapsed last night"}),
    )
    .await;
    for id in [routine, urgent] {
        assign_to(&r, id, "maria").await;
    }
    let admin = token(&r, "root", "admin", &[]).await;
    let inbox = get(&r, "/inbox", &admin).await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    let order = ids(&inbox);
    let pos = |id: LeadId| order.iter().position(|x| *x == id.to_string()).unwrap();
    assert!(pos(crisis) < pos(urgent) && pos(urgent) < pos(routine), "{}", inbox.body);
    let row = &inbox.json()["items"][pos(urgent)];
    assert_eq!(row["tier"], "urgent");
    assert_eq!(row["first_name"], "Uma");
    assert_eq!(row["waiting_for_first_contact"], true);
    assert!(row["first_contact_due_at"].is_string());

    // maria (patient care) sees her team's leads, not recovery's crisis; a Hoboken manager the
    // Hoboken leads; an analyst nothing.
    let maria = token(&r, "maria", "agent", &[]).await;
    let hers = ids(&get(&r, "/inbox", &maria).await);
    assert!(hers.contains(&routine.to_string()) && hers.contains(&urgent.to_string()) && !hers.contains(&crisis.to_string()));
    let manager = token(&r, "mgr-1", "manager", &["hoboken"]).await;
    let theirs = ids(&get(&r, "/inbox", &manager).await);
    assert_eq!(theirs.len(), 2);
    assert!(!theirs.contains(&crisis.to_string()));
    assert_eq!(get(&r, "/inbox", &token(&r, "x", "analyst", &[]).await).await.status, 403);
    assert_eq!(ids(&get(&r, "/inbox?assignee=unassigned", &maria).await), Vec::<String>::new(), "not her queue");
    assert_eq!(get(&r, "/inbox?limit=0", &admin).await.status, 422);

    // Every row shown is recorded as read, by whoever read it.
    let reads = r.system.audit.all().into_iter().filter(|e| e.route.as_deref() == Some("GET /inbox") && e.action == AuditAction::Read);
    assert!(reads.filter(|e| e.lead_id == Some(routine)).count() >= 3);

    // A closed lead leaves the inbox.
    let reply = post(&r, &format!("/leads/{routine}/status"), &admin, json!({"to": "disqualified", "reason": "spam"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!ids(&get(&r, "/inbox", &admin).await).contains(&routine.to_string()));
}

#[tokio::test]
async fn search_finds_names_whatever_the_case_and_accents_phones_in_any_format_and_emails() {
    let (r, _) = runner().await;
    let jose = lead(&r, json!({"first_name": "José", "last_name": "Núñez", "phone": "(201) 555-0611", "email": "Jose.Nunez@Example.com", "service_line": "med_spa", "preferred_facility": "Hoboken"})).await;
    let other = lead(&r, json!({"first_name": "Josephine", "last_name": "Baker", "phone": "201-555-0612", "service_line": "med_spa", "preferred_facility": "Newark"})).await;
    assign_to(&r, jose, "maria").await;
    assign_to(&r, other, "sam").await;
    let admin = token(&r, "root", "admin", &[]).await;
    let found = |q: &'static str, t: String| {
        let r = &r;
        async move { ids(&post(r, "/leads/search", &t, json!({ "q": q })).await) }
    };
    assert_eq!(found("JOSE nun", admin.clone()).await, vec![jose.to_string()]);
    assert_eq!(found("núñez", admin.clone()).await, vec![jose.to_string()]);
    let mut both = found("jos", admin.clone()).await;
    both.sort();
    let mut expected = vec![jose.to_string(), other.to_string()];
    expected.sort();
    assert_eq!(both, expected);
    assert_eq!(found("+1 201.555.0611", admin.clone()).await, vec![jose.to_string()]);
    assert_eq!(found("2015550611", admin.clone()).await, vec![jose.to_string()]);
    assert_eq!(found("JOSE.NUNEZ@example.COM", admin.clone()).await, vec![jose.to_string()]);
    // Within what the caller may see: maria finds José (hers), never Josephine (recovery's).
    let maria = token(&r, "maria", "agent", &[]).await;
    assert_eq!(found("jos", maria.clone()).await, vec![jose.to_string()]);
    assert!(found("201-555-0612", maria.clone()).await.is_empty());
    // Bad queries are named; the query itself is never repeated.
    let bad = post(&r, "/leads/search", &admin, json!({"q": "j"})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["fields"][0]["field"], "q");
    assert_eq!(post(&r, "/leads/search", &admin, json!({"q": "x@"})).await.status, 422);
    // A field the route does not take is named (422), and an unreadable body is 400.
    let unknown = post(&r, "/leads/search", &admin, json!({"q": "ann", "extra": 1})).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.json()["error"], "validation_failed");
    assert_eq!(
        unknown.json()["fields"],
        json!([{"field": "extra", "code": "unknown_field", "message": "this field is not accepted here"}])
    );
    assert_eq!(post(&r, "/leads/search", &admin, json!(["ann"])).await.status, 400);
}

#[tokio::test]
async fn a_manager_reassigns_a_lead_and_the_clock_and_notices_follow_the_new_assignee() {
    let (r, clock) = runner().await;
    let id = lead(&r, json!({"first_name": "Ann", "phone": "201-555-0621", "service_line": "med_spa", "preferred_facility": "Hoboken", "consent_sms": true})).await;
    assign_to(&r, id, "maria").await;
    let manager = token(&r, "mgr-1", "manager", &["hoboken"]).await;
    let path = format!("/leads/{id}/assign");
    // A reason that is not configured, a member who is nobody: 422.
    assert_eq!(post(&r, &path, &manager, json!({"member": "li", "reason": "because"})).await.status, 422);
    assert_eq!(post(&r, &path, &manager, json!({"member": "nobody", "reason": "workload"})).await.status, 422);
    // jon works at Manhattan only: not this manager's to give leads to.
    assert_eq!(post(&r, &path, &manager, json!({"member": "jon", "reason": "workload"})).await.status, 403);
    let reply = send(
        &r.base_url(),
        "POST",
        &path,
        Some(&manager),
        &[("content-type", "application/json"), ("idempotency-key", "reassign-1")],
        json!({"member": "li", "reason": "language", "note": "speaks Mandarin"}).to_string(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["lead"]["assignment"]["member"], "li");
    assert_eq!(reply.json()["previous"], "maria");
    // The retry changes nothing more.
    let again = send(
        &r.base_url(),
        "POST",
        &path,
        Some(&manager),
        &[("content-type", "application/json"), ("idempotency-key", "reassign-1")],
        json!({"member": "li", "reason": "language", "note": "speaks Mandarin"}).to_string(),
    )
    .await;
    assert_eq!(again.status, 200);
    let entries = timeline(&r, id).await;
    assert_eq!(entries.iter().filter(|k| matches!(k, TimelineKind::Reassigned { .. })).count(), 1);
    // li now sees it in her inbox and was told; maria's teammate li is on her team, but sam is not.
    let li = token(&r, "li", "agent", &[]).await;
    assert!(ids(&get(&r, "/inbox?assignee=li", &li).await).contains(&id.to_string()));
    let told = r.system.team_outbox.entries().into_iter().filter(|e| e.recipient == "member:li" && e.lead_id == Some(id)).count();
    assert_eq!(told, 1, "{:?}", r.system.team_outbox.entries());
    // The first contact is still due: at the deadline the ladder tells li, not maria.
    let due = r.system.services.leads.get(id).await.unwrap().unwrap().first_contact_due_at.unwrap();
    clock.set(due + chrono::Duration::seconds(30));
    r.system.tick().await.unwrap();
    r.system.drain_queues().await;
    let overdue: Vec<String> = r
        .system
        .team_outbox
        .entries()
        .into_iter()
        .filter(|e| e.lead_id == Some(id) && e.text.contains("overdue"))
        .map(|e| e.recipient)
        .collect();
    assert_eq!(overdue, vec!["member:li".to_string()]);
    // Recorded: the change, and a refusal for jon.
    let trail = r.system.audit.all();
    assert!(trail.iter().any(|e| e.route.as_deref() == Some("POST /leads/{id}/assign")
        && e.action == AuditAction::Update
        && e.outcome == AuditOutcome::Allowed
        && e.fields.contains(&"assignment".to_string())));
    assert!(trail.iter().any(|e| e.route.as_deref() == Some("POST /leads/{id}/assign") && e.outcome == AuditOutcome::Denied));
    // Agents never assign.
    let maria = token(&r, "maria", "agent", &[]).await;
    assert_eq!(post(&r, &path, &maria, json!({"member": "maria", "reason": "workload"})).await.status, 403);
}

#[tokio::test]
async fn corrections_are_validated_like_the_form_and_recorded_with_before_and_after() {
    let (r, _) = runner().await;
    let id = lead(&r, json!({"first_name": "Ann", "last_name": "Lee", "phone": "201-555-0631", "service_line": "med_spa", "preferred_facility": "Hoboken"})).await;
    let taken = lead(&r, json!({"first_name": "Bo", "phone": "201-555-0632", "service_line": "med_spa"})).await;
    let admin = token(&r, "root", "admin", &[]).await;
    let path = format!("/leads/{id}/details");
    let reply = post(
        &r,
        &path,
        &admin,
        json!({"last_name": "Leigh", "email": "Ann.Leigh@Example.com", "city": "Hoboken", "concern": "scar on my arm"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["lead"]["contact"]["email"], "ann.leigh@example.com");
    let changed: Vec<String> = serde_json::from_value(reply.json()["changed"].clone()).unwrap();
    assert!(changed.contains(&"contact.last_name".to_string()) && changed.contains(&"context.concern".to_string()), "{changed:?}");
    let edit = timeline(&r, id).await.into_iter().find_map(|k| match k {
        TimelineKind::ContactEdited { changes } => Some(changes),
        _ => None,
    });
    let changes = edit.expect("a contact_edited entry");
    let last = changes.iter().find(|c| c.field == "last_name").unwrap();
    assert_eq!((last.before.as_deref(), last.after.as_deref()), (Some("Lee"), Some("Leigh")));
    // The new name is searchable, the old one no longer finds her.
    assert_eq!(ids(&post(&r, "/leads/search", &admin, json!({"q": "leigh"})).await), vec![id.to_string()]);
    assert!(ids(&post(&r, "/leads/search", &admin, json!({"q": "lee"})).await).is_empty());
    // Bad values are named, nothing changes; another open lead's number is refused.
    let bad = post(&r, &path, &admin, json!({"phone": "12", "state": "New Jersey"})).await;
    assert_eq!(bad.status, 422);
    let fields: Vec<String> = bad.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_string()).collect();
    assert!(fields.contains(&"phone".to_string()) && fields.contains(&"state".to_string()), "{fields:?}");
    let held = post(&r, &path, &admin, json!({"phone": "(201) 555-0632"})).await;
    assert_eq!(held.status, 409, "{}", held.body);
    assert!(!held.body.contains("555-0632") && !held.body.contains(&taken.to_string()));
    assert_eq!(post(&r, &path, &admin, json!({"status": "booked"})).await.status, 422, "not an editable field");
    // Recorded with the changed fields, never the values.
    let trail: Vec<_> = r
        .system
        .audit
        .all()
        .into_iter()
        .filter(|e| e.route.as_deref() == Some("POST /leads/{id}/details") && e.action == AuditAction::Update)
        .collect();
    assert_eq!(trail.len(), 1);
    assert!(trail[0].fields.contains(&"contact.email".to_string()));
    assert!(!serde_json::to_string(&trail[0]).unwrap().contains("Leigh"));
}

#[tokio::test]
async fn notes_go_on_the_timeline_once_per_key() {
    let (r, _) = runner().await;
    let id =
        lead(&r, json!({"first_name": "Ann", "phone": "201-555-0641", "service_line": "med_spa", "preferred_facility": "Hoboken"})).await;
    assign_to(&r, id, "maria").await;
    let maria = token(&r, "maria", "agent", &[]).await;
    let path = format!("/leads/{id}/notes");
    for _ in 0..2 {
        let reply = send(
            &r.base_url(),
            "POST",
            &path,
            Some(&maria),
            &[("content-type", "application/json"), ("idempotency-key", "n-1")],
            json!({"note": "prefers mornings"}).to_string(),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let notes = timeline(&r, id).await.into_iter().filter(|k| matches!(k, TimelineKind::NoteAdded { .. })).count();
    assert_eq!(notes, 1);
    assert_eq!(post(&r, &path, &maria, json!({"note": "  "})).await.status, 422);
    let sam = token(&r, "sam", "agent", &[]).await;
    assert_eq!(post(&r, &path, &sam, json!({"note": "x"})).await.status, 403);
}

#[tokio::test]
async fn staff_messages_pass_the_consent_gate_and_the_persons_quiet_hours() {
    let (r, clock) = runner().await;
    let id = lead(&r, json!({"first_name": "Ann", "phone": "201-555-0651", "email": "ann@example.org", "state": "NJ", "service_line": "med_spa", "preferred_facility": "Hoboken", "consent_sms": true})).await;
    let no_consent =
        lead(&r, json!({"first_name": "Bo", "phone": "201-555-0652", "service_line": "med_spa", "preferred_facility": "Hoboken"})).await;
    let admin = token(&r, "root", "admin", &[]).await;
    let path = format!("/leads/{id}/messages");
    // 10:30 in New Jersey: sent, recorded, in the outbox.
    let reply = post(&r, &path, &admin, json!({"channel": "sms", "text": "Hi Ann, returning your call - when suits you?"})).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(r
        .system
        .outbox
        .entries()
        .iter()
        .any(|e| e.recipient == "+12015550651" && e.purpose == "staff" && e.text.starts_with("Hi Ann, returning")));
    assert!(timeline(&r, id).await.iter().any(|k| matches!(k, TimelineKind::StaffMessageSent { quiet_hours_override: false, .. })));
    // No SMS consent: refused with the gate's reason, nothing sent or recorded.
    let sent_before = r.system.outbox.len();
    let refused = post(&r, &format!("/leads/{no_consent}/messages"), &admin, json!({"channel": "sms", "text": "Hello"})).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!((refused.json()["reason"].as_str(), refused.json()["gate"].as_str()), (Some("gate"), Some("no_consent")));
    // No e-mail consent either.
    assert_eq!(post(&r, &path, &admin, json!({"channel": "email", "text": "Hello"})).await.json()["gate"], "no_consent");
    assert_eq!(r.system.outbox.len(), sent_before);
    // 23:00 in New Jersey: refused with the time it may go, unless overridden with a reason.
    clock.set(at(3, 23, 0));
    let late = post(&r, &path, &admin, json!({"channel": "sms", "text": "Are you free tomorrow?"})).await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert_eq!(late.json()["reason"], "quiet_hours");
    assert_eq!(late.json()["allowed_from"], json!(at(4, 8, 0)));
    let over = post(
        &r,
        &path,
        &admin,
        json!({"channel": "sms", "text": "Calling you now as you asked", "override_quiet_hours": "she asked to be texted tonight"}),
    )
    .await;
    assert_eq!(over.status, 201, "{}", over.body);
    assert!(timeline(&r, id)
        .await
        .iter()
        .any(|k| matches!(k, TimelineKind::StaffMessageSent { quiet_hours_override: true, note: Some(_), .. })));
    // Bad input named.
    let bad = post(&r, &path, &admin, json!({"channel": "fax", "text": ""})).await;
    assert_eq!(bad.status, 422);
    // Recorded in the trail: the change, with the fields it used, never the text.
    let trail: Vec<_> = r
        .system
        .audit
        .all()
        .into_iter()
        .filter(|e| e.route.as_deref() == Some("POST /leads/{id}/messages") && e.action == AuditAction::Update)
        .collect();
    assert_eq!(trail.len(), 2);
    assert!(!serde_json::to_string(&trail).unwrap().contains("Calling you now"));
}
