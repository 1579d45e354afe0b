//! `touchpoints`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::touchpoints`.

crate::serve::entry!(http, leadflow::handlers::touchpoints::handle);
