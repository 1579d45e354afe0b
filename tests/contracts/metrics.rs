//! The metrics port on both adapters: what the embedded adapter keeps and what the EMF adapter
//! writes (one line per record, read back as CloudWatch Logs reads it) hold the same metric,
//! value, dimension, lead id and time, in order.

use chrono::{Duration, TimeZone, Utc};
use leadflow::adapters::aws::EmfMetrics;
use leadflow::adapters::memory::MemoryMetrics;
use leadflow::domain::timeline::SkipReason;
use leadflow::domain::{ContactChannel, LeadId};
use leadflow::ports::metrics::{Metric, MetricRecord, Metrics};
use leadflow::ports::MessagePurpose;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// (name, value, dimension name, dimension value, lead id, epoch ms) of one record.
type Seen = (String, f64, String, String, Option<String>, i64);

fn records() -> Vec<MetricRecord> {
    let at = Utc.with_ymd_and_hms(2026, 3, 3, 15, 30, 0).unwrap();
    let lead = LeadId::random();
    vec![
        MetricRecord::acknowledgement_sent(at, lead, ContactChannel::Sms),
        MetricRecord::text_sent(at, Some(lead), MessagePurpose::Acknowledgement),
        MetricRecord::acknowledgement_skipped(at, LeadId::random(), SkipReason::NotMobile),
        MetricRecord::acknowledgement_failed(at, LeadId::random(), ContactChannel::Sms),
        MetricRecord::sla_breach(at + Duration::minutes(2), lead, "med_spa"),
        MetricRecord::crisis_page(at, LeadId::random(), "addiction_treatment"),
        MetricRecord::speed_to_lead(at + Duration::seconds(95), lead, "med_spa", 95.25),
        MetricRecord::text_sent(at, None, MessagePurpose::HelpReply),
    ]
}

#[test]
fn both_adapters_keep_the_same_records() {
    let memory = MemoryMetrics::new();
    let buffer: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    let out: Arc<Mutex<dyn Write + Send>> = buffer.clone();
    let emf = EmfMetrics::to_writer("leadflow/contract", out);
    for r in records() {
        memory.record(&r);
        emf.record(&r);
    }
    let kept: Vec<Seen> = memory
        .records()
        .iter()
        .map(|r| {
            let m = r.metric;
            (
                m.name().into(),
                r.value,
                m.dimension().name().into(),
                r.dimension.clone(),
                r.lead_id.map(|l| l.to_string()),
                r.at.timestamp_millis(),
            )
        })
        .collect();
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let written: Vec<Seen> = text
        .lines()
        .map(|line| {
            let doc: serde_json::Value = serde_json::from_str(line).expect("each line is one JSON document");
            let directive = &doc["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], "leadflow/contract");
            let name = directive["Metrics"][0]["Name"].as_str().unwrap().to_string();
            let sets = directive["Dimensions"].as_array().unwrap();
            let dimension = sets.last().unwrap()[0].as_str().unwrap().to_string();
            (
                name.clone(),
                doc[&name].as_f64().unwrap(),
                dimension.clone(),
                doc[&dimension].as_str().unwrap().to_string(),
                doc["LeadId"].as_str().map(str::to_string),
                doc["_aws"]["Timestamp"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(written, kept);
    assert_eq!(memory.sum(Metric::TextsSent), 2.0);
    assert_eq!(memory.sum_where(Metric::AcknowledgementsSkipped, "not_mobile"), 1.0);
}
