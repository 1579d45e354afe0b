//! `touchpoints`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::touchpoints`.

leadflow::http_function!(leadflow::handlers::touchpoints::handle);
