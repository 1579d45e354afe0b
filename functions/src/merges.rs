//! `merges`: duplicate review and merges (`GET /merge/reviews`, `POST
//! /merge/reviews/{pair}/accept|reject`, `POST /leads/{id}/merge|unmerge`), behind the JWT
//! authorizer. All logic lives in `leadflow::handlers::merges`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::merges::handle))
}
