//! Multi-touch attribution: how much of a conversion's value each touchpoint earns.
//!
//! Credit is in integer minor units and sums to exactly the conversion's value for every model
//! (see [`apportion`](super::apportion)). Touchpoints after the conversion earn nothing and are
//! ignored; touchpoints at the same instant keep their given order.

use super::apportion::{apportion, ApportionError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// An attribution model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Model {
    /// All credit to the first touchpoint (what created awareness).
    FirstTouch,
    /// All credit to the last touchpoint before conversion (what closed).
    LastTouch,
    /// Equal credit to every touchpoint.
    Linear,
    /// Credit halves for every `half_life` between a touchpoint and the conversion.
    TimeDecay { half_life_hours: u32 },
    /// `first_percent` to the first, `last_percent` to the last, the rest spread over the
    /// middle; with one touchpoint it gets everything, with two they split
    /// `first_percent : last_percent`.
    PositionBased { first_percent: u8, last_percent: u8 },
}

impl Model {
    /// Time decay with the usual 7-day half-life.
    pub const TIME_DECAY_7_DAYS: Model = Model::TimeDecay { half_life_hours: 7 * 24 };
    /// The common 40 / 20 / 40 position-based model.
    pub const POSITION_BASED_40_40: Model = Model::PositionBased { first_percent: 40, last_percent: 40 };
    /// The five models the reports show side by side.
    pub const STANDARD: [Model; 5] =
        [Model::FirstTouch, Model::LastTouch, Model::Linear, Model::TIME_DECAY_7_DAYS, Model::POSITION_BASED_40_40];

    pub fn name(&self) -> &'static str {
        match self {
            Model::FirstTouch => "first_touch",
            Model::LastTouch => "last_touch",
            Model::Linear => "linear",
            Model::TimeDecay { .. } => "time_decay",
            Model::PositionBased { .. } => "position_based",
        }
    }
}

/// Why a model cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttributionError {
    #[error("no touchpoint precedes the conversion")]
    NoTouchpoints,
    #[error("a time-decay half-life must be at least one hour")]
    ZeroHalfLife,
    #[error("position-based percentages must sum to at most 100")]
    BadPositions,
}

/// Credit per touchpoint, in the order given (touchpoints after `converted_at` get 0).
pub fn attribute(
    model: Model,
    touch_times: &[DateTime<Utc>],
    converted_at: DateTime<Utc>,
    value_minor: i64,
) -> Result<Vec<i64>, AttributionError> {
    let eligible: Vec<usize> = (0..touch_times.len()).filter(|&i| touch_times[i] <= converted_at).collect();
    if eligible.is_empty() {
        return Err(AttributionError::NoTouchpoints);
    }
    // Chronological order among eligible touchpoints; equal times keep the given order.
    let mut order = eligible.clone();
    order.sort_by_key(|&i| (touch_times[i], i));
    let weights = weights(model, &order.iter().map(|&i| touch_times[i]).collect::<Vec<_>>(), converted_at)?;
    let parts = apportion(value_minor, &weights).map_err(|e| match e {
        ApportionError::NoParts | ApportionError::ZeroWeights => AttributionError::NoTouchpoints,
    })?;
    let mut credit = vec![0; touch_times.len()];
    for (pos, &i) in order.iter().enumerate() {
        credit[i] = parts[pos];
    }
    Ok(credit)
}

/// Integer weights of chronologically ordered touchpoints.
fn weights(model: Model, times: &[DateTime<Utc>], converted_at: DateTime<Utc>) -> Result<Vec<u64>, AttributionError> {
    let n = times.len();
    let mut w = vec![0u64; n];
    match model {
        Model::FirstTouch => w[0] = 1,
        Model::LastTouch => w[n - 1] = 1,
        Model::Linear => w.fill(1),
        Model::TimeDecay { half_life_hours } => {
            if half_life_hours == 0 {
                return Err(AttributionError::ZeroHalfLife);
            }
            let half_life = Duration::hours(i64::from(half_life_hours)).num_seconds() as f64;
            for (i, t) in times.iter().enumerate() {
                let age = (converted_at - *t).num_seconds().max(0) as f64;
                // Fixed point with 2^40 resolution: floats only shape the weights; the money
                // split itself is exact integer arithmetic. A touch 40 half-lives old rounds to
                // nothing but still keeps a minimal weight of 1.
                w[i] = ((-(age / half_life)).exp2() * (1u64 << 40) as f64).round().max(1.0) as u64;
            }
        }
        Model::PositionBased { first_percent, last_percent } => {
            let (f, l) = (u64::from(first_percent), u64::from(last_percent));
            if f + l > 100 {
                return Err(AttributionError::BadPositions);
            }
            match n {
                1 => w[0] = 1,
                2 if f + l == 0 => w.fill(1),
                2 => {
                    w[0] = f;
                    w[1] = l;
                }
                _ => {
                    let middles = (n - 2) as u64;
                    // first : each middle : last = f * m : (100 - f - l) : l * m
                    w[0] = f * middles;
                    w[n - 1] = l * middles;
                    for x in &mut w[1..n - 1] {
                        *x = 100 - f - l;
                    }
                    if w.iter().all(|x| *x == 0) {
                        w.fill(1);
                    }
                }
            }
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn one_touchpoint_gets_everything_under_every_model() {
        for m in Model::STANDARD {
            assert_eq!(attribute(m, &[day(1)], day(10), 50_000).unwrap(), [50_000], "{}", m.name());
        }
    }

    #[test]
    fn two_touchpoints_hand_computed() {
        let t = [day(1), day(8)];
        let v = 10_000;
        assert_eq!(attribute(Model::FirstTouch, &t, day(8), v).unwrap(), [10_000, 0]);
        assert_eq!(attribute(Model::LastTouch, &t, day(8), v).unwrap(), [0, 10_000]);
        assert_eq!(attribute(Model::Linear, &t, day(8), v).unwrap(), [5_000, 5_000]);
        assert_eq!(attribute(Model::POSITION_BASED_40_40, &t, day(8), v).unwrap(), [5_000, 5_000]);
        // 7 days apart with a 7-day half-life: weights 1/2 and 1 -> 1/3 and 2/3.
        assert_eq!(attribute(Model::TIME_DECAY_7_DAYS, &t, day(8), v).unwrap(), [3_333, 6_667]);
    }

    #[test]
    fn many_touchpoints_hand_computed() {
        // Five touchpoints, $1,000.00 conversion on day 15.
        let t = [day(1), day(3), day(8), day(10), day(15)];
        let v = 100_000;
        assert_eq!(attribute(Model::Linear, &t, day(15), v).unwrap(), [20_000; 5]);
        // 40% / 20% over three middles / 40%: 6,666.67 each, remainder to the earliest.
        assert_eq!(attribute(Model::POSITION_BASED_40_40, &t, day(15), v).unwrap(), [40_000, 6_667, 6_667, 6_666, 40_000]);
        // Ages 14, 12, 7, 5, 0 days with a 7-day half-life: weights 2^-2, 2^-12/7, 2^-1, 2^-5/7, 1.
        let w = [0.25, 2f64.powf(-12.0 / 7.0), 0.5, 2f64.powf(-5.0 / 7.0), 1.0];
        let total: f64 = w.iter().sum();
        let got = attribute(Model::TIME_DECAY_7_DAYS, &t, day(15), v).unwrap();
        assert_eq!(got.iter().sum::<i64>(), v);
        for (g, w) in got.iter().zip(w) {
            assert!((*g as f64 - v as f64 * w / total).abs() < 1.0, "{got:?}");
        }
        // Sum of weights 2.66425: 0.25 / 2.66425 = 9.383%, ... , 1 / 2.66425 = 37.534%.
        assert_eq!(got, [9_383, 11_439, 18_767, 22_877, 37_534]);
    }

    #[test]
    fn ties_in_time_keep_the_given_order() {
        let t = [day(2), day(2), day(2)];
        assert_eq!(attribute(Model::FirstTouch, &t, day(5), 900).unwrap(), [900, 0, 0]);
        assert_eq!(attribute(Model::LastTouch, &t, day(5), 900).unwrap(), [0, 0, 900]);
        assert_eq!(attribute(Model::Linear, &t, day(5), 100).unwrap(), [34, 33, 33]);
    }

    #[test]
    fn many_touchpoints_first_and_last_touch() {
        let t = [day(1), day(3), day(8), day(10), day(15)];
        assert_eq!(attribute(Model::FirstTouch, &t, day(15), 100_000).unwrap(), [100_000, 0, 0, 0, 0]);
        assert_eq!(attribute(Model::LastTouch, &t, day(15), 100_000).unwrap(), [0, 0, 0, 0, 100_000]);
        // Position-based with four touchpoints: 40 / 10 / 10 / 40.
        assert_eq!(attribute(Model::POSITION_BASED_40_40, &t[..4], day(15), 1_001).unwrap(), [401, 100, 100, 400]);
    }

    #[test]
    fn ties_in_time_under_every_model() {
        // Three touchpoints at one instant: the given order decides first and last.
        let t = [day(2), day(2), day(2)];
        assert_eq!(attribute(Model::POSITION_BASED_40_40, &t, day(5), 900).unwrap(), [360, 180, 360]);
        // Equal ages, equal weights: an even split, the spare unit to the earliest.
        assert_eq!(attribute(Model::TIME_DECAY_7_DAYS, &t, day(5), 901).unwrap(), [301, 300, 300]);
        // Two touchpoints at the conversion instant itself still count (not after it).
        let two = [day(5), day(5)];
        for m in Model::STANDARD {
            let got = attribute(m, &two, day(5), 10).unwrap();
            assert_eq!(got.iter().sum::<i64>(), 10, "{}", m.name());
        }
        assert_eq!(attribute(Model::POSITION_BASED_40_40, &two, day(5), 10).unwrap(), [5, 5]);
        assert_eq!(attribute(Model::PositionBased { first_percent: 60, last_percent: 30 }, &two, day(5), 10).unwrap(), [7, 3]);
    }

    #[test]
    fn unordered_input_and_later_touchpoints() {
        // Given out of order; the day-20 touch came after the conversion and earns nothing.
        let t = [day(8), day(20), day(1)];
        assert_eq!(attribute(Model::FirstTouch, &t, day(10), 700).unwrap(), [0, 0, 700]);
        assert_eq!(attribute(Model::LastTouch, &t, day(10), 700).unwrap(), [700, 0, 0]);
        assert_eq!(attribute(Model::Linear, &t, day(10), 701).unwrap(), [350, 0, 351]);
        assert_eq!(attribute(Model::Linear, &[day(20)], day(10), 5), Err(AttributionError::NoTouchpoints));
    }

    #[test]
    fn every_model_sums_exactly_over_random_journeys() {
        let mut seed: u64 = 42;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            seed >> 33
        };
        for _ in 0..500 {
            let n = (next() % 9 + 1) as usize;
            let t: Vec<DateTime<Utc>> = (0..n).map(|_| day(1) + Duration::minutes((next() % 40_000) as i64)).collect();
            let conv = day(1) + Duration::minutes(40_000);
            let v = (next() % 5_000_000) as i64;
            for m in Model::STANDARD {
                assert_eq!(attribute(m, &t, conv, v).unwrap().iter().sum::<i64>(), v, "{}", m.name());
            }
        }
    }

    #[test]
    fn invalid_parameters_are_refused() {
        assert_eq!(attribute(Model::TimeDecay { half_life_hours: 0 }, &[day(1)], day(2), 5), Err(AttributionError::ZeroHalfLife));
        assert_eq!(
            attribute(Model::PositionBased { first_percent: 70, last_percent: 40 }, &[day(1)], day(2), 5),
            Err(AttributionError::BadPositions)
        );
    }
}
