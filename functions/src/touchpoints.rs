//! `touchpoints`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::touchpoints`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::touchpoints::handle))
}
