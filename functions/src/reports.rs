//! `reports`: the report and spend routes (`GET /reports/...`, `GET|POST /spend`, `POST
//! /spend/import`), behind the JWT authorizer. All logic lives in `leadflow::handlers::reports`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::reports::handle))
}
