//! Lead scoring: a configured, versioned model per service line turns what is known about a lead
//! (its context, its touchpoints, the urgency in its words) into a score from 0 to 100, a band
//! (hot, warm, cold) and an explanation: every factor's contribution in points, so a person can
//! see why a lead scored as it did, and every score names the model and version that made it.
//!
//! Pure: no I/O, time passed in. Two kinds of model: [`patient`] and [`franchise`].

pub mod franchise;
pub mod patient;

use super::lead::Lead;
use super::touchpoint::Touchpoint;
use super::urgency::UrgencyAssessment;
use crate::domain::string_enum::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use franchise::{FranchiseModel, Territories, Territory};
pub use patient::PatientModel;

string_enum! {
    /// The score's band, from the model's thresholds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ScoreBand {
        Cold => "cold",
        Warm => "warm",
        Hot => "hot",
    }
    parse(s) => s.trim();
}

/// Score thresholds: `hot` and above is hot, `warm` and above warm, the rest cold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands {
    pub hot: u32,
    pub warm: u32,
}

impl Bands {
    pub fn band(&self, score: u32) -> ScoreBand {
        if score >= self.hot {
            ScoreBand::Hot
        } else if score >= self.warm {
            ScoreBand::Warm
        } else {
            ScoreBand::Cold
        }
    }
}

/// The factors of a model kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRules {
    Patient(PatientModel),
    Franchise(FranchiseModel),
}

/// A configured scoring model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoringModel {
    pub name: String,
    pub version: u32,
    pub bands: Bands,
    pub rules: ModelRules,
    /// How the score falls back while the lead does nothing (per model, so per service line).
    pub decay: Option<Decay>,
}

/// Score decay: after `after_days` without activity (an inquiry, a touchpoint), the points the
/// lead earned shrink by half every `half_life_days`; any new activity resets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decay {
    pub after_days: u32,
    pub half_life_days: u32,
}

impl Decay {
    /// The share of earned points kept after `idle` without activity (1.0 within the grace).
    pub fn kept(&self, idle: chrono::Duration) -> f64 {
        let over = idle.num_seconds() as f64 / 86_400.0 - f64::from(self.after_days);
        if over <= 0.0 {
            return 1.0;
        }
        0.5f64.powf(over / f64::from(self.half_life_days.max(1)))
    }

    /// How long decay goes on mattering: after this much idleness less than 2 % of the points
    /// are left, and nothing more is rescheduled.
    pub fn horizon(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.after_days) + 6 * i64::from(self.half_life_days.max(1)))
    }
}

/// The lead's last activity: its latest inquiry or touchpoint (its creation at least).
pub fn last_activity(lead: &Lead, touchpoints: &[Touchpoint]) -> DateTime<Utc> {
    let inquiries = lead.inquiries.iter().map(|i| i.at);
    let touched = touchpoints.iter().map(|t| t.at);
    inquiries.chain(touched).fold(lead.created_at, DateTime::max)
}

/// One factor's part in a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The model factor (`demographic_fit`, `engagement`, `capital`, ...).
    pub factor: String,
    /// What in the lead triggered it (`insurance_accepted`, `pricing_page_view`, ...).
    pub signal: String,
    pub points: i32,
    /// A short reason for people reading the lead (never the person's own words).
    pub detail: String,
}

impl Contribution {
    pub fn new(factor: &str, signal: &str, points: i32, detail: impl Into<String>) -> Self {
        Contribution { factor: factor.to_string(), signal: signal.to_string(), points, detail: detail.into() }
    }
}

/// A lead's score with its explanation, as stored on the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadScore {
    pub model: String,
    pub model_version: u32,
    /// 0 to 100.
    pub score: u32,
    pub band: ScoreBand,
    pub urgency: UrgencyAssessment,
    /// Every factor's contribution, in model order; they sum to the score before clamping.
    pub contributions: Vec<Contribution>,
    pub scored_at: DateTime<Utc>,
}

impl LeadScore {
    /// Same result as `other`, ignoring when it was computed.
    pub fn same_result(&self, other: &LeadScore) -> bool {
        self.model == other.model
            && self.model_version == other.model_version
            && self.score == other.score
            && self.urgency == other.urgency
            && self.contributions == other.contributions
    }
}

/// What a model reads.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput<'a> {
    pub lead: &'a Lead,
    /// Every touchpoint of the lead (from its timeline), oldest first.
    pub touchpoints: &'a [Touchpoint],
    pub urgency: &'a UrgencyAssessment,
    pub territories: &'a Territories,
    pub now: DateTime<Utc>,
}

/// Caps a factor's points at `max` (when positive), keeping the contributions' sum equal to the
/// capped total by adding one correcting contribution.
pub(crate) fn cap(factor: &str, parts: &mut Vec<Contribution>, start: usize, max: i32) {
    let sum: i32 = parts[start..].iter().map(|c| c.points).sum();
    if max > 0 && sum > max {
        parts.push(Contribution::new(factor, "cap", max - sum, format!("{factor} is capped at {max} points")));
    }
}

impl ScoringModel {
    /// Scores a lead.
    pub fn score(&self, input: ScoreInput<'_>) -> LeadScore {
        let mut contributions = match &self.rules {
            ModelRules::Patient(m) => m.contributions(&input),
            ModelRules::Franchise(m) => m.contributions(&input),
        };
        if let Some(decay) = &self.decay {
            let idle = input.now - last_activity(input.lead, input.touchpoints);
            let earned: i32 = contributions.iter().map(|c| c.points).filter(|p| *p > 0).sum();
            let lost = (f64::from(earned) * (1.0 - decay.kept(idle))).round() as i32;
            if lost > 0 {
                let days = idle.num_days();
                contributions.push(Contribution::new("decay", "inactivity", -lost, format!("no activity for {days} days")));
            }
        }
        let total: i32 = contributions.iter().map(|c| c.points).sum();
        let score = total.clamp(0, 100) as u32;
        LeadScore {
            model: self.name.clone(),
            model_version: self.version,
            score,
            band: self.bands.band(score),
            urgency: input.urgency.clone(),
            contributions,
            scored_at: input.now,
        }
    }
}

/// Lower-cased words of `s` joined by single spaces (for matching names and pages).
pub(crate) fn words(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
