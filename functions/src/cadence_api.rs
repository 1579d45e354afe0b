//! `cadence-api`: an HTTP API Lambda behind the Cognito JWT authorizer (tasks, cadence pause and
//! resume). All logic lives in `leadflow::handlers::cadence_api`.

crate::serve::entry!(http, leadflow::handlers::cadence_api::handle);
