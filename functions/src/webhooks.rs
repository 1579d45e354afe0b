//! `webhooks`: the public `POST /webhooks/...` routes. Each request is verified with its
//! provider's signature scheme, stored once and queued. All logic lives in
//! `leadflow::handlers::webhooks`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::webhooks::handle))
}
