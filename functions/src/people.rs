//! `people`: `GET /people/{id}/export` and `DELETE /people/{id}` for administrators. All logic
//! lives in `leadflow::handlers::people`; API Gateway's JWT authorizer runs first.

crate::serve::entry!(http, leadflow::handlers::people::handle);
