//! Reads a form submission from a request body: `application/json` (a flat object) or
//! `application/x-www-form-urlencoded` (what a plain HTML form posts), size-limited and strict.

use crate::domain::intake_form::FieldError;
use lambda_http::Body;
use std::collections::BTreeMap;

/// Largest body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How the body was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEncoding {
    Json,
    UrlEncoded,
}

/// A decoded form: flat text fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormBody {
    pub encoding: FormEncoding,
    pub fields: BTreeMap<String, String>,
}

/// Why a body could not be read, each mapping to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("send application/json or application/x-www-form-urlencoded")]
    UnsupportedMediaType,
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    Malformed(&'static str),
    #[error("some fields are not usable")]
    Fields(Vec<FieldError>),
}

impl BodyError {
    pub fn status(&self) -> u16 {
        match self {
            BodyError::UnsupportedMediaType => 415,
            BodyError::TooLarge => 413,
            BodyError::Malformed(_) => 400,
            BodyError::Fields(_) => 422,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            BodyError::UnsupportedMediaType => "unsupported_media_type",
            BodyError::TooLarge => "payload_too_large",
            BodyError::Malformed(_) => "malformed_body",
            BodyError::Fields(_) => "validation_failed",
        }
    }
}

/// The media type of a `content-type` header value, lower-cased, without parameters; a
/// charset other than UTF-8 is refused.
fn media_type(content_type: Option<&str>) -> Result<FormEncoding, BodyError> {
    let ct = content_type.ok_or(BodyError::UnsupportedMediaType)?.to_ascii_lowercase();
    let mut parts = ct.split(';').map(str::trim);
    let kind = match parts.next() {
        Some("application/json") => FormEncoding::Json,
        Some("application/x-www-form-urlencoded") => FormEncoding::UrlEncoded,
        _ => return Err(BodyError::UnsupportedMediaType),
    };
    for p in parts {
        if let Some(cs) = p.strip_prefix("charset=") {
            if !matches!(cs.trim_matches('"'), "utf-8" | "utf8") {
                return Err(BodyError::UnsupportedMediaType);
            }
        }
    }
    Ok(kind)
}

/// Longest field name accepted; longer names are not form fields.
const MAX_FIELD_NAME: usize = 64;

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_FIELD_NAME && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads the body per its content type.
pub fn read_form(content_type: Option<&str>, body: &Body) -> Result<FormBody, BodyError> {
    let encoding = media_type(content_type)?;
    let bytes: &[u8] = match body {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => return Err(BodyError::Malformed("the body could not be read")),
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Malformed("the body is empty"));
    }
    let fields = match encoding {
        FormEncoding::Json => read_json(bytes)?,
        FormEncoding::UrlEncoded => read_urlencoded(bytes)?,
    };
    Ok(FormBody { encoding, fields })
}

fn read_json(bytes: &[u8]) -> Result<BTreeMap<String, String>, BodyError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| BodyError::Malformed("the body is not valid JSON"))?;
    let serde_json::Value::Object(map) = value else {
        return Err(BodyError::Malformed("the body must be a JSON object"));
    };
    let mut fields = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, v) in map {
        if !valid_name(&name) {
            errors.push(FieldError::new("(name)", "invalid_field_name", "field names are letters, digits, _ and - (at most 64)"));
            continue;
        }
        let text = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Array(items) => {
                let mut parts = Vec::new();
                for item in items {
                    match item {
                        serde_json::Value::String(s) => parts.push(s),
                        serde_json::Value::Number(n) => parts.push(n.to_string()),
                        _ => {
                            errors.push(FieldError::new(&name, "invalid_type", format!("{name} must hold text or a list of text")));
                            break;
                        }
                    }
                }
                parts.join(",")
            }
            serde_json::Value::Object(_) => {
                errors.push(FieldError::new(&name, "invalid_type", format!("{name} must be text, a number or true/false")));
                continue;
            }
        };
        fields.insert(name, text);
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(BodyError::Fields(errors))
    }
}

fn read_urlencoded(bytes: &[u8]) -> Result<BTreeMap<String, String>, BodyError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(BodyError::Malformed("the body is not UTF-8"));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|_| BodyError::Malformed("the body is not form-encoded"))?;
    let mut fields = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, value) in pairs {
        if !valid_name(&name) {
            errors.push(FieldError::new("(name)", "invalid_field_name", "field names are letters, digits, _ and - (at most 64)"));
            continue;
        }
        if fields.contains_key(&name) {
            errors.push(FieldError::new(&name, "duplicate_field", format!("{name} was sent more than once")));
            continue;
        }
        fields.insert(name, value);
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        errors.dedup();
        Err(BodyError::Fields(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Body {
        Body::Text(s.to_string())
    }

    #[test]
    fn json_and_form_bodies_become_the_same_fields() {
        let j = read_form(
            Some("application/json; charset=utf-8"),
            &text(r#"{"first_name":"Ann","consent_sms":true,"age":42,"industry_experience":["a","b"],"x":null}"#),
        )
        .unwrap();
        assert_eq!(j.fields["first_name"], "Ann");
        assert_eq!(j.fields["consent_sms"], "true");
        assert_eq!(j.fields["age"], "42");
        assert_eq!(j.fields["industry_experience"], "a,b");
        assert!(!j.fields.contains_key("x"));
        let f = read_form(Some("Application/X-WWW-Form-Urlencoded"), &text("first_name=Ann+Lee&consent_sms=on&note=a%26b")).unwrap();
        assert_eq!(f.fields["first_name"], "Ann Lee");
        assert_eq!(f.fields["note"], "a&b");
    }

    #[test]
    fn each_kind_of_bad_body_has_its_status() {
        assert_eq!(read_form(None, &text("{}")).unwrap_err().status(), 415);
        assert_eq!(read_form(Some("text/plain"), &text("{}")).unwrap_err().status(), 415);
        assert_eq!(read_form(Some("multipart/form-data; boundary=x"), &text("x")).unwrap_err().status(), 415);
        assert_eq!(read_form(Some("application/json; charset=latin1"), &text("{}")).unwrap_err().status(), 415);
        assert_eq!(read_form(Some("application/json"), &text("{\"a\":")).unwrap_err().status(), 400);
        assert_eq!(read_form(Some("application/json"), &text("[1,2]")).unwrap_err().status(), 400);
        assert_eq!(read_form(Some("application/json"), &text("")).unwrap_err().status(), 400);
        assert_eq!(read_form(Some("application/x-www-form-urlencoded"), &Body::Binary(vec![b'a', b'=', 0xff])).unwrap_err().status(), 400);
        let big = format!("{{\"concern\":\"{}\"}}", "a".repeat(MAX_BODY_BYTES));
        assert_eq!(read_form(Some("application/json"), &text(&big)).unwrap_err(), BodyError::TooLarge);
    }

    #[test]
    fn nested_values_duplicates_and_odd_names_are_field_errors() {
        let BodyError::Fields(e) = read_form(Some("application/json"), &text(r#"{"first_name":{"a":1}}"#)).unwrap_err() else { panic!() };
        assert_eq!((e[0].field.as_str(), e[0].code), ("first_name", "invalid_type"));
        let BodyError::Fields(e) = read_form(Some("application/x-www-form-urlencoded"), &text("phone=1&phone=2")).unwrap_err() else {
            panic!()
        };
        assert_eq!((e[0].field.as_str(), e[0].code), ("phone", "duplicate_field"));
        let BodyError::Fields(e) = read_form(Some("application/json"), &text(r#"{"<script>":"x"}"#)).unwrap_err() else { panic!() };
        assert_eq!(e[0].code, "invalid_field_name");
    }
}
