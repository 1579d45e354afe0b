//! Cohorts by acquisition month: of the leads captured in a month, how many converted in the
//! same month, the next, and so on, with the cumulative conversion rate. Months not yet
//! reached (after the `as_of` day) are left empty rather than shown as zero.

use super::contribution::{Counters, RowKey};
use super::counters as c;
use super::kpi::rate;
use super::period::{months_between, Period};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One acquisition month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRow {
    /// `2026-03`.
    pub cohort: String,
    pub leads: i64,
    /// Conversions in month `k` after acquisition (`None` for months still to come).
    pub converted: Vec<Option<i64>>,
    /// Cumulative conversion rate up to and including month `k`.
    pub cumulative_rate: Vec<Option<f64>>,
}

/// The cohort table of the acquisition months `from..=to` (any day in them), as of `as_of`,
/// from funnel rows of one dimension value (or all).
pub fn cohort_table<'a>(
    rows: impl IntoIterator<Item = (&'a RowKey, &'a Counters)>,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Vec<CohortRow> {
    let (first, last) = (Period::Month.start(from), Period::Month.start(to));
    let mut months: BTreeMap<NaiveDate, (i64, BTreeMap<u32, i64>)> = BTreeMap::new();
    for m in super::period::months(first, last) {
        months.insert(m, (0, BTreeMap::new()));
    }
    for (key, counters) in rows {
        let Some(slot) = months.get_mut(&Period::Month.start(key.day)) else { continue };
        slot.0 += counters.get(c::LEADS).copied().unwrap_or(0);
        for (name, v) in counters {
            if let Some(k) = c::months_of(name) {
                *slot.1.entry(k).or_default() += v;
            }
        }
    }
    let width = (months_between(first, as_of).max(0) + 1) as usize;
    months
        .into_iter()
        .map(|(month, (leads, by_k))| {
            let elapsed = months_between(month, as_of);
            let mut converted = Vec::with_capacity(width);
            let mut cumulative_rate = Vec::with_capacity(width);
            let mut total = 0;
            for k in 0..width {
                if (k as i32) > elapsed {
                    converted.push(None);
                    cumulative_rate.push(None);
                    continue;
                }
                let n = by_k.get(&(k as u32)).copied().unwrap_or(0);
                total += n;
                converted.push(Some(n));
                cumulative_rate.push(rate(total, leads));
            }
            CohortRow { cohort: Period::Month.label(month), leads, converted, cumulative_rate }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::analytics::{Dimension, Family};

    fn row(day: &str, pairs: &[(&str, i64)]) -> (RowKey, Counters) {
        (
            RowKey {
                family: Family::Funnel,
                dimension: Dimension::All,
                day: NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap(),
                value: "all".into(),
            },
            pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        )
    }

    #[test]
    fn conversions_by_month_since_acquisition() {
        let rows = [
            row("2026-01-05", &[("leads", 6), ("conv_m00", 1), ("conv_m02", 1)]),
            row("2026-01-20", &[("leads", 4), ("conv_m01", 2)]),
            row("2026-02-11", &[("leads", 5), ("conv_m00", 1)]),
            row("2026-03-02", &[("leads", 2)]),
        ];
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let table = cohort_table(rows.iter().map(|(k, v)| (k, v)), d("2026-01-01"), d("2026-03-31"), d("2026-03-15"));
        assert_eq!(table.len(), 3);
        assert_eq!(table[0].cohort, "2026-01");
        assert_eq!(table[0].leads, 10);
        assert_eq!(table[0].converted, [Some(1), Some(2), Some(1)]);
        assert_eq!(table[0].cumulative_rate, [Some(0.1), Some(0.3), Some(0.4)]);
        assert_eq!(table[1].converted, [Some(1), Some(0), None]);
        assert_eq!(table[2].converted, [Some(0), None, None]);
        assert_eq!(table[2].cumulative_rate, [Some(0.0), None, None]);
    }
}
