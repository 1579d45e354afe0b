//! `hygiene`: the daily data-hygiene job (duplicates since the last run), invoked by an
//! EventBridge schedule. All logic lives in `leadflow::handlers::hygiene`.

crate::serve::entry!(schedule, leadflow::handlers::hygiene::handle);
