//! `weekly-summary`: last week's KPIs emailed to the configured staff recipients, invoked by an
//! EventBridge schedule every Monday. All logic lives in `leadflow::handlers::weekly_summary`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::schedule(services, leadflow::handlers::weekly_summary::handle))
}
