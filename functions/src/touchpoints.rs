//! `touchpoints`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::touchpoints`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::touchpoints::handle))
}
