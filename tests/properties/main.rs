//! Property tests and generated-data measures: thousands of hostile inputs through the intake
//! and webhook parsers and signature checks, consent after merges over generated histories,
//! business hours over generated weeks, zones and DST changes, and duplicate detection on
//! generated people with known duplicates. Bounded case counts, so the whole binary runs in CI
//! time.
//!
//! One test binary, one module per subject; a new file is one `mod` line below. Run one module
//! with `cargo test --test properties fuzz_intake::`.

mod business_hours;
mod fuzz_intake;
mod fuzz_webhooks;
mod matching_quality;
mod merge_consent;
