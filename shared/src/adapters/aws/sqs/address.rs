//! Where a consumer's queues are (template.yaml creates them; tests make them from it).

/// A queue's URL (for API calls) and ARN (for redrive policies and Lambda event records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAddress {
    pub url: String,
    pub arn: String,
}

/// A queue and the dead-letter queue its failed messages move to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePair {
    pub main: QueueAddress,
    pub dead_letter: QueueAddress,
}
