//! Trying to break in, over real HTTP on the local runner.
//!
//! * Every route x every role x own/foreign lead gets exactly the status the matrix below says.
//!   The matrix must name every route of `leadflow_local::api_routes()`: a new route fails this
//!   test until its row is added.
//! * Tokens with a bad signature, past expiry, the wrong audience or issuer, or none at all are
//!   refused on every protected route.
//! * A refusal returns nothing about the lead and changes nothing (store and outbox compared
//!   before and after).
//! * CORS preflight is answered for the form route and the configured origins only.

use chrono::{TimeZone, Utc};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use leadflow::auth::Role;
use leadflow::domain::LeadId;
use leadflow::ports::ManualClock;
use leadflow_local::authorizer::{DevClaims, DEV_AUDIENCE, DEV_ISSUER};
use leadflow_local::{start, Access, Options, Running};
use leadflow_tests::http::{send, Reply};
use leadflow_tests::runner::wait_for_consumers;
use std::sync::Arc;

const SECRET: &str = "matrix-test-secret-0123456789";

/// Whose lead (or user trail, or team member) a request is about, from the caller's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    /// Within the caller's scope: a manager's facility, an agent's assignment, their own user id,
    /// a member the manager manages.
    Own,
    /// Outside it.
    Foreign,
}

/// Statuses per role, own then foreign: [admin, manager, agent, analyst].
pub(crate) type Row = (&'static str, &'static str, [(u16, u16); 4]);

/// The lead routes: admins everywhere, managers and agents in their scope, analysts nowhere.
const SCOPED: [(u16, u16); 4] = [(200, 200), (200, 403), (200, 403), (403, 403)];
const SCOPED_CREATE: [(u16, u16); 4] = [(201, 201), (201, 403), (201, 403), (403, 403)];
const ADMIN_ONLY: [(u16, u16); 4] = [(200, 200), (403, 403), (403, 403), (403, 403)];
/// Aggregate reports (no personal data): everyone but agents, whoever's leads they count.
const REPORTS: [(u16, u16); 4] = [(200, 200), (200, 200), (403, 403), (200, 200)];
/// Marketing spend and the source-tag list: administrators and managers.
const ADMIN_MANAGER: [(u16, u16); 4] = [(200, 200), (200, 200), (403, 403), (403, 403)];
/// Signed webhooks: public, and an unsigned request is refused whoever sends it.
const UNSIGNED: [(u16, u16); 4] = [(401, 401), (401, 401), (401, 401), (401, 401)];
/// Pages of signed links: public, and without a valid token nothing is shown or changed,
/// whoever asks (a staff token gives nothing here).
const NO_LINK_TOKEN: [(u16, u16); 4] = [(400, 400), (400, 400), (400, 400), (400, 400)];

/// Signed unsubscribe links: public, and a request without a valid link is refused whoever sends it.
const UNSIGNED_LINK: [(u16, u16); 4] = [(400, 400), (400, 400), (400, 400), (400, 400)];

/// THE ACCESS MATRIX. One row per API route. Public routes answer everyone the same.
pub(crate) const MATRIX: &[Row] = &[
    ("POST", "/leads", [(202, 202), (202, 202), (202, 202), (202, 202)]),
    // Scoring, routing, SLAs.
    ("POST", "/leads/{id}/contacts", SCOPED_CREATE),
    ("POST", "/leads/{id}/touchpoints", SCOPED_CREATE),
    ("GET", "/team", [(200, 200), (200, 200), (200, 200), (403, 403)]),
    ("PUT", "/team/{member}/availability", [(200, 200), (200, 403), (403, 403), (403, 403)]),
    // Audit trail and person rights.
    ("GET", "/audit/leads/{id}", ADMIN_ONLY),
    ("GET", "/audit/users/{id}", ADMIN_ONLY),
    ("GET", "/people/{id}/export", ADMIN_ONLY),
    ("DELETE", "/people/{id}", ADMIN_ONLY),
    // Lead routes: a listing answers everyone but analysts, with only what they may see.
    ("GET", "/leads", [(200, 200), (200, 200), (200, 200), (403, 403)]),
    ("GET", "/leads/{id}", SCOPED),
    ("POST", "/leads/{id}/status", SCOPED),
    ("POST", "/leads/{id}/stakeholders", SCOPED),
    ("POST", "/leads/{id}/milestones", SCOPED),
    ("POST", "/leads/{id}/contact-points/confirm", SCOPED),
    // The staff console's routes: the inbox and search list only what the caller may see;
    // assigning is for administrators and a facility's managers; corrections, notes and
    // messages for whoever may change the lead.
    ("GET", "/inbox", [(200, 200), (200, 200), (200, 200), (403, 403)]),
    ("POST", "/leads/search", [(200, 200), (200, 200), (200, 200), (403, 403)]),
    ("POST", "/leads/{id}/assign", [(200, 200), (200, 403), (403, 403), (403, 403)]),
    ("POST", "/leads/{id}/details", SCOPED),
    ("POST", "/leads/{id}/notes", SCOPED_CREATE),
    ("POST", "/leads/{id}/messages", SCOPED_CREATE),
    // Data hygiene: reports roles, aggregates only.
    ("GET", "/reports/scoring-review", [(200, 200), (200, 200), (403, 403), (200, 200)]),
    // Signed links.
    ("GET", "/links/confirm", NO_LINK_TOKEN),
    ("POST", "/links/confirm", NO_LINK_TOKEN),
    // Webhooks.
    ("POST", "/webhooks/twilio/sms", UNSIGNED),
    ("POST", "/webhooks/sns/sms", UNSIGNED),
    ("POST", "/webhooks/sns/email", UNSIGNED),
    ("POST", "/webhooks/calls", UNSIGNED),
    ("POST", "/webhooks/appointments", UNSIGNED),
    ("POST", "/webhooks/payments", UNSIGNED),
    ("POST", "/webhooks/sources/{source}", UNSIGNED),
    // The email unsubscribe link.
    ("GET", "/unsubscribe", UNSIGNED_LINK),
    ("POST", "/unsubscribe", UNSIGNED_LINK),
    // Duplicate review and merges: administrators, and managers for pairs in scope.
    ("GET", "/merge/reviews", [(200, 200), (200, 200), (403, 403), (403, 403)]),
    ("POST", "/merge/reviews/{pair}/accept", MERGERS),
    ("POST", "/merge/reviews/{pair}/reject", MERGERS),
    ("POST", "/leads/{id}/merge", MERGERS),
    ("POST", "/leads/{id}/unmerge", MERGERS),
    // Follow-up cadences: a caller's open call tasks (only those of leads they may read), a
    // lead's tasks and cadence, pause and resume.
    ("GET", "/tasks", [(200, 200), (200, 200), (200, 200), (403, 403)]),
    ("GET", "/leads/{id}/tasks", SCOPED),
    ("GET", "/leads/{id}/cadence", SCOPED),
    ("POST", "/leads/{id}/cadence/pause", SCOPED),
    ("POST", "/leads/{id}/cadence/resume", SCOPED),
    // Attribution and KPIs: aggregates only; the recompute reads every lead (administrators).
    ("GET", "/reports/kpis", REPORTS),
    ("GET", "/reports/attribution", REPORTS),
    ("GET", "/reports/cohorts", REPORTS),
    ("GET", "/reports/sla", REPORTS),
    ("GET", "/reports/sources/unrecognized", REPORTS),
    ("GET", "/reports/audit", ADMIN_ONLY),
    ("GET", "/reports/charts/{chart}", REPORTS),
    ("GET", "/spend", REPORTS),
    ("POST", "/spend", ADMIN_MANAGER),
    ("POST", "/spend/import", ADMIN_MANAGER),
    // Source-tag audit: lead ids and tags; a re-tag needs the right to change every lead named.
    ("GET", "/sources/audit", ADMIN_MANAGER),
    ("POST", "/sources/retag", [(200, 200), (200, 403), (403, 403), (403, 403)]),
    // The embeddable form: public assets and beacons, the same for everyone, no lead data.
    ("GET", "/forms/embed.js", PUBLIC_OK),
    ("GET", "/forms/{form}", PUBLIC_OK),
    ("GET", "/forms/{form}/start", PUBLIC_OK),
    ("GET", "/forms/{form}/page", PUBLIC_OK),
    ("POST", "/visits", [(204, 204), (204, 204), (204, 204), (204, 204)]),
];

/// A public read: everyone gets it, whoever they are.
const PUBLIC_OK: [(u16, u16); 4] = [(200, 200), (200, 200), (200, 200), (200, 200)];

/// Merging and reviewing duplicates: administrators, managers within their scope.
const MERGERS: [(u16, u16); 4] = [(200, 200), (200, 403), (403, 403), (403, 403)];

fn column(role: Role) -> usize {
    match role {
        Role::Admin => 0,
        Role::Manager => 1,
        Role::Agent => 2,
        Role::Analyst => 3,
    }
}

/// Who calls with each role. The agent is the team member `maria`; the manager oversees the
/// Hoboken facility (and manages nobody by name: `mgr-1` is no team member).
fn user_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "root-1",
        Role::Manager => "mgr-1",
        Role::Agent => "maria",
        Role::Analyst => "analyst-1",
    }
}

fn open_hours() -> chrono::DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

/// The runner, with no background ticker: a scheduled run between two snapshots would change
/// the store under a refusal.
async fn runner() -> Running {
    let config = Some(leadflow_tests::leads::busy_runner_config());
    let options = Options { port: 0, tick_every: None, dev_token_secret: Some(SECRET.into()), config, ..Options::default() };
    start(options, Arc::new(ManualClock::new(open_hours()))).await.unwrap()
}

fn claims(user: &str, role: Role) -> DevClaims {
    let now = Utc::now().timestamp();
    DevClaims {
        sub: user.into(),
        iss: DEV_ISSUER.into(),
        aud: DEV_AUDIENCE.into(),
        // Valid for a day: the matrix takes minutes on a loaded machine.
        exp: now + 86_400,
        iat: now,
        groups: vec![role.as_str().into()],
        facilities: (role == Role::Manager).then(|| "hoboken".into()),
    }
}

/// A token with `"alg":"none"` and no signature: must never be accepted.
fn unsigned(c: &DevClaims) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#), b64.encode(serde_json::to_vec(c).unwrap()))
}

fn sign(c: &DevClaims, secret: &str) -> String {
    encode(&Header::new(Algorithm::HS256), c, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, headers: &[(&str, &str)], body: &str) -> Reply {
    send(&r.base_url(), method, path, token, headers, body.to_string()).await
}

/// Posts a lead for a fresh person of `line` at `facility`; returns its id and the values that
/// identify it.
async fn lead(r: &Running, n: u32, line: &str, facility: &str) -> (LeadId, Vec<String>) {
    let phone = format!("201555{:04}", 1000 + n);
    let email = format!("matrix.person{n}@example.com");
    let name = format!("Matrixperson{}", (b'a' + (n % 26) as u8) as char);
    let form = format!("first_name={name}&phone={phone}&email={email}&service_line={line}&preferred_facility={facility}&concern=private+matter+{n}&consent_sms=on");
    let reply = call(r, "POST", "/leads", None, &[("content-type", "application/x-www-form-urlencoded")], &form).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let id: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &serde_json::from_str::<serde_json::Value>(&reply.body).unwrap());
    (id, vec![phone, email, name, format!("private matter {n}")])
}

/// Assigns `id` to team member `member` (after routing had its turn).
async fn assign(r: &Running, id: LeadId, member: &str) {
    wait_for_consumers(&r.system).await;
    let mut l = r.system.services.leads.get(id).await.unwrap().unwrap();
    l.assignment = Some(leadflow_tests::leads::assignment(member));
    l.version += 1;
    r.system.services.leads.save(&l).await.unwrap();
}

fn snapshot(r: &Running) -> (String, usize) {
    (r.system.store.dump_text(), r.system.outbox.len())
}

/// The request body a route gets in the matrix (valid, so only access decides the answer).
fn body_for(pattern: &str, n: u32) -> (Vec<(&'static str, &'static str)>, String) {
    let json = vec![("content-type", "application/json")];
    if pattern == "/spend/import" {
        return (vec![("content-type", "text/csv")], "month,source,campaign,amount\n2026-03,google,spring,120.00\n".into());
    }
    if pattern == "/visits" {
        return (vec![("content-type", "text/plain")], r#"{"visitor":"bWF0cml4LXZpc2l0b3I","type":"page_view","page":"/pricing"}"#.into());
    }
    let body = match pattern {
        "/leads" => format!(r#"{{"email":"new.{n}@example.com","service_line":"med_spa"}}"#),
        "/leads/{id}/contacts" => r#"{"channel":"call","outcome":"no_answer"}"#.into(),
        "/leads/{id}/touchpoints" => r#"{"kind":"page_view","page":"/pricing"}"#.into(),
        "/team/{member}/availability" => r#"{"away":true}"#.into(),
        "/leads/{id}/status" => r#"{"to":"contacted"}"#.into(),
        "/leads/{id}/stakeholders" => r#"{"name":"Pat Doe","role":"spouse"}"#.into(),
        "/leads/{id}/milestones" => r#"{"milestone":"discovery_call"}"#.into(),
        "/leads/{id}/contact-points/confirm" => r#"{"inquiry":"set per case","point":"email"}"#.into(),
        "/leads/search" => format!(r#"{{"q":"201555{:04}"}}"#, 1000 + n),
        "/leads/{id}/assign" => r#"{"member":"li","reason":"workload"}"#.into(),
        "/leads/{id}/details" => r#"{"city":"Jersey City"}"#.into(),
        "/leads/{id}/notes" => r#"{"note":"asked for an evening call"}"#.into(),
        "/leads/{id}/messages" => r#"{"channel":"sms","text":"Hi, this is the clinic returning your call."}"#.into(),
        "/spend" => r#"{"month":"2026-03","source":"google","campaign":"spring","amount":"120.00"}"#.into(),
        // `{id}` becomes the case's lead.
        "/sources/retag" => r#"{"lead_ids":["{id}"],"source":"facebook","campaign":"spring"}"#.into(),
        p if p.starts_with("/webhooks/") => "{}".into(),
        p if p.starts_with("/links/") => {
            return (vec![("content-type", "application/x-www-form-urlencoded")], "token=v1.forged.AAAAAAAAAAA.AA".into())
        }
        _ => return (vec![], String::new()),
    };
    (json, body)
}

#[tokio::test]
async fn every_route_and_role_gets_what_the_matrix_says() {
    // The matrix covers exactly the routes there are.
    let routes = leadflow_local::api_routes();
    for route in &routes {
        let row = MATRIX.iter().find(|(m, p, _)| *m == route.method.as_str() && *p == route.pattern);
        assert!(row.is_some(), "{} {} has no row in the access matrix of tests/local/security_matrix.rs", route.method, route.pattern);
    }
    assert_eq!(MATRIX.len(), routes.len(), "the matrix names routes that do not exist");

    let r = runner().await;
    let mut n = 0;
    for route in &routes {
        let (method, pattern, expected) = MATRIX.iter().find(|(m, p, _)| *m == route.method.as_str() && *p == route.pattern).unwrap();
        // Refusals first, then what is allowed (an erasure must not take the next case's lead).
        let mut cases: Vec<(Role, Whose)> = Role::ALL.iter().flat_map(|r| [(*r, Whose::Own), (*r, Whose::Foreign)]).collect();
        cases.sort_by_key(|(role, whose)| {
            let (own, foreign) = expected[column(*role)];
            u16::from(if *whose == Whose::Own { own } else { foreign } < 300)
        });
        for (role, whose) in cases {
            n += 1;
            let user = user_of(role);
            let (own, foreign) = expected[column(role)];
            let want = if whose == Whose::Own { own } else { foreign };
            // A lead in the caller's facility and assigned to the agent `maria`, or one in another
            // facility assigned to `sam` (another team). Franchise routes need a franchise lead.
            let line = if pattern.ends_with("/stakeholders") || pattern.ends_with("/milestones") { "franchise" } else { "med_spa" };
            let (id, values) = lead(&r, n, line, if whose == Whose::Own { "Hoboken" } else { "Newark" }).await;
            assign(&r, id, if whose == Whose::Own { "maria" } else { "sam" }).await;
            wait_for_consumers(&r.system).await;
            let path = if pattern.starts_with("/audit/users/") {
                pattern.replace("{id}", if whose == Whose::Own { user } else { "someone-else" })
            } else if *pattern == "/leads" && *method == "GET" {
                "/leads?status=new&limit=100".to_string()
            } else if *pattern == "/reports/scoring-review" {
                "/reports/scoring-review?model=patient-standard&from=2026-01-01&to=2026-12-31".to_string()
            } else {
                pattern
                    .replace("{id}", &id.to_string())
                    // maria works at Hoboken (the manager's facility); jon at Manhattan.
                    .replace("{member}", if whose == Whose::Own { "maria" } else { "jon" })
                    .replace("{source}", "chat_widget")
                    .replace("{form}", "inquiry")
                    .replace("{chart}", "funnel.svg")
            };
            let token = sign(&claims(user, role), SECRET);
            let (mut headers, mut body) = body_for(pattern, n);
            // Merge routes need a second record of the same scope (a queued pair, a merge to undo).
            let path = if pattern.contains("{pair}") || pattern.ends_with("/merge") || pattern.ends_with("/unmerge") {
                let (other, _) = lead(&r, n + 5000, line, if whose == Whose::Own { "Hoboken" } else { "Newark" }).await;
                assign(&r, other, if whose == Whose::Own { "maria" } else { "sam" }).await;
                wait_for_consumers(&r.system).await;
                let s = &r.system.services;
                let pair = leadflow::ports::PairKey::new(id, other);
                let item = leadflow::ports::ReviewItem { pair, points: 5.0, reasons: Vec::new(), detected_at: open_hours() };
                s.dedupe.put_review(&item).await.unwrap();
                if pattern.ends_with("/merge") {
                    headers = vec![("content-type", "application/json")];
                    body = format!(r#"{{"absorb":"{other}"}}"#);
                }
                if pattern.ends_with("/unmerge") {
                    leadflow::app::merge::merge(s, id, other, leadflow::app::merge::How::Manual, "root-1").await.unwrap();
                }
                path.replace("{pair}", &pair.to_string())
            } else {
                path
            };
            // Confirming a contact point needs one held: the person's second inquiry with a new
            // address.
            if pattern.ends_with("/contact-points/confirm") {
                let form = format!(
                    "first_name=Matrix&phone=201555{:04}&email=matrix.other{n}@example.com&service_line={line}&consent_email=on",
                    1000 + n
                );
                let reply = call(&r, "POST", "/leads", None, &[("content-type", "application/x-www-form-urlencoded")], &form).await;
                assert_eq!(reply.status, 202, "{}", reply.body);
                wait_for_consumers(&r.system).await;
                let held = r.system.services.leads.get(id).await.unwrap().unwrap().inquiries.last().unwrap().id;
                body = serde_json::json!({"inquiry": held, "point": "email"}).to_string();
            }
            let body = body.replace("{id}", &id.to_string());
            wait_for_consumers(&r.system).await;
            let before = snapshot(&r);
            let reply = call(&r, method, &path, Some(&token), &headers, &body).await;
            assert_eq!(reply.status, want, "{method} {pattern} as {role:?} on a {whose:?} lead: {}", reply.body);
            if reply.status == 403 {
                assert_eq!(snapshot(&r), before, "{method} {pattern} as {role:?}: a refusal changed something");
                let v: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                assert_eq!(v, serde_json::json!({"error": "forbidden", "message": "you are not allowed to do this"}));
            }
            if reply.status >= 400 {
                for value in &values {
                    assert!(!reply.body.contains(value.as_str()), "{method} {pattern}: the refusal names {value}");
                }
                assert!(!reply.body.contains(&id.to_string()));
            }
            // The scoring review is aggregates only: no lead id, no personal value.
            if *pattern == "/reports/scoring-review" && reply.status == 200 {
                assert!(!reply.body.contains(&id.to_string()), "the scoring review names a lead");
                for value in &values {
                    assert!(!reply.body.contains(value.as_str()), "the scoring review names {value}");
                }
                assert!(reply.body.contains("auc_current"), "{}", reply.body);
            }
            // A listing answers everyone allowed, with only the leads they may see.
            if matches!((*method, *pattern), ("GET", "/leads") | ("POST", "/leads/search")) && reply.status == 200 {
                // Every page of the listing (by now the matrix has stored more leads than one holds).
                let mut listed = reply.body.contains(&id.to_string());
                let page = serde_json::from_str::<serde_json::Value>(&reply.body).unwrap();
                let mut next = if *method == "GET" { page["next"].as_str().map(str::to_string) } else { None };
                while let (false, Some(cursor)) = (listed, next.take()) {
                    let more = call(&r, "GET", &format!("{path}&cursor={cursor}"), Some(&token), &[], "").await;
                    assert_eq!(more.status, 200, "{}", more.body);
                    listed = more.body.contains(&id.to_string());
                    next = serde_json::from_str::<serde_json::Value>(&more.body).unwrap()["next"].as_str().map(str::to_string);
                }
                let may_see = role == Role::Admin || whose == Whose::Own;
                assert_eq!(listed, may_see, "{method} {pattern} as {role:?}: a {whose:?} lead listed: {listed}");
            }
            // The inbox lists the most urgent of many: it never shows what the caller may not see.
            if (*method, *pattern) == ("GET", "/inbox") && reply.status == 200 && role != Role::Admin && whose == Whose::Foreign {
                assert!(!reply.body.contains(&id.to_string()), "GET /inbox as {role:?}: a foreign lead listed");
            }
        }
    }
}

/// An agent sees the leads of their whole team (the assignee's `team` in configuration), and
/// nothing of another team's; the team is not a claim a token could carry.
#[tokio::test]
async fn agents_see_their_teams_leads_and_no_one_elses() {
    let r = runner().await;
    let (teammates, _) = lead(&r, 700, "med_spa", "Newark").await;
    assign(&r, teammates, "li").await; // li and maria are on patient-care
    let (other_team, _) = lead(&r, 701, "med_spa", "Newark").await;
    assign(&r, other_team, "ria").await; // ria is on recovery
    let maria = sign(&claims("maria", Role::Agent), SECRET);
    assert_eq!(call(&r, "GET", &format!("/leads/{teammates}"), Some(&maria), &[], "").await.status, 200);
    assert_eq!(call(&r, "GET", &format!("/leads/{other_team}"), Some(&maria), &[], "").await.status, 403);
    let (headers, body) = body_for("/leads/{id}/contacts", 0);
    assert_eq!(call(&r, "POST", &format!("/leads/{teammates}/contacts"), Some(&maria), &headers, &body).await.status, 201);
    // A teammate's leads are listed by naming the teammate; another team's never are.
    let listed = call(&r, "GET", "/leads?assignee=li", Some(&maria), &[], "").await;
    assert!(listed.status == 200 && listed.body.contains(&teammates.to_string()));
    let listed = call(&r, "GET", "/leads?assignee=ria", Some(&maria), &[], "").await;
    assert!(listed.status == 200 && !listed.body.contains(&other_team.to_string()));
    // Someone who is no team member sees nothing, whatever the lead.
    let stranger = sign(&claims("u-nobody", Role::Agent), SECRET);
    assert_eq!(call(&r, "GET", &format!("/leads/{teammates}"), Some(&stranger), &[], "").await.status, 403);
}

#[tokio::test]
async fn bad_expired_foreign_or_missing_tokens_are_refused_and_change_nothing() {
    let r = runner().await;
    let (id, values) = lead(&r, 900, "med_spa", "Hoboken").await;
    wait_for_consumers(&r.system).await;
    let good = claims("admin-1", Role::Admin);
    let past = Utc::now().timestamp() - 120;
    let attempts: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("bad signature", Some(sign(&good, "some-other-secret-0123456789"))),
        ("expired", Some(sign(&DevClaims { exp: past, iat: past - 60, ..good.clone() }, SECRET))),
        ("wrong audience", Some(sign(&DevClaims { aud: "another-app".into(), ..good.clone() }, SECRET))),
        ("wrong issuer", Some(sign(&DevClaims { iss: "https://cognito-idp.us-east-1.amazonaws.com/x".into(), ..good.clone() }, SECRET))),
        ("not a JWT", Some("not.a.jwt".into())),
        ("unsigned (alg none)", Some(unsigned(&good))),
    ];
    for route in leadflow_local::api_routes().iter().filter(|r| r.access == Access::Authorized) {
        let path = route.pattern.replace("{id}", &id.to_string());
        for (what, token) in &attempts {
            let before = snapshot(&r);
            let audit_before = r.system.audit.all().len();
            let reply = call(&r, route.method.as_str(), &path, token.as_deref(), &[], "").await;
            assert_eq!(reply.status, 401, "{} {} with {what}", route.method, route.pattern);
            assert_eq!(reply.body, r#"{"message":"Unauthorized"}"#);
            assert_eq!(snapshot(&r), before, "{what} changed something");
            assert_eq!(r.system.audit.all().len(), audit_before, "{what} reached a handler");
            for v in &values {
                assert!(!reply.body.contains(v.as_str()));
            }
        }
    }
    // The same request with a good token works, so the refusals above were the tokens'.
    let ok = call(&r, "GET", &format!("/people/{id}/export"), Some(&sign(&good, SECRET)), &[], "").await;
    assert_eq!(ok.status, 200);
    // A valid token without a leadflow role is 403 (Cognito user in no group).
    let no_role = sign(&DevClaims { groups: vec!["visitors".into()], ..good }, SECRET);
    assert_eq!(call(&r, "GET", &format!("/people/{id}/export"), Some(&no_role), &[], "").await.status, 403);
}

#[tokio::test]
async fn cors_preflight_is_answered_for_configured_origins_methods_and_headers_only() {
    // As API Gateway's CorsConfiguration (template.yaml): API-wide, configured origins only.
    let r = runner().await;
    let pre = |origin: &'static str, path: &'static str, method: &'static str, headers: &'static str| {
        let r = &r;
        async move {
            call(
                r,
                "OPTIONS",
                path,
                None,
                &[("origin", origin), ("access-control-request-method", method), ("access-control-request-headers", headers)],
                "",
            )
            .await
        }
    };
    let ok = pre("https://www.harborhealth.example", "/leads", "POST", "content-type").await;
    assert_eq!(ok.status, 204);
    assert_eq!(ok.headers.get("access-control-allow-origin").unwrap(), "https://www.harborhealth.example");
    assert_eq!(ok.headers.get("access-control-allow-methods").unwrap(), "GET,POST,PUT,DELETE");
    assert!(ok.headers.get("access-control-allow-credentials").is_none(), "never credentials");
    // A staff app on the same origin may call the staff routes with its bearer token.
    let staff = pre("https://www.harborhealth.example", "/team", "GET", "authorization").await;
    assert_eq!(staff.headers.get("access-control-allow-origin").unwrap(), "https://www.harborhealth.example");
    for (origin, path, method, headers) in [
        ("https://evil.example", "/leads", "POST", "content-type"),
        ("https://evil.example", "/people/x/export", "GET", "authorization"),
        ("null", "/leads", "POST", "content-type"),
        ("https://www.harborhealth.example", "/leads", "PATCH", "content-type"),
        ("https://www.harborhealth.example", "/leads", "POST", "x-forwarded-for"),
    ] {
        let refused = pre(origin, path, method, headers).await;
        assert!(refused.headers.get("access-control-allow-origin").is_none(), "{origin} {path} {method} {headers}");
    }
    // The form's answer names the allowed origin; another origin's gets nothing to read it with.
    let form = "email=cors%40example.com&service_line=med_spa";
    let ct = ("content-type", "application/x-www-form-urlencoded");
    let mine = call(&r, "POST", "/leads", None, &[ct, ("origin", "https://www.harborhealth.example")], form).await;
    assert_eq!(mine.headers.get("access-control-allow-origin").unwrap(), "https://www.harborhealth.example");
    let theirs = call(&r, "POST", "/leads", None, &[ct, ("origin", "https://evil.example")], form).await;
    assert!(theirs.headers.get("access-control-allow-origin").is_none());
}
