//! Sending a text at the pace the origination identity allows, in its priority lane
//! (`domain::pacing`), with the spend circuit breaker, and provider throttling turned into a
//! cool-down instead of a lost text.
//!
//! Why slots in the shared store rather than a single sender with reserved concurrency: the
//! acknowledgement must leave within seconds of a lead (the brief's 30 s), and a single sender
//! polled every minute, or one throttled by Lambda, would add that latency to every text. With a
//! slot per part in a one-second window (one conditional DynamoDB write), each sender sends the
//! moment it holds a slot, any number of Lambda invocations share one limit, and a sender that
//! gets no slot hands its text back to its own durable retry (the SQS message or the due item)
//! with the time to try again; nothing waits in memory, so nothing is lost when a function
//! stops.
//!
//! Never sent twice: a text is handed to the provider only after its caller's once-only marker
//! is claimed, and a refusal (no slot, a throttle, the breaker) happens before the provider
//! accepted anything, so sending it again later is the first sending.

use super::messaging::MessagingError;
use super::Services;
use crate::domain::pacing::{ceiling, cool_down, retry_at, window_of, window_start, Lane, Pace, WaitReason};
use crate::domain::sms_segments;
use crate::ports::rate_limit::counter_key;
use crate::ports::{OutboundSms, SendError, SentMessage, StoreError};
use chrono::{DateTime, Duration, DurationRound, Utc};
use tracing::{error, info};

/// What happened to a paced text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacedSend {
    Sent(SentMessage),
    /// Not sent: hand it back and try again at `until`.
    Wait {
        until: DateTime<Utc>,
        reason: WaitReason,
    },
}

/// Takes a slot of `parts` for `lane` now, or says when to try again.
pub async fn acquire(services: &Services, lane: Lane, parts: u32) -> Result<Pace, StoreError> {
    let identity = services.sms.identity();
    let rate = services.config.messaging.pacing.parts_per_second;
    let now = services.clock.now();
    let w = window_of(now);
    let backlog = services.pacer.backlog(&identity).await?;
    if backlog.cool_until > now.timestamp() {
        return Ok(Pace::Wait { until: window_start(backlog.cool_until), reason: WaitReason::Throttled });
    }
    let ceiling = ceiling(lane, rate);
    // A text longer than a window holds takes a whole window (it still counts once).
    let parts = parts.clamp(1, ceiling.max(1));
    let yield_to = backlog.higher_until(lane, now);
    if yield_to.is_none() && services.pacer.take(&identity, w, parts, ceiling).await? {
        return Ok(Pace::Go);
    }
    let counts = services.pacer.refuse(&identity, w, lane).await?;
    let mut until = retry_at(lane, w, &counts, rate);
    if let Some(t) = yield_to {
        // Behind the higher lane's backlog, keeping this request's place among its own.
        until = window_start(t + 1) + (until - window_start(w + 1));
    }
    services.pacer.mark_backlog(&identity, lane, until).await?;
    Ok(Pace::Wait { until, reason: WaitReason::Throughput })
}

/// Sends `sms` in `lane` when a slot is free; otherwise says when to try again.
pub async fn send(services: &Services, sms: &OutboundSms, lane: Lane) -> Result<PacedSend, MessagingError> {
    let parts = sms_segments::count(&sms.body).parts;
    if let Pace::Wait { until, reason } = acquire(services, lane, parts).await? {
        info!(lane = lane.as_str(), until = %until, reason = reason.as_str(), "text paced");
        return Ok(PacedSend::Wait { until, reason });
    }
    if let Some(until) = spend_breaker(services, lane).await? {
        return Ok(PacedSend::Wait { until, reason: WaitReason::SpendPaused });
    }
    match services.sms.send(sms).await {
        Ok(sent) => {
            super::metrics::text_sent(services, sms.lead_id, sms.purpose);
            Ok(PacedSend::Sent(sent))
        }
        Err(SendError::Throttled(why)) => {
            let identity = services.sms.identity();
            let now = services.clock.now();
            let count = services.pacer.count_throttle(&identity, now).await?;
            let until = now + cool_down(count);
            services.pacer.cool(&identity, until).await?;
            info!(lane = lane.as_str(), throttles_this_minute = count, until = %until, detail = %why, "provider throttled: cooling down");
            Ok(PacedSend::Wait { until, reason: WaitReason::Throttled })
        }
        Err(e) => Err(e.into()),
    }
}

/// Counts a text against the hour's spend; for a pausable lane over the limit, the start of the
/// next hour. Crossing the limit logs the `sms_spend_breaker` alarm event (a CloudWatch metric
/// filter raises the alarm on it).
async fn spend_breaker(services: &Services, lane: Lane) -> Result<Option<DateTime<Utc>>, StoreError> {
    let limit = services.config.messaging.max_texts_per_hour;
    if limit == 0 {
        return Ok(None);
    }
    let now = services.clock.now();
    let hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let next = hour + Duration::hours(1);
    let count = services.rate.hit(&counter_key("sms_hour", &services.sms.identity()), hour, next).await?;
    if count == u64::from(limit) + 1 {
        error!(
            alarm = "sms_spend_breaker",
            texts_this_hour = count,
            limit,
            "SMS spend circuit breaker open: automated follow-ups and reminders pause until the next hour"
        );
    }
    Ok((lane.pausable() && count > u64::from(limit)).then_some(next))
}
