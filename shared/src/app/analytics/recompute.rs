//! The full recompute, for audits: every lead's contribution computed from the lead and its
//! timeline and summed, walking the leads through the status listing index (every lead has
//! exactly one status, so the statuses together list every lead; never a scan). It must agree
//! with the incrementally maintained aggregates, and `GET /reports/audit` shows where not.

use super::reconcile::{contribution_with, excluded, whole_timeline};
use crate::app::Services;
use crate::domain::analytics::contribution::Counters;
use crate::domain::analytics::kpi::merge;
use crate::domain::analytics::{Dimension, Family, RowKey};
use crate::domain::{LeadId, LeadStatus};
use crate::ports::{LeadFilter, ListCursor, StoreError};
use chrono::{NaiveDate, SecondsFormat, TimeZone};
use std::collections::{BTreeMap, HashSet};

/// Leads read per listing page.
const PAGE: usize = 100;

/// Rows summed from the leads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowSet {
    pub rows: BTreeMap<RowKey, Counters>,
    /// Leads whose contribution was computed (Part 2 leads are walked but not counted).
    pub leads: usize,
}

impl RowSet {
    /// Rows of `family` and `dimension` with days in `from..=to`.
    pub fn select(&self, family: Family, dimension: Dimension, from: NaiveDate, to: NaiveDate) -> Vec<(RowKey, Counters)> {
        self.rows
            .iter()
            .filter(|(k, _)| k.family == family && k.dimension == dimension && k.day >= from && k.day <= to)
            .map(|(k, c)| (k.clone(), c.clone()))
            .collect()
    }
}

/// The listing cursor just after the end of `day` (org time zone): listing from it, newest
/// first, starts with the last lead created that day.
fn cursor_after(services: &Services, day: NaiveDate) -> Option<ListCursor> {
    let tz = services.config.organization.time_zone;
    let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
    let end = tz.from_local_datetime(&next).earliest()?.with_timezone(&chrono::Utc);
    // The largest lead id: every lead created before `end` sorts before it.
    let key = format!("{}#7ZZZZZZZZZZZZZZZZZZZZZZZZZ", end.to_rfc3339_opts(SecondsFormat::Millis, true));
    ListCursor::parse(ListCursor::from_sort_key(&key).as_str())
}

/// Sums the contributions of the leads created on `created_from..=created_to` (org time
/// zone; `None` from: since the beginning).
pub async fn recompute(services: &Services, created_from: Option<NaiveDate>, created_to: NaiveDate) -> Result<RowSet, StoreError> {
    let settings = services.config.analytics_settings();
    let mut out = RowSet::default();
    let mut seen: HashSet<LeadId> = HashSet::new();
    let start = cursor_after(services, created_to);
    for status in LeadStatus::ALL {
        let filter = LeadFilter::Status(status);
        let mut cursor = start.clone();
        'pages: loop {
            let page = services.listing.list_leads(&filter, cursor.as_ref(), PAGE).await?;
            for lead in page.items {
                let day = settings.day(lead.created_at);
                if day > created_to {
                    continue;
                }
                if created_from.is_some_and(|from| day < from) {
                    break 'pages;
                }
                if !seen.insert(lead.id) || excluded(services, &lead) {
                    continue;
                }
                let timeline = whole_timeline(services, lead.id).await?;
                for (key, counters) in contribution_with(services, &lead, &timeline).rows() {
                    merge(out.rows.entry(key).or_default(), &counters);
                }
                out.leads += 1;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(out)
}
