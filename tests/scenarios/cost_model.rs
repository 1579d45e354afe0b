//! The cost bench's counter (`leadflow_local::cost`) counts what the AWS adapters really send:
//! requests seen on the wire by the SDK interceptor, DynamoDB units from the items written, and
//! the functions' invocations, on moto.

use chrono::{TimeZone, Utc};
use leadflow_local::cost::world::{Instances, World};
use leadflow_local::cost::{bill, lead_path, prices::Prices, published_configuration};

async fn world(instances: Instances) -> World {
    let open = chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, 3, 10, 30, 0).unwrap().with_timezone(&Utc);
    World::on_moto(leadflow_tests::moto::endpoint(), open, instances).await.expect("a world on moto")
}

#[tokio::test]
async fn a_capture_is_counted_as_a_transaction_and_its_relay_as_sqs_sends() {
    let w = world(Instances::Cold).await;
    w.meter.reset();
    let id = w.capture(1).await.unwrap();
    let c = w.meter.counts();
    let tx = c.get("DynamoDB", "TransactWriteItems");
    assert!(tx.calls >= 1.0, "{c:#?}");
    // A transaction's write units are doubled, and the new lead is in its indexes.
    assert!(tx.units >= 2.0 * tx.calls && tx.index_units >= 1.0, "{tx:?}");
    assert!(c.written["LEAD/LEAD"].units >= 2.0, "{:?}", c.written);
    // The concern is sealed with a data key of the new instance's own.
    assert_eq!(c.get("KMS", "GenerateDataKey").calls, 1.0, "{c:#?}");
    assert_eq!(c.functions["IntakeFunction"].count, 1.0);
    // Nothing is queued by intake itself: the outbox record is, by the relay.
    assert_eq!(c.get("SQS", "SendMessage").calls, 0.0);
    assert!(w.relay().await >= 1);
    let c = w.meter.counts();
    assert!(c.get("SQS", "SendMessage").calls >= 1.0, "{c:#?}");
    assert!(c.functions["RelayFunction"].count >= 1.0);
    // The bench's own reads are not counted.
    let before = w.meter.counts();
    w.meter.counting(false);
    assert!(w.inspect().leads.get(id).await.unwrap().is_some());
    w.meter.counting(true);
    assert_eq!(w.meter.counts(), before);
}

#[tokio::test]
async fn a_lead_path_is_counted_from_capture_to_conversion_and_priced() {
    let w = world(Instances::Warm).await;
    w.meter.reset();
    lead_path(&w, 7).await.unwrap();
    let c = w.meter.counts();
    // The acknowledgement and the 24-hour text; the three emails of the med-spa cadence (the
    // 1-hour one goes, as the call went unanswered); each consumer ran.
    assert_eq!(c.get("SNS", "Publish (SMS)").calls, 2.0, "{c:#?}");
    assert_eq!(c.get("SES", "SendEmail").calls, 3.0, "{c:#?}");
    for f in [
        "IntakeFunction",
        "RelayFunction",
        "AcknowledgeFunction",
        "ScoreFunction",
        "CadenceFunction",
        "WebhooksFunction",
        "WebhookWorkerFunction",
    ] {
        assert!(c.functions.get(f).is_some_and(|i| i.count >= 1.0), "{f}: {:?}", c.functions.keys());
    }
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    // No audit entry on the path is by a staff user: none is on the ByActor index.
    let audit = &c.written["LEAD/AUDIT"];
    assert!(audit.writes >= 1.0 && audit.units == audit.writes, "{audit:?}");
    let b = bill(&c, &Prices::default(), &template, &published_configuration());
    assert!(b.lines["DynamoDB writes"] > 0.0 && b.lines["Lambda requests"] > 0.0, "{b:?}");
    assert!(!b.lines.contains_key("SSM (configuration)"), "a standard parameter's reads are free: {b:?}");
    assert!(b.total() < 0.01, "a lead costs cents at most: {b:?}");
}
