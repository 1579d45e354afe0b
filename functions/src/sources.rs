//! `sources`: the source-tag audit (`GET /sources/audit`) and bulk re-tagging (`POST
//! /sources/retag`), behind the JWT authorizer. All logic lives in `leadflow::handlers::sources`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::sources::handle))
}
