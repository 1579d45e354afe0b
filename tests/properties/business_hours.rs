//! Business hours over generated weeks, zones and instants: when the team is out, the next
//! opening is a moment it is in and was not just before (so the callback promise and the SLA
//! clock point at a real opening, across DST gaps and folds); a day that closes at 24:00 runs
//! into a next day that opens at 00:00 without a closed second, including where the zone's DST
//! change skips or repeats midnight; and the configuration accepts 24:00 only as a closing time.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use leadflow::config::Config;
use leadflow::domain::business_hours::{BusinessHours, Closing, DayHours};
use leadflow_tests::fuzz;
use proptest::prelude::*;
use std::sync::LazyLock;

/// Zones with ordinary one-hour changes, changes at midnight (Santiago, Havana, Beirut), a
/// 30-minute change (Lord Howe) and none (Kolkata).
const ZONES: [Tz; 7] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::London,
    chrono_tz::America::Santiago,
    chrono_tz::America::Havana,
    chrono_tz::Asia::Beirut,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
];

fn zone() -> impl Strategy<Value = Tz> {
    (0..ZONES.len()).prop_map(|i| ZONES[i])
}

fn time(minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap()
}

/// Closed, or open from a quarter hour to a later quarter hour or to 24:00.
fn day() -> impl Strategy<Value = Option<DayHours>> {
    prop_oneof![
        1 => Just(None),
        3 => (0u32..96, 1u32..=96).prop_map(|(o, len)| {
            let (open, close) = (o * 15, (o * 15 + len * 15).min(1440));
            let close = if close == 1440 { Closing::EndOfDay } else { Closing::At(time(close)) };
            Some(DayHours { open: time(open), close })
        }),
    ]
}

fn hours(zone: Tz, week: [Option<DayHours>; 7]) -> BusinessHours {
    BusinessHours { time_zone: zone, week, holidays: Default::default(), response_minutes: 5 }
}

/// The hours of 2026 (UTC, on the hour) in which `zone` changes its offset (found once a zone).
fn changes(zone: Tz) -> &'static [DateTime<Utc>] {
    use chrono::Offset;
    static FOUND: LazyLock<Vec<Vec<DateTime<Utc>>>> = LazyLock::new(|| {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        ZONES
            .iter()
            .map(|zone| {
                let offset = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc()).fix();
                (0..365 * 24).map(|h| start + Duration::hours(h)).filter(|t| offset(*t) != offset(*t + Duration::hours(1))).collect()
            })
            .collect()
    });
    &FOUND[ZONES.iter().position(|z| *z == zone).expect("one of ZONES")]
}

/// A zone and an instant in 2026 to the second: anywhere, or within a day and a half of one of
/// the zone's changes.
fn zone_and_instant() -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (zone(), any::<bool>(), any::<prop::sample::Index>(), 0i64..365 * 86_400, -129_600i64..129_600).prop_map(
        move |(zone, near_a_change, pick, anywhere, around)| {
            let changes = changes(zone);
            let at = if near_a_change && !changes.is_empty() {
                *pick.get(changes) + Duration::seconds(around)
            } else {
                start + Duration::seconds(anywhere)
            };
            (zone, at)
        },
    )
}

proptest! {
    #![proptest_config(fuzz::config(2_000))]

    #[test]
    fn when_closed_the_next_opening_is_when_the_team_comes_in(
        (zone, at) in zone_and_instant(),
        week in prop::array::uniform7(day()),
    ) {
        let h = hours(zone, week);
        prop_assume!(week.iter().any(Option::is_some) && !h.is_open(at));
        let next = h.next_opening(at).expect("an opening within two weeks").with_timezone(&Utc);
        prop_assert!(next > at, "{next} after {at}");
        prop_assert!(h.is_open(next), "open at {next}");
        prop_assert!(!h.is_open(next - Duration::seconds(1)), "closed just before {next}");
    }

}

proptest! {
    #![proptest_config(fuzz::config(400))]

    #[test]
    fn a_day_to_24_00_meets_a_day_from_00_00_without_a_closed_second(
        zone in zone(),
        pick in any::<prop::sample::Index>(),
        random_day in 0i64..364,
        on_a_change in any::<bool>(),
        open in 0u32..48,
        close in prop_oneof![Just(None), (1u32..48).prop_map(Some)],
    ) {
        let changes: Vec<NaiveDate> = changes(zone).iter().map(|t| t.with_timezone(&zone).date_naive()).collect();
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        // The day before midnight: random, or the day of a change or the day before it.
        let d = if on_a_change && !changes.is_empty() {
            *pick.get(&changes) - Duration::days(random_day % 2)
        } else {
            first + Duration::days(random_day)
        };
        let mut week = [None; 7];
        let i = |d: NaiveDate| chrono::Datelike::weekday(&d).num_days_from_monday() as usize;
        week[i(d)] = Some(DayHours { open: time(open * 15), close: Closing::EndOfDay });
        let next_close = close.map_or(Closing::EndOfDay, |c| Closing::At(time(c * 15)));
        week[i(d + Duration::days(1))] = Some(DayHours { open: time(0), close: next_close });
        let h = hours(zone, week);
        // From noon of the first day (open, as it opens before noon) to 00:15 local of the
        // second's (as it closes after), minute by minute and second by second in the minutes
        // around midnight: always open.
        let noon = zone.from_local_datetime(&d.and_time(time(12 * 60))).earliest().unwrap().with_timezone(&Utc);
        let mut t = noon;
        loop {
            let local = t.with_timezone(&zone);
            if local.date_naive() > d + Duration::days(1) || (local.date_naive() == d + Duration::days(1) && local.time() >= time(15)) {
                break;
            }
            prop_assert!(h.is_open(t), "open at {} ({t})", local);
            let near_midnight = (local.hour() == 23 && local.minute() >= 58) || (local.hour() <= 1 && local.minute() < 2);
            t += if near_midnight { Duration::seconds(1) } else { Duration::minutes(1) };
        }
    }
}

proptest! {
    #![proptest_config(fuzz::config(120))]

    #[test]
    fn the_configuration_takes_24_00_only_as_a_closing_time(open in 0u32..=96, close in 0u32..=96) {
        let hhmm = |q: u32| format!("{:02}:{:02}", q * 15 / 60, q * 15 % 60);
        let value = format!("{}-{}", hhmm(open), hhmm(close));
        let src = leadflow::config::DEFAULT_CONFIG.replacen("saturday = \"09:00-13:00\"", &format!("saturday = \"{value}\""), 1);
        prop_assert_ne!(&src, leadflow::config::DEFAULT_CONFIG);
        let loaded = Config::from_toml(&src, "hours.toml");
        if open < 96 && close > open {
            // Accepted unless nobody staffs the opening (an early Saturday start is that).
            let saturday = match &loaded {
                Ok(c) => c.business_hours.week[5],
                Err(e) => {
                    prop_assert!(e.to_string().contains("`business_hours.saturday`: opens at"), "{value}: {e}");
                    return Ok(());
                }
            };
            let expected_close = if close == 96 { Closing::EndOfDay } else { Closing::At(time(close * 15)) };
            prop_assert_eq!(saturday, Some(DayHours { open: time(open * 15), close: expected_close }));
        } else {
            let err = loaded.expect_err(&value).to_string();
            prop_assert!(err.contains("`business_hours.saturday`:"), "{value}: {err}");
            let why = if open == 96 { "24:00 is the end of a day" } else { "closing time must be after opening time" };
            prop_assert!(err.contains(why), "{value}: {err}");
        }
    }
}
