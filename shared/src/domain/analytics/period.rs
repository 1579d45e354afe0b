//! Report periods: days, ISO weeks (Monday first) and calendar months, in the organization's
//! time zone.

use crate::domain::string_enum::string_enum;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

string_enum! {
    /// How rows are grouped in time.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Period {
        Day => "day",
        Week => "week",
        Month => "month",
        /// The whole range as one period (totals per dimension value).
        All => "all",
    }
    parse(s) => s.trim();
}

impl Period {
    /// The first day of the period holding `day`.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => day,
            Period::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Period::Month => day.with_day(1).expect("day 1 exists"),
            Period::All => NaiveDate::MIN,
        }
    }

    /// The label of the period starting at `start`: `2026-03-03`, `2026-W10`, `2026-03`.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Period::Day => start.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => start.format("%Y-%m").to_string(),
            Period::All => "all".to_string(),
        }
    }
}

/// The first day of the month after `day`'s.
pub fn next_month(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 { (day.year() + 1, 1) } else { (day.year(), day.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month")
}

/// Months from `a`'s month to `b`'s (negative if `b` is earlier).
pub fn months_between(a: NaiveDate, b: NaiveDate) -> i32 {
    (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32
}

/// The first days of the months touched by `from..=to`.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = Period::Month.start(from);
    while m <= to {
        out.push(m);
        m = next_month(m);
    }
    out
}

/// Days in the month starting at `month`.
pub fn days_in_month(month: NaiveDate) -> u32 {
    (next_month(month) - month).num_days() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_start_where_expected() {
        // 2026-03-05 is a Thursday.
        assert_eq!(Period::Week.start(d(2026, 3, 5)), d(2026, 3, 2));
        assert_eq!(Period::Week.label(d(2026, 3, 2)), "2026-W10");
        assert_eq!(Period::Month.start(d(2026, 3, 31)), d(2026, 3, 1));
        assert_eq!(Period::Month.label(d(2026, 3, 1)), "2026-03");
        assert_eq!(Period::Day.label(d(2026, 3, 5)), "2026-03-05");
        // ISO week 1 of 2027 starts on Monday 2027-01-04; 2027-01-01 belongs to 2026-W53.
        assert_eq!(Period::Week.label(Period::Week.start(d(2027, 1, 1))), "2026-W53");
    }

    #[test]
    fn months_are_counted_and_listed() {
        assert_eq!(months_between(d(2026, 11, 30), d(2027, 2, 1)), 3);
        assert_eq!(months(d(2026, 11, 15), d(2027, 1, 2)), vec![d(2026, 11, 1), d(2026, 12, 1), d(2027, 1, 1)]);
        assert_eq!(days_in_month(d(2028, 2, 1)), 29);
        assert_eq!(next_month(d(2026, 12, 9)), d(2027, 1, 1));
    }
}
