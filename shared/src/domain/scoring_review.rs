//! Scoring review: how well a scoring model's scores ranked the leads that went on to
//! convert, and which factor weights would have ranked them better. Pure: the leads' stored
//! scores (with their per-factor contributions) and outcomes in, a report out. A person decides
//! whether to change the configured weights; nothing here changes them.
//!
//! * Conversion rate per score decile: score ranges 0-9, 10-19, ..., 90-100.
//! * Calibration: per band (cold, warm, hot) the mean predicted score (as a rate, score/100)
//!   next to the actual conversion rate.
//! * AUC: the probability that a converted lead scored above a non-converted one, from ranks
//!   (Mann-Whitney U), ties counted as half.
//! * Suggested weights, by logistic regression on the stored contributions: each factor's
//!   points summed per lead are the features (standardized), outcomes the labels; batch gradient
//!   descent from zero with a fixed step, iteration count and a small L2 penalty, so the same
//!   data always gives the same answer. A factor's coefficient back on the points scale is the
//!   multiplier its current points deserve; the suggestion is current points x multiplier,
//!   rescaled so the suggested points sum to the current ones (same score range).

use super::scoring::ScoreBand;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One scored lead with its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub score: u32,
    pub band: ScoreBand,
    /// Points per factor (the sum of the factor's contributions on the stored score).
    pub factors: BTreeMap<String, f64>,
    pub converted: bool,
}

/// One score decile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecileRow {
    /// `0-9`, `10-19`, ..., `90-100`.
    pub range: String,
    pub leads: usize,
    pub converted: usize,
    pub rate: Option<f64>,
}

/// One band of the calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationRow {
    pub band: ScoreBand,
    pub leads: usize,
    /// Mean score / 100: what the band "predicts" if scores were probabilities.
    pub predicted_rate: Option<f64>,
    pub actual_rate: Option<f64>,
}

/// A factor's weight now and the suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactorWeight {
    pub factor: String,
    /// Mean points the factor gives when it fires (what the configuration amounts to now).
    pub current_points: f64,
    pub suggested_points: f64,
    /// suggested / current.
    pub multiplier: f64,
    /// Leads where the factor gave points.
    pub leads_with_factor: usize,
}

/// The whole review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub leads: usize,
    pub converted: usize,
    pub deciles: Vec<DecileRow>,
    pub calibration: Vec<CalibrationRow>,
    /// AUC of the current scores; `None` without both outcomes.
    pub auc_current: Option<f64>,
    /// AUC the suggested weights would have had on the same leads (in-sample).
    pub auc_suggested: Option<f64>,
    pub weights: Vec<FactorWeight>,
    pub method: &'static str,
}

/// The fitting method, as shown in the report.
pub const METHOD: &str = "logistic regression on standardized per-factor points, batch gradient descent from zero (step 0.5, 2000 \
                          iterations, L2 0.001); suggested points = current points x coefficient ratio, rescaled to the same total";

const STEP: f64 = 0.5;
const ITERATIONS: usize = 2000;
const L2: f64 = 0.001;

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Rank-based AUC (Mann-Whitney U with average ranks for ties).
pub fn auc(scores: &[f64], outcomes: &[bool]) -> Option<f64> {
    let positives = outcomes.iter().filter(|o| **o).count();
    let negatives = outcomes.len() - positives;
    if positives == 0 || negatives == 0 || scores.len() != outcomes.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks are 1-based; tied values share the average of their ranks.
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            ranks[*k] = avg;
        }
        i = j + 1;
    }
    let rank_sum: f64 = ranks.iter().zip(outcomes).filter(|(_, o)| **o).map(|(r, _)| r).sum();
    let u = rank_sum - (positives * (positives + 1)) as f64 / 2.0;
    Some(u / (positives as f64 * negatives as f64))
}

/// Conversion rate per score decile.
pub fn deciles(obs: &[Observation]) -> Vec<DecileRow> {
    (0..10u32)
        .map(|d| {
            let in_decile: Vec<&Observation> = obs.iter().filter(|o| (o.score / 10).min(9) == d).collect();
            let converted = in_decile.iter().filter(|o| o.converted).count();
            let range = if d == 9 { "90-100".to_string() } else { format!("{}-{}", d * 10, d * 10 + 9) };
            DecileRow { range, leads: in_decile.len(), converted, rate: rate(converted, in_decile.len()) }
        })
        .collect()
}

/// Predicted (mean score / 100) against actual conversion rate, per band.
pub fn calibration(obs: &[Observation]) -> Vec<CalibrationRow> {
    ScoreBand::ALL
        .iter()
        .map(|band| {
            let rows: Vec<&Observation> = obs.iter().filter(|o| o.band == *band).collect();
            let converted = rows.iter().filter(|o| o.converted).count();
            let predicted = (!rows.is_empty()).then(|| rows.iter().map(|o| f64::from(o.score)).sum::<f64>() / rows.len() as f64 / 100.0);
            CalibrationRow { band: *band, leads: rows.len(), predicted_rate: predicted, actual_rate: rate(converted, rows.len()) }
        })
        .collect()
}

/// Logistic regression coefficients on the raw feature scale (intercept first), fitted on
/// standardized features. Deterministic.
pub fn logistic_fit(x: &[Vec<f64>], y: &[bool]) -> Vec<f64> {
    let n = x.len();
    let k = x.first().map_or(0, Vec::len);
    if n == 0 {
        return vec![0.0; k + 1];
    }
    let mean: Vec<f64> = (0..k).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n as f64).collect();
    let sd: Vec<f64> = (0..k)
        .map(|j| {
            let v = x.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n as f64;
            if v > 1e-12 {
                v.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let z: Vec<Vec<f64>> = x.iter().map(|r| (0..k).map(|j| (r[j] - mean[j]) / sd[j]).collect()).collect();
    let mut beta = vec![0.0; k + 1];
    for _ in 0..ITERATIONS {
        let mut grad = vec![0.0; k + 1];
        for (row, label) in z.iter().zip(y) {
            let eta = beta[0] + row.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>();
            let p = 1.0 / (1.0 + (-eta).exp());
            let err = p - if *label { 1.0 } else { 0.0 };
            grad[0] += err;
            for j in 0..k {
                grad[j + 1] += err * row[j];
            }
        }
        for j in 0..=k {
            let penalty = if j == 0 { 0.0 } else { L2 * beta[j] };
            beta[j] -= STEP * (grad[j] / n as f64 + penalty);
        }
    }
    // Back to the raw scale: eta = b0 + sum b_j (x_j - m_j) / s_j.
    let mut raw = vec![0.0; k + 1];
    raw[0] = beta[0] - (0..k).map(|j| beta[j + 1] * mean[j] / sd[j]).sum::<f64>();
    for j in 0..k {
        raw[j + 1] = beta[j + 1] / sd[j];
    }
    raw
}

/// Reviews a model on `obs`.
pub fn review(obs: &[Observation]) -> Review {
    let factors: Vec<String> = obs.iter().flat_map(|o| o.factors.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    let x: Vec<Vec<f64>> = obs.iter().map(|o| factors.iter().map(|f| o.factors.get(f).copied().unwrap_or(0.0)).collect()).collect();
    let y: Vec<bool> = obs.iter().map(|o| o.converted).collect();
    let current_scores: Vec<f64> = obs.iter().map(|o| f64::from(o.score)).collect();

    let current: Vec<(f64, usize)> = factors
        .iter()
        .enumerate()
        .map(|(j, _)| {
            let fired: Vec<f64> = x.iter().map(|r| r[j]).filter(|v| *v != 0.0).collect();
            let mean = if fired.is_empty() { 0.0 } else { fired.iter().sum::<f64>() / fired.len() as f64 };
            (mean, fired.len())
        })
        .collect();
    let beta = logistic_fit(&x, &y);
    // A coefficient is log-odds per point: the points a factor deserves are proportional to it.
    let raw_suggested: Vec<f64> = (0..factors.len()).map(|j| current[j].0 * beta[j + 1] * 100.0).collect();
    let current_total: f64 = current.iter().map(|(p, _)| p.abs()).sum();
    let suggested_total: f64 = raw_suggested.iter().map(|p| p.abs()).sum();
    let scale = if suggested_total > 1e-12 { current_total / suggested_total } else { 0.0 };
    let weights = factors
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let suggested = raw_suggested[j] * scale;
            let multiplier = if current[j].0.abs() > 1e-12 { suggested / current[j].0 } else { 0.0 };
            FactorWeight {
                factor: f.clone(),
                current_points: round(current[j].0),
                suggested_points: round(suggested),
                multiplier: round(multiplier),
                leads_with_factor: current[j].1,
            }
        })
        .collect();
    let suggested_scores: Vec<f64> = x.iter().map(|r| r.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum()).collect();
    Review {
        leads: obs.len(),
        converted: y.iter().filter(|c| **c).count(),
        deciles: deciles(obs),
        calibration: calibration(obs),
        auc_current: auc(&current_scores, &y),
        auc_suggested: auc(&suggested_scores, &y),
        weights,
        method: METHOD,
    }
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded SplitMix64: the generated data is the same on every run and machine.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(seed)
        }

        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// True with probability `p`.
        fn chance(&mut self, p: f64) -> bool {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
        }
    }

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(auc(&[1.0, 2.0, 3.0, 4.0], &[false, false, true, true]), Some(1.0));
        assert_eq!(auc(&[4.0, 3.0, 2.0, 1.0], &[false, false, true, true]), Some(0.0));
        assert_eq!(auc(&[1.0, 1.0, 1.0, 1.0], &[false, true, false, true]), Some(0.5));
        assert_eq!(auc(&[1.0, 2.0, 2.0, 3.0], &[false, true, false, true]), Some(0.875));
        assert_eq!(auc(&[1.0, 2.0], &[true, true]), None);
    }

    /// Outcomes drawn from a known weighting of four binary signals; the stored scores come from
    /// a deliberately wrong weighting (the order reversed). The suggestion must rank better and
    /// put the factors in the true order.
    #[test]
    fn the_suggestion_recovers_the_true_weighting_on_generated_data() {
        let names = ["a_strong", "b_medium", "c_weak", "d_none"];
        let truth = [2.4, 1.2, 0.5, 0.0];
        let wrong_points = [5.0, 10.0, 20.0, 30.0];
        let mut rng = Rng::new(7);
        let mut obs = Vec::new();
        for _ in 0..4000 {
            let signals: Vec<bool> = (0..4).map(|_| rng.chance(0.4)).collect();
            let eta = -2.0 + signals.iter().zip(truth).map(|(s, w)| if *s { w } else { 0.0 }).sum::<f64>();
            let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let converted = draw < 1.0 / (1.0 + (-eta).exp());
            let factors: BTreeMap<String, f64> =
                names.iter().zip(signals.iter().zip(wrong_points)).map(|(n, (s, p))| (n.to_string(), if *s { p } else { 0.0 })).collect();
            let score = factors.values().sum::<f64>() as u32;
            let band = if score >= 50 {
                ScoreBand::Hot
            } else if score >= 25 {
                ScoreBand::Warm
            } else {
                ScoreBand::Cold
            };
            obs.push(Observation { score, band, factors, converted });
        }
        let r = review(&obs);
        let (current, suggested) = (r.auc_current.unwrap(), r.auc_suggested.unwrap());
        println!("scoring review: AUC current {current:.3}, suggested {suggested:.3}; weights {:?}", r.weights);
        assert!(suggested > current + 0.05, "current {current}, suggested {suggested}");
        let mut by_suggestion = r.weights.clone();
        by_suggestion.sort_by(|a, b| b.suggested_points.total_cmp(&a.suggested_points));
        let order: Vec<&str> = by_suggestion.iter().map(|w| w.factor.as_str()).collect();
        assert_eq!(order, names.to_vec(), "{:?}", r.weights);
        assert!(r.weights.iter().find(|w| w.factor == "d_none").unwrap().suggested_points.abs() < 3.0, "a useless factor gets ~0");
        let total_current: f64 = r.weights.iter().map(|w| w.current_points).sum();
        let total_suggested: f64 = r.weights.iter().map(|w| w.suggested_points.abs()).sum();
        assert!((total_current - total_suggested).abs() < 0.1, "same score range");
        // Deterministic.
        assert_eq!(review(&obs), r);
        assert_eq!(r.deciles.len(), 10);
        assert_eq!(r.deciles.iter().map(|d| d.leads).sum::<usize>(), 4000);
        assert_eq!(r.calibration.iter().map(|c| c.leads).sum::<usize>(), 4000);
    }
}
