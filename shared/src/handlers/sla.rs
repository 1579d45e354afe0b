//! The SLA checker's entry point, invoked by an EventBridge schedule every minute (and by the
//! local runner's ticker). The event's content is not used: the clock decides what is due.

use crate::app::scheduler::TickReport;
use crate::app::Services;
use aws_lambda_events::eventbridge::EventBridgeEvent;

/// Runs one tick. An error fails the invocation (EventBridge retries it; the claims make the
/// retry safe).
pub async fn handle(services: &Services, _event: EventBridgeEvent) -> Result<TickReport, crate::ports::StoreError> {
    crate::app::sla::tick(services).await
}
