//! `leads-api`: the team's lead routes (`GET /leads`, `GET /leads/{id}`, `POST
//! /leads/{id}/status|stakeholders|milestones`), behind the JWT authorizer. All logic lives in
//! `leadflow::handlers::leads_api`.

crate::serve::entry!(http, leadflow::handlers::leads_api::handle);
