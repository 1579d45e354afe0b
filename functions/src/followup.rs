//! `followup`: runs the due follow-up cadence steps, invoked every minute by an EventBridge
//! schedule. All logic lives in `leadflow::handlers::followup`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::schedule(services, leadflow::handlers::followup::handle))
}
