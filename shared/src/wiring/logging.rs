//! Structured logs through `tracing`, honouring Lambda's own switches: `AWS_LAMBDA_LOG_FORMAT`
//! (`JSON` or text) and `AWS_LAMBDA_LOG_LEVEL` (falling back to `RUST_LOG`, then `info`).
//!
//! Log lines carry ids (lead, event, message), and personal-data types print as `<redacted>`.
//! As a second line of defence every formatted line passes [`redact`] before it is written:
//! phone numbers and email addresses are masked wherever they appear, and the values of fields
//! whose names say they hold personal data (`phone`, `email`, `first_name`, `concern`, ...) are
//! masked whatever they contain. `tests/log_redaction.rs` runs the whole pipeline with
//! distinctive values through this writer and checks none comes out.

use regex::Regex;
use std::borrow::Cow;
use std::io::Write;
use std::sync::OnceLock;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// What a masked value becomes.
pub const MASK: &str = "<redacted>";

/// Field names whose values are personal data, whatever the value looks like (one list with
/// erasure's: `domain::redact::PERSONAL_FIELDS`).
pub use crate::domain::redact::PERSONAL_FIELDS;

struct Patterns {
    email: Regex,
    phone: Regex,
    json_field: Regex,
    text_field: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let names = PERSONAL_FIELDS.join("|");
        Patterns {
            email: Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+").expect("email pattern"),
            // 10 to 15 digits, optionally led by `+` and split by spaces, dots, dashes or
            // parentheses; not inside a longer run of letters or digits (ids, timestamps).
            phone: Regex::new(r"(?:\+|\(|\b)\d(?:[\s().\-]{0,2}\d){9,14}\b").expect("phone pattern"),
            // `"phone":"..."` (JSON) and `phone=...` / `phone="..."` (text format).
            json_field: Regex::new(&format!(r#""({names})"\s*:\s*"(?:[^"\\]|\\.)*""#)).expect("json field pattern"),
            text_field: Regex::new(&format!(r#"\b({names})=(?:"(?:[^"\\]|\\.)*"|\S+)"#)).expect("text field pattern"),
        }
    })
}

/// `line` with personal data masked.
pub fn redact(line: &str) -> Cow<'_, str> {
    let p = patterns();
    let mut out = Cow::Borrowed(line);
    if p.json_field.is_match(&out) {
        out = Cow::Owned(p.json_field.replace_all(&out, format!(r#""$1":"{MASK}""#).as_str()).into_owned());
    }
    if p.text_field.is_match(&out) {
        out = Cow::Owned(p.text_field.replace_all(&out, format!("$1={MASK}").as_str()).into_owned());
    }
    if p.email.is_match(&out) {
        out = Cow::Owned(p.email.replace_all(&out, MASK).into_owned());
    }
    if p.phone.is_match(&out) {
        out = Cow::Owned(p.phone.replace_all(&out, MASK).into_owned());
    }
    out
}

/// A writer that masks personal data in what passes through it. `tracing-subscriber` formats
/// each event completely and writes it with one call, so each call sees whole lines.
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Wraps a [`MakeWriter`] so every writer it makes redacts.
#[derive(Clone)]
pub struct RedactingMakeWriter<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = Redacting<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting(self.0.make_writer())
    }
}

/// The subscriber leadflow logs through, writing to `writer` (stdout in Lambda; a buffer in
/// tests). `json` selects Lambda's JSON format.
pub fn subscriber<M>(writer: M, json: bool, filter: EnvFilter) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(RedactingMakeWriter(writer));
    if json {
        // CloudWatch stamps each line; Lambda's JSON format expects one object per line.
        Box::new(builder.json().flatten_event(true).with_current_span(true).with_span_list(false).without_time().finish())
    } else {
        Box::new(builder.with_ansi(false).finish())
    }
}

/// Installs the global subscriber once; later calls do nothing.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|l| l.to_ascii_lowercase())
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_string());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, json, filter));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_emails_and_personal_fields_are_masked() {
        for (line, gone) in [
            ("sent to +12015550187 ok", "2015550187"),
            ("call (201) 555-0187 now", "555-0187"),
            ("call 201.555.0187", "555.0187"),
            ("from Ann.Lee+x@Example.co.uk today", "Example.co.uk"),
            (r#"{"level":"INFO","first_name":"Zyx","lead_id":"01JQ"}"#, "Zyx"),
            (r#"{"concern":"it hurts \"a lot\"","x":1}"#, "hurts"),
            ("INFO intake: concern=\"bad knee\" lead_id=01JQ", "knee"),
            ("INFO intake: city=Hoboken lead_id=01JQ", "Hoboken"),
        ] {
            let out = redact(line);
            assert!(!out.contains(gone), "{line} -> {out}");
            assert!(out.contains(MASK), "{line} -> {out}");
        }
    }

    #[test]
    fn ids_times_and_counts_survive() {
        for line in [
            r#"{"lead_id":"01JQ7Z5X2M4K8P0000000000AB","event_id":"01JQ7Z5X2M1234567890123456","speed_to_lead_ms":4123}"#,
            "at 2026-03-03T15:30:00.123Z took 12.5ms",
            r#"{"span":{"name":"intake","lead_id":"01JQ"},"message":"inquiry accepted"}"#,
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
