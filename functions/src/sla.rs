//! `sla`: the response-time checker, invoked every minute by an EventBridge schedule. All logic
//! lives in `leadflow::handlers::sla`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::schedule(services, leadflow::handlers::sla::handle))
}
