//! `contacts`: an HTTP API Lambda behind the Cognito JWT authorizer. All logic lives in
//! `leadflow::handlers::contacts`.

leadflow::http_function!(leadflow::handlers::contacts::handle);
