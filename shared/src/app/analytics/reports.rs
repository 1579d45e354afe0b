//! Reports, from the aggregates (the default) or from a recompute over the leads (for audits):
//! KPIs per period and dimension with spend, attribution by model side by side, cohorts, SLA
//! compliance per channel, unrecognized source names, and the audit comparing both engines.
//!
//! Nothing here names a lead: rows are counts and sums per period and dimension value.

use super::recompute::{recompute, RowSet};
use crate::app::Services;
use crate::domain::analytics::cohort::{cohort_table, CohortRow};
use crate::domain::analytics::contribution::{Counters, CREDIT_UNIT};
use crate::domain::analytics::counters as c;
use crate::domain::analytics::dimension::{clean_value, NONE};
use crate::domain::analytics::kpi::{group, kpi_row, merge, KpiRow};
use crate::domain::analytics::spend::SpendEntry;
use crate::domain::analytics::{histogram, Dimension, Family, Milestone, Period, RowKey, SourceAliases};
use crate::domain::attribution::Model;
use crate::domain::string_enum::string_enum;
use crate::domain::SourceChannel;
use crate::ports::StoreError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

string_enum! {
    /// Where report rows come from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Engine {
        /// The incrementally maintained counters: a few reads whatever the number of leads.
        Aggregates => "aggregates",
        /// Every lead and timeline read again: slow, for audits.
        Recompute => "recompute",
    }
    parse(s) => s.trim();
}

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub period: Period,
    pub dimension: Dimension,
    pub milestone: Milestone,
    pub engine: Engine,
    /// Only this dimension value (cohorts).
    pub value: Option<String>,
}

/// Rows from the engine asked for; a recompute is done once per report (again only when a
/// later read needs older leads than the first one read).
struct Rows<'a> {
    services: &'a Services,
    engine: Engine,
    /// The recomputed rows and the first capture day they cover (`None`: every lead).
    set: Option<(Option<NaiveDate>, RowSet)>,
}

impl<'a> Rows<'a> {
    fn new(services: &'a Services, engine: Engine) -> Self {
        Rows { services, engine, set: None }
    }

    /// Rows of `family` and `dimension` with days in `from..=to`. A recompute of the funnel
    /// reads only the leads created in the range; attribution needs every lead created by
    /// `to` (a milestone can come long after capture).
    async fn get(
        &mut self,
        family: Family,
        dimension: Dimension,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(RowKey, Counters)>, StoreError> {
        let mut rows = match self.engine {
            Engine::Aggregates => self.services.aggregates.rows(family, dimension, from, to).await?,
            Engine::Recompute => {
                let created_from = (family == Family::Funnel).then_some(from);
                let covered = self.set.as_ref().is_some_and(|(first, _)| first.is_none() || *first <= created_from);
                if !covered {
                    self.set = Some((created_from, recompute(self.services, created_from, to).await?));
                }
                self.set.as_ref().map(|(_, s)| s.select(family, dimension, from, to)).unwrap_or_default()
            }
        };
        // A lead that moved to another value leaves zeros behind: no line for them.
        rows.retain(|(_, c)| c.values().any(|v| *v != 0));
        Ok(rows)
    }
}

/// The report key of a stored value: sources through the alias table.
fn key_of(aliases: &SourceAliases, dimension: Dimension) -> impl Fn(&str) -> String + '_ {
    move |v| if dimension == Dimension::Source { aliases.normalize(v) } else { v.to_string() }
}

/// KPIs per period and dimension value, with a total line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    pub report: &'static str,
    pub dimension: Dimension,
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub engine: Engine,
    pub currency: String,
    pub rows: Vec<KpiRow>,
    pub totals: KpiRow,
}

/// Spend per (period start, key) for the dimensions spend is entered by; `None` for the others.
fn spend_by(
    entries: &[SpendEntry],
    dimension: Dimension,
    period: Period,
    from: NaiveDate,
    to: NaiveDate,
    aliases: &SourceAliases,
) -> Option<BTreeMap<(NaiveDate, String), i64>> {
    let mut out: BTreeMap<(NaiveDate, String), i64> = BTreeMap::new();
    for e in entries {
        let key = match dimension {
            Dimension::All => "all".to_string(),
            Dimension::Source => aliases.normalize(&e.source),
            // Spend on a source as a whole has no campaign to be compared with.
            Dimension::Campaign if e.campaign == NONE => continue,
            Dimension::Campaign => e.campaign.clone(),
            _ => return None,
        };
        for (day, v) in e.daily() {
            if day >= from && day <= to {
                *out.entry((period.start(day), key.clone())).or_default() += v;
            }
        }
    }
    Some(out)
}

/// The KPI report.
pub async fn kpis(services: &Services, q: &Query) -> Result<KpiReport, StoreError> {
    let aliases = &services.config.analytics.aliases;
    let rows = Rows::new(services, q.engine).get(Family::Funnel, q.dimension, q.from, q.to).await?;
    let groups = group(rows.iter().map(|(k, c)| (k, c)), q.period, key_of(aliases, q.dimension));
    let entries = services.aggregates.spend(Period::Month.start(q.from), q.to).await?;
    let spend = spend_by(&entries, q.dimension, q.period, q.from, q.to, aliases);
    let mut keys: BTreeSet<(NaiveDate, String)> = groups.keys().cloned().collect();
    if let Some(s) = &spend {
        keys.extend(s.keys().cloned());
    }
    let empty = Counters::new();
    let mut total = Counters::new();
    let mut out: Vec<KpiRow> = keys
        .into_iter()
        .map(|(start, key)| {
            let counters = groups.get(&(start, key.clone())).unwrap_or(&empty);
            merge(&mut total, counters);
            let s = spend.as_ref().map(|s| s.get(&(start, key.clone())).copied());
            kpi_row(q.period.label(start), key, counters, s.flatten())
        })
        .collect();
    out.sort_by(|a, b| a.period.cmp(&b.period).then(b.leads.cmp(&a.leads)).then(a.key.cmp(&b.key)));
    // No spend entered for the range: no cost figures (rather than a cost of zero).
    let total_spend = spend.filter(|s| !s.is_empty()).map(|s| s.values().sum());
    Ok(KpiReport {
        report: "kpis",
        dimension: q.dimension,
        period: q.period,
        from: q.from,
        to: q.to,
        engine: q.engine,
        currency: services.config.organization.currency.code().to_string(),
        totals: kpi_row("total".into(), "all".into(), &total, total_spend),
        rows: out,
    })
}

/// Credit of one dimension value under every model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionRow {
    pub key: String,
    pub first_touch_conversions: f64,
    pub first_touch_value_minor: i64,
    pub last_touch_conversions: f64,
    pub last_touch_value_minor: i64,
    pub linear_conversions: f64,
    pub linear_value_minor: i64,
    pub time_decay_conversions: f64,
    pub time_decay_value_minor: i64,
    pub position_based_conversions: f64,
    pub position_based_value_minor: i64,
}

impl AttributionRow {
    fn from_counters(key: String, k: &Counters) -> Self {
        let n = |m: Model| k.get(&c::credit(m)).copied().unwrap_or(0) as f64 / CREDIT_UNIT as f64;
        let v = |m: Model| k.get(&c::credited_value(m)).copied().unwrap_or(0);
        let (td, pb) = (Model::TimeDecay { half_life_hours: 1 }, Model::PositionBased { first_percent: 0, last_percent: 0 });
        AttributionRow {
            key,
            first_touch_conversions: n(Model::FirstTouch),
            first_touch_value_minor: v(Model::FirstTouch),
            last_touch_conversions: n(Model::LastTouch),
            last_touch_value_minor: v(Model::LastTouch),
            linear_conversions: n(Model::Linear),
            linear_value_minor: v(Model::Linear),
            time_decay_conversions: n(td),
            time_decay_value_minor: v(td),
            position_based_conversions: n(pb),
            position_based_value_minor: v(pb),
        }
    }

    /// (conversions, value) under the model named `name`.
    pub fn model(&self, name: &str) -> (f64, i64) {
        match name {
            "first_touch" => (self.first_touch_conversions, self.first_touch_value_minor),
            "last_touch" => (self.last_touch_conversions, self.last_touch_value_minor),
            "linear" => (self.linear_conversions, self.linear_value_minor),
            "time_decay" => (self.time_decay_conversions, self.time_decay_value_minor),
            _ => (self.position_based_conversions, self.position_based_value_minor),
        }
    }
}

/// The models' parameters, as configured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelParameters {
    pub half_life_days: f64,
    pub first_percent: u8,
    pub last_percent: u8,
}

/// Credit per source or campaign under each model, side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionReport {
    pub report: &'static str,
    pub milestone: Milestone,
    pub dimension: Dimension,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub engine: Engine,
    pub currency: String,
    pub models: ModelParameters,
    pub rows: Vec<AttributionRow>,
    pub totals: AttributionRow,
}

/// The attribution report (dimension: source or campaign).
pub async fn attribution(services: &Services, q: &Query) -> Result<AttributionReport, StoreError> {
    let aliases = &services.config.analytics.aliases;
    let rows = Rows::new(services, q.engine).get(Family::Attribution(q.milestone), q.dimension, q.from, q.to).await?;
    let mut by_key: BTreeMap<String, Counters> = BTreeMap::new();
    let mut total = Counters::new();
    let normalize = key_of(aliases, q.dimension);
    for (k, counters) in &rows {
        merge(by_key.entry(normalize(&k.value)).or_default(), counters);
        merge(&mut total, counters);
    }
    let mut out: Vec<AttributionRow> = by_key.iter().map(|(k, c)| AttributionRow::from_counters(k.clone(), c)).collect();
    out.sort_by(|a, b| b.linear_conversions.total_cmp(&a.linear_conversions).then(a.key.cmp(&b.key)));
    let a = &services.config.analytics;
    Ok(AttributionReport {
        report: "attribution",
        milestone: q.milestone,
        dimension: q.dimension,
        from: q.from,
        to: q.to,
        engine: q.engine,
        currency: services.config.organization.currency.code().to_string(),
        models: ModelParameters {
            half_life_days: f64::from(a.half_life_hours) / 24.0,
            first_percent: a.first_percent,
            last_percent: a.last_percent,
        },
        totals: AttributionRow::from_counters("all".into(), &total),
        rows: out,
    })
}

/// Cohorts by acquisition month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortReport {
    pub report: &'static str,
    pub dimension: Dimension,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub engine: Engine,
    pub rows: Vec<CohortRow>,
}

/// The cohort table (of one dimension value when `q.value` is given, else of all leads).
pub async fn cohorts(services: &Services, q: &Query, as_of: NaiveDate) -> Result<CohortReport, StoreError> {
    let aliases = &services.config.analytics.aliases;
    let (from, to) = (Period::Month.start(q.from), Period::Month.start(q.to));
    let to_end = crate::domain::analytics::period::next_month(to).pred_opt().unwrap_or(to);
    let dimension = if q.value.is_some() { q.dimension } else { Dimension::All };
    let rows = Rows::new(services, q.engine).get(Family::Funnel, dimension, from, to_end).await?;
    let wanted = q.value.as_deref().map(|v| key_of(aliases, dimension)(&clean_value(v)));
    let normalize = key_of(aliases, dimension);
    let selected = rows.iter().filter(|(k, _)| wanted.as_deref().is_none_or(|w| normalize(&k.value) == w)).map(|(k, c)| (k, c));
    let table = cohort_table(selected, from, to, as_of);
    Ok(CohortReport { report: "cohorts", dimension, value: wanted, from, to, as_of, engine: q.engine, rows: table })
}

/// SLA compliance of one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaRow {
    pub channel: String,
    /// The configured first-contact target for the channel (tighter tier targets may apply).
    pub target_seconds: u32,
    pub leads: i64,
    pub first_contact: i64,
    pub sla_due: i64,
    pub sla_met: i64,
    pub sla_missed: i64,
    pub sla_compliance: Option<f64>,
    pub first_contact_avg_seconds: Option<f64>,
    pub first_contact_p50_seconds: Option<f64>,
    pub first_contact_p90_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaReport {
    pub report: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub engine: Engine,
    pub rows: Vec<SlaRow>,
    pub totals: SlaRow,
}

fn sla_row(channel: String, target_seconds: u32, k: &Counters) -> SlaRow {
    let kpi = kpi_row(String::new(), channel.clone(), k, None);
    SlaRow {
        channel,
        target_seconds,
        leads: kpi.leads,
        first_contact: kpi.first_contact,
        sla_due: kpi.sla_due,
        sla_met: kpi.sla_met,
        sla_missed: kpi.sla_missed,
        sla_compliance: kpi.sla_compliance,
        first_contact_avg_seconds: kpi.first_contact_avg_seconds,
        first_contact_p50_seconds: kpi.first_contact_p50_seconds,
        first_contact_p90_seconds: kpi.first_contact_p90_seconds,
    }
}

/// SLA compliance per source channel, with the configured targets.
pub async fn sla(services: &Services, q: &Query) -> Result<SlaReport, StoreError> {
    let rows = Rows::new(services, q.engine).get(Family::Funnel, Dimension::Channel, q.from, q.to).await?;
    let mut by: BTreeMap<String, Counters> = BTreeMap::new();
    let mut total = Counters::new();
    for (k, counters) in &rows {
        merge(by.entry(k.value.clone()).or_default(), counters);
        merge(&mut total, counters);
    }
    let policy = &services.config.sla.policy;
    let target =
        |ch: &str| SourceChannel::parse(ch).and_then(|c| policy.channel_seconds.get(&c).copied()).unwrap_or(policy.default_seconds);
    Ok(SlaReport {
        report: "sla",
        from: q.from,
        to: q.to,
        engine: q.engine,
        rows: by.iter().map(|(ch, k)| sla_row(ch.clone(), target(ch), k)).collect(),
        totals: sla_row("all".into(), policy.default_seconds, &total),
    })
}

/// A source value the alias table does not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnrecognizedSource {
    pub value: String,
    /// Leads whose own source it is.
    pub leads: i64,
    /// Conversions it was credited with as a touchpoint (linear model).
    pub touchpoint_conversions: f64,
    pub first_seen: Option<NaiveDate>,
    pub last_seen: Option<NaiveDate>,
    /// Whether spend was entered under it.
    pub in_spend: bool,
    /// The closest known name, when one is close (a likely typo).
    pub suggestion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnrecognizedReport {
    pub report: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub known: Vec<String>,
    pub rows: Vec<UnrecognizedSource>,
}

/// Source values seen in `from..=to` (as leads' sources, as touchpoints, in spend) that are
/// neither a canonical name, an alias nor one of leadflow's own names.
pub async fn unrecognized_sources(services: &Services, q: &Query) -> Result<UnrecognizedReport, StoreError> {
    let aliases = &services.config.analytics.aliases;
    let mut found: BTreeMap<String, UnrecognizedSource> = BTreeMap::new();
    let mut rows = Rows::new(services, q.engine);
    for (k, counters) in rows.get(Family::Funnel, Dimension::Source, q.from, q.to).await? {
        if aliases.is_recognized(&k.value) {
            continue;
        }
        let e = found.entry(k.value.clone()).or_insert_with(|| blank(&k.value));
        e.leads += counters.get(c::LEADS).copied().unwrap_or(0);
        e.first_seen = Some(e.first_seen.map_or(k.day, |d| d.min(k.day)));
        e.last_seen = Some(e.last_seen.map_or(k.day, |d| d.max(k.day)));
    }
    for m in Milestone::ALL {
        for (k, counters) in rows.get(Family::Attribution(m), Dimension::Source, q.from, q.to).await? {
            if aliases.is_recognized(&k.value) {
                continue;
            }
            let e = found.entry(k.value.clone()).or_insert_with(|| blank(&k.value));
            if m == Milestone::Converted {
                e.touchpoint_conversions += counters.get(&c::credit(Model::Linear)).copied().unwrap_or(0) as f64 / CREDIT_UNIT as f64;
            }
            e.first_seen = Some(e.first_seen.map_or(k.day, |d| d.min(k.day)));
            e.last_seen = Some(e.last_seen.map_or(k.day, |d| d.max(k.day)));
        }
    }
    for s in services.aggregates.spend(Period::Month.start(q.from), q.to).await? {
        if !aliases.is_recognized(&s.source) {
            found.entry(s.source.clone()).or_insert_with(|| blank(&s.source)).in_spend = true;
        }
    }
    let mut known: Vec<String> = aliases.canonical_names().into_iter().map(str::to_string).collect();
    known.extend(crate::domain::analytics::aliases::BUILTIN.iter().map(|s| s.to_string()));
    known.sort();
    known.dedup();
    let mut out: Vec<UnrecognizedSource> = found.into_values().collect();
    for u in &mut out {
        u.suggestion = known
            .iter()
            .map(|k| (strsim::jaro_winkler(&u.value, k), k))
            .filter(|(score, _)| *score >= 0.88)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k.clone());
        u.touchpoint_conversions = (u.touchpoint_conversions * 1000.0).round() / 1000.0;
    }
    out.sort_by(|a, b| b.leads.cmp(&a.leads).then(a.value.cmp(&b.value)));
    Ok(UnrecognizedReport { report: "unrecognized_sources", from: q.from, to: q.to, known, rows: out })
}

fn blank(v: &str) -> UnrecognizedSource {
    UnrecognizedSource {
        value: v.to_string(),
        leads: 0,
        touchpoint_conversions: 0.0,
        first_seen: None,
        last_seen: None,
        in_spend: false,
        suggestion: None,
    }
}

/// A counter the two engines disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub family: Family,
    pub dimension: Dimension,
    pub day: NaiveDate,
    pub value: String,
    pub counter: String,
    pub aggregates: i64,
    pub recompute: i64,
}

/// Aggregates against a full recompute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub report: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub leads_recomputed: usize,
    pub rows_compared: usize,
    pub agree: bool,
    pub difference_count: usize,
    /// The first 100 differences.
    pub differences: Vec<Difference>,
}

/// Compares every counter of every row with a day in `from..=to` between the aggregates and a
/// recompute from the leads (all leads created by `to`).
pub async fn audit(services: &Services, from: NaiveDate, to: NaiveDate) -> Result<AuditReport, StoreError> {
    let set = recompute(services, None, to).await?;
    let mut differences = Vec::new();
    let mut compared = 0;
    for family in Family::ALL {
        let dims: &[Dimension] = if family == Family::Funnel { &Dimension::ALL } else { &[Dimension::Source, Dimension::Campaign] };
        for &dimension in dims {
            let stored: BTreeMap<RowKey, Counters> = services.aggregates.rows(family, dimension, from, to).await?.into_iter().collect();
            let computed: BTreeMap<RowKey, Counters> = set.select(family, dimension, from, to).into_iter().collect();
            let keys: BTreeSet<&RowKey> = stored.keys().chain(computed.keys()).collect();
            for key in keys {
                compared += 1;
                let (a, b) = (stored.get(key), computed.get(key));
                let names: BTreeSet<&String> = a.into_iter().flat_map(|m| m.keys()).chain(b.into_iter().flat_map(|m| m.keys())).collect();
                for name in names {
                    let (x, y) = (a.and_then(|m| m.get(name)).copied().unwrap_or(0), b.and_then(|m| m.get(name)).copied().unwrap_or(0));
                    if x != y {
                        differences.push(Difference {
                            family,
                            dimension,
                            day: key.day,
                            value: key.value.clone(),
                            counter: name.clone(),
                            aggregates: x,
                            recompute: y,
                        });
                    }
                }
            }
        }
    }
    let count = differences.len();
    differences.truncate(100);
    Ok(AuditReport {
        report: "audit",
        from,
        to,
        leads_recomputed: set.leads,
        rows_compared: compared,
        agree: count == 0,
        difference_count: count,
        differences,
    })
}

/// Response-time distributions (acknowledgement and first human contact attempt), summed over
/// the range: one count per histogram bucket, for the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseTimes {
    pub buckets: Vec<String>,
    pub acknowledgement: Vec<i64>,
    pub first_contact: Vec<i64>,
    pub ack_p50_seconds: Option<f64>,
    pub ack_p90_seconds: Option<f64>,
    pub first_contact_p50_seconds: Option<f64>,
    pub first_contact_p90_seconds: Option<f64>,
}

/// The response-time distributions of `from..=to`.
pub async fn response_times(services: &Services, q: &Query) -> Result<ResponseTimes, StoreError> {
    let rows = Rows::new(services, q.engine).get(Family::Funnel, Dimension::All, q.from, q.to).await?;
    let mut total = Counters::new();
    for (_, k) in &rows {
        merge(&mut total, k);
    }
    let kpi = kpi_row(String::new(), String::new(), &total, None);
    let get = |name: String| total.get(&name).copied().unwrap_or(0);
    Ok(ResponseTimes {
        buckets: (0..histogram::BUCKETS).map(histogram::label).collect(),
        acknowledgement: (0..histogram::BUCKETS).map(|i| get(c::ack_bucket(i))).collect(),
        first_contact: (0..histogram::BUCKETS).map(|i| get(c::first_contact_bucket(i))).collect(),
        ack_p50_seconds: kpi.ack_p50_seconds,
        ack_p90_seconds: kpi.ack_p90_seconds,
        first_contact_p50_seconds: kpi.first_contact_p50_seconds,
        first_contact_p90_seconds: kpi.first_contact_p90_seconds,
    })
}
