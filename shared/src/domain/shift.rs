//! Weekly shifts in a time zone: when a team member works, when someone is on call. A shift may
//! run past midnight (`22:00-06:00` on Friday covers Friday night into Saturday morning) and
//! `00:00-24:00` is a whole day.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;

/// One recurring shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after local midnight.
    pub start_minute: u32,
    /// Length in minutes (1..=1440).
    pub minutes: u32,
}

/// Why a shift could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    #[error("must be \"HH:MM-HH:MM\" (24-hour clock; 24:00 ends a day)")]
    Hours,
    #[error("the shift starts and ends at the same time")]
    Empty,
    #[error("unknown day {0:?} (use mon, tue, wed, thu, fri, sat, sun, weekdays, weekends or daily)")]
    Day(String),
}

fn parse_time(s: &str) -> Result<u32, ShiftError> {
    if s.trim() == "24:00" {
        return Ok(1440);
    }
    let t = NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| ShiftError::Hours)?;
    Ok(t.hour() * 60 + t.minute())
}

/// Days as written in configuration (`mon`, `weekdays`, `daily`, ...).
pub fn parse_days<S: AsRef<str>>(names: &[S]) -> Result<[bool; 7], ShiftError> {
    let mut days = [false; 7];
    for name in names {
        let n = name.as_ref().trim().to_ascii_lowercase();
        let set: &[usize] = match n.as_str() {
            "mon" | "monday" => &[0],
            "tue" | "tuesday" => &[1],
            "wed" | "wednesday" => &[2],
            "thu" | "thursday" => &[3],
            "fri" | "friday" => &[4],
            "sat" | "saturday" => &[5],
            "sun" | "sunday" => &[6],
            "weekdays" => &[0, 1, 2, 3, 4],
            "weekends" => &[5, 6],
            "daily" | "every_day" => &[0, 1, 2, 3, 4, 5, 6],
            _ => return Err(ShiftError::Day(name.as_ref().to_string())),
        };
        for &d in set {
            days[d] = true;
        }
    }
    Ok(days)
}

impl Shift {
    /// `days` and `"HH:MM-HH:MM"`.
    pub fn parse<S: AsRef<str>>(days: &[S], hours: &str) -> Result<Shift, ShiftError> {
        let (a, b) = hours.split_once('-').ok_or(ShiftError::Hours)?;
        let (start, end) = (parse_time(a)?, parse_time(b)?);
        if start >= 1440 {
            return Err(ShiftError::Hours);
        }
        if start == end {
            return Err(ShiftError::Empty);
        }
        let minutes = if end > start { end - start } else { end + 1440 - start };
        if minutes == 0 || minutes > 1440 {
            return Err(ShiftError::Empty);
        }
        Ok(Shift { days: parse_days(days)?, start_minute: start, minutes })
    }

    /// Whether local time `at` (in the schedule's zone) falls in this shift, including the part
    /// of yesterday's shift that runs past midnight.
    fn covers(&self, weekday: Weekday, minute_of_day: u32) -> bool {
        let today = weekday.num_days_from_monday() as usize;
        let yesterday = (today + 6) % 7;
        let in_today = self.days[today] && minute_of_day >= self.start_minute && minute_of_day < self.start_minute + self.minutes;
        let spill = (self.start_minute + self.minutes).saturating_sub(1440);
        let in_yesterday = self.days[yesterday] && minute_of_day < spill;
        in_today || in_yesterday
    }
}

/// A set of shifts in one time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklySchedule {
    pub time_zone: Tz,
    pub shifts: Vec<Shift>,
}

impl WeeklySchedule {
    /// Every hour of every day.
    pub fn always(time_zone: Tz) -> Self {
        WeeklySchedule { time_zone, shifts: vec![Shift { days: [true; 7], start_minute: 0, minutes: 1440 }] }
    }

    /// Whether the schedule covers the instant `at`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.time_zone);
        let minute = local.hour() * 60 + local.minute();
        self.shifts.iter().any(|s| s.covers(local.weekday(), minute))
    }

    /// The index of the first shift covering `at`.
    pub fn shift_at(&self, at: DateTime<Utc>) -> Option<usize> {
        let local = at.with_timezone(&self.time_zone);
        let minute = local.hour() * 60 + local.minute();
        self.shifts.iter().position(|s| s.covers(local.weekday(), minute))
    }

    /// The next instant at or after `at` (to the minute, within 8 days) the schedule covers.
    pub fn next_covered(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.covers(at) {
            return Some(at);
        }
        let start = at.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(at) + Duration::minutes(1);
        // Minute steps are cheap enough here (called once per off-hours lead), and exact across
        // DST changes.
        (0..8 * 1440).map(|m| start + Duration::minutes(m)).find(|t| self.covers(*t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ny(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        // March 2026: the 2nd is a Monday.
        chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn day_shifts_cover_their_hours_only() {
        let s =
            WeeklySchedule { time_zone: chrono_tz::America::New_York, shifts: vec![Shift::parse(&["weekdays"], "08:00-17:00").unwrap()] };
        assert!(s.covers(ny(3, 8, 0)));
        assert!(s.covers(ny(3, 16, 59)));
        assert!(!s.covers(ny(3, 17, 0)));
        assert!(!s.covers(ny(7, 10, 0)), "Saturday");
        assert_eq!(s.next_covered(ny(6, 18, 0)), Some(ny(9, 8, 0)), "Friday evening -> Monday 8:00");
    }

    #[test]
    fn overnight_shifts_spill_into_the_next_day() {
        let s = WeeklySchedule { time_zone: chrono_tz::America::New_York, shifts: vec![Shift::parse(&["fri"], "22:00-06:00").unwrap()] };
        assert!(s.covers(ny(6, 23, 0)), "Friday 23:00");
        assert!(s.covers(ny(7, 2, 0)), "Saturday 02:00");
        assert!(!s.covers(ny(7, 6, 0)));
        assert!(!s.covers(ny(5, 2, 0)), "Thursday night is not Friday's shift");
        let all = Shift::parse(&["daily"], "00:00-24:00").unwrap();
        assert_eq!(all.minutes, 1440);
        assert!(WeeklySchedule { time_zone: chrono_tz::UTC, shifts: vec![all] }.covers(ny(4, 2, 0)));
    }

    #[test]
    fn bad_shifts_are_refused() {
        assert_eq!(Shift::parse(&["mon"], "9-5"), Err(ShiftError::Hours));
        assert_eq!(Shift::parse(&["mon"], "09:00-09:00"), Err(ShiftError::Empty));
        assert_eq!(Shift::parse(&["funday"], "09:00-17:00"), Err(ShiftError::Day("funday".into())));
    }
}
