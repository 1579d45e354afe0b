//! `audit`: `GET /audit/leads/{id}` and `GET /audit/users/{id}` for administrators. All logic
//! lives in `leadflow::handlers::audit`; API Gateway's JWT authorizer runs first.

crate::serve::entry!(http, leadflow::handlers::audit::handle);
