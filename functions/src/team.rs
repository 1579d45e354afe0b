//! `team`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::team`.

crate::serve::entry!(http, leadflow::handlers::team::handle);
