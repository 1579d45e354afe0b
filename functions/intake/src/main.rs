//! `intake`: the `POST /leads` Lambda. All logic lives in `leadflow::handlers::intake`.

leadflow::http_function!(leadflow::handlers::intake::handle);
