//! The embedded metrics: every record kept in order, for tests and the local runner to read.

use crate::ports::metrics::{Metric, MetricRecord, Metrics};
use std::sync::{Arc, Mutex};

/// Records kept in memory; clones share them.
#[derive(Debug, Clone, Default)]
pub struct MemoryMetrics {
    records: Arc<Mutex<Vec<MetricRecord>>>,
}

impl MemoryMetrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record so far, oldest first.
    pub fn records(&self) -> Vec<MetricRecord> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The records of `metric`.
    pub fn of(&self, metric: Metric) -> Vec<MetricRecord> {
        self.records().into_iter().filter(|r| r.metric == metric).collect()
    }

    /// The sum of `metric`'s values (a count, for the counters).
    pub fn sum(&self, metric: Metric) -> f64 {
        self.of(metric).iter().map(|r| r.value).sum()
    }

    /// The sum of `metric`'s values whose dimension is `value`.
    pub fn sum_where(&self, metric: Metric, value: &str) -> f64 {
        self.of(metric).iter().filter(|r| r.dimension == value).map(|r| r.value).sum()
    }

    pub fn clear(&self) {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Metrics for MemoryMetrics {
    fn record(&self, record: &MetricRecord) {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).push(record.clone());
    }
}
