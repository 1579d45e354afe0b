//! Response times in fixed buckets, so averages and percentiles come from counters that can be
//! added up per day and dimension (a p90 cannot be summed; bucket counts can).
//!
//! Percentiles are estimated by linear interpolation inside the bucket holding the rank, so
//! they are exact to within the bucket's width (10 s near the targets that matter: 30 s, 1 min,
//! 2 min, 5 min). The last bucket is open: a rank there reports its lower bound (7 days).

/// Upper bounds of the buckets, in seconds; bucket `i` holds `[BOUNDS[i-1], BOUNDS[i])`, the
/// first starts at 0 and one more bucket holds everything from the last bound on.
pub const BOUNDS: [u64; 19] =
    [10, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200, 432_000, 604_800];

/// Number of buckets.
pub const BUCKETS: usize = BOUNDS.len() + 1;

/// The bucket of a duration in milliseconds (negative durations count as zero).
pub fn bucket(millis: i64) -> usize {
    let secs = u64::try_from(millis.max(0)).unwrap_or(0) / 1000;
    BOUNDS.iter().position(|b| secs < *b).unwrap_or(BOUNDS.len())
}

/// Lower and upper bound of bucket `i` in seconds (`None` upper for the last).
pub fn range(i: usize) -> (u64, Option<u64>) {
    let lo = if i == 0 { 0 } else { BOUNDS[i - 1] };
    (lo, BOUNDS.get(i).copied())
}

/// A short label (`<10s`, `2-3m`, `1-2h`, `7d+`).
pub fn label(i: usize) -> String {
    fn fmt(s: u64) -> String {
        match s {
            s if s < 60 => format!("{s}s"),
            s if s < 3600 => format!("{}m", s / 60),
            s if s < 86_400 => format!("{}h", s / 3600),
            s => format!("{}d", s / 86_400),
        }
    }
    match range(i) {
        (0, Some(hi)) => format!("<{}", fmt(hi)),
        (lo, Some(hi)) => {
            let (a, b) = (fmt(lo), fmt(hi));
            let unit_a = a.trim_start_matches(|c: char| c.is_ascii_digit());
            let unit_b = b.trim_start_matches(|c: char| c.is_ascii_digit());
            if unit_a == unit_b {
                format!("{}-{}", a.trim_end_matches(unit_a), b)
            } else {
                format!("{a}-{b}")
            }
        }
        (lo, None) => format!("{}+", fmt(lo)),
    }
}

/// The `p`-th percentile (0 < p <= 1) in seconds, from bucket counts; `None` without data.
pub fn percentile(counts: &[i64], p: f64) -> Option<f64> {
    let total: i64 = counts.iter().map(|c| (*c).max(0)).sum();
    if total == 0 {
        return None;
    }
    // The rank of the wanted observation (1-based), as a real number for interpolation.
    let rank = (p * total as f64).max(1.0);
    let mut seen = 0i64;
    for (i, c) in counts.iter().enumerate() {
        let c = (*c).max(0);
        if c == 0 {
            continue;
        }
        if (seen + c) as f64 >= rank {
            let (lo, hi) = range(i);
            let Some(hi) = hi else { return Some(lo as f64) };
            let within = (rank - seen as f64) / c as f64;
            return Some(lo as f64 + within * (hi - lo) as f64);
        }
        seen += c;
    }
    let last = counts.len().saturating_sub(1);
    Some(range(last).0 as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_land_in_their_bucket() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(-5), 0);
        assert_eq!(bucket(9_999), 0);
        assert_eq!(bucket(10_000), 1);
        assert_eq!(bucket(119_000), 3);
        assert_eq!(bucket(120_000), 4);
        assert_eq!(bucket(30 * 86_400_000), BUCKETS - 1);
    }

    #[test]
    fn labels_read_naturally() {
        assert_eq!(label(0), "<10s");
        assert_eq!(label(1), "10-30s");
        assert_eq!(label(2), "30s-1m");
        assert_eq!(label(4), "2-3m");
        assert_eq!(label(9), "30m-1h");
        assert_eq!(label(BUCKETS - 1), "7d+");
    }

    #[test]
    fn percentiles_interpolate_within_the_bucket() {
        let mut counts = vec![0i64; BUCKETS];
        assert_eq!(percentile(&counts, 0.5), None);
        // Ten responses in 1-2 min: the median is halfway through the bucket.
        counts[3] = 10;
        assert_eq!(percentile(&counts, 0.5), Some(90.0));
        assert_eq!(percentile(&counts, 0.9), Some(114.0));
        // Plus ten in the open last bucket: p90 reports its lower bound.
        counts[BUCKETS - 1] = 10;
        assert_eq!(percentile(&counts, 0.9), Some(604_800.0));
        assert_eq!(percentile(&counts, 0.5), Some(120.0));
    }
}
