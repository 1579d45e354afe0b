//! `sources`: the source-tag audit (`GET /sources/audit`) and bulk re-tagging (`POST
//! /sources/retag`), behind the JWT authorizer. All logic lives in `leadflow::handlers::sources`.

crate::serve::entry!(http, leadflow::handlers::sources::handle);
