//! The source-tag audit over real HTTP on the local runner, and on DynamoDB
//! (moto): leads with missing or unrecognized source/campaign tags are listed as they are
//! captured (paged, by issue and value, managers their facilities only), re-tagged in bulk by id
//! or by filter (validated field by field), each re-tag on the lead's timeline and in the audit
//! trail, and the report aggregates equal the full recompute afterwards.

use chrono::{NaiveDate, TimeZone, Utc};
use leadflow::app::analytics::reports::audit;
use leadflow::app::Services;
use leadflow::domain::{AuditAction, AuditOutcome, LeadId, TimelineKind};
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::{send, Reply};
use leadflow_tests::runner::wait_for_consumers;
use serde_json::{json, Value};
use std::sync::Arc;

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, content_type: Option<&str>, body: &str) -> Reply {
    let headers: Vec<(&str, &str)> = content_type.map(|ct| ("content-type", ct)).into_iter().collect();
    send(&r.base_url(), method, path, token, &headers, body.to_string()).await
}

async fn token(r: &Running, user: &str, role: &str, facilities: &[&str]) -> String {
    let body = json!({"user": user, "role": role, "facilities": facilities}).to_string();
    let reply = call(r, "POST", "/local/dev-token", None, None, &body).await;
    reply.json()["token"].as_str().unwrap().to_string()
}

fn now() -> chrono::DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc)
}

async fn runner() -> Running {
    let config = Some(leadflow_tests::leads::busy_runner_config());
    start(Options { port: 0, tick_every: None, config, ..Options::default() }, Arc::new(ManualClock::new(now()))).await.unwrap()
}

/// Posts a lead with these form fields (a fresh person each time).
async fn capture(r: &Running, n: u32, facility: &str, tags: &str) -> LeadId {
    let form = format!(
        "first_name=Tagperson&phone=201555{:04}&email=tag.person{n}@example.com&service_line=med_spa&preferred_facility={facility}&consent_sms=on&{tags}",
        2000 + n
    );
    let reply = call(r, "POST", "/leads", None, Some("application/x-www-form-urlencoded"), &form).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    leadflow_tests::leads::lead_of(&r.system.store, &reply.json())
}

fn ids(listing: &Value) -> Vec<String> {
    listing["items"].as_array().unwrap().iter().map(|i| i["lead_id"].as_str().unwrap().to_string()).collect()
}

/// The aggregates hold exactly what a recompute from the leads gives (every family, dimension
/// and day of March 2026).
async fn assert_aggregates_equal_the_recompute(services: &Services) {
    let (from, to) = (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    let report = audit(services, from, to).await.unwrap();
    assert!(report.agree, "{:?}", report.differences);
    assert!(report.leads_recomputed > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_with_bad_tags_are_listed_paged_and_scoped() {
    let r = runner().await;
    let typo = capture(&r, 1, "Hoboken", "utm_source=faceboook&utm_campaign=spring").await;
    let paid = capture(&r, 2, "Newark", "gclid=Cj0abc").await; // google, no campaign
    let untagged_paid = capture(&r, 3, "Hoboken", "utm_campaign=spring&utm_medium=cpc").await; // no source
    let fine = capture(&r, 4, "Hoboken", "utm_source=FB&utm_campaign=spring").await;
    let organic = capture(&r, 5, "Hoboken", "").await; // direct: fine
    wait_for_consumers(&r.system).await;

    let admin = token(&r, "root-1", "admin", &[]).await;
    let listing = call(&r, "GET", "/sources/audit", Some(&admin), None, "").await;
    assert_eq!(listing.status, 200, "{}", listing.body);
    let v = listing.json();
    let mut listed = ids(&v);
    listed.sort();
    let mut want = vec![typo.to_string(), paid.to_string(), untagged_paid.to_string()];
    want.sort();
    assert_eq!(listed, want);
    assert!(!listing.body.contains(&fine.to_string()) && !listing.body.contains(&organic.to_string()));
    // Ids and tags only: nothing that identifies the person.
    for personal in ["Tagperson", "tag.person", "201555"] {
        assert!(!listing.body.contains(personal), "{personal} in {}", listing.body);
    }
    let entry = |id: LeadId| v["items"].as_array().unwrap().iter().find(|i| i["lead_id"] == id.to_string()).unwrap().clone();
    assert_eq!(entry(typo)["issues"], json!(["source_unrecognized"]));
    assert_eq!(entry(typo)["source"], "faceboook");
    assert_eq!(entry(paid)["issues"], json!(["campaign_missing"]));
    assert_eq!(entry(untagged_paid)["issues"], json!(["source_missing"]));

    // Filters, and pages of one that together list everything once.
    let by_issue = call(&r, "GET", "/sources/audit?issue=campaign_missing", Some(&admin), None, "").await.json();
    assert_eq!(ids(&by_issue), [paid.to_string()]);
    let by_value = call(&r, "GET", "/sources/audit?source=FACEBOOOK", Some(&admin), None, "").await.json();
    assert_eq!(ids(&by_value), [typo.to_string()]);
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/sources/audit?limit=1&after={a}"),
            None => "/sources/audit?limit=1".to_string(),
        };
        let page = call(&r, "GET", &path, Some(&admin), None, "").await.json();
        paged.extend(ids(&page));
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
        assert!(paged.len() <= 3, "paging does not end: {paged:?}");
    }
    paged.sort();
    assert_eq!(paged, want);

    // A manager sees the leads of their facilities only; agents and analysts nothing.
    let manager = token(&r, "mgr-1", "manager", &["hoboken"]).await;
    let mine = call(&r, "GET", "/sources/audit", Some(&manager), None, "").await.json();
    assert!(!ids(&mine).contains(&paid.to_string()) && ids(&mine).contains(&typo.to_string()), "{mine}");
    for (user, role) in [("maria", "agent"), ("analyst-1", "analyst")] {
        let t = token(&r, user, role, &[]).await;
        let reply = call(&r, "GET", "/sources/audit", Some(&t), None, "").await;
        assert_eq!(reply.status, 403);
        assert_eq!(reply.json(), json!({"error": "forbidden", "message": "you are not allowed to do this"}));
    }

    // Bad parameters are named.
    let bad = call(&r, "GET", "/sources/audit?issue=wrong&limit=0&after=x&colour=red", Some(&admin), None, "").await;
    assert_eq!(bad.status, 422);
    let named: Vec<String> = bad.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_string()).collect();
    for field in ["issue", "limit", "after", "colour"] {
        assert!(named.contains(&field.to_string()), "{field} not named in {named:?}");
    }

    // The aggregates and each lead's ledger hold tags and counts, nothing that names a person.
    let (from, to) = (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    let rows = leadflow_tests::analytics::stored_rows(&r.system.services, from, to).await;
    assert!(rows.keys().any(|k| k.value == "faceboook"), "{rows:?}");
    let mut stored = format!("{rows:?}");
    for id in [typo, paid, untagged_paid, fine, organic] {
        stored.push_str(&format!("{:?}", r.system.services.aggregates.ledger(id).await.unwrap().expect("a ledger")));
    }
    for personal in ["Tagperson", "tagperson", "tag.person", "201555", "example.com"] {
        assert!(!stored.contains(personal), "{personal} in the aggregates");
    }

    // Every listed lead's read is in the audit trail.
    let reads = r.system.audit.all().into_iter().filter(|e| e.action == AuditAction::Read && e.lead_id == Some(typo)).count();
    assert!(reads >= 3, "{reads}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retag_is_validated_recorded_and_keeps_the_aggregates_exact() {
    let r = runner().await;
    let typo1 = capture(&r, 11, "Hoboken", "utm_source=faceboook&utm_campaign=spring").await;
    let typo2 = capture(&r, 12, "Newark", "utm_source=faceboook").await;
    let paid = capture(&r, 13, "Newark", "gclid=Cj0abc").await;
    let _fine = capture(&r, 14, "Hoboken", "utm_source=google&utm_campaign=brand").await;
    wait_for_consumers(&r.system).await;
    // Some progress, so attribution rows exist too.
    let admin = token(&r, "root-1", "admin", &[]).await;
    for id in [typo1, typo2, paid] {
        let reply = call(&r, "POST", &format!("/leads/{id}/status"), Some(&admin), Some("application/json"), r#"{"to":"contacted"}"#).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let reply = call(&r, "POST", &format!("/leads/{id}/status"), Some(&admin), Some("application/json"), r#"{"to":"qualified"}"#).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    wait_for_consumers(&r.system).await;
    assert_aggregates_equal_the_recompute(&r.system.services).await;

    // Validation: every problem named, nothing changed.
    let before = r.system.store.dump_text();
    let post = |body: Value| {
        let (r, admin) = (&r, &admin);
        async move { call(r, "POST", "/sources/retag", Some(admin), Some("application/json"), &body.to_string()).await }
    };
    for (body, field) in [
        (json!({"lead_ids": [typo1.to_string()]}), "source"),
        (json!({"source": "facebook"}), "lead_ids"),
        (json!({"lead_ids": ["not-an-id"], "source": "facebook"}), "lead_ids[0]"),
        (json!({"lead_ids": [typo1.to_string()], "filter": {"source": "x"}, "source": "facebook"}), "lead_ids"),
        (json!({"filter": {"colour": "red"}, "source": "facebook"}), "filter.colour"),
        (json!({"filter": {"issue": "bad"}, "source": "facebook"}), "filter.issue"),
        (json!({"lead_ids": [typo1.to_string()], "source": "faceboook2"}), "source"),
        (json!({"lead_ids": [typo1.to_string()], "campaign": "<b>x</b>"}), "campaign"),
        (json!({"lead_ids": [typo1.to_string()], "source": "facebook", "extra": 1}), "extra"),
    ] {
        let reply = post(body.clone()).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        let named: Vec<String> =
            reply.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_string()).collect();
        assert!(named.contains(&field.to_string()), "{body}: {field} not named in {named:?}");
    }
    assert_eq!(call(&r, "POST", "/sources/retag", Some(&admin), Some("text/plain"), "x").await.status, 415);
    assert_eq!(r.system.store.dump_text(), before, "a refused re-tag changed something");

    // A manager may not re-tag a lead outside their facilities: refused whole, recorded.
    let manager = token(&r, "mgr-1", "manager", &["hoboken"]).await;
    let body = json!({"lead_ids": [typo1.to_string(), typo2.to_string()], "source": "facebook"}).to_string();
    let reply = call(&r, "POST", "/sources/retag", Some(&manager), Some("application/json"), &body).await;
    assert_eq!(reply.status, 403);
    assert_eq!(r.system.store.dump_text(), before);
    assert!(r.system.audit.all().iter().any(|e| e.outcome == AuditOutcome::Denied && e.lead_id == Some(typo2)));

    // By filter: every lead listed with that source value.
    let reply = post(json!({"filter": {"source": "faceboook"}, "source": "facebook"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let v = reply.json();
    assert_eq!((v["retagged"].as_u64(), v["more"].as_bool()), (Some(2), Some(false)), "{v}");
    // By id: a source and a campaign; the same request again changes nothing.
    let body = json!({"lead_ids": [paid.to_string()], "campaign": "Brand Search"});
    assert_eq!(post(body.clone()).await.json()["retagged"], 1);
    assert_eq!(post(body).await.json()["unchanged"], 1);
    wait_for_consumers(&r.system).await;

    // Off the list; on the timeline; in the audit trail with the fields it changed.
    let listing = call(&r, "GET", "/sources/audit", Some(&admin), None, "").await.json();
    assert!(ids(&listing).is_empty(), "{listing}");
    for id in [typo1, typo2] {
        let lead = r.system.services.leads.get(id).await.unwrap().unwrap();
        assert_eq!(lead.source.detail.utm_source.as_ref().map(|l| l.as_str()), Some("facebook"));
        let timeline = r.system.services.timeline.list(id, None, 100).await.unwrap().items;
        let retags: Vec<_> = timeline.iter().filter(|e| matches!(e.kind, TimelineKind::SourceRetagged { .. })).collect();
        assert_eq!(retags.len(), 1, "{id}");
        match &retags[0].kind {
            TimelineKind::SourceRetagged { source, previous_source, .. } => {
                assert_eq!(source.as_ref().map(|l| l.as_str()), Some("facebook"));
                assert_eq!(previous_source.as_ref().map(|l| l.as_str()), Some("faceboook"));
            }
            _ => unreachable!(),
        }
        let changes: Vec<_> = r
            .system
            .audit
            .all()
            .into_iter()
            .filter(|e| e.lead_id == Some(id) && e.action == AuditAction::Update && e.outcome == AuditOutcome::Allowed)
            .filter(|e| e.route.as_deref() == Some("POST /sources/retag"))
            .collect();
        assert_eq!(changes.len(), 1, "{id}");
        assert_eq!(changes[0].fields, ["source", "timeline"]);
    }
    // The reports moved the leads to the corrected source, and still equal the recompute.
    assert_aggregates_equal_the_recompute(&r.system.services).await;
    let kpis = call(&r, "GET", "/reports/kpis?from=2026-03-01&to=2026-03-31&period=all", Some(&admin), None, "").await.json();
    let facebook = kpis["rows"].as_array().unwrap().iter().find(|row| row["key"] == "facebook").cloned();
    assert_eq!(facebook.map(|f| f["leads"].as_i64()), Some(Some(2)), "{kpis}");
    assert!(!kpis.to_string().contains("faceboook"), "{kpis}");
}

mod on_moto {
    use super::*;
    use leadflow::app::analytics::{reconcile, sources};
    use leadflow::config::Config;
    use leadflow::domain::analytics::source_audit::Retag;
    use leadflow::domain::text::Label;
    use leadflow::wiring::embedded::EmbeddedSystem;
    use leadflow_synthetic::demo::{generate, DemoOptions};
    use leadflow_tests::analytics::replay_with;
    use leadflow_tests::aws::MotoAws;

    /// On DynamoDB: the list is kept in its own partition, a bulk re-tag by filter moves every
    /// matching lead, and the aggregates in the table equal the recompute afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dynamodb_list_and_retag_keep_aggregates_equal_to_the_recompute() {
        let end = Utc.with_ymd_and_hms(2026, 3, 31, 22, 0, 0).unwrap();
        let aws = MotoAws::connect().await;
        let store = Arc::new(aws.fresh_store().await);
        let embedded = EmbeddedSystem::new(Config::embedded_default().unwrap(), Arc::new(ManualClock::new(end)));
        let services = Services {
            leads: store.clone(),
            timeline: store.clone(),
            listing: store.clone(),
            aggregates: store.clone(),
            ..embedded.services.clone()
        };
        let mut data = generate(&services.config, &DemoOptions { leads: 10, seed: 23, end, months: 1, extra_touchpoints: 1.0 });
        // Give three leads a misspelt source at capture.
        let typo = Label::parse("faceboook", 100).unwrap();
        let eligible = |d: &leadflow_synthetic::demo::DemoLead| !services.config.is_part2(&d.lead.context.service_line);
        for d in data.leads.iter_mut().filter(|d| eligible(d)).take(3) {
            d.lead.source.detail.utm_source = Some(typo.clone());
            for e in d.timeline.iter_mut() {
                if let TimelineKind::LeadCaptured { touchpoint, .. } = &mut e.kind {
                    touchpoint.detail.utm_source = Some(typo.clone());
                }
            }
        }
        let typoed: Vec<LeadId> = data.leads.iter().filter(|d| eligible(d)).take(3).map(|d| d.lead.id).collect();
        assert_eq!(typoed.len(), 3);
        replay_with(&services, &data, 3, true).await;
        let page = sources::list(&services, &sources::FlagFilter { source: Some("faceboook".into()), ..Default::default() }, None, 100)
            .await
            .unwrap();
        let mut listed: Vec<LeadId> = page.items.iter().map(|f| f.lead_id).collect();
        listed.sort_by_key(|id| id.to_string());
        let mut want = typoed.clone();
        want.sort_by_key(|id| id.to_string());
        assert_eq!(listed, want);
        // Paging through the partition, one at a time.
        let first = sources::list(&services, &Default::default(), None, 1).await.unwrap();
        assert_eq!(first.items.len(), 1);
        assert!(first.next.is_some());

        let retag = Retag { source: Some(Label::parse("facebook", 100).unwrap()), campaign: None };
        for id in &typoed {
            let outcome = sources::retag_lead(&services, *id, &retag, "root-1").await.unwrap();
            assert!(matches!(outcome, sources::RetagOutcome::Retagged { .. }), "{outcome:?}");
            // What the analytics consumer does with the lead.updated event.
            reconcile(&services, *id).await.unwrap();
        }
        let after = sources::list(&services, &sources::FlagFilter { source: Some("faceboook".into()), ..Default::default() }, None, 100)
            .await
            .unwrap();
        assert!(after.items.is_empty(), "{:?}", after.items);
        let report =
            audit(&services, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 4, 30).unwrap()).await.unwrap();
        assert!(report.agree, "{:?}", report.differences);
        assert!(report.leads_recomputed >= 3);
    }
}

/// Erasing a person keeps the aggregates equal to the recompute: the erased leads' counters
/// follow the anonymized leads, and a click id's source name stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_keeps_the_aggregates_equal_to_the_recompute() {
    let r = runner().await;
    let clicked = capture(&r, 21, "Hoboken", "gclid=Cj0secret&utm_campaign=brand&postal_code=07030").await;
    let referred = capture(&r, 22, "Newark", "referrer=https%3A%2F%2Fwww.yelp.com%2Fbiz%2Fx%3Fuid%3D9").await;
    wait_for_consumers(&r.system).await;
    let admin = token(&r, "root-1", "admin", &[]).await;
    for id in [clicked, referred] {
        let reply = call(&r, "DELETE", &format!("/people/{id}"), Some(&admin), None, "").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    wait_for_consumers(&r.system).await;
    let lead = r.system.services.leads.get(clicked).await.unwrap().unwrap();
    assert!(lead.source.detail.gclid.is_none(), "the click id goes");
    assert_eq!(lead.source.detail.utm_source.as_ref().map(|l| l.as_str()), Some("google"));
    let lead = r.system.services.leads.get(referred).await.unwrap().unwrap();
    assert!(lead.source.detail.referrer.is_none());
    assert_eq!(lead.source.detail.utm_source.as_ref().map(|l| l.as_str()), Some("yelp.com"));
    assert_aggregates_equal_the_recompute(&r.system.services).await;
    let kpis = call(&r, "GET", "/reports/kpis?from=2026-03-01&to=2026-03-31&period=all", Some(&admin), None, "").await.json();
    let google = kpis["rows"].as_array().unwrap().iter().find(|row| row["key"] == "google").cloned();
    assert_eq!(google.map(|g| g["leads"].as_i64()), Some(Some(1)), "{kpis}");
}

/// The team's own test submissions (`[test_records]`) are in no report and never on
/// the source-tag list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_records_stay_out_of_the_aggregates_and_the_list() {
    let r = runner().await;
    let form = "first_name=Qa&email=qa%40leadflow.test&service_line=med_spa&utm_source=faceboook&utm_campaign=qa";
    let reply = call(&r, "POST", "/leads", None, Some("application/x-www-form-urlencoded"), form).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let id: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &reply.json());
    let real = capture(&r, 31, "Hoboken", "utm_source=faceboook&utm_campaign=spring").await;
    wait_for_consumers(&r.system).await;
    assert!(r.system.services.leads.get(id).await.unwrap().unwrap().test, "marked as a test record");
    let admin = token(&r, "root-1", "admin", &[]).await;
    let listed = ids(&call(&r, "GET", "/sources/audit", Some(&admin), None, "").await.json());
    assert_eq!(listed, [real.to_string()]);
    let kpis = call(&r, "GET", "/reports/kpis?from=2026-03-01&to=2026-03-31&period=all", Some(&admin), None, "").await.json();
    let typo = kpis["rows"].as_array().unwrap().iter().find(|row| row["key"] == "faceboook").cloned();
    assert_eq!(typo.map(|t| t["leads"].as_i64()), Some(Some(1)), "{kpis}");
    assert_aggregates_equal_the_recompute(&r.system.services).await;
}
