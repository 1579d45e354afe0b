//! The rules every automated message and call task of a cadence obeys, whatever its step says:
//! the recipient's local quiet hours and a cap on automated messages per 24 hours, with stricter
//! values for the states that require them.
//!
//! * 47 CFR 64.1200(c)(1) bars telephone solicitations before 8 a.m. or after 9 p.m. in the
//!   called party's local time, and texts count as calls: the default window is 08:00-21:00.
//! * Florida's Telephone Solicitation Act (FTSA) allows 8 a.m.-8 p.m. only and at most three
//!   messages on one subject per 24 hours; Oklahoma passed a similar law in 2022. Both are
//!   configured as state rules in `config/leadflow.toml`, not hard-coded (not legal advice).
//!
//! A step blocked by a rule is not dropped: [`ContactRules::next_allowed`] gives the first minute
//! at which every rule holds, and the step waits for it.

use super::preferred::PreferredTimes;
use crate::domain::geo::LocalZone;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A daily local window `[start, end)` (start before end: no overnight windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Window {
    /// 08:00-21:00, the federal quiet-hours window.
    pub fn federal() -> Window {
        Window { start: NaiveTime::from_hms_opt(8, 0, 0).expect("time"), end: NaiveTime::from_hms_opt(21, 0, 0).expect("time") }
    }

    /// Parses `"08:00-21:00"`.
    pub fn parse(s: &str) -> Option<Window> {
        let (a, b) = s.trim().split_once('-')?;
        let start = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
        let end = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
        (start < end).then_some(Window { start, end })
    }

    pub fn contains(&self, local: NaiveTime) -> bool {
        local >= self.start && local < self.end
    }

    /// The first instant at or after `at` inside the window, in `zone`.
    pub fn next_open(&self, at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&zone);
        if self.contains(local.time()) {
            return at;
        }
        let date = if local.time() < self.start { local.date_naive() } else { local.date_naive() + Duration::days(1) };
        local_instant(zone, date, self.start)
    }
}

/// The instant of a local date and time; in a DST gap, the first instant after it.
pub fn local_instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(naive + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// Stricter rules for some states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRule {
    /// USPS codes (`FL`, `OK`).
    pub states: Vec<String>,
    pub window: Window,
    /// `None`: the general cap.
    pub max_messages_per_24h: Option<u32>,
}

/// The contact rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRules {
    pub window: Window,
    /// Automated messages (texts and emails, the acknowledgement included) to one person in any
    /// 24 hours; 0 turns the cap off.
    pub max_messages_per_24h: u32,
    pub states: Vec<StateRule>,
    /// Wait for the times the person said suit them ("weekday mornings") when they said any.
    pub honor_preferred_times: bool,
    /// Skip message steps on the other message channel when the person named sms or email.
    pub honor_preferred_channel: bool,
}

impl Default for ContactRules {
    fn default() -> Self {
        ContactRules {
            window: Window::federal(),
            max_messages_per_24h: 4,
            states: Vec::new(),
            honor_preferred_times: true,
            honor_preferred_channel: true,
        }
    }
}

string_enum! {
    /// Why a step waits.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DeferReason {
        QuietHours => "quiet_hours",
        DailyCap => "daily_cap",
        PreferredTimes => "preferred_times",
        BusinessHours => "business_hours",
        /// The sender's throughput is taken by higher lanes or earlier texts (`domain::pacing`).
        Paced => "paced",
        /// The provider throttled: every text cools down.
        ProviderThrottled => "provider_throttled",
        /// The spend circuit breaker is open: automated follow-ups wait for the next hour.
        SpendPaused => "spend_paused",
    }
}

/// When a step may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    Now,
    /// Not before this minute, for this (first) reason.
    At(DateTime<Utc>, DeferReason),
}

/// What a decision needs to know about the step and the person.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub zone: LocalZone,
    /// Automated messages sent to the person (any time order; older ones are ignored).
    pub sent: &'a [DateTime<Utc>],
    /// Whether this step sends a message (texts and emails count toward the cap; call tasks
    /// obey quiet hours only).
    pub is_message: bool,
    pub preferred: Option<&'a PreferredTimes>,
}

impl ContactRules {
    /// The window and cap for a person in `state`.
    pub fn for_state(&self, state: Option<&str>) -> (Window, u32) {
        match state.and_then(|s| self.states.iter().find(|r| r.states.iter().any(|x| x.eq_ignore_ascii_case(s)))) {
            Some(r) => (r.window, r.max_messages_per_24h.unwrap_or(self.max_messages_per_24h)),
            None => (self.window, self.max_messages_per_24h),
        }
    }

    /// The first minute at or after `at` at which every rule holds.
    pub fn next_allowed(&self, at: DateTime<Utc>, check: Check<'_>) -> Allowed {
        let (window, cap) = self.for_state(check.zone.state);
        let zone = check.zone.zone;
        let mut t = at;
        let mut first: Option<DeferReason> = None;
        // Each rule only moves time forward; a few rounds settle them (a cap lifted at night
        // moves to the morning, a morning full of earlier sends moves on).
        for _ in 0..16 {
            let mut moved = None;
            if check.is_message && cap > 0 {
                let mut recent: Vec<DateTime<Utc>> =
                    check.sent.iter().copied().filter(|s| *s > t - Duration::hours(24) && *s <= t).collect();
                if recent.len() >= cap as usize {
                    recent.sort();
                    let free_at = recent[recent.len() - cap as usize] + Duration::hours(24);
                    if free_at > t {
                        t = free_at;
                        moved = Some(DeferReason::DailyCap);
                    }
                }
            }
            // Every zone the person may be in (an area code spanning zones): the window must be
            // open in all of them, the strictest combination.
            for z in std::iter::once(zone).chain(check.zone.also.iter().copied()) {
                let open = window.next_open(t, z);
                if open > t {
                    t = open;
                    moved = moved.or(Some(DeferReason::QuietHours));
                }
            }
            if let Some(p) = check.preferred.filter(|_| self.honor_preferred_times) {
                let next = p.next_open(t, zone);
                if next > t {
                    t = next;
                    moved = moved.or(Some(DeferReason::PreferredTimes));
                }
            }
            match moved {
                Some(r) => {
                    first = first.or(Some(r));
                }
                None => break,
            }
        }
        match first {
            None => Allowed::Now,
            Some(r) => Allowed::At(ceil_minute(t), r),
        }
    }
}

/// The start of the next minute, unless `t` is on one.
pub fn ceil_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    if t.second() == 0 && t.nanosecond() == 0 {
        t
    } else {
        let base = t - Duration::seconds(i64::from(t.second())) - Duration::nanoseconds(i64::from(t.nanosecond()));
        base + Duration::minutes(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo::ZoneSource;

    fn zone(tz: Tz, state: Option<&'static str>) -> LocalZone {
        LocalZone::single(tz, ZoneSource::State, state)
    }

    fn local(tz: Tz, d: u32, h: u32, m: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
    }

    fn florida() -> ContactRules {
        ContactRules {
            states: vec![StateRule {
                states: vec!["FL".into(), "OK".into()],
                window: Window::parse("08:00-20:00").unwrap(),
                max_messages_per_24h: Some(3),
            }],
            ..ContactRules::default()
        }
    }

    fn check(z: LocalZone, sent: &[DateTime<Utc>]) -> Check<'_> {
        Check { zone: z, sent, is_message: true, preferred: None }
    }

    #[test]
    fn late_evening_waits_for_eight_in_the_morning_local_time() {
        let la = chrono_tz::America::Los_Angeles;
        let r = ContactRules::default();
        let z = zone(la, Some("CA"));
        assert_eq!(r.next_allowed(local(la, 3, 23, 0), check(z, &[])), Allowed::At(local(la, 4, 8, 0), DeferReason::QuietHours));
        assert_eq!(r.next_allowed(local(la, 3, 6, 30), check(z, &[])), Allowed::At(local(la, 3, 8, 0), DeferReason::QuietHours));
        assert_eq!(r.next_allowed(local(la, 3, 20, 59), check(z, &[])), Allowed::Now);
        assert_eq!(r.next_allowed(local(la, 3, 21, 0), check(z, &[])), Allowed::At(local(la, 4, 8, 0), DeferReason::QuietHours));
    }

    #[test]
    fn florida_stops_at_eight_in_the_evening_and_caps_at_three() {
        let ny = chrono_tz::America::New_York;
        let r = florida();
        let fl = zone(ny, Some("FL"));
        assert_eq!(r.next_allowed(local(ny, 3, 20, 30), check(fl, &[])), Allowed::At(local(ny, 4, 8, 0), DeferReason::QuietHours));
        let nj = zone(ny, Some("NJ"));
        assert_eq!(r.next_allowed(local(ny, 3, 20, 30), check(nj, &[])), Allowed::Now);
        // Three sends since 09:00: the fourth waits until the first is 24 hours old.
        let sent = [local(ny, 3, 9, 0), local(ny, 3, 10, 0), local(ny, 3, 11, 0)];
        assert_eq!(r.next_allowed(local(ny, 3, 12, 0), check(fl, &sent)), Allowed::At(local(ny, 4, 9, 0), DeferReason::DailyCap));
        // Call tasks are not messages: only quiet hours apply.
        let call = Check { is_message: false, ..check(fl, &sent) };
        assert_eq!(r.next_allowed(local(ny, 3, 12, 0), call), Allowed::Now);
    }

    #[test]
    fn a_cap_lifted_at_night_moves_to_the_morning() {
        let ny = chrono_tz::America::New_York;
        let r = florida();
        let fl = zone(ny, Some("FL"));
        let sent = [local(ny, 2, 19, 30), local(ny, 2, 19, 40), local(ny, 2, 19, 50)];
        // Free at 19:30 the next day, inside the window.
        assert_eq!(r.next_allowed(local(ny, 3, 8, 0), check(fl, &sent)), Allowed::At(local(ny, 3, 19, 30), DeferReason::DailyCap));
        let late = [local(ny, 2, 19, 58), local(ny, 2, 19, 59), local(ny, 2, 19, 59)];
        // Free at 19:58, still allowed (before 20:00).
        assert_eq!(r.next_allowed(local(ny, 3, 19, 0), check(fl, &late)), Allowed::At(local(ny, 3, 19, 58), DeferReason::DailyCap));
        let later = [local(ny, 2, 20, 30), local(ny, 2, 20, 40), local(ny, 2, 20, 50)];
        // (Sent elsewhere at 20:30+ local) free at 20:30 the next day, after the window: 08:00 the day after.
        assert_eq!(r.next_allowed(local(ny, 3, 19, 0), check(fl, &later)), Allowed::At(local(ny, 4, 8, 0), DeferReason::DailyCap));
    }

    #[test]
    fn a_number_spanning_zones_gets_the_strictest_window() {
        let ny = chrono_tz::America::New_York;
        let chicago = chrono_tz::America::Chicago;
        let r = florida();
        static ALSO: [Tz; 1] = [chrono_tz::America::Chicago];
        // An 850 number with no address: Florida, Eastern and Central.
        let panhandle = LocalZone { zone: ny, source: ZoneSource::AreaCode, state: Some("FL"), also: &ALSO };
        // 08:30 Eastern is 07:30 Central: wait for 08:00 Central (09:00 Eastern).
        assert_eq!(
            r.next_allowed(local(ny, 3, 8, 30), check(panhandle, &[])),
            Allowed::At(local(chicago, 3, 8, 0), DeferReason::QuietHours)
        );
        // 19:30 Eastern is the last half hour in Eastern: fine in both.
        assert_eq!(r.next_allowed(local(ny, 3, 19, 30), check(panhandle, &[])), Allowed::Now);
        // 20:15 Eastern is closed in Eastern although Central is open.
        assert_eq!(
            r.next_allowed(local(ny, 3, 20, 15), check(panhandle, &[])),
            Allowed::At(local(chicago, 4, 8, 0), DeferReason::QuietHours)
        );
    }

    #[test]
    fn windows_parse_and_refuse_overnight() {
        assert_eq!(Window::parse("08:00-20:00").unwrap().end, NaiveTime::from_hms_opt(20, 0, 0).unwrap());
        assert!(Window::parse("21:00-08:00").is_none());
        assert!(Window::parse("8-9").is_none());
        assert_eq!(ceil_minute(local(chrono_tz::UTC, 3, 8, 0) + Duration::seconds(1)), local(chrono_tz::UTC, 3, 8, 1));
    }
}
