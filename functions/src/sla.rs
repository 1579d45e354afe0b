//! `sla`: the response-time checker, invoked every minute by an EventBridge schedule. All logic
//! lives in `leadflow::handlers::sla`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::schedule(services, leadflow::handlers::sla::handle))
}
