//! `unsubscribe`: `GET /unsubscribe` (a page with one button) and `POST /unsubscribe` (the
//! button, and RFC 8058 one-click) for the signed links in emails. Public; the handler verifies
//! the link's token before anything is read. All logic lives in `leadflow::handlers::unsubscribe`.

crate::serve::entry!(http, leadflow::handlers::unsubscribe::route);
