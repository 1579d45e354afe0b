//! `weekly-summary`: last week's KPIs emailed to the configured staff recipients, invoked by an
//! EventBridge schedule every Monday. All logic lives in `leadflow::handlers::weekly_summary`.

crate::serve::entry!(schedule, leadflow::handlers::weekly_summary::handle);
