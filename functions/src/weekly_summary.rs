//! `weekly-summary`: last week's KPIs emailed to the configured staff recipients, invoked by an
//! EventBridge schedule every Monday. All logic lives in `leadflow::handlers::weekly_summary`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::schedule(services, leadflow::handlers::weekly_summary::handle))
}
