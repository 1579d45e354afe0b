//! `team`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::team`.

leadflow::http_function!(leadflow::handlers::team::handle);
