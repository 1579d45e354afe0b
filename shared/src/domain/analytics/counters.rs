//! Counter names, as stored in the aggregate rows. Stable: renaming one orphans its history.

use super::histogram::BUCKETS;
use crate::domain::attribution::Model;

pub const LEADS: &str = "leads";
pub const ACKNOWLEDGED: &str = "ack";
/// Sum of capture-to-acknowledgement times, milliseconds (for the average).
pub const ACK_MS: &str = "ack_ms";
pub const FIRST_CONTACT: &str = "fc";
/// Sum of capture-to-first-human-contact-attempt times, milliseconds.
pub const FIRST_CONTACT_MS: &str = "fc_ms";
/// Leads actually reached: an answered call, a reply, or progress past contact.
pub const REACHED: &str = "reached";
pub const QUALIFIED: &str = "qualified";
pub const BOOKED: &str = "booked";
pub const SHOWED: &str = "showed";
/// Leads that missed an appointment (a `no_show` from the scheduler or staff).
pub const NO_SHOW: &str = "no_show";
pub const CONVERTED: &str = "converted";
/// Leads given a first-contact deadline, met by the first attempt, missed by it.
pub const SLA_DUE: &str = "sla_due";
pub const SLA_MET: &str = "sla_met";
pub const SLA_MISSED: &str = "sla_missed";
/// Payments in the organization's currency, minor units.
pub const REVENUE: &str = "revenue";
/// Leads with at least one payment.
pub const CUSTOMERS: &str = "customers";
/// Leads whose site journey is known (the site snippet's first-party cookie came with the
/// form), the site visits they made up to the inquiry, and the seconds from their first visit
/// to the inquiry.
pub const JOURNEYS: &str = "journeys";
pub const VISITS: &str = "visits";
pub const FIRST_VISIT_SECS: &str = "fv_secs";

/// Acknowledgement histogram bucket.
pub fn ack_bucket(i: usize) -> String {
    format!("ack_h{i:02}")
}

/// First-contact histogram bucket.
pub fn first_contact_bucket(i: usize) -> String {
    format!("fc_h{i:02}")
}

/// Converted `k` calendar months after the capture month (the cohort table).
pub fn converted_after_months(k: u32) -> String {
    format!("conv_m{k:02}")
}

/// Reads `k` back from a [`converted_after_months`] name.
pub fn months_of(name: &str) -> Option<u32> {
    name.strip_prefix("conv_m")?.parse().ok()
}

/// Conversions credited to a touchpoint under `model`, in thousandths.
pub fn credit(model: Model) -> String {
    format!("{}_n", model.name())
}

/// Value (revenue, minor units) credited under `model`.
pub fn credited_value(model: Model) -> String {
    format!("{}_v", model.name())
}

/// Every histogram name of one kind, in bucket order.
pub fn buckets(name: fn(usize) -> String) -> Vec<String> {
    (0..BUCKETS).map(name).collect()
}
