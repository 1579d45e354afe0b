//! `hygiene`: the daily data-hygiene job (duplicates since the last run), invoked by an
//! EventBridge schedule. All logic lives in `leadflow::handlers::hygiene`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::schedule(services, leadflow::handlers::hygiene::handle))
}
