//! Structured logs through `tracing`, honouring Lambda's own switches: `AWS_LAMBDA_LOG_FORMAT`
//! (`JSON` or text) and `AWS_LAMBDA_LOG_LEVEL` (falling back to `RUST_LOG`, then `info`).
//! Log lines carry ids (lead, event, message); personal data types print as `<redacted>`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|l| l.to_ascii_lowercase())
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_string());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        // CloudWatch stamps each line; Lambda's JSON format expects one object per line.
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).without_time().try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}
