//! `people`: `GET /people/{id}/export` and `DELETE /people/{id}` for administrators. All logic
//! lives in `leadflow::handlers::people`; API Gateway's JWT authorizer runs first.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::people::handle))
}
