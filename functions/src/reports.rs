//! `reports`: the report and spend routes (`GET /reports/...`, `GET|POST /spend`, `POST
//! /spend/import`), behind the JWT authorizer. All logic lives in `leadflow::handlers::reports`.

crate::serve::entry!(http, leadflow::handlers::reports::handle);
