//! Attribution and KPIs over leads, pure: what one lead contributes to the report counters
//! ([`contribution`]), how counters become KPIs ([`kpi`]), cohorts ([`cohort`]), response-time
//! histograms ([`histogram`]), report periods ([`period`]), the source-name table
//! ([`aliases`]) and marketing spend ([`spend`]).
//!
//! The same [`contribution`] function feeds the incrementally maintained aggregates (the
//! analytics consumer applies the difference between a lead's new and previously applied
//! contribution) and the full recompute used for audits, so the two agree by construction.

pub mod aliases;
pub mod cohort;
pub mod contribution;
pub mod counters;
pub mod dimension;
pub mod histogram;
pub mod kpi;
pub mod milestone;
pub mod period;
pub mod source_audit;
pub mod spend;

pub use aliases::SourceAliases;
pub use contribution::{contribution, AnalyticsSettings, Contribution, RowDelta, RowKey};
pub use dimension::{Dimension, Family, LeadDims};
pub use milestone::Milestone;
pub use period::Period;
