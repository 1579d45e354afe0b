//! The staff console over real HTTP on the local runner, without a browser: the sign-in flow
//! (state, PKCE, one-time codes), every page behind a session, the security headers, CSRF,
//! idle sign-out that background refreshes do not prevent, and the console acting through the
//! API's guard and audit trail. (The browser tests in `tests/browser` drive the same pages in
//! chromium.)

use chrono::{Duration, TimeZone, Utc};
use leadflow::domain::{AuditAction, AuditOutcome, LeadId};
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::{send, Reply};
use serde_json::json;
use std::sync::Arc;

async fn runner() -> (Running, Arc<ManualClock>) {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(open));
    (start(Options { port: 0, tick_every: None, ..Options::default() }, clock.clone()).await.unwrap(), clock)
}

fn header(reply: &Reply, name: &str) -> String {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// `name=value` of the Set-Cookie for `name`, if any.
fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

fn query_of(url: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(url.split_once('?').map(|(_, q)| q).unwrap_or_default()).unwrap()
}

/// Signs in through the console and the dev issuer; the session cookie (`name=value`).
async fn sign_in(r: &Running, user: &str, role: &str, facilities: &[&str]) -> String {
    let base = r.base_url();
    let start = send(&base, "GET", "/console/auth/start?next=%2Fconsole%2F", None, &[], "").await;
    assert_eq!(start.status, 303);
    let transaction = set_cookie(&start, "__Host-leadflow-signin").expect("the sign-in cookie");
    let to_provider = header(&start, "location");
    assert!(to_provider.starts_with("/local/sign-in?"), "{to_provider}");
    let mut form = query_of(&to_provider);
    form.push(("user".into(), user.into()));
    form.push(("role".into(), role.into()));
    form.extend(facilities.iter().map(|f| ("facility".to_string(), f.to_string())));
    let body = serde_urlencoded::to_string(&form).unwrap();
    let submitted = send(&base, "POST", "/local/sign-in", None, &[("content-type", "application/x-www-form-urlencoded")], body).await;
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    let callback = header(&submitted, "location").replace(&base, "");
    let done = send(&base, "GET", &callback, None, &[("cookie", &transaction)], "").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("http-equiv=\"refresh\""));
    set_cookie(&done, "__Host-leadflow-session").expect("the session cookie")
}

async fn page(r: &Running, path: &str, cookie: &str) -> Reply {
    send(&r.base_url(), "GET", path, None, &[("cookie", cookie)], "").await
}

async fn lead(r: &Running, phone: &str, facility: &str) -> LeadId {
    let body = json!({"first_name": "Ann", "phone": phone, "service_line": "med_spa", "preferred_facility": facility, "consent_sms": true});
    let reply = send(&r.base_url(), "POST", "/leads", None, &[("content-type", "application/json")], body.to_string()).await;
    r.system.drain_queues().await;
    leadflow_tests::leads::lead_of(&r.system.store, &reply.json())
}

async fn assign(r: &Running, id: LeadId, member: &str) {
    let mut l = r.system.services.leads.get(id).await.unwrap().unwrap();
    l.assignment = Some(leadflow_tests::leads::assignment(member));
    l.version += 1;
    r.system.services.leads.save(&l).await.unwrap();
}

#[tokio::test]
async fn every_page_needs_a_session_and_carries_the_security_headers() {
    let (r, _) = runner().await;
    let id = lead(&r, "201-555-0701", "Hoboken").await;
    let pages = [
        "/console/".to_string(),
        format!("/console/leads/{id}"),
        format!("/console/leads/{id}/edit"),
        format!("/console/leads/{id}/live?v=1&t="),
        "/console/inbox/rows?d=x".into(),
        "/console/search".into(),
        "/console/tasks".into(),
        "/console/team".into(),
        "/console/dashboard".into(),
        "/console/charts/funnel.svg".into(),
        "/console/audit".into(),
        format!("/console/people/{id}"),
        format!("/console/people/{id}/export"),
    ];
    for p in &pages {
        let reply = send(&r.base_url(), "GET", p, None, &[], "").await;
        assert_eq!(reply.status, 303, "{p}");
        assert!(header(&reply, "location").starts_with("/console/sign-in?next="), "{p}");
        assert!(!reply.body.contains("Ann"));
        // A background refresh is told to go to sign-in instead.
        let refresh = send(&r.base_url(), "GET", p, None, &[("hx-request", "true")], "").await;
        assert_eq!(refresh.status, 401, "{p}");
        assert!(header(&refresh, "hx-redirect").starts_with("/console/sign-in"));
    }
    for p in [format!("/console/leads/{id}/notes"), format!("/console/people/{id}/erase"), "/console/search".into()] {
        let reply = send(&r.base_url(), "POST", &p, None, &[("content-type", "application/x-www-form-urlencoded")], "note=x").await;
        assert_eq!(reply.status, 303, "{p}");
    }
    // The way in is open, and hardened like every page.
    let cookie = sign_in(&r, "root-1", "admin", &[]).await;
    for p in &pages {
        let reply = page(&r, p, &cookie).await;
        assert!(reply.status < 400, "{p}: {}", reply.status);
        let csp = header(&reply, "content-security-policy");
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline") || p.ends_with(".svg"), "{p}: {csp}");
        assert_eq!(header(&reply, "cache-control"), "no-store", "{p}");
        assert_eq!(header(&reply, "x-frame-options"), "DENY", "{p}");
        // Titles and URLs name codes, never the person.
        if let Some(title) = reply.body.split("<title>").nth(1).and_then(|t| t.split("</title>").next()) {
            assert!(!title.contains("Ann"), "{p}: {title}");
        }
    }
    // The session cookie's attributes.
    let start = send(&r.base_url(), "GET", "/console/", None, &[("cookie", &cookie)], "").await;
    let issued = start.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    assert!(issued.contains("HttpOnly") && issued.contains("Secure") && issued.contains("SameSite=Strict"), "{issued}");
}

#[tokio::test]
async fn the_sign_in_flow_checks_state_verifier_and_one_time_codes() {
    let (r, _) = runner().await;
    let base = r.base_url();
    // A callback without the browser's transaction, or with another state: nothing signed in.
    let bare = send(&base, "GET", "/console/auth/callback?code=x&state=y", None, &[], "").await;
    assert_eq!(bare.status, 400);
    assert!(set_cookie(&bare, "__Host-leadflow-session").is_none());
    let start = send(&base, "GET", "/console/auth/start?next=%2F%2Fevil.example", None, &[], "").await;
    let transaction = set_cookie(&start, "__Host-leadflow-signin").unwrap();
    let mut form = query_of(&header(&start, "location"));
    form.extend([("user".to_string(), "maria".to_string()), ("role".to_string(), "agent".to_string())]);
    let submitted = send(
        &base,
        "POST",
        "/local/sign-in",
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
        serde_urlencoded::to_string(&form).unwrap(),
    )
    .await;
    let callback = header(&submitted, "location").replace(&base, "");
    let wrong_state = callback.replace("state=", "state=x");
    assert_eq!(send(&base, "GET", &wrong_state, None, &[("cookie", &transaction)], "").await.status, 400);
    let ok = send(&base, "GET", &callback, None, &[("cookie", &transaction)], "").await;
    assert_eq!(ok.status, 200);
    // `next` only ever points into the console.
    assert!(ok.body.contains("url=/console/\""), "{}", ok.body);
    // The code was spent.
    assert_eq!(send(&base, "GET", &callback, None, &[("cookie", &transaction)], "").await.status, 400);
    // A session cookie with a role written into it is no session.
    let cookie = set_cookie(&ok, "__Host-leadflow-session").unwrap();
    let value = cookie.split_once('=').unwrap().1;
    let parts: Vec<&str> = value.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let subject = String::from_utf8(b64.decode(parts[1]).unwrap()).unwrap().replace("\"agent\"", "\"admin\"");
    let forged = format!("__Host-leadflow-session={}.{}.{}.{}", parts[0], b64.encode(subject), parts[2], parts[3]);
    assert_eq!(page(&r, "/console/audit", &forged).await.status, 303);
    assert_eq!(page(&r, "/console/", &cookie).await.status, 200);
}

#[tokio::test]
async fn the_console_goes_through_the_apis_guard_and_audit_trail() {
    let (r, _) = runner().await;
    let hers = lead(&r, "201-555-0711", "Hoboken").await;
    let other_team = lead(&r, "201-555-0712", "Newark").await;
    assign(&r, hers, "maria").await;
    assign(&r, other_team, "sam").await;
    let maria = sign_in(&r, "maria", "agent", &[]).await;
    let inbox = page(&r, "/console/", &maria).await;
    assert!(inbox.body.contains(&hers.to_string()) && !inbox.body.contains(&other_team.to_string()));
    assert_eq!(page(&r, &format!("/console/leads/{hers}"), &maria).await.status, 200);
    let refused = page(&r, &format!("/console/leads/{other_team}"), &maria).await;
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains("201-555-0712") && !refused.body.contains("+12015550712"));
    let trail = r.system.audit.all();
    let by_maria = |lead: LeadId, outcome: AuditOutcome| {
        trail.iter().any(|e| {
            e.lead_id == Some(lead)
                && e.outcome == outcome
                && e.action == AuditAction::Read
                && e.route.as_deref() == Some("GET /leads/{id}")
                && matches!(&e.actor, leadflow::domain::AuditActor::User { user_id, .. } if user_id == "maria")
        })
    };
    assert!(by_maria(hers, AuditOutcome::Allowed), "the page's read is the API's read");
    assert!(by_maria(other_team, AuditOutcome::Denied), "the refusal is recorded");
    // Pages a role cannot use are not offered, and refused when forced.
    assert!(!inbox.body.contains("/console/audit") && !inbox.body.contains("/console/dashboard"));
    assert_eq!(page(&r, "/console/audit?user=maria", &maria).await.status, 403);
    assert_eq!(page(&r, "/console/dashboard", &maria).await.status, 403);
}

#[tokio::test]
async fn actions_need_the_csrf_token_and_background_refreshes_are_no_activity() {
    let (r, clock) = runner().await;
    let id = lead(&r, "201-555-0721", "Hoboken").await;
    assign(&r, id, "maria").await;
    let cookie = sign_in(&r, "maria", "agent", &[]).await;
    let lead_page = page(&r, &format!("/console/leads/{id}"), &cookie).await;
    let token = lead_page.body.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let form = |with: Option<&str>| {
        let mut f = vec![("note".to_string(), "prefers mornings".to_string())];
        if let Some(t) = with {
            f.push(("_csrf".into(), t.into()));
        }
        serde_urlencoded::to_string(&f).unwrap()
    };
    let post = |body: String, extra: &'static str| {
        let r = &r;
        let cookie = cookie.clone();
        async move {
            let path = format!("/console/leads/{id}/notes");
            let headers = [("cookie", cookie.as_str()), ("content-type", "application/x-www-form-urlencoded"), ("sec-fetch-site", extra)];
            send(&r.base_url(), "POST", &path, None, &headers, body).await
        }
    };
    assert_eq!(post(form(None), "same-origin").await.status, 403);
    assert_eq!(post(form(Some("v1.a.b.c")), "same-origin").await.status, 403);
    assert_eq!(post(form(Some(&token)), "cross-site").await.status, 403, "another site's form, even with a token");
    assert_eq!(post(form(Some(&token)), "same-origin").await.status, 303);
    let notes = r.system.services.timeline.list(id, None, 100).await.unwrap().items;
    assert_eq!(notes.iter().filter(|e| matches!(e.kind, leadflow::domain::TimelineKind::NoteAdded { .. })).count(), 1);

    // Ten minutes of background refreshes only, then six more: signed out.
    clock.advance(Duration::minutes(10));
    let refresh = page(&r, "/console/inbox/rows?d=stale", &cookie).await;
    assert_eq!(refresh.status, 200);
    assert!(set_cookie(&refresh, "__Host-leadflow-session").is_none(), "a refresh issues no fresher session");
    let unchanged = page(&r, &format!("/console/leads/{id}/live?v=0&t="), &cookie).await;
    assert!(unchanged.status == 200 || unchanged.status == 204);
    clock.advance(Duration::minutes(6));
    let gone = page(&r, "/console/", &cookie).await;
    assert_eq!(gone.status, 303);
    assert!(header(&gone, "location").ends_with("&why=idle"), "{}", header(&gone, "location"));

    // Activity keeps it: a page view re-issues the cookie with the new time.
    let cookie = sign_in(&r, "maria", "agent", &[]).await;
    clock.advance(Duration::minutes(10));
    let viewed = page(&r, "/console/tasks", &cookie).await;
    let fresher = set_cookie(&viewed, "__Host-leadflow-session").expect("re-issued");
    clock.advance(Duration::minutes(10));
    assert_eq!(page(&r, "/console/", &fresher).await.status, 200);
    assert_eq!(page(&r, "/console/", &cookie).await.status, 303, "the older cookie is idle");
}

#[tokio::test]
async fn background_refreshes_answer_only_what_changed() {
    let (r, _) = runner().await;
    let cookie = sign_in(&r, "root-1", "admin", &[]).await;
    let inbox = page(&r, "/console/", &cookie).await;
    let d = inbox.body.split("/console/inbox/rows?assignee=&amp;d=").nth(1).unwrap().split('"').next().unwrap().to_string();
    let same = page(&r, &format!("/console/inbox/rows?assignee=&d={d}"), &cookie).await;
    assert_eq!(same.status, 204, "nothing new: nothing sent, nothing read");
    let reads_before = r.system.audit.all().iter().filter(|e| e.action == AuditAction::Read).count();
    let id = lead(&r, "201-555-0731", "Hoboken").await;
    let changed = page(&r, &format!("/console/inbox/rows?assignee=&d={d}"), &cookie).await;
    assert_eq!(changed.status, 200);
    assert!(changed.body.contains(&id.to_string()) && changed.body.starts_with("<tbody"));
    let reads_after = r.system.audit.all().iter().filter(|e| e.action == AuditAction::Read).count();
    assert!(reads_after > reads_before, "new rows shown are recorded as read");
}

/// A later inquiry's new e-mail address shows on the lead's page as held, with a button; a team
/// member who may change the lead confirms it there (through the API's route, audited), and it
/// becomes the lead's.
#[tokio::test]
async fn a_held_contact_point_is_confirmed_from_the_lead_page() {
    let (r, _) = runner().await;
    let id = lead(&r, "201-555-0731", "Hoboken").await;
    assign(&r, id, "maria").await;
    let again = json!({"first_name": "Ann", "phone": "201-555-0731", "email": "ann.new@example.com", "service_line": "med_spa",
        "concern": "Do you take evening appointments?"});
    let reply = send(&r.base_url(), "POST", "/leads", None, &[("content-type", "application/json")], again.to_string()).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    r.system.drain_queues().await;
    let inquiry = reply.json()["receipt_id"].as_str().unwrap().to_string();

    let cookie = sign_in(&r, "maria", "agent", &[]).await;
    let lead_page = page(&r, &format!("/console/leads/{id}"), &cookie).await;
    assert_eq!(lead_page.status, 200);
    assert!(lead_page.body.contains("Do you take evening appointments?"), "the repeat inquiry's own words");
    assert!(lead_page.body.contains("ann.new@example.com") && lead_page.body.contains("held: nothing is sent to it"));
    assert!(lead_page.body.contains(&format!("/console/leads/{id}/confirm-point")));
    let token = lead_page.body.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = serde_urlencoded::to_string([("_csrf", token.as_str()), ("inquiry", inquiry.as_str()), ("point", "email")]).unwrap();
    let headers = [("cookie", cookie.as_str()), ("content-type", "application/x-www-form-urlencoded"), ("sec-fetch-site", "same-origin")];
    let confirmed = send(&r.base_url(), "POST", &format!("/console/leads/{id}/confirm-point"), None, &headers, body).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);

    let lead = r.system.services.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.contact.email.as_ref().map(|e| e.as_str()), Some("ann.new@example.com"));
    assert!(r.system.audit.all().iter().any(|e| e.lead_id == Some(id)
        && e.route.as_deref() == Some("POST /leads/{id}/contact-points/confirm")
        && matches!(&e.actor, leadflow::domain::AuditActor::User { user_id, .. } if user_id == "maria")));
    let after = page(&r, &format!("/console/leads/{id}"), &cookie).await;
    assert!(after.body.contains("confirmed") && !after.body.contains(&format!("/console/leads/{id}/confirm-point")));
}
