//! KPIs from summed counters: response times (average and p50/p90 from the histograms), the
//! funnel's rates, SLA compliance, revenue, lifetime value and cost per lead / acquisition.
//!
//! Rates are fractions rounded to four places; times are seconds rounded to one place; money
//! is integer minor units (divisions round half up). A KPI whose denominator is zero is `None`
//! (JSON `null`, an empty CSV cell), never a made-up zero.

use super::contribution::{Counters, RowKey};
use super::counters as c;
use super::histogram;
use super::period::Period;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One report line: a period and a dimension value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiRow {
    /// `2026-03`, `2026-W10`, `2026-03-03`, or `total`.
    pub period: String,
    /// The dimension value (a canonical source name, a campaign, a service line, ...).
    pub key: String,
    pub leads: i64,
    pub acknowledged: i64,
    pub ack_avg_seconds: Option<f64>,
    pub ack_p50_seconds: Option<f64>,
    pub ack_p90_seconds: Option<f64>,
    /// Leads with a first human contact attempt.
    pub first_contact: i64,
    pub first_contact_avg_seconds: Option<f64>,
    pub first_contact_p50_seconds: Option<f64>,
    pub first_contact_p90_seconds: Option<f64>,
    /// Leads actually reached (an answered call, a reply, or progress past contact).
    pub reached: i64,
    pub contact_rate: Option<f64>,
    pub qualified: i64,
    pub qualification_rate: Option<f64>,
    pub booked: i64,
    pub booking_rate_from_qualified: Option<f64>,
    pub showed: i64,
    /// Showed of booked.
    pub show_rate: Option<f64>,
    /// Leads that missed an appointment (one that missed and later came counts in both).
    pub no_show: i64,
    /// No-shows of booked.
    pub no_show_rate: Option<f64>,
    pub converted: i64,
    pub conversion_rate: Option<f64>,
    pub sla_due: i64,
    pub sla_met: i64,
    pub sla_missed: i64,
    pub sla_compliance: Option<f64>,
    pub revenue_minor: i64,
    pub customers: i64,
    pub lifetime_value_minor: Option<i64>,
    pub spend_minor: Option<i64>,
    pub cost_per_lead_minor: Option<i64>,
    pub cost_per_acquisition_minor: Option<i64>,
    /// Leads whose site journey is known (sent by the site snippet with the form).
    pub journeys: i64,
    /// Average site visits up to the inquiry, the inquiring visit included (1: they inquired
    /// on their first visit), over the leads with a known journey.
    pub visits_before_inquiry_avg: Option<f64>,
    /// Average days from the first site visit to the inquiry, over the same leads.
    pub days_first_visit_to_inquiry_avg: Option<f64>,
}

/// `num / den` rounded to four places.
pub fn rate(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| ((num as f64 / den as f64) * 10_000.0).round() / 10_000.0)
}

/// Rounded to one place (seconds, visits, days).
fn tenths(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `num / den` in whole minor units, half up.
pub fn per(num: i64, den: i64) -> Option<i64> {
    (den > 0).then(|| {
        let (n, d) = (i128::from(num), i128::from(den));
        let q = (2 * n.abs() + d) / (2 * d);
        i64::try_from(if n < 0 { -q } else { q }).unwrap_or(i64::MAX)
    })
}

fn get(k: &Counters, name: &str) -> i64 {
    k.get(name).copied().unwrap_or(0)
}

fn hist(k: &Counters, name: fn(usize) -> String) -> Vec<i64> {
    (0..histogram::BUCKETS).map(|i| get(k, &name(i))).collect()
}

/// The KPIs of summed counters, with the spend of the same period and key when known.
pub fn kpi_row(period: String, key: String, k: &Counters, spend: Option<i64>) -> KpiRow {
    let leads = get(k, c::LEADS);
    let ack = get(k, c::ACKNOWLEDGED);
    let fc = get(k, c::FIRST_CONTACT);
    let qualified = get(k, c::QUALIFIED);
    let booked = get(k, c::BOOKED);
    let converted = get(k, c::CONVERTED);
    let journeys = get(k, c::JOURNEYS);
    let ack_h = hist(k, c::ack_bucket);
    let fc_h = hist(k, c::first_contact_bucket);
    let avg = |ms: i64, n: i64| (n > 0).then(|| tenths(ms as f64 / n as f64 / 1000.0));
    let pct = |h: &[i64], p: f64| histogram::percentile(h, p).map(tenths);
    KpiRow {
        period,
        key,
        leads,
        acknowledged: ack,
        ack_avg_seconds: avg(get(k, c::ACK_MS), ack),
        ack_p50_seconds: pct(&ack_h, 0.5),
        ack_p90_seconds: pct(&ack_h, 0.9),
        first_contact: fc,
        first_contact_avg_seconds: avg(get(k, c::FIRST_CONTACT_MS), fc),
        first_contact_p50_seconds: pct(&fc_h, 0.5),
        first_contact_p90_seconds: pct(&fc_h, 0.9),
        reached: get(k, c::REACHED),
        contact_rate: rate(get(k, c::REACHED), leads),
        qualified,
        qualification_rate: rate(qualified, leads),
        booked,
        booking_rate_from_qualified: rate(booked, qualified),
        showed: get(k, c::SHOWED),
        show_rate: rate(get(k, c::SHOWED), booked),
        no_show: get(k, c::NO_SHOW),
        no_show_rate: rate(get(k, c::NO_SHOW), booked),
        converted,
        conversion_rate: rate(converted, leads),
        sla_due: get(k, c::SLA_DUE),
        sla_met: get(k, c::SLA_MET),
        sla_missed: get(k, c::SLA_MISSED),
        sla_compliance: rate(get(k, c::SLA_MET), get(k, c::SLA_DUE)),
        revenue_minor: get(k, c::REVENUE),
        customers: get(k, c::CUSTOMERS),
        lifetime_value_minor: per(get(k, c::REVENUE), get(k, c::CUSTOMERS)),
        spend_minor: spend,
        cost_per_lead_minor: spend.and_then(|s| per(s, leads)),
        cost_per_acquisition_minor: spend.and_then(|s| per(s, converted)),
        journeys,
        visits_before_inquiry_avg: (journeys > 0).then(|| tenths(get(k, c::VISITS) as f64 / journeys as f64)),
        days_first_visit_to_inquiry_avg: (journeys > 0).then(|| tenths(get(k, c::FIRST_VISIT_SECS) as f64 / journeys as f64 / 86_400.0)),
    }
}

/// Adds `b` into `a`.
pub fn merge(a: &mut Counters, b: &Counters) {
    for (name, v) in b {
        *a.entry(name.clone()).or_default() += v;
    }
}

/// Sums rows into groups of (period start, report key); `key_of` turns a stored value into
/// its report key (the alias table for sources).
pub fn group<'a>(
    rows: impl IntoIterator<Item = (&'a RowKey, &'a Counters)>,
    period: Period,
    key_of: impl Fn(&str) -> String,
) -> BTreeMap<(NaiveDate, String), Counters> {
    let mut out: BTreeMap<(NaiveDate, String), Counters> = BTreeMap::new();
    for (key, counters) in rows {
        merge(out.entry((period.start(key.day), key_of(&key.value))).or_default(), counters);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(pairs: &[(&str, i64)]) -> Counters {
        pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    }

    #[test]
    fn kpis_with_known_answers() {
        // 10 leads; 8 acknowledged in 15 s, 25 s (x6), 45 s -> average 25 s; 5 first contacts
        // of 90 s (x4) and 10 min -> average 3 min 12 s; 7 reached, 6 qualified, 3 booked,
        // 2 showed, 2 converted, $1,200.00 and $300.00 from 2 customers; SLA 4 of 5 met;
        // $450.00 spend.
        let mut counters = k(&[
            ("leads", 10),
            ("ack", 8),
            ("ack_ms", 15_000 + 6 * 25_000 + 45_000),
            ("ack_h01", 7),
            ("ack_h02", 1),
            ("fc", 5),
            ("fc_ms", 4 * 90_000 + 600_000),
            ("fc_h03", 4),
            ("fc_h07", 1),
            ("reached", 7),
            ("qualified", 6),
            ("booked", 3),
            ("showed", 2),
            ("no_show", 1),
            ("converted", 2),
            ("sla_due", 5),
            ("sla_met", 4),
            ("sla_missed", 1),
            ("revenue", 150_000),
            ("customers", 2),
        ]);
        let r = kpi_row("2026-03".into(), "google".into(), &counters, Some(45_000));
        assert_eq!(r.ack_avg_seconds, Some(26.3)); // 210 s / 8 = 26.25 -> 26.3
                                                   // p50: rank 4 of 8, all 7 in 10-30 s: 10 + 4/7 * 20 = 21.4
        assert_eq!(r.ack_p50_seconds, Some(21.4));
        // p90: rank 7.2, the 8th is in 30-60 s: 30 + 0.2 * 30 = 36
        assert_eq!(r.ack_p90_seconds, Some(36.0));
        assert_eq!(r.first_contact_avg_seconds, Some(192.0));
        assert_eq!(r.first_contact_p50_seconds, Some(97.5)); // rank 2.5 of 4 in 60-120 s
        assert_eq!(r.contact_rate, Some(0.7));
        assert_eq!(r.qualification_rate, Some(0.6));
        assert_eq!(r.booking_rate_from_qualified, Some(0.5));
        assert_eq!(r.show_rate, Some(0.6667));
        assert_eq!((r.no_show, r.no_show_rate), (1, Some(0.3333)));
        assert_eq!(r.conversion_rate, Some(0.2));
        assert_eq!(r.sla_compliance, Some(0.8));
        assert_eq!(r.lifetime_value_minor, Some(75_000));
        assert_eq!(r.cost_per_lead_minor, Some(4_500));
        assert_eq!(r.cost_per_acquisition_minor, Some(22_500));
        assert_eq!((r.journeys, r.visits_before_inquiry_avg), (0, None));
        // 4 journeys: 1 + 2 + 3 + 6 visits, 0, 1.5, 3 and 10 days from the first visit.
        counters.extend(k(&[("journeys", 4), ("visits", 12), ("fv_secs", (14 * 86_400) + 43_200)]));
        let r = kpi_row("2026-03".into(), "google".into(), &counters, None);
        assert_eq!((r.journeys, r.visits_before_inquiry_avg, r.days_first_visit_to_inquiry_avg), (4, Some(3.0), Some(3.6)));
        // Nothing to divide by: no number at all.
        counters.clear();
        let empty = kpi_row("2026-03".into(), "tiktok".into(), &counters, None);
        assert_eq!((empty.conversion_rate, empty.ack_p90_seconds, empty.cost_per_lead_minor), (None, None, None));
    }

    #[test]
    fn money_divisions_round_half_up() {
        assert_eq!(per(10, 4), Some(3)); // 2.5 -> 3
        assert_eq!(per(9, 4), Some(2)); // 2.25 -> 2
        assert_eq!(per(-10, 4), Some(-3));
        assert_eq!(per(1, 0), None);
        assert_eq!(rate(1, 3), Some(0.3333));
    }
}
