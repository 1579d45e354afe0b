//! Creating the table, for tests and for the local runner pointed at an emulator. In AWS the
//! SAM template creates it with the same definition.

use super::item::store_error;
use super::keys::{EXPIRES_AT, GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, LISTING_INDEXES, PK, SK};
use crate::ports::StoreError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// How long to wait for a new table to become usable.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// Creates the table `name` (PK/SK, the phone index GSI1 and the email index GSI2, the listing
/// indexes GSI3-GSI6 (status, assignee, service line, facility), the change index GSI7, all
/// keys only, and the work queues GSI8 (with the facility key);
/// on-demand; TTL on `expires_at`; a keys-only stream, which carries the outbox records to the
/// relay) and waits until it is ACTIVE. An existing table is accepted, so the call can run at
/// every start.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let mut attributes = vec![PK, SK, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK];
    attributes.extend(LISTING_INDEXES.iter().flat_map(|(_, pk, sk)| [*pk, *sk]));
    attributes.extend([super::keys::GSI7_PK, super::keys::GSI7_SK, super::keys::GSI8_PK, super::keys::GSI8_SK]);
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes.into_iter().map(string_attribute).collect::<Result<_, _>>()?))
        .set_key_schema(Some(key_schema(PK, SK)?))
        .stream_specification(
            StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::KeysOnly).build().map_err(invalid)?,
        )
        .global_secondary_indexes(index(GSI1, GSI1_PK, GSI1_SK)?)
        .global_secondary_indexes(index(GSI2, GSI2_PK, GSI2_SK)?);
    for (name, pk, sk) in LISTING_INDEXES {
        request = request.global_secondary_indexes(index(name, pk, sk)?);
    }
    request = request.global_secondary_indexes(index(super::keys::GSI7, super::keys::GSI7_PK, super::keys::GSI7_SK)?);
    // The work queues carry the facility key, for a manager's inbox.
    let inbox = GlobalSecondaryIndex::builder()
        .index_name(super::keys::GSI8)
        .set_key_schema(Some(key_schema(super::keys::GSI8_PK, super::keys::GSI8_SK)?))
        .projection(Projection::builder().projection_type(ProjectionType::Include).non_key_attributes(LISTING_INDEXES[3].1).build())
        .build()
        .map_err(invalid)?;
    request = request.global_secondary_indexes(inbox);
    let created = request.send().await;
    match created {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => return Err(store_error("CreateTable", e)),
    }
    wait_until_active(client, name).await?;
    enable_ttl(client, name).await
}

pub(super) async fn wait_until_active(client: &Client, name: &str) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let out = client.describe_table().table_name(name).send().await.map_err(|e| store_error("DescribeTable", e))?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Unavailable(format!("table {name} did not become active")));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn enable_ttl(client: &Client, name: &str) -> Result<(), StoreError> {
    let current = client.describe_time_to_live().table_name(name).send().await.map_err(|e| store_error("DescribeTimeToLive", e))?;
    let status = current.time_to_live_description().and_then(|d| d.time_to_live_status());
    if matches!(status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)) {
        return Ok(());
    }
    let spec = TimeToLiveSpecification::builder().attribute_name(EXPIRES_AT).enabled(true).build().map_err(invalid)?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(spec)
        .send()
        .await
        .map_err(|e| store_error("UpdateTimeToLive", e))?;
    Ok(())
}

pub(super) fn string_attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().map_err(invalid)
}

pub(super) fn key_schema(hash: &str, range: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    Ok(vec![
        KeySchemaElement::builder().attribute_name(hash).key_type(KeyType::Hash).build().map_err(invalid)?,
        KeySchemaElement::builder().attribute_name(range).key_type(KeyType::Range).build().map_err(invalid)?,
    ])
}

fn index(name: &str, hash: &str, range: &str) -> Result<GlobalSecondaryIndex, StoreError> {
    index_projecting(name, hash, range, ProjectionType::KeysOnly)
}

/// A global secondary index on `hash`/`range` carrying `projection`.
pub(super) fn index_projecting(
    name: &str,
    hash: &str,
    range: &str,
    projection: ProjectionType,
) -> Result<GlobalSecondaryIndex, StoreError> {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .set_key_schema(Some(key_schema(hash, range)?))
        .projection(Projection::builder().projection_type(projection).build())
        .build()
        .map_err(invalid)
}

fn invalid(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Invalid(format!("cannot build the table definition: {e}"))
}

/// The ARN of the table's change stream (what the relay's event source mapping reads).
pub async fn stream_arn(client: &Client, name: &str) -> Result<Option<String>, StoreError> {
    let out = client.describe_table().table_name(name).send().await.map_err(|e| store_error("DescribeTable", e))?;
    Ok(out.table().and_then(|t| t.latest_stream_arn()).map(str::to_string))
}
