//! The `followup` function's entry point, invoked by an EventBridge schedule every minute (and
//! by the local runner's ticker). The event's content is not used: the clock decides what is due.

use crate::app::scheduler::TickReport;
use crate::app::Services;
use aws_lambda_events::eventbridge::EventBridgeEvent;

/// Runs one tick of due cadence steps. An error fails the invocation; the next tick (a minute
/// later) picks up the same work, and the claims make an overlap safe.
pub async fn handle(services: &Services, _event: EventBridgeEvent) -> Result<TickReport, crate::ports::StoreError> {
    crate::app::timed_work::tick(services).await
}
