//! `audit`: `GET /audit/leads/{id}` and `GET /audit/users/{id}` for administrators. All logic
//! lives in `leadflow::handlers::audit`; API Gateway's JWT authorizer runs first.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::audit::handle))
}
