//! `sla`: the response-time checker, invoked every minute by an EventBridge schedule. All logic
//! lives in `leadflow::handlers::sla`.

crate::serve::entry!(schedule, leadflow::handlers::sla::handle);
