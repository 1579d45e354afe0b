//! The site snippet's beacons: an anonymous visitor's page views and key events are kept (no
//! form value, no address, a page path only when configured) until they expire, or until that
//! visitor inquires, when the score step copies the ones before the inquiry onto the lead's
//! timeline, where scoring counts them (pricing page views, downloads). They are engagement,
//! not marketing touches: the visit's source is already in the journey's first and latest
//! touches, so attribution leaves them out (`marketing_touchpoints`).

use super::Services;
use crate::domain::source::VisitorId;
use crate::domain::text::Label;
use crate::domain::{Actor, EventId, Lead, SourceChannel, TimelineEntry, TimelineKind, Touchpoint, TouchpointKind};
use crate::ports::rate_limit::{counter_key, window};
use crate::ports::{StoreError, VisitEvent};
use chrono::Duration;

pub use crate::domain::analytics::contribution::SITE_ACTOR;

/// At most this many of a visitor's events join a lead (the earliest first).
pub const MAX_JOINED: usize = 200;

/// What a beacon reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Beacon {
    PageView { path: Option<String> },
    Event { name: String },
}

/// Why a beacon was not kept.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    #[error("the site's beacons are not enabled")]
    Disabled,
    #[error("not a configured key event")]
    UnknownEvent,
    #[error("too many beacons from this address")]
    RateLimited { retry_after_seconds: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Keeps one beacon of `visitor`, counted against the per-IP limit.
pub async fn record(services: &Services, visitor: VisitorId, beacon: Beacon, ip: Option<&str>) -> Result<(), BeaconError> {
    let settings = &services.config.web_analytics;
    if !settings.enabled {
        return Err(BeaconError::Disabled);
    }
    let now = services.clock.now();
    let (kind, page, event) = match beacon {
        Beacon::PageView { path } => {
            // Only listed paths are kept; the query string and fragment never are.
            let path = path.as_deref().map(|p| p.split(['?', '#']).next().unwrap_or_default());
            let page = path.and_then(|p| settings.recorded_page(p)).and_then(|p| Label::parse(p, 200).ok());
            (TouchpointKind::PageView, page, None)
        }
        Beacon::Event { name } => match settings.events.get(&name) {
            Some(kind) => (*kind, None, Some(name)),
            None => return Err(BeaconError::UnknownEvent),
        },
    };
    if let (Some(limit), Some(ip)) = (settings.per_ip, ip) {
        let (start, end) = window(now, limit.window_seconds);
        if services.rate.hit(&counter_key("visit_ip", ip), start, end).await? > u64::from(limit.limit) {
            return Err(BeaconError::RateLimited { retry_after_seconds: (end - now).num_seconds().max(1) as u64 });
        }
    }
    let event = VisitEvent { visitor, id: EventId::new_at(now), at: now, kind, page, event };
    services.visits.record(&event, now + Duration::days(i64::from(settings.keep_days))).await?;
    Ok(())
}

/// Copies the visitors' events (those so far: the ones before each inquiry, and any sent in the
/// seconds since) onto `lead`'s timeline, once each (the entries' ids derive from the lead and
/// the event); returns how many were new. The visitors are the lead's and its inquiries' (a
/// later inquiry may come from another browser of the same person).
pub async fn join(services: &Services, lead: &Lead) -> Result<usize, StoreError> {
    let mut visitors: Vec<&VisitorId> = Vec::new();
    for journey in std::iter::once(&lead.source.journey).chain(lead.inquiries.iter().map(|i| &i.source.journey)) {
        if let Some(v) = journey.as_ref().and_then(|j| j.visitor.as_ref()) {
            if !visitors.contains(&v) {
                visitors.push(v);
            }
        }
    }
    let now = services.clock.now();
    let mut added = 0;
    for visitor in visitors {
        added += join_visitor(services, lead, visitor, now).await?;
    }
    Ok(added)
}

async fn join_visitor(
    services: &Services,
    lead: &Lead,
    visitor: &VisitorId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, StoreError> {
    let mut added = 0;
    for e in services.visits.events(visitor, now, MAX_JOINED).await? {
        let touchpoint = Touchpoint { at: e.at, kind: e.kind, channel: SourceChannel::WebForm, detail: Default::default(), page: e.page };
        let seed = format!("{}:visit:{}", lead.id, e.id);
        let entry =
            TimelineEntry::derived(lead.id, e.at, &seed, Actor::System(SITE_ACTOR.into()), TimelineKind::TouchpointRecorded { touchpoint });
        if services.timeline.append(&entry).await? {
            added += 1;
        }
    }
    Ok(added)
}
