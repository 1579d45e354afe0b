//! `unsubscribe`: `GET /unsubscribe` (a page with one button) and `POST /unsubscribe` (the
//! button, and RFC 8058 one-click) for the signed links in emails. Public; the handler verifies
//! the link's token before anything is read. All logic lives in `leadflow::handlers::unsubscribe`.

use crate::serve::{self, Init};
use lambda_http::{Body, Request, Response};
use leadflow::app::Services;
use leadflow::wiring::settings::FunctionSettings;

async fn route(services: &Services, req: Request) -> Response<Body> {
    if req.method() == lambda_http::http::Method::GET {
        leadflow::handlers::unsubscribe::confirm_page(services, req).await
    } else {
        leadflow::handlers::unsubscribe::handle(services, req).await
    }
}

pub async fn init(settings: &'static FunctionSettings) -> Init {
    let services = leadflow::wiring::aws::init_from_env(settings).await?;
    Ok(serve::http(services, route))
}
