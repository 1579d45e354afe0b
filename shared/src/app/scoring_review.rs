//! Gathering a scoring review: the leads a model scored, created in a period, read
//! through the status indexes (every status partition, newest first from the period's end,
//! stopping at its start: no scan), with their outcome (converted or not, as of now). Test
//! records and leads without a stored score of that model are left out. Only scores, bands,
//! factor points and outcomes leave this module: no personal data.

use super::Services;
use crate::domain::scoring_review::{review, Observation, Review};
use crate::domain::{Lead, LeadId, LeadStatus};
use crate::ports::{LeadFilter, ListCursor, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::BTreeMap;

/// Most leads one review reads.
pub const MAX_LEADS: usize = 50_000;
const PAGE: usize = 100;

/// What to review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewQuery {
    pub model: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A review with what it covered.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoringReview {
    pub model: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// True when `MAX_LEADS` was reached (narrow the period).
    pub truncated: bool,
    #[serde(flatten)]
    pub review: Review,
}

/// The observation a lead gives, if it belongs in the review.
pub fn observation(lead: &Lead, q: &ReviewQuery) -> Option<Observation> {
    let score = lead.score.as_ref()?;
    if lead.test || score.model != q.model || lead.created_at < q.from || lead.created_at >= q.to {
        return None;
    }
    let mut factors: BTreeMap<String, f64> = BTreeMap::new();
    for c in &score.contributions {
        *factors.entry(c.factor.clone()).or_default() += f64::from(c.points);
    }
    let converted = lead.status == LeadStatus::Converted || lead.converted_at.is_some();
    Some(Observation { score: score.score, band: score.band, factors, converted })
}

/// Reads the period's leads and reviews the model.
pub async fn run(services: &Services, q: &ReviewQuery) -> Result<ScoringReview, StoreError> {
    let mut obs = Vec::new();
    let mut read = 0usize;
    let mut truncated = false;
    let start = ListCursor::from_sort_key(&format!("{}#{}", q.to.to_rfc3339_opts(SecondsFormat::Millis, true), LeadId::random()));
    'statuses: for status in LeadStatus::ALL {
        let mut cursor = Some(start.clone());
        while let Some(c) = cursor.take() {
            let page = services.listing.list_leads(&LeadFilter::Status(status), Some(&c), PAGE).await?;
            let mut reached_start = false;
            for lead in &page.items {
                if lead.created_at < q.from {
                    reached_start = true;
                    break;
                }
                read += 1;
                if let Some(o) = observation(lead, q) {
                    obs.push(o);
                }
            }
            if read >= MAX_LEADS {
                truncated = true;
                break 'statuses;
            }
            if !reached_start {
                cursor = page.next;
            }
        }
    }
    Ok(ScoringReview { model: q.model.clone(), from: q.from, to: q.to, truncated, review: review(&obs) })
}
