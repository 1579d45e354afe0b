//! `links`: the pages signed links open (`GET`/`POST /links/confirm`: confirming a contact point
//! a later inquiry gave). Public: the link's signed token is the authorization. All logic lives
//! in `leadflow::handlers::links`.

crate::serve::entry!(http, leadflow::handlers::links::handle);
