//! The practice's business hours and the callback promise made in the acknowledgement: "within
//! 5 minutes" while the team is in, "by 9:00 AM tomorrow" when it is not.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Opening and closing time on one day (closing after opening, same day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHours {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

/// When the team answers leads live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub time_zone: Tz,
    /// Monday first; `None` is closed.
    pub week: [Option<DayHours>; 7],
    pub holidays: BTreeSet<NaiveDate>,
    /// The response promised while open.
    pub response_minutes: u32,
}

/// What the acknowledgement promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackPromise {
    /// The team is in: a call within this many minutes.
    WithinMinutes(u32),
    /// The team is out: a call by the next opening (local time).
    By(DateTime<Tz>, DayRelation),
    /// No opening in the next two weeks (a configuration that is closed for a long time).
    AsSoonAsPossible,
}

/// How the next opening relates to today, for wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRelation {
    Today,
    Tomorrow,
    ThisWeek(Weekday),
    Later,
}

impl BusinessHours {
    fn hours_on(&self, date: NaiveDate) -> Option<DayHours> {
        if self.holidays.contains(&date) {
            return None;
        }
        self.week[date.weekday().num_days_from_monday() as usize]
    }

    fn local(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Tz>> {
        // In a DST gap the local time does not exist; take the first instant after it.
        self.time_zone
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .or_else(|| self.time_zone.from_local_datetime(&(date.and_time(time) + Duration::hours(1))).earliest())
    }

    /// Whether the team is in at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.time_zone);
        self.hours_on(local.date_naive()).is_some_and(|h| local.time() >= h.open && local.time() < h.close)
    }

    /// The next moment the team is in, strictly after `at` if closed now (within two weeks).
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Tz>> {
        let local = at.with_timezone(&self.time_zone);
        for offset in 0..15 {
            let date = local.date_naive() + Duration::days(offset);
            let Some(h) = self.hours_on(date) else { continue };
            let Some(open) = self.local(date, h.open) else { continue };
            if open > local {
                return Some(open);
            }
        }
        None
    }

    /// The promise to make to a person who wrote at `at`.
    pub fn callback_promise(&self, at: DateTime<Utc>) -> CallbackPromise {
        if self.is_open(at) {
            return CallbackPromise::WithinMinutes(self.response_minutes);
        }
        let Some(next) = self.next_opening(at) else {
            return CallbackPromise::AsSoonAsPossible;
        };
        let today = at.with_timezone(&self.time_zone).date_naive();
        let days = (next.date_naive() - today).num_days();
        let relation = match days {
            0 => DayRelation::Today,
            1 => DayRelation::Tomorrow,
            2..=6 => DayRelation::ThisWeek(next.weekday()),
            _ => DayRelation::Later,
        };
        CallbackPromise::By(next, relation)
    }
}

impl CallbackPromise {
    /// The phrase used in messages: "within 5 minutes", "by 9:00 AM tomorrow".
    pub fn phrase(&self) -> String {
        match self {
            CallbackPromise::WithinMinutes(1) => "within 1 minute".to_string(),
            CallbackPromise::WithinMinutes(m) => format!("within {m} minutes"),
            CallbackPromise::AsSoonAsPossible => "as soon as we reopen".to_string(),
            CallbackPromise::By(at, relation) => {
                let time = at.format("%-I:%M %p");
                match relation {
                    DayRelation::Today => format!("by {time} today"),
                    DayRelation::Tomorrow => format!("by {time} tomorrow"),
                    DayRelation::ThisWeek(day) => format!("by {time} {}", weekday_name(*day)),
                    DayRelation::Later => format!("by {time} on {}", at.format("%B %-d")),
                }
            }
        }
    }
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> BusinessHours {
        let day = |o: (u32, u32), c: (u32, u32)| {
            Some(DayHours { open: NaiveTime::from_hms_opt(o.0, o.1, 0).unwrap(), close: NaiveTime::from_hms_opt(c.0, c.1, 0).unwrap() })
        };
        let weekday = day((9, 0), (17, 0));
        BusinessHours {
            time_zone: chrono_tz::America::New_York,
            week: [weekday, weekday, weekday, weekday, weekday, day((10, 0), (14, 0)), None],
            holidays: [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()].into_iter().collect(),
            response_minutes: 5,
        }
    }

    /// A New York wall-clock time as UTC (the injected clock's view).
    fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::America::New_York.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn during_hours_the_promise_is_minutes() {
        // Tuesday 2026-03-03 10:30 New York.
        assert_eq!(hours().callback_promise(ny(2026, 3, 3, 10, 30)).phrase(), "within 5 minutes");
        assert_eq!(hours().callback_promise(ny(2026, 3, 3, 9, 0)).phrase(), "within 5 minutes");
    }

    #[test]
    fn after_hours_the_promise_is_the_next_opening() {
        // Tuesday evening -> Wednesday 9:00.
        assert_eq!(hours().callback_promise(ny(2026, 3, 3, 17, 0)).phrase(), "by 9:00 AM tomorrow");
        // Early Tuesday -> today 9:00.
        assert_eq!(hours().callback_promise(ny(2026, 3, 3, 6, 15)).phrase(), "by 9:00 AM today");
        // Saturday afternoon -> Monday (Sunday closed).
        assert_eq!(hours().callback_promise(ny(2026, 3, 7, 15, 0)).phrase(), "by 9:00 AM Monday");
        // Friday night -> Saturday's later opening.
        assert_eq!(hours().callback_promise(ny(2026, 3, 6, 22, 0)).phrase(), "by 10:00 AM tomorrow");
    }

    #[test]
    fn holidays_are_closed() {
        // Thursday 2026-12-24 at 18:00 -> Christmas closed -> Saturday 10:00.
        assert_eq!(hours().callback_promise(ny(2026, 12, 24, 18, 0)).phrase(), "by 10:00 AM Saturday");
    }

    #[test]
    fn the_practice_time_zone_decides_not_utc() {
        // 23:30 UTC on Tuesday is 18:30 in New York (closed) although 23:30 UTC...
        let at = Utc.with_ymd_and_hms(2026, 3, 3, 23, 30, 0).unwrap();
        assert!(!hours().is_open(at));
        // ...and 14:30 UTC is 9:30 in New York (open).
        assert!(hours().is_open(Utc.with_ymd_and_hms(2026, 3, 3, 14, 30, 0).unwrap()));
    }

    #[test]
    fn dst_transitions_keep_wall_clock_openings() {
        // Saturday 2026-03-07 evening; clocks spring forward Sunday 2026-03-08; Monday opens 9:00 EDT.
        let CallbackPromise::By(at, _) = hours().callback_promise(ny(2026, 3, 7, 20, 0)) else { panic!() };
        assert_eq!(at.format("%Y-%m-%d %H:%M %Z").to_string(), "2026-03-09 09:00 EDT");
    }

    #[test]
    fn a_long_closure_promises_reopening() {
        let mut h = hours();
        h.week = [None; 7];
        assert_eq!(h.callback_promise(ny(2026, 3, 3, 10, 0)), CallbackPromise::AsSoonAsPossible);
    }

    #[test]
    fn far_openings_name_the_date() {
        let mut h = hours();
        h.holidays = (1..=20).map(|d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap()).collect();
        assert_eq!(h.callback_promise(ny(2026, 3, 12, 10, 0)).phrase(), "by 10:00 AM on March 21");
    }
}
