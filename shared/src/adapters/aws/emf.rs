//! Metrics as CloudWatch embedded metric format (EMF): one JSON document per record, on one line
//! of stdout. Lambda ships stdout to the function's log group and CloudWatch Logs extracts the
//! metric from the line, so no CloudWatch API call is made and no permission beyond the logs is
//! needed.
//!
//! Each record is published twice: stack-wide (no dimension, what the dashboard graphs) and
//! broken down by its metric's one dimension (service line, channel, reason or purpose).

use crate::ports::metrics::{MetricRecord, Metrics};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The namespace when the function is not told its stack's (`leadflow/<stack>` on AWS).
pub const DEFAULT_NAMESPACE: &str = "leadflow";

/// The EMF document of `record` in `namespace`.
pub fn document(namespace: &str, record: &MetricRecord) -> Value {
    let metric = record.metric;
    let dimension = metric.dimension().name();
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": record.at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[], [dimension]],
                "Metrics": [{ "Name": metric.name(), "Unit": metric.unit().as_str() }],
            }],
        }),
    );
    doc.insert(dimension.into(), Value::String(record.dimension.clone()));
    // A whole number of seconds or a count prints without a fraction.
    let value = if record.value.fract() == 0.0 && record.value.abs() < 1e15 {
        Value::from(record.value as i64)
    } else {
        serde_json::Number::from_f64(record.value).map_or(Value::Null, Value::Number)
    };
    doc.insert(metric.name().into(), value);
    if let Some(id) = record.lead_id {
        doc.insert("LeadId".into(), Value::String(id.to_string()));
    }
    Value::Object(doc)
}

/// Writes EMF lines to stdout (or, for tests, to any writer).
#[derive(Clone)]
pub struct EmfMetrics {
    namespace: String,
    out: Option<Arc<Mutex<dyn Write + Send>>>,
}

impl std::fmt::Debug for EmfMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmfMetrics").field("namespace", &self.namespace).finish_non_exhaustive()
    }
}

impl EmfMetrics {
    /// Lines on stdout, in `namespace`.
    pub fn stdout(namespace: impl Into<String>) -> Self {
        EmfMetrics { namespace: namespace.into(), out: None }
    }

    /// Lines written to `out`.
    pub fn to_writer(namespace: impl Into<String>, out: Arc<Mutex<dyn Write + Send>>) -> Self {
        EmfMetrics { namespace: namespace.into(), out: Some(out) }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

impl Metrics for EmfMetrics {
    fn record(&self, record: &MetricRecord) {
        let mut line = document(&self.namespace, record).to_string();
        line.push('\n');
        // One write of the whole line under the lock, so log lines never split it.
        let written = match &self.out {
            None => std::io::stdout().lock().write_all(line.as_bytes()),
            Some(out) => out.lock().unwrap_or_else(|e| e.into_inner()).write_all(line.as_bytes()),
        };
        if let Err(e) = written {
            tracing::warn!(metric = record.metric.name(), error = %e, "metric line not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::timeline::SkipReason;
    use crate::domain::{ContactChannel, LeadId};
    use crate::ports::metrics::Metric;
    use crate::ports::MessagePurpose;
    use chrono::{TimeZone, Utc};

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 0).unwrap()
    }

    #[test]
    fn a_speed_to_lead_document_has_the_metadata_and_the_values_at_top_level() {
        let lead = LeadId::random();
        let doc = document("leadflow/prod", &MetricRecord::speed_to_lead(at(), lead, "med_spa", 95.5));
        let aws = &doc["_aws"];
        assert_eq!(aws["Timestamp"], json!(at().timestamp_millis()));
        assert_eq!(
            aws["CloudWatchMetrics"],
            json!([{
                "Namespace": "leadflow/prod",
                "Dimensions": [[], ["ServiceLine"]],
                "Metrics": [{ "Name": "SpeedToLead", "Unit": "Seconds" }],
            }])
        );
        assert_eq!(doc["SpeedToLead"], json!(95.5));
        assert_eq!(doc["ServiceLine"], "med_spa");
        assert_eq!(doc["LeadId"], lead.to_string());
        // Nothing else: the metadata, the dimension, the value and the lead id.
        assert_eq!(doc.as_object().unwrap().len(), 4, "{doc}");
    }

    #[test]
    fn every_dimension_a_document_names_is_a_top_level_string_and_the_lead_id_is_none_of_them() {
        let lead = LeadId::random();
        let records = [
            MetricRecord::speed_to_lead(at(), lead, "med_spa", 60.0),
            MetricRecord::acknowledgement_sent(at(), lead, ContactChannel::Email),
            MetricRecord::acknowledgement_failed(at(), lead, ContactChannel::Sms),
            MetricRecord::acknowledgement_skipped(at(), lead, SkipReason::NoConsent),
            MetricRecord::sla_breach(at(), lead, "med_spa"),
            MetricRecord::crisis_page(at(), lead, "addiction_treatment"),
            MetricRecord::text_sent(at(), None, MessagePurpose::FollowUp),
        ];
        let mut names = Vec::new();
        for r in &records {
            let doc = document("leadflow/test", r);
            let directive = &doc["_aws"]["CloudWatchMetrics"][0];
            let metric = directive["Metrics"][0]["Name"].as_str().unwrap();
            names.push(metric.to_string());
            assert!(doc[metric].is_number(), "{doc}");
            let sets = directive["Dimensions"].as_array().unwrap();
            assert_eq!(sets[0], json!([]), "the stack-wide series");
            for key in sets.iter().flat_map(|s| s.as_array().unwrap()) {
                let key = key.as_str().unwrap();
                assert_ne!(key, "LeadId");
                assert!(doc[key].is_string(), "{key} in {doc}");
            }
        }
        assert_eq!(names, Metric::names().collect::<Vec<_>>());
        let skipped = document("n", &records[3]);
        assert_eq!((skipped["Reason"].as_str(), skipped["AcknowledgementsSkipped"].as_i64()), (Some("no_consent"), Some(1)));
        assert_eq!(document("n", &records[6]).get("LeadId"), None);
        assert_eq!(Metric::TextsSent.unit().as_str(), "Count");
    }

    #[test]
    fn the_adapter_writes_one_line_per_record() {
        let buffer: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
        let emf = EmfMetrics::to_writer("leadflow/prod", buffer.clone());
        let lead = LeadId::random();
        emf.record(&MetricRecord::sla_breach(at(), lead, "med_spa"));
        emf.record(&MetricRecord::crisis_page(at(), lead, "med_spa"));
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert!(text.ends_with('\n'));
        assert_eq!(lines[0]["SlaBreaches"], 1);
        assert_eq!(lines[1]["_aws"]["CloudWatchMetrics"][0]["Namespace"], "leadflow/prod");
    }
}
