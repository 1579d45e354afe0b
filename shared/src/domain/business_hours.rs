//! The practice's business hours and the callback promise made in the acknowledgement: "within
//! 5 minutes" while the team is in, "by 9:00 AM tomorrow" when it is not.
//!
//! Hours are wall-clock times in the practice's zone. A day may close at 24:00 (through the
//! end of the day), so `00:00-24:00` is open all day and a day closing at 24:00 runs straight
//! into a next day that opens at 00:00, with no closed minute between.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// When a day's hours end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// At this time of the same day.
    At(NaiveTime),
    /// At midnight: open through the end of the day (written `24:00`).
    EndOfDay,
}

/// Opening and closing time on one day (closing after opening, same day; only a closing time
/// may be 24:00, which the type keeps: an opening is always a time of that day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayHours {
    pub open: NaiveTime,
    pub close: Closing,
}

impl DayHours {
    /// Whether the local time of day `t` falls in these hours.
    pub fn contains(&self, t: NaiveTime) -> bool {
        t >= self.open
            && match self.close {
                Closing::At(close) => t < close,
                Closing::EndOfDay => true,
            }
    }

    /// Opening and closing as minutes after local midnight (closing 1440 at the end of the day).
    pub fn minutes(&self) -> (u32, u32) {
        let minute = |t: NaiveTime| t.hour() * 60 + t.minute();
        let close = match self.close {
            Closing::At(t) => minute(t),
            Closing::EndOfDay => 24 * 60,
        };
        (minute(self.open), close)
    }
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

    /// The instants a wall-clock time on `date` names: one, two in a DST fold (both are that
    /// time of day on the clock), or, in a DST gap, the instant the clock jumps past it (the
    /// first local minute after the gap, whatever the gap's length).
    fn instants(&self, date: NaiveDate, time: NaiveTime) -> Vec<DateTime<Tz>> {
        let wall = date.and_time(time);
        match self.time_zone.from_local_datetime(&wall) {
            LocalResult::Single(t) => vec![t],
            LocalResult::Ambiguous(first, second) => vec![first, second],
            LocalResult::None => (1..=24 * 60)
                .find_map(|m| self.time_zone.from_local_datetime(&(wall + Duration::minutes(m))).earliest())
                .into_iter()
                .collect(),
        }
    }

    /// Whether the team is in at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.time_zone);
        self.hours_on(local.date_naive()).is_some_and(|h| h.contains(local.time()))
    }

    /// The next moment the team is in, strictly after `at` if closed now (within two weeks):
    /// a day's opening, the end of a DST gap its opening falls in, or its repeat in a DST fold.
    /// A day whose hours a DST gap swallows whole is skipped.
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Tz>> {
        let local = at.with_timezone(&self.time_zone);
        for offset in 0..15 {
            let date = local.date_naive() + Duration::days(offset);
            let Some(h) = self.hours_on(date) else { continue };
            let open = self.instants(date, h.open).into_iter().find(|t| *t > local && self.is_open(t.with_timezone(&Utc)));
            if open.is_some() {
                return open;
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
            Some(DayHours {
                open: NaiveTime::from_hms_opt(o.0, o.1, 0).unwrap(),
                close: Closing::At(NaiveTime::from_hms_opt(c.0, c.1, 0).unwrap()),
            })
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

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// Open from `open` through the end of the day.
    fn to_midnight(open: (u32, u32)) -> Option<DayHours> {
        Some(DayHours { open: at(open.0, open.1), close: Closing::EndOfDay })
    }

    fn week_in(zone: Tz, week: [Option<DayHours>; 7]) -> BusinessHours {
        BusinessHours { time_zone: zone, week, holidays: BTreeSet::new(), response_minutes: 5 }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn a_day_closing_at_24_00_is_open_to_its_last_second() {
        let all_day = week_in(chrono_tz::America::New_York, [to_midnight((0, 0)); 7]);
        let last = ny(2026, 3, 3, 23, 59) + Duration::seconds(59);
        for t in [ny(2026, 3, 3, 0, 0), ny(2026, 3, 3, 23, 59), last, last + Duration::seconds(1)] {
            assert!(all_day.is_open(t), "{t}");
            assert_eq!(all_day.callback_promise(t).phrase(), "within 5 minutes");
        }
        assert_eq!(DayHours { open: at(9, 30), close: Closing::EndOfDay }.minutes(), (570, 1440));
        assert_eq!(DayHours { open: at(9, 30), close: Closing::At(at(17, 0)) }.minutes(), (570, 1020));
    }

    #[test]
    fn a_day_closing_at_24_00_runs_into_a_day_opening_at_00_00() {
        // Monday 18:00-24:00, Tuesday 00:00-06:00, Wednesday closed, Thursday 00:00-24:00.
        let mut h = week_in(chrono_tz::America::New_York, [None; 7]);
        h.week[0] = to_midnight((18, 0));
        h.week[1] = Some(DayHours { open: at(0, 0), close: Closing::At(at(6, 0)) });
        h.week[3] = to_midnight((0, 0));
        // 2026-03-02 is a Monday.
        let monday_last = ny(2026, 3, 2, 23, 59) + Duration::seconds(59);
        assert!(h.is_open(monday_last) && h.is_open(monday_last + Duration::seconds(1)));
        assert!(!h.is_open(ny(2026, 3, 3, 6, 0)));
        // Closed Wednesday: the next opening is Thursday's midnight, and that is a true promise.
        let wednesday_late = ny(2026, 3, 4, 23, 30);
        let next = h.next_opening(wednesday_late).unwrap();
        assert_eq!(next.format("%Y-%m-%d %H:%M %Z").to_string(), "2026-03-05 00:00 EST");
        assert!(h.is_open(next.with_timezone(&Utc)) && !h.is_open(next.with_timezone(&Utc) - Duration::seconds(1)));
        assert_eq!(h.callback_promise(wednesday_late).phrase(), "by 12:00 AM tomorrow");
        // After Tuesday's 06:00 close the next opening is Thursday.
        assert_eq!(h.callback_promise(ny(2026, 3, 3, 7, 0)).phrase(), "by 12:00 AM Thursday");
        // Thursday at 24:00 is Friday: closed until Monday 18:00.
        assert!(!h.is_open(ny(2026, 3, 6, 0, 0)));
        assert_eq!(h.callback_promise(ny(2026, 3, 6, 0, 0)).phrase(), "by 6:00 PM Monday");
    }

    #[test]
    fn all_day_hours_stay_open_through_dst_changes() {
        let all_day = week_in(chrono_tz::America::New_York, [to_midnight((0, 0)); 7]);
        // Spring forward (2026-03-08, a 23-hour day) and fall back (2026-11-01, 25 hours).
        for start in [utc(2026, 3, 7, 0, 0, 0), utc(2026, 10, 31, 0, 0, 0)] {
            for m in (0..4 * 24 * 60).step_by(5) {
                assert!(all_day.is_open(start + Duration::minutes(m)), "{}", start + Duration::minutes(m));
            }
        }
    }

    #[test]
    fn a_skipped_midnight_opens_at_the_first_instant_after_the_gap() {
        // Chile springs forward at 24:00 on Saturday 2026-09-05: Sunday 00:00 never happens
        // (00:00 -04 is 01:00 -03).
        let mut h = week_in(chrono_tz::America::Santiago, [None; 7]);
        h.week[5] = to_midnight((9, 0));
        h.week[6] = to_midnight((0, 0));
        for m in (0..=2 * 60).step_by(1) {
            let t = utc(2026, 9, 6, 3, 0, 0) + Duration::minutes(m);
            assert!(h.is_open(t), "{t}");
        }
        // Saturday closed: Sunday opens at the gap's end, 04:00 UTC.
        h.week[5] = None;
        let next = h.next_opening(utc(2026, 9, 6, 0, 0, 0)).unwrap();
        assert_eq!(next.with_timezone(&Utc), utc(2026, 9, 6, 4, 0, 0));
        assert_eq!(next.format("%H:%M").to_string(), "01:00");
        assert!(h.is_open(utc(2026, 9, 6, 4, 0, 0)) && !h.is_open(utc(2026, 9, 6, 3, 59, 59)));
    }

    #[test]
    fn an_opening_inside_a_dst_gap_is_the_gap_end_whatever_its_length() {
        // Lord Howe Island moves its clocks 30 minutes: 02:00 -> 02:30 on Sunday 2026-10-04.
        let mut h = week_in(chrono_tz::Australia::Lord_Howe, [None; 7]);
        h.week[6] = Some(DayHours { open: at(2, 0), close: Closing::At(at(12, 0)) });
        let saturday_night = chrono_tz::Australia::Lord_Howe.with_ymd_and_hms(2026, 10, 3, 22, 0, 0).unwrap().with_timezone(&Utc);
        let next = h.next_opening(saturday_night).unwrap();
        assert_eq!(next.format("%Y-%m-%d %H:%M").to_string(), "2026-10-04 02:30");
        let next = next.with_timezone(&Utc);
        assert!(h.is_open(next) && !h.is_open(next - Duration::seconds(1)));
        // A day whose hours the gap swallows has no opening: the next Sunday's is next.
        h.week[6] = Some(DayHours { open: at(2, 5), close: Closing::At(at(2, 25)) });
        let next = h.next_opening(saturday_night).unwrap();
        assert_eq!(next.format("%Y-%m-%d %H:%M").to_string(), "2026-10-11 02:05");
    }

    #[test]
    fn hours_repeated_by_a_dst_fold_reopen() {
        // New York falls back at 02:00 EDT on Sunday 2026-11-01: 01:00-02:00 happens twice.
        let mut h = week_in(chrono_tz::America::New_York, [None; 7]);
        h.week[6] = Some(DayHours { open: at(1, 0), close: Closing::At(at(1, 30)) });
        let between = utc(2026, 11, 1, 5, 45, 0); // 01:45 EDT
        assert!(!h.is_open(between));
        let next = h.next_opening(between).unwrap();
        assert_eq!(next.format("%H:%M %Z").to_string(), "01:00 EST");
        assert_eq!(h.callback_promise(between).phrase(), "by 1:00 AM today");
    }
}
