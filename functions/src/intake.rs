//! `intake`: the `POST /leads` Lambda. All logic lives in `leadflow::handlers::intake`.

use crate::serve::{self, Init};

pub async fn init() -> Init {
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::intake::handle))
}
