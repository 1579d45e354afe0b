//! `openapi.yaml` checked, not trusted: it names exactly the routes of `template.yaml` (and of the
//! local runner, the console aside), with the same access (a bearer token or public); every staff
//! operation documents 401, 403 and its roles (the roles and statuses of the access matrix in
//! `security_matrix.rs`), and every schema compiles; and real answers of the
//! local runner, good and bad, have a status the contract documents for their operation and a
//! JSON body that validates against the documented schema (the `jsonschema` crate).

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use leadflow::ports::ManualClock;
use leadflow_local::{start, Access, Options, Running};
use leadflow_tests::http::{send, Reply};
use leadflow_tests::runner::wait_for_consumers;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The contract as JSON (YAML anchors resolved).
fn contract() -> Value {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml at the repository root");
    serde_yaml_ng::from_str(&text).expect("openapi.yaml is YAML")
}

/// `(METHOD, /path)` of every operation in the contract, with whether it needs the bearer token.
fn contract_routes(doc: &Value) -> Vec<(String, String, bool)> {
    let default_bearer = doc["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let bearer = match op.get("security") {
                None => default_bearer,
                Some(s) => s.as_array().expect("a security list").iter().any(|r| r.get("bearer").is_some()),
            };
            routes.push((method.to_uppercase(), path.clone(), bearer));
        }
    }
    routes
}

/// `(METHOD, /path, authorized)` of every HttpApi event in the template; `authorized` unless the
/// event sets `Auth: Authorizer: NONE` (the API's default authorizer is the JWT one).
fn template_routes() -> Vec<(String, String, bool)> {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let t: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut routes = Vec::new();
    for resource in t["Resources"].as_mapping().unwrap().values() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for e in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
            let p = &e["Properties"];
            let open = p["Auth"]["Authorizer"].as_str() == Some("NONE");
            routes.push((p["Method"].as_str().unwrap().to_uppercase(), p["Path"].as_str().unwrap().to_string(), !open));
        }
    }
    routes
}

fn differences(a: &BTreeSet<(String, String, bool)>, b: &BTreeSet<(String, String, bool)>) -> Vec<String> {
    a.difference(b).map(|(m, p, auth)| format!("{m} {p} ({})", if *auth { "bearer" } else { "public" })).collect()
}

#[test]
fn the_contract_names_every_route_of_the_template_and_no_other() {
    let doc = contract();
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let ours: BTreeSet<_> = contract_routes(&doc).into_iter().collect();
    let template: BTreeSet<_> = template_routes().into_iter().collect();
    assert!(!template.is_empty());
    let missing = differences(&template, &ours);
    let extra = differences(&ours, &template);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.yaml and template.yaml differ (a route with another access shows in both lists)\n\
         in the template, not in openapi.yaml: {missing:#?}\nin openapi.yaml, not in the template: {extra:#?}"
    );
}

#[test]
fn the_local_runner_serves_the_contracts_routes_with_the_same_access() {
    let doc = contract();
    // The console's pages are served by the runner's console, not as API routes.
    let console = |p: &str| p == "/" || p.starts_with("/console/");
    let ours: BTreeSet<_> = contract_routes(&doc).into_iter().filter(|(_, p, _)| !console(p)).collect();
    let runner: BTreeSet<_> = leadflow_local::api_routes()
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.pattern.to_string(), r.access == Access::Authorized))
        .collect();
    let missing = differences(&runner, &ours);
    let extra = differences(&ours, &runner);
    assert!(missing.is_empty() && extra.is_empty(), "served, not in openapi.yaml: {missing:#?}\nin openapi.yaml, not served: {extra:#?}");
}

#[test]
fn every_operation_documents_its_access_and_every_schema_compiles() {
    let doc = contract();
    let roles = ["admin", "manager", "agent", "analyst"];
    for (method, path, bearer) in contract_routes(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path} has no responses"));
        if bearer {
            // API Gateway's 401 without a valid token, the role matrix's 403.
            assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path} must document 401 and 403");
            let listed = op["x-roles"].as_array().unwrap_or_else(|| panic!("{method} {path} has no x-roles"));
            assert!(
                !listed.is_empty() && listed.iter().all(|r| r.as_str().is_some_and(|r| roles.contains(&r))),
                "{method} {path}: {listed:?}"
            );
        } else {
            assert!(op.get("x-roles").is_none(), "{method} {path} is public and lists roles");
        }
        // Every documented body schema (requests and answers) compiles, its `$ref`s resolving.
        let bodies = op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
            .chain(responses.values().filter_map(|r| resolve(&doc, r)["content"].as_object()).flatten());
        for (media, entry) in bodies {
            let schema = json!({"components": doc["components"], "allOf": [entry["schema"]]});
            if let Err(e) = jsonschema::validator_for(&schema) {
                panic!("{method} {path} {media}: {e}");
            }
        }
    }
}

#[test]
fn the_roles_and_statuses_of_the_access_matrix_are_in_the_contract() {
    let doc = contract();
    let roles = ["admin", "manager", "agent", "analyst"];
    for (method, pattern, statuses) in crate::security_matrix::MATRIX {
        let op = &doc["paths"][*pattern][method.to_lowercase()];
        assert!(op.is_object(), "{method} {pattern} of the access matrix is not in openapi.yaml");
        for status in statuses.iter().flat_map(|(own, foreign)| [own, foreign]) {
            assert!(op["responses"].get(status.to_string()).is_some(), "{method} {pattern}: the matrix's {status} is not documented");
        }
        if let Some(listed) = op["x-roles"].as_array() {
            let listed: BTreeSet<&str> = listed.iter().filter_map(Value::as_str).collect();
            let allowed: BTreeSet<&str> = roles.iter().zip(statuses).filter(|(_, (own, _))| *own != 403).map(|(r, _)| *r).collect();
            assert_eq!(listed, allowed, "{method} {pattern}: x-roles against the access matrix (tests/local/security_matrix.rs)");
        }
    }
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        v = doc.pointer(r.strip_prefix('#').expect("a local $ref")).unwrap_or_else(|| panic!("{r} names nothing"));
    }
    v
}

/// Checks `reply` to `method pattern` against the contract: its status is documented for the
/// operation, its media type is one the status documents, and a JSON body validates against
/// that schema (the contract's components resolve `$ref`s).
fn conforms(doc: &Value, method: &str, pattern: &str, reply: &Reply) {
    let op = &doc["paths"][pattern][method.to_lowercase()];
    assert!(op.is_object(), "{method} {pattern} is not in openapi.yaml");
    let status = reply.status.to_string();
    let documented = op["responses"].get(&status).unwrap_or_else(|| {
        panic!(
            "{method} {pattern} answered {status}, which openapi.yaml does not document ({:?}): {}",
            op["responses"].as_object().map(|r| r.keys().collect::<Vec<_>>()),
            reply.body
        )
    });
    let documented = resolve(doc, documented);
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        assert!(reply.body.is_empty(), "{method} {pattern} {status} documents no body, got {}", reply.body);
        return;
    };
    let media = reply.content_type().split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let entry = content.get(&media).unwrap_or_else(|| {
        panic!("{method} {pattern} {status} answered {media:?}, openapi.yaml documents {:?}", content.keys().collect::<Vec<_>>())
    });
    if media != "application/json" {
        return;
    }
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [entry["schema"]],
    });
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("the schema of {method} {pattern} {status}: {e}"));
    let body = reply.json();
    let errors: Vec<String> = validator.iter_errors(&body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{method} {pattern} {status}: the body does not match openapi.yaml:\n{errors:#?}\n{body:#}");
}

async fn runner() -> Running {
    let clock =
        Arc::new(ManualClock::new(chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)));
    let options = Options { port: 0, tick_every: None, secrets: leadflow_tests::webhooks::secrets(), ..Options::default() };
    start(options, clock).await.unwrap()
}

struct Api {
    doc: Value,
    runner: Running,
}

impl Api {
    /// Sends a request to `path` (the concrete path of `pattern`), checks the answer against
    /// the contract and returns it.
    async fn call(&self, method: &str, pattern: &str, path: &str, token: Option<&str>, headers: &[(&str, &str)], body: &str) -> Reply {
        let reply = send(&self.runner.base_url(), method, path, token, headers, Bytes::from(body.to_string())).await;
        conforms(&self.doc, method, pattern, &reply);
        reply
    }

    async fn json(&self, method: &str, pattern: &str, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(method, pattern, path, token, &[("content-type", "application/json")], &body.to_string()).await
    }

    async fn token(&self, user: &str, role: &str) -> String {
        let reply =
            send(&self.runner.base_url(), "POST", "/local/dev-token", None, &[], json!({"user": user, "role": role}).to_string()).await;
        reply.json()["token"].as_str().expect("a dev token").to_string()
    }
}

#[tokio::test]
async fn real_answers_match_the_contract() {
    let api = Api { doc: contract(), runner: runner().await };
    let admin = api.token("contract-admin", "admin").await;
    let analyst = api.token("contract-analyst", "analyst").await;

    // The public intake: accepted, and each kind of refusal.
    let lead = json!({"first_name": "Ann", "phone": "201-555-0142", "service_line": "med_spa", "consent_sms": true});
    let accepted = api.json("POST", "/leads", "/leads", None, lead).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let form = "first_name=Bo&phone=%28201%29+555-0143&service_line=med_spa&consent_sms=on";
    let second = api.call("POST", "/leads", "/leads", None, &[("content-type", "application/x-www-form-urlencoded")], form).await;
    assert_eq!(second.status, 202, "{}", second.body);
    assert_eq!(api.json("POST", "/leads", "/leads", None, json!({"first_name": "Ann"})).await.status, 422);
    assert_eq!(api.json("POST", "/leads", "/leads", None, json!({"first_name": {"nested": 1}})).await.status, 422);
    assert_eq!(api.call("POST", "/leads", "/leads", None, &[("content-type", "application/json")], "{\"a\":").await.status, 400);
    assert_eq!(api.call("POST", "/leads", "/leads", None, &[("content-type", "text/plain")], "hello").await.status, 415);
    let big = format!("{{\"concern\":\"{}\"}}", "a".repeat(70 * 1024));
    assert_eq!(api.call("POST", "/leads", "/leads", None, &[("content-type", "application/json")], &big).await.status, 413);
    let bad_key = [("content-type", "application/json"), ("idempotency-key", "")];
    assert_eq!(api.call("POST", "/leads", "/leads", None, &bad_key, "{\"first_name\":\"Ann\"}").await.status, 422);
    wait_for_consumers(&api.runner.system).await;
    let id = leadflow_tests::http::lead_of_receipt(&api.runner.base_url(), &accepted.json()).await;
    let other = leadflow_tests::http::lead_of_receipt(&api.runner.base_url(), &second.json()).await;

    // Staff routes: no token, a role that may not, and one that may.
    assert_eq!(api.call("GET", "/leads", "/leads?status=new", None, &[], "").await.status, 401);
    assert_eq!(api.call("GET", "/leads", "/leads?status=new", Some(&analyst), &[], "").await.status, 403);
    let listed = api.call("GET", "/leads", "/leads?status=new", Some(&admin), &[], "").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(!listed.json()["items"].as_array().unwrap().is_empty());
    assert_eq!(api.call("GET", "/leads", "/leads?status=nonsense", Some(&admin), &[], "").await.status, 422);
    assert_eq!(api.call("GET", "/leads", "/leads?status=new&limit=0", Some(&admin), &[], "").await.status, 422);
    let one = format!("/leads/{id}");
    assert_eq!(api.call("GET", "/leads/{id}", &one, Some(&admin), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/leads/{id}", &one, None, &[], "").await.status, 401);
    let unknown = format!("/leads/{}", ulid::Ulid::new());
    assert_eq!(api.call("GET", "/leads/{id}", &unknown, Some(&admin), &[], "").await.status, 404);
    let status = format!("/leads/{id}/status");
    let changed = api.json("POST", "/leads/{id}/status", &status, Some(&admin), json!({"to": "contacted"})).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let unknown_field = api.json("POST", "/leads/{id}/status", &status, Some(&admin), json!({"to": "contacted", "x": 1})).await;
    assert_eq!(unknown_field.status, 422, "{}", unknown_field.body);
    assert_eq!(unknown_field.json()["fields"][0]["code"], "unknown_field");
    assert_eq!(api.json("POST", "/leads/{id}/status", &status, Some(&admin), json!({"to": 1})).await.status, 400);
    assert_eq!(api.call("POST", "/leads/{id}/status", &status, Some(&admin), &[("content-type", "text/plain")], "x").await.status, 415);
    let notes = format!("/leads/{id}/notes");
    assert_eq!(api.json("POST", "/leads/{id}/notes", &notes, Some(&admin), json!({"note": "called back"})).await.status, 201);
    let contacts = format!("/leads/{id}/contacts");
    let attempt = json!({"channel": "call", "outcome": "no_answer"});
    assert_eq!(api.json("POST", "/leads/{id}/contacts", &contacts, Some(&admin), attempt).await.status, 201);
    let touchpoints = format!("/leads/{id}/touchpoints");
    let visit = json!({"kind": "page_view", "page": "/pricing"});
    assert_eq!(api.json("POST", "/leads/{id}/touchpoints", &touchpoints, Some(&admin), visit).await.status, 201);
    assert_eq!(api.json("POST", "/leads/{id}/touchpoints", &touchpoints, Some(&admin), json!({"kind": "teleport"})).await.status, 422);
    let messages = format!("/leads/{id}/messages");
    let text = json!({"channel": "sms", "text": "Hi Ann, we tried to call you."});
    assert_eq!(api.json("POST", "/leads/{id}/messages", &messages, Some(&admin), text).await.status, 201);
    // No e-mail address on the lead: a gate refuses, nothing is sent.
    let mail = json!({"channel": "email", "text": "Hi Ann", "subject": "Your inquiry"});
    assert_eq!(api.json("POST", "/leads/{id}/messages", &messages, Some(&admin), mail).await.status, 409);
    let details = format!("/leads/{id}/details");
    assert_eq!(api.json("POST", "/leads/{id}/details", &details, Some(&admin), json!({"city": "Hoboken"})).await.status, 200);
    assert_eq!(api.json("POST", "/leads/{id}/details", &details, Some(&admin), json!({"score": "99"})).await.status, 422);
    assert_eq!(api.json("POST", "/leads/search", "/leads/search", Some(&admin), json!({"q": "Ann"})).await.status, 200);
    assert_eq!(api.call("GET", "/inbox", "/inbox", Some(&admin), &[], "").await.status, 200);
    franchise_lead_matches_the_contract(&api, &admin).await;
    assert_eq!(api.call("GET", "/team", "/team", Some(&admin), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/team", "/team", Some(&analyst), &[], "").await.status, 403);
    let away = "/team/maria/availability";
    let until = json!({"away": true, "until": "2026-03-04T13:00:00Z"});
    assert_eq!(api.json("PUT", "/team/{member}/availability", away, Some(&admin), until).await.status, 200);
    assert_eq!(api.json("PUT", "/team/{member}/availability", away, Some(&admin), json!({"away": false})).await.status, 200);
    assert_eq!(
        api.json("PUT", "/team/{member}/availability", "/team/nobody/availability", Some(&admin), json!({"away": false})).await.status,
        404
    );
    assert_eq!(api.call("GET", "/reports/kpis", "/reports/kpis", Some(&analyst), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/reports/kpis", "/reports/kpis?bogus=1", Some(&analyst), &[], "").await.status, 422);
    // Each report's JSON body, in each of its shapes.
    for (pattern, query) in [
        ("/reports/kpis", "?period=day&dimension=source"),
        ("/reports/attribution", "?dimension=campaign&milestone=qualified"),
        ("/reports/cohorts", "?dimension=source&value=google"),
        ("/reports/sla", ""),
        ("/reports/sources/unrecognized", ""),
    ] {
        let report = api.call("GET", pattern, &format!("{pattern}{query}"), Some(&analyst), &[], "").await;
        assert_eq!(report.status, 200, "{pattern}: {}", report.body);
    }
    let recomputed = api.call("GET", "/reports/kpis", "/reports/kpis?engine=recompute", Some(&admin), &[], "").await;
    assert_eq!((recomputed.status, recomputed.json()["engine"].clone()), (200, json!("recompute")), "{}", recomputed.body);
    let audited = api.call("GET", "/reports/audit", "/reports/audit", Some(&admin), &[], "").await;
    assert_eq!((audited.status, audited.json()["report"].clone()), (200, json!("audit")), "{}", audited.body);
    assert_eq!(api.call("GET", "/merge/reviews", "/merge/reviews", Some(&admin), &[], "").await.status, 200);
    let audit = format!("/audit/leads/{id}");
    assert_eq!(api.call("GET", "/audit/leads/{id}", &audit, Some(&admin), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/audit/leads/{id}", &audit, Some(&analyst), &[], "").await.status, 403);
    assert_eq!(api.call("GET", "/audit/users/{id}", "/audit/users/contract-admin", Some(&admin), &[], "").await.status, 200);
    for actor in ["public_form", "system:relay"] {
        let trail = format!("/audit/users/{actor}");
        assert_eq!(api.call("GET", "/audit/users/{id}", &trail, Some(&admin), &[], "").await.status, 422);
    }
    assert_eq!(api.call("GET", "/audit/users/{id}", "/audit/users/contract-admin?limit=501", Some(&admin), &[], "").await.status, 422);

    // Follow-up, spend, source tags, merges and the form's start token, each answer as documented.
    let review = "/reports/scoring-review?model=patient-standard&from=2026-01-01&to=2026-03-04";
    assert_eq!(api.call("GET", "/reports/scoring-review", review, Some(&analyst), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/reports/scoring-review", "/reports/scoring-review", Some(&analyst), &[], "").await.status, 422);
    assert_eq!(api.call("GET", "/tasks", "/tasks", Some(&admin), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/tasks", "/tasks?member=maria&limit=5", Some(&admin), &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/leads/{id}/tasks", &format!("/leads/{id}/tasks"), Some(&admin), &[], "").await.status, 200);
    let cadence = api.call("GET", "/leads/{id}/cadence", &format!("/leads/{id}/cadence"), Some(&admin), &[], "").await;
    assert_eq!(cadence.status, 200, "{}", cadence.body);
    let paused = api.call("POST", "/leads/{id}/cadence/pause", &format!("/leads/{id}/cadence/pause"), Some(&admin), &[], "").await;
    assert_eq!(paused.status, 200, "{}", paused.body);
    assert_eq!(paused.json()["enrollment"]["state"], "paused");
    let resumed = api.call("POST", "/leads/{id}/cadence/resume", &format!("/leads/{id}/cadence/resume"), Some(&admin), &[], "").await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    let spend = json!({"month": "2026-02", "source": "google", "campaign": "spring", "amount": "1250.50"});
    let entered = api.json("POST", "/spend", "/spend", Some(&admin), spend).await;
    assert_eq!(entered.status, 200, "{}", entered.body);
    assert_eq!(entered.json()["entry"]["amount"]["minor"], 125050);
    let csv = [("content-type", "text/csv")];
    let imported =
        api.call("POST", "/spend/import", "/spend/import", Some(&admin), &csv, "month,source,amount\n2026-02,facebook,300\n").await;
    assert_eq!((imported.status, imported.json()["imported"].clone()), (200, json!(1)), "{}", imported.body);
    let listed = api.call("GET", "/spend", "/spend?from=2026-01&to=2026-03", Some(&analyst), &[], "").await;
    assert_eq!((listed.status, listed.json()["entries"].as_array().map(Vec::len)), (200, Some(2)), "{}", listed.body);
    assert_eq!(api.call("GET", "/sources/audit", "/sources/audit", Some(&admin), &[], "").await.status, 200);
    let retag = json!({"lead_ids": [id.to_string()], "source": "google"});
    let retagged = api.json("POST", "/sources/retag", "/sources/retag", Some(&admin), retag).await;
    assert_eq!(retagged.status, 200, "{}", retagged.body);
    assert_eq!(api.call("GET", "/forms/{form}/start", "/forms/inquiry/start", None, &[], "").await.status, 200);
    for lang in ["en", "es"] {
        let definition = api.call("GET", "/forms/{form}", &format!("/forms/inquiry?lang={lang}"), None, &[], "").await;
        assert_eq!((definition.status, definition.json()["language"].clone()), (200, json!(lang)), "{}", definition.body);
    }
    let merged =
        api.json("POST", "/leads/{id}/merge", &format!("/leads/{id}/merge"), Some(&admin), json!({"absorb": other.to_string()})).await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    let unmerged = api.call("POST", "/leads/{id}/unmerge", &format!("/leads/{id}/unmerge"), Some(&admin), &[], "").await;
    assert_eq!(unmerged.status, 200, "{}", unmerged.body);
    assert_eq!(unmerged.json()["restored"], json!(other.to_string()));

    // Webhooks: a bad signature, an unknown source.
    let event = json!({"id": "evt_1", "type": "checkout.session.completed"}).to_string();
    let unsigned = [("content-type", "application/json"), ("stripe-signature", "t=1,v1=00")];
    assert_eq!(api.call("POST", "/webhooks/payments", "/webhooks/payments", None, &unsigned, &event).await.status, 401);
    let twilio = [("content-type", "application/x-www-form-urlencoded"), ("x-twilio-signature", "AAAA")];
    assert_eq!(
        api.call("POST", "/webhooks/twilio/sms", "/webhooks/twilio/sms", None, &twilio, "From=%2B12015550142&Body=hi").await.status,
        401
    );
    let source = [("content-type", "application/json"), ("x-leadflow-signature", "t=1,v1=00")];
    assert_eq!(api.call("POST", "/webhooks/sources/{source}", "/webhooks/sources/nosuch", None, &source, &event).await.status, 404);

    // The form's assets and the signed links.
    assert_eq!(api.call("GET", "/forms/embed.js", "/forms/embed.js", None, &[], "").await.status, 200);
    assert_eq!(api.call("GET", "/forms/{form}", "/forms/nosuch", None, &[], "").await.status, 404);
    assert_eq!(api.call("GET", "/unsubscribe", "/unsubscribe?t=forged", None, &[], "").await.status, 400);
    assert_eq!(api.call("GET", "/links/confirm", "/links/confirm?token=forged", None, &[], "").await.status, 400);

    // The person's export, then their erasure; a note retried with its key after the erasure
    // answers as the first request did.
    let keyed = [("content-type", "application/json"), ("idempotency-key", "contract-note-1")];
    let note = json!({"note": "asked for a callback"}).to_string();
    let first = api.call("POST", "/leads/{id}/notes", &notes, Some(&admin), &keyed, &note).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let person = format!("/people/{id}");
    assert_eq!(api.call("GET", "/people/{id}/export", &format!("{person}/export"), Some(&admin), &[], "").await.status, 200);
    let erased = api.call("DELETE", "/people/{id}", &person, Some(&admin), &[], "").await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    let retried = api.call("POST", "/leads/{id}/notes", &notes, Some(&admin), &keyed, &note).await;
    assert_eq!((retried.status, retried.json()["entry_id"].clone()), (201, first.json()["entry_id"].clone()), "{}", retried.body);
}

/// A franchise lead with its profile, campaign tags, consent evidence, a stakeholder and a
/// milestone: every inner part of the lead and its timeline, read back whole.
async fn franchise_lead_matches_the_contract(api: &Api, admin: &str) {
    let inquiry = json!({
        "first_name": "Dana", "last_name": "Lee", "phone": "201-555-0161", "email": "dana@example.com",
        "service_line": "franchise", "preferred_facility": "Austin", "concern": "Looking at a second territory",
        "liquid_capital": "250000", "net_worth": "1200000", "industry_experience": ["retail", "fitness"],
        "investment_timeline": "3_6_months", "desired_territory": "Travis County", "preferred_channel": "email",
        "postal_code": "78701", "utm_source": "google", "utm_campaign": "spring", "gclid": "Cj0abc",
        "consent_sms": true, "consent_email": true, "how_did_you_hear": "a friend",
    });
    let accepted = api.json("POST", "/leads", "/leads", None, inquiry).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    wait_for_consumers(&api.runner.system).await;
    let id = leadflow_tests::http::lead_of_receipt(&api.runner.base_url(), &accepted.json()).await;
    let stakeholders = format!("/leads/{id}/stakeholders");
    let spouse = json!({"name": "Sam Lee", "role": "spouse", "phone": "201-555-0162", "email": "sam@example.com"});
    let added = api.json("POST", "/leads/{id}/stakeholders", &stakeholders, Some(admin), spouse).await;
    assert_eq!(added.status, 200, "{}", added.body);
    let unknown =
        api.json("POST", "/leads/{id}/stakeholders", &stakeholders, Some(admin), json!({"name": "X", "role": "spouse", "age": 40})).await;
    assert_eq!((unknown.status, unknown.json()["fields"][0]["field"].clone()), (422, json!("age")), "{}", unknown.body);
    let milestones = format!("/leads/{id}/milestones");
    let reached = api
        .json("POST", "/leads/{id}/milestones", &milestones, Some(admin), json!({"milestone": "discovery_call", "note": "booked"}))
        .await;
    assert_eq!(reached.status, 200, "{}", reached.body);
    let read = api.call("GET", "/leads/{id}", &format!("/leads/{id}?timeline_limit=100"), Some(admin), &[], "").await;
    assert_eq!(read.status, 200, "{}", read.body);
    let lead = &read.json()["lead"];
    assert_eq!(lead["context"]["franchise"]["investment_timeline"], "three_to_six_months");
    assert_eq!(lead["stakeholders"][0]["role"], "spouse");
    assert_eq!(lead["milestones"][0]["milestone"], "discovery_call");
    assert_eq!(lead["inquiries"][0]["source"]["detail"]["gclid"], "Cj0abc");
    assert_eq!(lead["consent"]["email"]["granted"], true);
    assert!(lead["score"]["contributions"].as_array().is_some_and(|c| !c.is_empty()), "{lead}");
}
