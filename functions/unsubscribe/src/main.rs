//! `unsubscribe`: `GET /unsubscribe` (a page with one button) and `POST /unsubscribe` (the
//! button, and RFC 8058 one-click) for the signed links in emails. Public; the handler verifies
//! the link's token before anything is read. All logic lives in `leadflow::handlers::unsubscribe`.

async fn route(services: &leadflow::app::Services, req: lambda_http::Request) -> lambda_http::Response<lambda_http::Body> {
    if req.method() == lambda_http::http::Method::GET {
        leadflow::handlers::unsubscribe::confirm_page(services, req).await
    } else {
        leadflow::handlers::unsubscribe::handle(services, req).await
    }
}

leadflow::http_function!(route);
