//! `followup`: runs the due follow-up cadence steps, invoked every minute by an EventBridge
//! schedule. All logic lives in `leadflow::handlers::followup`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::schedule(services, leadflow::handlers::followup::handle))
}
