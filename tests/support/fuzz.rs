//! Generated inputs for property tests of parsers that face the internet: the intake form reader
//! (`tests/properties/fuzz_intake.rs`) and the webhook parsers and signature checks
//! (`tests/properties/fuzz_webhooks.rs`). A parser under test must never panic, and its errors must never
//! repeat what was sent.
//!
//! ```ignore
//! proptest! {
//!     #![proptest_config(fuzz::config(2_000))]
//!     #[test]
//!     fn twilio_webhook_never_panics(body in fuzz::form_body(), sig in fuzz::header_value()) {
//!         let _ = parse_twilio(&body, &sig);
//!     }
//! }
//! ```

use proptest::prelude::*;
use proptest::test_runner::Config;

/// A bounded run: `cases` inputs, no persistence files, no forking (CI stays fast and clean).
pub fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, max_shrink_iters: 2_000, ..Config::default() }
}

/// Text that stresses parsers: control characters, markup, quotes, percent signs, non-ASCII,
/// lone surrogates' replacement, very long runs.
pub fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 _%&=+@<>\"'\\\\;:,./?#-]{0,80}",
        "[\\x00-\\x1f\\x7f]{0,8}[a-z]{0,8}",
        Just("<script>alert(1)</script>".to_string()),
        Just("%00%ff%".to_string()),
        Just("\u{202e}\u{200b}\u{feff}".to_string()),
        (1usize..3000).prop_map(|n| "9".repeat(n)),
    ]
}

/// Field names: known ones, near misses and garbage.
pub fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(leadflow::domain::intake_form::KNOWN_FIELDS.to_vec()).prop_map(str::to_string),
        "[a-z_]{1,12}",
        any::<String>(),
    ]
}

/// A JSON document of any shape, a few levels deep.
pub fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)),
        nasty_text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8).prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A flat JSON object of form fields, as a form script would post.
pub fn json_form() -> impl Strategy<Value = String> {
    prop::collection::btree_map(field_name(), nasty_text(), 0..12).prop_map(|m| serde_json::to_string(&m).unwrap_or_default())
}

/// An `application/x-www-form-urlencoded` body, well-formed or not.
pub fn form_body() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec((field_name(), nasty_text()), 0..12).prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap_or_default()),
        "[a-z_=&%0-9A-F+]{0,200}",
        any::<String>(),
    ]
}

/// Raw body bytes of any kind.
pub fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_form().prop_map(String::into_bytes),
        form_body().prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
}

/// A `content-type` header value.
pub fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(Some("application/json".to_string())),
        Just(Some("application/x-www-form-urlencoded".to_string())),
        Just(Some("application/json; charset=latin1".to_string())),
        Just(Some("multipart/form-data; boundary=x".to_string())),
        Just(None),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

/// A header value (a signature, a timestamp) of any shape.
pub fn header_value() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9a-f]{64}", "sha256=[0-9a-f]{0,70}", "[A-Za-z0-9+/=]{0,60}", "[ -~]{0,100}"]
}
