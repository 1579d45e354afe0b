//! Person rights: the export lists everything held about a person; after `DELETE` no store,
//! index or outbox holds their phone, email, name or concern; the opt-out and the audit trail
//! survive. On the local runner (embedded adapters) and on DynamoDB (moto, KMS-sealed fields).

use chrono::{TimeZone, Utc};
use leadflow::app::person;
use leadflow::domain::{AuditAction, ContactChannel, LeadId, LeadStatus};
use leadflow::ports::{Clock, ManualClock, PersonDataStore};
use leadflow_local::{start, Options, Running};
use leadflow_tests::aws::MotoAws;
use leadflow_tests::http::send;
use leadflow_tests::runner::wait_for_consumers;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

fn open_hours() -> chrono::DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let form: &[(&str, &str)] = if path == "/leads" {
        &[("content-type", "application/x-www-form-urlencoded"), ("user-agent", "PersonRightsBrowser/1.0")]
    } else {
        &[]
    };
    let reply = send(&r.base_url(), method, path, token, form, body.to_string()).await;
    (reply.status, reply.json_or_null())
}

const PHONE: &str = "+12015550166";
const EMAIL: &str = "quinby.ostrander@example.com";
const SECOND_EMAIL: &str = "q.ostrander@example.org";
const NAME: &str = "Quinby";
const LAST: &str = "Ostrander";
const CONCERN: &str = "recurring migraine aura";
const REPLY: &str = "the flickering came back tonight";

fn form(email: &str) -> String {
    format!(
        "first_name={NAME}&last_name={LAST}&phone=%2B12015550166&email={}&service_line=med_spa&concern={}&city=Weehawken&postal_code=07086&consent_sms=on&landing_page=https%3A%2F%2Fwww.harborhealth.example%2Fspa%3Femail%3D{}",
        email.replace('@', "%40"),
        CONCERN.replace(' ', "+"),
        email.replace('@', "%40")
    )
}

#[tokio::test]
async fn export_lists_everything_and_erasure_leaves_nothing_but_the_opt_out_and_the_trail() {
    let clock = Arc::new(ManualClock::new(open_hours()));
    // No background ticker: a scheduled follow-up at a moment the test does not choose would text
    // the person between the steps compared.
    let options = Options {
        port: 0,
        tick_every: None,
        dev_token_secret: Some("person-rights-secret-0123456789".into()),
        secrets: leadflow_tests::webhooks::secrets(),
        ..Options::default()
    };
    let r = start(options, clock.clone()).await.unwrap();
    let services = r.system.services.clone();

    // GIVEN a person with two leads: the first closed, then a new inquiry with the same phone.
    let (status, first) = call(&r, "POST", "/leads", None, &form(EMAIL)).await;
    assert_eq!(status, 202);
    let first: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &first);
    wait_for_consumers(&r.system).await;
    assert!(!r.system.outbox.is_empty(), "the acknowledgement");
    let mut closed = services.leads.get(first).await.unwrap().unwrap();
    closed.status = LeadStatus::Converted;
    closed.version += 1;
    services.leads.save(&closed).await.unwrap();
    clock.advance(chrono::Duration::days(30));
    let (_, second) = call(&r, "POST", "/leads", None, &form(SECOND_EMAIL)).await;
    let second: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &second);
    assert_ne!(first, second);
    wait_for_consumers(&r.system).await;
    // ... who replied by text (a signed Twilio webhook, handled by the worker) ...
    let params = leadflow_tests::webhooks::twilio_form("SMperson1", PHONE, REPLY);
    let url = format!("{}/webhooks/twilio/sms", r.base_url());
    let sig = leadflow::webhooks::signature::twilio_sign(&url, &params, leadflow_tests::webhooks::TWILIO_TOKEN);
    let headers = [("content-type", "application/x-www-form-urlencoded"), ("x-twilio-signature", sig.as_str())];
    let body = serde_urlencoded::to_string(&params).unwrap();
    assert_eq!(send(&r.base_url(), "POST", "/webhooks/twilio/sms", None, &headers, body).await.status, 200);
    wait_for_consumers(&r.system).await;
    // ... and later texted STOP.
    services.suppressions.suppress(ContactChannel::Sms, PHONE, "stop_keyword", clock.now()).await.unwrap();

    let (_, admin) = call(&r, "POST", "/local/dev-token", None, r#"{"user":"dpo-1","role":"admin"}"#).await;
    let admin = admin["token"].as_str().unwrap().to_string();

    // WHEN the administrator exports the person (starting from either lead)
    let (status, export) = call(&r, "GET", &format!("/people/{second}/export"), Some(&admin), "").await;
    assert_eq!(status, 200, "{export}");
    // THEN both leads, their timelines, consents, messages, markers, opt-out and audit are there.
    let ids: Vec<&str> = export["lead_ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&first.to_string().as_str()) && ids.contains(&second.to_string().as_str()));
    assert_eq!(export["phones"], serde_json::json!([PHONE]));
    assert_eq!(export["emails"].as_array().unwrap().len(), 2);
    let text = export.to_string();
    for value in [NAME, LAST, CONCERN, EMAIL, SECOND_EMAIL, "Weehawken", "PersonRightsBrowser/1.0", REPLY] {
        assert!(text.contains(value), "{value} missing from the export");
    }
    let first_lead = export["leads"].as_array().unwrap().iter().find(|l| l["id"] == first.to_string()).unwrap();
    assert_eq!(first_lead["consent"]["sms"]["granted"], true);
    assert_eq!(first_lead["consent"]["sms"]["text_version"], "2026-01");
    assert!(export["timelines"][first.to_string()].as_array().unwrap().iter().any(|e| e["type"] == "acknowledgement_sent"));
    let held = export["held"].as_array().unwrap();
    assert!(held.iter().any(|h| h["kind"] == "webhook_event" && h["data"].to_string().contains(REPLY)), "the stored webhook event");
    assert!(held.iter().any(|h| h["kind"] == "outbox_message" && h["data"]["recipient"] == PHONE));
    assert!(held.iter().any(|h| h["kind"] == "once_marker"));
    assert!(export["suppressions"].as_array().unwrap().iter().any(|s| s["channel"] == "sms" && s["suppressed"] == true));
    assert!(export["audit"].as_array().unwrap().iter().any(|e| e["action"] == "create"));

    // WHEN the person is erased (after the consumers are done with them)
    wait_for_consumers(&r.system).await;
    let (status, report) = call(&r, "DELETE", &format!("/people/{first}"), Some(&admin), "").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["lead_ids"].as_array().unwrap().len(), 2);

    // THEN no store, index, claim, marker or outbox holds any of it
    let dump = r.system.store.dump_text();
    let outbox = serde_json::to_string(&r.system.outbox.entries()).unwrap();
    for value in [PHONE, "2015550166", EMAIL, SECOND_EMAIL, NAME, LAST, CONCERN, "Weehawken", "07086", "PersonRightsBrowser", REPLY] {
        assert!(!dump.contains(value), "{value} still in the store");
        assert!(!outbox.contains(value), "{value} still in the outbox");
    }
    let phone = leadflow::domain::Phone::parse(PHONE, leadflow::domain::Region::US).unwrap();
    assert!(services.leads.find_by_phone(&phone).await.unwrap().is_empty());
    // The anonymous remains still count for reports.
    let remains = services.leads.get(first).await.unwrap().unwrap();
    assert!(remains.erased_at.is_some());
    assert_eq!(remains.context.service_line.as_str(), "med_spa");
    assert_eq!(remains.status, LeadStatus::Converted);
    assert!(remains.consent.sms.as_ref().is_some_and(|c| c.granted && c.evidence.ip.is_none()));
    // The opt-out survives (keyed by a digest, not the number) ...
    assert!(services.suppressions.is_suppressed(ContactChannel::Sms, PHONE).await.unwrap());
    // ... and the trail keeps that an erasure happened, and by whom.
    let erasures: Vec<_> = r.system.audit.all().into_iter().filter(|e| e.action == AuditAction::Erase).collect();
    assert_eq!(erasures.len(), 2);
    assert!(erasures.iter().all(|e| e.actor == leadflow::domain::AuditActor::User { user_id: "dpo-1".into(), role: "admin".into() }));

    // Erasing again is harmless, and the erased lead exports only its anonymous remains.
    assert_eq!(call(&r, "DELETE", &format!("/people/{first}"), Some(&admin), "").await.0, 200);
    let (_, after) = call(&r, "GET", &format!("/people/{first}/export"), Some(&admin), "").await;
    assert!(!after.to_string().contains(NAME));

    // The same person inquiring again is a new lead, and the surviving opt-out keeps it unmessaged.
    let before = r.system.outbox.len();
    let (status, again) = call(&r, "POST", "/leads", None, &form(EMAIL)).await;
    assert_eq!(status, 202);
    assert_ne!(leadflow_tests::leads::lead_of(&r.system.store, &again), first);
    wait_for_consumers(&r.system).await;
    assert_eq!(r.system.outbox.len(), before, "the opt-out outlived the erasure");
}

/// The same on DynamoDB (moto) with the concern sealed under a KMS key.
#[tokio::test]
async fn erasure_on_dynamodb_removes_items_claims_and_index_entries() {
    let aws = MotoAws::connect().await;
    let (store, _) = aws.fresh_kms_store().await;
    let table = store.table().to_string();
    let store = Arc::new(store);
    let queues = aws.fresh_queues(Duration::from_secs(30)).await;
    let services = aws.services(store.clone(), &queues, Arc::new(ManualClock::new(open_hours()))).await;
    // A lead captured and acknowledged through the real use cases.
    let phone = leadflow_tests::leads::unique_phone();
    let email = format!("erase.{}@example.com", &phone.as_e164()[6..]);
    let mut fields = std::collections::BTreeMap::new();
    for (k, v) in [
        ("first_name", NAME),
        ("last_name", LAST),
        ("phone", phone.as_e164()),
        ("email", &email),
        ("service_line", "med_spa"),
        ("concern", CONCERN),
        ("consent_sms", "on"),
    ] {
        fields.insert(k.to_string(), v.to_string());
    }
    let submission =
        leadflow::domain::intake_form::RawSubmission { fields, ip: Some("203.0.113.5".into()), user_agent: Some("UA/1".into()) };
    let id = leadflow::app::intake::capture(&services, leadflow::app::intake::IntakeRequest { submission, idempotency_key: None })
        .await
        .unwrap()
        .lead_id;
    let event = leadflow::domain::LeadEvent {
        id: leadflow::domain::EventId::new_at(open_hours()),
        kind: leadflow::domain::LeadEventKind::Captured,
        lead_id: id,
        occurred_at: open_hours(),
    };
    leadflow::app::acknowledge::acknowledge(&services, &event).await.unwrap();

    let raw_partition = || async {
        let out = aws
            .dynamodb
            .query()
            .table_name(&table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("LEAD#{id}")))
            .send()
            .await
            .unwrap();
        // The lead's document is stored packed (deflated JSON): what it holds counts too.
        let unpacked: Vec<String> = out
            .items()
            .iter()
            .filter_map(|item| match item.get("data") {
                Some(packed @ aws_sdk_dynamodb::types::AttributeValue::B(_)) => {
                    Some(leadflow::adapters::aws::dynamo::unpack(packed.clone(), "data").unwrap().to_string())
                }
                _ => None,
            })
            .collect();
        format!("{:?} {unpacked:?}", out.items())
    };
    // Sealed at rest: the concern is not in the raw items, yet the store reads it back.
    let raw = raw_partition().await;
    assert!(!raw.contains("migraine"), "the concern is stored sealed");
    assert!(raw.contains(NAME), "names are not sealed (only free text is)");
    assert_eq!(services.leads.get(id).await.unwrap().unwrap().context.concern.unwrap().as_str(), CONCERN);

    let person = person::resolve(&services, id).await.unwrap().unwrap();
    let export = person::export(&services, &person).await.unwrap();
    assert_eq!(export.leads[0].context.concern.as_ref().unwrap().as_str(), CONCERN);
    assert!(export.held.iter().any(|h| h.kind == "once_marker"));
    let report = person::erase(&services, &person).await.unwrap();
    assert!(report.stores[0].records_changed >= 4, "{report:?}");
    assert_eq!(store.name(), "dynamodb leads table");

    let raw = raw_partition().await;
    for value in [phone.as_e164(), email.as_str(), NAME, LAST, "203.0.113.5", "UA/1"] {
        assert!(!raw.contains(value), "{value} still in the lead's items: {raw}");
    }
    for claim in [format!("CLAIM#PHONE#{}", phone.as_e164()), format!("CLAIM#EMAIL#{email}")] {
        let key = [("PK", claim.clone()), ("SK", "CLAIM".to_string())]
            .into_iter()
            .map(|(k, v)| (k.to_string(), aws_sdk_dynamodb::types::AttributeValue::S(v)))
            .collect();
        let got = aws.dynamodb.get_item().table_name(&table).set_key(Some(key)).send().await.unwrap();
        assert!(got.item.is_none(), "{claim} still exists");
    }
    assert!(services.leads.find_by_phone(&phone).await.unwrap().is_empty(), "phone index entry gone");
    assert!(
        services.leads.find_by_email(&leadflow::domain::Email::parse(&email).unwrap()).await.unwrap().is_empty(),
        "email index entry gone"
    );
    // Idempotent.
    assert_eq!(person::erase(&services, &person).await.unwrap().stores[0].records_changed, 0);
}
