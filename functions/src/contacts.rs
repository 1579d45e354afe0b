//! `contacts`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::contacts`.

crate::serve::entry!(http, leadflow::handlers::contacts::handle);
