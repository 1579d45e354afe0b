//! `people`: `GET /people/{id}/export` and `DELETE /people/{id}` for administrators. All logic
//! lives in `leadflow::handlers::people`; API Gateway's JWT authorizer runs first.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::people::handle))
}
