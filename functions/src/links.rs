//! `links`: the pages signed links open (`GET`/`POST /links/confirm`: confirming a contact point
//! a later inquiry gave). Public: the link's signed token is the authorization. All logic lives
//! in `leadflow::handlers::links`.

use crate::serve::{self, Init};
use leadflow::ports::Consumer;

pub async fn init() -> Init {
    serve::require_queues(&[Consumer::Score, Consumer::Analytics])?;
    let services = leadflow::runtime::aws::init_from_env().await?;
    Ok(serve::http(services, leadflow::handlers::links::handle))
}
