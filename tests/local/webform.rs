//! The embeddable form over real HTTP on the local runner: the public, cacheable script and
//! definitions (CORS for the configured sites only, no cookies), the signed start token and
//! the minimum fill time, a post keeping the message, the site's own fields and the visitor's
//! journey, the consent wording per channel, the site's beacons joining the lead and counting
//! in its score, the reports' visits and days before inquiry, and the page without JavaScript.
//! (The same in a real browser: tests/browser/test_webform_*.py.)

use chrono::{Duration, TimeZone, Utc};
use leadflow::domain::{Actor, LeadId, TimelineKind, TouchpointKind};
use leadflow::ports::{Clock, ManualClock};
use leadflow_local::{start, Options, Running};
use leadflow_tests::http::{send, Reply};
use serde_json::{json, Value};
use std::sync::Arc;

const SITE: &str = "https://www.harborhealth.example";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// The runner on the shipped configuration with a 3-second minimum fill time, at a time the
/// practice is open.
async fn runner() -> (Running, Arc<ManualClock>) {
    let text = leadflow::config::DEFAULT_CONFIG.replace("min_fill_seconds = 0", "min_fill_seconds = 3");
    let path = std::env::temp_dir().join(format!("leadflow-webform-{}.toml", leadflow_tests::aws::unique_name("cfg")));
    std::fs::write(&path, text).unwrap();
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    let clock = Arc::new(ManualClock::new(open));
    let options = Options { port: 0, tick_every: None, config: Some(path), ..Options::default() };
    (start(options, clock.clone()).await.unwrap(), clock)
}

async fn get(r: &Running, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(&r.base_url(), "GET", path, None, headers, String::new()).await
}

async fn post(r: &Running, path: &str, headers: &[(&str, &str)], body: String) -> Reply {
    send(&r.base_url(), "POST", path, None, headers, body).await
}

fn encode(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

async fn start_token(r: &Running) -> String {
    let reply = get(r, "/forms/inquiry/start", &[("origin", SITE)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
    let v = reply.json();
    assert_eq!((v["field"].as_str(), v["min_fill_seconds"].as_u64()), (Some("form_start"), Some(3)));
    v["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_and_definitions_are_public_cacheable_and_for_the_configured_sites() {
    let (r, _) = runner().await;
    let script = get(&r, "/forms/embed.js", &[]).await;
    assert_eq!(script.status, 200);
    assert_eq!(script.content_type(), "text/javascript; charset=utf-8");
    assert_eq!(script.headers.get("cache-control").unwrap(), "public, max-age=300");
    assert!(script.body.contains(".lf-form{"), "the stylesheet is inside the script");
    assert!(!script.body.contains("__LEADFLOW_CSS__"));
    let etag = script.headers.get("etag").unwrap().to_str().unwrap().to_string();
    let again = get(&r, "/forms/embed.js", &[("if-none-match", &etag)]).await;
    assert_eq!((again.status, again.body.as_str()), (304, ""));

    let es = get(&r, "/forms/inquiry?lang=es-MX", &[("origin", SITE)]).await;
    assert_eq!(es.status, 200);
    assert_eq!(es.headers.get("access-control-allow-origin").unwrap(), SITE);
    assert_eq!(es.headers.get("cache-control").unwrap(), "public, max-age=300");
    let d = es.json();
    assert_eq!(d["language"], "es");
    assert_eq!(d["texts"]["submit"], "Enviar solicitud");
    assert_eq!(d["consent"][0]["version"], "2026-03-sms-es");
    let other_site = get(&r, "/forms/inquiry", &[("origin", "https://evil.example")]).await;
    assert!(other_site.headers.get("access-control-allow-origin").is_none(), "another site's page cannot read it");
    assert_eq!(other_site.json()["language"], "en", "the form's default language");
    assert_eq!(get(&r, "/forms/nope", &[]).await.status, 404);
    assert_eq!(get(&r, "/forms/nope/start", &[]).await.status, 404);
    for reply in [script, es, other_site] {
        assert!(reply.headers.get("set-cookie").is_none(), "leadflow never sets a cookie");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_post_keeps_message_extras_journey_and_consent_wording_and_joins_the_visits() {
    let (r, clock) = runner().await;
    let s = &r.system.services;
    let visitor = "dmlzaXRvci0xMjM0NTY3OA";

    // Before the inquiry, with analytics accepted: three page views and a download.
    let beacon = |body: Value, origin: &'static str| {
        let r = &r;
        async move { post(r, "/visits", &[("content-type", "text/plain"), ("origin", origin)], body.to_string()).await }
    };
    for page in ["/pricing", "/services/private-condition?x=1", "/"] {
        assert_eq!(beacon(json!({"visitor": visitor, "type": "page_view", "page": page}), SITE).await.status, 204);
        clock.advance(Duration::seconds(20));
    }
    assert_eq!(beacon(json!({"visitor": visitor, "type": "event", "event": "guide_download"}), SITE).await.status, 204);
    assert_eq!(beacon(json!({"visitor": visitor, "type": "event", "event": "made_up"}), SITE).await.status, 422);
    assert_eq!(beacon(json!({"visitor": "short", "type": "page_view"}), SITE).await.status, 422);
    let unknown = beacon(json!({"visitor": visitor, "type": "page_view", "referrer": "x"}), SITE).await;
    assert_eq!((unknown.status, unknown.json()["fields"][0]["field"].clone()), (422, json!("referrer")));
    assert_eq!(beacon(json!({"visitor": visitor}), SITE).await.status, 400);
    assert_eq!(beacon(json!({"visitor": visitor, "type": "page_view"}), "https://evil.example").await.status, 403);

    let token = start_token(&r).await;
    let journey = json!({
        "first": {"at": "2026-02-20T15:00:00Z", "utm_source": "google", "utm_campaign": "spring", "gclid": "Cj0abc",
                  "landing_page": "https://www.harborhealth.example/laser?utm_source=google", "referrer": "https://www.google.com/"},
        "latest": {"at": "2026-03-03T15:20:00Z", "utm_source": "newsletter", "utm_medium": "email",
                   "landing_page": "https://www.harborhealth.example/pricing?utm_source=newsletter"},
        "visits": 4, "visitor": visitor
    })
    .to_string();
    let fields = |phone: &'static str| {
        vec![
            ("form_id", "inquiry"),
            ("form_language", "es"),
            ("service_line", "med_spa"),
            ("first_name", "Ana"),
            ("phone", phone),
            ("message", "Me interesa el láser; prefiero por la tarde"),
            ("how_did_you_hear", "Una amiga"),
            ("consent_sms", "true"),
            ("consent_sms_version", "2026-03-sms-es"),
            ("consent_email", "false"),
            ("consent_email_version", "2026-03-email-es"),
            ("page_url", "https://www.harborhealth.example/contacto"),
            ("website", ""),
        ]
    };
    let submit = |phone: &'static str, extra: Vec<(&'static str, String)>| {
        let mut pairs: Vec<(&str, String)> = fields(phone).into_iter().map(|(k, v)| (k, v.to_string())).collect();
        pairs.extend(extra);
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        let r = &r;
        async move { post(r, "/leads", &[FORM, ("origin", SITE)], body).await }
    };
    let with = |t: &str| vec![("form_start", t.to_string()), ("journey", journey.clone())];

    // Sent the moment it was shown: refused, in Spanish, nothing stored.
    let fast = submit("201-555-0148", with(&token)).await;
    assert_eq!(fast.status, 422, "{}", fast.body);
    assert_eq!(fast.json()["fields"][0]["code"], "submitted_too_fast");
    assert_eq!(fast.json()["fields"][0]["message"], "Tómese un momento para revisar sus datos y vuelva a enviar.");
    // A person takes a while; then a wrong phone number: named, in Spanish, nothing stored.
    clock.advance(Duration::seconds(40));
    let wrong = submit("12", with(&token)).await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        wrong.json()["fields"],
        json!([{"field": "phone", "code": "invalid_phone", "message": "Escriba un teléfono válido con su código de área."}])
    );
    assert_eq!(wrong.headers.get("access-control-allow-origin").unwrap(), SITE);
    assert_eq!(r.system.store.lead_count(), 0);

    let ok = submit("201-555-0148", with(&token)).await;
    assert_eq!(ok.status, 202, "{}", ok.body);
    let id: LeadId = leadflow_tests::leads::lead_of(&r.system.store, &ok.json());
    leadflow_tests::runner::wait_for_consumers(&r.system).await;
    let lead = s.leads.get(id).await.unwrap().unwrap();
    assert_eq!(lead.context.concern.as_ref().unwrap().as_str(), "Me interesa el láser; prefiero por la tarde");
    let extras: Vec<(&str, &str, &str)> =
        lead.context.extras.iter().map(|e| (e.name.as_str(), e.label.as_str(), e.value.as_str())).collect();
    assert_eq!(extras, vec![("how_did_you_hear", "How did you hear about us?", "Una amiga")]);
    assert_eq!(lead.context.preferences.language.as_ref().unwrap().as_str(), "es");
    let sms = lead.consent.sms.as_ref().unwrap();
    let text = &s.config.consent_text_of("2026-03-sms-es").unwrap();
    assert!(sms.granted);
    assert_eq!((sms.text_version.as_str(), sms.text_sha256.as_str()), ("2026-03-sms-es", text.sha256.as_str()));
    assert_eq!(sms.evidence.page.as_ref().unwrap().as_str(), "https://www.harborhealth.example/contacto");
    assert_eq!((sms.evidence.form.as_deref(), sms.evidence.language.as_deref()), (Some("inquiry"), Some("es")));
    assert_eq!(sms.at, clock.now());
    let email = lead.consent.email.as_ref().unwrap();
    assert_eq!((email.granted, email.text_version.as_str()), (false, "2026-03-email-es"));
    // The latest touch is the inquiry's source; the first one is kept with it.
    assert_eq!(lead.source.detail.utm_source.as_ref().unwrap().as_str(), "newsletter");
    let j = lead.source.journey.as_ref().unwrap();
    assert_eq!((j.first.detail.gclid.as_ref().unwrap().as_str(), j.visits), ("Cj0abc", 4));

    // The timeline: the first visit as its own touchpoint, the site's visits joined (a page
    // view outside the configured pages without its path), the inquiry.
    let timeline = s.timeline.list(id, None, 100).await.unwrap().items;
    let first_visit = timeline.iter().find_map(|e| match &e.kind {
        TimelineKind::TouchpointRecorded { touchpoint } if e.actor == Actor::Lead => Some(touchpoint.clone()),
        _ => None,
    });
    assert_eq!(first_visit.unwrap().detail.utm_source.unwrap().as_str(), "google");
    let joined: Vec<(TouchpointKind, Option<String>)> = timeline
        .iter()
        .filter(|e| e.actor == Actor::System("site".into()))
        .filter_map(|e| match &e.kind {
            TimelineKind::TouchpointRecorded { touchpoint } => {
                Some((touchpoint.kind, touchpoint.page.as_ref().map(|p| p.as_str().to_string())))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        joined,
        vec![
            (TouchpointKind::PageView, Some("/pricing".into())),
            (TouchpointKind::PageView, None),
            (TouchpointKind::PageView, Some("/".into())),
            (TouchpointKind::Download, None)
        ]
    );
    // The score counted them.
    let score = lead.score.as_ref().expect("scored");
    assert!(score.contributions.iter().any(|c| c.signal == "pricing_page_views" && c.points > 0), "{:?}", score.contributions);
    assert!(score.contributions.iter().any(|c| c.signal == "downloads" && c.points > 0));
    // The acknowledgement went out with consent.
    assert!(r.system.outbox.entries().iter().any(|m| m.channel == "sms" && m.recipient == "+12015550148"));
    // A bot: the honeypot filled, nothing more stored.
    let mut pairs: Vec<(&str, String)> = fields("201-555-0150").into_iter().map(|(k, v)| (k, v.to_string())).collect();
    pairs.retain(|(k, _)| *k != "website");
    pairs.extend([("website", "http://cheap.example".to_string()), ("form_start", token.clone())]);
    let bot = post(&r, "/leads", &[FORM], serde_urlencoded::to_string(&pairs).unwrap()).await;
    assert_eq!((bot.status, bot.json()["error"].as_str()), (422, Some("submission_rejected")));
    leadflow_tests::runner::wait_for_consumers(&r.system).await;
    assert_eq!(r.system.store.lead_count(), 1, "the bot stored nothing");

    // Reports: visits and days before inquiry, per source.
    let admin = post(&r, "/local/dev-token", &[], json!({"user": "a-1", "role": "admin"}).to_string()).await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let report =
        send(&r.base_url(), "GET", "/reports/kpis?from=2026-03-01&to=2026-03-31&dimension=source", Some(&admin), &[], String::new()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let rows = report.json()["rows"].as_array().unwrap().clone();
    let newsletter = rows.iter().find(|r| r["key"] == "newsletter").expect("the newsletter row");
    assert_eq!(newsletter["journeys"], 1);
    assert_eq!(newsletter["visits_before_inquiry_avg"], 4.0);
    // 2026-02-20 15:00 UTC to the inquiry (2026-03-03 15:30:40 UTC): 11.0 days.
    assert_eq!(newsletter["days_first_visit_to_inquiry_avg"], 11.0);

    // Attribution uses both touches: qualified, the first touch credits the ad that first
    // brought the person, the last touch the newsletter that brought them back; the joined
    // page views earn nothing.
    let qualified = send(
        &r.base_url(),
        "POST",
        &format!("/leads/{id}/status"),
        Some(&admin),
        &[("content-type", "application/json")],
        json!({"to": "qualified"}).to_string(),
    )
    .await;
    assert_eq!(qualified.status, 200, "{}", qualified.body);
    leadflow_tests::runner::wait_for_consumers(&r.system).await;
    let path = "/reports/attribution?from=2026-03-01&to=2026-03-31&milestone=qualified&dimension=source";
    let attribution = send(&r.base_url(), "GET", path, Some(&admin), &[], String::new()).await.json();
    let row = |key: &str| attribution["rows"].as_array().unwrap().iter().find(|r| r["key"] == key).cloned().unwrap_or(Value::Null);
    assert_eq!(
        (row("google")["first_touch_conversions"].as_f64(), row("google")["last_touch_conversions"].as_f64()),
        (Some(1.0), Some(0.0))
    );
    assert_eq!(
        (row("newsletter")["first_touch_conversions"].as_f64(), row("newsletter")["last_touch_conversions"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    assert_eq!(row("google")["linear_conversions"].as_f64(), Some(0.5), "two marketing touches, the page views not among them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_without_javascript_posts_back_with_inline_errors_then_redirects() {
    let (r, clock) = runner().await;
    let page = get(
        &r,
        "/forms/inquiry/page?lang=en&return=https%3A%2F%2Fwww.harborhealth.example%2Fthanks",
        &[("referer", "https://www.harborhealth.example/contact")],
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type(), "text/html; charset=utf-8");
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-") && csp.contains("frame-ancestors https://www.harborhealth.example"),
        "{csp}"
    );
    assert!(!page.body.contains("<script"));
    assert!(page.body.contains("name=\"redirect_to\" value=\"https://www.harborhealth.example/thanks\""));
    assert!(page.body.contains("name=\"page_url\" value=\"https://www.harborhealth.example/contact\""));
    let token = page.body.split("name=\"form_start\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    clock.advance(Duration::seconds(30));

    let form = |phone: &str| {
        encode(&[
            ("reply_as", "html"),
            ("form_id", "inquiry"),
            ("form_language", "en"),
            ("redirect_to", "https://www.harborhealth.example/thanks"),
            ("form_start", &token),
            ("service_line", "wound_care"),
            ("first_name", "Bea"),
            ("phone", phone),
            ("consent_sms", "true"),
            ("consent_sms_version", "2026-03-sms"),
            ("consent_email_version", "2026-03-email"),
        ])
    };
    let refused = post(&r, "/leads", &[FORM], form("555")).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.content_type(), "text/html; charset=utf-8");
    assert!(refused.body.contains("<p class=\"lf-error\" id=\"lf-f-phone-error\">Enter a valid phone number with its area code.</p>"));
    assert!(refused.body.contains("value=\"Bea\""), "what the person typed is kept");
    assert!(refused.body.contains(&format!("name=\"form_start\" value=\"{token}\"")), "the same start token");
    assert!(refused.body.contains("action=\"leads\""));
    assert_eq!(r.system.store.lead_count(), 0);

    let accepted = post(&r, "/leads", &[FORM], form("201-555-0161")).await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert_eq!(accepted.headers.get("location").unwrap(), "https://www.harborhealth.example/thanks");
    leadflow_tests::runner::wait_for_consumers(&r.system).await;
    assert_eq!(r.system.store.lead_count(), 1);
    assert!(r.system.outbox.entries().iter().any(|m| m.channel == "sms" && m.recipient == "+12015550161"));
}
