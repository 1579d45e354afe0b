//! The times a person said suit them, read from the form's free `preferred_times` label:
//! `mornings` (08:00-12:00), `afternoons` (12:00-17:00), `evenings` (17:00-21:00), `weekdays`,
//! `weekends` and day names, in any combination ("weekday mornings", "Sat afternoon").
//! Anything else is ignored: a label nothing can be read from sets no preference.

use super::rules::local_instant;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

/// Days (Monday first) and daily windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferredTimes {
    pub days: [bool; 7],
    /// Sorted, `[start, end)`.
    pub windows: Vec<(NaiveTime, NaiveTime)>,
}

fn hm(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).expect("hour")
}

impl PreferredTimes {
    /// Reads a label; `None` when it names no day or part of day.
    pub fn parse(label: &str) -> Option<PreferredTimes> {
        let mut days = [false; 7];
        let mut windows = Vec::new();
        for word in label.to_lowercase().split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()) {
            let w = word.trim_end_matches('s');
            match w {
                "morning" | "am" => windows.push((hm(8), hm(12))),
                "afternoon" | "pm" => windows.push((hm(12), hm(17))),
                "evening" | "night" => windows.push((hm(17), hm(21))),
                "weekday" => days[..5].iter_mut().for_each(|d| *d = true),
                "weekend" => days[5..].iter_mut().for_each(|d| *d = true),
                _ => {
                    let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                    if let Some(i) = names.iter().position(|n| w.starts_with(n) && w.len() <= 9) {
                        days[i] = true;
                    }
                }
            }
        }
        if windows.is_empty() && days.iter().all(|d| !d) {
            return None;
        }
        if days.iter().all(|d| !d) {
            days = [true; 7];
        }
        if windows.is_empty() {
            windows.push((hm(0), NaiveTime::from_hms_opt(23, 59, 59).expect("time")));
        }
        windows.sort();
        windows.dedup();
        Some(PreferredTimes { days, windows })
    }

    /// The first instant at or after `at` inside a preferred time (within two weeks).
    pub fn next_open(&self, at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&zone);
        for offset in 0..15 {
            let date = local.date_naive() + Duration::days(offset);
            if !self.days[date.weekday().num_days_from_monday() as usize] {
                continue;
            }
            for (start, end) in &self.windows {
                if offset == 0 {
                    if local.time() >= *start && local.time() < *end {
                        return at;
                    }
                    if local.time() >= *end {
                        continue;
                    }
                }
                return local_instant(zone, date, *start);
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn labels_read_as_days_and_windows() {
        let p = PreferredTimes::parse("Weekday mornings, please").unwrap();
        assert_eq!(p.days, [true, true, true, true, true, false, false]);
        assert_eq!(p.windows, vec![(hm(8), hm(12))]);
        let p = PreferredTimes::parse("sat or sunday").unwrap();
        assert_eq!(p.days, [false, false, false, false, false, true, true]);
        assert!(PreferredTimes::parse("whenever").is_none());
    }

    #[test]
    fn the_next_preferred_time_is_found() {
        let ny = chrono_tz::America::New_York;
        let at = |d, h| ny.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap().with_timezone(&Utc);
        let p = PreferredTimes::parse("weekday mornings").unwrap();
        // Tuesday 15:00 -> Wednesday 08:00; Friday 13:00 -> Monday 08:00; Tuesday 09:00 -> now.
        assert_eq!(p.next_open(at(3, 15), ny), at(4, 8));
        assert_eq!(p.next_open(at(6, 13), ny), at(9, 8));
        assert_eq!(p.next_open(at(3, 9), ny), at(3, 9));
    }
}
