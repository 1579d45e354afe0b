//! `followup`: runs the due follow-up cadence steps, invoked every minute by an EventBridge
//! schedule. All logic lives in `leadflow::handlers::followup`.

crate::serve::entry!(schedule, leadflow::handlers::followup::handle);
