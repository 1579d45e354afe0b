//! `webhooks`: the public `POST /webhooks/...` routes. Each request is verified with its
//! provider's signature scheme, stored once and queued. All logic lives in
//! `leadflow::handlers::webhooks`.

use crate::serve::{self, Init};
use leadflow::ports::Consumer;

pub async fn init() -> Init {
    serve::require_queues(&[Consumer::Webhooks])?;
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::webhooks::handle))
}
