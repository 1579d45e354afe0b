//! The template made in moto (`leadflow-provision`), checked against the template itself: every
//! table with its keys, indexes and TTL, every queue with its visibility, retention and redrive
//! policy, every topic, key and alias; and a resource added to the template is made, and
//! reaches a function's environment, with nothing else changed.

use aws_sdk_sqs::types::QueueAttributeName;
use leadflow_provision::template::json_text;
use leadflow_provision::{Stack, StackOptions, Template, PROVISIONED_TYPES};
use leadflow_tests::aws::{template, unique_name, MotoAws};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A property of a resource, evaluated in the stack (`None` when it is not set).
fn property(stack: &Stack, id: &str, name: &str) -> Option<Json> {
    let v = stack.template().resource(id).unwrap().property(name).clone();
    stack.evaluate(&v).unwrap().filter(|j| !j.is_null())
}

/// Checks every made resource against its template definition; answers how many of each type.
async fn check_made(aws: &MotoAws, stack: &Stack) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let ids: Vec<(String, String)> = stack.template().resources().map(|r| (r.id.to_string(), r.kind.to_string())).collect();
    for (id, kind) in ids {
        if !PROVISIONED_TYPES.contains(&kind.as_str()) || !stack.deployed(&id).unwrap() {
            continue;
        }
        let made = stack.resource(&id).unwrap();
        match kind.as_str() {
            "AWS::DynamoDB::Table" => {
                let table = aws.dynamodb.describe_table().table_name(&made.reference).send().await.unwrap().table.unwrap();
                let keys = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| {
                    k.iter().map(|e| json!({"AttributeName": e.attribute_name(), "KeyType": e.key_type().as_str()})).collect::<Vec<_>>()
                };
                assert_eq!(Json::Array(keys(table.key_schema())), property(stack, &id, "KeySchema").unwrap(), "{id}");
                let declared = property(stack, &id, "GlobalSecondaryIndexes").unwrap_or(json!([]));
                let made_indexes: Vec<Json> = table
                    .global_secondary_indexes()
                    .iter()
                    .map(|g| {
                        let mut projection =
                            json!({"ProjectionType": g.projection().and_then(|p| p.projection_type()).map(|t| t.as_str())});
                        if let Some(attributes) = g.projection().and_then(|p| p.non_key_attributes.as_ref()) {
                            projection["NonKeyAttributes"] = json!(attributes);
                        }
                        json!({"IndexName": g.index_name(), "KeySchema": keys(g.key_schema()), "Projection": projection})
                    })
                    .collect();
                let mut declared: Vec<Json> = declared.as_array().unwrap().clone();
                let mut made_indexes = made_indexes;
                declared.sort_by_key(|g| g["IndexName"].to_string());
                made_indexes.sort_by_key(|g| g["IndexName"].to_string());
                assert_eq!(Json::Array(made_indexes), Json::Array(declared), "{id}: global secondary indexes");
                if let Some(ttl) = property(stack, &id, "TimeToLiveSpecification") {
                    let out = aws.dynamodb.describe_time_to_live().table_name(&made.reference).send().await.unwrap();
                    let d = out.time_to_live_description().unwrap();
                    assert_eq!(d.attribute_name(), ttl["AttributeName"].as_str(), "{id}: TTL attribute");
                    assert_eq!(d.time_to_live_status().map(|s| s.as_str()), Some("ENABLED"), "{id}: TTL");
                }
                if let Some(stream) = property(stack, &id, "StreamSpecification") {
                    let spec = table.stream_specification().unwrap();
                    assert_eq!(spec.stream_view_type().map(|v| v.as_str()), stream["StreamViewType"].as_str(), "{id}: stream");
                    assert!(table.latest_stream_arn().is_some(), "{id}: stream ARN");
                }
            }
            "AWS::SQS::Queue" => {
                let out = aws
                    .sqs
                    .get_queue_attributes()
                    .queue_url(&made.reference)
                    .attribute_names(QueueAttributeName::All)
                    .send()
                    .await
                    .unwrap();
                let attributes = out.attributes.unwrap_or_default();
                for (name, attribute) in [
                    ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
                    ("MessageRetentionPeriod", QueueAttributeName::MessageRetentionPeriod),
                ] {
                    if let Some(v) = property(stack, &id, name) {
                        assert_eq!(attributes.get(&attribute), Some(&json_text(&v)), "{id}: {name}");
                    }
                }
                if let Some(redrive) = property(stack, &id, "RedrivePolicy") {
                    let made_redrive: Json = serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
                    assert_eq!(made_redrive["deadLetterTargetArn"], redrive["deadLetterTargetArn"], "{id}: dead-letter queue");
                    assert_eq!(json_text(&made_redrive["maxReceiveCount"]), json_text(&redrive["maxReceiveCount"]), "{id}: receives");
                }
            }
            "AWS::SNS::Topic" => {
                aws.sns.get_topic_attributes().topic_arn(&made.reference).send().await.unwrap_or_else(|e| panic!("{id}: {e:?}"));
            }
            "AWS::KMS::Key" => {
                let key = aws.kms.describe_key().key_id(&made.reference).send().await.unwrap();
                assert_eq!(key.key_metadata().map(|m| m.arn().unwrap_or_default()), Some(made.attributes["Arn"].as_str()), "{id}");
            }
            "AWS::KMS::Alias" => {
                let target = property(stack, &id, "TargetKeyId").unwrap();
                let aliases = aws.kms.list_aliases().key_id(json_text(&target)).send().await.unwrap();
                assert!(aliases.aliases().iter().any(|a| a.alias_name() == Some(made.reference.as_str())), "{id}");
            }
            "AWS::SSM::Parameter" => {
                let ssm = aws_sdk_ssm::Client::new(&aws.config);
                let p = ssm.get_parameter().name(&made.reference).send().await.unwrap().parameter.unwrap();
                assert_eq!(p.value().map(str::to_string), property(stack, &id, "Value").map(|v| json_text(&v)), "{id}");
            }
            _ => {}
        }
        *counts.entry(kind).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn every_resource_of_the_template_is_made_in_moto_as_declared() {
    let aws = MotoAws::connect().await;
    let mut stack = aws.stack();
    stack.provision_all().await.unwrap();
    let counts = check_made(&aws, &stack).await;
    let declared = |kind: &str| template().resources().filter(|r| r.kind == kind && r.condition.is_none()).count();
    for kind in ["AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::KMS::Key", "AWS::KMS::Alias"] {
        assert!(declared(kind) > 0, "{kind}");
        assert!(counts.get(kind).copied().unwrap_or(0) >= declared(kind), "{kind}: {counts:?}");
    }
    // Every function's environment resolves to what was made.
    for f in stack.functions() {
        let env = stack.function_environment(&f.name).await.unwrap();
        assert_eq!(env["LEADFLOW_TABLE"], stack.resource("LeadsTable").unwrap().reference, "{}", f.name);
        assert!(env.values().all(|v| !v.contains("${")), "{}: {env:?}", f.name);
    }
}

/// A table with a stream, an index and TTL; a queue with its dead-letter queue; a topic; a
/// parameter; and a function reading them: none of them known to any code.
const ADDED: &str = r#"
ArchiveTable:
  Type: AWS::DynamoDB::Table
  Properties:
    BillingMode: PAY_PER_REQUEST
    AttributeDefinitions:
      - { AttributeName: PK, AttributeType: S }
      - { AttributeName: SK, AttributeType: S }
      - { AttributeName: DuePK, AttributeType: S }
    KeySchema:
      - { AttributeName: PK, KeyType: HASH }
      - { AttributeName: SK, KeyType: RANGE }
    GlobalSecondaryIndexes:
      - IndexName: ByDue
        KeySchema: [{ AttributeName: DuePK, KeyType: HASH }]
        Projection: { ProjectionType: KEYS_ONLY }
    StreamSpecification: { StreamViewType: NEW_AND_OLD_IMAGES }
    TimeToLiveSpecification: { AttributeName: gone_at, Enabled: true }
ArchiveQueue:
  Type: AWS::SQS::Queue
  Properties:
    VisibilityTimeout: 45
    RedrivePolicy:
      deadLetterTargetArn: !GetAtt ArchiveDeadLetterQueue.Arn
      maxReceiveCount: 7
ArchiveDeadLetterQueue:
  Type: AWS::SQS::Queue
  Properties:
    MessageRetentionPeriod: 1209600
ArchiveTopic:
  Type: AWS::SNS::Topic
ArchiveSetting:
  Type: AWS::SSM::Parameter
  Properties:
    Name: !Sub "/${AWS::StackName}/archive/batch"
    Type: String
    Value: "25"
ArchiveFunction:
  Type: AWS::Serverless::Function
  Properties:
    Environment:
      Variables:
        LEADFLOW_FUNCTION: archive
        ARCHIVE_STREAM: !GetAtt ArchiveTable.StreamArn
        ARCHIVE_QUEUE: !Ref ArchiveQueue
        ARCHIVE_TOPIC: !Ref ArchiveTopic
        ARCHIVE_SETTING: !Ref ArchiveSetting
        ARCHIVE_DLQ_NAME: !GetAtt ArchiveDeadLetterQueue.QueueName
"#;

#[tokio::test]
async fn a_resource_added_to_the_template_is_made_with_nothing_else_changed() {
    let aws = MotoAws::connect().await;
    let mut doc = template().document().clone();
    let added: serde_yaml_ng::Mapping = serde_yaml_ng::from_str(ADDED).unwrap();
    let resources = doc.get_mut("Resources").unwrap().as_mapping_mut().unwrap();
    resources.extend(added);
    let changed = Arc::new(Template::from_document(doc).unwrap());
    let mut stack = Stack::new(changed, StackOptions::new(unique_name("lf")), leadflow_provision::Clients::new(&aws.config));
    stack.provision_all().await.unwrap();
    let counts = check_made(&aws, &stack).await;
    let parameters = template().resources().filter(|r| r.kind == "AWS::SSM::Parameter").count();
    assert_eq!(counts["AWS::SSM::Parameter"], parameters + 1, "the template's parameters and the added one: {counts:?}");
    let env = stack.function_environment("archive").await.unwrap();
    let table = aws.dynamodb.describe_table().table_name(stack.resource("ArchiveTable").unwrap().reference).send().await.unwrap();
    assert_eq!(env.get("ARCHIVE_STREAM").map(String::as_str), table.table().unwrap().latest_stream_arn());
    assert_eq!(env["ARCHIVE_QUEUE"], stack.resource("ArchiveQueue").unwrap().reference);
    assert!(env["ARCHIVE_QUEUE"].starts_with(&aws.endpoint), "a moto queue URL: {}", env["ARCHIVE_QUEUE"]);
    assert!(env["ARCHIVE_TOPIC"].starts_with("arn:aws:sns:"), "{env:?}");
    assert_eq!(env["ARCHIVE_SETTING"], format!("/{}/archive/batch", stack.name()));
    assert_eq!(env["ARCHIVE_DLQ_NAME"], format!("{}-ArchiveDeadLetterQueue", stack.name()));
    // The table takes writes under its own keys (the redrive policy was checked above).
    aws.dynamodb
        .put_item()
        .table_name(stack.resource("ArchiveTable").unwrap().reference)
        .item("PK", aws_sdk_dynamodb::types::AttributeValue::S("a".into()))
        .item("SK", aws_sdk_dynamodb::types::AttributeValue::S("b".into()))
        .send()
        .await
        .unwrap();
}
