//! `leads-api`: the team's lead routes (`GET /leads`, `GET /leads/{id}`, `POST
//! /leads/{id}/status|stakeholders|milestones`), behind the JWT authorizer. All logic lives in
//! `leadflow::handlers::leads_api`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::leads_api::handle))
}
