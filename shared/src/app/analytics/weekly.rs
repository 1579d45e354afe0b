//! The weekly summary: last week's KPIs, top sources, SLA compliance per channel and attributed
//! conversions, emailed to the configured staff recipients every Monday (EventBridge schedule).
//! Counts, rates and source names only: never a lead's name, contact details or health
//! information (Part 2 service lines are not in the aggregates at all).
//!
//! Each recipient gets one copy per week: a delivery marker is claimed before sending and
//! released if the send fails, so a retried run sends only what is missing.

use super::reports::{attribution, kpis, sla, Engine, Query};
use crate::app::Services;
use crate::domain::analytics::kpi::KpiRow;
use crate::domain::analytics::{Dimension, Milestone, Period};
use crate::domain::money::Currency;
use crate::ports::{EmailPurpose, OutboundEmail, StoreError};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use std::fmt::Write;

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeeklyOutcome {
    pub week: String,
    pub sent: usize,
    /// Recipients who already had this week's summary (a retried run).
    pub already_sent: usize,
    pub failed: usize,
}

/// Why a run must be retried.
#[derive(Debug, thiserror::Error)]
pub enum WeeklyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} of the summaries could not be sent; a retry sends only those")]
    Send(usize),
}

/// Monday and Sunday of the week before the one holding `today`.
pub fn last_week(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday = Period::Week.start(today) - Duration::days(7);
    (monday, monday + Duration::days(6))
}

/// Minor units as `USD 1,234.56`.
pub fn money(minor: i64, currency: &Currency) -> String {
    let exp = currency.exponent();
    let scale = 10i64.pow(exp);
    let (whole, frac) = (minor.abs() / scale, minor.abs() % scale);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if minor < 0 { "-" } else { "" };
    if exp == 0 {
        format!("{} {sign}{grouped}", currency.code())
    } else {
        format!("{} {sign}{grouped}.{frac:0width$}", currency.code(), width = exp as usize)
    }
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".into(), |r| format!("{:.1}%", r * 100.0))
}

fn dur(s: Option<f64>) -> String {
    match s {
        None => "n/a".into(),
        Some(s) if s < 90.0 => format!("{s:.0} s"),
        Some(s) if s < 5400.0 => format!("{:.1} min", s / 60.0),
        Some(s) if s < 172_800.0 => format!("{:.1} h", s / 3600.0),
        Some(s) => format!("{:.1} days", s / 86_400.0),
    }
}

fn change(now: i64, before: i64) -> String {
    if before == 0 {
        return String::new();
    }
    let d = (now - before) as f64 / before as f64 * 100.0;
    format!(" (previous week {before}, {d:+.0}%)")
}

/// The summary's subject and plain text for the week `from..=to`.
pub async fn compose(services: &Services, from: NaiveDate, to: NaiveDate) -> Result<(String, String), StoreError> {
    let config = &services.config;
    let currency = &config.organization.currency;
    let q = |from, to, dimension| Query {
        from,
        to,
        period: Period::All,
        dimension,
        milestone: Milestone::Converted,
        engine: Engine::Aggregates,
        value: None,
    };
    let week = kpis(services, &q(from, to, Dimension::Source)).await?;
    let before = kpis(services, &q(from - Duration::days(7), to - Duration::days(7), Dimension::All)).await?;
    let channels = sla(services, &q(from, to, Dimension::Channel)).await?;
    let credited = attribution(services, &q(from, to, Dimension::Source)).await?;
    let t: &KpiRow = &week.totals;
    let iso = from.iso_week();
    let label = format!("{}-W{:02}", iso.year(), iso.week());
    let subject = format!("{} leads, week {label}: {} leads, {} converted", config.organization.name, t.leads, t.converted);
    let mut s = String::new();
    let _ = writeln!(s, "{} weekly summary, week {label} ({} to {})", config.organization.name, from, to);
    let _ = writeln!(s);
    let _ = writeln!(s, "Leads: {}{}", t.leads, change(t.leads, before.totals.leads));
    let _ = writeln!(s, "Acknowledged: {} (median {}, p90 {})", t.acknowledged, dur(t.ack_p50_seconds), dur(t.ack_p90_seconds));
    let _ = writeln!(
        s,
        "First human contact attempt: {} (average {}, median {}, p90 {})",
        t.first_contact,
        dur(t.first_contact_avg_seconds),
        dur(t.first_contact_p50_seconds),
        dur(t.first_contact_p90_seconds)
    );
    let _ = writeln!(
        s,
        "Contact rate {}, qualification {}, booking from qualified {}, show {}, conversion {}",
        pct(t.contact_rate),
        pct(t.qualification_rate),
        pct(t.booking_rate_from_qualified),
        pct(t.show_rate),
        pct(t.conversion_rate)
    );
    let _ = writeln!(s, "First contact on time (SLA): {} ({} of {} due)", pct(t.sla_compliance), t.sla_met, t.sla_due);
    let _ = writeln!(s, "Revenue from this week's leads so far: {}", money(t.revenue_minor, currency));
    if let Some(spend) = t.spend_minor {
        let _ = writeln!(
            s,
            "Marketing spend: {} (cost per lead {})",
            money(spend, currency),
            t.cost_per_lead_minor.map_or("n/a".into(), |c| money(c, currency))
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Top sources (leads, converted, conversion rate, cost per lead):");
    let top = config.analytics.weekly_top_sources;
    for r in week.rows.iter().take(top) {
        let cpl = r.cost_per_lead_minor.map_or_else(|| "n/a".into(), |c| money(c, currency));
        let _ = writeln!(s, "  {:<24} {:>5} {:>5} {:>7}  {cpl}", r.key, r.leads, r.converted, pct(r.conversion_rate));
    }
    let others: i64 = week.rows.iter().skip(top).map(|r| r.leads).sum();
    if others > 0 {
        let _ = writeln!(s, "  {:<24} {:>5}", "others", others);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "First contact on time by channel:");
    for r in &channels.rows {
        let _ = writeln!(s, "  {:<20} {:>7} of {:>4} due (target {} s)", r.channel, pct(r.sla_compliance), r.sla_due, r.target_seconds);
    }
    if !credited.rows.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Conversions this week credited by source (position-based {}/{}):",
            config.analytics.first_percent, config.analytics.last_percent
        );
        for r in credited.rows.iter().take(top) {
            let _ = writeln!(s, "  {:<24} {:>6.2}  {}", r.key, r.position_based_conversions, money(r.position_based_value_minor, currency));
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Counts and rates only: this summary never carries a lead's name, contact details or health information.");
    let _ = writeln!(s, "More: GET /reports/kpis?from={from}&to={to}&dimension=source (CSV with &format=csv), /reports/charts/funnel.svg");
    Ok((subject, s))
}

/// Sends last week's summary to every configured recipient (once per recipient and week).
pub async fn send_weekly(services: &Services) -> Result<WeeklyOutcome, WeeklyError> {
    let today = services.clock.now().with_timezone(&services.config.organization.time_zone).date_naive();
    let (from, to) = last_week(today);
    let iso = from.iso_week();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    let mut outcome = WeeklyOutcome { week: week.clone(), sent: 0, already_sent: 0, failed: 0 };
    let recipients = &services.config.analytics.weekly_recipients;
    if recipients.is_empty() {
        return Ok(outcome);
    }
    let (subject, text) = compose(services, from, to).await?;
    for to_addr in recipients {
        let key = format!("weekly:{week}:{}", to_addr.as_str());
        if !services.aggregates.claim_delivery(&key, services.clock.now()).await? {
            outcome.already_sent += 1;
            continue;
        }
        let email = OutboundEmail {
            lead_id: None,
            to: to_addr.clone(),
            subject: subject.clone(),
            text: text.clone(),
            html: None,
            purpose: EmailPurpose::StaffReport,
            headers: Vec::new(),
        };
        match services.email.send(&email).await {
            Ok(_) => outcome.sent += 1,
            Err(e) => {
                tracing::warn!(error = %e, week = %week, "weekly summary not sent to one recipient");
                services.aggregates.release_delivery(&key).await?;
                outcome.failed += 1;
            }
        }
    }
    if outcome.failed > 0 {
        return Err(WeeklyError::Send(outcome.failed));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_week_is_monday_to_sunday() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Monday 2026-03-09: the week before is 2026-03-02 .. 2026-03-08.
        assert_eq!(last_week(d("2026-03-09")), (d("2026-03-02"), d("2026-03-08")));
        assert_eq!(last_week(d("2026-03-15")), (d("2026-03-02"), d("2026-03-08")));
    }

    #[test]
    fn money_reads_naturally() {
        assert_eq!(money(123_456_789, &Currency::usd()), "USD 1,234,567.89");
        assert_eq!(money(5, &Currency::usd()), "USD 0.05");
        assert_eq!(money(5000, &Currency::try_from("JPY".to_string()).unwrap()), "JPY 5,000");
    }
}
