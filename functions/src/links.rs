//! `links`: the pages signed links open (`GET`/`POST /links/confirm`: confirming a contact point
//! a later inquiry gave). Public: the link's signed token is the authorization. All logic lives
//! in `leadflow::handlers::links`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::links::handle))
}
