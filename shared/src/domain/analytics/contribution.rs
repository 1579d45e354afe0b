//! What one lead adds to the report counters: its funnel counters (on its capture day, under
//! each of its dimension values) and, for each milestone it reached, the attribution credit
//! of its touchpoints (on the milestone's day, under each touchpoint's source and campaign).
//!
//! A pure function of the lead, its timeline and the settings. The analytics consumer stores
//! what it applied per lead and, on every event, applies only the difference to the new
//! contribution: a duplicate delivery finds no difference, and a late or out-of-order event
//! just brings the counters to the lead's current truth. The audit recompute sums the same
//! function over all leads, so the two agree by construction.

use super::counters as c;
use super::dimension::{campaign_of, clean_value, source_of, Dimension, Family, LeadDims, NONE, OTHER};
use super::histogram;
use super::milestone::{Milestone, Stage};
use super::period::months_between;
use crate::domain::attribution::{attribute, Model};
use crate::domain::contact_attempt::ContactOutcome;
use crate::domain::money::Currency;
use crate::domain::text::Label;
use crate::domain::{Lead, TimelineEntry, TimelineKind, Touchpoint, TouchpointKind};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The actor of the site's joined page views and key events (`app::visits`).
pub const SITE_ACTOR: &str = "site";

/// Counters of one row: name -> value.
pub type Counters = BTreeMap<String, i64>;

/// Distinct sources (and campaigns) one lead's attribution is spread over at most; the rest go
/// to `(other)`. Keeps every lead's update within one DynamoDB transaction.
pub const MAX_VALUES_PER_DIMENSION: usize = 8;

/// Thousandths of a conversion: the unit of fractional conversion credit.
pub const CREDIT_UNIT: i64 = 1000;

/// What the contribution depends on besides the lead.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsSettings {
    /// Days are counted in the organization's time zone.
    pub time_zone: Tz,
    /// Revenue counts payments in this currency.
    pub currency: Currency,
    /// The five models, with the configured half-life and positions.
    pub models: [Model; 5],
}

impl AnalyticsSettings {
    pub fn new(time_zone: Tz, currency: Currency, half_life_hours: u32, first_percent: u8, last_percent: u8) -> Self {
        AnalyticsSettings {
            time_zone,
            currency,
            models: [
                Model::FirstTouch,
                Model::LastTouch,
                Model::Linear,
                Model::TimeDecay { half_life_hours },
                Model::PositionBased { first_percent, last_percent },
            ],
        }
    }

    /// The day `at` falls on in the organization's time zone.
    pub fn day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }
}

/// One row of counters: which family, dimension, day and value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RowKey {
    pub family: Family,
    pub dimension: Dimension,
    pub day: NaiveDate,
    pub value: String,
}

/// Changes to rows: key -> counter -> amount to add (may be negative).
pub type RowDelta = BTreeMap<RowKey, Counters>;

/// The lead's funnel counters and the dimension values they are filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelPart {
    pub day: NaiveDate,
    pub dims: LeadDims,
    pub counters: Counters,
}

/// Credit under one dimension value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub dimension: Dimension,
    pub value: String,
    pub counters: Counters,
}

/// The attribution of one milestone the lead reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionPart {
    pub milestone: Milestone,
    pub day: NaiveDate,
    pub credits: Vec<Credit>,
}

/// Everything one lead adds to the counters. Empty for leads kept out of analytics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<FunnelPart>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<AttributionPart>,
}

fn add(rows: &mut RowDelta, key: RowKey, counters: &Counters, sign: i64) {
    let row = rows.entry(key).or_default();
    for (name, v) in counters {
        *row.entry(name.clone()).or_default() += sign * v;
    }
}

impl Contribution {
    pub fn is_empty(&self) -> bool {
        self.funnel.is_none() && self.attribution.is_empty()
    }

    fn add_rows(&self, rows: &mut RowDelta, sign: i64) {
        if let Some(f) = &self.funnel {
            for d in Dimension::ALL {
                let key = RowKey { family: Family::Funnel, dimension: d, day: f.day, value: f.dims.value(d).to_string() };
                add(rows, key, &f.counters, sign);
            }
        }
        for part in &self.attribution {
            for credit in &part.credits {
                let key = RowKey {
                    family: Family::Attribution(part.milestone),
                    dimension: credit.dimension,
                    day: part.day,
                    value: credit.value.clone(),
                };
                add(rows, key, &credit.counters, sign);
            }
        }
    }

    /// The rows this contribution adds to.
    pub fn rows(&self) -> RowDelta {
        let mut rows = RowDelta::new();
        self.add_rows(&mut rows, 1);
        rows
    }

    /// What to add to the counters to go from `old` to `new` (rows and counters that do not
    /// change are left out).
    pub fn delta(old: &Contribution, new: &Contribution) -> RowDelta {
        let mut rows = RowDelta::new();
        new.add_rows(&mut rows, 1);
        old.add_rows(&mut rows, -1);
        for row in rows.values_mut() {
            row.retain(|_, v| *v != 0);
        }
        rows.retain(|_, row| !row.is_empty());
        rows
    }
}

/// The first time the lead had a status for which `reached` holds: from its `status_changed`
/// entries, else (a status set without one) its last status change or creation.
fn first_reached(lead: &Lead, timeline: &[TimelineEntry], reached: impl Fn(crate::domain::LeadStatus) -> bool) -> Option<DateTime<Utc>> {
    let from_timeline = timeline
        .iter()
        .filter_map(|e| match &e.kind {
            TimelineKind::StatusChanged { to, .. } if reached(*to) => Some(e.at),
            _ => None,
        })
        .min();
    from_timeline.or_else(|| reached(lead.status).then(|| lead.status_changed_at.unwrap_or(lead.created_at)))
}

/// Whether the team actually reached the person: an answered call either way, a reply, or
/// progress past contact.
fn was_reached(lead: &Lead, timeline: &[TimelineEntry]) -> bool {
    timeline.iter().any(|e| {
        matches!(
            &e.kind,
            TimelineKind::ContactAttempted { outcome: ContactOutcome::Answered, .. }
                | TimelineKind::MessageReceived { .. }
                | TimelineKind::CallLogged { answered: true, .. }
        )
    }) || first_reached(lead, timeline, |s| Stage::Qualified.reached_by(s)).is_some()
}

/// The source tags staff corrected on the lead (`source_retagged` entries, in order: the last
/// value given for each tag wins), as (`utm_source`, `utm_campaign`).
pub fn retagged(timeline: &[TimelineEntry]) -> (Option<&Label>, Option<&Label>) {
    let mut out = (None, None);
    for e in timeline {
        if let TimelineKind::SourceRetagged { source, campaign, .. } = &e.kind {
            out.0 = source.as_ref().or(out.0);
            out.1 = campaign.as_ref().or(out.1);
        }
    }
    out
}

/// Touchpoints that earn attribution credit, in timeline order. Email opens (passive, and
/// inflated by mail privacy proxies) and appointment requests (the booking itself, not what
/// led to it) earn none, nor do the site's page views and key events joined from its beacons
/// (engagement within a visit whose source the journey's touches already carry). The capture
/// touchpoint carries the tags staff corrected, if any ([`retagged`]): the timeline keeps what
/// arrived, attribution uses the correction.
pub fn marketing_touchpoints(timeline: &[TimelineEntry]) -> Vec<Cow<'_, Touchpoint>> {
    let (source, campaign) = retagged(timeline);
    timeline
        .iter()
        .filter(|e| !matches!(&e.actor, crate::domain::Actor::System(s) if s == SITE_ACTOR))
        .filter_map(|e| match &e.kind {
            TimelineKind::LeadCaptured { touchpoint, .. } if source.is_some() || campaign.is_some() => {
                let mut t = touchpoint.clone();
                if let Some(s) = source {
                    t.detail.utm_source = Some(s.clone());
                }
                if let Some(c) = campaign {
                    t.detail.utm_campaign = Some(c.clone());
                }
                Some(Cow::Owned(t))
            }
            TimelineKind::LeadCaptured { touchpoint, .. }
            | TimelineKind::RepeatInquiry { touchpoint, .. }
            | TimelineKind::TouchpointRecorded { touchpoint } => Some(Cow::Borrowed(touchpoint)),
            _ => None,
        })
        .filter(|t| !matches!(t.kind, TouchpointKind::EmailOpen | TouchpointKind::AppointmentRequest))
        .collect()
}

/// The lead's dimension values.
pub fn lead_dims(lead: &Lead, facility: Option<&str>) -> LeadDims {
    let kind = TouchpointKind::for_inquiry(lead.source.channel);
    LeadDims {
        source: source_of(kind, lead.source.channel, &lead.source.detail),
        campaign: campaign_of(&lead.source.detail),
        service_line: lead.context.service_line.as_str().to_string(),
        facility: facility.map_or_else(|| NONE.to_string(), clean_value),
        channel: lead.source.channel.as_str().to_string(),
    }
}

/// Everything `lead` adds to the counters. `facility` is the facility the lead belongs to
/// (the routing configuration decides it).
pub fn contribution(lead: &Lead, timeline: &[TimelineEntry], settings: &AnalyticsSettings, facility: Option<&str>) -> Contribution {
    let day = settings.day(lead.created_at);
    let dims = lead_dims(lead, facility);
    let mut k = Counters::new();
    let mut set = |name: &str, v: i64| {
        if v != 0 {
            k.insert(name.to_string(), v);
        }
    };
    set(c::LEADS, 1);
    if let Some(at) = lead.acknowledged_at {
        let ms = (at - lead.created_at).num_milliseconds().max(0);
        set(c::ACKNOWLEDGED, 1);
        set(c::ACK_MS, ms);
        set(&c::ack_bucket(histogram::bucket(ms)), 1);
    }
    if let Some(at) = lead.first_contact_at {
        let ms = (at - lead.created_at).num_milliseconds().max(0);
        set(c::FIRST_CONTACT, 1);
        set(c::FIRST_CONTACT_MS, ms);
        set(&c::first_contact_bucket(histogram::bucket(ms)), 1);
    }
    if let Some(due) = lead.first_contact_due_at {
        set(c::SLA_DUE, 1);
        match lead.first_contact_at {
            Some(at) if at <= due => set(c::SLA_MET, 1),
            Some(_) => set(c::SLA_MISSED, 1),
            None => {}
        }
    }
    if was_reached(lead, timeline) {
        set(c::REACHED, 1);
    }
    for (stage, name) in
        [(Stage::Qualified, c::QUALIFIED), (Stage::Booked, c::BOOKED), (Stage::Showed, c::SHOWED), (Stage::NoShow, c::NO_SHOW)]
    {
        if first_reached(lead, timeline, |s| stage.reached_by(s)).is_some() {
            set(name, 1);
        }
    }
    if let Some(at) = first_reached(lead, timeline, |s| Stage::Converted.reached_by(s)) {
        set(c::CONVERTED, 1);
        let k = months_between(day, settings.day(at)).max(0) as u32;
        set(&c::converted_after_months(k), 1);
    }
    let payments: Vec<i64> =
        lead.payments.iter().filter(|p| p.amount.currency == settings.currency && p.amount.minor > 0).map(|p| p.amount.minor).collect();
    if !payments.is_empty() {
        set(c::REVENUE, payments.iter().sum());
        set(c::CUSTOMERS, 1);
    }
    if let Some(j) = &lead.source.journey {
        set(c::JOURNEYS, 1);
        set(c::VISITS, i64::from(j.visits));
        set(c::FIRST_VISIT_SECS, j.lead_time(lead.created_at).num_seconds());
    }
    let funnel = Some(FunnelPart { day, dims: dims.clone(), counters: k });

    let touches = marketing_touchpoints(timeline);
    let mut attribution = Vec::new();
    for milestone in Milestone::ALL {
        let Some(at) = first_reached(lead, timeline, |s| milestone.reached_by(s)) else { continue };
        let credits = attribute_milestone(lead, &dims, &touches, at, &payments, settings);
        attribution.push(AttributionPart { milestone, day: settings.day(at), credits });
    }
    Contribution { funnel, attribution }
}

/// Maps each eligible touchpoint's value (source or campaign) to a bounded set of values.
fn bounded(values: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    values
        .into_iter()
        .map(|v| {
            if kept.contains(&v) {
                v
            } else if kept.len() < MAX_VALUES_PER_DIMENSION {
                kept.push(v.clone());
                v
            } else {
                OTHER.to_string()
            }
        })
        .collect()
}

/// Credit per source and per campaign under every model for a milestone reached at `at`.
fn attribute_milestone(
    lead: &Lead,
    dims: &LeadDims,
    touches: &[Cow<'_, Touchpoint>],
    at: DateTime<Utc>,
    payments: &[i64],
    settings: &AnalyticsSettings,
) -> Vec<Credit> {
    let eligible: Vec<&Touchpoint> = touches.iter().map(|t| t.as_ref()).filter(|t| t.at <= at).collect();
    // A lead always has its capture touchpoint; should it be missing, the lead's own source
    // stands in for it, so the milestone is credited somewhere.
    let (times, sources, campaigns): (Vec<DateTime<Utc>>, Vec<String>, Vec<String>) = if eligible.is_empty() {
        (vec![lead.created_at.min(at)], vec![dims.source.clone()], vec![dims.campaign.clone()])
    } else {
        (
            eligible.iter().map(|t| t.at).collect(),
            bounded(eligible.iter().map(|t| source_of(t.kind, t.channel, &t.detail)).collect()),
            bounded(eligible.iter().map(|t| campaign_of(&t.detail)).collect()),
        )
    };
    let mut by_value: BTreeMap<(Dimension, String), Counters> = BTreeMap::new();
    for model in settings.models {
        let mut credit = vec![0i64; times.len()];
        let mut value = vec![0i64; times.len()];
        // Errors are only possible with invalid model parameters, which configuration
        // validation refuses; such a model credits nothing rather than failing the lead.
        if let Ok(parts) = attribute(model, &times, at, CREDIT_UNIT) {
            credit = parts;
        }
        for amount in payments {
            if let Ok(parts) = attribute(model, &times, at, *amount) {
                for (v, p) in value.iter_mut().zip(parts) {
                    *v += p;
                }
            }
        }
        for i in 0..times.len() {
            for (dimension, name) in [(Dimension::Source, &sources[i]), (Dimension::Campaign, &campaigns[i])] {
                let row = by_value.entry((dimension, name.clone())).or_default();
                *row.entry(c::credit(model)).or_default() += credit[i];
                *row.entry(c::credited_value(model)).or_default() += value[i];
            }
        }
    }
    by_value
        .into_iter()
        .map(|((dimension, value), mut counters)| {
            counters.retain(|_, v| *v != 0);
            Credit { dimension, value, counters }
        })
        .filter(|c| !c.counters.is_empty())
        .collect()
}

#[cfg(test)]
mod tests;
