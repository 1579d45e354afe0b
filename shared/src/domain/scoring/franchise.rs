//! The franchise model: liquid capital and net worth against the brand's requirement, relevant
//! industry experience, the desired territory and whether it is still available, and the
//! timeline to invest (plus engagement, as for patients).

use super::patient::{engagement, Engagement};
use super::{words, Contribution, ScoreInput};
use crate::domain::context::InvestmentTimeline;
use crate::domain::money::Money;
use std::collections::BTreeSet;

/// A franchise territory the brand sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Territory {
    pub id: String,
    pub name: String,
    /// Other names a prospect may type ("Austin", "ATX").
    pub aliases: Vec<String>,
    /// Still open for a new franchisee.
    pub available: bool,
}

/// The brand's territories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Territories(pub Vec<Territory>);

impl Territories {
    /// The territory a prospect's free-text wish names: whole-word match on the id, name or an
    /// alias; the longest name wins ("North Austin" over "Austin").
    pub fn find(&self, wish: &str) -> Option<&Territory> {
        let wish = format!(" {} ", words(wish));
        let mut best: Option<(&Territory, usize)> = None;
        for t in &self.0 {
            for name in std::iter::once(&t.id).chain(std::iter::once(&t.name)).chain(&t.aliases) {
                let n = words(name);
                if !n.is_empty() && wish.contains(&format!(" {n} ")) && best.is_none_or(|(_, len)| n.len() > len) {
                    best = Some((t, n.len()));
                }
            }
        }
        best.map(|(t, _)| t)
    }
}

/// Capital requirements in minor units of the organization's currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capital {
    pub liquid_required_minor: i64,
    pub net_worth_required_minor: i64,
    pub liquid_points: i32,
    pub net_worth_points: i32,
    /// Points (a share of the full points, in percent) for at least half the requirement.
    pub half_share_percent: i32,
    /// Points when a figure is given but under half the requirement (usually negative).
    pub below_points: i32,
}

/// Relevant industry experience.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Experience {
    pub industries: BTreeSet<String>,
    pub points: i32,
}

/// Territory wish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerritoryPoints {
    pub available_points: i32,
    pub unavailable_points: i32,
    pub unknown_points: i32,
}

/// Points per investment timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelinePoints {
    pub zero_to_three_months: i32,
    pub three_to_six_months: i32,
    pub six_to_twelve_months: i32,
    pub over_twelve_months: i32,
    pub unsure: i32,
}

/// The franchise model's factors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FranchiseModel {
    pub capital: Capital,
    pub experience: Experience,
    pub territory: TerritoryPoints,
    pub timeline: TimelinePoints,
    pub engagement: Engagement,
}

fn money_points(have: Option<&Money>, required: i64, full: i32, c: &Capital, signal: &str, out: &mut Vec<Contribution>) {
    let Some(have) = have else { return };
    if required <= 0 || full == 0 {
        return;
    }
    let (points, how) = if have.minor >= required {
        (full, "meets")
    } else if have.minor.saturating_mul(2) >= required {
        (full * c.half_share_percent / 100, "at least half of")
    } else {
        (c.below_points, "under half of")
    };
    out.push(Contribution::new("capital", signal, points, format!("{} {how} the requirement", signal.replace('_', " "))));
}

impl FranchiseModel {
    pub(crate) fn contributions(&self, input: &ScoreInput<'_>) -> Vec<Contribution> {
        let f = &input.lead.context.franchise;
        let mut out = Vec::with_capacity(8);
        let c = &self.capital;
        money_points(f.liquid_capital.as_ref(), c.liquid_required_minor, c.liquid_points, c, "liquid_capital", &mut out);
        money_points(f.net_worth.as_ref(), c.net_worth_required_minor, c.net_worth_points, c, "net_worth", &mut out);

        let relevant: Vec<&str> = f
            .industry_experience
            .iter()
            .map(|l| l.as_str())
            .filter(|i| self.experience.industries.contains(&words(i).replace(' ', "_")))
            .collect();
        if !relevant.is_empty() && self.experience.points != 0 {
            out.push(Contribution::new(
                "experience",
                "relevant_industry",
                self.experience.points,
                format!("experience in {}", relevant.join(", ")),
            ));
        }

        if let Some(wish) = &f.desired_territory {
            let t = &self.territory;
            match input.territories.find(wish.as_str()) {
                Some(found) if found.available => out.push(Contribution::new(
                    "territory",
                    "territory_available",
                    t.available_points,
                    format!("{} is available", found.name),
                )),
                Some(found) => out.push(Contribution::new(
                    "territory",
                    "territory_taken",
                    t.unavailable_points,
                    format!("{} is no longer available", found.name),
                )),
                None if t.unknown_points != 0 => {
                    out.push(Contribution::new("territory", "territory_unknown", t.unknown_points, "not a territory the brand sells"))
                }
                None => {}
            }
        }

        if let Some(timeline) = f.investment_timeline {
            let t = &self.timeline;
            let (points, what) = match timeline {
                InvestmentTimeline::ZeroToThreeMonths => (t.zero_to_three_months, "within 3 months"),
                InvestmentTimeline::ThreeToSixMonths => (t.three_to_six_months, "in 3 to 6 months"),
                InvestmentTimeline::SixToTwelveMonths => (t.six_to_twelve_months, "in 6 to 12 months"),
                InvestmentTimeline::OverTwelveMonths => (t.over_twelve_months, "in over 12 months"),
                InvestmentTimeline::Unsure => (t.unsure, "unsure when"),
            };
            if points != 0 {
                out.push(Contribution::new("timeline", "investment_timeline", points, format!("plans to invest {what}")));
            }
        }

        engagement(&self.engagement, input, &mut out);
        out
    }
}
