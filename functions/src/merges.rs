//! `merges`: duplicate review and merges (`GET /merge/reviews`, `POST
//! /merge/reviews/{pair}/accept|reject`, `POST /leads/{id}/merge|unmerge`), behind the JWT
//! authorizer. All logic lives in `leadflow::handlers::merges`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::merges::handle))
}
