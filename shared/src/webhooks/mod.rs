//! Integration webhooks: sender verification with each provider's documented scheme, and the
//! reading of each provider's payload into one normalized event. The HTTP side is
//! `handlers::webhooks`; the work on the events is `app::inbound`.

pub mod payloads;
pub mod signature;
pub mod sns;
