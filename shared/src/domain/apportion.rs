//! Splitting an amount of money by weights so the parts sum to exactly the amount.
//!
//! Largest-remainder (Hamilton) method on integers: each part gets the floor of its exact share
//! `amount * weight / total`, and the minor units left over go one each to the parts with the
//! largest remainders; ties go to the earlier part. Deterministic, exact, no floats.

/// Why weights could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApportionError {
    #[error("there is nothing to split the amount over")]
    NoParts,
    #[error("the weights sum to zero")]
    ZeroWeights,
}

/// Splits `amount` (minor units, may be negative) in proportion to `weights`.
pub fn apportion(amount: i64, weights: &[u64]) -> Result<Vec<i64>, ApportionError> {
    if weights.is_empty() {
        return Err(ApportionError::NoParts);
    }
    let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if total == 0 {
        return Err(ApportionError::ZeroWeights);
    }
    let magnitude = u128::from(amount.unsigned_abs());
    let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        // magnitude < 2^63 and w < 2^64, so the product fits in u128.
        let exact = magnitude * u128::from(*w);
        parts.push(exact / total);
        remainders.push((exact % total, i));
    }
    let assigned: u128 = parts.iter().sum();
    let mut left = magnitude - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    let sign = if amount < 0 { -1 } else { 1 };
    Ok(parts.into_iter().map(|p| sign * i64::try_from(p).expect("a part never exceeds the amount")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_always_sum_to_the_amount() {
        assert_eq!(apportion(100, &[1, 1, 1]).unwrap(), [34, 33, 33]);
        assert_eq!(apportion(-100, &[1, 1, 1]).unwrap(), [-34, -33, -33]);
        assert_eq!(apportion(1, &[1, 1]).unwrap(), [1, 0]);
        assert_eq!(apportion(0, &[3, 1]).unwrap(), [0, 0]);
        assert_eq!(apportion(1000, &[40, 20, 40]).unwrap(), [400, 200, 400]);
        assert_eq!(apportion(10, &[0, 5, 0]).unwrap(), [0, 10, 0]);
        assert_eq!(
            apportion(i64::MAX, &[u64::MAX, u64::MAX, 1]).unwrap().iter().map(|p| i128::from(*p)).sum::<i128>(),
            i128::from(i64::MAX)
        );
    }

    #[test]
    fn the_largest_remainder_wins_the_leftover_unit() {
        // 10 * 2/7 = 2.857, 10 * 5/7 = 7.142 -> 3 and 7.
        assert_eq!(apportion(10, &[2, 5]).unwrap(), [3, 7]);
    }

    #[test]
    fn empty_or_zero_weights_are_errors() {
        assert_eq!(apportion(5, &[]), Err(ApportionError::NoParts));
        assert_eq!(apportion(5, &[0, 0]), Err(ApportionError::ZeroWeights));
    }

    #[test]
    fn many_random_splits_are_exact() {
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let n = (next() % 12 + 1) as usize;
            let weights: Vec<u64> = (0..n).map(|_| next() % 1_000_000 + 1).collect();
            let amount = (next() % 10_000_000) as i64 - 5_000_000;
            let parts = apportion(amount, &weights).unwrap();
            assert_eq!(parts.iter().sum::<i64>(), amount);
            // No part is off its exact share by a whole unit or more.
            let total: f64 = weights.iter().map(|w| *w as f64).sum();
            for (p, w) in parts.iter().zip(&weights) {
                assert!(((*p as f64) - amount as f64 * *w as f64 / total).abs() < 1.0);
            }
        }
    }
}
