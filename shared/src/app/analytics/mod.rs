//! Attribution and KPIs over the ports: keeping each lead's share of the report counters up to
//! date ([`reconcile`]), recomputing them from the leads for audits ([`recompute`]), building
//! reports from either ([`reports`]), marketing spend ([`spend`]) and the weekly summary
//! ([`weekly`]).

pub mod recompute;
pub mod reconcile;
pub mod reports;
pub mod sources;
pub mod spend;
pub mod weekly;

pub use reconcile::{reconcile, AnalyticsError, Reconciled};
