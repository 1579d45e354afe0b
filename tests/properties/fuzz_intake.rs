//! Property tests over the intake parser: thousands of generated bodies, content types and
//! field values. Nothing panics, every answer is one of the documented statuses, and no error
//! repeats a submitted value. Bounded (cases below), so CI runs it every time.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use leadflow::config::Config;
use leadflow::domain::intake_form::{parse_submission, RawSubmission};
use leadflow::http::read_form;
use leadflow::ports::ManualClock;
use leadflow::wiring::embedded::EmbeddedSystem;
use leadflow_tests::fuzz;
use leadflow_tests::leads::base_time;
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| Config::embedded_default().unwrap())
}

/// Values long and odd enough that finding one in an error means it was echoed.
fn echoed(error_text: &str, sent: &[String]) -> Option<String> {
    sent.iter()
        .filter(|v| v.chars().count() >= 6 && !leadflow::domain::intake_form::KNOWN_FIELDS.contains(&v.as_str()))
        .find(|v| error_text.contains(v.as_str()))
        .cloned()
}

proptest! {
    #![proptest_config(fuzz::config(3_000))]

    #[test]
    fn the_body_reader_and_validator_never_panic(ct in fuzz::content_type(), body in fuzz::body_bytes()) {
        let parsed = read_form(ct.as_deref(), &Body::Binary(body));
        if let Ok(form) = parsed {
            let raw = RawSubmission { fields: form.fields, ip: Some("203.0.113.9".into()), user_agent: None };
            let _ = parse_submission(&raw, config(), base_time());
        }
    }

    #[test]
    fn field_errors_never_repeat_the_values(fields in prop::collection::btree_map(fuzz::field_name(), fuzz::nasty_text(), 0..12)) {
        let raw = RawSubmission { fields: fields.clone().into_iter().collect(), ip: None, user_agent: None };
        if let Err(errors) = parse_submission(&raw, config(), base_time()) {
            let values: Vec<String> = fields.values().cloned().collect();
            for e in errors {
                let text = format!("{} {}", e.field, e.message);
                prop_assert!(echoed(&text, &values).is_none(), "error {text:?} repeats a submitted value");
            }
        }
    }
}

fn request(ct: Option<&str>, body: Vec<u8>) -> lambda_http::Request {
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.http.source_ip = Some("203.0.113.9".into());
    let mut b = http::Request::post("/leads");
    if let Some(ct) = ct {
        if let Ok(v) = http::HeaderValue::from_str(ct) {
            b = b.header("content-type", v);
        }
    }
    b.body(Body::Binary(body)).unwrap().with_request_context(RequestContext::ApiGatewayV2(ctx))
}

proptest! {
    #![proptest_config(fuzz::config(1_000))]

    #[test]
    fn the_handler_answers_every_body_with_a_documented_status(ct in fuzz::content_type(), body in fuzz::body_bytes()) {
        static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
        static SYSTEM: OnceLock<EmbeddedSystem> = OnceLock::new();
        let rt = RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap());
        let system = SYSTEM.get_or_init(|| EmbeddedSystem::new(config().clone(), Arc::new(ManualClock::new(base_time()))));
        let sent = String::from_utf8_lossy(&body).to_string();
        let resp = rt.block_on(leadflow::handlers::intake::handle(&system.services, request(ct.as_deref(), body)));
        let status = resp.status().as_u16();
        // 429: the rate limits are on in the shipped configuration (a thousand posts from one address).
        prop_assert!([202, 303, 400, 413, 415, 422, 429].contains(&status), "status {status}");
        if status >= 400 {
            let Body::Text(text) = resp.body() else { return Err(TestCaseError::fail("error bodies are JSON text")) };
            let v: serde_json::Value = serde_json::from_str(text).map_err(|_| TestCaseError::fail("error bodies are JSON"))?;
            prop_assert!(v["error"].is_string());
            // Any submitted JSON string value of some length must not come back.
            if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&sent) {
                let values: Vec<String> = m.values().filter_map(|v| v.as_str().map(str::to_string)).collect();
                prop_assert!(echoed(text, &values).is_none(), "error body {text} repeats a submitted value");
            }
        }
    }
}
