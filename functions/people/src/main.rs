//! `people`: `GET /people/{id}/export` and `DELETE /people/{id}` for administrators. All logic
//! lives in `leadflow::handlers::people`; API Gateway's JWT authorizer runs first.

leadflow::http_function!(leadflow::handlers::people::handle);
