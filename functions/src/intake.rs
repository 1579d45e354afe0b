//! `intake`: the `POST /leads` Lambda. All logic lives in `leadflow::handlers::intake`.

crate::serve::entry!(http, leadflow::handlers::intake::handle);
