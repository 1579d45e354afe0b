//! `cadence-api`: an HTTP API Lambda behind the Cognito JWT authorizer (tasks, cadence pause and
//! resume). All logic lives in `leadflow::handlers::cadence_api`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::cadence_api::handle))
}
