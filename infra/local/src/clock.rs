//! The runner's time-travel clock: the system time plus an offset that `POST /local/tick` can
//! move forward, so a person trying the runner can watch an SLA escalate without waiting.
//! Started with `--time-travel`; tests use `ManualClock` instead.

use chrono::{DateTime, Duration, Utc};
use leadflow::ports::Clock;
use std::sync::Mutex;

/// System time shifted by an adjustable offset.
#[derive(Debug, Default)]
pub struct TravelClock {
    offset: Mutex<Duration>,
}

impl TravelClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for TravelClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
}
