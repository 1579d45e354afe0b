//! What a handler reads off an API Gateway (HTTP API, payload v2) request besides its body.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The caller's IP address as API Gateway saw it.
pub fn source_ip(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
}

/// API Gateway's request id, for correlating an error answer with logs.
pub fn request_id(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
}

/// A header as text, if present and visible ASCII.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `https://` and the domain the request was made to (API Gateway's `domainName`), if known.
pub fn public_url(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.clone().filter(|d| !d.is_empty()).map(|d| format!("https://{d}")),
        _ => None,
    }
}

/// Reads a JSON object body into `T`, which names the fields a route takes: a body that is not
/// such an object (bad JSON, an array, a missing or mistyped field) is 400 `malformed_body`
/// with `malformed` as its message; one with fields `T` does not take is 422 naming each as
/// `unknown_field`. An error never repeats a value that was sent.
#[allow(clippy::result_large_err)]
pub fn strict_json<T: serde::de::DeserializeOwned>(bytes: &[u8], malformed: &str) -> Result<T, lambda_http::Response<lambda_http::Body>> {
    use crate::domain::intake_form::{shown_field_name, FieldError};
    let malformed = || crate::http::error_response(400, "malformed_body", malformed, None);
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes).map_err(|_| malformed())?;
    let mut unknown = Vec::new();
    let read = serde_ignored::deserialize(serde_json::Value::Object(object), |path| {
        unknown.push(FieldError::new(&shown_field_name(&path.to_string()), "unknown_field", "this field is not accepted here"))
    });
    if !unknown.is_empty() {
        return Err(super::staff::invalid(&unknown));
    }
    read.map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::strict_json;
    use lambda_http::Body;

    #[derive(Debug, serde::Deserialize)]
    struct Note {
        #[allow(dead_code)]
        note: String,
    }

    fn answer(body: &str) -> (u16, serde_json::Value) {
        let r = strict_json::<Note>(body.as_bytes(), "send {\"note\"}").expect_err("refused");
        let Body::Text(t) = r.body() else { panic!("a JSON body") };
        (r.status().as_u16(), serde_json::from_str(t).unwrap())
    }

    #[test]
    fn unknown_fields_are_named_and_unreadable_bodies_are_malformed() {
        assert!(strict_json::<Note>(br#"{"note": "called"}"#, "").is_ok());
        let (status, body) = answer(r#"{"note": "called", "when": 1, "Who Else": 2}"#);
        assert_eq!(status, 422);
        let named: Vec<(&str, &str)> =
            body["fields"].as_array().unwrap().iter().map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap())).collect();
        assert_eq!(named, [("(unknown)", "unknown_field"), ("when", "unknown_field")]);
        // Unknown and missing at once: the unknown ones are named.
        assert_eq!(answer(r#"{"when": 1}"#).0, 422);
        for unreadable in ["", "{", r#"["called"]"#, r#"{"note": 1}"#, r#"{"note": "a"} x"#, "{}"] {
            assert_eq!(
                answer(unreadable),
                (400, serde_json::json!({"error": "malformed_body", "message": "send {\"note\"}"})),
                "{unreadable}"
            );
        }
    }
}
