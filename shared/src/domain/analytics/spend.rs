//! Marketing spend, entered per source, campaign and month, in integer minor units. Cost per
//! lead and per acquisition for a day or week use the month's spend spread evenly over its days
//! (exactly, with the largest-remainder rule: the days of a month always add up to its spend).

use super::period::{days_in_month, Period};
use crate::domain::apportion::apportion;
use crate::domain::money::Money;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Spend of one source (and campaign) in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendEntry {
    /// The first day of the month.
    pub month: NaiveDate,
    /// Stored cleaned (lower case); the alias table applies when reports are read.
    pub source: String,
    /// `(none)` for spend on the source as a whole.
    pub campaign: String,
    pub amount: Money,
    pub updated_at: DateTime<Utc>,
    /// The user id of whoever entered it.
    pub updated_by: String,
}

impl SpendEntry {
    /// The entry's spend on each day of its month.
    pub fn daily(&self) -> Vec<(NaiveDate, i64)> {
        let days = days_in_month(self.month);
        let parts = apportion(self.amount.minor, &vec![1u64; days as usize]).unwrap_or_default();
        parts.into_iter().enumerate().map(|(i, p)| (self.month + Duration::days(i as i64), p)).collect()
    }

    /// The spend falling on `from..=to`.
    pub fn within(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if self.month > to || super::period::next_month(self.month) <= from {
            return 0;
        }
        self.daily().into_iter().filter(|(d, _)| *d >= from && *d <= to).map(|(_, v)| v).sum()
    }
}

/// Parses `2026-03` (or `2026-03-01`) to the month's first day.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| Period::Month.start(d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    fn entry(month: &str, minor: i64) -> SpendEntry {
        SpendEntry {
            month: parse_month(month).unwrap(),
            source: "google".into(),
            campaign: "(none)".into(),
            amount: Money { minor, currency: Currency::usd() },
            updated_at: DateTime::from_timestamp(0, 0).unwrap(),
            updated_by: "u-1".into(),
        }
    }

    #[test]
    fn a_month_spreads_exactly_over_its_days() {
        let e = entry("2026-02", 100_000); // 28 days: 3571.43 a day
        let days = e.daily();
        assert_eq!(days.len(), 28);
        assert_eq!(days.iter().map(|(_, v)| v).sum::<i64>(), 100_000);
        assert_eq!(days[0].1, 3572);
        assert_eq!(days[27].1, 3571);
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(e.within(d("2026-01-01"), d("2026-12-31")), 100_000);
        assert_eq!(e.within(d("2026-03-01"), d("2026-03-31")), 0);
        assert_eq!(entry("2026-03", 31_000).within(d("2026-03-02"), d("2026-03-08")), 7_000);
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2026-03"), NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(parse_month("2026-03-17"), NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("March"), None);
    }
}
