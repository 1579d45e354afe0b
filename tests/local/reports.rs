//! The report routes over real HTTP on the local runner, pre-loaded with demo data: who may
//! read what, JSON and CSV that parse back to the same numbers, SVG charts that are well-formed
//! XML carrying their series labels, spend entry and import, the source-name audit, the
//! recompute audit, and the weekly summary.

use chrono::{TimeZone, Utc};
use leadflow::app::analytics::reports::{AttributionRow, SlaRow};
use leadflow::domain::analytics::kpi::KpiRow;
use leadflow::ports::ManualClock;
use leadflow_local::{start, Options, Running};
use leadflow_synthetic::demo::{generate, load, DemoOptions};
use leadflow_tests::http::{send, Reply};
use quick_xml::events::Event;
use serde_json::json;
use std::sync::Arc;

async fn call(r: &Running, method: &str, path: &str, token: Option<&str>, content_type: Option<&str>, body: &str) -> Reply {
    let headers: Vec<(&str, &str)> = content_type.map(|ct| ("content-type", ct)).into_iter().collect();
    send(&r.base_url(), method, path, token, &headers, body.to_string()).await
}

async fn get(r: &Running, path: &str, token: Option<&str>) -> Reply {
    call(r, "GET", path, token, None, "").await
}

async fn token(r: &Running, role: &str) -> String {
    let reply = call(r, "POST", "/local/dev-token", None, None, &json!({"user": format!("{role}-1"), "role": role}).to_string()).await;
    reply.json()["token"].as_str().unwrap().to_string()
}

/// The runner at the end of October 2026 with 1,200 demo leads from May on.
async fn runner() -> Running {
    let end = Utc.with_ymd_and_hms(2026, 10, 31, 22, 0, 0).unwrap();
    let running = start(Options { port: 0, tick_every: None, ..Options::default() }, Arc::new(ManualClock::new(end))).await.unwrap();
    let services = &running.system.services;
    let data = generate(&services.config, &DemoOptions { leads: 1200, seed: 42, end, months: 6, extra_touchpoints: 3.0 });
    load(services, &data, true).await.unwrap();
    running
}

const RANGE: &str = "from=2026-05-01&to=2026-10-31";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_need_a_token_and_a_reporting_role() {
    let r = runner().await;
    let path = format!("/reports/kpis?{RANGE}");
    assert_eq!(get(&r, &path, None).await.status, 401);
    assert_eq!(get(&r, &path, Some("not-a-token")).await.status, 401);
    let agent = token(&r, "agent").await;
    assert_eq!(get(&r, &path, Some(&agent)).await.status, 403);
    for role in ["analyst", "manager", "admin"] {
        assert_eq!(get(&r, &path, Some(&token(&r, role).await)).await.status, 200, "{role}");
    }
    // Recomputing reads every lead: administrators only.
    let analyst = token(&r, "analyst").await;
    assert_eq!(get(&r, &format!("{path}&engine=recompute"), Some(&analyst)).await.status, 403);
    assert_eq!(get(&r, &format!("/reports/audit?{RANGE}"), Some(&analyst)).await.status, 403);
    // Spend: read by analysts, entered by managers and admins.
    assert_eq!(get(&r, "/spend", Some(&analyst)).await.status, 200);
    let entry = json!({"month": "2026-10", "source": "google", "campaign": "brand-search", "amount": "1000.00"}).to_string();
    assert_eq!(call(&r, "POST", "/spend", Some(&analyst), Some("application/json"), &entry).await.status, 403);
    assert_eq!(call(&r, "POST", "/spend", Some(&agent), Some("application/json"), &entry).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_csv_carry_the_same_numbers_and_no_personal_data() {
    let r = runner().await;
    let t = token(&r, "analyst").await;
    let json_reply = get(&r, &format!("/reports/kpis?{RANGE}&dimension=source&period=month"), Some(&t)).await;
    assert_eq!(json_reply.status, 200);
    let report = json_reply.json();
    let rows: Vec<KpiRow> = serde_json::from_value(report["rows"].clone()).unwrap();
    let totals: KpiRow = serde_json::from_value(report["totals"].clone()).unwrap();
    assert!(rows.len() > 30, "{}", rows.len());
    assert_eq!(rows.iter().map(|r| r.leads).sum::<i64>(), totals.leads);
    // Aliases applied: "fb" and "Facebook" are facebook; the typo stays itself.
    assert!(rows.iter().any(|r| r.key == "facebook") && !rows.iter().any(|r| r.key == "fb" || r.key == "googleads"));
    assert!(rows.iter().any(|r| r.key == "faceboook"));
    // Cost per lead where spend was entered.
    let google = rows.iter().find(|r| r.key == "google" && r.period == "2026-07").unwrap();
    assert!(google.spend_minor.unwrap() > 0 && google.cost_per_lead_minor.unwrap() > 0, "{google:?}");
    // No lead data: no ids, names, numbers or addresses anywhere in the report.
    for needle in ["@example.com", "+1201555", "555-", "\"id\"", "lead_id", "first_name", "concern"] {
        assert!(!json_reply.body.contains(needle), "{needle}");
    }

    let csv_reply = get(&r, &format!("/reports/kpis?{RANGE}&dimension=source&period=month&format=csv"), Some(&t)).await;
    assert_eq!(csv_reply.status, 200);
    assert!(csv_reply.content_type().starts_with("text/csv"), "{}", csv_reply.content_type());
    let parsed: Vec<KpiRow> = csv::Reader::from_reader(csv_reply.body.as_bytes()).deserialize().collect::<Result<_, _>>().unwrap();
    let mut expected = rows.clone();
    expected.push(totals);
    assert_eq!(parsed, expected);

    let a_json = get(&r, &format!("/reports/attribution?{RANGE}&milestone=converted"), Some(&t)).await.json();
    let a_rows: Vec<AttributionRow> = serde_json::from_value(a_json["rows"].clone()).unwrap();
    let a_csv = get(&r, &format!("/reports/attribution?{RANGE}&milestone=converted&format=csv"), Some(&t)).await;
    let a_parsed: Vec<AttributionRow> = csv::Reader::from_reader(a_csv.body.as_bytes()).deserialize().collect::<Result<_, _>>().unwrap();
    assert_eq!(&a_parsed[..a_rows.len()], &a_rows[..]);
    // Every model credits the same total: the conversions of the range, exactly.
    let totals: AttributionRow = serde_json::from_value(a_json["totals"].clone()).unwrap();
    for m in ["first_touch", "last_touch", "linear", "time_decay", "position_based"] {
        assert_eq!(totals.model(m).1, totals.model("first_touch").1, "{m}");
        assert!((totals.model(m).0 - totals.model("first_touch").0).abs() < 1e-9, "{m}");
    }

    let s_json = get(&r, &format!("/reports/sla?{RANGE}"), Some(&t)).await.json();
    let s_rows: Vec<SlaRow> = serde_json::from_value(s_json["rows"].clone()).unwrap();
    let s_csv = get(&r, &format!("/reports/sla?{RANGE}&format=csv"), Some(&t)).await;
    let s_parsed: Vec<SlaRow> = csv::Reader::from_reader(s_csv.body.as_bytes()).deserialize().collect::<Result<_, _>>().unwrap();
    assert_eq!(&s_parsed[..s_rows.len()], &s_rows[..]);
    assert!(s_rows.iter().any(|r| r.channel == "phone_call" && r.target_seconds == 0));
}

/// Parses the whole document; returns its text content.
fn well_formed_text(svg: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut text = String::new();
    let mut depth = 0i32;
    let mut root = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                root.get_or_insert_with(|| String::from_utf8(e.name().as_ref().to_vec()).unwrap());
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap()),
            Ok(Event::GeneralRef(r)) => text.push_str(&format!("&{};", String::from_utf8_lossy(&r))),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    assert_eq!(root.as_deref(), Some("svg"));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_are_well_formed_svg_with_their_series_labels() {
    let r = runner().await;
    let t = token(&r, "analyst").await;
    let charts: [(&str, &[&str]); 4] = [
        ("funnel.svg", &["leads at each stage", "qualified", "converted"]),
        ("conversion-by-source.svg", &["conversion rate", "google"]),
        ("response-times.svg", &["acknowledgement (automatic text)", "first human contact attempt", "<10s", "2-3m"]),
        ("attribution.svg", &["first touch", "last touch", "linear", "time decay (7 d half-life)", "position-based 40/20/40", "google"]),
    ];
    for (chart, labels) in charts {
        let reply = get(&r, &format!("/reports/charts/{chart}?{RANGE}"), Some(&t)).await;
        assert_eq!(reply.status, 200, "{chart}: {}", reply.body);
        assert_eq!(reply.content_type(), "image/svg+xml");
        let text = well_formed_text(&reply.body);
        for label in labels {
            let escaped = label.replace('<', "&lt;");
            assert!(text.contains(label) || text.contains(&escaped), "{chart} lacks {label:?}");
        }
    }
    assert_eq!(get(&r, "/reports/charts/pie.svg", Some(&t)).await.status, 404);
    let booked = get(&r, &format!("/reports/charts/attribution.svg?{RANGE}&milestone=booked&dimension=campaign&top=5"), Some(&t)).await;
    assert_eq!(booked.status, 200);
    assert!(well_formed_text(&booked.body).contains("(booked)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_named() {
    let r = runner().await;
    let t = token(&r, "analyst").await;
    let bad = |reply: Reply| {
        reply.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let reply = get(&r, "/reports/kpis?dimention=source&period=year&from=2026-13-01", Some(&t)).await;
    assert_eq!(reply.status, 422);
    assert_eq!(bad(reply), ["dimention", "from", "period"]);
    let reply = get(&r, "/reports/attribution?dimension=facility", Some(&t)).await;
    assert_eq!((reply.status, bad(reply)), (422, vec!["dimension".to_string()]));
    let reply = get(&r, "/reports/kpis?from=2026-06-01&to=2026-05-01", Some(&t)).await;
    assert_eq!(reply.status, 422);
    let reply = get(&r, "/reports/kpis?from=2020-01-01&to=2026-05-01", Some(&t)).await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("range_too_long"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_is_entered_imported_and_listed() {
    let r = runner().await;
    let manager = token(&r, "manager").await;
    let entry = json!({"month": "2026-11", "source": "Bing", "campaign": "search", "amount": "$1,250.50"}).to_string();
    let reply = call(&r, "POST", "/spend", Some(&manager), Some("application/json"), &entry).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["entry"]["amount"]["minor"], 125_050);
    let bad = json!({"month": "November", "source": "bing", "amount": "12.345"}).to_string();
    let reply = call(&r, "POST", "/spend", Some(&manager), Some("application/json"), &bad).await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("\"month\"") && reply.body.contains("\"amount\""));
    let import = "month,source,campaign,amount\n2026-11,google,brand-search,900\n2026-11,yelp,,300.00\n";
    let reply = call(&r, "POST", "/spend/import", Some(&manager), Some("text/csv"), import).await;
    assert_eq!((reply.status, reply.json()["imported"].clone()), (200, json!(2)));
    let reply = call(&r, "POST", "/spend/import", Some(&manager), Some("application/json"), import).await;
    assert_eq!(reply.status, 415);
    let broken = "month,source,amount\n2026-11,google,lots\n";
    let reply = call(&r, "POST", "/spend/import", Some(&manager), Some("text/csv"), broken).await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("line 2: amount"), "{}", reply.body);
    // Listed back as CSV in the import format.
    let listed = get(&r, "/spend?from=2026-11&to=2026-11&format=csv", Some(&manager)).await;
    let mut lines: Vec<&str> = listed.body.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "2026-11,bing,search,125050,USD",
            "2026-11,google,brand-search,90000,USD",
            "2026-11,yelp,,30000,USD",
            "month,source,campaign,amount_minor,currency"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unrecognized_sources_are_listed_with_suggestions() {
    let r = runner().await;
    let t = token(&r, "analyst").await;
    let reply = get(&r, &format!("/reports/sources/unrecognized?{RANGE}"), Some(&t)).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    let rows = v["rows"].as_array().unwrap();
    let values: Vec<&str> = rows.iter().map(|r| r["value"].as_str().unwrap()).collect();
    // The demo's untidy tags (which of them occur depends on the draw).
    assert!(values.contains(&"faceboook"), "{values:?}");
    assert!(values.iter().all(|v| ["faceboook", "newsletter_march", "partner-site"].contains(v)), "{values:?}");
    for known in ["fb", "facebook", "google", "googleads", "tiktok", "direct", "yelp.com", "google.com"] {
        assert!(!values.contains(&known), "{known} is known");
    }
    let typo = rows.iter().find(|r| r["value"] == "faceboook").unwrap();
    assert_eq!(typo["suggestion"], "facebook");
    assert!(typo["leads"].as_i64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_agrees_and_the_weekly_summary_reaches_the_outbox() {
    let r = runner().await;
    let admin = token(&r, "admin").await;
    let reply = get(&r, &format!("/reports/audit?{RANGE}"), Some(&admin)).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    assert_eq!(v["agree"], true, "{}", reply.body);
    assert!(v["leads_recomputed"].as_u64().unwrap() > 800);
    let recomputed = get(&r, &format!("/reports/kpis?{RANGE}&engine=recompute"), Some(&admin)).await.json();
    let stored = get(&r, &format!("/reports/kpis?{RANGE}"), Some(&admin)).await.json();
    assert_eq!(recomputed["rows"], stored["rows"]);
    let cohorts = get(&r, "/reports/cohorts?from=2026-05&to=2026-10", Some(&admin)).await.json();
    assert_eq!(cohorts["rows"].as_array().unwrap().len(), 6);

    let reply = call(&r, "POST", "/local/weekly-summary", None, None, "").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["sent"], 1);
    let outbox = get(&r, "/local/outbox?channel=email", None).await.json();
    let emails = outbox.as_array().unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["recipient"], "owner@harborhealth.example");
    assert!(emails[0]["text"].as_str().unwrap().contains("Top sources"));
}

/// The template serves every report route of the local runner behind the default authorizer,
/// runs the analytics consumer from its own queue with a dead-letter queue and alarm, and
/// schedules the weekly summary.
#[test]
fn the_template_carries_the_report_routes_the_consumer_and_the_schedule() {
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    let start = template.find("\n  ReportsFunction:\n").expect("ReportsFunction");
    let end = start + template[start + 1..].find("\n  SourcesLogGroup:").expect("the function's end");
    let reports = &template[start..end];
    assert!(!reports.contains("Authorizer: NONE"), "report routes must keep the default JWT authorizer");
    for route in leadflow_local::api_routes() {
        // (`/reports/scoring-review` belongs to data hygiene and the leads API function.)
        let ours = route.pattern.starts_with("/reports") && route.pattern != "/reports/scoring-review";
        if ours || route.pattern.starts_with("/spend") {
            let event = format!("Method: {}\n            Path: {}\n", route.method, route.pattern);
            assert!(reports.contains(&event), "template lacks {} {}", route.method, route.pattern);
        }
    }
    for needle in [
        "deadLetterTargetArn: !GetAtt AnalyticsDeadLetterQueue.Arn",
        "FunctionName: !Ref AnalyticsFunction",
        "Value: !GetAtt AnalyticsDeadLetterQueue.QueueName",
        "ScheduleExpression: cron(0 8 ? * MON *)",
        "- ses:SendEmail",
    ] {
        assert!(template.contains(needle), "template lacks {needle}");
    }
    // Every function that publishes lead events can reach the analytics queue: the outbox relay
    // (intake's events), the consumers and staff routes that change leads, the source
    // re-tagging, the merges and hygiene job, the SLA minute (decay rescoring), the signed
    // links (a confirmed contact point), the staff console, and the unsubscribe link's
    // `lead.opted_out`.
    let functions = [
        "RelayFunction",
        "AcknowledgeFunction",
        "ScoreFunction",
        "ContactsFunction",
        "TouchpointsFunction",
        "WebhookWorkerFunction",
        "LeadsApiFunction",
        "SourcesFunction",
        "MergesFunction",
        "HygieneFunction",
        "SlaFunction",
        "LinksFunction",
        "ConsoleFunction",
        "UnsubscribeFunction",
    ];
    let t: serde_yaml_ng::Value = serde_yaml_ng::from_str(&template).unwrap();
    for f in functions {
        let env = &t["Resources"][f]["Properties"]["Environment"]["Variables"];
        assert!(env.get("LEADFLOW_QUEUE_ANALYTICS").is_some(), "{f} lacks the analytics queue");
    }
    // And no other: every function holding the queue's URL is one of them.
    assert_eq!(template.matches("LEADFLOW_QUEUE_ANALYTICS: !Ref AnalyticsQueue").count(), functions.len());
}
