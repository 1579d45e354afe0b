//! `[[scoring_models]]`, `[urgency]` and `[[territories]]`: how leads are scored and how urgency
//! is read from their words. Each model names its version (stored with every score it makes)
//! and the service lines it scores; factor tables refuse unknown keys, so a typo such as
//! `pricng_page_points` stops start-up with the key and line named.

use super::locate::KeyPath;
use super::validate::Problems;
use super::{ServiceLine, ServiceLineKind};
use crate::domain::context::InsuranceStatus;
use crate::domain::money::Currency;
use crate::domain::scoring::franchise::{Capital, Experience, TerritoryPoints, TimelinePoints};
use crate::domain::scoring::patient::{
    AgeBand, Demographics, Engagement, InsuranceFit, Interest, ReferralPoints, ServiceArea, UrgencyPoints,
};
use crate::domain::scoring::{Bands, Decay, FranchiseModel, ModelRules, PatientModel, ScoringModel, Territories, Territory};
use crate::domain::urgency::{PhraseList, UrgencyTier};
use crate::domain::ServiceLineId;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScoringModel {
    pub name: String,
    pub version: u32,
    pub kind: String,
    pub service_lines: Vec<String>,
    pub hot: u32,
    pub warm: u32,
    pub demographic_fit: Option<RawDemographics>,
    pub engagement: Option<RawEngagement>,
    pub explicit_interest: Option<RawInterest>,
    pub urgency: Option<RawUrgencyPoints>,
    pub referral: Option<RawReferral>,
    pub capital: Option<RawCapital>,
    pub experience: Option<RawExperience>,
    pub territory: Option<RawTerritoryPoints>,
    pub timeline: Option<RawTimeline>,
    /// Score decay without activity.
    pub decay: Option<RawDecay>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDecay {
    pub after_days: u32,
    pub half_life_days: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDemographics {
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    #[serde(default)]
    pub age_points: i32,
    #[serde(default)]
    pub outside_age_points: i32,
    #[serde(default)]
    pub states: Vec<String>,
    #[serde(default)]
    pub postal_prefixes: Vec<String>,
    #[serde(default)]
    pub in_area_points: i32,
    #[serde(default)]
    pub outside_area_points: i32,
    #[serde(default)]
    pub accepted_insurance: Vec<String>,
    #[serde(default)]
    pub insurance_points: i32,
    #[serde(default)]
    pub not_accepted_insurance_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEngagement {
    #[serde(default)]
    pub site_visit_points: i32,
    #[serde(default)]
    pub pricing_page_points: i32,
    #[serde(default)]
    pub pricing_pages: Vec<String>,
    #[serde(default)]
    pub download_points: i32,
    #[serde(default)]
    pub email_open_points: i32,
    #[serde(default)]
    pub email_click_points: i32,
    #[serde(default)]
    pub max_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInterest {
    #[serde(default)]
    pub form_points: i32,
    #[serde(default)]
    pub call_points: i32,
    #[serde(default)]
    pub chat_points: i32,
    #[serde(default)]
    pub appointment_request_points: i32,
    #[serde(default)]
    pub max_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUrgencyPoints {
    #[serde(default)]
    pub urgent_points: i32,
    #[serde(default)]
    pub crisis_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReferral {
    #[serde(default)]
    pub physician_points: i32,
    #[serde(default)]
    pub patient_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCapital {
    /// In major units of the organization's currency (150000 = $150,000).
    #[serde(default)]
    pub liquid_capital_required: i64,
    #[serde(default)]
    pub net_worth_required: i64,
    #[serde(default)]
    pub liquid_capital_points: i32,
    #[serde(default)]
    pub net_worth_points: i32,
    #[serde(default)]
    pub half_share_percent: i32,
    #[serde(default)]
    pub below_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperience {
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTerritoryPoints {
    #[serde(default)]
    pub available_points: i32,
    #[serde(default)]
    pub taken_points: i32,
    #[serde(default)]
    pub unknown_points: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeline {
    #[serde(default)]
    pub zero_to_three_months: i32,
    #[serde(default)]
    pub three_to_six_months: i32,
    #[serde(default)]
    pub six_to_twelve_months: i32,
    #[serde(default)]
    pub over_twelve_months: i32,
    #[serde(default)]
    pub unsure: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUrgency {
    /// Words that negate a phrase after them, beyond the built-in English list.
    #[serde(default)]
    pub negations: Vec<String>,
    /// Phrase lists per service line id.
    #[serde(default)]
    pub service_lines: BTreeMap<String, RawPhrases>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhrases {
    #[serde(default)]
    pub crisis: Vec<String>,
    #[serde(default)]
    pub urgent: Vec<String>,
    #[serde(default)]
    pub routine: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTerritory {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default = "yes")]
    pub available: bool,
}

fn yes() -> bool {
    true
}

/// The validated scoring configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoringConfig {
    pub models: Vec<ScoringModel>,
    /// Which model scores each service line (index into `models`).
    pub model_of: BTreeMap<ServiceLineId, usize>,
    pub phrases: BTreeMap<ServiceLineId, PhraseList>,
    pub territories: Territories,
}

impl ScoringConfig {
    pub fn model_for(&self, line: &ServiceLineId) -> Option<&ScoringModel> {
        self.model_of.get(line).and_then(|i| self.models.get(*i))
    }

    /// The service line's phrase list (an empty list when none is configured).
    pub fn phrases_for(&self, line: &ServiceLineId) -> &PhraseList {
        static EMPTY: std::sync::OnceLock<PhraseList> = std::sync::OnceLock::new();
        self.phrases.get(line).unwrap_or_else(|| EMPTY.get_or_init(PhraseList::default))
    }
}

const PATIENT_ONLY: &[&str] = &["demographic_fit", "explicit_interest", "urgency", "referral"];
const FRANCHISE_ONLY: &[&str] = &["capital", "experience", "territory", "timeline"];

fn insurance(s: &str) -> Option<InsuranceStatus> {
    InsuranceStatus::parse(s)
}

/// Validates the scoring sections.
pub(super) fn validate(
    models: &[RawScoringModel],
    urgency: &RawUrgency,
    territories: &[RawTerritory],
    lines: &BTreeMap<ServiceLineId, ServiceLine>,
    currency: &Currency,
    p: &mut Problems<'_>,
) -> ScoringConfig {
    let root = KeyPath::root();
    let mut out = ScoringConfig::default();
    let mut names = BTreeSet::new();
    for (i, m) in models.iter().enumerate() {
        let here = root.key("scoring_models").index(i);
        if m.name.trim().is_empty() || !names.insert(m.name.clone()) {
            p.add(&here.key("name"), "must be a non-empty name no other model uses");
        }
        if m.version == 0 {
            p.add(&here.key("version"), "must be 1 or more (bump it whenever the model changes: scores record it)");
        }
        if m.hot > 100 || m.warm > m.hot {
            p.add(&here.key("warm"), "bands need 0 <= warm <= hot <= 100");
        }
        let kind = match m.kind.as_str() {
            "patient" => ServiceLineKind::Patient,
            "franchise" => ServiceLineKind::Franchise,
            _ => {
                p.add(&here.key("kind"), "must be patient or franchise");
                continue;
            }
        };
        let present = |name: &str| match name {
            "demographic_fit" => m.demographic_fit.is_some(),
            "explicit_interest" => m.explicit_interest.is_some(),
            "urgency" => m.urgency.is_some(),
            "referral" => m.referral.is_some(),
            "capital" => m.capital.is_some(),
            "experience" => m.experience.is_some(),
            "territory" => m.territory.is_some(),
            "timeline" => m.timeline.is_some(),
            _ => false,
        };
        let (foreign, kind_name) = match kind {
            ServiceLineKind::Patient => (FRANCHISE_ONLY, "patient"),
            ServiceLineKind::Franchise => (PATIENT_ONLY, "franchise"),
        };
        for f in foreign.iter().filter(|f| present(f)) {
            p.add(&here.key(f), format!("is not a factor of {kind_name} models"));
        }
        let engagement = m.engagement.as_ref().map(|e| Engagement {
            page_view_points: e.site_visit_points,
            pricing_page_points: e.pricing_page_points,
            pricing_pages: e.pricing_pages.clone(),
            download_points: e.download_points,
            email_open_points: e.email_open_points,
            email_click_points: e.email_click_points,
            max_points: e.max_points,
        });
        let rules = match kind {
            ServiceLineKind::Patient => ModelRules::Patient(patient(m, engagement.unwrap_or_default(), &here, p)),
            ServiceLineKind::Franchise => ModelRules::Franchise(franchise(m, engagement.unwrap_or_default(), currency, &here, p)),
        };
        let decay = m.decay.as_ref().map(|d| {
            if !(1..=3650).contains(&d.half_life_days) {
                p.add(&here.key("decay").key("half_life_days"), "must be between 1 and 3650 days");
            }
            if d.after_days > 3650 {
                p.add(&here.key("decay").key("after_days"), "must be at most 3650 days");
            }
            Decay { after_days: d.after_days, half_life_days: d.half_life_days.max(1) }
        });
        let index = out.models.len();
        out.models.push(ScoringModel { name: m.name.clone(), version: m.version, bands: Bands { hot: m.hot, warm: m.warm }, rules, decay });
        for (j, l) in m.service_lines.iter().enumerate() {
            let at = here.key("service_lines").index(j);
            match ServiceLineId::parse(l).and_then(|id| lines.get(&id)) {
                None => p.add(&at, "names no configured service line"),
                Some(line) if line.kind != kind => {
                    p.add(&at, format!("is a {} line; this model scores {kind_name} leads", kind_label(line.kind)))
                }
                Some(line) => {
                    if out.model_of.insert(line.id.clone(), index).is_some() {
                        p.add(&at, "is already scored by an earlier model");
                    }
                }
            }
        }
    }

    // Urgency phrases.
    let uh = root.key("urgency");
    for (line, phrases) in &urgency.service_lines {
        let here = uh.key("service_lines").key(line);
        let Some(id) = ServiceLineId::parse(line).filter(|id| lines.contains_key(id)) else {
            p.add(&here, "names no configured service line");
            continue;
        };
        let tiers = [
            (UrgencyTier::Crisis, "crisis", &phrases.crisis),
            (UrgencyTier::Urgent, "urgent", &phrases.urgent),
            (UrgencyTier::Routine, "routine", &phrases.routine),
        ];
        let mut all: Vec<(&str, UrgencyTier, KeyPath)> = Vec::new();
        for (t, name, list) in tiers {
            for (k, s) in list.iter().enumerate() {
                all.push((s.as_str(), t, here.key(name).index(k)));
            }
        }
        match PhraseList::new(all.iter().map(|(s, t, _)| (*s, *t)), &urgency.negations) {
            Ok(list) => {
                out.phrases.insert(id, list);
            }
            Err((k, e)) => p.add(&all[k].2, format!("phrase {e}")),
        }
    }

    // Territories.
    let mut ids = BTreeSet::new();
    for (i, t) in territories.iter().enumerate() {
        let here = root.key("territories").index(i);
        if t.id.trim().is_empty() || !ids.insert(t.id.clone()) {
            p.add(&here.key("id"), "must be a non-empty id no other territory uses");
        }
        out.territories.0.push(Territory { id: t.id.clone(), name: t.name.clone(), aliases: t.aliases.clone(), available: t.available });
    }
    out
}

fn kind_label(k: ServiceLineKind) -> &'static str {
    match k {
        ServiceLineKind::Patient => "patient",
        ServiceLineKind::Franchise => "franchise",
    }
}

fn patient(m: &RawScoringModel, engagement: Engagement, here: &KeyPath, p: &mut Problems<'_>) -> PatientModel {
    let d = m.demographic_fit.as_ref();
    let dh = here.key("demographic_fit");
    let age = d.and_then(|d| match (d.age_min, d.age_max) {
        (Some(min), Some(max)) if min <= max => {
            Some(AgeBand { min, max, inside_points: d.age_points, outside_points: d.outside_age_points })
        }
        (None, None) => None,
        _ => {
            p.add(&dh.key("age_min"), "age_min and age_max go together, age_min <= age_max");
            None
        }
    });
    let area = d.filter(|d| !d.states.is_empty() || !d.postal_prefixes.is_empty()).map(|d| ServiceArea {
        states: d.states.iter().map(|s| s.trim().to_ascii_uppercase()).collect(),
        postal_prefixes: d.postal_prefixes.iter().map(|s| s.trim().to_string()).collect(),
        inside_points: d.in_area_points,
        outside_points: d.outside_area_points,
    });
    let insurance = d.filter(|d| !d.accepted_insurance.is_empty()).map(|d| {
        let mut accepted = Vec::new();
        for (k, s) in d.accepted_insurance.iter().enumerate() {
            match insurance(s) {
                Some(v) => accepted.push(v),
                None => p.add(&dh.key("accepted_insurance").index(k), "must be one of insured, medicare, medicaid, self_pay, unsure"),
            }
        }
        InsuranceFit { accepted, accepted_points: d.insurance_points, not_accepted_points: d.not_accepted_insurance_points }
    });
    let i = m.explicit_interest.as_ref();
    let u = m.urgency.as_ref();
    let r = m.referral.as_ref();
    PatientModel {
        demographics: Demographics { age, area, insurance },
        engagement,
        interest: Interest {
            form_points: i.map_or(0, |i| i.form_points),
            call_points: i.map_or(0, |i| i.call_points),
            chat_points: i.map_or(0, |i| i.chat_points),
            appointment_request_points: i.map_or(0, |i| i.appointment_request_points),
            max_points: i.map_or(0, |i| i.max_points),
        },
        urgency: UrgencyPoints { urgent_points: u.map_or(0, |u| u.urgent_points), crisis_points: u.map_or(0, |u| u.crisis_points) },
        referral: ReferralPoints {
            physician_points: r.map_or(0, |r| r.physician_points),
            patient_points: r.map_or(0, |r| r.patient_points),
        },
    }
}

fn franchise(m: &RawScoringModel, engagement: Engagement, currency: &Currency, here: &KeyPath, p: &mut Problems<'_>) -> FranchiseModel {
    let scale = 10i64.pow(currency.exponent());
    let c = m.capital.as_ref();
    let minor = |v: i64, key: &str, p: &mut Problems<'_>| {
        v.checked_mul(scale).filter(|m| *m >= 0).unwrap_or_else(|| {
            p.add(&here.key("capital").key(key), "must be a non-negative amount in major units");
            0
        })
    };
    let capital = match c {
        Some(c) => Capital {
            liquid_required_minor: minor(c.liquid_capital_required, "liquid_capital_required", p),
            net_worth_required_minor: minor(c.net_worth_required, "net_worth_required", p),
            liquid_points: c.liquid_capital_points,
            net_worth_points: c.net_worth_points,
            half_share_percent: c.half_share_percent.clamp(0, 100),
            below_points: c.below_points,
        },
        None => Capital::default(),
    };
    let e = m.experience.as_ref();
    let t = m.territory.as_ref();
    let tl = m.timeline.as_ref();
    FranchiseModel {
        capital,
        experience: Experience {
            industries: e
                .map(|e| e.industries.iter().map(|i| crate::domain::scoring::words(i).replace(' ', "_")).collect())
                .unwrap_or_default(),
            points: e.map_or(0, |e| e.points),
        },
        territory: TerritoryPoints {
            available_points: t.map_or(0, |t| t.available_points),
            unavailable_points: t.map_or(0, |t| t.taken_points),
            unknown_points: t.map_or(0, |t| t.unknown_points),
        },
        timeline: TimelinePoints {
            zero_to_three_months: tl.map_or(0, |t| t.zero_to_three_months),
            three_to_six_months: tl.map_or(0, |t| t.three_to_six_months),
            six_to_twelve_months: tl.map_or(0, |t| t.six_to_twelve_months),
            over_twelve_months: tl.map_or(0, |t| t.over_twelve_months),
            unsure: tl.map_or(0, |t| t.unsure),
        },
        engagement,
    }
}
