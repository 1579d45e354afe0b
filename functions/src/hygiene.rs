//! `hygiene`: the daily data-hygiene job (duplicates since the last run), invoked by an
//! EventBridge schedule. All logic lives in `leadflow::handlers::hygiene`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::schedule(services, leadflow::handlers::hygiene::handle))
}
