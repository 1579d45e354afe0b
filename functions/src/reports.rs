//! `reports`: the report and spend routes (`GET /reports/...`, `GET|POST /spend`, `POST
//! /spend/import`), behind the JWT authorizer. All logic lives in `leadflow::handlers::reports`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::reports::handle))
}
