//! `sources`: the source-tag audit (`GET /sources/audit`) and bulk re-tagging (`POST
//! /sources/retag`), behind the JWT authorizer. All logic lives in `leadflow::handlers::sources`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::sources::handle))
}
