//! `links`: the pages signed links open (`GET`/`POST /links/confirm`: confirming a contact point
//! a later inquiry gave). All logic lives in `leadflow::handlers::links`.

leadflow::http_function!(leadflow::handlers::links::handle);
