//! `console`: the staff console's pages (`GET /`, `GET|POST /console/...`) behind the HTTP API,
//! signing staff in through the Cognito user pool's hosted UI (authorization code + PKCE). The
//! pages act through the API's own handlers in-process. All logic lives in `leadflow::console`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    let console = leadflow::wiring::aws::console_from_env(services, settings).await?;
    Ok(serve::http_with(console, |console, request| console.handle(request)))
}
