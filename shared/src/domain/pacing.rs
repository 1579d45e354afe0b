//! Pacing texts to the sender's throughput, with priority lanes.
//!
//! An origination identity has a hard limit in message parts per second (US 10DLC 1-4 per
//! number by tier, toll-free 3, short code 100). A burst of leads, or thousands of cadence steps
//! due at once, would otherwise be refused by the provider or, worse, drop the text to a person
//! in crisis behind a marketing step. So every text takes a slot first:
//!
//! * Time is cut into one-second **windows**; a window holds at most `parts_per_second` parts.
//!   Taking a slot is one conditional atomic add on the window's counter in the shared store
//!   (DynamoDB in AWS), so any number of concurrent Lambda invocations together never exceed
//!   the limit: no coordinator, no reserved concurrency, no long sleeps.
//! * **Lanes**, in priority order: crisis, acknowledgements (and keyword replies), appointment
//!   reminders, follow-up steps. A refused request marks its lane as backlogged until its retry
//!   time; lower lanes yield while a higher lane is backlogged, so a burst of acknowledgements
//!   holds cadence steps back and a crisis reply overtakes waiting acknowledgements within a
//!   second or two. Lower lanes also never take the last `reserve` slots of a window, so a new
//!   acknowledgement finds room at once even while cadence steps drain.
//! * A refused request gets a **ticket**: its place among the requests refused in that window
//!   (its own lane and the higher ones), and retries at `window + 1 + ticket / rate`, so retries
//!   spread out at the sending rate instead of stampeding the next second.
//! * Provider **throttling** (the provider says "slow down" despite the pacer, e.g. when another
//!   system shares the number) cools the identity down for every lane: 1 s, 2 s, 4 s... up to a
//!   minute, doubling with each throttle in the same minute. The refused text is not lost: its
//!   caller keeps it (the queue message or the due item) and sends it after the cool-down.

use crate::domain::string_enum::string_enum;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// A priority lane, highest first.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Lane {
        /// Replies to a person in crisis.
        Crisis => "crisis",
        /// Instant acknowledgements of real leads, and keyword replies (STOP, HELP, START).
        Acknowledgement => "acknowledgement",
        /// Appointment reminders and the answers to their replies.
        Reminder => "reminder",
        /// Follow-up cadence steps and anything else automated.
        FollowUp => "follow_up",
    }
}

impl Lane {
    /// 0 for the highest lane.
    pub fn rank(self) -> usize {
        self as usize
    }

    /// Lanes the spend circuit breaker pauses: everything but crisis replies and the
    /// acknowledgements of real leads.
    pub fn pausable(self) -> bool {
        matches!(self, Lane::Reminder | Lane::FollowUp)
    }
}

/// The window (epoch second) an instant falls in.
pub fn window_of(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// The start of window `w`.
pub fn window_start(w: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(w, 0).single().unwrap_or_default()
}

/// How many parts `lane` may bring a window to: the full rate for crisis and acknowledgements;
/// the rate less a reserve (a third, at least one when the rate allows) for the lower lanes.
pub fn ceiling(lane: Lane, rate: u32) -> u32 {
    let rate = rate.max(1);
    match lane {
        Lane::Crisis | Lane::Acknowledgement => rate,
        Lane::Reminder | Lane::FollowUp => {
            let reserve = if rate >= 2 { (rate / 3).max(1) } else { 0 };
            rate - reserve
        }
    }
}

/// Refusals counted in one window, per lane.
pub type LaneCounts = [u64; 4];

/// When a request refused in window `w` retries, given the refusals counted there (its own
/// included): after the requests ahead of it (same or higher lanes) have had their turn at
/// `rate` per second.
pub fn retry_at(lane: Lane, w: i64, refused: &LaneCounts, rate: u32) -> DateTime<Utc> {
    let ahead: u64 = refused[..=lane.rank()].iter().sum();
    let wait = ahead.saturating_sub(1) / u64::from(rate.max(1));
    window_start(w + 1 + wait as i64)
}

/// A provider throttle's cool-down: 1 s for the first in a minute, doubling to at most 60 s.
pub fn cool_down(throttles_this_minute: u32) -> chrono::Duration {
    let exp = throttles_this_minute.saturating_sub(1).min(6);
    chrono::Duration::seconds((1i64 << exp).min(60))
}

/// What a sender may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// A slot was taken: send now.
    Go,
    /// Try again at this time (the message is kept by its caller, never dropped).
    Wait { until: DateTime<Utc>, reason: WaitReason },
}

string_enum! {
    /// Why a text waits.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum WaitReason {
        /// The identity's throughput is taken (or a higher lane is backlogged).
        #[serde(rename = "paced")]
        Throughput => "paced",
        /// The provider throttled: every lane cools down.
        #[serde(rename = "provider_throttled")]
        Throttled => "provider_throttled",
        /// The spend circuit breaker is open: automated follow-ups wait for the next hour.
        SpendPaused => "spend_paused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_lanes_leave_a_reserve() {
        assert_eq!(ceiling(Lane::Crisis, 3), 3);
        assert_eq!(ceiling(Lane::Acknowledgement, 3), 3);
        assert_eq!(ceiling(Lane::FollowUp, 3), 2);
        assert_eq!(ceiling(Lane::FollowUp, 1), 1, "at one part per second only the backlog rule keeps order");
        assert_eq!(ceiling(Lane::Reminder, 100), 67);
    }

    #[test]
    fn retries_spread_at_the_rate_behind_higher_lanes() {
        let w = 1_000;
        // Third acknowledgement refused in a window where one crisis reply was refused too.
        let counts = [1, 3, 0, 0];
        assert_eq!(retry_at(Lane::Crisis, w, &counts, 3), window_start(w + 1));
        assert_eq!(retry_at(Lane::Acknowledgement, w, &counts, 3), window_start(w + 2));
        let followups = [1, 3, 0, 9];
        assert_eq!(retry_at(Lane::FollowUp, w, &followups, 3), window_start(w + 5));
    }

    #[test]
    fn throttling_doubles_the_cool_down_up_to_a_minute() {
        assert_eq!(cool_down(1).num_seconds(), 1);
        assert_eq!(cool_down(2).num_seconds(), 2);
        assert_eq!(cool_down(4).num_seconds(), 8);
        assert_eq!(cool_down(50).num_seconds(), 60);
    }
}
