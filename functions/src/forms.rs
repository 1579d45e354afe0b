//! `forms`: the embeddable form's public routes (the page script, each form's definition, a
//! signed start token, the page without JavaScript) and the site snippet's beacons
//! (`POST /visits`). All logic lives in `leadflow::handlers::forms`.

use crate::serve::{self, Init};
use leadflow::wiring::settings::FunctionSettings;

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, leadflow::handlers::forms::handle))
}
