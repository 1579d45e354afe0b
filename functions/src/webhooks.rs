//! `webhooks`: the public `POST /webhooks/...` routes. Each request is verified with its
//! provider's signature scheme, stored once and queued. All logic lives in
//! `leadflow::handlers::webhooks`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::webhooks::handle))
}
